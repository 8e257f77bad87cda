"""The command line: parse options, call the library, print. Imports any layer; none imports it."""

from gradekit.cli.commands import main

__all__ = ["main"]

"""What every command shares: typed errors to one line and an exit code (the one place that maps
``GradekitError.exit_code`` to the exit status), JSON output, and subcommands imported when run.

Exit codes: 0 full marks (or success), 1 graded but not full marks, 2 bad input,
3 a fault of the grader or its machine (``GraderError``: isolation refused, gradekit failed).
"""

from __future__ import annotations

import importlib
import json
import sys
from functools import wraps

import click

from gradekit.core.errors import GradekitError
from gradekit.core.extras import missing_extra
from gradekit.core.untrusted import printable


class LazyGroup(click.Group):
    """A click group whose ``lazy_subcommands`` ({name: "module:attribute"}) are imported when run or listed."""

    def __init__(self, *args, lazy_subcommands: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy_subcommands = dict(lazy_subcommands or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_subcommands})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy_subcommands:
            module, _, attribute = self.lazy_subcommands[name].partition(":")
            return getattr(importlib.import_module(module), attribute)
        return super().get_command(ctx, name)


def rich_console():
    from rich.console import Console

    return Console()


def fail(message: str, exit_code: int = 2) -> None:
    """One line on stderr; escapes shown as text (a message may quote a student's exception or file name)."""
    click.echo(f"gradekit: error: {printable(message)}", err=True)
    sys.exit(exit_code)


def handles_errors(f):
    """Turn gradekit's typed errors into one line on stderr and the error's own exit code;
    with ``--json`` (or ``--format json``), into ``{"error": ..., "exit_code": ...}`` on stdout."""

    @wraps(f)
    def wrapper(*args, **kwargs):
        try:
            return f(*args, **kwargs)
        except (GradekitError, ModuleNotFoundError) as caught:
            e = caught if isinstance(caught, GradekitError) else missing_extra(caught)
            if e is None:  # not a module of an extra: a bug, with its traceback
                raise
            if kwargs.get("as_json") or kwargs.get("fmt") == "json":
                emit_json({"error": str(e), "exit_code": e.exit_code})
                sys.exit(e.exit_code)
            fail(str(e), e.exit_code)
        finally:
            mention_catalog_trouble()

    return wrapper


def mention_catalog_trouble() -> None:
    """One line on stderr per broken assignment and per shadowed one, whatever the command did."""
    from gradekit.catalog.catalog import loaded

    catalog = loaded()
    if catalog is None:
        return
    for name, error in catalog.broken.items():
        click.echo(f"gradekit: note: assignment {printable(name)} is not loaded: {printable(error)}", err=True)
    for note in catalog.notes:
        click.echo(f"gradekit: note: {printable(note)}", err=True)


def warn_weak(isolation: dict | None) -> None:
    """Weak isolation is said loudly, on stderr, whatever the output format."""
    if isolation and isolation.get("level") != "strong":
        click.echo(click.style(f"gradekit: warning: {printable(isolation['line'])}", fg="red", bold=True), err=True)


def emit_json(data) -> None:
    click.echo(json.dumps(data, indent=2))



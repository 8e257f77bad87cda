"""``gradekit handout build ASSIGNMENT``: what students install to check their work without the key
(``gradekit.course.handout``), and ``gradekit handout check``, the checker it carries."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from gradekit.cli.shell import handles_errors


@click.group("handout")
def handout() -> None:
    """Handouts: statements, templates and a checker, without the key."""


@handout.command("build")
@click.argument("assignment")
@click.option("--out", "-o", "out", type=click.Path(path_type=Path),
              help="The folder to write (default: handout-ASSIGNMENT); it must not exist or be empty.")
@click.option("--roster", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="A CSV with an ID column: each student's own statements, template and checker data in "
                   "OUT/students/ID.")
@handles_errors
def build_cmd(assignment: str, out: Path | None, roster: Path | None) -> None:
    """Write ASSIGNMENT's handout: statements, answers template, starters, check.py (no key, no hidden answer)."""
    from gradekit.course.handout import build_handout
    from gradekit.catalog.catalog import load_catalog

    info = build_handout(load_catalog(), assignment, out or Path(f"handout-{assignment}"), roster)
    click.echo(f"wrote {info.folder}: {len(info.files)} files"
               + (f", {len(info.students)} students' folders" if info.students else "")
               + f"; graded in full by check.py: {', '.join(info.public) or 'no part (mark one public = true)'}")


@handout.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--handout", "folder", type=click.Path(path_type=Path, file_okay=False, exists=True),
              default=Path("."), show_default=True, help="The handout folder (where handout.json is).")
def check_cmd(files: tuple[Path, ...], folder: Path) -> None:
    """Check FILES (answers file, module files) as the handout's check.py does."""
    from gradekit.grading.handout import main

    sys.exit(main(folder, [str(f) for f in files]))

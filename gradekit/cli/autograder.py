"""``gradekit autograder build ASSIGNMENT -o autograder.zip``: a thin shell over ``gradekit.course.autograder.build``.

The main group (``gradekit.cli.commands``) imports it only when ``gradekit autograder`` runs.
"""

from __future__ import annotations

from pathlib import Path

import click

from gradekit.cli.shell import handles_errors


@click.group("autograder")
def autograder() -> None:
    """Gradescope autograder bundles."""


@autograder.command("build")
@click.argument("assignment")
@click.option("--output", "-o", type=click.Path(path_type=Path), default=Path("autograder.zip"), show_default=True)
@click.option("--time-limit", type=click.FloatRange(0.1), default=60.0, show_default=True,
              help="Seconds a student's .py answers file may run.")
@click.option("--student-key", type=click.Choice(["email", "id", "sid", "name"]), default="email", show_default=True,
              help="Which field of submission_metadata.json's first user picks the per-student variant.")
@click.option("--torch/--no-torch", "torch", default=None,
              help="Install CPU torch in setup.sh (default: when a code problem uses torch).")
@click.option("--wheel", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="Bundle this gradekit wheel instead of building one (from the source tree, or from the installed package).")
@click.option("--family", "families", multiple=True, type=click.Path(path_type=Path, exists=True),
              help="A plug-in family the assignment uses: its project folder (pyproject.toml) or its wheel; "
                   "repeatable. setup.sh installs it.")
@click.option("--allow-weak-isolation", is_flag=True,
              help="Grade code even where the image has no namespaces (marked 'isolation: weak' in results.json).")
@click.option("--hand-graded-tests", is_flag=True,
              help="List parts graded by hand in results.json as 0-point tests saying so (default: left out; "
                   "either way they are not in the autograder's total: grade them as Gradescope questions).")
@handles_errors
def build_cmd(assignment: str, output: Path, time_limit: float, student_key: str, torch: bool | None,
              wheel: Path | None, families: tuple[Path, ...], allow_weak_isolation: bool,
              hand_graded_tests: bool) -> None:
    """Write a Gradescope autograder zip (setup.sh, run_autograder, gradekit's wheel) for ASSIGNMENT."""
    from gradekit.course.autograder import build

    info = build(assignment, output, time_limit=time_limit, student_key=student_key, torch=torch, wheel=wheel,
                 require_isolation=not allow_weak_isolation, hand_graded="note" if hand_graded_tests else "omit",
                 families=families)
    click.echo(f"wrote {info.path} ({info.size / 1024:.0f} KiB); setup.sh downloads from PyPI: "
               + ", ".join(info.requirements) + ("; and CPU torch" if info.torch else ""))

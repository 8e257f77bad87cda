"""The command line: parse options, call the library, print. Nothing else lives here.

Exit codes: 0 full marks (or success), 1 graded but not full marks, 2 bad input.
"""

from __future__ import annotations

import json
import sys
from functools import wraps
from pathlib import Path

import click

from .errors import GradekitError


def _console():
    from rich.console import Console

    return Console()


def _fail(message: str) -> None:
    click.echo(f"gradekit: error: {message}", err=True)
    sys.exit(2)


def handles_errors(f):
    """Turn gradekit's typed errors into one line on stderr and exit code 2."""

    @wraps(f)
    def wrapper(*args, **kwargs):
        try:
            return f(*args, **kwargs)
        except GradekitError as e:
            _fail(str(e))

    return wrapper


def _emit_json(data) -> None:
    click.echo(json.dumps(data, indent=2))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="gradekit")
def main() -> None:
    """Check machine-learning homework against reference solutions."""


@main.command("list")
@click.argument("assignment", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the catalog as JSON.")
@handles_errors
def list_cmd(assignment: str | None, as_json: bool) -> None:
    """List the catalog's problems (of one ASSIGNMENT, or all)."""
    from .catalog import load_catalog

    problems = load_catalog().problems(assignment)
    if as_json:
        _emit_json(
            [
                {"id": p.id, "assignment": p.assignment, "title": p.title, "family": p.family, "parts": [x.name for x in p.parts]}
                for p in problems
            ]
        )
        return
    from . import render

    render.problem_list(_console(), problems)


@main.command()
@click.argument("ident", metavar="ID")
@click.option("--assignment", "-a", help="Resolve a bare ID within this assignment.")
@click.option("--json", "as_json", is_flag=True)
@handles_errors
def show(ident: str, assignment: str | None, as_json: bool) -> None:
    """Show a problem's statement and its parts."""
    from .catalog import load_catalog
    from .solving import describe_answer, plain

    catalog = load_catalog()
    problem = catalog.resolve(ident, assignment)
    answers = catalog.solve(problem).answers
    rows = [(p.name, p.kind, describe_answer(p.kind, answers.get(p.name), dict(p.options)), p.points) for p in problem.parts]
    if as_json:
        _emit_json(
            {
                "id": problem.qualified_id,
                "title": problem.title,
                "family": problem.family,
                "statement": problem.statement,
                "params": plain(dict(problem.params)),
                "parts": [{"name": n, "kind": k, "form": f, "points": pts} for n, k, f, pts in rows],
            }
        )
        return
    from . import render

    render.problem(_console(), problem, rows)


@main.command()
@click.argument("ident", metavar="ID")
@click.option("--assignment", "-a", help="Resolve a bare ID within this assignment.")
@click.option("--show-steps", is_flag=True, help="Print the worked solution step by step.")
@click.option("--json", "as_json", is_flag=True)
@handles_errors
def solve(ident: str, assignment: str | None, show_steps: bool, as_json: bool) -> None:
    """Print a problem's answers, and with --show-steps its worked solution."""
    from .catalog import load_catalog
    from .solving import solution_dict

    catalog = load_catalog()
    problem = catalog.resolve(ident, assignment)
    sol = catalog.solve(problem)
    if as_json:
        _emit_json(solution_dict(problem, sol))
        return
    from . import render

    render.solution(_console(), problem, sol, show_steps)


@main.command()
@click.argument("submission", type=click.Path(path_type=Path))
@click.option("--assignment", "-a", help="Grade against this assignment (default: inferred from the answers).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@handles_errors
def check(submission: Path, assignment: str | None, as_json: bool) -> None:
    """Grade an answers file (.py, .json or .toml)."""
    from .grading import grade

    rep = grade(submission, assignment=assignment)
    if as_json:
        _emit_json(rep.to_dict())
    else:
        from . import render

        render.report(_console(), rep)
    sys.exit(0 if rep.full_marks else 1)


@main.command()
@click.argument("assignment")
@click.option("--format", "fmt", type=click.Choice(["py", "json", "toml"]), default="py", show_default=True)
@click.option("--output", "-o", type=click.Path(path_type=Path), help="Write here instead of answers.<format>.")
@click.option("--stdout", "to_stdout", is_flag=True, help="Print instead of writing a file.")
@click.option("--json", "as_json", is_flag=True, help="Print every part's expected form as JSON; write nothing.")
@handles_errors
def template(assignment: str, fmt: str, output: Path | None, to_stdout: bool, as_json: bool) -> None:
    """Write a starter answers file listing every part of ASSIGNMENT."""
    from .catalog import load_catalog
    from .template import outline
    from .template import template as make_template

    if as_json:
        _emit_json(outline(load_catalog(), assignment))
        return
    text = make_template(load_catalog(), assignment, fmt)
    if to_stdout:
        click.echo(text, nl=False)
        return
    path = output or Path(f"answers.{fmt}")
    if path.exists():
        _fail(f"{path} exists; choose another name with -o or remove it")
    path.write_text(text)
    click.echo(f"wrote {path}")


if __name__ == "__main__":
    main()

"""What ``gradekit grade`` prints once a batch is graded and its outputs written: the figures an instructor
reads first, and nothing that says nothing.

The median counts the submissions that could be read; those that could not (an error and no part graded)
are listed apart, never counted as zeros. "Parts most missed" names parts of problems someone answered. A
table with no row is not printed. Every student id and message is printed with escapes shown: either may
carry terminal escapes.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from gradekit.core.untrusted import printable, shortened

if TYPE_CHECKING:
    from gradekit.course.batch import BatchResult
    from rich.console import Console

LISTED = 10  # students named per list; the rest are counted


def print_summary(result: BatchResult, paths: dict[str, Path], folder: Path, console: Console) -> None:
    """The batch's summary on ``console`` (rich) and stdout/stderr (click)."""
    from rich.table import Table

    scored = result.scored
    if result.median is not None:
        console.print(f"{len(scored)} submissions, median {result.median:g} / {result.max_score:g}")
    if result.rows:
        console.print(f"{len(result.rows) - result.reused} graded, {result.reused} unchanged (from the last run)")
    unreadable = result.unreadable
    if unreadable:
        click.echo(f"{_count(len(unreadable), 'submission')} could not be read (not in the median, histogram "
                   f"or part statistics):")
        for r in unreadable[:LISTED]:
            click.echo(f"  {_who(r)}: {printable(r['error'])}")  # unwrapped: paths are long
        _more(len(unreadable))
    faults = [r for r in result.rows if r.get("grader_error")]
    if faults:
        console.print(f"[bold red]{len(faults)} grader errors[/]: not scored; fix the cause and grade them again")
        for r in faults[:LISTED]:
            click.echo(f"  {_who(r)}: {printable(r['error'])}")
        _more(len(faults))
    partly = [r for r in scored if r["error"]]  # graded, with a word for the instructor (files refused)
    for r in partly[:LISTED]:
        click.echo(f"{_who(r)}: {printable(r['error'])}")
    _more(len(partly))
    _print_term(result)
    missed = result.most_missed()
    if missed:
        table = Table(title="Parts most missed", title_justify="left")
        table.add_column("part")
        table.add_column("students without full credit", justify="right")
        for col, frac in missed:
            table.add_row(col, f"{frac:.0%}")
        console.print(table)
    diagnosed = result.diagnoses()
    if diagnosed:
        table = Table(title="Mistakes most often diagnosed", title_justify="left")
        for c in ("part", "mistake", "students"):
            table.add_column(c)
        for col, mistake, k in diagnosed:
            table.add_row(col, mistake, str(k))
        console.print(table)
    if result.manual_source is not None:
        given = sum(1 for r in result.rows if r.get("manual"))
        click.echo(f"merged hand grades of {_count(given, 'student')} from {result.manual_source}")
    if result.removed_feedback:
        click.echo(f"removed feedback of {_count(len(result.removed_feedback), 'student')} no longer in {folder}: "
                   + ", ".join(printable(s) for s in result.removed_feedback[:LISTED])
                   + (f" and {len(result.removed_feedback) - LISTED} more" if len(result.removed_feedback) > LISTED
                      else ""))
    if result.kept_files:
        click.echo(f"left {_count(len(result.kept_files), 'file')} in {paths['feedback']} that gradekit did not "
                   f"write: " + ", ".join(printable(n) for n in result.kept_files[:LISTED]))
    for note in result.notes:
        click.echo(f"gradekit: note: {printable(note)}", err=True)
    click.echo("wrote " + ", ".join(str(p) for p in paths.values()))


def _print_term(result: BatchResult) -> None:
    """What a course's term adds: each student's files not graded (and why), overrides, late penalties."""
    skipped = [r for r in result.rows if r.get("skipped")]
    if skipped:
        click.echo(f"files not graded, of {_count(len(skipped), 'student')}:")
        for r in skipped[:LISTED]:
            for s in r["skipped"][:LISTED]:
                click.echo(f"  {_who(r)}: {printable(s['file'])}: {printable(s['reason'])}")
            if len(r["skipped"]) > LISTED:
                click.echo(f"  {_who(r)}: and {len(r['skipped']) - LISTED} more (grades.json has all)")
        _more(len(skipped))
    changed = [r for r in result.rows if r.get("overrides")]
    if changed:
        parts = sum(len(r["overrides"]) for r in changed)
        click.echo(f"overrides: {_count(parts, 'part')} of {_count(len(changed), 'student')} changed "
                   "(grades.csv and the feedback say why)")
    late = [r for r in result.rows if (r.get("late") or {}).get("days")]
    if late:
        click.echo(f"late: {_count(len(late), 'submission')} penalised: "
                   + ", ".join(f"{_who(r)} -{r['late']['penalty']:g}" for r in late[:LISTED])
                   + (" ..." if len(late) > LISTED else ""))


def _who(row: dict) -> str:
    """A row's student id, and the roster's name beside it where a roster named the row."""
    who = printable(row["student"])
    if row.get("name") and any(row.get(k) for k in ("email", "section", "login")):
        who += f" ({printable(shortened(row['name']))})"
    return who


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _more(n: int) -> None:
    if n > LISTED:
        click.echo(f"  and {n - LISTED} more (grades.csv has every row)")

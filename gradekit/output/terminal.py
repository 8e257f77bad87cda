"""Terminal output with rich. Renderers only print: they never grade or solve."""

from __future__ import annotations

from typing import Any, Iterable, Sequence

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from gradekit.core.records import Problem, Solution, Step, points
from gradekit.core.untrusted import printable
from gradekit.output.report import Report
from gradekit.core.texfmt import fmt, readable, text
from gradekit.core.vocab import Verdict

VERDICT_STYLE = {
    Verdict.CORRECT: "green",
    Verdict.PARTIAL: "yellow",
    Verdict.WRONG: "red",
    Verdict.INVALID: "red",
    Verdict.MISSING: "dim",
    Verdict.MANUAL: "cyan",
    Verdict.ERROR: "magenta",
}


def _score(x: float) -> str:
    return fmt(round(x, 4))


def student_feedback(verdict: Verdict | str, feedback: str, diagnosis: str | None, reading: str = "") -> str:
    """What a student reads for one part (terminal and feedback files alike): for a right answer only how it
    was read, where not literally; else the diagnosed mistake's id first, and the feedback (which says the
    reading itself). (A manual part's key is in ``PartResult.reference``, never here.)"""
    if verdict == Verdict.CORRECT:
        return f"correct ({reading})" if reading else ""
    text = feedback
    if reading and reading not in text:
        text = f"{text} ({reading})"
    if diagnosis and verdict in {Verdict.WRONG, Verdict.PARTIAL}:
        text = f"[{diagnosis}] {text}"
    return text


def _terminal_feedback(part) -> str:
    return student_feedback(part.verdict, part.feedback, part.diagnosis, part.reading)


def _shown(text: str, multiline: bool = False) -> str:
    """A student's text for rich: escapes visible (``\\x1b``), and brackets not read as markup."""
    return escape(printable(text, multiline=multiline))


def report(console: Console, rep: Report) -> None:
    for note in rep.notes:  # unknown and misspelled keys first: a student fixes those before reading scores
        console.print(f"[yellow]note:[/] {_shown(note)}")
    for prob in rep.problems:
        # fold a problem left blank into one line, unless its parts say more (a starter's "not implemented")
        if all(p.verdict in {Verdict.MISSING, Verdict.MANUAL} for p in prob.parts) \
                and any(p.verdict == Verdict.MISSING for p in prob.parts) \
                and all(not p.answered or not p.feedback for p in prob.parts if p.verdict == Verdict.MISSING):
            console.print(
                f"[dim]{prob.assignment}/{prob.id} — {escape(prob.title)}: not answered "
                f"(0 / {_score(prob.max_score)})[/]"
            )
            continue
        table = Table(title=f"{prob.assignment}/{prob.id} — {escape(prob.title)}", title_justify="left", expand=True)
        table.add_column("part", no_wrap=True)
        table.add_column("verdict", no_wrap=True)
        table.add_column("score", justify="right", no_wrap=True)
        table.add_column("feedback", ratio=1)
        for part in prob.parts:
            style = VERDICT_STYLE.get(part.verdict, "")
            feedback = _terminal_feedback(part)
            table.add_row(
                _shown(part.name),
                Text(part.verdict, style=style),
                f"{_score(part.score)}/{_score(part.max_score)}",
                _shown(feedback, multiline=True),  # a cell keeps its lines inside the table
            )
        table.caption = f"{_score(prob.score)} / {_score(prob.max_score)}"
        table.caption_justify = "right"
        console.print(table)
    style = "bold green" if rep.full_marks else "bold"
    pending = f" ({points(rep.by_hand)} graded by hand)" if rep.by_hand else ""
    console.print(Text(f"Total: {_score(rep.score)} / {_score(rep.max_score)}{pending}", style=style))


def problem_list(console: Console, problems: Iterable[Problem]) -> None:
    from gradekit.catalog.solution import reference_label

    table = Table(expand=False)
    for col in ("assignment", "id", "title", "family", "points"):
        table.add_column(col)
    for p in problems:
        table.add_row(p.assignment, p.id, escape(p.title), escape(reference_label(p.family)), _score(p.max_score))
    console.print(table)


def problem(console: Console, prob: Problem, parts: Sequence[tuple[str, str, str, float]]) -> None:
    """The statement and, per part, the name, kind, expected form and points."""
    from gradekit.catalog.solution import reference_label

    # a terminal does not typeset: the statement's LaTeX is shown as text (show --json keeps it as written)
    console.print(Panel(escape(readable(prob.statement)), title=f"{prob.qualified_id} — {escape(readable(prob.title))}",
                        subtitle=escape(reference_label(prob.family))))
    table = Table(title="Parts", title_justify="left")
    for col in ("part", "kind", "form", "points"):
        table.add_column(col)
    for name, kind, form, pts in parts:
        table.add_row(escape(name), kind, escape(form), _score(pts))
    console.print(table)


MAX_SHOWN = 24  # entries of an array printed in full; bigger ones are summarised


def _short(value: Any) -> str:
    import numpy as np

    arr = np.asarray(value) if not isinstance(value, str) else None
    if arr is not None and arr.dtype.kind in "biuf" and arr.size > MAX_SHOWN:
        head = ", ".join(fmt(v) for v in arr.ravel()[:6])
        return f"array of shape {arr.shape}: {head}, ..."
    return text(value)


def grid(value: Any) -> str | None:
    """A matrix of two or more rows as aligned columns between tall brackets; None for anything else.

    >>> print(grid([[0, 0, 0], [34, 34, -34]]))
    ⎡ 0   0    0⎤
    ⎣34  34  -34⎦
    """
    import numpy as np

    arr = np.asarray(value) if not isinstance(value, str) else None
    if arr is None or arr.ndim != 2 or arr.shape[0] < 2 or arr.dtype.kind not in "biuf" or arr.size > 200:
        return None
    cells = [[fmt(v) for v in row] for row in arr]
    widths = [max(len(row[j]) for row in cells) for j in range(arr.shape[1])]
    lines = ["  ".join(c.rjust(w) for c, w in zip(row, widths)) for row in cells]
    n = len(lines)
    left = ["⎡"] + ["⎢"] * (n - 2) + ["⎣"]
    right = ["⎤"] + ["⎥"] * (n - 2) + ["⎦"]
    return "\n".join(f"{l}{line}{r}" for l, line, r in zip(left, lines, right))


def step_lines(step: Step) -> str:
    """A worked step for the terminal, each thing once: its formula in Unicode with the numbers, matrices as
    grids under the clause they end, and any value the formula does not already show."""
    values = dict(step.values)
    shown_inline = {name: text(v) for name, v in values.items()}
    out: list[str] = []
    for clause in [c for c in step.text.split("; ") if c] if step.text else []:
        out.append(clause)
        for name, v in values.items():
            block = grid(v)
            inline = shown_inline[name]
            if block and clause.rstrip().endswith(inline):
                out[-1] = clause.rstrip()[: -len(inline)].rstrip()
                out.append(block)
                break
    rest = [name for name, inline in shown_inline.items() if inline not in step.text]
    for name in rest:
        block = grid(values[name])
        out.append(f"{name} =" if block else f"{name} = {_short(values[name])}")
        if block:
            out.append(block)
    return "\n".join(out)


def solution(console: Console, prob: Problem, sol: Solution, show_steps: bool) -> None:
    console.print(f"[bold]{prob.qualified_id} — {escape(prob.title)}[/]")
    if show_steps:
        for i, step in enumerate(sol.steps, 1):
            console.print(Panel(Text(step_lines(step)), title=f"Step {i}. {escape(step.title)}", title_align="left"))
    table = Table(title="Answers", title_justify="left")
    table.add_column("part")
    table.add_column("answer")
    for part in prob.parts:
        table.add_row(escape(part.name), escape(_short(sol.answers.get(part.name))))
    console.print(table)

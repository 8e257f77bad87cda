"""Answer keys in Markdown with LaTeX math: every problem's statement, worked steps and answers.

The steps are the family's own ``Step``s (their ``latex`` when they have one),
so the key shows the numbers the grader compares against, for the spec's
params or one student's variant.

>>> from gradekit.catalog import load_catalog
>>> md = answer_key(load_catalog(), "ece661-hw1")
>>> md.startswith("# Answer key: ece661-hw1") and "116" in md
True
"""

from __future__ import annotations

from typing import Any

from .texfmt import tex, text


def _answer(value: Any) -> str:
    if isinstance(value, str):
        return value.replace("|", "\\|")
    try:
        return f"${tex(value)}$"
    except (TypeError, ValueError):
        return text(value).replace("|", "\\|")


def problem_key(catalog: Any, problem: Any) -> str:
    """One problem's section of the key (``problem`` already the right variant)."""
    sol = catalog.solve(problem)
    out = [f"## {problem.qualified_id}: {problem.title}", "", problem.statement, ""]
    if sol.steps:
        out += ["### Worked solution", ""]
        for i, step in enumerate(sol.steps, 1):
            out.append(f"**Step {i}. {step.title}.**")
            out.append("")
            out.append(f"$$ {step.latex} $$" if step.latex else step.text)
            out.append("")
    out += ["### Answers", "", "| part | points | answer |", "|---|---|---|"]
    for part in problem.parts:
        shown = "graded by hand" if part.kind == "manual" and part.name not in sol.answers else _answer(sol.answers.get(part.name))
        out.append(f"| `{part.name}` | {part.points:g} | {shown} |")
    return "\n".join(out) + "\n"


def answer_key(catalog: Any, assignment: str, student: str | None = None, ids: list[str] | None = None) -> str:
    """The whole worked key of ``assignment`` (or of ``ids``), for ``student``'s variant when given."""
    from .variants import variant

    a = catalog.assignment(assignment)
    problems = [catalog.resolve(i, assignment) for i in ids] if ids else list(a.problems)
    who = f" (variant of student {student})" if student else ""
    head = [f"# Answer key: {a.name}{who}", "", f"{a.title}", "",
            f"Total: {sum(p.max_score for p in problems):g} points.", ""]
    return "\n".join(head) + "\n" + "\n".join(problem_key(catalog, variant(catalog, p, student)) for p in problems)

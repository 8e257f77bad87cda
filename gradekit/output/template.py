"""Starter answers files: every part of an assignment with its expected form."""

from __future__ import annotations

import json

from gradekit.catalog.catalog import Catalog
from gradekit.core.kinds import KINDS
from gradekit.core.plain import describe_answer
from gradekit.catalog.variants import no_student_note, per_student

FORMATS = ("py", "json", "toml", "ipynb")
STUDENT_HINT = "your id as your course's Gradescope knows it (e.g. your email)"


def _rows(catalog: Catalog, assignment: str):
    for problem in catalog.problems(assignment):
        if any(KINDS[p.kind].runs_code for p in problem.parts):
            continue  # a code problem: its starter is a .py file of its own (gradekit.code.starter)
        solution = catalog.solve(problem)
        yield problem, [
            (part, describe_answer(part.kind, solution.answers.get(part.name), dict(part.options)), part.description)
            for part in problem.parts
        ]


def outline(catalog: Catalog, assignment: str) -> dict:
    """The starter as data: every part with its kind, expected form and description; ``notes`` says
    which problems draw per-student numbers (the student must be given to check them)."""
    varied = per_student(catalog.problems(assignment))
    return {
        "assignment": assignment,
        "notes": [no_student_note(varied, 'fill in "student"')] if varied else [],
        "problems": [
            {
                "id": problem.id,
                "title": problem.title,
                "parts": [{"name": p.name, "kind": p.kind, "form": form, "description": desc} for p, form, desc in parts],
            }
            for problem, parts in _rows(catalog, assignment)
        ],
    }


def template(catalog: Catalog, assignment: str, fmt: str = "py") -> str:
    """The text of a starter file; every answer is empty (None / "") until filled in."""
    meta = catalog.assignment(assignment)
    if fmt == "ipynb":
        from gradekit.intake.notebook import template_notebook

        return template_notebook(catalog, assignment)
    varied = per_student(catalog.problems(assignment))
    why = f"{', '.join(varied)}: numbers drawn per student" if varied else ""
    if fmt == "json":
        data: dict = {"assignment": assignment}
        if varied:  # JSON has no comments: the key alone; check reads it like STUDENT in a .py
            data["student"] = ""
        for problem, parts in _rows(catalog, assignment):
            data[problem.id] = {part.name: None for part, _, _ in parts}
        return json.dumps(data, indent=2) + "\n"
    if fmt == "toml":
        lines = [f"# Answers for {meta.title}", "# Fill in each value; leave a part out to skip it.", f'assignment = "{assignment}"']
        if varied:
            lines.append(f'student = ""   # {STUDENT_HINT}; {why}')
        lines.append("")
        for problem, parts in _rows(catalog, assignment):
            lines.append(f"# {problem.id}: {problem.title}")
            lines.append(f'["{problem.id}"]')
            for part, form, desc in parts:
                note = f"{form}" + (f" — {desc}" if desc else "")
                lines.append(f'# "{part.name}" = ...   # {note}')
            lines.append("")
        return "\n".join(lines)
    if fmt != "py":
        raise ValueError(f"format {fmt!r} is not one of {FORMATS}")
    lines = [
        f'"""Answers for {meta.title}.',
        "",
        "Replace each None with your answer: numbers (116, 0.25, \"1/4\"), nested lists for",
        "vectors and matrices, strings for choices, True/False. Then: gradekit check answers.py",
        '"""',
        "",
        f'ASSIGNMENT = "{assignment}"',
    ]
    if varied:
        lines.append(f'STUDENT = ""  # {STUDENT_HINT}; {why}')
    lines += ["", "ANSWERS = {"]
    for problem, parts in _rows(catalog, assignment):
        lines.append(f"    # {problem.id}: {problem.title}")
        lines.append(f"    {problem.id!r}: {{".replace("'", '"'))
        for part, form, desc in parts:
            note = form + (f" — {desc}" if desc else "")
            lines.append(f"        {json.dumps(part.name)}: None,  # {note}")
        lines.append("    },")
    lines.append("}")
    return "\n".join(lines) + "\n"

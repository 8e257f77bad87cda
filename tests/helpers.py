"""Small helpers shared by the tests."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from gradekit.core.families import get_family
from gradekit.core.records import Solution

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = ROOT / "problems"


def load_spec(qualified_id: str) -> dict[str, Any]:
    """The raw TOML of ``problems/<assignment>/<id>.toml``."""
    assignment, pid = qualified_id.split("/", 1)
    with open(PROBLEMS / assignment / f"{pid}.toml", "rb") as f:
        return tomllib.load(f)


def solve_spec(qualified_id: str) -> tuple[Any, Solution]:
    """Validate and solve one built-in spec: ``(validated params, Solution)``."""
    spec = load_spec(qualified_id)
    family = get_family(spec["family"])
    params = family.check(spec.get("params", {}))
    return params, family.solve(params)


def grade_file(folder: Path, name: str, source: str, **kw) -> tuple[Any, dict[str, Any]]:
    """Grade ``source`` saved as ``folder/name``: (report, {part name: PartResult} of its first problem)."""
    from gradekit.grading.grade import grade

    path = folder / name
    path.write_text(source)
    report = grade(path, **kw)
    return report, {p.name: p for p in report.problems[0].parts}

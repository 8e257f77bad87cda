"""``gradekit validate``: load every spec of a catalog, solve every problem and a few student variants.

>>> rows, errors = validate([Path("my-course")])     # doctest: +SKIP
>>> errors                                          # doctest: +SKIP
['my-course/hw1/q2.toml: params.W1 has shape (2, 2), but ...']
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gradekit.catalog.catalog import Catalog, assignment_folders, read_catalog
from gradekit.core.errors import GradekitError
from gradekit.core.vocab import PartKind

__all__ = ["Row", "validate", "STUDENTS"]

STUDENTS = ("1001", "1002", "1003")  # variants drawn for each problem whose spec draws per student


@dataclass(frozen=True)
class Row:
    assignment: str
    problems: int
    parts: int
    points: float
    by_hand: float
    status: str  # "ok" or "broken"


def validate(folders: list[Path] | None = None) -> tuple[list[Row], list[str]]:
    """Rows per assignment and errors as ``file: field: message``; the built-in catalog (and
    ``GRADEKIT_PROBLEMS``) when no folder is given, else only those folders."""
    catalog = read_catalog() if not folders else _only(folders)
    assignments = catalog.assignments  # every assignment's params checked: failures join broken
    errors = [str(e) for e in catalog.broken.values()]
    rows = [Row(name, 0, 0, 0.0, 0.0, "broken") for name in catalog.broken]
    for a in assignments.values():
        failed = False
        for problem in a.problems:
            failed |= not _solves(catalog, problem, errors)
        parts = [part for p in a.problems for part in p.parts]
        rows.append(Row(a.name, len(a.problems), len(parts), sum(p.points for p in parts),
                        sum(p.points for p in parts if p.kind == PartKind.MANUAL), "broken" if failed else "ok"))
    return sorted(rows, key=lambda r: r.assignment), errors


def _only(folders: list[Path]) -> Catalog:
    for folder in folders:  # a missing folder is an error of its own, named
        if not folder.exists():
            raise GradekitError(f"{folder}: no such folder")
        assignment_folders(folder)
    return read_catalog(folders[0], extra=folders[1:])


def _solves(catalog: Catalog, problem, errors: list[str]) -> bool:
    from gradekit.catalog.variants import variant

    from gradekit.catalog.spec_checks import part_errors

    try:
        catalog.solve(problem)
        catalog.mistakes(problem)
        variants = [problem]
        for student in STUDENTS:
            variants.append(variant(catalog, problem, student))
            catalog.solve(variants[-1])
        found = part_errors(catalog, problem, variants)
        errors.extend(found)
        if found:
            return False
    except GradekitError as e:
        errors.append(str(e) if str(e).startswith(problem.source) else f"{problem.source}: {e}")
        return False
    except Exception as e:  # a family that fails on these params is the spec's problem to fix
        errors.append(f"{problem.source}: solve: {type(e).__name__}: {e}")
        return False
    return True

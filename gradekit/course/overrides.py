"""Per-part overrides of a batch: a regrade request granted, a part given by hand, each with its reason.

An overrides file is a CSV with a header ``student,part,points,reason`` (``who`` for ``student``), one row a
change: the student (as grades.csv names them), the part (a column of grades.csv, ``q3.2:L``, or a part
graded by hand), the points it now has (0 to the part's points), and why (required: the student reads it).
It is merged like hand grades (``gradekit.course.manual``), after them: into the totals, grades.csv and
grades.json, the feedback (the part's line says it was changed and why) and the gradebooks.

Rows are graded and cached as the grader gave them; overrides are applied to them on every run, so a rerun
that reuses the cache keeps them, and a run given no ``--overrides`` applies the copy kept in
``OUT/overrides.csv`` by the last run that was given one.

>>> columns = {"q3.2:L": 1.0}
>>> parse_overrides("student,part,points,reason\\nada,q3.2:L,1,regrade: 116.0 is right\\n", columns, {"ada"})
[Override(student='ada', part='q3.2:L', points=1, reason='regrade: 116.0 is right')]
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gradekit.core.errors import GradekitError
from gradekit.core.records import tidy
from gradekit.course.manual import parse_score, ManualGradesError
from gradekit.course.roster import read_csv_rows

if TYPE_CHECKING:
    from gradekit.course.batch import BatchResult

__all__ = ["OVERRIDES_FILE", "Override", "OverridesError", "apply_overrides", "parse_overrides", "read_overrides"]

OVERRIDES_FILE = "overrides.csv"  # the copy kept in the output folder
MAX_OVERRIDES_BYTES = 4 * 2**20


class OverridesError(GradekitError):
    """An overrides file the run cannot take: the instructor's bad input (exit 2), one line."""


@dataclass(frozen=True)
class Override:
    student: str
    part: str
    points: float
    reason: str


def read_overrides(path: str | Path, columns: Mapping[str, float], students: Iterable[str]) -> list[Override]:
    """The overrides in ``path``, checked against the batch's parts (``columns``: part -> points) and students."""
    path = Path(path)
    return _overrides(read_csv_rows(path, MAX_OVERRIDES_BYTES, "overrides file", OverridesError), columns,
                      set(students), str(path))


def parse_overrides(text: str, columns: Mapping[str, float], students: Iterable[str],
                    shown: str = "overrides") -> list[Override]:
    return _overrides(list(csv.reader(io.StringIO(text, newline=""))), columns, set(students), shown)


def _overrides(rows: list[list[str]], columns: Mapping[str, float], students: set[str], shown: str) -> list[Override]:
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        raise OverridesError(f"{shown}: empty; it needs a header row: student,part,points,reason")
    header = [c.strip().casefold() for c in rows[0]]
    header = ["student" if h == "who" else h for h in header]
    missing = [c for c in ("student", "part", "points", "reason") if c not in header]
    if missing:
        raise OverridesError(f"{shown}: row 1: no {', '.join(missing)} column (the header must name student, part, "
                             f"points and reason)")
    at = {c: header.index(c) for c in ("student", "part", "points", "reason")}
    out: list[Override] = []
    seen: dict[tuple[str, str], int] = {}
    for number, row in enumerate(rows[1:], 2):
        cell = {c: (row[k].strip() if k < len(row) else "") for c, k in at.items()}
        where = f"{shown}: row {number}"
        if cell["student"] not in students:
            raise OverridesError(f"{where}, column 'student': {cell['student']!r} is no student of this batch")
        if cell["part"] not in columns:
            from gradekit.core.errors import did_you_mean

            raise OverridesError(f"{where}, column 'part': {cell['part']!r} is no part of this assignment"
                                 f"{did_you_mean(cell['part'], columns)}")
        if not cell["reason"]:
            raise OverridesError(f"{where}, column 'reason': empty; say why (the student reads it)")
        key = (cell["student"], cell["part"])
        if key in seen:
            raise OverridesError(f"{where}: {key[0]!r} {key[1]!r} is overridden on row {seen[key]} too")
        seen[key] = number
        try:
            points = parse_score(cell["points"], cell["part"], columns, where=where)
        except ManualGradesError as e:
            raise OverridesError(str(e)) from None
        out.append(Override(cell["student"], cell["part"], points, cell["reason"]))
    return out


def apply_overrides(result: BatchResult, overrides: list[Override]) -> None:
    """Put ``overrides`` into ``result``'s rows: each part's points, the total, the report's part (so feedback
    shows the change and its reason), and ``row["overrides"]`` (part, points, was, reason)."""
    by_student: dict[str, list[Override]] = {}
    for o in overrides:
        by_student.setdefault(o.student, []).append(o)
    for row in result.rows:
        for o in by_student.get(row["student"], []):
            manual = o.part in result.manual
            was = (row.get("manual", {}).get(o.part) if manual else row["parts"].get(o.part, 0)) or 0
            if manual:
                row["manual"] = {**row.get("manual", {}), o.part: o.points}
            else:
                row["parts"][o.part] = o.points
            if row["score"] is not None:
                row["score"] = tidy(row["score"] + o.points - was)
            row.setdefault("overrides", []).append({"part": o.part, "points": o.points, "was": tidy(was),
                                                    "reason": o.reason})
            _in_report(row.get("report"), o, was)


def _in_report(report: dict[str, Any] | None, o: Override, was: float) -> None:
    if report is None:
        return
    pid, _, part_name = o.part.partition(":")
    for prob in report["problems"]:
        if prob["id"].split("/", 1)[-1] != pid:
            continue
        for part in prob["parts"]:
            if part["name"] == part_name:
                part["score"] = o.points
                said = f"changed to {o.points:g} (was {was:g}): {o.reason}"
                part["feedback"] = f"{part['feedback']} ({said})" if part.get("feedback") else said
        prob["score"] = tidy(sum(p["score"] for p in prob["parts"]))
    report["score"] = tidy(sum(p["score"] for p in report["problems"]))

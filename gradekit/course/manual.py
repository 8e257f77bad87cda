"""Hand grades of a batch: the parts a person grades (``kind = "manual"``), in and out of a CSV a TA fills in.

Every ``gradekit grade`` run writes ``OUT/manual.csv``: a ``student`` column (and, for a Gradescope export, a
``name`` column, only for people to read) and one column per manual part, headed as grades.csv heads it
(``q1:1.1 why``), one row per student, blank where no hand grade is known yet.
A TA fills in the cells and hands the file back with ``--manual FILE.csv``: its scores go into the totals,
the feedback files, grades.csv, grades.json and gradebook.csv. Bad input (a student with no submission, a
column that is no manual part, a score that is not a number, negative or over the part's points) stops the
run before any grading, with one line naming the file, the row and the column.

A blank cell, or a student the file does not list, stays ungraded by hand (blank in grades.csv).

>>> columns = {"q1:1.1 why": 1.0}
>>> parse_score("0.5", "q1:1.1 why", columns, where="manual.csv: row 2")
0.5
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from gradekit.core.errors import GradekitError
from gradekit.core.records import tidy
from gradekit.core.untrusted import spreadsheet_cell, spreadsheet_text
from gradekit.core.vocab import PartKind, Verdict

if TYPE_CHECKING:  # batch imports this module
    from gradekit.course.batch import BatchResult
    from gradekit.core.records import Problem
    from gradekit.catalog.catalog import Catalog

MANUAL_FILE = "manual.csv"
STUDENT_COLUMN = "student"
NAME_COLUMN = "name"  # a Gradescope export's names, for the TA to read; never read back
MAX_MANUAL_BYTES = 16 * 2**20  # a class of thousands with every part filled in stays far below


class ManualGradesError(GradekitError):
    """A hand-grades file the run cannot take: the instructor's bad input (exit 2), one line."""


@dataclass(frozen=True)
class HandGrades:
    """What a filled-in manual.csv gives: student -> column -> points (only the cells filled in)."""

    source: Path
    scores: Mapping[str, Mapping[str, float]] = field(default_factory=dict)


def manual_columns(problems: Iterable[Problem]) -> dict[str, float]:
    """``"PROBLEM:PART"`` -> points of every part graded by hand, in catalog order."""
    return {f"{p.id}:{part.name}": part.points for p in problems for part in p.parts if part.kind == PartKind.MANUAL}


def read_manual(path: str | Path, columns: Mapping[str, float], students: Iterable[str],
                folder: str | Path = "the folder") -> HandGrades:
    """The hand grades in ``path``, checked against the manual ``columns`` and the ``students`` graded.

    Raises ``ManualGradesError`` naming the file, the row (the header is row 1) and the column of the
    first thing wrong; nothing is half taken.
    """
    path = Path(path)
    rows = _rows(path)
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise ManualGradesError(f"{path}: empty; it needs a header row: {STUDENT_COLUMN}, then manual parts' "
                                f"columns ({_listed(columns)})")
    header = [cell.strip() for cell in rows[0]]
    if STUDENT_COLUMN not in header:
        raise ManualGradesError(f"{path}: row 1: no {STUDENT_COLUMN!r} column (the header has "
                                f"{', '.join(repr(h) for h in header[:6])})")
    for k, name in enumerate(header):
        if name not in (STUDENT_COLUMN, NAME_COLUMN) and name not in columns:
            raise ManualGradesError(f"{path}: row 1, column {name!r}: not a part graded by hand "
                                    f"(those are: {_listed(columns)})")
        if header.index(name) != k:
            raise ManualGradesError(f"{path}: row 1, column {name!r}: given twice")
    known = set(students)
    at = header.index(STUDENT_COLUMN)
    scores: dict[str, dict[str, float]] = {}
    for number, row in enumerate(rows[1:], 2):
        if not any(cell.strip() for cell in row):
            continue  # a blank line a spreadsheet left
        where = f"{path}: row {number}"
        if len(row) > len(header):
            raise ManualGradesError(f"{where}: {len(row)} cells, but the header has {len(header)} columns")
        student = _student_id(row[at], known) if at < len(row) else ""
        if not student:
            raise ManualGradesError(f"{where}, column {STUDENT_COLUMN!r}: empty; give the student's id")
        if student not in known:
            raise ManualGradesError(f"{where}, column {STUDENT_COLUMN!r}: no submission of {student!r} in {folder}")
        if student in scores:
            raise ManualGradesError(f"{where}, column {STUDENT_COLUMN!r}: {student!r} has an earlier row too")
        scores[student] = {}
        for name, cell in zip(header, row):
            if name not in (STUDENT_COLUMN, NAME_COLUMN) and cell.strip():
                scores[student][name] = parse_score(cell, name, columns, where=where)
    return HandGrades(path, scores)


def read_hand_grades(path: str | Path, assignment: str, students: Iterable[str], folder: str | Path, *,
                     catalog: Catalog | None = None) -> HandGrades:
    """``read_manual`` against ``assignment``'s parts graded by hand and the ``students`` of ``folder``
    (``gradekit.course.batch.discover``), before anything is graded."""
    from gradekit.catalog.catalog import load_catalog

    catalog = catalog or load_catalog()
    columns = manual_columns(catalog.problems(assignment))
    if not columns:
        raise ManualGradesError(f"{path}: {assignment} has no part graded by hand (kind = \"manual\"); "
                                "there is nothing to merge")
    return read_manual(path, columns, students, folder)


def parse_score(cell: str, column: str, columns: Mapping[str, float], *, where: str) -> float:
    """One filled-in cell as points: a number from 0 to the part's points, else ``ManualGradesError``."""
    text = cell.strip()
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise ManualGradesError(f"{where}, column {column!r}: {text[:40]!r} is not a number of points")
    if value < 0:
        raise ManualGradesError(f"{where}, column {column!r}: {text!r} is negative; scores go from 0 to "
                                f"{columns[column]:g}")
    if value > columns[column] + 1e-9:
        raise ManualGradesError(f"{where}, column {column!r}: {text!r} is over the part's {columns[column]:g} "
                                f"point{'' if columns[column] == 1 else 's'}")
    return tidy(value)


def merge_manual(result: BatchResult, grades: HandGrades) -> None:
    """Put ``grades`` into ``result``: each row's ``manual`` scores, its total, and its report's manual parts
    (so feedback shows them). A grader-error row keeps no total, but its hand grades are kept."""
    for row in result.rows:
        given = dict(grades.scores.get(row["student"], {}))
        if not given:
            continue
        row["manual"] = given
        if row["score"] is not None:
            row["score"] = tidy(row["score"] + sum(given.values()))
        report = row.get("report")
        if report is None:
            continue
        for prob in report["problems"]:
            pid = prob["id"].split("/", 1)[-1]
            for part in prob["parts"]:
                col = f"{pid}:{part['name']}"
                if part["verdict"] == Verdict.MANUAL and col in given:
                    part["score"] = given[col]
                    part["feedback"] = "graded by hand"
            prob["score"] = tidy(sum(p["score"] for p in prob["parts"]))
        report["score"] = tidy(sum(p["score"] for p in report["problems"]))
    result.manual_source = grades.source


def template_text(result: BatchResult) -> str:
    """manual.csv as this run leaves it: every student, each manual part's hand grade or a blank."""
    named = any(row.get("name") for row in result.rows)  # a Gradescope export: ids are SIDs, names help
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([STUDENT_COLUMN, *([NAME_COLUMN] if named else []), *result.manual])
    for row in result.rows:
        given = row.get("manual", {})
        w.writerow([spreadsheet_cell(row["student"]), *([spreadsheet_cell(row.get("name", ""))] if named else []),
                    *(given.get(c, "") for c in result.manual)])
    return buf.getvalue()


def holds_unmerged(path: Path, merged: Mapping[str, Mapping[str, float]]) -> bool:
    """Whether ``path`` (a manual.csv) has a hand grade filled in that is not in ``merged`` (student -> column ->
    points, what this run merged): then no run overwrites it, for that grade is in no other file it writes."""
    try:
        rows = _rows(path)
    except ManualGradesError:
        return True  # unreadable to us: a person's file all the same, never overwritten
    if not rows:
        return False
    header = [cell.strip() for cell in rows[0]]
    at = header.index(STUDENT_COLUMN) if STUDENT_COLUMN in header else None  # None: whose grades is unknown
    known = set(merged)
    for row in rows[1:]:
        given = merged.get(_student_id(row[at], known), {}) if at is not None and at < len(row) else {}
        if any(name not in (STUDENT_COLUMN, NAME_COLUMN) and cell.strip() and not _same(cell, given.get(name))
               for name, cell in zip(header, row)):
            return True
    return False


def _same(cell: str, merged: float | None) -> bool:
    """Whether a filled-in cell gives the points ``merged`` (None: nothing merged there)."""
    try:
        return merged is not None and math.isclose(float(cell), merged, abs_tol=1e-9)
    except ValueError:
        return False


def _student_id(cell: str, known: set[str]) -> str:
    """The id in a ``student`` cell: exactly what ``template_text`` wrote (its neutralising quote off, any quote
    the id has kept, so 'bob is never bob), else the cell trimmed, as a TA may type it."""
    exact = spreadsheet_text(cell)
    return exact if exact in known else spreadsheet_text(cell.strip())


def _rows(path: Path) -> list[list[str]]:
    from gradekit.course.roster import read_csv_rows

    # a reason a TA writes may be long: no bound on a cell beyond the file's
    return read_csv_rows(path, MAX_MANUAL_BYTES, "hand-grades CSV", ManualGradesError, max_cell=None)


def _listed(columns: Mapping[str, float]) -> str:
    names = list(columns)
    shown = ", ".join(repr(c) for c in names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
    return shown or "none: this assignment has no part graded by hand"

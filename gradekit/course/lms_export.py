"""gradebook.csv as Canvas and Blackboard import it.

- **Canvas** (Grades > Import): the columns of Canvas's own export, ``Student, ID, SIS User ID, SIS Login ID,
  Section``, then the assignment's column, and a ``Points Possible`` row under the header. Canvas matches a row
  by ``ID`` (its user id, known from a Canvas download) or ``SIS User ID`` (the roster's ID); the column named
  as in Canvas's export (``HW 2 (123456)``: ``--lms-column``) fills that assignment, another name makes a new one.
- **Blackboard** (Grade Centre > Upload): ``Last Name, First Name, Username, Student ID``, then the column
  ``NAME [Total Pts: POINTS Score]``, or ``... |COLUMN_ID`` as Blackboard's own export heads it (``--lms-column``),
  which fills that column; Blackboard matches a row by ``Username``.

A grader-error row's score is blank (no grade is imported over the one there). Scores are totals after hand
grades, overrides and the late penalty.

>>> split_name("Ada King Lovelace"), split_name("Lovelace, Ada")
(('Lovelace', 'Ada King'), ('Lovelace', 'Ada'))
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gradekit.course.batch import BatchResult

__all__ = ["LMS_GRADEBOOKS", "lms_gradebook", "split_name"]

LMS_GRADEBOOKS = ("canvas", "blackboard")
POINTS_POSSIBLE = "    Points Possible"  # as Canvas's export writes it: the row Canvas reads the points from


def split_name(name: str) -> tuple[str, str]:
    """(last name, first names) of a display name ("First Last" or "Last, First")."""
    if "," in name:
        last, _, first = name.partition(",")
        return last.strip(), first.strip()
    words = name.split()
    return (words[-1], " ".join(words[:-1])) if words else ("", "")


def lms_gradebook(result: BatchResult, fmt: str, column: str | None = None) -> tuple[list[str], list[list[Any]]]:
    """(header, rows) of gradebook.csv for ``fmt`` ("canvas" or "blackboard")."""
    if fmt == "canvas":
        return _canvas(result, column or result.assignment)
    if fmt == "blackboard":
        return _blackboard(result, column or f"{result.assignment} [Total Pts: {result.max_score:g} Score]")
    raise ValueError(f"gradebook={fmt!r}, but only {', '.join(LMS_GRADEBOOKS)} are LMS gradebooks")


def _score(row: dict[str, Any]) -> Any:
    return "" if row["score"] is None else row["score"]


def _canvas(result: BatchResult, column: str) -> tuple[list[str], list[list[Any]]]:
    header = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", column]
    rows: list[list[Any]] = [[POINTS_POSSIBLE, "", "", "", "", f"{result.max_score:g}"]]
    for r in result.rows:
        last, first = split_name(r.get("name") or "")
        shown = f"{last}, {first}" if first else last
        canvas_id = r.get("lms_key") or ""
        rows.append([shown, canvas_id if canvas_id.isdigit() else "", r["student"], r.get("login") or "",
                     r.get("section") or "", _score(r)])
    return header, rows


def _blackboard(result: BatchResult, column: str) -> tuple[list[str], list[list[Any]]]:
    header = ["Last Name", "First Name", "Username", "Student ID", column]
    rows: list[list[Any]] = []
    for r in result.rows:
        last, first = split_name(r.get("name") or "")
        rows.append([last, first, r.get("lms_key") or r.get("login") or r["student"], r["student"], _score(r)])
    return header, rows

"""One submission of a batch and its row: what every executor (local pool, cluster) grades and hands back.

Kept apart from ``gradekit.course.batch`` so the executors (``pool``, ``cluster``) import it without
importing the batch that builds them. ``batch`` re-exports both names.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gradekit.core.vocab import PartKind, Verdict

if TYPE_CHECKING:
    from gradekit.sandbox.limits import Limits
    from gradekit.catalog.catalog import Catalog


@dataclass(frozen=True)
class Entry:
    """One student's submission, a file or a folder; ``path`` is None when the folder held nothing to grade."""

    student: str  # the identity grades are filed under (a Gradescope export: SID, else email, else submission id)
    path: Path | None
    problem: str | None = None  # why there is no path
    name: str = ""  # the name a Gradescope export or the roster gives, for people to read; it decides nothing
    email: str = ""  # the roster's
    section: str = ""  # the roster's
    login: str = ""  # the roster's (an LMS's username)
    skipped: tuple[tuple[str, str], ...] = ()  # (file, why) for every file handed in and not graded
    submitted: str = ""  # when, ISO 8601, as the LMS's file names or Gradescope's metadata give it ('' unknown)
    late_mark: bool = False  # Canvas marked it late (its download gives no time)
    lms_key: str = ""  # the LMS's own key of the student (Canvas's user id, Blackboard's username)
    source: str = ""  # what was handed in, where grading reads an assembled folder (archives, LMS files)


def graded_columns(problems: list[Any]) -> dict[str, float]:
    """The points of each column a row holds ("q3.2:L"): every part of ``problems`` not graded by hand."""
    return {f"{p.id}:{part.name}": part.points for p in problems for part in p.parts if part.kind != PartKind.MANUAL}


def zero_row(entry: Entry, error: str | None) -> dict[str, Any]:
    """A row that scores nothing (every part missed), with the reason."""
    return {"student": entry.student, "name": entry.name, "file": str(entry.path) if entry.path else None, "score": 0,
            "error": error, "grader_error": False, "parts": {}, "diagnoses": [], "report": None}


def lost_row(entry: Entry, why: str) -> dict[str, Any]:
    """The row of a submission whose grading process was lost (``why``: "died (exit code -9)"): a grader
    error, no score, graded again on the next run."""
    return {**zero_row(entry, None), "score": None, "grader_error": True,
            "error": f"grader error: its worker {why}; grade it again (gradekit check)"}


def grade_entry(entry: Entry, assignment: str, catalog: Catalog, limits: Limits | None = None) -> dict[str, Any]:
    """One row of the batch; never raises (a crash is a zero with its message)."""
    from gradekit.core.errors import GradekitError, GraderError
    from gradekit.grading.grade import grade
    from gradekit.core.records import tidy

    row = zero_row(entry, entry.problem)
    if entry.path is None:
        return row
    try:
        rep = grade(entry.path, assignment=assignment, catalog=catalog, limits=limits, student=entry.student)
    except GraderError as e:  # the grader failed, not the student: no score, the cause for the instructor
        row.update(score=None, error=f"grader error: {e}", grader_error=True)
        return row
    except GradekitError as e:
        row["error"] = str(e)
        return row
    except Exception as e:  # a grader bug on one submission must not stop the class, nor cost it points
        row.update(score=None, error=f"grader error: {type(e).__name__}: {e}", grader_error=True)
        return row
    for prob in rep.problems:
        for part in prob.parts:
            if part.verdict == Verdict.MANUAL:
                continue
            col = f"{prob.id}:{part.name}"
            row["parts"][col] = tidy(part.score)
            if part.diagnosis:
                row["diagnoses"].append((col, part.diagnosis))
    row["score"] = tidy(rep.score)
    row["report"] = rep.to_dict()
    if rep.refused:  # graded without the files it could not read: the row says which and why
        row["error"] = "; ".join(rep.refused)
    if rep.grader_errors:  # not judged whole: no total, the parts named for the instructor
        row.update(score=None, grader_error=True,
                   error=f"grader error on {', '.join(rep.grader_errors)}: grade again once fixed")
    return row

"""Canvas's and Blackboard's submission downloads: who handed in each file, when, and under what name.

Both put every student's files side by side in one folder, each named by the LMS's own convention:

- **Canvas** ("Download Submissions"): ``lastnamefirstname_USERID_SUBMISSIONID_original.py``, with
  ``_LATE`` after the name when Canvas marks the submission late
  (``smithjohn_LATE_12345_67890_task1.py``). The user id is Canvas's numeric id of the student, the one
  key of theirs the name carries (the slug is for people); the download holds each student's latest
  submission and gives no time, only the mark.
- **Blackboard** ("Download Assignment", all attempts): ``ASSIGNMENT_USERNAME_attempt_YYYY-MM-DD-HH-MM-SS_original.py``
  beside ``ASSIGNMENT_USERNAME_attempt_YYYY-MM-DD-HH-MM-SS.txt``, the attempt's receipt. The time is the
  server's local time, without a zone. A student may have several attempts: the latest counts unless
  the instructor says otherwise (``AttemptChoice``); the others' files are listed as not graded.

A folder is read as a download when every file in it is named by one convention, hidden ones aside and those
that cannot be a submission (a ``roster.csv`` kept there: neither gradable nor an archive), which a note lists.
Blackboard's username is the name's last part before ``_attempt_``: a username with ``_`` in it is not read.

>>> f = parse_canvas("smithjohn_LATE_12345_67890_task1.py")
>>> f.student, f.original, f.late, f.slug
('12345', 'task1.py', True, 'smithjohn')
>>> b = parse_blackboard("HW 2_jdoe_attempt_2026-12-01-23-59-59_answers.py")
>>> b.student, b.original, b.submitted.isoformat()
('jdoe', 'answers.py', '2026-12-01T23:59:59')
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

__all__ = ["AttemptChoice", "Lms", "LmsFile", "choose_attempts", "detect_lms", "parse_blackboard", "parse_canvas",
           "parse_name"]


class Lms(str, Enum):
    CANVAS = "canvas"
    BLACKBOARD = "blackboard"


class AttemptChoice(str, Enum):
    """Which of a student's attempts is graded: the latest (the default, as the LMS shows it) or the first."""

    LATEST = "latest"
    FIRST = "first"


@dataclass(frozen=True)
class LmsFile:
    """One file of a download, as its name gives it."""

    name: str  # the file's name in the download
    lms: Lms
    student: str  # Canvas's user id, Blackboard's username
    original: str  # the name the student gave the file ('' for Blackboard's receipt)
    slug: str = ""  # Canvas's lastnamefirstname, for people to read
    submitted: datetime | None = None  # Blackboard's attempt time (server time, no zone)
    attempt: str = ""  # the attempt, as the name writes it (Blackboard), else ''
    late: bool = False  # Canvas's late mark

    @property
    def receipt(self) -> bool:
        return self.lms == Lms.BLACKBOARD and not self.original


_CANVAS = re.compile(r"(?P<slug>[^_]+?)(?P<late>_late)?_(?P<user>\d{1,20})_(?P<sub>\d{1,20})_(?P<original>.+)",
                     re.IGNORECASE | re.DOTALL)
_BLACKBOARD = re.compile(r"(?P<assignment>.+)_(?P<user>[^_]+)_attempt_"
                         r"(?P<time>\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2})(?:_(?P<original>.+)|(?P<ext>\.[^._]+))",
                         re.DOTALL)
MAX_NAME = 1024  # characters of a file name read; longer ones are no LMS's


def parse_canvas(name: str) -> LmsFile | None:
    """A Canvas download's file name read, or None when it is not one."""
    m = _CANVAS.fullmatch(name) if len(name) <= MAX_NAME else None
    if m is None:
        return None
    return LmsFile(name, Lms.CANVAS, m["user"], m["original"], slug=m["slug"], late=bool(m["late"]))


def parse_blackboard(name: str) -> LmsFile | None:
    """A Blackboard download's file name read, or None when it is not one (or its time is no date)."""
    m = _BLACKBOARD.fullmatch(name) if len(name) <= MAX_NAME else None
    if m is None:
        return None
    try:
        when = datetime.strptime(m["time"], "%Y-%m-%d-%H-%M-%S")
    except ValueError:
        return None
    original = m["original"] or ("" if m["ext"].lower() == ".txt" else f"attempt{m['ext']}")
    return LmsFile(name, Lms.BLACKBOARD, m["user"], original, submitted=when, attempt=m["time"])


_PARSERS = {Lms.CANVAS: parse_canvas, Lms.BLACKBOARD: parse_blackboard}


def parse_name(name: str, lms: Lms) -> LmsFile | None:
    return _PARSERS[lms](name)


def detect_lms(names: Iterable[str], aside: Callable[[str], bool] = lambda name: False) -> Lms | None:
    """The LMS whose convention names every one of ``names`` (hidden names aside, and those ``aside`` says are
    no submission: a roster.csv the instructor keeps there), or None."""
    shown = [n for n in names if not n.startswith((".", "__"))]
    for lms, parse in _PARSERS.items():
        named = [n for n in shown if parse(n) is not None]
        if named and all(n in named or aside(n) for n in shown):
            return lms
    return None


def choose_attempts(files: list[LmsFile], choice: AttemptChoice = AttemptChoice.LATEST
                    ) -> tuple[list[LmsFile], list[tuple[str, str]]]:
    """One student's files: those of the attempt graded, and (name, reason) for every other attempt's file."""
    attempts = sorted({f.attempt for f in files})
    if len(attempts) <= 1:
        return files, []
    chosen = attempts[-1] if choice == AttemptChoice.LATEST else attempts[0]
    which = "the latest" if choice == AttemptChoice.LATEST else "the first"
    kept = [f for f in files if f.attempt == chosen]
    other = [(f.name, f"attempt of {f.attempt}: {which} attempt ({chosen}) is graded") for f in files
             if f.attempt != chosen]
    return kept, other

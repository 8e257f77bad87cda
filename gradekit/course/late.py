"""A late policy: so much of the points earned per day late, up to a cap, after a grace period.

The policy is written ``per-day=10%,cap=50%,grace=15m`` (``gradekit grade --due TIME --late-policy ...``):
a submission later than the due time by more than the grace loses ``per-day`` of the points it earned for
each day or part of a day after the due time, at most ``cap`` of them. The submission's time comes from the
class folder: Blackboard's file names, Gradescope's metadata (``:created_at:``). A time without a zone
(Blackboard's are the server's local time) is read in the due time's zone. Canvas's download gives no time,
only its late mark: such a row is marked late, no penalty is applied, and a note says so (give the points with
an override).

The penalty is applied last, after hand grades and overrides, and shown in feedback, grades.csv, grades.json
and the gradebooks.

>>> policy = parse_policy("per-day=10%,cap=30%,grace=15m")
>>> due = datetime(2026, 12, 1, 23, 59)
>>> [days_late(datetime(2026, 12, 2, 0, 10), due, policy), days_late(datetime(2026, 12, 3, 9, 0), due, policy)]
[0, 2]
>>> policy.fraction(5)
0.3
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from gradekit.core.errors import GradekitError
from gradekit.core.records import tidy

if TYPE_CHECKING:
    from gradekit.course.batch import BatchResult

__all__ = ["LatePolicy", "LatePolicyError", "apply_late_policy", "days_late", "parse_due", "parse_policy"]


class LatePolicyError(GradekitError):
    """A late policy or due time that cannot be read: the instructor's bad input (exit 2)."""


@dataclass(frozen=True)
class LatePolicy:
    per_day: float  # fraction of the points earned lost per day late
    cap: float = 1.0  # at most this fraction in all
    grace: timedelta = timedelta(0)

    def fraction(self, days: int) -> float:
        return round(min(self.cap, self.per_day * days), 6)


_PART = re.compile(r"\s*(per-day|cap|grace)\s*=\s*([0-9.]+)\s*(%|m|min|h|d)?\s*")
_UNITS = {"m": 60, "min": 60, "h": 3600, "d": 86400}


def parse_policy(text: str) -> LatePolicy:
    """``per-day=10%,cap=50%,grace=15m`` (grace in m, h or d) as a ``LatePolicy``; ``LatePolicyError`` otherwise."""
    got: dict[str, float] = {}
    for piece in text.split(","):
        m = _PART.fullmatch(piece)
        if m is None:
            raise LatePolicyError(f"late policy {text!r}: {piece.strip()!r} is not one of per-day=N%, cap=N%, "
                                  f"grace=N(m|h|d)")
        key, value, unit = m[1], float(m[2]), m[3]
        if key in got:
            raise LatePolicyError(f"late policy {text!r}: {key} given twice")
        if key == "grace":
            if unit not in _UNITS:
                raise LatePolicyError(f"late policy {text!r}: grace needs a unit: m, h or d (grace=15m)")
            got[key] = value * _UNITS[unit]
        else:
            if unit != "%" or value > 100:
                raise LatePolicyError(f"late policy {text!r}: {key} is a percentage from 0 to 100 ({key}=10%)")
            got[key] = value / 100
    if "per-day" not in got:
        raise LatePolicyError(f"late policy {text!r}: per-day=N% is required")
    return LatePolicy(got["per-day"], got.get("cap", 1.0), timedelta(seconds=got.get("grace", 0)))


def parse_due(text: str) -> datetime:
    """An ISO 8601 time (``2026-12-01T23:59``, a zone optional: ``2026-12-01T23:59-05:00``)."""
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise LatePolicyError(f"due time {text!r}: not an ISO 8601 time such as 2026-12-01T23:59 or "
                              f"2026-12-01T23:59-05:00") from None


def days_late(submitted: datetime, due: datetime, policy: LatePolicy) -> int:
    """Days or parts of a day after ``due``; 0 within the grace period."""
    if (submitted.tzinfo is None) != (due.tzinfo is None):  # a time without a zone is in the other's
        zone = due.tzinfo or submitted.tzinfo
        submitted, due = submitted.replace(tzinfo=submitted.tzinfo or zone), due.replace(tzinfo=due.tzinfo or zone)
    after = submitted - due
    if after <= policy.grace:
        return 0
    return math.ceil(after / timedelta(days=1))


def apply_late_policy(result: BatchResult, due: datetime, policy: LatePolicy) -> None:
    """Each row's late penalty (``row["late"]``: submitted, days, fraction, penalty), taken off its total."""
    unknown = []
    for row in result.rows:
        when = row.get("submitted")
        if not when:
            if row.get("late_mark"):
                row["late"] = {"submitted": None, "days": None, "fraction": 0, "penalty": 0,
                               "why": "marked late by the LMS, which gives no time: no penalty applied"}
                unknown.append(row["student"])
            continue
        days = days_late(datetime.fromisoformat(when), due, policy)
        fraction = policy.fraction(days)
        penalty = tidy(round((row["score"] or 0) * fraction, 4)) if row["score"] is not None else 0
        row["late"] = {"submitted": when, "days": days, "fraction": fraction, "penalty": penalty}
        if row["score"] is not None and penalty:
            row["score"] = tidy(row["score"] - penalty)
    if unknown:
        result.notes.append(f"{len(unknown)} submission{'s' if len(unknown) != 1 else ''} marked late by the LMS "
                            f"with no time ({', '.join(unknown[:10])}): no late penalty applied (Canvas's download "
                            f"gives none)")

"""The words gradekit's records are made of: verdicts, an enum of strings.

A member *is* its string (``enum.StrEnum``): ``str(v)``, an f-string and ``json.dumps`` give the bare value,
``Verdict.WRONG == "wrong"`` holds and a member hashes as its value, so reports, JSON and dict lookups read
exactly as they did when these were plain strings; a misspelt member is an ``AttributeError`` at once, where
a misspelt string was a comparison that was quietly never true.

>>> Verdict("wrong") is Verdict.WRONG, f"{Verdict.PARTIAL}", Verdict.MANUAL == "manual"
(True, 'partial', True)
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Verdict"]


class Verdict(StrEnum):
    """What a part's result says of the answer (``Outcome.verdict``, ``PartResult.verdict``, ``"verdict"`` in JSON)."""

    CORRECT = "correct"
    """Full marks: the answer is right (within the part's tolerance)."""
    PARTIAL = "partial"
    """Some of the points: a named mistake the spec gives credit for, or some of a function's checks passed."""
    WRONG = "wrong"
    """No points: the answer was read and is not right."""
    MISSING = "missing"
    """No points: nothing was given for the part (or the function is not implemented)."""
    INVALID = "invalid"
    """No points: what was given cannot be read as this kind of answer (or the module cannot be imported)."""
    MANUAL = "manual"
    """Not scored yet: a person grades the part; its points count in the total."""
    ERROR = "error"
    """The grader failed to check the part: not the student's fault, never points lost (the CLI exits 3)."""


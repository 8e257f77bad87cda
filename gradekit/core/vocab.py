"""The words gradekit's records are made of: verdicts and part kinds, each an enum of strings.

A member *is* its string (``enum.StrEnum``): ``str(v)``, an f-string and ``json.dumps`` give the bare value,
``Verdict.WRONG == "wrong"`` holds and a member hashes as its value, so reports, JSON and dict lookups read
exactly as they did when these were plain strings; a misspelt member is an ``AttributeError`` at once, where
a misspelt string was a comparison that was quietly never true.

>>> Verdict("wrong") is Verdict.WRONG, f"{Verdict.PARTIAL}", PartKind.MANUAL == "manual"
(True, 'partial', True)
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Verdict", "PartKind"]


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

class PartKind(StrEnum):
    """What a part asks for: the ``kind`` of a spec's ``[[parts]]`` (``gradekit.core.kinds.KINDS`` has one entry
    each, with its options and checker). The table is closed: a plug-in adds families, not kinds."""

    NUMBER = "number"
    """A number, with the tolerance policy."""
    VECTOR = "vector"
    """A list of numbers."""
    MATRIX = "matrix"
    """A list of rows."""
    INTEGER = "integer"
    """An exact integer (any expression equal to it)."""
    SHAPE = "shape"
    """A tensor shape such as [2, 6, 28, 28]."""
    CHOICE = "choice"
    """One of named choices (or several)."""
    BOOL = "bool"
    """True or false."""
    VERIFIED = "verified"
    """Anything with the family's property (e.g. weights realising a function)."""
    MANUAL = "manual"
    """Graded by a person; the key shows the reference."""
    EXPR = "expr"
    """A scalar formula."""
    MATRIX_EXPR = "matrix_expr"
    """A matrix-calculus formula."""
    SYMBOLIC_MATRIX = "symbolic_matrix"
    """A matrix of symbols (w_1^{11}, 0)."""
    INEQUALITY = "inequality"
    """A condition such as wᵀx_i + b ≤ 0."""
    FUNCTION = "function"
    """A callable of a module submission, judged by running the student's code."""

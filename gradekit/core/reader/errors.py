"""The one error an answer's text can raise: a message pinned to a column.

>>> str(ExprError(7, "unknown name 'W3'; declared: W1, W2, x1"))
"col 7: unknown name 'W3'; declared: W1, W2, x1"
"""

from __future__ import annotations

from gradekit.core.errors import UnreadableAnswer


class ExprError(UnreadableAnswer):
    """A refused answer: ``col`` is 1-based in the text the student wrote."""

    def __init__(self, col: int, message: str):
        super().__init__(f"col {col}: {message}")
        self.col = col
        self.message = message

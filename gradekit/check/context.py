"""What a checker is handed besides the two answers: the part, its problem, the mistakes to name."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from gradekit.core.records import Mistake, Outcome, Part, Problem
from gradekit.core.vocab import Verdict


@dataclass(frozen=True)
class CheckContext:
    part: Part
    problem: Problem | None = None
    mistakes: tuple[Mistake, ...] = ()
    answers: Mapping[str, Any] = field(default_factory=dict)  # the student's raw answers to the problem

    def credit(self, mistake_id: str) -> float:
        """Partial credit the spec grants for a diagnosed mistake (0 unless it says)."""
        return float(self.part.partial.get(mistake_id, 0.0))


Checker = Callable[[Any, Any, CheckContext], Outcome]


def diagnosed(ctx: CheckContext, mistake_id: str, message: str, fallback: str = "") -> Outcome:
    """A wrong answer that matches a named mistake, with the spec's partial credit."""
    credit = ctx.credit(mistake_id)
    text = message if not fallback else f"{message} {fallback}"
    return Outcome(credit, Verdict.PARTIAL if credit > 0 else Verdict.WRONG, text, mistake_id)

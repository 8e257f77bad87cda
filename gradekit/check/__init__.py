"""Checkers: one per part kind, each ``check(expected, raw, ctx) -> Outcome``.

A checker never recomputes the math: it gets the family's exact answer for the
part, the student's raw answer, and the context (the part's options, the
family's mistakes for this part, the student's other answers for cross-part
properties). It says where and by how much an answer is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from gradekit.core.records import Mistake, Outcome, Part, Problem


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


def checker_for(kind: str) -> Checker:
    from gradekit.check import exact
    from gradekit.check import numeric
    from gradekit.check import special
    from gradekit.check import symbolic
    from gradekit.grading.code import check_function
    from gradekit.check.relation import check_inequality
    from gradekit.check.symbolic_matrix import check_symbolic_matrix

    table: dict[str, Checker] = {
        "number": numeric.check_number,
        "vector": numeric.check_vector,
        "matrix": numeric.check_matrix,
        "integer": exact.check_integer,
        "shape": exact.check_shape,
        "choice": exact.check_choice,
        "bool": exact.check_bool,
        "verified": special.check_verified,
        "manual": special.check_manual,
        "expr": symbolic.check_expr,
        "matrix_expr": symbolic.check_matrix_expr,
        "symbolic_matrix": check_symbolic_matrix,
        "inequality": check_inequality,
        "function": check_function,
    }
    return table[kind]


def diagnosed(ctx: CheckContext, mistake_id: str, message: str, fallback: str = "") -> Outcome:
    """A wrong answer that matches a named mistake, with the spec's partial credit."""
    credit = ctx.credit(mistake_id)
    text = message if not fallback else f"{message} {fallback}"
    return Outcome(credit, "partial" if credit > 0 else "wrong", text, mistake_id)

"""``inequality`` parts: a condition such as ``wᵀx_i + b ≤ 0``, any equivalent form accepted.

Symbols are declared as for formula parts (``symbols``/``define`` options, else the family's
validated params); the family's answer is the reference inequality as text.
"""

from __future__ import annotations

from typing import Any

from gradekit.core.records import Outcome
from gradekit.core.vocab import Verdict
from gradekit.check.context import CheckContext, diagnosed
from gradekit.check.symbolic import declarations


def check_inequality(expected: Any, raw: Any, ctx: CheckContext) -> Outcome:
    from gradekit.check.expr import declare
    from gradekit.check.expr.relation import check_inequality as check

    symbols, define = declarations(ctx.part.options, ctx.problem.validated_params if ctx.problem else None)
    from gradekit.core.reader.lexer import without_math_delimiters

    text = without_math_delimiters(raw) if isinstance(raw, str) else raw
    result = check(text, str(expected), declare(symbols or {}, define or {}))
    if result.verdict == Verdict.CORRECT:
        return Outcome.correct()
    if result.verdict == Verdict.INVALID:
        return Outcome.invalid(result.message)
    if result.diagnosis:
        return diagnosed(ctx, result.diagnosis, result.message)
    return Outcome.wrong(result.message)

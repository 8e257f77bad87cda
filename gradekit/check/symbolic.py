"""Formula parts: ``expr`` (scalar formulas) and ``matrix_expr`` (matrix calculus).

The family's answer is the reference formula as text; the declared symbols
come from the part's options (``symbols = { x1 = "n×1", W1 = "m×n" }``,
``define = { x2 = "sigmoid(W1 x1 + b1)" }``) or, shared by every part of a
problem, from the family's validated params under the same keys. A refused or
shape-inconsistent answer scores zero for this part only; a diagnosed mistake
gets the spec's ``partial`` credit. Family mistakes whose answer for this part
is a formula are tried before the generic edits of the reference.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Mapping

from gradekit.core.records import Outcome
from gradekit.core.errors import UnreadableAnswer
from gradekit.core.vocab import Verdict
from gradekit.check.context import CheckContext, diagnosed
from gradekit.core.reader.lexer import without_math_delimiters
from gradekit.core.reader.sides import drop_left_side, drop_shape_note

if TYPE_CHECKING:
    from gradekit.check.expr.compare import FormulaResult  # sympy's side: imported when a formula is checked

def declarations(options: Mapping[str, Any], params: Any = None) -> tuple[Any, Any]:
    """``(symbols, define)`` for a part: its own options first, else the problem's params."""
    params = params if isinstance(params, Mapping) else {}
    symbols = options.get("symbols", params.get("symbols"))
    define = options.get("define", params.get("define", {}))
    return symbols, define


def validate_options(options: Mapping[str, Any]) -> None:
    """Raise ``ValueError`` (one line) when a part's symbols or definitions are malformed."""
    from gradekit.check.expr import declare

    symbols = options.get("symbols")
    if symbols is None:
        return
    if not isinstance(symbols, (dict, list)):
        raise ValueError(f"symbols must be a table name = \"shape\" or a list of scalar names, got {symbols!r}")
    define = options.get("define", {})
    if not isinstance(define, dict):
        raise ValueError(f"define must be a table name = \"formula\", got {define!r}")
    declare(symbols, define)


def _check(expected: Any, raw: Any, ctx: CheckContext) -> Outcome:
    from gradekit.check.expr import check_formula, declare

    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        return Outcome.invalid(f"expected a formula as text, got {type(raw).__name__}")
    if isinstance(raw, float) and not math.isfinite(raw):
        return Outcome.invalid(f"the answer is {raw}: write a formula")
    text = raw if isinstance(raw, str) else repr(raw)
    text, note = drop_shape_note(without_math_delimiters(text))
    try:
        right = drop_left_side(text, ctx.part.name)
    except UnreadableAnswer as e:
        return Outcome.invalid(str(e))
    if right != text:
        left = text[:text.index("=")].strip()
        note = "; ".join(n for n in (f"read the right-hand side of '{left[:40]} = …'", note) if n)
        text = right
    problem = ctx.problem
    symbols, define = declarations(ctx.part.options, problem.validated_params if problem else None)
    table = declare(symbols or {}, define or {})
    alternatives = [(m.id, m.message, m.answers[ctx.part.name]) for m in ctx.mistakes
                    if isinstance(m.answers.get(ctx.part.name), str)]
    # Other right answers a family lists in params["also_accept"][part] (at a kink, either one-sided derivative).
    params = problem.validated_params if problem else None
    extra = params.get("also_accept", {}).get(ctx.part.name, []) if isinstance(params, Mapping) else []
    accepted = [str(expected)] + [str(e) for e in extra]
    rtol = float(ctx.part.options.get("rtol", 1e-6))
    results = [check_formula(text, ref, table, alternatives=alternatives, rtol=rtol) for ref in accepted]
    note = "; ".join(n for n in (note, *case_notes(text, table)) if n)
    outcome = outcome_of(next((r for r in results if r.verdict == Verdict.CORRECT), results[0]), ctx)
    return replace(outcome, reading=note) if note else outcome


def outcome_of(result: FormulaResult, ctx: CheckContext) -> Outcome:
    """A formula or symbol-matrix comparison's result as an Outcome, with the spec's credit for a named mistake."""
    if result.verdict == Verdict.CORRECT:
        return Outcome.correct(result.message)
    if result.verdict == Verdict.INVALID:
        return Outcome.invalid(result.message)
    if result.diagnosis and result.diagnosis != "wrong_shape":
        return diagnosed(ctx, result.diagnosis, result.message)
    return Outcome.wrong(result.message, result.diagnosis)


def check_expr(expected: Any, raw: Any, ctx: CheckContext) -> Outcome:
    return _check(expected, raw, ctx)


def check_matrix_expr(expected: Any, raw: Any, ctx: CheckContext) -> Outcome:
    return _check(expected, raw, ctx)


def case_notes(answer: Any, table: Any) -> list[str]:
    """"read 'W_1^{11}' as w_1^{11}": each name typed in another case than the one declared, said once."""
    from gradekit.core.reader.lexer import case_readings

    texts = [answer] if isinstance(answer, str) else [x for r in answer if isinstance(r, (list, tuple))
                                                          for x in r if isinstance(x, str)] \
        if isinstance(answer, (list, tuple)) else []
    seen: dict[str, str] = {}
    declared = frozenset(table.shapes)
    for text in texts[:256]:
        if "^" not in text or text == text.lower():
            continue  # only an indexed name (w_1^{11}) is read in another case: no need to read the text again
        for typed, key in case_readings(text, declared):
            seen.setdefault(typed, table.name(key))
    if not seen:
        return []
    typed, name = next(iter(seen.items()))
    more = f" (and {len(seen) - 1} more name{'s' if len(seen) > 2 else ''} typed in another case)" if len(seen) > 1 else ""
    return [f"read '{typed}' as {name}{more}"]

"""Inequalities (``wᵀx_i + b ≤ 0``): equal when they say the same thing, whatever the form.

The answer is read by ``gradekit.core.reader.relation`` (one relation, its sides by the formula parser):
``lhs ≤ rhs`` is read as ``lhs − rhs ≤ 0`` (``≥`` as ``rhs − lhs ≤ 0``); two inequalities agree when their sides are a positive multiple of each other
on seeded random instances of the symbols and both are strict or both are not. So
``x_iᵀ w ≤ −b``, ``-b >= w^T x_i`` and ``2(wᵀx_i + b) ≤ 0`` all equal ``wᵀx_i + b ≤ 0``. A
trailing ``for all i`` / ``∀i`` / ``\\forall i`` is allowed (the statement says the condition is per i).

>>> from gradekit.core.reader.shapes import Symbols
>>> table = Symbols.declare({"w": "d×1", "x_i": "d×1", "b": "scalar"})
>>> check_inequality("-b >= x_i^T w", "wᵀ x_i + b <= 0", table).verdict
<Verdict.CORRECT: 'correct'>
>>> check_inequality("wᵀ x_i + b < 0", "wᵀ x_i + b <= 0", table).diagnosis
'strict_inequality'
"""

from __future__ import annotations

import numpy as np

from gradekit.check.expr.compare import FormulaResult
from gradekit.core.reader.errors import ExprError
from gradekit.check.expr.evaluate import EvalError, evaluate, instances
from gradekit.core.reader.nodes import Node
from gradekit.core.reader.relation import split
from gradekit.core.reader.shapes import Symbols
from gradekit.core.vocab import Verdict


def _values(node: Node, table: Symbols) -> np.ndarray:
    return np.array([float(np.reshape(evaluate(node, e), -1)[0]) for e in instances(table, 6, seed=20240603)])


def check_inequality(answer: object, reference: str, table: Symbols) -> FormulaResult:
    ref, ref_strict = split(reference, table)
    try:
        g, strict = split(answer, table)  # type: ignore[arg-type]
        got = _values(g, table)
    except ExprError as e:
        return FormulaResult(Verdict.INVALID, str(e))
    except (EvalError, KeyError, ValueError) as e:
        return FormulaResult(Verdict.INVALID, f"the answer has no value: {e}")
    want = _values(ref, table)
    if _positive_multiple(got, want):
        if strict == ref_strict:
            return FormulaResult(Verdict.CORRECT, "correct")
        return FormulaResult(Verdict.WRONG, "Right quantity, but the boundary is " + (
            "left out: equality (= 0) belongs to the condition too." if strict else "included, and it should not be."),
            "strict_inequality")
    if _positive_multiple(-got, want):
        return FormulaResult(Verdict.WRONG, "The inequality points the wrong way.", "direction_reversed")
    return FormulaResult(Verdict.WRONG,
                         "Your inequality is not equivalent to the right one on random values of the symbols.")


def _positive_multiple(got: np.ndarray, want: np.ndarray) -> bool:
    if not (np.all(np.isfinite(got)) and np.all(np.isfinite(want))):
        return False
    big = np.abs(want) > 1e-9
    if not big.any() or np.any(np.abs(got[~big]) > 1e-9):
        return False
    ratio = got[big] / want[big]
    return bool(ratio[0] > 0 and np.allclose(ratio, ratio[0], rtol=1e-9, atol=0))

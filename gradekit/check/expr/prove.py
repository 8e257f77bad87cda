"""Proving two scalar formulas equal with sympy, when that is cheap; the random instances decide otherwise.

The comparison in ``compare.py`` is numerical (seeded random instances), so a
verdict never changes between runs. For scalar formulas small enough, sympy then
tries to prove the equality exactly: activations are rewritten in terms of
``exp`` and the difference is put over one denominator (``cancel``), which decides
identities such as σ'(z) = σ(z)(1 − σ(z)) or q − p = −(p − q). Work is bounded
before sympy starts: at most ``MAX_OPS`` operations and small integer powers, so
no answer can make the proof slow; beyond that the verdict says it rests on the
random instances.

>>> from gradekit.check.expr import declare
>>> table = declare(["z"])
>>> from gradekit.check.expr.parser import parse
>>> proved_equal(parse("σ(z)(1 - σ(z))", table), parse("σ'(z)", table), table)
True
"""

from __future__ import annotations

from typing import Any

from gradekit.check.expr.nodes import Bin, Call, Mat, Neg, Node, Num, Sym, T, count
from gradekit.check.expr.shapes import Symbols, scalar_like

MAX_OPS = 60
MAX_POWER = 8


class _TooBig(Exception):
    pass


def proved_equal(a: Node, b: Node, table: Symbols) -> bool:
    """True when sympy proves ``a == b`` for scalar formulas within the bounds; False when it cannot (or may not)."""
    if not all(scalar_like(s) for s in table.shapes.values()):
        return False
    if count(a) + count(b) > MAX_OPS:
        return False
    import sympy as sp

    defs: dict[str, Any] = {}
    try:
        for name, node in table.define:
            defs[name] = _to_sympy(node, sp, defs)
        diff = _to_sympy(a, sp, defs) - _to_sympy(b, sp, defs)
        if sp.count_ops(diff) > 4 * MAX_OPS:
            return False
        return sp.cancel(sp.expand(diff.rewrite(sp.exp))) == 0
    except (_TooBig, TypeError, ValueError, ZeroDivisionError, AttributeError):
        return False


def _to_sympy(node: Node, sp: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, Num):
        return sp.Rational(repr(node.value)) if float(node.value).is_integer() or len(repr(node.value)) < 12 \
            else sp.Float(node.value)
    if isinstance(node, Sym):
        return defs.get(node.name) if node.name in defs else sp.Symbol(node.name, real=True)
    if isinstance(node, Neg):
        return -_to_sympy(node.arg, sp, defs)
    if isinstance(node, T):
        return _to_sympy(node.arg, sp, defs)
    if isinstance(node, Mat):
        raise _TooBig("a matrix")
    if isinstance(node, Call):
        args = [_to_sympy(x, sp, defs) for x in node.args]
        x = args[0]
        fns = {
            "exp": lambda: sp.exp(x), "log": lambda: sp.log(x), "tanh": lambda: sp.tanh(x),
            "sigmoid": lambda: 1 / (1 + sp.exp(-x)), "sigmoid'": lambda: sp.exp(-x) / (1 + sp.exp(-x)) ** 2,
            "tanh'": lambda: 1 - sp.tanh(x) ** 2, "log'": lambda: 1 / x, "diag": lambda: x, "sum": lambda: x,
            "max": lambda: x if len(args) == 1 else sp.Max(*args),
        }
        if node.fn not in fns:  # relu and its derivative are piecewise: left to the random instances
            raise _TooBig(node.fn)
        return fns[node.fn]()
    assert isinstance(node, Bin)
    left, right = _to_sympy(node.left, sp, defs), _to_sympy(node.right, sp, defs)
    if node.op == "+":
        return left + right
    if node.op == "-":
        return left - right
    if node.op in ("mat", "had"):
        return left * right
    if node.op == "/":
        return left / right
    if not (right.is_Integer and abs(int(right)) <= MAX_POWER):
        raise _TooBig("a power")
    return left ** right

"""Proving two scalar formulas equal with sympy, when that is cheap; the random instances decide otherwise.

The comparison in ``compare.py`` is numerical (seeded random instances), so a
verdict never changes between runs. For scalar formulas small enough, sympy then
tries to prove the equality exactly: activations are rewritten in terms of
``exp`` and the difference is put over one denominator (``cancel``), which decides
identities such as σ'(z) = σ(z)(1 − σ(z)) or q − p = −(p − q). Work is bounded
before sympy starts (at most ``MAX_OPS`` operations and small integer powers) and
while it runs: sixty characters such as ``(σ(q)+σ(p))^8 - (2-σ(-q)-σ(-p))^8`` keep
``cancel`` busy for many minutes and gigabytes, so sympy works in a forked child
under ``PROOF_BUDGET`` (CPU time and memory, see ``gradekit.core.bounded``). A proof
that does not finish gives up; the verdict then rests on the random instances, and
says so.

>>> from gradekit.check.expr import declare
>>> table = declare(["z"])
>>> from gradekit.core.reader.parser import parse
>>> proved_equal(parse("σ(z)(1 - σ(z))", table), parse("σ'(z)", table), table)
True
"""

from __future__ import annotations

import enum
from typing import Any

from gradekit.core.bounded import Budget, Ending, run_bounded
from gradekit.core.reader.nodes import Bin, Call, Mat, Neg, Node, Num, Sym, T, count
from gradekit.core.reader.shapes import Symbols, scalar_like

MAX_OPS = 60
MAX_POWER = 8
# An honest proof takes well under a second of CPU time and a few MiB.
PROOF_BUDGET = Budget(cpu_seconds=5, memory_bytes=512 * 2**20)


class Proof(str, enum.Enum):
    PROVED = "proved"
    NOT_PROVED = "not proved"  # sympy could not show it, or the formulas are not for sympy
    GAVE_UP = "gave up"  # the proof ran out of its budget


class _TooBig(Exception):
    pass


def proved_equal(a: Node, b: Node, table: Symbols) -> bool:
    """True when sympy proves ``a == b`` for scalar formulas within the bounds; False when it cannot (or may not)."""
    return prove_equal(a, b, table) is Proof.PROVED


def prove_equal(a: Node, b: Node, table: Symbols, budget: Budget = PROOF_BUDGET) -> Proof:
    """Whether sympy proves ``a == b``: PROVED, NOT_PROVED, or GAVE_UP when the proof overran ``budget``."""
    if not all(scalar_like(s) for s in table.shapes.values()):
        return Proof.NOT_PROVED
    if count(a) + count(b) > MAX_OPS:
        return Proof.NOT_PROVED
    import sympy  # noqa: F401  here, before the fork, so that each proof's child inherits it loaded

    done = run_bounded(_prove, (a, b, table), budget)
    if not done.done:
        return Proof.GAVE_UP if done.ending in (Ending.TIME, Ending.MEMORY) else Proof.NOT_PROVED
    return Proof.PROVED if done.value is True else Proof.NOT_PROVED


def _prove(a: Node, b: Node, table: Symbols) -> bool:
    """The proof itself, in the bounded child."""
    import sympy as sp

    defs: dict[str, Any] = {}
    try:
        for name, node in table.define:
            defs[name] = _to_sympy(node, sp, defs)
        diff = _to_sympy(a, sp, defs) - _to_sympy(b, sp, defs)
        if sp.count_ops(diff) > 4 * MAX_OPS:
            return False
        return bool(sp.cancel(sp.expand(diff.rewrite(sp.exp))) == 0)
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

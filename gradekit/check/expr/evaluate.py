"""Numbers for an AST: NumPy evaluation on drawn, shape-consistent instances.

An instance gives every symbolic dimension a size and every free symbol a
value, from ``np.random.default_rng(seed)``; defined symbols (``x2 :=
sigmoid(W1 x1 + b1)``) are then computed from it, so a student may write
``x2`` or spell it out. The instances always include edge points: distinct
dimensions (a missing transpose cannot hide), all dimensions equal, small
integers with zeros and negatives, and zeros/ones.

>>> from gradekit.core.reader.parser import parse
>>> table = Symbols.declare({"A": "m×n", "B": "n×k"})
>>> envs = instances(table, 3, seed=0)
>>> [evaluate(parse("(A B)ᵀ", table), e).shape == evaluate(parse("Bᵀ Aᵀ", table), e).shape for e in envs]
[True, True, True]
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from gradekit.core.reader.nodes import Bin, Call, Mat, Neg, Node, Num, Sym, T
from gradekit.core.reader.shapes import Symbols

Env = Mapping[str, np.ndarray]


class EvalError(ValueError):
    """An expression that has no value on this instance (shapes that only fit elsewhere).

    Not an ``UnreadableAnswer``: it is raised evaluating the reference and the family's mistakes as well as the
    student's answer, whose text was read; a checker decides what no value means for the answer."""


def _ew(a: np.ndarray, b: np.ndarray, op: str) -> None:
    if a.shape != b.shape and a.size != 1 and b.size != 1:
        raise EvalError(f"{op}: shapes {a.shape} and {b.shape}")


def evaluate(node: Node, env: Env) -> np.ndarray:
    """The value of ``node``: a 0-d array for a scalar, else 2-D. ``EvalError`` if shapes do not fit."""
    with np.errstate(all="ignore"):
        return _ev(node, env)


def _ev(node: Node, env: Env) -> np.ndarray:
    if isinstance(node, Num):
        return np.asarray(node.value, dtype=float)
    if isinstance(node, Sym):
        return env[node.name]
    if isinstance(node, Neg):
        return -_ev(node.arg, env)
    if isinstance(node, T):
        return _ev(node.arg, env).T
    if isinstance(node, Call):
        args = [_ev(a, env) for a in node.args]
        x = args[0]
        if node.fn in ("max", "min"):
            if len(args) == 1:
                return np.asarray(np.max(x) if node.fn == "max" else np.min(x))
            _ew(args[0], args[1], "max")
            return (np.maximum if node.fn == "max" else np.minimum)(args[0], args[1])
        if node.fn == "sum":
            return np.asarray(np.sum(x))
        if node.fn == "diag":  # diag(v) M scales the rows of M: the same as v ∘ M
            if x.ndim == 2 and 1 in x.shape:
                return np.diag(x.reshape(-1))
            if x.ndim == 0 or x.size == 1:
                return x
            raise EvalError(f"diag of a {x.shape} matrix")
        return {"sigmoid": lambda: 1.0 / (1.0 + np.exp(-x)), "exp": lambda: np.exp(x), "log": lambda: np.log(x),
                "tanh": lambda: np.tanh(x), "relu": lambda: np.maximum(x, 0.0),
                "sigmoid'": lambda: np.exp(-x) / (1.0 + np.exp(-x)) ** 2, "tanh'": lambda: 1.0 - np.tanh(x) ** 2,
                "relu'": lambda: (x > 0).astype(float), "log'": lambda: 1.0 / x,
                "sqrt": lambda: np.sqrt(x), "abs": lambda: np.abs(x), "sign": lambda: np.sign(x)}[node.fn]()
    if isinstance(node, Mat):
        rows = [[float(_ev(x, env).reshape(-1)[0]) for x in row] for row in node.rows]
        return np.asarray(rows, dtype=float)
    assert isinstance(node, Bin)
    a, b = _ev(node.left, env), _ev(node.right, env)
    if node.op == "mat":
        if a.ndim == 0 or b.ndim == 0:
            return a * b
        if a.shape[1] == b.shape[0]:
            return a @ b
        if a.size == 1 or b.size == 1:
            return a * b
        raise EvalError(f"product of shapes {a.shape} and {b.shape}")
    if node.op == "^":
        if a.ndim == 0:
            return np.power(a, b)
        if b.size != 1:
            raise EvalError("exponent is not a scalar")
        k = float(b.reshape(()))
        if a.ndim == 2 and a.shape[0] == a.shape[1] and a.shape[0] > 1:
            # a square matrix: A^2 = A A and A^{-1} its inverse, as in linear algebra (never entry by entry)
            if not k.is_integer() or abs(k) > 64:
                raise EvalError("a matrix power needs a whole exponent")
            base = np.linalg.pinv(a) if k < 0 else a
            return np.linalg.matrix_power(base, int(abs(k)))
        return np.power(a, b.reshape(()) if b.ndim else b)
    _ew(a, b, node.op)
    return {"+": np.add, "-": np.subtract, "had": np.multiply, "/": np.divide}[node.op](a, b)


def _draw_dims(dims: list[str], rng: np.random.Generator, plan: str) -> dict[str, int]:
    if plan == "equal":
        return {d: 3 for d in dims}
    if plan == "square":
        size = int(rng.integers(2, 5))
        return {d: size for d in dims}
    sizes = rng.permutation(np.arange(2, 2 + len(dims) + 2))[: len(dims)]  # distinct: no transpose can hide
    return {d: int(s) for d, s in zip(dims, sizes)}


def _draw_values(shape: tuple[int, ...], rng: np.random.Generator, plan: str) -> np.ndarray:
    if plan == "integers":
        v = rng.integers(-2, 3, size=shape).astype(float)  # zeros, ones and negatives
    elif plan == "zeros_ones":
        v = rng.choice([0.0, 1.0, -1.0], size=shape)
    else:
        v = rng.normal(0.0, 1.0, size=shape)
    return np.asarray(v, dtype=float).reshape(shape) if shape else np.asarray(float(np.reshape(v, -1)[0]))


PLANS = (("distinct", "normal"), ("distinct", "normal"), ("equal", "integers"), ("distinct", "zeros_ones"),
         ("distinct", "normal"), ("equal", "normal"))


def instances(table: Symbols, count: int = 5, seed: int = 0, square: bool = False) -> list[dict[str, np.ndarray]]:
    """``count`` environments; ``square`` gives every dimension one size (for diagnosing shape slips)."""
    rng = np.random.default_rng(seed)
    dims = table.dims()
    defined = {name for name, _ in table.define}
    out = []
    for i in range(count):
        dim_plan, value_plan = ("square", "normal") if square else PLANS[i % len(PLANS)]
        sizes = _draw_dims(dims, rng, dim_plan)
        env: dict[str, np.ndarray] = {}
        for name, shape in table.shapes.items():
            if name not in defined:
                concrete = tuple(sizes[d] if isinstance(d, str) else d for d in shape)
                env[name] = _draw_values(concrete, rng, value_plan)
        for name, node in table.define:
            env[name] = evaluate(node, env)
        out.append(env)
    return out


def same_value(got: np.ndarray, want: np.ndarray, rtol: float = 1e-6, atol: float = 1e-9) -> bool:
    """Equal shapes (1×1 counts as a scalar) and entries within tolerance of the reference's scale."""
    g = np.asarray(got, dtype=float)
    w = np.asarray(want, dtype=float)
    if g.size == 1 and w.size == 1:
        g, w = g.reshape(()), w.reshape(())
    if g.shape != w.shape:
        return False
    fg, fw = np.isfinite(g), np.isfinite(w)
    if not np.array_equal(fg, fw):
        return False
    if not np.all(fw):
        bad = ~fw
        if not np.array_equal(np.nan_to_num(g[bad], nan=0.5), np.nan_to_num(w[bad], nan=0.5)):
            return False
    if not np.any(fw):
        return True
    scale = float(np.max(np.abs(w[fw]))) if np.any(fw) else 0.0
    return bool(np.all(np.abs(g[fw] - w[fw]) <= atol + rtol * max(scale, 1e-12) + rtol * np.abs(w[fw])))

"""Is the student's formula the reference's? Shapes first, then numbers, then which mistake.

>>> table = declare({"A": "m×n", "B": "n×k"})
>>> check_formula("Bᵀ Aᵀ", "(A B)ᵀ", table).verdict
<Verdict.CORRECT: 'correct'>
>>> r = check_formula("A B", "(A B)ᵀ", table)
>>> r.verdict, r.diagnosis
(<Verdict.WRONG: 'wrong'>, 'transpose_missing')
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Mapping, Sequence

import numpy as np

from gradekit.core.reader.errors import ExprError
from gradekit.check.expr.evaluate import EvalError, evaluate, instances, same_value
from gradekit.check.expr.mutations import Mutation, mutations
from gradekit.core.reader.nodes import Node
from gradekit.core.reader.parser import parse
from gradekit.core.reader.shapes import Shape, Symbols, scalar_like, shape_of, show
from gradekit.core.vocab import Verdict

INSTANCES = 6
DIAGNOSIS_INSTANCES = 3


@dataclass(frozen=True)
class FormulaResult:
    verdict: Verdict  # CORRECT, WRONG or INVALID
    message: str
    diagnosis: str | None = None


def declare(symbols: Mapping[str, str] | Sequence[str], define: Mapping[str, str] | None = None) -> Symbols:
    """A symbol table from a spec's ``symbols`` (name -> shape; a list means scalars) and ``define``."""
    return _declare(json.dumps(_as_dict(symbols), sort_keys=True), json.dumps(dict(define or {})))


def _as_dict(symbols: Mapping[str, str] | Sequence[str]) -> dict[str, str]:
    if isinstance(symbols, Mapping):
        return {str(k): str(v) for k, v in symbols.items()}
    return {str(k): "scalar" for k in symbols}


@lru_cache(maxsize=64)
def _declare(symbols_json: str, define_json: str) -> Symbols:
    symbols, define = json.loads(symbols_json), json.loads(define_json)
    base = Symbols.declare(symbols)
    shapes = dict(base.shapes)
    display = dict(base.display)
    defs: list[tuple[str, Node]] = []
    for name, text in define.items():
        table = Symbols(shapes, display, tuple(defs))
        key = next((k for k, v in display.items() if v == name), None) or _canon(name)
        try:
            node = parse(str(text), table)
        except ExprError as e:
            raise ValueError(f"define.{name} = {text!r}: {e}") from None
        shape = shape_of(node, table)
        if key in shapes and shapes[key] != shape and not (scalar_like(shapes[key]) and scalar_like(shape)):
            raise ValueError(f"define.{name} has shape {show(shape)}, but symbols declares {show(shapes[key])}")
        shapes.setdefault(key, shape)
        display.setdefault(key, name)
        defs.append((key, node))
    return Symbols(shapes, display, tuple(defs))


def _canon(name: str) -> str:
    from gradekit.core.reader.shapes import canonical

    return canonical(name)


@lru_cache(maxsize=256)
def _reference(text: str, table: Symbols) -> tuple[Node, Shape, tuple[Mutation, ...]]:
    node = parse(text, table)
    return node, shape_of(node, table), tuple(mutations(node, table))


@lru_cache(maxsize=64)
def _instances(table: Symbols, square: bool) -> list[dict[str, np.ndarray]]:
    return instances(table, DIAGNOSIS_INSTANCES if square else INSTANCES, seed=20240601 + square, square=square)


def _values(node: Node, envs: list[dict[str, np.ndarray]]) -> list[np.ndarray] | None:
    try:
        return [evaluate(node, e) for e in envs]
    except (EvalError, KeyError):
        return None


def _agree(a: list[np.ndarray] | None, b: list[np.ndarray] | None, rtol: float) -> bool:
    return a is not None and b is not None and all(same_value(x, y, rtol) for x, y in zip(a, b))


def _same_shape(a: Shape, b: Shape) -> bool:
    return a == b or (scalar_like(a) and scalar_like(b))


def check_formula(
    answer: Any,
    reference: str,
    table: Symbols,
    *,
    alternatives: Sequence[tuple[str, str, str]] = (),
    rtol: float = 1e-6,
) -> FormulaResult:
    """Judge ``answer`` against ``reference`` (both texts); ``alternatives`` are a family's (id, message, formula) mistakes."""
    ref, ref_shape, muts = _reference(reference, table)
    try:
        student = parse(answer, table, check_shapes=False)
    except ExprError as e:
        return FormulaResult(Verdict.INVALID, str(e))
    shape_error: str | None = None
    try:
        shape = shape_of(student, table, answer)
    except ExprError as e:
        shape_error, shape = str(e), None
    if shape is not None and _same_shape(shape, ref_shape):
        envs = _instances(table, False)
        got, want = _values(student, envs), _values(ref, envs)
        if _agree(got, want, rtol):
            from gradekit.check.expr.prove import PROOF_BUDGET, Proof, prove_equal

            proof = prove_equal(student, ref, table) if scalar_like(ref_shape) else Proof.NOT_PROVED
            if proof is Proof.PROVED:
                return FormulaResult(Verdict.CORRECT, "correct (proved equal to the reference by sympy)")
            gave_up = (f"; sympy's proof did not finish within its bound of {PROOF_BUDGET.cpu_seconds:g} s "
                       f"of CPU time" if proof is Proof.GAVE_UP else "")
            return FormulaResult(Verdict.CORRECT, f"correct (equal to the reference on {len(envs)} random instances "
                                            f"of the symbols{gave_up})")
    found = _diagnose(student, shape is not None, muts, alternatives, table, rtol)
    if shape_error is not None:
        if found:
            return FormulaResult(Verdict.WRONG, f"{_cap(found.message)} ({shape_error})", found.id)
        return FormulaResult(Verdict.INVALID, shape_error)
    if found:
        return FormulaResult(Verdict.WRONG, _cap(found.message), found.id)
    assert shape is not None  # shape_error is None: the shape was found
    if not _same_shape(shape, ref_shape):
        return FormulaResult(Verdict.WRONG,
                             f"Your answer is {show(shape)}, but the right one is {show(ref_shape)}.", "wrong_shape")
    return FormulaResult(Verdict.WRONG, _where(student, ref, table, rtol))


def _diagnose(student: Node, typed: bool, muts: Sequence[Mutation], alternatives, table: Symbols, rtol: float):
    """The first mistake whose value equals the student's: on the usual instances when the answer
    type-checks, else on instances where every dimension is one size (so W2 for W2ᵀ can be named)."""
    envs = _instances(table, not typed)
    got = _values(student, envs)
    if got is None:
        return None
    candidates = list(muts)
    for mid, message, text in alternatives:
        try:
            candidates.insert(0, Mutation(mid, message, parse(text, table)))
        except ExprError:
            continue
    for m in candidates:
        if _agree(got, _values(m.node, envs), rtol):
            return m
    return None


def _where(student: Node, ref: Node, table: Symbols, rtol: float) -> str:
    envs = _instances(table, False)
    got, want = _values(student, envs) or [], _values(ref, envs) or []
    differ = sum(not same_value(a, b, rtol) for a, b in zip(got, want))
    no_value = _no_real_value(got, want)
    if no_value:
        return no_value
    return (f"Your formula differs from the right one on {differ} of {len(envs)} random instances of the symbols; "
            "no typical mistake matches it.")


def _no_real_value(got: list[np.ndarray], want: list[np.ndarray]) -> str | None:
    """Why the formula has no value where the right one has: a division by zero (±inf) or no real number
    (nan: the log or a fractional power of a negative number); None when it has a value everywhere."""
    nan = inf = 0
    for g, w in zip(got, want):
        g, w = np.asarray(g, dtype=float), np.asarray(w, dtype=float)
        if g.shape != w.shape and g.size != 1:
            continue
        fine = np.broadcast_to(np.isfinite(w), g.shape) if g.size != 1 else np.all(np.isfinite(w))
        nan += bool(np.any(np.isnan(g) & fine))
        inf += bool(np.any(np.isinf(g) & fine))
    if not (nan or inf):
        return None
    why = []
    if inf:
        why.append(f"a division by zero (or the log of 0) on {inf} of {len(got)} random instances of the symbols")
    if nan:
        why.append(f"not a real number on {nan} of {len(got)} (the log or a fractional power of a negative "
                   f"value, or 0/0)")
    return "Your formula has no value where the right one has: " + "; ".join(why) + "."


def _cap(message: str) -> str:
    return message[0].upper() + message[1:] if message[:1].isascii() else message

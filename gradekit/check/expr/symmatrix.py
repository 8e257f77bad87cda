"""Matrices whose entries are symbols (``w_1^{11}``, ``0``): checked entry by entry, numerically.

A student writes the matrix as a list of rows (``[["w_1^{11}", "w_2^{11}", 0], ...]``), a LaTeX
``bmatrix``, or a formula in declared matrices (``Aᵀ`` when the part defines ``A``). Every entry
is parsed by gradekit's own parser (no sympy, no eval); the student's matrix and the reference are
evaluated on a few seeded random values of the symbols, and an entry is right when it agrees on
every instance. A wrong matrix is named by the family mistake (or the transpose) it equals.

>>> table = Symbols.declare({"a": "scalar", "b": "scalar"})
>>> check_symbol_matrix([["a", "0"], ["b", "a"]], [["a", 0], ["b", "a"]], table).verdict
'correct'
>>> check_symbol_matrix([["a", "b"], ["0", "a"]], [["a", 0], ["b", "a"]], table).diagnosis
'transposed'
>>> check_symbol_matrix([["a", "b"], ["b", "a"]], [["a", 0], ["b", "a"]], table).message
'Row 1, column 2: your entry b is not right; 1 of 4 entries are wrong.'
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from typing import Any, Sequence

import numpy as np

from gradekit.check.expr.compare import FormulaResult
from gradekit.check.expr.errors import ExprError
from gradekit.check.expr.evaluate import EvalError, evaluate, instances
from gradekit.check.expr.lexer import MAX_CHARS
from gradekit.check.expr.nodes import Mat, Node, Num, to_text
from gradekit.check.expr.parser import parse
from gradekit.check.expr.shapes import Symbols, scalar_like, shape_of, show

MAX_SIDE = 32  # rows and columns: the catalog's largest symbol matrix is 8×4
MAX_ENTRIES = 256
INSTANCES = 4


def _entry(value: Any, table: Symbols, where: str) -> Node:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ExprError(1, f"{where}: expected a formula or a number, got {type(value).__name__}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ExprError(1, f"{where}: {value} is not a finite number")
    if not isinstance(value, str):
        return Num(float(value))
    try:
        node = parse(value, table)
    except ExprError as e:
        raise ExprError(e.col, f"{where}: {e.message}") from None
    if not scalar_like(shape_of(node, table)):
        raise ExprError(1, f"{where}: {value.strip()} is {show(shape_of(node, table))}; entries must be scalars")
    return node


def to_node(answer: Any, table: Symbols) -> Node:
    """The answer as one AST (a ``Mat`` for a list of rows); ``ExprError`` with the row and column when refused."""
    if isinstance(answer, str):
        return parse(answer, table)
    if not isinstance(answer, (list, tuple)) or not answer:
        raise ExprError(1, f"expected a matrix as a list of rows or a LaTeX bmatrix, got {type(answer).__name__ if answer != [] else 'an empty list'}")
    if len(answer) > MAX_SIDE:
        raise ExprError(1, f"the matrix has {len(answer)} rows; the limit is {MAX_SIDE}")
    if not all(isinstance(r, (list, tuple)) for r in answer):
        raise ExprError(1, "a matrix is a list of rows, each a list of entries (e.g. [[\"a\", 0], [0, \"a\"]])")
    widths = [len(r) for r in answer]
    if max(widths) > MAX_SIDE or sum(widths) > MAX_ENTRIES:
        raise ExprError(1, f"the matrix has {sum(widths)} entries in rows of up to {max(widths)}; the limits are {MAX_ENTRIES} entries, {MAX_SIDE} a side")
    if len(set(widths)) != 1 or widths[0] == 0:
        raise ExprError(1, f"the rows of the matrix have {', '.join(map(str, widths))} entries; they must be equal and non-empty")
    if sum(len(x) for r in answer for x in r if isinstance(x, str)) > 4 * MAX_CHARS:
        raise ExprError(1, f"the matrix is longer than {4 * MAX_CHARS} characters in all")
    rows = tuple(tuple(_entry(x, table, f"row {i + 1}, column {j + 1}") for j, x in enumerate(r)) for i, r in enumerate(answer))
    return Mat(rows)


@lru_cache(maxsize=64)
def _reference(reference_json: str, table: Symbols) -> tuple[Node, tuple[int, int], tuple[np.ndarray, ...]]:
    node = to_node(json.loads(reference_json), table)
    return node, shape_of(node, table), tuple(_values(node, table))


@lru_cache(maxsize=16)
def _envs(table: Symbols) -> list[dict[str, np.ndarray]]:
    return instances(table, INSTANCES, seed=20240602)


def _values(node: Node, table: Symbols) -> list[np.ndarray]:
    return [np.atleast_2d(evaluate(node, env)) for env in _envs(table)]


def _agree(got: Sequence[np.ndarray], want: Sequence[np.ndarray], rtol: float) -> np.ndarray | None:
    """Entry-wise: True where every instance agrees; None when the shapes differ."""
    if not got or got[0].shape != want[0].shape:
        return None
    ok = np.ones(want[0].shape, dtype=bool)
    for g, w in zip(got, want):
        ok &= np.abs(g - w) <= 1e-9 + rtol * np.maximum(np.abs(w), 1.0)
    return ok


def check_symbol_matrix(answer: Any, reference: Any, table: Symbols, *,
                        alternatives: Sequence[tuple[str, str, Any]] = (), rtol: float = 1e-9) -> FormulaResult:
    """Judge ``answer`` against ``reference`` (a list of rows); ``alternatives`` are (id, message, matrix) mistakes."""
    ref, ref_shape, want = _reference(json.dumps(reference), table)
    try:
        student = to_node(answer, table)
        shape = shape_of(student, table, answer if isinstance(answer, str) else None)
        got = _values(student, table)
    except ExprError as e:
        return FormulaResult("invalid", str(e))
    except (EvalError, KeyError) as e:
        return FormulaResult("invalid", f"the answer has no value: {e}")
    ok = _agree(got, want, rtol)
    if ok is not None and ok.all():
        return FormulaResult("correct", "correct")
    for mid, message, alt in alternatives:
        try:
            alt_ok = _agree(got, list(_reference(json.dumps(alt), table)[2]), rtol)
        except ExprError:
            continue
        if alt_ok is not None and alt_ok.all():
            return FormulaResult("wrong", _cap(message), mid)
    flipped = _agree([g.T for g in got], want, rtol)
    if flipped is not None and flipped.all():
        return FormulaResult("wrong", "Your matrix is the transpose of the right one: rows and columns are swapped.", "transposed")
    if ok is None:
        return FormulaResult("wrong", f"Your matrix is {show(shape)}, but the right one is {show(ref_shape)}.", "wrong_shape")
    i, j = (int(v) for v in np.argwhere(~ok)[0])
    mine = f"your entry {to_text(student.rows[i][j], table.name)}" if isinstance(student, Mat) else "your entry"
    return FormulaResult("wrong", f"Row {i + 1}, column {j + 1}: {mine} is not right; "
                                  f"{int((~ok).sum())} of {ok.size} entries are wrong.")


def _cap(message: str) -> str:
    return message[:1].upper() + message[1:]

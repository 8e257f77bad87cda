"""Matrices whose entries are symbols (``w_1^{11}``, ``0``): checked entry by entry, numerically.

A student writes the matrix as a list of rows (``[["w_1^{11}", "w_2^{11}", 0], ...]``), the same list
typed as text (``"[[0, 1, 2], [x, y, z]]"``, read by ``rows_of_text``), a LaTeX ``bmatrix``, or a
formula in declared matrices (``Aᵀ`` when the part defines ``A``). Every entry
is parsed by gradekit's own parser (no sympy, no eval); the student's matrix and the reference are
evaluated on a few seeded random values of the symbols, and an entry is right when it agrees on
every instance. A wrong matrix is named by the family mistake (or the transpose) it equals.

>>> table = Symbols.declare({"a": "scalar", "b": "scalar"})
>>> check_symbol_matrix([["a", "0"], ["b", "a"]], [["a", 0], ["b", "a"]], table).verdict
<Verdict.CORRECT: 'correct'>
>>> check_symbol_matrix([["a", "b"], ["0", "a"]], [["a", 0], ["b", "a"]], table).diagnosis
'transposed'
>>> check_symbol_matrix([["a", "b"], ["b", "a"]], [["a", 0], ["b", "a"]], table).message
'Row 1, column 2: your entry b is not right; 1 of 4 entries are wrong.'
"""

from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from typing import Any, Sequence

import numpy as np

from gradekit.check.expr.compare import FormulaResult
from gradekit.core.reader.errors import ExprError
from gradekit.check.expr.evaluate import EvalError, evaluate, instances
from gradekit.core.reader import bounds
from gradekit.core.reader.lexer import MAX_CHARS
from gradekit.core.reader.nodes import Mat, Node, Num, to_text
from gradekit.core.reader.parser import parse
from gradekit.core.reader.shapes import Symbols, scalar_like, shape_of, show
from gradekit.core.vocab import Verdict

MAX_SIDE = bounds.SYMBOL_MATRIX_SIDE  # rows and columns: the catalog's largest symbol matrix is 8×4
MAX_ENTRIES = bounds.SYMBOL_MATRIX_ENTRIES
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


_ROWS_TEXT = re.compile(r"\s*\[\s*\[")
_PAIRS = {"(": ")", "[": "]", "{": "}"}


def rows_of_text(text: str) -> list[list[str]] | None:
    """``"[[0, 1, 2], [x, y, z]]"`` as ``[["0", "1", "2"], ["x", "y", "z"]]``; None for text that is not a list of rows.

    Commas split entries only outside brackets, so ``max(a, b)`` and ``x_{a,b}`` stay one entry; quotes around an
    entry (a pasted Python list) are dropped. A text that opens as a list of rows but does not close as one is
    refused with the character where it goes wrong, never parsed as a formula.
    """
    if not isinstance(text, str) or not _ROWS_TEXT.match(text) or len(text) > 4 * MAX_CHARS:
        return None
    items, end = _list_at(text, text.index("["), depth=0)
    if text[end:].strip():
        raise ExprError(end + 1, f"unexpected {text[end:].strip()[:10]!r} after the matrix's closing ']'")
    if not all(isinstance(r, list) for r in items):
        raise ExprError(1, "a matrix typed as text is a list of rows, each in brackets: [[0, 1, 2], [x, y, z]]")
    return items


def _list_at(text: str, start: int, depth: int) -> tuple[list[Any], int]:
    """The list that opens at ``text[start] == "["``: rows (depth 0) or entries (depth 1); and where it ends."""
    items: list[Any] = []
    i = start + 1
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            raise _left_open(text)
        if depth == 0 and text[i] == "[":
            row, i = _list_at(text, i, 1)
            items.append(row)
        else:
            entry, i = _entry_text(text, i)
            if not entry:
                raise ExprError(i + 1, "an empty entry")
            items.append(entry)
        while i < len(text) and text[i].isspace():
            i += 1
        if i < len(text) and text[i] == ",":
            i += 1
            continue
        if i < len(text) and text[i] == "]":
            return items, i + 1
        if i >= len(text):
            raise _left_open(text)
        if text[i] == "[":
            raise ExprError(i + 1, "expected ',' between the rows, found '['")
        raise ExprError(i + 1, f"expected ',' or ']', found {text[i]!r}")


def _left_open(text: str) -> ExprError:
    """The brackets still open at the end of ``text``, counted and placed, as the formula parser says it."""
    opened: list[int] = []
    for i, ch in enumerate(text):
        if ch in _PAIRS:
            opened.append(i)
        elif ch in _PAIRS.values() and opened:
            opened.pop()
    where = [f"{text[i]!r} at col {i + 1}" for i in opened] or ["'['"]
    n = len(where)
    listed = where[0] + " is never closed" if n == 1 else ", ".join(where[:-1]) + " and " + where[-1]
    return ExprError(opened[0] + 1 if opened else 1, f"{n} bracket{'s' if n > 1 else ''} left open: {listed}")


def _entry_text(text: str, i: int) -> tuple[str, int]:
    """One entry, up to a comma or ']' outside brackets: (the entry without quotes, where it ends)."""
    start, opened = i, []  # (bracket, where) still open inside the entry
    while i < len(text):
        ch = text[i]
        if ch in _PAIRS:
            opened.append((ch, i))
        elif opened and ch in _PAIRS.values():
            left, at = opened.pop()
            if _PAIRS[left] != ch:
                raise ExprError(i + 1, f"{ch!r} does not match {left!r} at col {at + 1}")
        elif not opened and ch in ",]":
            break
        i += 1
    entry = text[start:i].strip()
    if len(entry) >= 2 and entry[0] == entry[-1] and entry[0] in "'\"":
        entry = entry[1:-1]
    return entry, i


def to_node(answer: Any, table: Symbols) -> Node:
    """The answer as one AST (a ``Mat`` for a list of rows); ``ExprError`` with the row and column when refused."""
    if isinstance(answer, str):
        text_rows = rows_of_text(answer)
        if text_rows is None:
            return parse(answer, table)
        answer = text_rows
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
        return FormulaResult(Verdict.INVALID, str(e))
    except (EvalError, KeyError) as e:
        return FormulaResult(Verdict.INVALID, f"the answer has no value: {e}")
    ok = _agree(got, want, rtol)
    if ok is not None and ok.all():
        return FormulaResult(Verdict.CORRECT, "correct")
    for mid, message, alt in alternatives:
        try:
            alt_ok = _agree(got, list(_reference(json.dumps(alt), table)[2]), rtol)
        except ExprError:
            continue
        if alt_ok is not None and alt_ok.all():
            return FormulaResult(Verdict.WRONG, _cap(message), mid)
    flipped = _agree([g.T for g in got], want, rtol)
    if flipped is not None and flipped.all():
        return FormulaResult(Verdict.WRONG,
                             "Your matrix is the transpose of the right one: rows and columns are swapped.", "transposed")
    if ok is None:
        return FormulaResult(Verdict.WRONG,
                             f"Your matrix is {show(shape)}, but the right one is {show(ref_shape)}.", "wrong_shape")
    i, j = (int(v) for v in np.argwhere(~ok)[0])
    mine = f"your entry {to_text(student.rows[i][j], table.name)}" if isinstance(student, Mat) else "your entry"
    return FormulaResult(Verdict.WRONG, f"Row {i + 1}, column {j + 1}: {mine} is not right; "
                                  f"{int((~ok).sum())} of {ok.size} entries are wrong.")


def _cap(message: str) -> str:
    return message[:1].upper() + message[1:]

"""Numbers, vectors and matrices as short text and as LaTeX, for worked steps.

>>> tex([[1, 0.5], [0, -2]])
'\\\\begin{bmatrix} 1 & 0.5 \\\\\\\\ 0 & -2 \\\\end{bmatrix}'
>>> fmt(0.1166666666)
'0.116667'
"""

from __future__ import annotations

from typing import Any

import numpy as np


def fmt(x: Any, digits: int = 6) -> str:
    """A number as a person writes it: integers without '.0', else ``digits`` significant."""
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    x = float(x)
    if x == 0:
        return "0"
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.{digits}g}"


def position(index: tuple[int, ...]) -> str:
    """Where an entry is, counted from 1 as a student reads a matrix (one way for every message).

    >>> position((1, 0)), position((2,)), position((0, 1, 2)), position(())
    ('row 2, column 1', 'entry 3', 'entry (1, 2, 3)', 'the answer')
    """
    if not index:
        return "the answer"
    if len(index) == 1:
        return f"entry {index[0] + 1}"
    if len(index) == 2:
        return f"row {index[0] + 1}, column {index[1] + 1}"
    return "entry (" + ", ".join(str(i + 1) for i in index) + ")"


def text(value: Any, digits: int = 6) -> str:
    """Plain text: ``[[1, 2], [3, 4]]`` style for arrays."""
    if isinstance(value, str):
        return value
    arr = np.asarray(value)
    if arr.dtype.kind in "fiub" and arr.ndim > 0:
        return _nested(arr, lambda v: fmt(v, digits))
    if arr.dtype.kind in "fiub":
        return fmt(arr.item(), digits)
    return str(value)


def _nested(arr: np.ndarray, f) -> str:
    if arr.ndim == 1:
        return "[" + ", ".join(f(v) for v in arr) + "]"
    return "[" + ", ".join(_nested(row, f) for row in arr) + "]"


def tex(value: Any, digits: int = 6) -> str:
    """LaTeX: scalars as numbers, vectors as column ``bmatrix``, matrices as ``bmatrix``."""
    arr = np.asarray(value)
    if arr.ndim == 0:
        return fmt(arr.item(), digits) if arr.dtype.kind in "fiub" else str(value)
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    rows = [" & ".join(fmt(v, digits) for v in row) for row in arr]
    return r"\begin{bmatrix} " + r" \\ ".join(rows) + r" \end{bmatrix}"

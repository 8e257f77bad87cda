"""Reading a student's raw answer as numbers, keeping the digits they wrote.

Raw answers are plain data: numbers arrive as text ("0.8808", "1/2",
"-0.0116", "1e-3"), ints as ints, matrices as nested lists, as a bracketed
string ("[[1, 2], [3, 4]]") or as LaTeX (``\\begin{bmatrix} 1 & 2 \\\\ 3 & 4 \\end{bmatrix}``).
Each entry keeps how many decimals and significant digits the student wrote,
so "0.8808" can be judged against the reference rounded to four decimals.

>>> n = parse_numeric("0.8808")
>>> float(n.values), int(n.decimals), int(n.significant)
(0.8808, 4, 4)
>>> parse_array([["1/2", 2], [3, "-4"]]).tolist()
[[0.5, 2.0], [3.0, -4.0]]
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

MAX_ENTRIES = 100_000  # bigger answers are refused, not parsed
MAX_TEXT = 200_000


class AnswerFormatError(ValueError):
    """A raw answer that is not a number, vector or matrix; the message is one line."""


@dataclass(frozen=True)
class Numeric:
    """Parsed numbers with, per entry, the decimals and significant digits written.

    ``significant`` (and ``decimals``) is -1 where the student gave an exact value (an int, a fraction),
    so no rounding rule applies there.
    """

    values: np.ndarray
    decimals: np.ndarray
    significant: np.ndarray


_DECIMAL = re.compile(r"^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$")
_FRACTION = re.compile(r"^([+-]?\d+)\s*/\s*([+-]?\d+)$")
_TEX_FRAC = re.compile(r"^([+-]?)\\[dt]?frac\s*\{\s*([+-]?\d+)\s*\}\s*\{\s*([+-]?\d+)\s*\}$")
_MINUS = str.maketrans({"\u2212": "-", "\u2013": "-", "\u00a0": " "})


def parse_number_text(text: str) -> tuple[float, int, int]:
    """``(value, decimals, significant)`` of one number written as text.

    >>> parse_number_text("-0.0116")
    (-0.0116, 4, 3)
    >>> parse_number_text("1/2")
    (0.5, -1, -1)
    """
    s = text.translate(_MINUS).strip().replace(" ", "")
    if s.startswith("$") and s.endswith("$") and len(s) > 1:
        s = s.strip("$")
    low = s.lower()
    if low in {"nan", "+nan", "-nan"}:
        return math.nan, -1, -1
    if low in {"inf", "+inf", "infinity", "+infinity", r"\infty"}:
        return math.inf, -1, -1
    if low in {"-inf", "-infinity", r"-\infty"}:
        return -math.inf, -1, -1
    m = _DECIMAL.match(s)
    if m and (m.group(2) or m.group(3)):
        sign, whole, frac, exp = m.groups()
        value = float(s)
        if frac is None and exp is None:
            return value, -1, -1  # an integer written as text is exact
        frac = frac or ""
        exponent = int(exp or 0)
        digits = (whole + frac).lstrip("0")
        significant = len(digits) if digits else len(frac)
        return value, len(frac) - exponent, significant
    m = _FRACTION.match(s) or None
    if m:
        num, den = int(m.group(1)), int(m.group(2))
        if den == 0:
            raise AnswerFormatError(f"{text!r} divides by zero")
        return float(Fraction(num, den)), -1, -1
    m = _TEX_FRAC.match(s)
    if m:
        num, den = int(m.group(2)), int(m.group(3))
        if den == 0:
            raise AnswerFormatError(f"{text!r} divides by zero")
        value = float(Fraction(num, den))
        return (-value if m.group(1) == "-" else value), -1, -1
    shown = text if len(text) <= 40 else text[:37] + "..."
    raise AnswerFormatError(f"{shown!r} is not a number (write e.g. 0.25, 1/4 or 2.5e-1)")


def _scalar(raw: Any) -> tuple[float, int, int]:
    if isinstance(raw, bool):
        raise AnswerFormatError(f"{raw!r} is a truth value, not a number")
    if isinstance(raw, (int, np.integer)):
        return float(raw), -1, -1
    if isinstance(raw, (float, np.floating)):
        # A float that lost its text (an in-process caller): judge it by value only.
        return float(raw), -1, -1
    if isinstance(raw, str):
        return parse_number_text(raw)
    if isinstance(raw, Fraction):
        return float(raw), -1, -1
    raise AnswerFormatError(f"{type(raw).__name__} {raw!r} is not a number")


def _structure(raw: Any) -> Any:
    """Turn bracketed or LaTeX matrix text into nested lists; leave other values alone."""
    if isinstance(raw, np.ndarray):
        if raw.dtype.kind not in "biuf":
            raise AnswerFormatError(f"an array of {raw.dtype} is not numeric")
        return raw.tolist()
    if not isinstance(raw, str):
        return raw
    if len(raw) > MAX_TEXT:
        raise AnswerFormatError(f"the answer is {len(raw)} characters long; at most {MAX_TEXT} are read")
    s = raw.strip()
    if s.startswith("[") or s.startswith("("):
        return _bracketed(s)
    if r"\begin" in s:
        return _latex_matrix(s)
    return raw


_TOKEN = re.compile(r"\s*(\[|\]|\(|\)|,|;|[^\[\](),;\s]+)")


def _bracketed(s: str) -> Any:
    """Nested lists from '[[1, 2], [3, 4]]' (also '(1, 2)'; ';' separates rows), without eval."""
    tokens = _TOKEN.findall(s)
    if "".join(tokens).replace(" ", "") != s.replace(" ", "").replace("\t", "").replace("\n", ""):
        raise AnswerFormatError(f"cannot read {s[:40]!r} as a list of numbers")
    pos = 0

    def parse() -> Any:
        nonlocal pos
        tok = tokens[pos]
        if tok in "[(":
            close = "]" if tok == "[" else ")"
            pos += 1
            items: list[Any] = []
            rows: list[list[Any]] = []
            while pos < len(tokens) and tokens[pos] != close:
                if tokens[pos] == ",":
                    pos += 1
                    continue
                if tokens[pos] == ";":
                    rows.append(items)
                    items = []
                    pos += 1
                    continue
                items.append(parse())
            if pos >= len(tokens):
                raise AnswerFormatError(f"unbalanced brackets in {s[:40]!r}")
            pos += 1
            return rows + [items] if rows else items
        if tok in "])":
            raise AnswerFormatError(f"unbalanced brackets in {s[:40]!r}")
        pos += 1
        return tok

    value = parse()
    if pos != len(tokens):
        raise AnswerFormatError(f"unexpected text after the list in {s[:40]!r}")
    return value


_ENV = re.compile(r"^\\begin\{([pbvBV]?matrix|array)\}(?:\{[^}]*\})?(.*)\\end\{\1\}$", re.S)


def _latex_matrix(s: str) -> list[list[str]]:
    body = s.strip().strip("$").strip()
    body = re.sub(r"\\left\s*[\[(]|\\right\s*[\])]", "", body).strip()
    m = _ENV.match(body)
    if not m:
        raise AnswerFormatError("LaTeX matrices must be one \\begin{bmatrix} ... \\end{bmatrix}")
    rows = [r for r in re.split(r"\\\\", m.group(2)) if r.strip()]
    return [[c.strip() for c in row.split("&")] for row in rows]


def parse_numeric(raw: Any) -> Numeric:
    """Numbers with the digits written; raises ``AnswerFormatError`` on anything else."""
    raw = _structure(raw)
    if isinstance(raw, list):
        flat: list[Any] = []
        shape = _shape_of(raw, flat)
        if len(flat) > MAX_ENTRIES:
            raise AnswerFormatError(f"the answer has {len(flat)} entries; at most {MAX_ENTRIES} are read")
        parsed = [_scalar(v) for v in flat]
        values = np.array([p[0] for p in parsed], dtype=float).reshape(shape)
        decimals = np.array([p[1] for p in parsed], dtype=int).reshape(shape)
        significant = np.array([p[2] for p in parsed], dtype=int).reshape(shape)
        return Numeric(values, decimals, significant)
    if isinstance(raw, dict):
        raise AnswerFormatError("a table of values was given where numbers are due")
    value, decimals, significant = _scalar(raw)
    return Numeric(np.array(value), np.array(decimals), np.array(significant))


def _shape_of(raw: list, flat: list, depth: int = 0) -> tuple[int, ...]:
    """Shape of a nested list (refusing ragged ones), appending leaves to ``flat``."""
    if depth > 8:
        raise AnswerFormatError("the answer is nested more than 8 levels deep")
    if not raw:
        return (0,)
    if all(isinstance(v, list) for v in raw):
        shapes = [_shape_of(v, flat, depth + 1) for v in raw]
        if len(set(shapes)) != 1:
            lengths = [s[0] if s else 0 for s in shapes]
            raise AnswerFormatError(f"the rows have different lengths {lengths}: a matrix needs equal rows")
        return (len(raw),) + shapes[0]
    if any(isinstance(v, list) for v in raw):
        raise AnswerFormatError("the answer mixes numbers and lists at the same level (a ragged matrix)")
    flat.extend(raw)
    return (len(raw),)


def parse_array(raw: Any) -> np.ndarray:
    """Just the values, as a float array."""
    return parse_numeric(raw).values


def parse_integer(raw: Any) -> int:
    """An exact integer ("116", 116, "116.0"); anything else raises ``AnswerFormatError``."""
    value = parse_numeric(raw).values
    if value.ndim != 0:
        raise AnswerFormatError(f"expected one integer, got a list of shape {value.shape}")
    x = float(value)
    if not math.isfinite(x) or not x.is_integer():
        raise AnswerFormatError(f"{raw!r} is not a whole number")
    return int(x)


_SHAPE_TEXT = re.compile(r"^\(?\s*\d+(\s*(?:[x×*,]|by)\s*\d+)*\s*,?\s*\)?$")


def parse_shape(raw: Any) -> tuple[int, ...]:
    """A shape: [5, 6], (5, 6), "5x6", "5 × 6", "(1, 16, 32, 32)"."""
    if isinstance(raw, str):
        s = raw.strip().strip("[]")
        s = s.strip()
        if not _SHAPE_TEXT.match(s) and not _SHAPE_TEXT.match(f"({s})"):
            raise AnswerFormatError(f"{raw[:40]!r} is not a shape (write e.g. [5, 6] or 5x6)")
        return tuple(int(d) for d in re.findall(r"\d+", s))
    if isinstance(raw, (int, np.integer)) and not isinstance(raw, bool):
        return (int(raw),)
    if isinstance(raw, (list, tuple)):
        dims = []
        for d in raw:
            dims.append(parse_integer(d))
        if any(d < 0 for d in dims):
            raise AnswerFormatError(f"a shape has no negative sizes: {list(raw)!r}")
        return tuple(dims)
    raise AnswerFormatError(f"{raw!r} is not a shape (write e.g. [5, 6] or 5x6)")


_TRUE = {"true", "t", "yes", "y", "1", "correct", "right"}
_FALSE = {"false", "f", "no", "n", "0", "incorrect", "wrong"}


def parse_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str):
        s = raw.strip().strip(".").lower()
        if s in _TRUE:
            return True
        if s in _FALSE:
            return False
    raise AnswerFormatError(f"{raw!r} is not true or false (write True/False, T/F)")

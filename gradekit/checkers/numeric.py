"""Numbers, vectors and matrices: shape first, then tolerance or the digits written.

An entry is right when its relative error is within ``rtol`` (plus ``atol``
for values near zero), or when the student wrote at least three significant
digits and the reference, correctly rounded to the decimals they wrote, is
their value ("0.8808" for 0.880797).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..model import Outcome
from ..texfmt import fmt
from ..values import AnswerFormatError, Numeric, parse_numeric
from . import CheckContext, diagnosed

DEFAULT_RTOL = 1e-6
DEFAULT_ATOL = 1e-9
MIN_SIGNIFICANT = 3


def _shape_text(shape: tuple[int, ...]) -> str:
    if not shape:
        return "a single number"
    if len(shape) == 1:
        return f"a vector of {shape[0]}"
    return "×".join(str(s) for s in shape)


def close_entries(expected: np.ndarray, got: Numeric, rtol: float, atol: float) -> np.ndarray:
    """Entry-wise verdict: within tolerance, or correctly rounded to the digits written."""
    e, g = np.asarray(expected, dtype=float), got.values
    within = np.abs(g - e) <= atol + rtol * np.abs(e)
    half_ulp = 0.5 * np.power(10.0, -got.decimals.astype(float))
    rounded = (got.significant >= MIN_SIGNIFICANT) & (np.abs(g - e) <= half_ulp * (1 + 1e-9))
    return within | rounded


def _fit_shape(expected: np.ndarray, got: Numeric, kind: str) -> Numeric | None:
    """The student's numbers in the expected shape, or None when the shapes differ.

    Vectors accept rows and columns; a number accepts a one-entry list.
    """
    want = expected.shape
    if got.values.shape == want:
        return got
    same_size = got.values.size == expected.size
    squeezable = kind in {"number", "vector"} or (kind == "matrix" and 1 in want)
    if same_size and squeezable and sum(d > 1 for d in got.values.shape) <= 1:
        return Numeric(got.values.reshape(want), got.decimals.reshape(want), got.significant.reshape(want))
    return None


def _locate(index: tuple[int, ...]) -> str:
    return "" if not index else "[" + ", ".join(str(i) for i in index) + "]"


def _difference_report(expected: np.ndarray, got: Numeric, ok: np.ndarray) -> str:
    """Where and by how much: the first wrong entry, the count, the max error."""
    wrong = np.argwhere(~ok)
    err = np.abs(got.values - expected)
    if expected.ndim == 0:
        e, g = float(expected), float(got.values)
        rel = f" (relative error {abs(g - e) / abs(e):.2g})" if e != 0 else ""
        return f"{fmt(g)} is off by {fmt(abs(g - e), 3)}{rel}."
    first = tuple(int(i) for i in wrong[0])
    return (
        f"entry {_locate(first)} = {fmt(got.values[first])} is off by {fmt(err[first], 3)}; "
        f"{len(wrong)} of {expected.size} entries are wrong, max error {fmt(float(np.max(err[~ok])), 3)}."
    )


def _simple_factor(c: float) -> bool:
    """2, ½, 4, ¼, 3, ⅓, 10, 0.1 ... (up to sign): the factors a slip produces."""
    from fractions import Fraction

    f = Fraction(abs(c)).limit_denominator(10)
    return abs(float(f) - abs(c)) <= 1e-9 * abs(c) and f.numerator <= 10 and (f.numerator == 1 or f.denominator == 1)


def _generic_mistakes(expected: np.ndarray, values: np.ndarray, rtol: float, atol: float) -> tuple[str, str] | None:
    """Transposed, sign flipped, or off by a constant factor: (id, message)."""

    def same(a: np.ndarray, b: np.ndarray) -> bool:
        return a.shape == b.shape and bool(np.all(np.abs(a - b) <= atol + max(rtol, 1e-6) * np.abs(b)))

    e = np.asarray(expected, dtype=float)
    if not np.any(e):
        return None
    if e.ndim == 2 and values.shape == e.T.shape and not same(e, e.T) and same(values, e.T):
        return "transposed", "Your matrix is the transpose of the right one: check the order of the outer product or a missing transpose."
    if same(values, -e):
        return "sign_flipped", "Every entry has the wrong sign: check the direction of a difference (t - x vs x - t) or of the update."
    flat_e, flat_v = e.ravel(), values.ravel()
    if values.shape == e.shape:
        c = float(np.dot(flat_e, flat_v) / np.dot(flat_e, flat_e))
        # One number is always some multiple of another: name a factor there only when it is simple.
        plausible = np.count_nonzero(flat_e) >= 2 or _simple_factor(c)
        if plausible and c != 0 and abs(c - 1) > 1e-6 and abs(c + 1) > 1e-6 and same(values, c * e):
            return "constant_factor", f"Your answer is the right one times a constant ({fmt(c, 4)}): check a factor such as ½, 2 or 1/n."
    return None


def _check(expected: Any, raw: Any, ctx: CheckContext, kind: str) -> Outcome:
    rtol = float(ctx.part.options.get("rtol", DEFAULT_RTOL))
    atol = float(ctx.part.options.get("atol", DEFAULT_ATOL))
    expected = np.asarray(expected, dtype=float)
    try:
        got = parse_numeric(raw)
    except AnswerFormatError as e:
        return Outcome.invalid(str(e))
    if not np.all(np.isfinite(got.values)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(got.values))[0]) if got.values.ndim else ()
        return Outcome.invalid(f"entry {_locate(bad)} is {fmt(got.values[bad])}: answers must be finite numbers.".replace("entry  is", "the answer is"))
    fitted = _fit_shape(expected, got, kind)
    if fitted is None:
        for mistake in ctx.mistakes:
            alt = np.asarray(mistake.answers[ctx.part.name], dtype=float)
            if got.values.shape == alt.shape and np.all(close_entries(alt, got, rtol, atol)):
                return diagnosed(ctx, mistake.id, mistake.message)
        generic = _generic_mistakes(expected, got.values, rtol, atol)
        if generic:
            return diagnosed(ctx, *generic)
        return Outcome.wrong(f"Shape: expected {_shape_text(expected.shape)}, got {_shape_text(got.values.shape)}.", "wrong_shape")
    ok = close_entries(expected, fitted, rtol, atol)
    if np.all(ok):
        return Outcome.correct()
    for mistake in ctx.mistakes:
        alt = np.asarray(mistake.answers[ctx.part.name], dtype=float)
        if alt.shape == expected.shape and np.all(close_entries(alt, fitted, rtol, atol)):
            return diagnosed(ctx, mistake.id, mistake.message)
    where = _difference_report(expected, fitted, ok)
    generic = _generic_mistakes(expected, fitted.values, rtol, atol)
    if generic:
        return diagnosed(ctx, *generic)
    return Outcome.wrong(where[0].upper() + where[1:] if expected.ndim else f"Your value {where}")


def check_number(expected: Any, raw: Any, ctx: CheckContext) -> Outcome:
    return _check(expected, raw, ctx, "number")


def check_vector(expected: Any, raw: Any, ctx: CheckContext) -> Outcome:
    return _check(expected, raw, ctx, "vector")


def check_matrix(expected: Any, raw: Any, ctx: CheckContext) -> Outcome:
    return _check(expected, raw, ctx, "matrix")

"""Numbers, vectors and matrices: shape first, then the tolerance policy, entry by entry.

The policy is monotone in accuracy (a closer answer never scores less than a
farther one). An entry is right when

- it is within a relative 1e-5 of the reference (float32 arithmetic), whatever
  digits it shows; or
- it shows the required precision — 3 significant digits, or 4 decimals where
  those show 2 significant digits (``0.0078`` for 0.007825); or the part's
  ``digits`` / ``decimals`` — and is at least as close to the reference as the
  reference rounded *or truncated* to that precision (never one unit up). For
  0.880797 that admits 0.881, 0.880, 0.8807, 0.88079 and 0.8808, and refuses
  0.8817; for 1474560 at 3 digits 1.47e6, not 1.48e6.

A part's ``rtol`` / ``atol``, when stated, is a bound instead: an entry is right
when it is within ``atol + rtol·|reference|`` (the digits rule cannot widen it),
and, where the part also states ``digits`` / ``decimals``, shows that precision
(or is within the relative 1e-5).

An answer that fails only for its digits ("0.88") is told so ("right to 2
digits: give at least 3 significant digits or 4 decimals"), not "off by".
Mistake models are matched under the same policy, so a sign flip or a
transpose answered to 4 digits is still named.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from gradekit.core.records import Outcome
from gradekit.core.texfmt import fmt, position
from gradekit.core.vocab import Verdict
from gradekit.core.reader.numbers import AnswerFormatError, Numeric, parse_numeric
from gradekit.check.context import CheckContext, diagnosed

DEFAULT_RTOL = 1e-5  # full-precision answers: float32 arithmetic drifts 1e-6 to 3e-6 in a few operations
DEFAULT_ATOL = 1e-9
MIN_SIGNIFICANT = 3
MIN_DECIMALS = 4  # ... or 4 decimals, where those show at least 2 significant digits


@dataclass(frozen=True)
class Policy:
    """What a part accepts: ``rtol``/``atol`` for any answer; ``digits`` or ``decimals`` required of written ones."""

    rtol: float = DEFAULT_RTOL
    atol: float = DEFAULT_ATOL
    digits: int | None = None
    decimals: int | None = None
    bounded: bool = False  # rtol/atol stated by the part: a bound, not a floor under the digits rule

    @classmethod
    def of(cls, options: Any) -> "Policy":
        get = dict(options).get
        digits, decimals = get("digits"), get("decimals")
        return cls(float(get("rtol", DEFAULT_RTOL)), float(get("atol", DEFAULT_ATOL)),
                   None if digits is None else int(digits),
                   None if decimals is None else int(decimals),
                   bounded=get("rtol") is not None or get("atol") is not None)

    @property
    def states_precision(self) -> bool:
        return self.digits is not None or self.decimals is not None

    def unit(self, expected: np.ndarray) -> np.ndarray:
        """Per entry, the place value of the last digit an answer must show."""
        e = np.abs(np.asarray(expected, dtype=float))
        mag = np.floor(np.log10(np.where(e > 0, e, 1.0)))
        if self.decimals is not None:
            return np.full(e.shape, 10.0 ** -self.decimals)
        if self.digits is not None:
            return np.where(e > 0, 10.0 ** (mag - self.digits + 1), 10.0 ** -MIN_DECIMALS)
        three = 10.0 ** (mag - (MIN_SIGNIFICANT - 1))
        two = np.minimum(10.0 ** -MIN_DECIMALS, 10.0 ** (mag - 1))
        return np.where(e > 0, np.maximum(three, two), 10.0 ** -MIN_DECIMALS)

    def requirement(self) -> str:
        if self.decimals is not None:
            return f"give at least {self.decimals} decimals"
        if self.digits is not None:
            return f"give at least {self.digits} significant digits"
        return f"give at least {MIN_SIGNIFICANT} significant digits or {MIN_DECIMALS} decimals"


def _shape_text(shape: tuple[int, ...]) -> str:
    if not shape:
        return "a single number"
    if len(shape) == 1:
        return f"a vector of {shape[0]}"
    return "×".join(str(s) for s in shape)


def close_entries(expected: np.ndarray, got: Numeric, policy: Policy) -> np.ndarray:
    """Entry-wise verdict under the policy (see the module docstring)."""
    e, g = np.asarray(expected, dtype=float), got.values
    err = np.abs(g - e)
    full = err <= DEFAULT_ATOL + DEFAULT_RTOL * np.abs(e)
    unit = policy.unit(e)
    written = np.where(got.decimals >= 0, 10.0 ** -got.decimals.astype(float), 0.0)  # 0: exact (int, 1/2, e^2)
    enough = written <= unit * (1 + 1e-9)
    if got.zeros_dropped is not None:  # a JSON float: 0.0795 may be 0.07950, its writer drops trailing zeros
        enough = enough | got.zeros_dropped
    if policy.bounded:
        within = err <= policy.atol + policy.rtol * np.abs(e)
        return within & (full | enough) if policy.states_precision else within
    # the coarsest right answer at the required precision: e truncated (toward zero) or rounded to a multiple
    # of unit; the truncation is the farther of the two, and a tie of the rounding (unit / 2) is the floor
    a = np.abs(e)
    truncated = a - np.floor(a / unit * (1 + 1e-12)) * unit
    loosest = np.maximum(truncated, unit / 2) * (1 + 1e-9) + 1e-15
    return full | (enough & (err <= loosest))


def too_few_digits(expected: np.ndarray, got: Numeric, policy: Policy, ok: np.ndarray) -> int | None:
    """The fewest significant digits shown, when every wrong entry is right at its own precision but shows
    too few digits (0.88 for 0.880797); else None."""
    e, g = np.asarray(expected, dtype=float), got.values
    bad = ~np.asarray(ok)
    if np.any(got.decimals[bad] < 0):
        return None
    written = 10.0 ** -got.decimals[bad].astype(float)
    short = written > policy.unit(e)[bad] * (1 + 1e-9)
    # right at the precision shown: the reference rounded (within half a unit) or truncated toward zero to it,
    # never one unit up (0.4 is not 0.3171 to one decimal; 0.3 and 0.32 are)
    a = np.abs(e[bad])
    truncated = np.sign(e[bad]) * np.floor(a / written * (1 + 1e-12)) * written
    right_there = (np.abs(g[bad] - e[bad]) <= written / 2 * (1 + 1e-9)) | \
        (np.abs(g[bad] - truncated) <= written * 1e-9)
    if not (np.all(short) and np.all(right_there)):
        return None
    return int(np.min(got.significant[bad]))


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
        note = f"read the {_form_text(got.values.shape)} as {_form_text(want, kind)}"
        dropped = None if got.zeros_dropped is None else got.zeros_dropped.reshape(want)
        return Numeric(got.values.reshape(want), got.decimals.reshape(want), got.significant.reshape(want),
                       got.readings + (note,), dropped)
    return None


def _form_text(shape: tuple[int, ...], kind: str = "") -> str:
    """How a reshaped answer is named in its reading: "2×1 column", "list of 1", "a vector of 2", "the 1×3 row"."""
    if len(shape) == 2 and shape[1] == 1:
        return f"{shape[0]}×1 column" if not kind else f"the {shape[0]}×1 column"
    if len(shape) == 2 and shape[0] == 1:
        return f"1×{shape[1]} row" if not kind else f"the 1×{shape[1]} row"
    if kind:
        return _shape_text(shape)
    return f"list of {int(np.prod(shape))}" if shape else "number"


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
        f"{position(first)} is {fmt(got.values[first])}, off by {fmt(err[first], 3)}; "
        f"{len(wrong)} of {expected.size} entries are wrong, max error {fmt(float(np.max(err[~ok])), 3)}."
    )


def _simple_factor(c: float) -> str | None:
    """2, ½, 3, ⅓, 4, ¼ ... 10, 1/10 (up to sign, not ±1): the factors a slip produces, as text; else None."""
    from fractions import Fraction

    if c == 0 or not np.isfinite(c):
        return None
    f = Fraction(abs(c)).limit_denominator(10)
    if f == 1 or not (f.numerator == 1 or f.denominator == 1) or f.numerator > 10:
        return None
    if abs(float(f) - abs(c)) > 0.02 * abs(c):
        return None
    sign = "-" if c < 0 else ""
    return sign + (str(f.numerator) if f.denominator == 1 else f"1/{f.denominator}")


def _generic_mistakes(expected: np.ndarray, got: Numeric, policy: Policy, ctx: CheckContext) -> Outcome | None:
    """Transposed or sign flipped (the spec's partial credit), or off by a simple factor (named, never credited:
    a factor earns credit only as a family's own mistake, such as q3.2's ½ of L dropped), by the same policy."""
    from fractions import Fraction

    e = np.asarray(expected, dtype=float)
    values = got.values
    if not np.any(e):
        return None

    def matches(alt: np.ndarray) -> bool:
        return alt.shape == values.shape and bool(np.all(close_entries(alt, got, policy)))

    if e.ndim == 2 and values.shape == e.T.shape and not np.array_equal(e, e.T) and matches(e.T):
        return diagnosed(ctx, "transposed", "Your matrix is the transpose of the right one: check the order of the "
                                            "outer product or a missing transpose.")
    if matches(-e):
        return diagnosed(ctx, "sign_flipped", "Every entry has the wrong sign: check the direction of a difference "
                                              "(t - x vs x - t) or of the update.")
    if values.shape == e.shape:
        flat_e, flat_v = e.ravel(), values.ravel()
        factor = _simple_factor(float(np.dot(flat_e, flat_v) / np.dot(flat_e, flat_e)))
        if factor is not None and matches(float(Fraction(factor)) * e):
            return Outcome.wrong(f"Your answer is {factor} times the right one: check a factor such as ½, 2 or 1/n.",
                                 "constant_factor")
    return None


def _read_as(readings: tuple[str, ...]) -> str:
    return (" (" + "; ".join(readings) + ")") if readings else ""


def _check(expected: Any, raw: Any, ctx: CheckContext, kind: str) -> Outcome:
    policy = Policy.of(ctx.part.options)
    expected = np.asarray(expected, dtype=float)
    try:
        got = parse_numeric(raw, name=ctx.part.name, kind=kind, percent=bool(ctx.part.options.get("percent")))
    except AnswerFormatError as e:
        return Outcome.invalid(str(e))
    outcome, readings = _verdict(expected, got, ctx, kind, policy)
    credited = outcome.verdict == Verdict.CORRECT or outcome.diagnosis not in (None, "too_few_digits", "wrong_shape")
    padded = _padded(expected, got, policy) if credited else ""
    readings = readings + (padded,) if padded else readings
    if readings:  # say how text that was not a plain number, or a list of another shape, was read
        outcome = Outcome(outcome.fraction, outcome.verdict,
                          ("correct" if outcome.verdict == Verdict.CORRECT else outcome.feedback) + _read_as(readings),
                          outcome.diagnosis, reading="; ".join(readings))
    return outcome


def _padded(expected: np.ndarray, got: Numeric, policy: Policy) -> str:
    """How a JSON float with fewer digits than asked was read: its writer drops trailing zeros (0.07950 is 0.0795)."""
    if got.zeros_dropped is None or got.values.size != expected.size:
        return ""
    unit = policy.unit(np.asarray(expected, dtype=float)).reshape(-1)
    written = np.where(got.decimals >= 0, 10.0 ** -got.decimals.astype(float), 0.0).reshape(-1)
    e = np.asarray(expected, dtype=float).reshape(-1)
    full = np.abs(got.values.reshape(-1) - e) <= DEFAULT_ATOL + DEFAULT_RTOL * np.abs(e)  # right whatever it shows
    short = got.zeros_dropped.reshape(-1) & (written > unit * (1 + 1e-9)) & ~full
    if not short.any():
        return ""
    first = fmt(float(got.values.reshape(-1)[int(np.argmax(short))]))
    return (f"read the JSON number {first}{f' and {int(short.sum()) - 1} more' if short.sum() > 1 else ''} as precise as "
            f"asked: JSON drops trailing zeros")


def _verdict(expected: np.ndarray, got: Numeric, ctx: CheckContext, kind: str,
             policy: Policy) -> tuple[Outcome, tuple[str, ...]]:
    """The outcome, and how the answer was read (the parse's readings, and a reshape where one was needed)."""
    fitted = _fit_shape(expected, got, kind) if np.all(np.isfinite(got.values)) else None
    return _judge(expected, got, fitted, ctx, policy), (fitted or got).readings


def _judge(expected: np.ndarray, got: Numeric, fitted: Numeric | None, ctx: CheckContext, policy: Policy) -> Outcome:
    if not np.all(np.isfinite(got.values)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(got.values))[0]) if got.values.ndim else ()
        return Outcome.invalid(f"{position(bad)} is {fmt(got.values[bad])}: answers must be finite numbers.".capitalize())
    if fitted is None:
        for mistake in ctx.mistakes:
            alt = np.asarray(mistake.answers[ctx.part.name], dtype=float)
            if got.values.shape == alt.shape and np.all(close_entries(alt, got, policy)):
                return diagnosed(ctx, mistake.id, mistake.message)
        generic = _generic_mistakes(expected, got, policy, ctx)
        if generic:
            return generic
        return Outcome.wrong(f"Shape: expected {_shape_text(expected.shape)}, got {_shape_text(got.values.shape)}.", "wrong_shape")
    ok = close_entries(expected, fitted, policy)
    if np.all(ok):
        return Outcome.correct()
    shown = too_few_digits(expected, fitted, policy, ok)
    if shown is not None:  # priced by partial.too_few_digits (0 unless the spec says)
        return diagnosed(ctx, "too_few_digits", f"Right to {shown} digit{'s' if shown != 1 else ''}: "
                                                f"{policy.requirement()}.")
    for mistake in ctx.mistakes:
        alt = np.asarray(mistake.answers[ctx.part.name], dtype=float)
        if alt.shape == expected.shape and np.all(close_entries(alt, fitted, policy)):
            return diagnosed(ctx, mistake.id, mistake.message)
    where = _difference_report(expected, fitted, ok)
    generic = _generic_mistakes(expected, fitted, policy, ctx)
    if generic and (generic.fraction > 0 or "per_entry" not in ctx.part.partial):
        return generic
    if expected.ndim and "per_entry" in ctx.part.partial:
        return _per_entry(ctx, ok, where)
    return Outcome.wrong(where[0].upper() + where[1:] if expected.ndim else f"Your value {where}")


def _per_entry(ctx: CheckContext, ok: np.ndarray, where: str) -> Outcome:
    """A vector's or matrix's score in proportion to its right entries: the spec's price times the share right."""
    right, total = int(np.sum(ok)), int(ok.size)
    credit = ctx.credit("per_entry") * right / total
    text = f"{right} of {total} entries right (credit per entry). {where[0].upper() + where[1:]}"
    return Outcome(credit, Verdict.PARTIAL if credit > 0 else Verdict.WRONG, text, "per_entry")


def check_number(expected: Any, raw: Any, ctx: CheckContext) -> Outcome:
    return _check(expected, raw, ctx, "number")


def check_vector(expected: Any, raw: Any, ctx: CheckContext) -> Outcome:
    return _check(expected, raw, ctx, "vector")


def check_matrix(expected: Any, raw: Any, ctx: CheckContext) -> Outcome:
    return _check(expected, raw, ctx, "matrix")

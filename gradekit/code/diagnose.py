"""One value a student's code gave, judged against the solution's on the same inputs, and named when wrong.

The mistakes are generic: they are read off the two values alone (and the sizes of the case), so any
course's code problem names them without a line of Python. A spec prices each by its ``partial`` key.

>>> judge(np.array([[1.0, 2.0], [3.0, 4.0]]).T, np.array([[1.0, 2.0], [3.0, 4.0]])).mistake
'transposed'
>>> judge(np.array([2.0, 4.0]), np.array([1.0, 2.0]), factors={"N": 2.0}).words
'is N times the expected value (N = 2): a sum where the mean is asked?'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from gradekit.code.props import rough

__all__ = ["Judgement", "judge", "MISTAKES", "describe_shape", "wrong_unnamed"]

# Every mistake a generated check can name, with what it means: the keys a spec's ``partial`` may price.
MISTAKES = {
    "transposed": "the value is the transpose of the expected one",
    "sign": "the value has the opposite sign",
    "sum_for_mean": "N times the expected value: a sum over the batch where its mean is asked",
    "mean_for_sum": "1/N times the expected value: a mean over the batch where its sum is asked",
    "factor": "off by a constant factor the spec names (factors = [0.5, 2])",
    "missing_bias": "off by the same vector for every sample: a bias left out (or a wrong one)",
    "reshaped": "the right numbers in another shape (a (C, 1) column given as (C,))",
    "state_not_stored": "an attribute the method must set was never set",
    "aliased": "every entry of a returned list is the last one: one array appended each time, then changed in "
               "place",
    "swapped_arguments": "right with two arguments of the last step in the other order: the function takes them "
                         "swapped (loss(y_true, y_pred) where loss(y_pred, y_true) is asked)",
    "ignored_argument": "a model built with a size other than the one passed to its constructor (num_classes = 10 "
                        "written where the argument is asked)",
}


@dataclass(frozen=True)
class Judgement:
    """``ok``, or what is wrong: ``mistake`` (a key of ``MISTAKES``, or None for a plain failure) and ``words``."""

    ok: bool
    mistake: str | None = None
    words: str = ""


_OK = Judgement(True)


def wrong_unnamed(verdict: Judgement | None) -> bool:
    """A value judged wrong with no mistake named: what a variant of the solution, or swapped arguments, may name."""
    return verdict is not None and not verdict.ok and verdict.mistake is None


def describe_shape(shape: tuple[int, ...], dims: Mapping[str, int]) -> str:
    """``(4, 3)``, with the names of the case's sizes where one size has exactly one name: ``(N, C_out) = (4, 3)``."""
    by_size: dict[int, list[str]] = {}
    for name, size in dims.items():
        by_size.setdefault(size, []).append(name)
    named = [by_size[s][0] if len(by_size.get(s, [])) == 1 else str(s) for s in shape]
    plain = "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"
    if named == [str(s) for s in shape]:
        return plain
    return "(" + ", ".join(named) + ("," if len(shape) == 1 else "") + ") = " + plain


def judge(got: Any, expected: Any, *, rtol: float | None = None, atol: float | None = None,
          factors: Mapping[str, float] | None = None, dims: Mapping[str, int] | None = None,
          batch: str | None = None) -> Judgement:
    """``got`` against ``expected`` (arrays, or tuples of them, as the children return them).

    Close means within ``rtol`` (1e-5, or 1e-4 where either side is float32) of each entry, or within
    ``atol`` (by default 1e-6 of the expected value's largest magnitude, so that cancellation to near zero
    is not a difference). ``factors`` are the constant factors to try by name (``{"N": 4, "1/N": 0.25}``).
    """
    dims = dims or {}
    if isinstance(expected, tuple) or isinstance(got, tuple):
        if not (isinstance(expected, tuple) and isinstance(got, tuple)):
            what = "a tuple" if isinstance(expected, tuple) else "one value"
            return Judgement(False, None, f"returned {_kind(got)}, expected {what}"
                                          f"{f' of {len(expected)} values' if isinstance(expected, tuple) else ''}")
        if len(got) != len(expected):
            return Judgement(False, None, f"returned {len(got)} values, expected {len(expected)}")
        wrong = [(i, j) for i, j in enumerate(judge(g, e, rtol=rtol, atol=atol, factors=factors, dims=dims,
                                                    batch=batch) for g, e in zip(got, expected)) if not j.ok]
        if not wrong:
            return _OK
        if len(got) > 1 and _aliased(got, expected, rtol, atol):
            return Judgement(False, "aliased", f"holds the same values in all {len(got)} entries, the last one's "
                                               f"(entry {wrong[0][0] + 1} differs): one array appended each time "
                                               f"and then changed in place; append a copy")
        i, first = wrong[0]
        # a mistake names the whole value only when every wrong part of it is that mistake (H and A transposed)
        mistake = first.mistake if all(j.mistake == first.mistake for _, j in wrong) else None
        return Judgement(False, mistake, f"value {i + 1} of {len(expected)} {first.words}")
    if got is None or isinstance(got, str) or expected is None or isinstance(expected, str):
        return _OK if got == expected else Judgement(False, None, f"is {_kind(got)}, expected {_kind(expected)}")
    g, e = np.asarray(got), np.asarray(expected)
    if g.dtype.kind not in "biuf" or e.dtype.kind not in "biuf":
        return Judgement(False, None, f"is {_kind(got)}, expected an array")
    single = np.float32 in (g.dtype, e.dtype)
    rtol = (1e-4 if single else 1e-5) if rtol is None else rtol
    g, e = g.astype(float), e.astype(float)
    scale = float(np.max(np.abs(e[np.isfinite(e)]))) if np.isfinite(e).any() else 0.0
    atol = max(1e-6 * scale, 1e-12) if atol is None else atol

    def close(a: np.ndarray, b: np.ndarray) -> bool:
        return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True))

    if g.shape != e.shape:
        if g.ndim >= 2 and g.shape == e.shape[::-1] and close(g.T, e):
            return Judgement(False, "transposed", f"is the transpose of the expected value: shape "
                                                  f"{describe_shape(g.shape, dims)}, expected "
                                                  f"{describe_shape(e.shape, dims)}")
        if g.size == e.size and close(g.reshape(e.shape), e):
            return Judgement(False, "reshaped", f"has the right numbers in shape {describe_shape(g.shape, dims)}; "
                                                f"expected shape {describe_shape(e.shape, dims)}")
        return Judgement(False, None, f"has shape {describe_shape(g.shape, dims)}, expected "
                                      f"{describe_shape(e.shape, dims)}")
    if close(g, e):
        return _OK
    where = _first_difference(g, e, rtol, atol)
    if g.ndim == 2 and g.shape[0] == g.shape[1] and close(g.T, e):  # square: the same shape either way
        return Judgement(False, "transposed", f"is the transpose of the expected value ({where})")
    if np.abs(e).max(initial=0.0) > atol and close(-g, e):
        return Judgement(False, "sign", f"has the opposite sign of the expected value ({where})")
    for label, f in (factors or {}).items():
        if f not in (0.0, 1.0) and np.abs(e).max(initial=0.0) > atol and close(g, e * f):
            if batch and label == batch:
                return Judgement(False, "sum_for_mean", f"is {label} times the expected value ({label} = {f:g}): "
                                                        f"a sum where the mean is asked?")
            if batch and label == f"1/{batch}":
                return Judgement(False, "mean_for_sum", f"is 1/{batch} times the expected value ({batch} = "
                                                        f"{1 / f:g}): a mean where the sum is asked?")
            return Judgement(False, "factor", f"is {label} times the expected value")
    if g.ndim >= 2 and g.shape[0] > 1:
        d = e - g
        if np.abs(d).max() > atol and close(d, np.broadcast_to(d[:1], d.shape)):
            return Judgement(False, "missing_bias", f"differs from the expected value by the same amount for every "
                                                    f"sample ({where}): a bias left out?")
    return Judgement(False, None, where)


def _aliased(got: tuple, expected: tuple, rtol: float | None, atol: float | None) -> bool:
    """Every entry of ``got`` is its last, which is right, where the expected entries differ."""
    try:
        g = [np.asarray(x, dtype=float) for x in got]
        e = [np.asarray(x, dtype=float) for x in expected]
    except (TypeError, ValueError):
        return False
    if any(x.shape != g[-1].shape for x in g) or any(x.shape != e[-1].shape for x in e) or g[-1].shape != e[-1].shape:
        return False
    same = all(np.array_equal(x, g[-1], equal_nan=True) for x in g)
    return same and judge(got[-1], expected[-1], rtol=rtol, atol=atol).ok and \
        not all(np.array_equal(x, e[-1], equal_nan=True) for x in e)


def _first_difference(g: np.ndarray, e: np.ndarray, rtol: float, atol: float) -> str:
    bad = ~np.isclose(g, e, rtol=rtol, atol=atol, equal_nan=True)
    idx = tuple(int(i) for i in np.argwhere(bad)[0]) if bad.any() else ()
    at = f"entry {list(idx)}" if len(idx) > 1 else f"entry {idx[0]}" if idx else "the value"
    return (f"{at} is {g[idx]:.6g}, expected about {rough(float(e[idx]))} (wrong at {int(bad.sum())} of "
            f"{bad.size} entries)")


def _kind(x: Any) -> str:
    if isinstance(x, tuple):
        return f"a tuple of {len(x)} values"
    if x is None:
        return "None"
    if isinstance(x, str):
        return repr(x[:40])
    return f"an array of shape {np.shape(x)}"

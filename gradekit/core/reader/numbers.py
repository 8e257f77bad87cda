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

from gradekit.core.errors import UnreadableAnswer
from gradekit.core.reader import bounds
from gradekit.core.reader.sides import drop_left_side, equals_signs, formula_of_names, names_part

MAX_ENTRIES = bounds.ENTRIES  # bigger answers are refused, not parsed
MAX_TEXT = bounds.ANSWER_CHARS
MAX_EXPONENT = bounds.EXPONENT  # 1e-400 is 0 and 1e400 is inf as floats; past this, "1e-30000000000000000000" is refused
MAX_INT_DIGITS = bounds.INT_DIGITS  # Python's own limit for int(text); and far beyond a float's range


class AnswerFormatError(UnreadableAnswer):
    """A raw answer that is not a number, vector or matrix; the message is one line."""


class NumberTooLarge(AnswerFormatError):
    """A number written past what is read (its exponent, its digits): refused before any work is done on it."""


class FloatText(str):
    """A float as a JSON file wrote it: its digits, which a JSON writer may have shortened (``0.07950`` is written
    ``0.0795``): when the text is the shortest that gives its value, trailing zeros may have been dropped."""

    __slots__ = ()

    @property
    def zeros_dropped(self) -> bool:
        try:
            return repr(float(self)) == str(self)
        except ValueError:
            return False


@dataclass(frozen=True)
class Numeric:
    """Parsed numbers with, per entry, the decimals and significant digits written.

    ``significant`` (and ``decimals``) is -1 where the student gave an exact value (an int, a fraction),
    so no rounding rule applies there.
    """

    values: np.ndarray
    decimals: np.ndarray
    significant: np.ndarray
    readings: tuple[str, ...] = ()  # how text that was not a plain number was read ("read as 1474560")
    # per entry, True where the text may have lost trailing zeros (a JSON float): as precise as the part asks
    zeros_dropped: np.ndarray | None = None


_DECIMAL = re.compile(r"^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$")
_FRACTION = re.compile(r"^([+-]?\d+)\s*/\s*([+-]?\d+)$")
_TEX_FRAC = re.compile(r"^([+-]?)\\[dt]?frac\s*\{\s*([+-]?\d+)\s*\}\s*\{\s*([+-]?\d+)\s*\}$")
_MINUS = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2014": "-", "\u00a0": " "})  # minus, en and em dash


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
            _digits(whole, text)
            return value, -1, -1  # an integer written as text is exact
        frac = frac or ""
        exponent = _exponent(exp, text)
        digits = (whole + frac).lstrip("0")
        significant = len(digits) if digits else len(frac)
        return value, len(frac) - exponent, significant
    m = _FRACTION.match(s) or None
    if m:
        num, den = _whole(m.group(1), text), _whole(m.group(2), text)
        if den == 0:
            raise AnswerFormatError(f"{text!r} divides by zero")
        return float(Fraction(num, den)), -1, -1
    m = _TEX_FRAC.match(s)
    if m:
        num, den = _whole(m.group(2), text), _whole(m.group(3), text)
        if den == 0:
            raise AnswerFormatError(f"{text!r} divides by zero")
        value = float(Fraction(num, den))
        return (-value if m.group(1) == "-" else value), -1, -1
    shown = text if len(text) <= 40 else text[:37] + "..."
    raise AnswerFormatError(f"{shown!r} is not a number (write e.g. 0.25, 1/4 or 2.5e-1)")


def _shown(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _exponent(exp: str | None, text: str) -> int:
    """A written exponent as an int, refused (one line) past ``MAX_EXPONENT`` before any work is done on it."""
    if exp is None:
        return 0
    digits = exp.lstrip("+-").lstrip("0")
    if len(digits) > len(str(MAX_EXPONENT)) or int(digits or 0) > MAX_EXPONENT:
        raise NumberTooLarge(f"{_shown(text)}: exponent too large (at most {MAX_EXPONENT} either way)")
    return int(exp)


def _digits(whole: str, text: str) -> None:
    n = len(whole.lstrip("+-").lstrip("0"))
    if n > MAX_INT_DIGITS:
        raise NumberTooLarge(f"{_shown(text)}: integer with {n} digits (at most {MAX_INT_DIGITS} are read)")


def _whole(digits: str, text: str) -> int:
    """``int(digits)``, refused (one line) past ``MAX_INT_DIGITS`` digits instead of raising a bare ValueError."""
    _digits(digits, text)
    return int(digits)


_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:([,_])\d{3})(?:\1\d{3})*(?:\.\d+)?$")
_PERCENT = re.compile(r"^(.*?)\s*\\?%$", re.S)


def _scalar(raw: Any, percent: bool = False) -> tuple[float, int, int, str | None]:
    """``(value, decimals, significant, reading)``: reading says how text that was not a plain number was read."""
    if isinstance(raw, bool):
        raise AnswerFormatError(f"{raw!r} is a truth value, not a number")
    if isinstance(raw, (int, np.integer)):
        try:
            return float(raw), -1, -1, None
        except OverflowError:  # an int parsed from the file's text has at most MAX_INT_DIGITS digits
            raise AnswerFormatError(f"integer with {len(str(abs(int(raw))))} digits is too large for a number "
                                    f"(at most about 1e308)") from None
    if isinstance(raw, (float, np.floating)):
        # A float that lost its text (an in-process caller): judge it by value only.
        return float(raw), -1, -1, None
    if isinstance(raw, Fraction):
        return float(raw), -1, -1, None
    if not isinstance(raw, str):
        raise AnswerFormatError(f"{type(raw).__name__} {raw!r} is not a number")
    try:
        return (*parse_number_text(raw), None)
    except NumberTooLarge:
        raise  # no other reading of it is cheaper
    except AnswerFormatError as plain_error:
        return _written(raw, percent, plain_error)


def _written(raw: str, percent: bool, plain_error: AnswerFormatError) -> tuple[float, int, int, str | None]:
    """A number written as students write it: thousands separators, percent, arithmetic, closed forms."""
    text = _unwrap(raw.translate(_MINUS).strip())[0]
    m = _PERCENT.match(text)
    if m and m.group(1).strip():  # "12%" is 12 on a part asked in percent, else 0.12
        value, decimals, significant, reading = _written(m.group(1), False, plain_error)
        if percent:
            return value, decimals, significant, reading
        return value / 100, (decimals + 2 if decimals >= 0 else -1), significant, f"read {quoted(raw)} as {value / 100:g}"
    if _THOUSANDS.match(text.replace(" ", "")):
        value, decimals, significant = parse_number_text(re.sub(r"[,_]", "", text))
        return value, decimals, significant, None
    try:
        return (*parse_number_text(text), None)
    except AnswerFormatError:
        pass
    sides = _chain(text)
    if sides:
        return _chain_value(raw, sides, percent)
    from gradekit.core.reader.arith import ArithError, read_expression

    try:
        expression = read_expression(text)
    except ArithError as e:
        if re.fullmatch(r"[\d.eE+\-\s]*", text) and not re.search(r"\d\.\.\d|\d\.\d*\.\d", text):
            raise plain_error from None  # digits gone wrong ("1e", "--"): the plain message says it best
        shown = raw if len(raw) <= 40 else raw[:37] + "..."
        raise AnswerFormatError(f"{shown!r} is not a number ({e})") from None
    return expression.value, -1, -1, f"read {quoted(raw)} as {expression.shown}"


def _chain(text: str) -> list[str] | None:
    """The sides of an equation chain ending in its value ("25/2 = 12.5", "6 + 3 = 9"), or None."""
    cuts = equals_signs(text)
    if not cuts:
        return None
    sides = [text[a + 1:b].strip() for a, b in zip([-1, *cuts], [*cuts, len(text)])]
    return sides if all(sides) else None


def _chain_value(raw: str, sides: list[str], percent: bool) -> tuple[float, int, int, str | None]:
    """A chain's last value, once every step agrees with it (to the digits it shows); else refused, saying
    which step differs."""
    read, formulas = [], []
    for side in sides:
        if side is not sides[-1] and formula_of_names(side):
            formulas.append(side)  # a step in names (K x K x C_in x C_out): no number to agree
            continue
        try:
            read.append((side, _scalar(side, percent)[:3]))
        except AnswerFormatError as e:
            raise AnswerFormatError(f"{quoted(raw)} is an equation chain, and its step {quoted(side)} is not a "
                                    f"number ({e})") from None
    value, decimals, significant = read[-1][1]
    unit = 10.0 ** -decimals if decimals >= 0 else 0.0
    for side, (v, _, _) in read[:-1]:
        # agree: the last value is the step rounded or truncated to the digits it shows (never one unit up)
        slack = max(abs(v) - math.floor(abs(v) / unit * (1 + 1e-12)) * unit, unit / 2) if unit else 0.0
        if not abs(v - value) <= slack * (1 + 1e-9) + 1e-9 * max(1.0, abs(value)):
            raise AnswerFormatError(f"the steps of {quoted(raw)} disagree: {side} is {v:.6g}, not {value:.6g}")
    unchecked = f" (the step {', '.join(quoted(f, 30) for f in formulas)} in names is not checked)" if formulas else ""
    return value, decimals, significant, f"read {quoted(raw)} as {sides[-1]}, its last value{unchecked}"


def quoted(raw: str, limit: int = 60) -> str:
    """An answer as a reading quotes it: as written (no escaped backslashes), at most ``limit`` characters."""
    text = " ".join(raw.split())
    return "'" + (text if len(text) <= limit else text[:limit - 1] + "…") + "'"


def exact_integer(raw: Any, name: str | None = None) -> int | None:
    """The exact integer an answer denotes (any expression equal to one), or None when it is not one.

    ``name`` is the part's: a leading ``name =`` is dropped, as for every answer."""
    if isinstance(raw, (int, np.integer)) and not isinstance(raw, bool):
        return int(raw)
    if not isinstance(raw, str):
        return None
    text = _unwrap(raw.translate(_MINUS).strip(), name)[0].replace(" ", "")
    if re.fullmatch(r"[+-]?\d+", text):
        return _whole(text, raw)
    if _THOUSANDS.match(text):
        text = re.sub(r"[,_]", "", text)
    try:  # a plain number ("1320.0", "1.5e3") is decided here: sympy is for arithmetic only
        value = parse_number_text(text)[0]
    except AnswerFormatError:
        pass
    else:
        return int(value) if math.isfinite(value) and float(value).is_integer() else None
    from gradekit.core.reader.arith import ArithError, read_expression

    try:
        reading = read_expression(text)
    except ArithError:
        return None
    return int(reading.exact) if reading.is_integer else None


# A pasted numpy/torch value: array([...], dtype=float32), tensor([[0., 34.]], requires_grad=True),
# np.float32(0.47), tensor(0.4682, grad_fn=<SigmoidBackward0>), Parameter containing: tensor(...).
_PASTED = re.compile(r"^(?:Parameter containing:\s*)?(?:(?:np|numpy|torch)\.)?"
                     r"(?:array|tensor|matrix|float16|float32|float64|int32|int64|float_|double|float|int)\s*\((.*)\)$",
                     re.S)
_KWARG = re.compile(r"^\s*[A-Za-z_]\w*\s*=")
_WRAPPERS = ((r"$$", r"$$"), ("$", "$"), (r"\[", r"\]"), (r"\(", r"\)"))
_TRANSPOSED = re.compile(r"^(.*?)\s*(?:\^\s*\{?\s*(?:T|\\top|\\intercal)\s*\}?|ᵀ|\.T)$", re.S)


_BRACKETED_ENV = re.compile(r"^[\[(]\s*(\\begin\{(\w+)\}.*\\end\{\2\})\s*[\])]$", re.S)
_SIZING = re.compile(r"\\(?:left|right|[bB]igg?[lr]?)\s*(?:(?=[\[\]()])|\.)")


def _unwrap(text: str, name: str | None = None) -> tuple[str, bool]:
    """(the answer inside its wrappers, whether it was transposed): LaTeX delimiters, ≈, a leading
    ``name =``, a pasted numpy/torch repr, a trailing ᵀ/^T/.T; LaTeX's sizing words before a bracket
    (``\\left[ 14, 6 \\right]``) mean nothing here and are dropped."""
    transposed = False
    text = _SIZING.sub("", text)
    for _ in range(6):  # wrappers nest a few deep at most: $\approx [1, 2]^T$
        before = text
        for left, right in _WRAPPERS:
            if text.startswith(left) and text.endswith(right) and len(text) > len(left) + len(right):
                text = text[len(left):-len(right)].strip()
        for lead in ("≈", "\\approx", "~", "="):
            if text.startswith(lead):
                text = text[len(lead):].strip()
        try:
            text = drop_left_side(text, name, alone="the value")
        except UnreadableAnswer as e:
            raise AnswerFormatError(str(e)) from None
        m = _PASTED.match(text)
        if m:
            text = _first_argument(m.group(1))
        m = _BRACKETED_ENV.match(text)
        if m:  # [\begin{matrix} ... \end{matrix}]: the brackets \left[ and \right] drew
            text = m.group(1)
        m = _TRANSPOSED.match(text)
        if m and m.group(1) and (m.group(1).rstrip().endswith(("]", ")", "}")) or "\\end" in m.group(1)):
            text, transposed = m.group(1).strip(), not transposed
        if text == before:
            break
    return text, transposed


def _first_argument(inner: str) -> str:
    """What a pasted repr holds: its first argument, without dtype=, device=, requires_grad=, grad_fn=."""
    depth, start, parts = 0, 0, []
    for i, ch in enumerate(inner):
        if ch in "([{<":
            depth += 1
        elif ch in ")]}>":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(inner[start:i])
            start = i + 1
    parts.append(inner[start:])
    kept = [p for p in parts if p.strip() and not _KWARG.match(p)]
    return ",".join(kept).strip()


def _structure(raw: Any, name: str | None = None, kind: str = "number") -> Any:
    """Nested lists from bracketed, pasted or LaTeX matrix text; other values as they are."""
    if isinstance(raw, np.ndarray):
        if raw.dtype.kind not in "biuf":
            raise AnswerFormatError(f"an array of {raw.dtype} is not numeric")
        return raw.tolist()
    if not isinstance(raw, str):
        return raw
    if len(raw) > MAX_TEXT:
        raise AnswerFormatError(f"the answer is {len(raw)} characters long; at most {MAX_TEXT} are read")
    assigned = _assignments(raw, name)
    if assigned is not None:
        return assigned
    s, transposed = _unwrap(raw.strip(), name)
    if s.startswith("[") or (s.startswith("(") and _top_level_comma(s[1:-1]) and s.endswith(")")):
        value = _bracketed(s)
    elif r"\begin" in s:
        value = _latex_matrix(raw, s)
    elif kind in ("vector", "matrix") and (_top_level_comma(s) or ";" in s):
        value = _bracketed(s, bare=True)  # a bare "1, 25, 25" where a vector is due
    else:
        return s if s != raw.strip() else raw
    if transposed and isinstance(value, list):
        rows = value
        if all(not isinstance(v, list) for v in value):
            rows = [[v] for v in value]  # a transposed row: a column
        elif all(isinstance(v, list) for v in value) and len({len(v) for v in value}) == 1:
            rows = [list(col) for col in zip(*value)]
        value = Scaled(rows, value.factor, value.reading) if isinstance(value, Scaled) else rows
    return value


# name_index = value, or a letter name with its index run on (µ1 = 13, w2 = -1)
_ASSIGNED = re.compile(r"^\s*\$*\s*(?:([^\W\d_][A-Za-z0-9]*|\\[A-Za-z]+)\s*_\s*\{?\s*(\d+)\s*\}?|([^\W\d_]+)(\d+))"
                       r"\s*=\s*(.+?)\s*\$*\s*$", re.S)
# Greek letters as typed, by their LaTeX names (µ, the micro sign, is how many keyboards type μ)
_GREEK = {"α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "η": "eta", "θ": "theta",
          "λ": "lambda", "μ": "mu", "µ": "mu", "ν": "nu", "π": "pi", "ρ": "rho", "σ": "sigma", "τ": "tau",
          "φ": "phi", "ψ": "psi", "ω": "omega"}


def _assignments(raw: str, name: str | None) -> "Assigned | None":
    """A vector written entry by entry as the seeds do: ``$w_0=1$, $w_1=-1$, $w_2=-1$`` or ``µ1 = 13, µ2 = 5``
    -> [1, -1, -1], when the names are one name (the part's, where known) with consecutive indices from 0 or 1;
    else None."""
    if raw.count("=") < 2:
        return None
    items = [t for t in re.split(r"\s*(?:[,;]|\band\b)\s*(?![^\[\](){}]*[\])}])", raw.strip()) if t.strip()]
    found = [m for t in items if (m := _ASSIGNED.match(t))]
    if len(found) < 2 or len(found) < len(items):
        return None
    bases = {(m.group(1) or m.group(3)).lstrip("\\") for m in found}
    indices = [int(m.group(2) or m.group(4)) for m in found]
    if len(bases) != 1 or indices[0] not in (0, 1) or indices != list(range(indices[0], indices[0] + len(indices))):
        return None
    base = next(iter(bases))
    if name is not None and not names_part("".join(_GREEK.get(c, c) for c in base), name):
        return None
    values = [m.group(5).strip().strip("$").strip() for m in found]
    return Assigned(values, f"read the assignments {base}_{indices[0]} … {base}_{indices[-1]} as the vector "
                            f"[{', '.join(values)}]")


class Scaled(list):
    """The rows of a matrix written with a number before it; parse_numeric multiplies them by ``factor``."""

    def __init__(self, rows: list, factor: float, reading: str):
        super().__init__(rows)
        self.factor = factor
        self.reading = reading


class Assigned(list):
    """The entries of a vector written as assignments, with how they were read."""

    def __init__(self, values: list[str], reading: str):
        super().__init__(values)
        self.reading = reading


def _top_level_comma(s: str) -> bool:
    depth = 0
    for ch in s:
        depth += 1 if ch in "([{" else -1 if ch in ")]}" else 0
        if ch == "," and depth == 0:
            return True
    return False


def _bracketed(s: str, *, bare: bool = False) -> list[Any]:
    """Nested lists of entry texts from '[[1, 2], [3, 4]]', '(1, 2)', '[1, 2; 3, 4]' or numpy's printed
    '[[0. 34.]]', read by the answer language's parser (so a refusal says where), never by eval; ``bare``: no
    brackets around them ('1, 25, 25'). An entry may be arithmetic ('3*3*128', '(1+2)/3'): its text is kept and
    read again as a number, so the digits it is written with count."""
    from gradekit.core.reader.errors import ExprError
    from gradekit.core.reader.parser import parse_number_list

    try:
        tree = parse_number_list(s, bare=bare)
    except ExprError as e:
        raise AnswerFormatError(f"the list: {e}") from None
    return _entry_texts(tree, s)


def _entry_texts(tree: Any, s: str) -> list[Any]:
    from gradekit.core.reader.nodes import Lst

    out: list[Any] = []
    for item in tree.items:
        if isinstance(item, Lst):
            out.append(_entry_texts(item, s))
            continue
        out.append(s[item.col - 1:item.end - 1].strip())
    return out




def _latex_matrix(raw: str, s: str) -> "list[list[str]] | Scaled":
    """The rows of a LaTeX matrix as the text of each entry, read by the answer language's parser (so a refusal
    says where), with at most a number before it, as written on paper: ``\\frac14\\begin{bmatrix} … \\end{bmatrix}``."""
    from gradekit.core.reader.errors import ExprError
    from gradekit.core.reader.nodes import Bin, Mat, T, walk
    from gradekit.core.reader.parser import parse_number_matrix

    try:
        tree = parse_number_matrix(s)
    except ExprError as e:
        raise AnswerFormatError(f"the LaTeX matrix: {e}") from None
    factor = None
    if isinstance(tree, Bin) and tree.op in ("mat", "had") and not any(isinstance(n, Mat) for _, n in walk(tree.left)):
        factor, tree = tree.left, tree.right
    transposed = False
    while isinstance(tree, T):  # \frac14 \begin{bmatrix} … \end{bmatrix}^T
        transposed, tree = not transposed, tree.arg
    if not isinstance(tree, Mat) or any(isinstance(n, Mat) for row in tree.rows for x in row for _, n in walk(x)):
        raise AnswerFormatError("LaTeX matrices must be one \\begin{bmatrix} ... \\end{bmatrix}, with at most a "
                                "number before it")
    rows = [[s[x.col - 1:x.end - 1].strip() for x in row] for row in tree.rows]
    if transposed:
        rows = [list(col) for col in zip(*rows)]
    if factor is None:
        return rows
    factor_text = s[factor.col - 1:factor.end - 1].strip()
    try:
        value = _scalar(factor_text)[0]
    except AnswerFormatError as e:
        raise AnswerFormatError(f"{quoted(factor_text, 30)} before the matrix is not a number ({e})") from None
    near = Fraction(value).limit_denominator(1000)
    shown = f"{near.numerator}/{near.denominator}" if float(near) == value and near.denominator > 1 else f"{value:g}"
    return Scaled(rows, value, f"read {quoted(raw)} as {shown} times the matrix")


def parse_numeric(raw: Any, *, name: str | None = None, kind: str = "number", percent: bool = False) -> Numeric:
    """Numbers with the digits written; raises ``AnswerFormatError`` on anything else.

    ``name`` is the part's (a leading ``name =`` is dropped), ``kind`` says whether a bare
    comma list is a vector, ``percent`` whether "12%" means 12 (a part asked in percent) or 0.12.
    """
    raw = _structure(raw, name, kind)
    if isinstance(raw, list):
        flat: list[Any] = []
        shape = _shape_of(raw, flat)
        if len(flat) > MAX_ENTRIES:
            raise AnswerFormatError(f"the answer has {len(flat)} entries; at most {MAX_ENTRIES} are read")
        parsed = [_scalar(v, percent) for v in flat]
        values = np.array([p[0] for p in parsed], dtype=float).reshape(shape)
        decimals = np.array([p[1] for p in parsed], dtype=int).reshape(shape)
        significant = np.array([p[2] for p in parsed], dtype=int).reshape(shape)
        if isinstance(raw, Scaled):  # computed entries: exact, as arithmetic is
            values, decimals, significant = values * raw.factor, np.full(shape, -1), np.full(shape, -1)
        readings = ([raw.reading] if isinstance(raw, (Assigned, Scaled)) else []) + [p[3] for p in parsed if p[3]]
        dropped = [isinstance(v, FloatText) and v.zeros_dropped for v in flat]
        return Numeric(values, decimals, significant, tuple(readings[:3]),
                       np.array(dropped, dtype=bool).reshape(shape) if any(dropped) else None)
    if isinstance(raw, dict):
        raise AnswerFormatError("a table of values was given where numbers are due")
    value, places, digits, reading = _scalar(raw, percent)
    zeros = np.array(True) if isinstance(raw, FloatText) and raw.zeros_dropped else None
    return Numeric(np.array(value), np.array(places), np.array(digits), (reading,) if reading else (), zeros)


def _shape_of(raw: list, flat: list, depth: int = 0) -> tuple[int, ...]:
    """Shape of a nested list (refusing ragged ones), appending leaves to ``flat``."""
    if depth > bounds.LIST_DEPTH:
        raise AnswerFormatError(f"the answer is nested more than {bounds.LIST_DEPTH} levels deep")
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


def parse_integer(raw: Any, *, name: str | None = None) -> int:
    """An exact integer ("116", 116, "116.0", "1,474,560", "3*3*128*256"); anything else raises ``AnswerFormatError``."""
    exact = exact_integer(raw, name)
    if exact is not None:
        return exact
    value = parse_numeric(raw, name=name).values
    if value.ndim != 0:
        raise AnswerFormatError(f"expected one integer, got a list of shape {value.shape}")
    x = float(value)
    if not math.isfinite(x) or not x.is_integer():
        raise AnswerFormatError(f"{raw!r} is not a whole number")
    return int(x)


_TORCH_SIZE = re.compile(r"^\s*(?:torch\.)?Size\s*\(\s*(.*?)\s*\)\s*$", re.S)


def parse_shape(raw: Any) -> tuple[int, ...]:
    """A shape: [5, 6], (5, 6), "5x6", "5 × 6", "(1, 16, 32, 32)", and what torch prints: torch.Size([1, 16, 32, 32])."""
    return read_shape(raw)[0]


def read_shape(raw: Any) -> tuple[tuple[int, ...], str | None]:
    """``(shape, reading)``: the reading says how a size that is not a plain integer was read.

    Between commas a size may be arithmetic (``(10, 16*32*32)`` is (10, 16384), never four sizes);
    without commas ``x``, ``×``, ``*``, ``\\times`` and ``\\cdot`` separate the sizes (``2 \\times 3`` is (2, 3)).

    >>> read_shape("(10, 16*32*32)")
    ((10, 16384), "read '(10, 16*32*32)' as (10, 16384)")
    >>> read_shape(r"2 \\times 3 \\times 2 \\times 2")[0]
    (2, 3, 2, 2)
    """
    if isinstance(raw, str):
        if len(raw) > MAX_TEXT:
            raise AnswerFormatError(f"the answer is {len(raw)} characters long; at most {MAX_TEXT} are read")
        m = _TORCH_SIZE.match(raw)
        s = _unwrap((m.group(1) if m else raw).strip())[0]
        s = s.strip("$").strip()
        bracketed = s[:1] in "[(" and s[-1:] in "])"
        inner = s[1:-1].strip() if bracketed else s
        if (bracketed or s[:1] in "[(" or _top_level_comma(s)) and not (
                bracketed and not _top_level_comma(inner) and _SIZE_WORDS.search(inner)):  # (5 x 6): no list
            try:
                sizes = _bracketed(s, bare=not bracketed)
            except AnswerFormatError as e:
                raise AnswerFormatError(f"{quoted(raw, 40)} is not a shape: {e}") from None
            if not sizes or any(isinstance(t, list) for t in sizes):
                raise AnswerFormatError(f"{quoted(raw, 40)} is not a shape (write e.g. [5, 6] or 5x6)")
            dims = tuple(_size(t, raw) for t in sizes)
            plain = all(re.fullmatch(r"\d+", t) for t in sizes)
        else:
            dims = _sizes(inner, raw)
            plain = not re.search(r"\\|[·⋅]", s)
        return dims, None if plain else f"read {quoted(raw)} as {_shape_shown(dims)}"
    if isinstance(raw, (int, np.integer)) and not isinstance(raw, bool):
        return (int(raw),), None
    if isinstance(raw, (list, tuple)):
        dims = tuple(_size(d, raw) for d in raw)
        plain = all(isinstance(d, (int, np.integer)) or (isinstance(d, str) and d.strip().isdigit()) for d in raw)
        return dims, None if plain else f"read {quoted(str(list(raw)))} as {_shape_shown(dims)}"
    raise AnswerFormatError(f"{raw!r} is not a shape (write e.g. [5, 6] or 5x6)")


# a shape written without commas: 5x6, 5 × 6, 5*6, 2 \times 3, 5 by 6 (its sizes are read by parse_sizes)
_SIZE_WORDS = re.compile(r"[x×*·⋅]|\\times|\\cdot|\bby\b")


def _sizes(s: str, raw: Any) -> tuple[int, ...]:
    """The sizes of a shape written without commas (``5x6``, ``2 \\times 3``), read by the answer language's
    lexer."""
    from gradekit.core.reader.errors import ExprError
    from gradekit.core.reader.parser import parse_sizes

    try:
        return tuple(_whole(t.value, raw) for t in parse_sizes(s))
    except ExprError as e:
        raise AnswerFormatError(f"{quoted(raw, 40)} is not a shape (write e.g. [5, 6] or 5x6): {e}") from None


def _size(written: Any, raw: Any) -> int:
    """One size of a shape: an exact integer, arithmetic allowed (``16*32*32``, ``14 \\cdot 30``); never negative."""
    try:
        size = parse_integer(written)
    except AnswerFormatError as e:
        raise AnswerFormatError(f"{quoted(str(raw), 40)} is not a shape: the size {quoted(str(written), 30)} is not a "
                                f"whole number ({e})") from None
    if size < 0:
        raise AnswerFormatError(f"a shape has no negative sizes: {quoted(str(raw), 40)}")
    return size


def _shape_shown(dims: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(d) for d in dims) + ("," if len(dims) == 1 else "") + ")"


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

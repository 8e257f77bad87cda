"""The answer language for one number: arithmetic and closed forms, read by our parser, evaluated by sympy.

Students write numbers the way their homework does: ``3*3*128*256 + 3*3*256*512``,
``16 \\times 3 \\times 5 \\times 5``, ``1.47456 \\times 10^6``, ``2^8*9``, ``\\frac12``,
``e^2/(1+e^2)``, ``1/(1+exp(1))``, ``\\sqrt{2}/2``, ``σ(2)``, ``π/4``. The text is read by the
answer language's one lexer and parser (``parser.parse_arithmetic``: formulas' grammar, no symbol
declared, never ``eval``) under its bounds, and this module builds a sympy value from the tree, each
power bounded before it is computed, so rationals stay exact and an integer part accepts any
expression equal to the integer. sympy is imported only here, and only when an entry is not a plain
number.

>>> reading = read_expression("3*3*128*256 + 3*3*256*512")
>>> reading.value, reading.is_integer
(1474560.0, True)
>>> round(read_expression(r"\\frac{e^2}{1+e^2}").value, 6)
0.880797
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from gradekit.core.errors import UnreadableAnswer
from gradekit.core.reader import bounds
from gradekit.core.reader.errors import ExprError
from gradekit.core.reader.nodes import Bin, Call, Mat, Neg, Node, Num
from gradekit.core.reader.parser import parse_arithmetic

__all__ = ["Reading", "ArithError", "read_expression", "MAX_TEXT", "MAX_NODES"]

MAX_TEXT = bounds.EXPRESSION_CHARS
MAX_NODES = bounds.NODES
MAX_DIGITS = bounds.EXACT_DIGITS  # an exact power with more digits than this is refused before it is computed


class ArithError(UnreadableAnswer):
    """Text that is not an arithmetic expression of numbers; the message is one line."""


@dataclass(frozen=True)
class Reading:
    """An expression's value: ``value`` as a float, ``exact`` the sympy number, and how it reads back."""

    value: float
    exact: Any
    shown: str

    @property
    def is_integer(self) -> bool:
        return bool(getattr(self.exact, "is_Integer", False))


def _exact(node: Node, sp: Any) -> Any:
    """The sympy value of a tree of numbers, each step bounded before it is computed."""
    if isinstance(node, Num):
        return _number(node, sp)
    if isinstance(node, Neg):
        return -_exact(node.arg, sp)
    if isinstance(node, Bin):
        left, right = _exact(node.left, sp), _exact(node.right, sp)
        if node.op == "+":
            return left + right
        if node.op == "-":
            return left - right
        if node.op in ("mat", "had"):  # numbers: every product is a product
            return left * right
        if node.op == "/":
            if right == 0:
                raise ArithError("divides by zero")
            return left / right
        return _bounded_power(sp, left, right)
    if isinstance(node, Call) and node.fn in _ONE_ARGUMENT and len(node.args) == 1:
        return _ONE_ARGUMENT[node.fn](sp, _exact(node.args[0], sp))
    if isinstance(node, Call) and node.fn in ("min", "max"):
        args = [_exact(a, sp) for a in node.args]
        return sp.Min(*args) if node.fn == "min" else sp.Max(*args)
    what = f"{node.fn}" if isinstance(node, Call) else "a matrix" if isinstance(node, Mat) else "a transpose"
    raise ArithError(f"{what} is not arithmetic gradekit reads")


def _number(node: Num, sp: Any) -> Any:
    text = node.text
    if text in ("e", "pi"):
        return sp.E if text == "e" else sp.pi
    exponent = re.search(r"[eE][+-]?0*(\d+)$", text)
    if exponent and (len(exponent.group(1)) > 4 or int(exponent.group(1)) > MAX_DIGITS):
        raise ArithError(f"exponent too large in {text[:40]!r} (at most {MAX_DIGITS})")  # 10**e, before sympy
    return sp.Rational(text) if ("." in text or "e" in text.lower()) else sp.Integer(text)


def _sqrt(sp: Any, x: Any) -> Any:
    if x.is_negative:
        raise ArithError("the square root of a negative number is not real")
    return sp.sqrt(x)


def _log(sp: Any, x: Any) -> Any:
    if not x.is_positive:
        raise ArithError("log of a number that is not positive")
    return sp.log(x)


_ONE_ARGUMENT = {
    "abs": lambda sp, x: sp.Abs(x), "sqrt": _sqrt, "exp": lambda sp, x: _bounded_power(sp, sp.E, x), "log": _log,
    "sigmoid": lambda sp, x: 1 / (1 + _bounded_power(sp, sp.E, -x)), "tanh": lambda sp, x: sp.tanh(x),
    "sign": lambda sp, x: sp.sign(x), "relu": lambda sp, x: sp.Max(0, x),
}


def _tree(text: str) -> Node:
    """The tree of ``text`` from the answer language's own parser, its refusal in the words numbers always had."""
    try:
        return parse_arithmetic(text)
    except ExprError as e:
        raise ArithError(_in_characters(e)) from None


_MISMATCH = re.compile(r"^'(.)' does not match '(.)' at col (\d+)$")


def _in_characters(e: ExprError) -> str:
    """A formula's refusal as a number's says it: "at character N", never "col N"."""
    m = _MISMATCH.match(e.message)
    if m:
        return f"{m.group(2)!r} at character {m.group(3)} is closed by {m.group(1)!r} at character {e.col}"
    if e.message == "the answer ends where an expression was expected":
        return "the expression ends too early"
    message = re.sub(r"\bat col (\d+)", r"at character \1", e.message)
    return message if "at character" in message or message.startswith("unknown name") else f"at character {e.col}: {message}"


def _bounded_power(sp: Any, base: Any, exponent: Any) -> Any:
    """``base ** exponent``, refused before it is computed when the result would be huge."""
    try:
        e = float(exponent)
        b = abs(float(base))
    except (TypeError, ValueError):
        raise ArithError("a power whose exponent is not a number") from None
    if not math.isfinite(e) or abs(e) > bounds.POWER or (b > 1 and e * math.log10(b) > MAX_DIGITS):
        raise ArithError("a power too large to compute (exponents are limited)")
    if base == 0 and e < 0:
        raise ArithError("divides by zero")
    return base ** exponent


def _shown(sp: Any, exact: Any, value: float) -> str:
    if getattr(exact, "is_Integer", False):
        return str(int(exact))
    if getattr(exact, "is_Rational", False) and exact.q < 10**6:
        q = exact.q
        while q % 2 == 0:
            q //= 2
        while q % 5 == 0:
            q //= 5
        if q != 1:  # 1/3 stays a fraction; -29/2500 reads better as -0.0116
            return f"{exact.p}/{exact.q}"
    return f"{value:.6g}"


def read_expression(text: str) -> Reading:
    """The exact value of ``text``, an arithmetic expression of numbers; ``ArithError`` otherwise."""
    if len(text) > MAX_TEXT:
        raise ArithError(f"an arithmetic answer is at most {MAX_TEXT} characters")
    if not text.strip():
        raise ArithError("the answer is empty")
    tree = _tree(text)
    import sympy as sp  # only here: a file of plain numbers never pays for sympy

    exact = _exact(tree, sp)
    if getattr(exact, "is_Rational", False) and max(abs(exact.p), exact.q).bit_length() > MAX_DIGITS * 3.33:
        raise ArithError(f"a number of more than {MAX_DIGITS} digits")  # products of large numbers
    if not getattr(exact, "is_number", False) or exact.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        raise ArithError("does not evaluate to a finite number")
    value = complex(sp.N(exact, 30))
    if abs(value.imag) > 1e-12 * max(1.0, abs(value.real)):
        raise ArithError("does not evaluate to a real number")
    return Reading(float(value.real), exact, _shown(sp, exact, value.real))

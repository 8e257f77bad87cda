"""The answer language for one number: arithmetic and closed forms, read by our parser, evaluated by sympy.

Students write numbers the way their homework does: ``3*3*128*256 + 3*3*256*512``,
``16 \\times 3 \\times 5 \\times 5``, ``1.47456 \\times 10^6``, ``2^8*9``, ``\\frac12``,
``e^2/(1+e^2)``, ``1/(1+exp(1))``, ``\\sqrt{2}/2``, ``σ(2)``, ``π/4``. This module
tokenizes and parses that text itself (never ``eval``), with limits on length,
nodes and exponent size, and builds a sympy expression from the tree, so
rationals stay exact and an integer part accepts any expression equal to the
integer. sympy is imported only here, and only when an entry is not a plain number.

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


_TOKEN = re.compile(r"""
    (?P<num>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)
  | (?P<cmd>\\[A-Za-z]+)
  | (?P<word>[A-Za-zπσ]+)
  | (?P<op>\*\*|[-+*/^(){}\[\]×·÷⋅,])
  | (?P<space>\s+|\\[,;:! ]|~)
""", re.X)

# What each word means: a function of one argument, or a constant.
_FUNCS = {"sqrt", "exp", "log", "ln", "sigmoid", "σ", "tanh", "sigma", "abs"}
_MANY = {"min", "max"}  # functions of one or more arguments, separated by commas
_CONSTS = {"pi", "π", "e"}
_LATEX = {"\\sqrt": "sqrt", "\\exp": "exp", "\\log": "log", "\\ln": "ln", "\\tanh": "tanh", "\\sigma": "σ",
          "\\pi": "pi", "\\times": "*", "\\cdot": "*", "\\div": "/", "\\left": "", "\\right": "",
          "\\frac": "frac", "\\dfrac": "frac", "\\tfrac": "frac", "\\mathrm": "", "\\operatorname": ""}


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    opened: list[tuple[str, int]] = []  # brackets as written, and where: "(1+2]" is a typo, not arithmetic
    last_end, last_kind = -1, ""
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise ArithError(f"{text[pos]!r} at character {pos + 1} is not part of a number or of arithmetic")
        kind = m.lastgroup
        value = m.group()
        if kind == "num" and last_kind == "num" and last_end == pos:  # "1..2", "0..5": two numbers run together
            raise ArithError(f"two numbers run together at character {pos + 1} ({text[max(0, pos - 3):pos + 3]!r})")
        last_end, last_kind = m.end(), kind
        if value in "([{" and value:
            opened.append((value, pos))
        elif value in ")]}" and value:
            if not opened:
                raise ArithError(f"{value!r} at character {pos + 1} closes no bracket")
            left, at = opened.pop()
            if {"(": ")", "[": "]", "{": "}"}[left] != value:
                raise ArithError(f"{left!r} at character {at + 1} is closed by {value!r} at character {pos + 1}")
        pos = m.end()
        if kind == "space":
            continue
        if kind == "cmd":
            if value not in _LATEX:
                raise ArithError(f"{value} is not arithmetic gradekit reads")
            value = _LATEX[value]
            if not value:
                continue
            kind = "op" if value in "*/" else "word"
        if kind == "op":
            value = {"×": "*", "·": "*", "⋅": "*", "÷": "/", "**": "^", "[": "(", "]": ")"}.get(value, value)
        if kind == "word" and value not in _FUNCS | _MANY | _CONSTS | {"frac"}:
            raise ArithError(f"unknown name {value!r}: arithmetic may use numbers, π, e, "
                             f"sqrt, exp, log/ln, sigmoid/σ, tanh, abs, min and max")
        out.append((kind, value))
    if opened:
        n = len(opened)
        raise ArithError(f"{n} bracket{'s' if n > 1 else ''} left open (the first {opened[0][0]!r} at character "
                         f"{opened[0][1] + 1})")
    return out


class _Parser:
    """Recursive descent to a sympy expression, counting nodes and bounding powers as it goes."""

    def __init__(self, tokens: list[tuple[str, str]], sp: Any):
        self.toks, self.i, self.sp, self.nodes, self.depth = tokens, 0, sp, 0, 0

    def deeper(self) -> None:
        """One level more of brackets or signs, refused past the bound before the recursion can run out."""
        self.depth += 1
        if self.depth > bounds.NESTING:
            raise ArithError(f"the expression is nested more than {bounds.NESTING} levels deep")

    def peek(self) -> tuple[str, str]:
        return self.toks[self.i] if self.i < len(self.toks) else ("end", "")

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        self.i += 1
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise ArithError(f"the expression is longer than {MAX_NODES} parts")
        return tok

    def expect(self, value: str) -> None:
        kind, got = self.take()
        if got != value:
            raise ArithError(f"expected {value!r}, found {got!r}" if got else f"expected {value!r} at the end")

    def run(self) -> Any:
        value = self.sum()
        if self.peek()[0] != "end":
            raise ArithError(f"unexpected {self.peek()[1]!r}")
        return value

    def sum(self) -> Any:
        self.deeper()
        value = self.product()
        while self.peek()[1] in ("+", "-"):
            op = self.take()[1]
            right = self.product()
            value = value + right if op == "+" else value - right
        self.depth -= 1
        return value

    def product(self) -> Any:
        value = self.unary()
        while True:
            kind, tok = self.peek()
            if tok in ("*", "/"):
                self.take()
                right = self.unary()
                if tok == "/":
                    if right == 0:
                        raise ArithError("divides by zero")
                    value = value / right
                else:
                    value = value * right
            elif kind in ("num", "word") or tok in ("(", "{"):  # juxtaposed: 2π, 2(3 + 1)
                value = value * self.unary()
            else:
                return value

    def unary(self) -> Any:
        if self.peek()[1] in ("-", "+"):
            sign = self.take()[1]
            self.deeper()
            value = self.unary()
            self.depth -= 1
            return -value if sign == "-" else value
        return self.power()

    def power(self) -> Any:
        base = self.atom()
        if self.peek()[1] != "^":
            return base
        self.take()
        self.deeper()
        exponent = self.unary() if self.peek()[1] != "{" else self.group()
        self.depth -= 1
        return _bounded_power(self.sp, base, exponent)

    def group(self) -> Any:
        opener = self.take()[1]
        value = self.sum()
        self.expect(")" if opener == "(" else "}")
        return value

    def atom(self) -> Any:
        sp = self.sp
        kind, tok = self.peek()
        if kind == "num":
            self.take()
            exponent = re.search(r"[eE][+-]?0*(\d+)$", tok)
            if exponent and (len(exponent.group(1)) > 4 or int(exponent.group(1)) > MAX_DIGITS):
                raise ArithError(f"exponent too large in {tok[:40]!r} (at most {MAX_DIGITS})")  # 10**e, before sympy
            return sp.Rational(tok) if ("." in tok or "e" in tok.lower()) else sp.Integer(tok)
        if tok in ("(", "{"):
            return self.group()
        if kind != "word":
            raise ArithError(f"expected a number, found {tok!r}" if tok else "the expression ends too early")
        self.take()
        if tok == "frac":
            return self.fraction()
        if tok in _CONSTS:
            return sp.pi if tok in ("pi", "π") else sp.E
        if tok in _MANY:
            args = self.arguments()
            return sp.Min(*args) if tok == "min" else sp.Max(*args)
        arg = self.argument()
        if tok == "abs":
            return sp.Abs(arg)
        if tok == "sqrt":
            if arg.is_negative:
                raise ArithError("the square root of a negative number is not real")
            return sp.sqrt(arg)
        if tok == "exp":
            return _bounded_power(sp, sp.E, arg)
        if tok in ("log", "ln"):
            if not arg.is_positive:
                raise ArithError("log of a number that is not positive")
            return sp.log(arg)
        if tok in ("sigmoid", "σ", "sigma"):
            return 1 / (1 + _bounded_power(sp, sp.E, -arg))
        return sp.tanh(arg)

    def arguments(self) -> list[Any]:
        """min(a, b, …)'s arguments."""
        if self.peek()[1] != "(":
            raise ArithError("min and max take their arguments in brackets: max(0, -2)")
        self.take()
        args = [self.sum()]
        while self.peek()[1] == ",":
            self.take()
            args.append(self.sum())
        self.expect(")")
        return args

    def argument(self) -> Any:
        """A function's argument: (x), {x}, or a single atom as in LaTeX's ``\\sqrt2``."""
        if self.peek()[1] in ("(", "{"):
            return self.group()
        return self.atom()

    def fraction(self) -> Any:
        """``\\frac{a}{b}``, and LaTeX's shorthand ``\\frac12`` (one digit each)."""
        kind, tok = self.peek()
        if kind == "num" and tok.isdigit() and len(tok) == 2:
            self.take()
            num, den = self.sp.Integer(tok[0]), self.sp.Integer(tok[1])
        else:
            num = self.argument()
            if self.peek()[0] == "num" and self.peek()[1].isdigit() and len(self.peek()[1]) == 1:
                den = self.sp.Integer(self.take()[1])
            else:
                den = self.argument()
        if den == 0:
            raise ArithError("divides by zero")
        return num / den


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
    tokens = _tokens(text)
    if not tokens:
        raise ArithError("the answer is empty")
    import sympy as sp  # only here: a file of plain numbers never pays for sympy

    exact = _Parser(tokens, sp).run()
    if getattr(exact, "is_Rational", False) and max(abs(exact.p), exact.q).bit_length() > MAX_DIGITS * 3.33:
        raise ArithError(f"a number of more than {MAX_DIGITS} digits")  # products of large numbers
    if not getattr(exact, "is_number", False) or exact.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        raise ArithError("does not evaluate to a finite number")
    value = complex(sp.N(exact, 30))
    if abs(value.imag) > 1e-12 * max(1.0, abs(value.real)):
        raise ArithError("does not evaluate to a real number")
    return Reading(float(value.real), exact, _shown(sp, exact, value.real))

"""Numbers, vectors and matrices as short text and as LaTeX, for worked steps.

>>> tex([[1, 0.5], [0, -2]])
'\\\\begin{bmatrix} 1 & 0.5 \\\\\\\\ 0 & -2 \\\\end{bmatrix}'
>>> fmt(0.1166666666)
'0.116667'
"""

from __future__ import annotations

import re
import unicodedata
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


# -- LaTeX in statements, as a terminal shows it -----------------------------------------------------------

_SYMBOLS = {
    "partial": "∂", "times": "×", "cdot": "·", "in": "∈", "sum": "Σ", "prod": "Π", "sigma": "σ", "alpha": "α",
    "beta": "β", "gamma": "γ", "mu": "μ", "epsilon": "ε", "varepsilon": "ε", "eta": "η", "lambda": "λ",
    "theta": "θ", "delta": "δ", "Delta": "Δ", "nabla": "∇", "pi": "π", "rho": "ρ", "tau": "τ", "phi": "φ",
    "omega": "ω", "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "neq": "≠", "ne": "≠", "approx": "≈",
    "odot": "⊙", "top": "ᵀ", "leftarrow": "←", "rightarrow": "→", "to": "→", "infty": "∞", "dots": "…",
    "ldots": "…", "cdots": "⋯", "lfloor": "⌊", "rfloor": "⌋", "lceil": "⌈", "rceil": "⌉", "lVert": "‖",
    "rVert": "‖", "Vert": "‖", "mid": "|", "pm": "±", "forall": "∀", "sqrt": "√", "quad": "  ", "qquad": "    ",
    ",": " ", ";": " ", ":": " ", "!": "", " ": " ", "{": "{", "}": "}", "_": "_", "%": "%", "$": "$",
    "ln": "ln", "log": "log", "exp": "exp", "max": "max", "min": "min", "tanh": "tanh",
}
# commands that only style or size what follows: dropped, their argument kept
_STYLES = {"mathrm", "mathbf", "mathit", "mathsf", "text", "textrm", "operatorname", "boldsymbol", "mathcal",
           "left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "displaystyle", "textstyle"}
_LETTERS = {"partial", "nabla"}  # bind to what follows: \\partial L is ∂L (a Greek letter keeps its space)
_DOUBLE_STRUCK = {"R": "ℝ", "N": "ℕ", "Z": "ℤ", "E": "𝔼"}
_ACCENTS = {"hat": "\u0302", "tilde": "\u0303", "bar": "\u0304", "vec": "\u20d7", "dot": "\u0307"}
_SUPERSCRIPT = str.maketrans("0123456789+-=()nTi", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿᵀⁱ")
_SUBSCRIPT = str.maketrans("0123456789+-=()", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎")


def readable(statement: str) -> str:
    """A statement's LaTeX math (``$…$``, ``$$…$$``) as plain Unicode text, for a terminal; prose left as it is.

    >>> readable(r"input $x_1 \\in \\mathbb{R}^{3}$, $L = \\tfrac12 (t - x_3)^T (t - x_3)$")
    'input x₁ ∈ ℝ³, L = 1/2 (t - x₃)ᵀ (t - x₃)'
    >>> readable(r"$$W = \\begin{bmatrix} 0 & -1 \\\\ 2 & 2 \\end{bmatrix},\\quad \\frac{\\partial L}{\\partial W}$$")
    'W = [[0, -1], [2, 2]],   ∂L/∂W'
    """
    out, i = [], 0
    while i < len(statement):
        if statement[i] == "\\" and statement[i + 1:i + 2] == "$":  # an escaped dollar is a dollar sign
            out.append("$")
            i += 2
            continue
        if statement[i] != "$":
            out.append(statement[i])
            i += 1
            continue
        fence = "$$" if statement.startswith("$$", i) else "$"
        end = statement.find(fence, i + len(fence))
        if end < 0:  # an unmatched dollar is text
            out.append(statement[i:])
            break
        out.append(_math(statement[i + len(fence):end]).strip())
        i = end + len(fence)
    return "".join(out)


def _math(tex_src: str) -> str:
    """One formula as text: ``_Reader`` walks it once, left to right; a big operator stands apart (1/m Σ)."""
    return re.sub(r"(?<=[^\s(])([ΣΠ])", r" \1", _Reader(tex_src).run())


class _Reader:
    def __init__(self, src: str):
        self.src, self.i = src, 0

    def run(self, stop: str = "") -> str:
        out: list[str] = []
        while self.i < len(self.src):
            ch = self.src[self.i]
            if stop and ch == stop:
                self.i += 1
                break
            self.i += 1
            if ch == "\\":
                out.append(self._command(out))
            elif ch == "{":
                out.append(self.run("}"))
            elif ch == "}":
                continue
            elif ch in "^_":
                arg = self._argument()
                out.append(_script(arg, ch))
            elif ch == "\n":
                out.append(" ")
            else:
                out.append(ch)
        return "".join(out)

    def _argument(self) -> str:
        """The next group or single token, read as text."""
        while self.i < len(self.src) and self.src[self.i] == " ":
            self.i += 1
        if self.i >= len(self.src):
            return ""
        ch = self.src[self.i]
        self.i += 1
        if ch == "{":
            return self.run("}")
        if ch == "\\":
            return self._command([])
        return ch

    def _skip_spaces(self) -> None:
        while self.i < len(self.src) and self.src[self.i] == " ":
            self.i += 1

    def _name(self) -> str:
        start = self.i
        while self.i < len(self.src) and self.src[self.i].isalpha():
            self.i += 1
        if self.i == start and self.i < len(self.src):  # a one-character command: \\ \, \{ ...
            self.i += 1
        return self.src[start:self.i]

    def _command(self, before: list[str]) -> str:
        name = self._name()
        if name in ("frac", "tfrac", "dfrac"):
            num, den = self._argument(), self._argument()
            return f"{_grouped(num)}/{_grouped(den)}"
        if name == "sqrt":
            return f"√{_grouped(self._argument())}"
        if name == "mathbb":
            arg = self._argument()
            return _DOUBLE_STRUCK.get(arg, arg)
        if name in _ACCENTS:
            arg = self._argument()
            return unicodedata.normalize("NFC", arg + _ACCENTS[name]) if len(arg) == 1 else f"{name}({arg})"
        if name in _STYLES:
            return ""
        if name == "begin":
            env = self._argument()
            end = self.src.find(f"\\end{{{env}}}", self.i)
            body = self.src[self.i:end if end >= 0 else len(self.src)]
            self.i = end + len(f"\\end{{{env}}}") if end >= 0 else len(self.src)
            if env == "cases":
                return "{ " + "; ".join(" if ".join(_math(c).strip() for c in row.split("&"))
                                        for row in body.split("\\\\") if row.strip()) + " }"
            return _matrix(body) if env.endswith("matrix") else _math(body)
        if name == "\\":
            return "; "
        if name in _SYMBOLS:
            if name in _LETTERS:
                self._skip_spaces()
            return _SYMBOLS[name]
        return name  # an unknown command: its name, without the backslash


def _grouped(text_: str) -> str:
    """A fraction's side: bare when it is one token (``∂L``), in parentheses otherwise."""
    text_ = text_.strip()
    return text_ if len(text_.split()) <= 1 and not any(c in text_ for c in "+-/") else f"({text_})"


def _script(arg: str, mark: str) -> str:
    """``x_1`` → ``x₁``, ``^{T}`` → ``ᵀ``; what Unicode has no small letters for stays ``_(i=1)``."""
    arg = arg.strip()
    table = _SUPERSCRIPT if mark == "^" else _SUBSCRIPT
    if arg and all(ord(c) in table for c in arg):
        return arg.translate(table)
    if arg == "ᵀ" and mark == "^":
        return arg
    return f"{mark}{arg}" if len(arg) == 1 else f"{mark}({arg})"


def _matrix(body: str) -> str:
    """A ``bmatrix`` as nested brackets, a column as a transposed row: ``[1, 2]ᵀ``."""
    rows = [[_math(cell).strip() for cell in row.split("&")] for row in body.split("\\\\") if row.strip()]
    if rows and all(len(r) == 1 for r in rows) and len(rows) > 1:
        return "[" + ", ".join(r[0] for r in rows) + "]ᵀ"
    if len(rows) == 1:
        return "[" + ", ".join(rows[0]) + "]"
    return "[" + ", ".join("[" + ", ".join(r) + "]" for r in rows) + "]"

"""Declared symbols and shape checking, before any number is drawn.

A part declares its symbols with symbolic dimensions; every node of an answer
gets a shape from them, and an answer that cannot have one is refused with the
student's own text: ``W2 x1: (k×m)·(n×1) do not compose``.

Reading of the operators (as in NumPy, so a student who tests in Python sees
the same thing): juxtaposition, ``@``, ``·``/``\\cdot`` are the matrix product;
``*``, ``∘``, ``⊙``, ``.*``, ``\\odot``, ``\\circ`` multiply entry by entry and
need equal shapes; either is a plain scaling when one side is a scalar (or
1×1, such as ``(t − x3)ᵀ(t − x3)``). ``+``, ``−``, ``/`` are entry by entry
with the same scalar rule; ``^`` needs a scalar exponent and is entry by entry
on a matrix (``e^{-u}``, a scalar base, is entry by entry too). There is no implicit broadcasting of vectors.

>>> table = Symbols.declare({"x1": "n×1", "W2": "k×m"})
>>> shape_of(Bin("mat", Sym("W2"), Sym("x1"), col=1, end=6), table, "W2 x1")
Traceback (most recent call last):
...
gradekit.core.reader.errors.ExprError: col 1: W2 x1: (k×m)·(n×1) do not compose
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping

from gradekit.core.reader.errors import ExprError
from gradekit.core.reader.lexer import FUNCTION_WORDS, UNICODE_GREEK
from gradekit.core.reader.nodes import Bin, Call, Mat, Neg, Node, Num, Sym, T

Shape = tuple  # () for a scalar, (rows, cols) otherwise
RESERVED = {"e", "pi", "T"} | set(FUNCTION_WORDS)


def canonical(name: str) -> str:
    """``W_{1}``, ``W_1`` and ``W1`` are one name; ``w_1^{11}`` is ``w1^11``; ``\\delta_1``/``δ₁`` is ``delta1``."""
    out = "".join(UNICODE_GREEK.get(c, c) for c in name)
    out = out.translate(str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789"))
    return re.sub(r"[\\_{}\s]|var(?=[a-z])", "", out)


def parse_shape(text: str) -> Shape:
    """``"m×n"`` -> ("m", "n"); ``"n"`` or ``"n×1"`` -> ("n", 1); ``"scalar"``/``"1"`` -> ()."""
    t = str(text).strip()
    if t.lower() in {"", "scalar", "1", "1×1", "1x1"}:
        return ()
    parts = [p for p in re.split(r"\s*(?:×|\*|,|\s+x\s+)\s*", t) if p]
    if len(parts) == 1:
        parts.append("1")
    if len(parts) != 2 or not all(re.fullmatch(r"[A-Za-z][A-Za-z0-9]*|[1-9][0-9]*", p) for p in parts):
        raise ValueError(f"shape {text!r} must be 'scalar', a dimension 'n' (a column), or 'rows×cols' such as 'm×n'")
    return tuple(int(p) if p.isdigit() else p for p in parts)


def show(shape: Shape) -> str:
    return "scalar" if not shape else "(" + "×".join(str(d) for d in shape) + ")"


def scalar_like(shape: Shape) -> bool:
    return shape == () or shape == (1, 1)


@dataclass(frozen=True, eq=False)  # hashed by identity: tables are built once (cached) and reused
class Symbols:
    """Declared names: shape by canonical name, the spelling to show, and definitions in order."""

    shapes: Mapping[str, Shape]
    display: Mapping[str, str] = field(default_factory=dict)
    define: tuple[tuple[str, Node], ...] = ()  # x2 := sigmoid(W1 x1 + b1), evaluated after the free names

    @classmethod
    def declare(cls, symbols: Mapping[str, str]) -> "Symbols":
        shapes: dict[str, Shape] = {}
        display: dict[str, str] = {}
        for name, shape in symbols.items():
            key = canonical(str(name))
            if not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*(\^[A-Za-z0-9]+)?", key):
                raise ValueError(f"symbol name {name!r} must be letters and digits, with optional _sub and ^{{sup}}")
            if key in RESERVED:
                raise ValueError(f"symbol name {name!r} is reserved (functions, e, pi, T)")
            if key in shapes:
                raise ValueError(f"symbols {display[key]!r} and {name!r} are the same name once written plainly")
            shapes[key], display[key] = parse_shape(shape), str(name)
        return cls(shapes, display)

    def name(self, key: str) -> str:
        return self.display.get(key, key)

    def listing(self) -> str:
        return ", ".join(sorted(self.display.get(k, k) for k in self.shapes))

    def dims(self) -> list[str]:
        return sorted({d for s in self.shapes.values() for d in s if isinstance(d, str)})


def _src(node: Node, text: str | None, table: Symbols) -> str:
    from gradekit.core.reader.nodes import to_text

    if text is not None and node.end > node.col > 0:
        return text[node.col - 1 : node.end - 1].strip()
    return to_text(node, table.name)


def shape_of(node: Node, table: Symbols, text: str | None = None) -> Shape:
    """The shape of ``node``, or ``ExprError`` at the column of the first part that has none."""
    if isinstance(node, Num):
        return ()
    if isinstance(node, Sym):
        return table.shapes[node.name]
    if isinstance(node, Neg):
        return shape_of(node.arg, table, text)
    if isinstance(node, T):
        s = shape_of(node.arg, table, text)
        return s if not s else (s[1], s[0])
    if isinstance(node, Call):
        shapes = [shape_of(a, table, text) for a in node.args]
        if node.fn in {"sum", "max", "min"} and len(shapes) == 1:
            return ()
        if node.fn in ("max", "min") and len(shapes) == 2:
            return _same_or_scalar(node, shapes[0], shapes[1], table, text, "max")
        if len(shapes) != 1:
            raise ExprError(node.col, f"{node.fn} takes one argument, got {len(shapes)}")
        if node.fn == "diag" and not scalar_like(shapes[0]):
            n, m = shapes[0]
            if 1 not in (n, m):
                raise ExprError(node.col, f"diag takes a vector, but {_src(node.args[0], text, table)} is "
                                          f"{show(shapes[0])}")
            size = m if n == 1 else n
            return (size, size)
        return shapes[0]
    if isinstance(node, Mat):
        for row in node.rows:
            for x in row:
                if not scalar_like(shape_of(x, table, text)):
                    raise ExprError(x.col, f"matrix entries must be scalars; {_src(x, text, table)} is {show(shape_of(x, table, text))}")
        return (len(node.rows), len(node.rows[0]))
    assert isinstance(node, Bin)
    a, b = shape_of(node.left, table, text), shape_of(node.right, table, text)
    if node.op == "mat":
        if scalar_like(a) or scalar_like(b):
            return b if scalar_like(a) and b != () else a if a != () or b == () else b
        if a[1] == b[0]:
            return (a[0], b[1])
        hint = "; for an entry-by-entry product write ∘ or *" if a == b else ""
        raise ExprError(node.col, f"{_src(node, text, table)}: {show(a)}·{show(b)} do not compose{hint}")
    if node.op == "^":
        if scalar_like(a) and a == ():
            return b  # e^{-u}: a scalar base raised entry by entry
        if not scalar_like(b):
            raise ExprError(node.right.col, f"the exponent {_src(node.right, text, table)} is {show(b)}; it must be a scalar")
        if len(a) == 2 and 1 not in a and a[0] != a[1]:  # on a matrix, ^ is a matrix power (A^{-1}, A^2)
            raise ExprError(node.col, f"{_src(node, text, table)}: {show(a)} is not square, so a power of it (a "
                                      f"matrix power or inverse) has no meaning; for entry-by-entry powers write "
                                      f"it with ∘")
        return a
    return _same_or_scalar(node, a, b, table, text, node.op)


def _same_or_scalar(node: Node, a: Shape, b: Shape, table: Symbols, text: str | None, op: str) -> Shape:
    if a == b:
        return a
    if scalar_like(a):
        return b
    if scalar_like(b):
        return a
    sign = {"had": "∘", "+": "+", "-": "−", "/": "/", "max": ","}[op]
    why = ""
    if op == "had":
        why = " (∘ and *, as in NumPy, multiply entry by entry)"
        if a[1] == b[0]:
            why += "; did you mean the matrix product? write @ or put them side by side"
    return_text = f"{_src(node, text, table)}: {show(a)}{sign}{show(b)} do not match{why}"
    raise ExprError(node.col, return_text)

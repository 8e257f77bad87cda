"""The expression AST: a handful of frozen dataclasses, compared by structure.

``col`` (1-based) and ``end`` point back into the text a node came from, so an
error can quote the student's own words; they take no part in equality, so the
plain-text and the LaTeX spelling of one formula give equal trees.

>>> Bin("mat", Sym("W2"), Sym("x1")) == Bin("mat", Sym("W2"), Sym("x1"), col=4)
True
>>> to_text(Bin("had", T(Sym("W2")), Bin("-", Num(1.0), Sym("x2"))))
'W2ᵀ ∘ (1 − x2)'
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Callable, Iterator

# Binary operators (Bin.op): "+", "-", "/", "^", "mat" (matrix product; scaling when a side
# is a scalar) and "had" (entry-by-entry product; scaling when a side is a scalar).


@dataclass(frozen=True)
class Node:
    col: int = field(default=0, compare=False, kw_only=True)
    end: int = field(default=0, compare=False, kw_only=True)


@dataclass(frozen=True)
class Num(Node):
    value: float
    text: str = field(default="", compare=False, kw_only=True)  # as written ("0.1", "e"): arithmetic is exact


@dataclass(frozen=True)
class Sym(Node):
    name: str  # canonical: "W1" for W_1, W_{1} and \mathbf{W}_1


@dataclass(frozen=True)
class Neg(Node):
    arg: Node


@dataclass(frozen=True)
class T(Node):
    arg: Node


@dataclass(frozen=True)
class Bin(Node):
    op: str
    left: Node
    right: Node
    spelled: str = field(default="", compare=False)  # what the student typed: "*", "@", "\\odot", "" (juxtaposed)


@dataclass(frozen=True)
class Call(Node):
    fn: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Mat(Node):
    rows: tuple[tuple[Node, ...], ...]


@dataclass(frozen=True)
class Lst(Node):
    """A list of numbers as written: ``[1, 2]``, ``(1, 2)``, a row of ``[1, 2; 3, 4]``; its items are entries or
    lists. Only the number reader builds one (``parser.parse_number_list``): it is read, never computed."""

    items: tuple[Node, ...]


def children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, (Neg, T)):
        return (node.arg,)
    if isinstance(node, Bin):
        return (node.left, node.right)
    if isinstance(node, Call):
        return node.args
    if isinstance(node, Mat):
        return tuple(x for row in node.rows for x in row)
    if isinstance(node, Lst):
        return node.items
    return ()


def rebuild(node: Node, kids: tuple[Node, ...]) -> Node:
    """``node`` with its children replaced (same order as ``children``)."""
    if isinstance(node, (Neg, T)):
        return replace(node, arg=kids[0])
    if isinstance(node, Bin):
        return replace(node, left=kids[0], right=kids[1])
    if isinstance(node, Call):
        return replace(node, args=tuple(kids))
    if isinstance(node, Mat):
        width = len(node.rows[0])
        return replace(node, rows=tuple(tuple(kids[i : i + width]) for i in range(0, len(kids), width)))
    if isinstance(node, Lst):
        return replace(node, items=tuple(kids))
    return node


def walk(node: Node, path: tuple[int, ...] = ()) -> Iterator[tuple[tuple[int, ...], Node]]:
    """Every subtree with its path (child indices from the root), parents first."""
    yield path, node
    for i, kid in enumerate(children(node)):
        yield from walk(kid, path + (i,))


def replace_at(node: Node, path: tuple[int, ...], new: Node) -> Node:
    if not path:
        return new
    kids = list(children(node))
    kids[path[0]] = replace_at(kids[path[0]], path[1:], new)
    return rebuild(node, tuple(kids))


def symbols(node: Node) -> set[str]:
    return {n.name for _, n in walk(node) if isinstance(n, Sym)}


def count(node: Node) -> int:
    return sum(1 for _ in walk(node))


# --- text, for messages -----------------------------------------------------------------

_PREC = {"+": 1, "-": 1, "mat": 2, "had": 2, "/": 2, "^": 4}
_SHOW = {"+": " + ", "-": " − ", "had": " ∘ ", "/": " / ", "^": "^"}


def to_text(node: Node, names: Callable[[str], str] = str, _outer: int = 0) -> str:
    """Plain Unicode, parenthesised only where precedence needs it."""
    if isinstance(node, Num):
        v = node.value
        return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else f"{v:.6g}"
    if isinstance(node, Sym):
        return names(node.name)
    if isinstance(node, Neg):
        inner = to_text(node.arg, names)
        return "−" + (f"({inner})" if isinstance(node.arg, Bin) else inner)
    if isinstance(node, T):
        inner = to_text(node.arg, names)
        return (f"({inner})" if isinstance(node.arg, (Bin, Neg)) else inner) + "ᵀ"
    if isinstance(node, Call):
        return f"{node.fn}(" + ", ".join(to_text(a, names) for a in node.args) + ")"
    if isinstance(node, Mat):
        return "[" + "; ".join(", ".join(to_text(x, names) for x in row) for row in node.rows) + "]"
    assert isinstance(node, Bin)
    p = _PREC[node.op]

    def side(kid: Node, right: bool) -> str:
        # products of different kinds (∘ next to a matrix product) are bracketed for the reader, not the parser
        mixed = isinstance(kid, Bin) and {kid.op, node.op} == {"mat", "had"}
        text = to_text(kid, names, 0)
        kp = _PREC.get(kid.op, 9) if isinstance(kid, Bin) else 9
        need = kp < p or (right and kp == p) or mixed or (node.op == "^" and isinstance(kid, (Bin, Neg)))
        return f"({text})" if need else text

    if node.op == "^":
        return side(node.left, False) + "^" + side(node.right, True)
    return side(node.left, False) + _SHOW.get(node.op, " ") + side(node.right, True)


def constant_value(node: Node) -> float:
    """A symbol-free scalar expression in Python floats (overflow raises, never hangs)."""
    if isinstance(node, Num):
        return node.value
    if isinstance(node, Neg):
        return -constant_value(node.arg)
    if isinstance(node, T):
        return constant_value(node.arg)
    if isinstance(node, Call) and len(node.args) == 1:
        x = constant_value(node.args[0])
        fns: dict[str, Callable[[float], float]] = {"exp": math.exp, "log": math.log, "tanh": math.tanh, "sigmoid": lambda v: 1 / (1 + math.exp(-v)),
               "relu": lambda v: max(v, 0.0), "sum": lambda v: v, "max": lambda v: v, "diag": lambda v: v,
               "sigmoid'": lambda v: math.exp(-v) / (1 + math.exp(-v)) ** 2, "tanh'": lambda v: 1 - math.tanh(v) ** 2,
               "relu'": lambda v: float(v > 0), "log'": lambda v: 1 / v, "sqrt": math.sqrt, "abs": abs,
               "sign": lambda v: float((v > 0) - (v < 0)), "min": lambda v: v}
        return fns[node.fn](x)
    if isinstance(node, Bin):
        a, b = constant_value(node.left), constant_value(node.right)
        if node.op == "^":
            if abs(b) > 64:
                raise OverflowError("exponent too large")
            return math.pow(a, b)
        return {"+": a + b, "-": a - b, "mat": a * b, "had": a * b}[node.op] if node.op != "/" else a / b
    raise ValueError("not a constant")

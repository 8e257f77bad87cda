"""A relation as students write it (``wᵀx_i + b ≤ 0``): its two sides read by the formula parser, as one tree.

Exactly one relation (``<= ≤ \\le \\leq >= ≥ \\ge \\geq < > \\lt \\gt``) splits the answer into two formulas;
``lhs ≤ rhs`` is read as ``lhs − rhs ≤ 0`` (``≥`` as ``rhs − lhs ≤ 0``). A trailing ``for all i`` / ``∀i`` /
``\\forall i`` is allowed (the statement says the condition is per i). Judging it is ``check.expr.relation``'s.

>>> from gradekit.core.reader.shapes import Symbols
>>> g, strict = split("-b >= x_i^T w", Symbols.declare({"w": "d×1", "x_i": "d×1", "b": "scalar"}))
>>> strict
False
"""

from __future__ import annotations

import re

from gradekit.core.reader.errors import ExprError
from gradekit.core.reader.lexer import MAX_CHARS
from gradekit.core.reader.nodes import Bin, Node
from gradekit.core.reader.parser import parse
from gradekit.core.reader.shapes import Symbols, scalar_like, shape_of, show

__all__ = ["split", "LESS", "GREATER"]

_RELATION = re.compile(r"<=|>=|≤|≥|⩽|⩾|\\leq?(?![A-Za-z])|\\geq?(?![A-Za-z])|\\lt(?![A-Za-z])|\\gt(?![A-Za-z])|<|>")
_FORALL = re.compile(r"[,;]?\s*(?:\\forall|∀|for\s+all|for\s+every)\s*i\b.*$", re.IGNORECASE | re.DOTALL)
LESS = {"<=": False, "≤": False, "⩽": False, "\\le": False, "\\leq": False, "<": True, "\\lt": True}
GREATER = {">=": False, "≥": False, "⩾": False, "\\ge": False, "\\geq": False, ">": True, "\\gt": True}


def split(text: str, table: Symbols) -> tuple[Node, bool]:
    """``(g, strict)`` with the inequality meaning ``g ≤ 0`` (``g < 0`` when strict)."""
    if not isinstance(text, str):
        raise ExprError(1, f"expected an inequality as text, got {type(text).__name__}")
    if len(text) > MAX_CHARS:
        raise ExprError(1, f"the answer is {len(text)} characters long; the limit is {MAX_CHARS}")
    body = _FORALL.sub("", text.strip().strip("$").strip())
    found = list(_RELATION.finditer(body))
    if len(found) != 1:
        where = found[1].start() + 1 if len(found) > 1 else 1
        raise ExprError(where, f"write one inequality such as 'a <= b' ({len(found)} relations found)")
    m = found[0]
    rel = m.group(0)
    lhs, rhs = body[: m.start()], body[m.end():]
    for side, offset in ((lhs, 0), (rhs, m.end())):
        if not side.strip():
            raise ExprError(offset + 1, f"'{rel}' needs a formula on both sides")
    try:
        left = parse(lhs, table)
    except ExprError as e:
        raise ExprError(e.col, e.message) from None
    try:
        right = parse(rhs, table)
    except ExprError as e:
        raise ExprError(e.col + m.end(), e.message) from None
    for node, side in ((left, lhs), (right, rhs)):
        if not scalar_like(shape_of(node, table)):
            raise ExprError(1, f"{side.strip()} is {show(shape_of(node, table))}; both sides must be scalars")
    less = rel in LESS
    g = Bin("-", left, right) if less else Bin("-", right, left)
    return g, (LESS if less else GREATER)[rel]

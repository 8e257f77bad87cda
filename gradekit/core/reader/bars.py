"""Absolute-value bars: which ``|`` opens and which closes, decided before parsing.

A ``|`` has no side of its own, so ``|a|b|c|`` is both ``|a| b |c|`` and
``|a |b| c|``. Every way the bars of an answer can pair up is tried (a bar
where an operand is expected must open; a bar after an operand may close the
innermost open bar or open a new, juxtaposed one); one way is read, two ways
are refused with the bar that can be read both ways, none is refused too.
``\\left|``, ``\\lvert`` and ``\\bigl|`` only open, ``\\right|``, ``\\rvert``
and ``\\bigr|`` only close. A bar never spans a bracket, a comma or a matrix
row. ``||x||`` or ``| |x| |`` (a norm to a linear-algebra student) is refused,
never read as ``abs(abs(x))``.

>>> [t.kind for t in resolve_bars(tokenize("|a - |b||"))]
['ABS(', 'NAME', '-', 'ABS(', 'NAME', 'ABS)', 'ABS)', 'EOF']
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

from gradekit.core.reader import bounds
from gradekit.core.reader.errors import ExprError
from gradekit.core.reader.lexer import Token, tokenize

OPEN, CLOSE = "ABS(", "ABS)"
# after these an operand has just ended, so a bar may close (or open a juxtaposed |...|)
ENDS_OPERAND = {"NUM", "NAME", ")", "}", "T", "END", CLOSE}
# what may follow an opening bar: the start of an operand (a sign included)
STARTS_INSIDE = {"NUM", "NAME", "FUNC", "(", "{", "FRAC", "BEGIN", "+", "-", "BAR"}
OPENERS = {"(": "(", "{": "{", "BEGIN": "B"}
CLOSERS = {")": "(", "}": "{", "END": "B"}
MAX_OPEN = bounds.NESTING  # bars open at once, as the parser's nesting limit
MAX_BARS = bounds.NODES // 2  # the search recurses once per bar
MAX_STATES = 20_000  # pairings tried; beyond it the answer is refused, never guessed


def resolve_bars(tokens: list[Token]) -> list[Token]:
    """``tokens`` with every ``BAR`` made an ``ABS(`` or ``ABS)``; ``ExprError`` when no or several pairings fit."""
    bars = [i for i, t in enumerate(tokens) if t.kind == "BAR"]
    if not bars:
        return tokens
    if len(bars) > MAX_BARS:
        raise ExprError(tokens[bars[MAX_BARS]].col, f"more than {MAX_BARS} '|' in the answer; write abs(...)")
    _refuse_norms(tokens)
    readings = _Pairings(tokens).readings()
    if not readings:
        raise ExprError(tokens[bars[0]].col, _unpaired(tokens, bars))
    if len(readings) > 1:
        raise ExprError(*_ambiguity(tokens, bars, readings[0], readings[1]))
    roles = iter(readings[0])
    return [replace(t, kind=next(roles)) if t.kind == "BAR" else t for t in tokens]


def _refuse_norms(tokens: list[Token]) -> None:
    for i, (a, b) in enumerate(zip(tokens, tokens[1:])):
        if a.kind == b.kind == "BAR" and a.closer != "close" and b.closer != "close" \
                and _prefix_position(tokens, i):
            raise ExprError(a.col, "'||' opens two absolute values at once; a norm ‖x‖ is not part of the answer "
                                   "language (an absolute value is |x| or abs(x))")


def _prefix_position(tokens: list[Token], i: int) -> bool:
    return i == 0 or tokens[i - 1].kind not in ENDS_OPERAND and tokens[i - 1].kind != "BAR"


class _Pairings:
    """Every pairing of the bars, found depth-first with the open brackets as state (memoised, at most two kept)."""

    def __init__(self, tokens: list[Token]):
        self.toks, self.states = tokens, 0

    def readings(self) -> list[tuple[str, ...]]:
        self.walk = lru_cache(maxsize=None)(self._walk)
        return list(self.walk(0, (), False))

    def _walk(self, i: int, stack: tuple[str, ...], after_operand: bool) -> tuple[tuple[str, ...], ...]:
        """The roles of the bars from token ``i`` on (at most two ways), given the brackets open before it."""
        self.states += 1
        if self.states > MAX_STATES:
            raise ExprError(self.toks[i].col, "too many '|' to pair up; write abs(...) for each absolute value")
        tok = self.toks[i]
        while tok.kind not in ("BAR", "EOF"):  # the other tokens have one reading: no branching, no recursion
            opened = self.step(tok, stack)
            if opened is None:
                return ()
            stack = opened
            after_operand = tok.kind in ENDS_OPERAND
            i += 1
            tok = self.toks[i]
        if tok.kind == "EOF":
            return ((),) if "|" not in stack else ()
        found: list[tuple[str, ...]] = []
        if after_operand and stack and stack[-1] == "|" and tok.closer != "open":
            found += [(CLOSE,) + rest for rest in self.walk(i + 1, stack[:-1], True)]
        if tok.closer != "close" and len(stack) < MAX_OPEN and self.toks[i + 1].kind in STARTS_INSIDE:
            found += [(OPEN,) + rest for rest in self.walk(i + 1, stack + ("|",), False)]
        return tuple(found[:2])

    @staticmethod
    def step(tok: Token, stack: tuple[str, ...]) -> tuple[str, ...] | None:
        """The open brackets after a token that is not a bar; None where a bar would span it."""
        if tok.kind in OPENERS:
            return stack + (OPENERS[tok.kind],)
        if tok.kind in CLOSERS:
            if stack and stack[-1] == "|":
                return None
            # a mismatched bracket is the parser's to report, with its own words
            return stack[:-1]
        if tok.kind in (",", "&", "ROW") and stack and stack[-1] == "|":
            return None
        return stack


def _unpaired(tokens: list[Token], bars: list[int]) -> str:
    if len(bars) % 2:
        return (f"{len(bars)} '|' in the answer; absolute values take them in pairs, as in |x| or |x - |y|| "
                f"(or write abs(...))")
    return ("the '|' do not pair up as absolute values (|x|, |x - |y||); a bar cannot span a bracket, a comma or "
            "a matrix row; write abs(...)")


def _ambiguity(tokens: list[Token], bars: list[int], one: tuple[str, ...], other: tuple[str, ...]) -> tuple[int, str]:
    k = next(j for j, (a, b) in enumerate(zip(one, other)) if a != b)
    closing = one if one[k] == CLOSE else other
    depth, opener = 0, None
    for j in range(k - 1, -1, -1):  # the bar that this one closes in the closing reading
        depth += 1 if closing[j] == CLOSE else -1
        if depth < 0:
            opener = tokens[bars[j]]
            break
    here = tokens[bars[k]]
    where = f" at col {opener.col}" if opener else ""
    return here.col, (f"the '|' at col {here.col} can be read two ways: closing the '|'{where} or opening another "
                      f"absolute value; write abs(...) or brackets to say which")


__all__ = ["resolve_bars", "tokenize"]

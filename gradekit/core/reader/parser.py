r"""A Pratt parser from tokens to the AST, with hard limits on size.

Precedence, loosest first: ``+ −``; then every product (juxtaposition, ``@``,
``·``, ``*``, ``∘``, ``/``) at one level, left to right, as NumPy reads ``*``
and ``@``; unary minus; ``^``/``**`` (right to left, so ``2^3^2`` is 2^9);
then the postfix transposes ``ᵀ``, ``'``, ``.T``, ``^T``, ``^\\top``.

Limits: the text (2000 characters), nesting (60 levels), nodes (400), and a
constant exponent's size (|p| ≤ 64, so ``10**10**10`` and ``9^9^9^9`` are
refused before anything is computed).

>>> parse("W_2^\\top (x_3 - t)", Symbols.declare({"W2": "k×m", "x3": "k×1", "t": "k×1"})) == \
...     parse("W2ᵀ(x3 − t)", Symbols.declare({"W2": "k×m", "x3": "k×1", "t": "k×1"}))
True
"""

from __future__ import annotations

import math
from dataclasses import replace

from gradekit.core.reader import bounds
from gradekit.core.reader.bars import resolve_bars
from gradekit.core.errors import close_matches
from gradekit.core.reader.errors import ExprError
from gradekit.core.reader.lexer import Token, tokenize
from gradekit.core.reader.nodes import Bin, Call, Lst, Mat, Neg, Node, Num, Sym, T, count, walk
from gradekit.core.reader.shapes import Symbols, shape_of

MAX_DEPTH = bounds.NESTING
MAX_NODES = bounds.NODES
MAX_EXPONENT = float(bounds.FORMULA_POWER)
ADD, MUL, NEG, POW, POST = 10, 20, 25, 30, 40
PRODUCTS = {"mat": "mat", "cdot": "mat", "*": "had", "had": "had", "/": "/"}
STARTS_OPERAND = {"NUM", "NAME", "FUNC", "(", "{", "FRAC", "BEGIN", "ABS("}
CONSTANTS = {"e": math.e, "pi": math.pi}


def parse(text: str, table: Symbols, *, check_shapes: bool = True) -> Node:
    """The AST of ``text`` (plain or LaTeX), shape-checked against ``table``; ``ExprError`` otherwise."""
    if not isinstance(text, str):
        raise ExprError(1, f"expected a formula as text, got {type(text).__name__}")
    if not text.strip():
        raise ExprError(1, "the answer is empty")
    tokens = tokenize(text, frozenset(table.shapes))
    _refuse_left_open(tokens)
    node = _Parser(resolve_bars(tokens), table).run()
    if check_shapes:
        shape_of(node, table, text)
    return node


# what arithmetic of numbers may name (``parse_arithmetic``): its words, as the refusal lists them
ARITHMETIC_WORDS = "numbers, π, e, sqrt, exp, log/ln, sigmoid/σ, tanh, abs, min and max"


def parse_arithmetic(text: str) -> Node:
    """The tree of ``text``, arithmetic of numbers (``3*3*128*256 + 1``, ``\\frac12(14^2 + 6^2)``, ``σ(2)``), read by
    the same lexer and parser as formulas, with no symbol declared; each number keeps its text (``Num.text``), so
    ``arith`` computes the value exactly. ``ExprError`` otherwise."""
    if not text.strip():
        raise ExprError(1, "the answer is empty")
    tokens = tokenize(text, frozenset(), exact=True)
    _refuse_left_open(tokens)
    return _Parser(resolve_bars(tokens), NO_SYMBOLS, exact=True).run()


def parse_number_matrix(text: str) -> Node:
    """The tree of a LaTeX matrix of numbers (``\\begin{bmatrix} 1 & 0.5 \\\\ 3 & -4 \\end{bmatrix}``), with at most a
    number before it (``\\frac14\\begin{bmatrix} … \\end{bmatrix}``): a list, so the text may be as long as an answer
    and the bounds of one expression apply to each entry; ``ExprError`` otherwise."""
    tokens = tokenize(text, frozenset(), exact=True, limit=bounds.ANSWER_CHARS)
    _refuse_left_open(tokens)
    return _Parser(resolve_bars(tokens), NO_SYMBOLS, exact=True, per_entry=True).run()


def parse_number_list(text: str, *, bare: bool = False) -> Lst:
    """The tree of a list of numbers as students write it: ``[[1, 2], [3, 4]]``, a tuple ``(1, 2)``, MATLAB's
    ``[1, 2; 3, 4]``, numpy's printed ``[[0. 34.]]`` (rows without commas); ``bare``: the entries without brackets
    around them, ``1, 25, 25``. Brackets, commas and semicolons are read here and each entry is an expression of
    numbers (``3*3*128``, ``\\frac12``, ``12%``, ``nan``) whose text the number reader reads again, so its digits
    count. A list, so the text may be as long as an answer, and the bounds of one expression apply to each entry;
    ``ExprError`` otherwise, at the column where the list goes wrong."""
    tokens = tokenize(text, frozenset(), exact=True, limit=bounds.ANSWER_CHARS, lists=True)
    _refuse_left_open(tokens)
    return _ListReader(tokens).run(bare)


def parse_sizes(text: str) -> list[Token]:
    """The sizes of a shape written without commas, each a whole number: ``5x6``, ``5 × 6``, ``5*6``,
    ``2 \\times 3 \\times 2``, ``5 by 6``; ``ExprError`` otherwise."""
    tokens = tokenize(text, frozenset(), exact=True, sizes=True)
    sizes = []
    for k, tok in enumerate(tokens[:-1]):
        if k % 2 == 0 and not (tok.kind == "NUM" and tok.value.isdigit()):
            what = "a size (a whole number)" if k == 0 or tok.kind != "NUM" else "a whole number"
            raise ExprError(tok.col, f"expected {what}, found {_show(tok)}")
        if k % 2 == 1 and tok.kind not in ("cdot", "*"):
            raise ExprError(tok.col, f"expected ',' or 'x' between sizes, found {_show(tok)}")
        if k % 2 == 0:
            sizes.append(tok)
    if len(tokens) % 2 == 1:  # nothing, or a separator last
        raise ExprError(tokens[-1].col, "expected a size (a whole number), found the end of the answer")
    return sizes


class _ListReader:
    """The brackets, commas and semicolons of a list of numbers; its entries are read by ``_Parser``, each an
    expression bounded on its own (``NODES``, ``NESTING``), the list by ``LIST_DEPTH`` and ``ENTRIES``."""

    ENDS_ENTRY = (",", ")", ";", "EOF")

    def __init__(self, tokens: list[Token]):
        self.p = _Parser(tokens, NO_SYMBOLS, exact=True, per_entry=True, lists=True)
        self.entries = 0

    def run(self, bare: bool) -> Lst:
        p = self.p
        if bare:
            return self.items(None, 1)
        opened = p.peek()
        if opened.kind != "(":
            raise ExprError(opened.col, f"expected '[' or '(' to open the list, found {_show(opened)}")
        node = self.items(p.take(), 1)
        rest = p.peek()
        if rest.kind != "EOF":
            if rest.kind == ")":
                raise ExprError(rest.col, f"{rest.value!r} has no matching opening bracket")
            raise ExprError(rest.col, f"unexpected {_show(rest)} after the list")
        return node

    def items(self, opened: Token | None, depth: int) -> Lst:
        """The items up to the bracket closing ``opened`` (the end of the text where None)."""
        p = self.p
        if depth > bounds.LIST_DEPTH:
            raise ExprError(p.peek().col, f"the answer is nested more than {bounds.LIST_DEPTH} levels deep")
        rows: list[Lst] = []
        out: list[Node] = []
        closer = "EOF" if opened is None else ")"
        start = p.peek().col if opened is None else opened.col
        while True:
            tok = p.peek()
            if tok.kind == closer or (opened is None and tok.kind == ")"):
                if opened is not None:
                    self.closes(opened, p.take())
                elif tok.kind == ")":
                    raise ExprError(tok.col, f"{tok.value!r} has no matching opening bracket")
                if rows:
                    rows.append(self.row(out, tok))
                    return Lst(tuple(rows), col=start, end=tok.end)
                return Lst(tuple(out), col=start, end=tok.end)
            if tok.kind == ";":
                if depth > 1 or any(isinstance(v, Lst) for v in out):
                    raise ExprError(tok.col, "';' separates rows of numbers only at the top level: write "
                                             "[[1], [2]] or [1; 2]")
                rows.append(self.row(out, tok))
                out = []
                p.take()
                continue
            if tok.kind == ",":
                raise ExprError(tok.col, "an empty entry before ','")
            if tok.kind == "(" and self.opens_list():
                out.append(self.items(p.take(), depth + 1))
            else:
                out.extend(self.entries_here())
            sep = p.peek()
            if sep.kind == ",":
                p.take()
            elif sep.kind in (")", ";", "EOF") or (sep.kind == "(" and isinstance(out[-1], Lst)):
                continue  # numpy prints the rows of a matrix with no comma between them: [[1 2]\n [3 4]]
            else:
                shown = "the end of the list" if closer == "EOF" else repr(_closing(opened))
                raise ExprError(sep.col, f"expected ',' or {shown} after an entry, found {_show(sep)}")

    def row(self, out: list[Node], at: Token) -> Lst:
        if not out:
            raise ExprError(at.col, f"an empty row before {_show(at)}")
        return Lst(tuple(out), col=out[0].col, end=out[-1].end)

    def closes(self, opened: Token, close: Token) -> None:
        if close.closer != _closing(opened):
            raise ExprError(close.col, f"{close.value!r} does not match {opened.value!r} at col {opened.col}")

    def opens_list(self) -> bool:
        """``[`` always opens a list; ``(`` where a comma follows at its own level before it closes: ``(1, 2)``,
        not ``(1+2)/3``."""
        p = self.p
        if p.peek().closer == "[":
            return True
        depth = 0
        for tok in p.toks[p.i:]:
            depth += 1 if tok.kind in ("(", "{") else -1 if tok.kind in (")", "}") else 0
            if depth == 1 and tok.kind == ",":
                return True
            if depth == 0 or tok.kind == "EOF":
                return False
        return False

    def entries_here(self) -> list[Node]:
        """The entry here, or the row of numbers numpy prints without commas (``0.5 -1. 2.``): one entry each."""
        p = self.p
        row = self.printed_row()
        self.entries += max(1, len(row))
        if self.entries > bounds.ENTRIES:
            raise ExprError(p.peek().col, f"the list has more than {bounds.ENTRIES} entries")
        if row:
            p.i += sum(2 if sign else 1 for sign, _ in row)
            return [Num(float(num.value), text=num.value, col=(sign or num).col, end=num.end) for sign, num in row]
        return [self.entry()]

    def printed_row(self) -> list[tuple[Token | None, Token]]:
        """Numbers side by side up to the entry's end, each with its sign touching it (``1 -2``, not ``1 - 2``);
        [] where the entry is anything else (one number alone is a row of one)."""
        toks, i = self.p.toks, self.p.i
        row: list[tuple[Token | None, Token]] = []
        while True:
            sign = toks[i] if toks[i].kind in ("-", "+") and toks[i].end == toks[i + 1].col else None
            num = toks[i + 1] if sign else toks[i]
            if num.kind != "NUM" or (row and (sign or num).col <= row[-1][1].end):
                return []
            row.append((sign, num))
            i += 2 if sign else 1
            if toks[i].kind in self.ENDS_ENTRY:
                return row

    def entry(self) -> Node:
        p = self.p
        node = self.side()
        while p.peek().kind == "=":  # an equation chain ending in its value, "e^2/(1+e^2) = 0.8808": read again
            p.take()
            node = replace(node, end=self.side().end)
        return node

    def side(self) -> Node:
        p = self.p
        p.nodes = p.depth = 0
        node = p.expr(0)
        if p.peek().kind == "%":
            node = replace(node, end=p.take().end)
        return node


def _closing(opened: Token | None) -> str:
    return {"[": "]", "(": ")"}.get(opened.closer if opened else "", ")")


class _Parser:
    def __init__(self, tokens: list[Token], table: Symbols, exact: bool = False, per_entry: bool = False,
                 lists: bool = False):
        self.toks, self.i, self.table, self.depth, self.nodes = tokens, 0, table, 0, 0
        self.exact = exact  # arithmetic of numbers: powers are bounded by the exact value's digits, not here
        self.per_entry = per_entry  # a matrix of numbers is a list: NODES bounds each entry, ENTRIES the matrix
        self.lists = lists  # an entry of a list, read again by the number reader: nan and inf are numbers there
        self.entries = 0

    # --- plumbing ---------------------------------------------------------------------
    def peek(self, k: int = 0) -> Token:
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def take(self) -> Token:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def expect(self, kind: str, what: str, opened: Token | None = None) -> Token:
        tok = self.peek()
        if tok.kind != kind:
            if opened is not None and tok.kind == "EOF":
                raise ExprError(opened.col, f"{opened.value!r} is never closed (expected {what})")
            raise ExprError(tok.col, f"expected {what}, found {_show(tok)}")
        return self.take()

    def made(self, node: Node) -> Node:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise ExprError(node.col, f"the answer has more than {MAX_NODES} parts; simplify it")
        return node

    def run(self) -> Node:
        node = self.expr(0)
        tok = self.peek()
        if tok.kind != "EOF":
            if tok.kind in (")", "}"):
                raise ExprError(tok.col, f"{tok.value!r} has no matching opening bracket")
            raise ExprError(tok.col, f"unexpected {_show(tok)}")
        return node

    # --- Pratt loop ---------------------------------------------------------------------
    def expr(self, rbp: int) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExprError(self.peek().col, f"the answer is nested more than {MAX_DEPTH} levels deep")
        left = self.prefix()
        while True:
            tok = self.peek()
            lbp = self.left_power(tok)
            if lbp <= rbp:
                break
            left = self.infix(left, tok)
            if self.tree_depth(left) > MAX_DEPTH:
                raise ExprError(tok.col, f"the answer is nested more than {MAX_DEPTH} levels deep")
        self.depth -= 1
        return left

    def tree_depth(self, node: Node) -> int:
        # left-leaning chains (a + a + a ...) deepen the tree without deepening the parser
        d, n = 0, node
        while isinstance(n, (Bin, T)):
            d, n = d + 1, (n.left if isinstance(n, Bin) else n.arg)
        return d + self.depth

    def left_power(self, tok: Token) -> int:
        if tok.kind in ("+", "-"):
            return ADD
        if tok.kind in PRODUCTS:
            return MUL
        if tok.kind == "^":
            return POW
        if tok.kind == "T":
            return POST
        if tok.kind in STARTS_OPERAND:
            return MUL  # juxtaposition: a matrix product
        return 0

    def prefix(self) -> Node:
        tok = self.take()
        k = tok.kind
        if k == "NUM":
            return self.made(Num(float(tok.value), text=tok.value, col=tok.col, end=tok.end))
        if k == "NAME":
            return self.made(self.name(tok))
        if k == "FUNC":
            return self.call(tok)
        if k in ("(", "{"):
            closer = ")" if k == "(" else "}"
            if self.peek().kind == closer:
                raise ExprError(self.peek().col, f"empty brackets {tok.value}{self.peek().value}")
            inner = self.expr(0)
            close = self.expect(closer, f"{closer!r} to close {tok.value!r} at col {tok.col}", tok)
            pairs = {"(": ")", "[": "]"}
            if tok.closer in pairs and close.closer != pairs[tok.closer]:
                raise ExprError(close.col, f"{close.value!r} does not match {tok.value!r} at col {tok.col}")
            return replace(inner, col=tok.col, end=close.end)  # the brackets belong to the quoted text
        if k == "-":
            arg = self.expr(NEG)
            return self.made(Neg(arg, col=tok.col, end=arg.end))
        if k == "+":
            return self.expr(NEG)
        if k == "ABS(":  # |x|: the bars were paired before parsing (bars.py)
            inner = self.expr(0)
            close = self.expect("ABS)", f"'|' to close '|' at col {tok.col}", tok)
            return self.made(Call("abs", (inner,), col=tok.col, end=close.end))
        if k == "FRAC":
            num, den = self.fraction(tok)
            return self.made(Bin("/", num, den, spelled="\\frac", col=tok.col, end=self.peek(-1).end))
        if k == "BEGIN":
            return self.matrix(tok)
        if k == "EOF":
            raise ExprError(tok.col, "the answer ends where an expression was expected")
        raise ExprError(tok.col, f"expected an expression, found {_show(tok)}")

    def infix(self, left: Node, tok: Token) -> Node:
        k = tok.kind
        if k == "T":
            self.take()
            return self.made(T(left, col=left.col, end=tok.end))
        if k in ("+", "-"):
            self.take()
            right = self.expr(ADD)
            return self.made(Bin(k, left, right, spelled=tok.value, col=left.col, end=right.end))
        if k == "^":
            self.take()
            if self.transpose_follows():
                end = self.peek(-1).end
                return self.made(T(left, col=left.col, end=end))
            right = self.group(tok) if self.peek().kind == "{" else self.expr(POW - 1)
            self.check_exponent(right, tok)
            return self.made(Bin("^", left, right, spelled=tok.value, col=left.col, end=right.end))
        if k in PRODUCTS:
            self.take()
            right = self.expr(MUL)
            return self.made(Bin(PRODUCTS[k], left, right, spelled=tok.value, col=left.col, end=right.end))
        right = self.expr(MUL)  # juxtaposition
        return self.made(Bin("mat", left, right, spelled="", col=left.col, end=right.end))

    # --- pieces -------------------------------------------------------------------------
    def name(self, tok: Token) -> Node:
        if tok.value in self.table.shapes:
            return Sym(tok.value, col=tok.col, end=tok.end)
        if tok.value in CONSTANTS:
            return Num(CONSTANTS[tok.value], text=tok.value, col=tok.col, end=tok.end)
        if self.lists and tok.value.casefold() in ("nan", "inf", "infinity"):
            return Num(float(tok.value), text=tok.value, col=tok.col, end=tok.end)
        if self.exact:
            raise ExprError(tok.col, f"unknown name {tok.value!r}: arithmetic may use {ARITHMETIC_WORDS}")
        known = list(self.table.display.get(k, k) for k in self.table.shapes)
        # the case first: 'Qx' for q_x is a shift key, not another symbol
        same_case = [self.table.display.get(k, k) for k in self.table.shapes if k.casefold() == tok.value.casefold()]
        close = same_case or close_matches(tok.value, known, most=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        what = "is not declared" if same_case else "unknown name"
        if same_case:
            raise ExprError(tok.col, f"{tok.value!r} {what}; did you mean {close[0]!r}? (names are case-sensitive; "
                                     f"declared: {self.table.listing() or 'none'})")
        raise ExprError(tok.col, f"unknown name {tok.value!r}{hint}; declared: {self.table.listing() or 'none'}")

    def call(self, tok: Token) -> Node:
        nxt = self.peek()
        if nxt.kind == "^" and self.peek(1).kind == "NUM":  # \sigma^2(z) is ambiguous: refuse
            raise ExprError(nxt.col, f"write powers of {tok.value} as ({tok.value}(...))^2")
        if self.exact and nxt.kind == "NUM" and tok.value not in ("max", "min"):  # LaTeX's \sqrt2
            arg = self.prefix()
            return self.made(Call(tok.value, (arg,), col=tok.col, end=arg.end))
        if nxt.kind not in ("(", "{"):
            raise ExprError(nxt.col, f"{tok.value} needs its argument in brackets: {tok.value}(...)")
        opened = self.take()
        closer = ")" if opened.kind == "(" else "}"
        args = [self.expr(0)]
        while self.peek().kind == ",":
            self.take()
            args.append(self.expr(0))
        close = self.expect(closer, f"{closer!r} to close {tok.value}( at col {tok.col}", opened)
        two = tok.value in ("max", "min")
        if (len(args) > 2 and not (two and self.exact)) or (len(args) == 2 and not two):
            raise ExprError(tok.col, f"{tok.value} takes {'one or two arguments' if two else 'one argument'}, got {len(args)}")
        return self.made(Call(tok.value, tuple(args), col=tok.col, end=close.end))

    def fraction(self, frac: Token) -> tuple[Node, Node]:
        """``\\frac{a}{b}``, and LaTeX's shorthand of one digit each: ``\\frac12``, ``\\frac1{2}``, ``\\frac{1}2``."""
        tok = self.peek()
        if tok.kind == "NUM" and tok.value.isdigit() and len(tok.value) == 2:
            self.take()
            return (self.made(Num(float(tok.value[0]), text=tok.value[0], col=tok.col, end=tok.col + 1)),
                    self.made(Num(float(tok.value[1]), text=tok.value[1], col=tok.col + 1, end=tok.end)))
        return self.frac_argument(frac), self.frac_argument(frac)

    def frac_argument(self, frac: Token) -> Node:
        tok = self.peek()
        if tok.kind == "NUM" and tok.value.isdigit() and len(tok.value) == 1:
            self.take()
            return self.made(Num(float(tok.value), text=tok.value, col=tok.col, end=tok.end))
        return self.group(frac)

    def group(self, owner: Token) -> Node:
        opened = self.expect("{", f"'{{' after {owner.value}")
        inner = self.expr(0)
        self.expect("}", f"'}}' to close '{{' at col {opened.col}", opened)
        return inner

    def transpose_follows(self) -> bool:
        """After ``^``: ``T``, ``\\top``, ``{T}`` or ``{\\top}`` (then it is a transpose, not a power)."""
        def is_t(tok: Token) -> bool:
            return tok.kind == "T" or (tok.kind == "NAME" and tok.value == "T")

        if is_t(self.peek()):
            self.take()
            return True
        if self.peek().kind == "{" and is_t(self.peek(1)) and self.peek(2).kind == "}":
            self.i += 3
            return True
        return False

    def check_exponent(self, exponent: Node, tok: Token) -> None:
        if self.exact:
            return  # arithmetic is exact: its powers are bounded by the value's digits (arith)
        if any(isinstance(n, Sym) for _, n in walk(exponent)):
            return  # e^{z}: a variable exponent is evaluated with overflow guarded, not refused
        value = _constant(exponent, tok)
        if abs(value) > MAX_EXPONENT:
            raise ExprError(tok.col, f"the exponent is {value:.3g}; exponents are limited to ±{MAX_EXPONENT:g}")

    def matrix(self, begin: Token) -> Node:
        rows: list[list[Node]] = [[]]
        while True:
            tok = self.peek()
            if tok.kind == "END":
                if tok.value != begin.value:
                    raise ExprError(tok.col, f"\\end{{{tok.value}}} closes \\begin{{{begin.value}}} at col {begin.col}")
                self.take()
                break
            if tok.kind == "EOF":
                raise ExprError(begin.col, f"\\begin{{{begin.value}}} is never closed by \\end{{{begin.value}}}")
            if tok.kind == "&":
                raise ExprError(tok.col, "an empty matrix entry before '&'")
            if tok.kind == "ROW":
                raise ExprError(tok.col, "an empty matrix entry before '\\\\'")
            if self.per_entry:
                self.nodes, self.entries = 0, self.entries + 1
                if self.entries > bounds.ENTRIES:
                    raise ExprError(tok.col, f"the matrix has more than {bounds.ENTRIES} entries")
            rows[-1].append(self.expr(0))
            sep = self.peek()
            if sep.kind == "&":
                self.take()
            elif sep.kind == "ROW":
                self.take()
                if self.peek().kind != "END":
                    rows.append([])
            elif sep.kind not in ("END", "EOF"):
                raise ExprError(sep.col, f"expected '&', '\\\\' or \\end{{{begin.value}}}, found {_show(sep)}")
        widths = {len(r) for r in rows}
        if not rows[0] or len(widths) != 1:
            raise ExprError(begin.col, f"the rows of the matrix have {', '.join(str(len(r)) for r in rows)} entries; they must be equal")
        return self.made(Mat(tuple(tuple(r) for r in rows), col=begin.col, end=self.peek(-1).end))


NO_SYMBOLS = Symbols({})


def _refuse_left_open(tokens: list[Token]) -> None:
    """Every bracket still open at the end, counted and placed: "2 brackets left open: '(' at col 3 and '[' at col 7".

    A closing bracket that matches nothing, or the wrong one, stops the count: the parser says so in its own words.
    """
    pairs = {"(": ")", "[": "]", "{": "}"}
    opened: list[Token] = []
    for tok in tokens:
        if tok.kind in ("(", "{"):
            opened.append(tok)
        elif tok.kind in (")", "}"):
            if not opened or pairs.get(opened[-1].closer or opened[-1].value) != (tok.closer or tok.value):
                return
            opened.pop()
    if opened:
        n = len(opened)
        where = [f"{t.value!r} at col {t.col}" for t in opened]
        listed = where[0] if n == 1 else ", ".join(where[:-1]) + " and " + where[-1]
        raise ExprError(opened[0].col, f"{n} bracket{'s' if n > 1 else ''} left open: {listed}"
                                       f"{' is never closed' if n == 1 else ''}")


def _constant(node: Node, tok: Token) -> float:
    """The value of a constant exponent, each nested power itself bounded (so 9^9^9^9 stops at 9^9)."""
    from gradekit.core.reader.nodes import constant_value

    try:
        value = constant_value(node)
    except (OverflowError, ValueError, ZeroDivisionError):
        raise ExprError(tok.col, "the exponent is too large or undefined") from None
    if not math.isfinite(value):
        raise ExprError(tok.col, "the exponent is too large or undefined")
    return value


def _show(tok: Token) -> str:
    return "the end of the answer" if tok.kind == "EOF" else repr(tok.value)


__all__ = ["parse", "parse_arithmetic", "parse_number_matrix", "parse_number_list", "parse_sizes", "ARITHMETIC_WORDS", "count", "MAX_DEPTH", "MAX_NODES", "MAX_EXPONENT"]

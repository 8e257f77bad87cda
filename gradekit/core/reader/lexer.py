"""Tokens of an answer, plain or LaTeX, with the column each one starts at.

One tokenizer reads both spellings, so ``W2^T (x3 - t) * x2`` and
``W_2^\\top (x_3 - t) \\odot x_2`` give the same tokens. Nothing is evaluated:
an identifier is a name or a function word, never code. Non-ASCII characters
are refused unless the table below says what they mean (``−``, ``∘``, ``ᵀ``,
``σ``, ``½`` ...): a Cyrillic ``х`` that looks like ``x`` is refused with a
hint, never silently read as x.

>>> [t.kind for t in tokenize("W2ᵀ(x3 − t)")]
['NAME', 'T', '(', 'NAME', '-', 'NAME', ')', 'EOF']
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from gradekit.core.reader import bounds
from gradekit.core.reader.errors import ExprError

MAX_CHARS = bounds.EXPRESSION_CHARS
MAX_NUMBER_CHARS = bounds.FORMULA_NUMBER_CHARS

FUNCTION_WORDS = {
    "sigmoid": "sigmoid", "exp": "exp", "log": "log", "ln": "log", "tanh": "tanh",
    "relu": "relu", "max": "max", "sum": "sum", "diag": "diag",
    # what the number reader knows too: batch norm's sqrt(σ² + ε), L1's |x| as abs, sign, min
    "sqrt": "sqrt", "abs": "abs", "sign": "sign", "min": "min",
}
# f'(x): the derivative of an activation, written with a prime right after its name (σ'(z), sigmoid'(z)).
DERIVATIVES = {"sigmoid": "sigmoid'", "tanh": "tanh'", "relu": "relu'", "exp": "exp", "log": "log'"}
PRIMES = ("'", "′")
GREEK = ("alpha beta gamma delta epsilon varepsilon zeta eta theta lambda mu xi pi rho tau phi varphi chi psi omega "
         "Gamma Delta Theta Lambda Xi Pi Phi Psi Omega").split()
# Greek letters accepted as typed; those that look like Latin letters (ο, ν, κ, ι, υ, Α, Β ...) are not here.
UNICODE_GREEK = {"α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "ζ": "zeta", "η": "eta",
                 "θ": "theta", "λ": "lambda", "μ": "mu", "ξ": "xi", "π": "pi", "ρ": "rho", "τ": "tau", "φ": "phi",
                 "χ": "chi", "ψ": "psi", "ω": "omega", "Δ": "Delta", "Θ": "Theta", "Λ": "Lambda", "Φ": "Phi",
                 "Ψ": "Psi", "Ω": "Omega"}
# Operators with a Unicode or LaTeX spelling, normalised on purpose.
UNICODE_OPS = {"−": "-", "–": "-", "—": "-", "∗": "*", "·": "cdot", "⋅": "cdot", "×": "cdot", "∘": "had", "⊙": "had",
               "ᵀ": "T", "⊤": "T", "′": "T", "σ": "sigmoid", "½": "0.5", "¼": "0.25", "¾": "0.75", "÷": "/"}
SUPERSCRIPT_DIGITS = {"²": "2", "³": "3"}
SUBSCRIPT_DIGITS = dict(zip("₀₁₂₃₄₅₆₇₈₉", "0123456789"))
SPACES = {"\u00a0", "\u2009", "\u202f", "\u2002", "\u2003"}
INVISIBLE = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"}
LOOKALIKE = {"а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "х": "x", "у": "y", "і": "i", "ј": "j", "ѕ": "s",
             "Ь": "b", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T",
             "Х": "X", "ο": "o", "ν": "v", "κ": "k", "ι": "i", "υ": "u", "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z",
             "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Χ": "X", "Υ": "Y"}
# LaTeX commands: operators, functions, and sizing/spacing words that mean nothing here.
LATEX_OPS = {"cdot": "cdot", "times": "cdot", "odot": "had", "circ": "had", "ast": "*", "top": "T",
             "intercal": "T", "prime": "T", "sigma": "sigmoid", "exp": "exp", "log": "log", "ln": "log",
             "tanh": "tanh", "max": "max", "frac": "frac", "tfrac": "frac", "dfrac": "frac", "sqrt": "sqrt",
             "min": "min", "div": "/"}
LATEX_IGNORED = {"left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr",
                 "Biggl", "Biggr", ",", ";", ":", "!", "quad", "qquad", " "}
LATEX_WRAPPERS = {"mathbf", "mathrm", "boldsymbol", "bm", "operatorname", "text", "mathit", "vec"}
MATRIX_ENVS = {"bmatrix", "pmatrix", "matrix"}
# a matrix of numbers may be written in any of LaTeX's matrix environments (in a formula |A| and vmatrix mean more)
NUMBER_MATRIX_ENVS = MATRIX_ENVS | {"vmatrix", "Vmatrix", "Bmatrix", "array"}
# Absolute-value bars: which side a LaTeX spelling says it is on (bars.py pairs the plain '|').
LATEX_BARS = {"lvert": "open", "rvert": "close", "vert": ""}
BAR_SIDES = {"left": "open", "bigl": "open", "Bigl": "open", "biggl": "open", "Biggl": "open",
             "right": "close", "bigr": "close", "Bigr": "close", "biggr": "close", "Biggr": "close"}
ASCII_OPS = {"+": "+", "-": "-", "*": "*", "/": "/", "^": "^", "@": "mat", "(": "(", ")": ")", "[": "(", "]": ")",
             "{": "{", "}": "}", ",": ",", "&": "&", "'": "T"}

_NUMBER = re.compile(r"(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_ALNUM = re.compile(r"[A-Za-z0-9]+")
_LATEX_WORD = re.compile(r"\\([A-Za-z]+|.)")


@dataclass(frozen=True)
class Token:
    kind: str  # NUM NAME FUNC + - * / ^ mat had cdot T ( ) { } , & ROW FRAC BEGIN END BAR EOF
    value: str
    col: int  # 1-based
    end: int  # 1-based, exclusive
    closer: str = ""  # for ( and ): which bracket was typed, to report mismatches; for BAR: "open", "close" or ""
    folded: bool = False  # a NAME read in another case than typed (W_1^{11} for the declared w_1^{11})


def _describe(ch: str) -> str:
    name = unicodedata.name(ch, "unnamed")
    return f"{ch!r} (U+{ord(ch):04X} {name})"


def _refuse_char(ch: str, col: int) -> ExprError:
    if ch in INVISIBLE:
        return ExprError(col, f"invisible character {_describe(ch)}; retype the answer without it")
    hint = LOOKALIKE.get(ch)
    if hint is None:
        folded = unicodedata.normalize("NFKC", ch)
        hint = folded if folded.isascii() and folded.strip() else None
    if hint:
        return ExprError(col, f"character {_describe(ch)} looks like {hint!r} but is not; type the plain {hint!r}")
    return ExprError(col, f"character {_describe(ch)} is not part of the answer language")


def strip_math_delimiters(text: str) -> tuple[str, int]:
    """Drop the ``$...$``, ``$$...$$``, ``\\(...\\)`` or ``\\[...\\]`` around an answer: (text, columns removed in front)."""
    stripped = text.strip()
    lead = len(text) - len(text.lstrip())
    for a, b in (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")):
        if len(stripped) >= len(a) + len(b) and stripped.startswith(a) and stripped.endswith(b):
            return " " * (lead + len(a)) + stripped[len(a) : len(stripped) - len(b)], 0
    return text, 0


_DISPLAY = re.compile(r"^\s*(?:\$\$(?P<a>.*)\$\$|\\\[(?P<b>.*)\\\]|\\\((?P<c>.*)\\\)|\$(?P<d>[^$]*)\$)\s*$", re.S)


def without_math_delimiters(text: str) -> str:
    r"""The formula inside ``$$ … $$``, ``\[ … \]``, ``\( … \)`` or ``$ … $``, its left-hand side kept for
    ``drop_left_side``."""
    m = _DISPLAY.match(text)
    return next(g for g in m.groups() if g is not None).strip() if m else text


def tokenize(text: str, declared: frozenset[str] = frozenset(), *, exact: bool = False,
             limit: int = MAX_CHARS, lists: bool = False, sizes: bool = False) -> list[Token]:
    """The tokens of ``text``; ``declared`` (canonical names) decides ``w_1^{11}`` (a name) vs a power.

    ``exact``: the text is arithmetic of numbers, computed exactly (``arith``): a number keeps every digit it is
    written with (its bounds are the exact value's), and ``sigma(2)`` is the sigmoid, as no symbol is declared.
    ``lists``: a list of numbers, whose entries are read again one by one (``numbers``): ``;`` separates rows,
    ``%`` may end an entry, ``$`` is layout, ``1_000`` is one number and ``\\infty`` is ``inf``.
    ``sizes``: a shape without commas, whose sizes ``x`` and ``by`` separate as ``×`` does (``5x6``, ``5 by 6``)."""
    if len(text) > limit:
        raise ExprError(1, f"the answer is {len(text)} characters long; the limit is {limit}")
    text, _ = strip_math_delimiters(text)
    return _Lexer(text, declared, exact, lists=lists or sizes, sizes=sizes).run()


_SIZE_WORD = re.compile(r"(x|by)(?![A-Za-z])")
_DIGIT_GROUPS = re.compile(r"(?:_\d{3})+(?![\d_])")  # 1_000_000, as Python writes it


class _Lexer:
    def __init__(self, text: str, declared: frozenset[str], exact: bool = False, *, lists: bool = False,
                 sizes: bool = False):
        self.s, self.i, self.declared, self.exact = text, 0, declared, exact
        self.out: list[Token] = []
        self.lists, self.sizes = lists, sizes
        self.side = ""  # "open"/"close" right after \left, \right, \bigl ...: the side of a bar that follows

    def emit(self, kind: str, value: str, start: int, closer: str = "") -> None:
        self.out.append(Token(kind, value, start + 1, self.i + 1, closer))
        self.side = ""  # \left's side is for the token right after it only

    def run(self) -> list[Token]:
        s = self.s
        while self.i < len(s):
            ch, start = s[self.i], self.i
            if ch.isspace() and ch.isascii() or ch in SPACES or ch == "~":
                self.i += 1
            elif ch.isdigit() and ch.isascii() or (ch == "." and s[self.i + 1 : self.i + 2].isdigit()):
                self.number()
            elif ch.isascii() and ch.isalpha() or ch in UNICODE_GREEK:
                self.name()
            elif ch == "\\":
                self.latex()
            elif ch == "." and s[self.i + 1 : self.i + 2] == "T" and not s[self.i + 2 : self.i + 3].isalnum():
                self.i += 2
                self.emit("T", ".T", start)
            elif ch == "." and s[self.i + 1 : self.i + 2] == "*":
                self.i += 2
                self.emit("had", ".*", start)
            elif ch == "*" and s[self.i + 1 : self.i + 2] == "*":
                self.i += 2
                self.emit("^", "**", start)
            elif ch == "|":
                self.i += 1
                self.emit("BAR", ch, start, closer=self.side)
            elif ch in ASCII_OPS:
                self.i += 1
                kind = ASCII_OPS[ch]
                self.emit(kind, ch, start, closer=ch)
            elif ch in UNICODE_OPS:
                self.i += 1
                self.word(UNICODE_OPS[ch], ch, start)
            elif ch in SUPERSCRIPT_DIGITS:
                self.i += 1
                self.emit("^", "^", start)
                self.out.append(Token("NUM", SUPERSCRIPT_DIGITS[ch], start + 1, start + 2))
            elif self.lists and ch in ";%" or self.lists and ch == "=" and s[self.i + 1 : self.i + 2] != "=":
                self.i += 1
                self.emit(ch, ch, start)
            elif self.lists and ch == "$":  # [$1$, $2$]: each entry in math mode, read again as it is written
                self.i += 1
            elif ch == "=":
                raise ExprError(start + 1, "'=' is not part of an answer; give only the right-hand side")
            elif ch.isascii():
                raise ExprError(start + 1, f"unexpected character {ch!r}")
            else:
                raise _refuse_char(ch, start + 1)
        self.emit("EOF", "", self.i)
        return self.out

    def function(self, fn: str, start: int) -> None:
        """A function name, or its derivative when a prime follows at once (``σ'(z)``, ``\\sigma'(z)``)."""
        if self.s[self.i : self.i + 1] in PRIMES and fn in DERIVATIVES:
            self.i += 1
            fn = DERIVATIVES[fn]
        elif self.s.startswith("^{\\prime}", self.i) and fn in DERIVATIVES:
            self.i += len("^{\\prime}")
            fn = DERIVATIVES[fn]
        self.emit("FUNC", fn, start)

    def word(self, meaning: str, spelled: str, start: int) -> None:
        """A normalised operator or function word from the Unicode or LaTeX tables."""
        if meaning in FUNCTION_WORDS.values():
            self.function(meaning, start)
        elif meaning in {"had", "cdot", "T", "*", "-", "/", "frac"}:
            self.emit({"frac": "FRAC"}.get(meaning, meaning), spelled, start)
        else:  # a number such as ½
            self.emit("NUM", meaning, start)

    def number(self) -> None:
        start = self.i
        m = _NUMBER.match(self.s, self.i)
        assert m is not None
        last = self.out[-1] if self.out else None
        if last is not None and last.kind == "NUM" and last.end == start + 1:  # 1..2, 1.2.3: a typo, not 1 × .2
            raise ExprError(start + 1, f"two numbers run together ({self.s[max(0, start - 3):start + 3]!r})")
        if self.lists and not m.group(2):
            groups = _DIGIT_GROUPS.match(self.s, m.end())
            if groups and "." not in m.group(1) and len(m.group(1)) <= 3:
                self.i = groups.end()
                self.emit("NUM", self.s[start:self.i], start)
                return
        if self.exact:  # every digit counts: the exact value's own bounds apply (arith)
            self.i = m.end()
            self.emit("NUM", m.group(0), start)
            return
        if len(m.group(0)) > MAX_NUMBER_CHARS:
            raise ExprError(start + 1, f"number {m.group(0)[:12]}... has more than {MAX_NUMBER_CHARS} characters")
        value = float(m.group(0))
        if value != value or value in (float("inf"),) or (value > 1e300):
            raise ExprError(start + 1, f"number {m.group(0)} is too large")
        self.i = m.end()
        self.emit("NUM", m.group(0), start)

    def _script(self) -> str | None:
        """After ``_`` or ``^``: ``{alnum}`` or an alnum run (``_12``, ``_{ij}``, ``_x``); None if neither."""
        s, j = self.s, self.i + 1
        if s[j : j + 1] == "{":
            # x_{a b} and x_{a,b}: the indices of one name, as typed in LaTeX (spaces and commas mean nothing)
            m = re.match(r"\s*([A-Za-z0-9]+(?:[\s,]+[A-Za-z0-9]+)*)\s*\}", s[j + 1 :])
            if m:
                self.i = j + 1 + m.end()
                return re.sub(r"[\s,]+", "", m.group(1))
            return None
        m = _ALNUM.match(s, j)
        if m:
            self.i = m.end()
            return m.group(0)
        return None

    def name(self, base: str | None = None, start: int | None = None) -> None:
        s = self.s
        start = self.i if start is None else start
        if base is None:
            if s[self.i] in UNICODE_GREEK:
                base, self.i = UNICODE_GREEK[s[self.i]], self.i + 1
                digits = re.match(r"\d+", s[self.i :])
                if digits and base + digits.group(0) in self.declared:  # β1, μ0, θ0: one name, as β_1 is
                    base, self.i = base + digits.group(0), self.i + digits.end()
            else:
                if self.sizes and self.out and self.out[-1].kind == "NUM" and self._separates_sizes():
                    return
                m = _ALNUM.match(s, self.i)
                assert m is not None  # run() calls name() at an ASCII letter
                base, self.i = m.group(0), m.end()
        plain = base
        while self.i < len(s) and s[self.i] in SUBSCRIPT_DIGITS:  # x₁
            base, self.i = base + SUBSCRIPT_DIGITS[s[self.i]], self.i + 1
        while s[self.i : self.i + 1] == "_":
            save = self.i
            sub = self._script()
            if sub is None:
                self.i = save
                raise ExprError(save + 1, "'_' must be followed by a subscript such as _1, _x or _{11}")
            base += sub
        if s[self.i : self.i + 1] == "^":  # w_1^{11} is a name when declared so; else ^ is a power
            save = self.i
            sup = self._script()
            subs = ""
            while sup is not None and s[self.i : self.i + 1] == "_":  # w^{11}_1: the same name, scripts swapped
                more = self._script()
                if more is None:
                    break
                subs += more
            folded = _one_casefold(f"{base}{subs}^{sup}", self.declared) if sup is not None else None
            if sup is not None and f"{base}{subs}^{sup}" in self.declared:
                base = f"{base}{subs}^{sup}"
            elif folded is not None:  # W_1^{11} where only w_1^{11} is declared: nothing else could be meant
                self.out.append(Token("NAME", folded, start + 1, self.i + 1, folded=True))
                self.side = ""
                return
            else:
                self.i = save
        if self.exact and base == "sigma":  # sigma(2): no symbol is declared in arithmetic
            self.function("sigmoid", start)
        elif base == plain and base.lower() in FUNCTION_WORDS and base not in self.declared:
            self.function(FUNCTION_WORDS[base.lower()], start)
        elif base in self.declared or "^" in base or base != plain:
            self.emit("NAME", base, start)
        else:
            self.split_or_name(base, start)

    def _separates_sizes(self) -> bool:
        """In a shape, ``x`` or ``by`` right after a size, before the next: ``5x6``, ``5 x 6``, ``5 by 6``."""
        m = _SIZE_WORD.match(self.s, self.i)
        if m is None:
            return False
        start, self.i = self.i, m.end()
        self.emit("cdot", m.group(1), start)
        return True

    def split_or_name(self, word: str, start: int) -> None:
        """``W2x2`` typed without a space: split into declared names when exactly one way works."""
        ways = _splits(word, self.declared) if len(word) <= 40 else []
        if len(ways) == 1 and len(ways[0]) > 1:
            col = start
            for part in ways[0]:
                self.out.append(Token("NAME", part, col + 1, col + 1 + len(part)))
                col += len(part)
            return
        self.emit("NAME", word, start)

    def latex(self) -> None:
        s, start = self.s, self.i
        if s.startswith("\\\\", self.i):
            self.i += 2
            self.emit("ROW", "\\\\", start)
            return
        m = _LATEX_WORD.match(s, self.i)
        if m is None:
            raise ExprError(start + 1, "a lone '\\' at the end of the answer")
        word = m.group(1)
        self.i = m.end()
        if self.lists and word in ("%", "infty"):  # 12\% in a list; \infty, read again as the entry it is
            self.emit("%" if word == "%" else "NAME", "%" if word == "%" else "inf", start)
            return
        if word in LATEX_IGNORED:
            self.side = BAR_SIDES.get(word, "")
            return
        if word in LATEX_BARS:
            self.emit("BAR", "\\" + word, start, closer=LATEX_BARS[word] or self.side)
            return
        if word in ("{", "}"):
            raise ExprError(start + 1, f"'\\{word}' (a literal brace) is not part of the answer language")
        if word in ("begin", "end"):
            env = re.match(r"\{([A-Za-z*]+)\}", s[self.i :])
            if env is None or env.group(1) not in (NUMBER_MATRIX_ENVS if self.exact else MATRIX_ENVS):
                got = env.group(1) if env else s[self.i : self.i + 10]
                raise ExprError(start + 1, f"\\{word}{{{got}}} is not supported; only bmatrix, pmatrix and matrix are")
            self.i += env.end()
            if word == "begin" and env.group(1) == "array":  # its column spec, {cc} or {c|c}: layout only
                spec = re.match(r"\s*\{[^{}]*\}", s[self.i :])
                self.i += spec.end() if spec else 0
            self.emit(word.upper(), env.group(1), start)
            return
        if word in LATEX_WRAPPERS:
            inner = re.match(r"\{\s*([A-Za-z]+[A-Za-z0-9]*)\s*\}", s[self.i :])
            if inner is None:
                raise ExprError(start + 1, f"\\{word}{{...}} must wrap a plain name such as \\{word}{{W}}")
            self.i += inner.end()
            self.name(base=inner.group(1), start=start)
            return
        if word in LATEX_OPS:
            self.word(LATEX_OPS[word], "\\" + word, start)
            return
        if word in GREEK:
            self.name(base=word.replace("var", ""), start=start)
            return
        raise ExprError(start + 1, f"\\{word} is not part of the answer language")


def _one_casefold(name: str, declared: frozenset[str]) -> str | None:
    """The one declared name that ``name`` is in another case (an indexed name only: ``W1^11`` for ``w1^11``)."""
    found = [d for d in declared if d.casefold() == name.casefold()]
    return found[0] if len(found) == 1 and name not in declared else None


def case_readings(text: str, declared: frozenset[str]) -> list[tuple[str, str]]:
    """``(as typed, declared name)`` for each name read in another case than typed; [] when the text is refused."""
    try:
        tokens = tokenize(text, declared)
    except ExprError:
        return []
    body, _ = strip_math_delimiters(text) if len(text) <= MAX_CHARS else (text, 0)
    return [(body[t.col - 1:t.end - 1], t.value) for t in tokens if t.folded]


def _splits(word: str, names: frozenset[str], limit: int = 2) -> list[list[str]]:
    """Ways to write ``word`` as a run of declared names (at most ``limit``); memoised, so never exponential."""
    from functools import lru_cache

    usable = [n for n in names if "^" not in n]

    @lru_cache(maxsize=None)
    def ways(i: int) -> tuple[tuple[str, ...], ...]:
        if i == len(word):
            return ((),)
        found: list[tuple[str, ...]] = []
        for n in usable:
            if word.startswith(n, i):
                for rest in ways(i + len(n)):
                    found.append((n,) + rest)
                    if len(found) >= limit:
                        return tuple(found)
        return tuple(found)

    return [list(w) for w in ways(0)]

"""The bounds of the answer language: one set, for every reader of it (docs/bounds.md, "The answer language").

A student's answer is untrusted text: each bound is checked before the work it limits is done, and a bound
that is hit is that part's refusal with a one-line reason, never a grader error or a hang. Numbers,
arithmetic, shapes, matrices and formulas share these numbers; ``tests/answers/test_reader_bounds.py`` checks that
the table in docs/bounds.md states them and that each is enforced where it says.
"""

from __future__ import annotations

__all__ = ["ANSWER_CHARS", "EXPRESSION_CHARS", "NODES", "NESTING", "LIST_DEPTH", "ENTRIES", "EXPONENT",
           "INT_DIGITS", "EXACT_DIGITS", "POWER", "FORMULA_POWER", "FORMULA_NUMBER_CHARS", "SYMBOL_MATRIX_SIDE",
           "SYMBOL_MATRIX_ENTRIES", "TABLE"]

# the whole answer to one part: a pasted 300×300 matrix is 200 KB of text
ANSWER_CHARS = 200_000
# one expression: a formula, or one arithmetic entry of a number, a list or a matrix
EXPRESSION_CHARS = 2_000
# the parts (numbers, names, operators) of one expression
NODES = 400
# brackets and operators inside one another in one expression: ((((x)))), - - - x, a^b^c; in a formula's
# tree each term of a chain x + x + … is one level more (its evaluation recurses through them)
NESTING = 60
# lists inside lists: [[[1]]] is 3 (a rank-8 tensor is the deepest answer read)
LIST_DEPTH = 8
# the entries of one list or matrix
ENTRIES = 100_000
# a written number's exponent, either way: 1e-400 is 0 and 1e400 inf as floats; 1e-30000000000000000000 is refused
EXPONENT = 10_000
# the digits of an integer written out: Python's own limit for int(text), far past a float's range
INT_DIGITS = 4_300
# the digits of an exact value computed from arithmetic (10^2000, 9^9^9 refused before they are computed);
# an exponent written inside arithmetic (2*1e-5) is bounded by it too, since its power of ten is exact
EXACT_DIGITS = 2_000
# the exponent of a power in arithmetic: 2^1000 at most (and its digits as above)
POWER = 1_000
# a formula's constant exponent: |p| at most 64, so 10**10**10 and 9^9^9^9 are refused before any is drawn
FORMULA_POWER = 64
# a number inside a formula (formulas compute in floats): 24 characters
FORMULA_NUMBER_CHARS = 24
# a matrix of symbol entries (w_1^{11}, 0): rows and columns, and entries in all
SYMBOL_MATRIX_SIDE = 32
SYMBOL_MATRIX_ENTRIES = 256

# (name, value, what it bounds): the table of docs/bounds.md, "The answer language"
TABLE = (
    ("ANSWER_CHARS", ANSWER_CHARS, "characters of one part's answer"),
    ("EXPRESSION_CHARS", EXPRESSION_CHARS, "characters of one expression (a formula, one arithmetic entry)"),
    ("NODES", NODES, "parts of one expression"),
    ("NESTING", NESTING, "brackets and operators inside one another in one expression "
                         "(a formula's chain x + x + … counts each term)"),
    ("LIST_DEPTH", LIST_DEPTH, "lists inside lists"),
    ("ENTRIES", ENTRIES, "entries of one list or matrix"),
    ("EXPONENT", EXPONENT, "a written number's exponent, either way"),
    ("INT_DIGITS", INT_DIGITS, "digits of an integer written out"),
    ("EXACT_DIGITS", EXACT_DIGITS, "digits of an exact value computed from arithmetic, and an exponent inside it"),
    ("POWER", POWER, "the exponent of a power in arithmetic"),
    ("FORMULA_POWER", FORMULA_POWER, "a formula's constant exponent, either way"),
    ("FORMULA_NUMBER_CHARS", FORMULA_NUMBER_CHARS, "characters of a number inside a formula"),
    ("SYMBOL_MATRIX_SIDE", SYMBOL_MATRIX_SIDE, "rows, and columns, of a matrix of symbols"),
    ("SYMBOL_MATRIX_ENTRIES", SYMBOL_MATRIX_ENTRIES, "entries of a matrix of symbols"),
)

"""A small expression language for formula answers, parsed without ``eval``.

Plain (``(W2.T @ (x3 - t)) * x2 * (1 - x2) @ x1.T``) and LaTeX
(``\\left(W_2^\\top (x_3 - t) \\odot x_2 \\odot (1 - x_2)\\right) x_1^T``) give one
AST; names must be declared with their shapes, shapes are checked before any
number is drawn, and equivalence is decided numerically on seeded random
instances. A wrong answer is named by the edit of the reference it equals.

>>> table = declare({"x1": "n×1", "W1": "m×n"})
>>> check_formula("W1 x1", "W_1 x_1", table).verdict
<Verdict.CORRECT: 'correct'>
>>> check_formula("x1 W1", "W1 x1", table).message
'col 1: x1 W1: (n×1)·(m×n) do not compose'
"""

from gradekit.check.expr.compare import FormulaResult, check_formula, declare
from gradekit.core.reader.errors import ExprError
from gradekit.core.reader.parser import parse
from gradekit.core.reader.shapes import Symbols, parse_shape, shape_of

__all__ = ["ExprError", "FormulaResult", "Symbols", "check_formula", "declare", "parse", "parse_shape", "shape_of"]

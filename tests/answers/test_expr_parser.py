"""The expression language: plain text and LaTeX give one AST; shapes are checked at parse time."""

import pytest

from gradekit.check.expr import ExprError, declare, parse, shape_of
from gradekit.core.reader.nodes import Bin, Call, Mat, Neg, Num, Sym, T, to_text

NET = declare({"x1": "n×1", "W1": "m×n", "b1": "m×1", "x2": "m×1", "W2": "k×m", "b2": "k×1", "x3": "k×1", "t": "k×1"})
W2T_E = Bin("mat", T(Sym("W2")), Bin("-", Sym("x3"), Sym("t")))


@pytest.mark.parametrize("text", [
    "W2ᵀ(x3 − t)", "W2^T (x3 - t)", "W2.T @ (x3 - t)", "W2' (x3 - t)", "W2ᵀ·(x3 − t)",
    r"W_2^\top (x_3 - t)", r"W_{2}^{T} \left( x_{3} - t \right)", r"\mathbf{W}_2^T \cdot (x_3 - t)",
    "$W_2^T(x_3-t)$", "W2⊤(x3−t)",
])
def test_plain_and_latex_spellings_give_one_tree(text):
    assert parse(text, NET) == W2T_E


@pytest.mark.parametrize("text", ["x2 ∘ (1 − x2)", "x2 * (1 - x2)", "x2 ⊙ (1-x2)", "x2 .* (1 - x2)",
                                  r"x_2 \odot (1 - x_2)", r"x_2 \circ \left(1 - x_2\right)"])
def test_elementwise_spellings(text):
    assert parse(text, NET) == Bin("had", Sym("x2"), Bin("-", Num(1.0), Sym("x2")))


def test_functions_fractions_matrices_and_precedence():
    s = declare(["a", "b"])
    assert parse(r"\frac{1}{2} a", s) == parse("1/2 a", s)
    assert parse("½ a", s) == parse("0.5 a", s)
    assert parse(r"\sigma(a)", s) == parse("σ(a)", s) == parse("sigmoid(a)", s) == Call("sigmoid", (Sym("a"),))
    assert parse(r"\ln(a) + \exp(b)", s) == parse("log(a) + exp(b)", s)
    assert parse("-a^2", s) == Neg(Bin("^", Sym("a"), Num(2.0)))
    assert parse("a^b^2", s) == Bin("^", Sym("a"), Bin("^", Sym("b"), Num(2.0)))  # right to left
    assert parse("a - b - 1", s) == Bin("-", Bin("-", Sym("a"), Sym("b")), Num(1.0))
    assert parse(r"\begin{bmatrix} a & b \\ 1 & 0 \end{bmatrix}", s) == Mat(((Sym("a"), Sym("b")), (Num(1.0), Num(0.0))))
    assert parse("e^{a}", s) == Bin("^", Num(2.718281828459045), Sym("a"))


def test_subscripted_and_superscripted_names():
    s = declare({"q_x": "scalar", "p_x": "scalar", "w_1^{11}": "scalar", "w_2^{11}": "scalar"})
    assert parse("q_x − p_x", s) == parse("q_{x} - p_{x}", s) == Bin("-", Sym("qx"), Sym("px"))
    assert parse("w_1^{11} + w_2^{11}", s) == Bin("+", Sym("w1^11"), Sym("w2^11"))
    assert parse("w_1^{11}^2", s) == Bin("^", Sym("w1^11"), Num(2.0))


def test_names_typed_without_a_space_are_split_only_when_unambiguous():
    assert parse("W2x2", NET) == Bin("mat", Sym("W2"), Sym("x2"))


def test_to_text_round_trips():
    for text in ["((W2ᵀ(x3 − t)) ∘ x2 ∘ (1 − x2)) x1ᵀ", "(x3 − t) x2ᵀ", "-(x3 - t)", "x1ᵀ W1ᵀ W2ᵀ (x3 - t)"]:
        node = parse(text, NET)
        assert parse(to_text(node, NET.name), NET) == node


@pytest.mark.parametrize("text, col, words", [
    ("W2 x1", 1, "W2 x1: (k×m)·(n×1) do not compose"),
    ("x3 - t + x2", 1, "(k×1)+(m×1) do not match"),
    ("W2ᵀ * (x3 - t)", 1, "as in NumPy, multiply entry by entry); did you mean the matrix product? write @ or put them side by side"),
    ("x2 (1 - x2)", 1, "do not compose; for an entry-by-entry product write ∘ or *"),
    ("x1 ^ x2", 6, "the exponent x2 is (m×1); it must be a scalar"),
])
def test_shape_errors_quote_the_student_and_the_shapes(text, col, words):
    with pytest.raises(ExprError) as e:
        parse(text, NET)
    assert e.value.col == col and words in str(e.value) and str(e.value).startswith(f"col {col}: ")


def test_shapes_of_correct_gradients():
    assert shape_of(parse("((W2ᵀ(x3 − t)) ∘ x2 ∘ (1 − x2)) x1ᵀ", NET), NET) == ("m", "n")
    assert shape_of(parse("½ (t − x3)ᵀ(t − x3)", NET), NET) == (1, 1)


@pytest.mark.parametrize("text, col, words", [
    ("W3 x1", 1, "unknown name 'W3'; declared: W1, W2, b1, b2, t, x1, x2, x3"),
    ("W2 (x3 - t", 4, "1 bracket left open: '(' at col 4 is never closed"),
    ("W2 x3) ", 6, "')' has no matching opening bracket"),
    ("(x3 - t]", 8, "']' does not match '('"),
    (r"\frac{1}{2 x2", 9, "1 bracket left open: '{' at col 9 is never closed"),
    (r"\begin{bmatrix} 1 & 2", 1, r"\begin{bmatrix} is never closed by \end{bmatrix}"),
    (r"\int{x2}", 1, r"\int is not part of the answer language"),  # \sqrt is read (round 2)
    ("dL/dW1 = x3 - t", 8, "'=' is not part of an answer"),
    ("x2 + ", 6, "the answer ends where an expression was expected"),
    ("sigmoid x2", 9, "sigmoid needs its argument in brackets"),
    ("х2", 1, "looks like 'x' but is not"),
    ("x\u200b2", 2, "invisible character"),
    ("ｘ2", 1, "looks like 'x' but is not"),
    ("x2 ¶", 4, "is not part of the answer language"),
])
def test_refusals_point_at_the_column(text, col, words):
    with pytest.raises(ExprError) as e:
        parse(text, NET)
    assert e.value.col == col, str(e.value)
    assert words in str(e.value)
    assert "\n" not in str(e.value)

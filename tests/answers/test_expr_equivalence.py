"""Equivalence on random shape-consistent instances, and the named mistakes of matrix answers."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradekit.check.expr import check_formula, declare

MATS = declare({"A": "m×n", "B": "n×k", "C": "n×k", "D": "m×n", "u": "m×1", "v": "n×1", "s": "scalar"})
NET = declare(
    {"x1": "n×1", "W1": "m×n", "b1": "m×1", "z": "m×1", "x2": "m×1", "W2": "k×m", "b2": "k×1", "x3": "k×1", "t": "k×1"},
    {"z": "W1 x1 + b1", "x2": "sigmoid(z)", "x3": "W2 x2 + b2"},
)
DW1 = "((W2ᵀ(x3−t)) ∘ x2 ∘ (1−x2)) x1ᵀ"

# Algebraically equal rewrites of one formula: every pair must be judged equal.
REWRITES = [
    ("(A B)ᵀ", "Bᵀ Aᵀ", "B.T @ A.T", r"B^\top A^\top"),
    ("A (B + C)", "A B + A C", "A @ B + A @ C"),
    ("(A + D)ᵀ u", "Aᵀ u + Dᵀ u", "(u' A)' + D' u"),
    ("s (A ∘ D)", "(s A) * D", "A ⊙ (D s)"),
    ("u vᵀ", "(v uᵀ)ᵀ", "u @ v.T"),
    ("A v - u", "-(u - A v)", "A v + (-1) u"),
    ("sigmoid(u)", "1 / (1 + exp(-u))", r"\frac{1}{1 + e^{-u}}"),
    ("tanh(u)", "2 sigmoid(2 u) - 1", "(exp(u) - exp(-u)) / (exp(u) + exp(-u))"),
]


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(REWRITES).flatmap(lambda forms: st.tuples(st.sampled_from(forms), st.sampled_from(forms))))
def test_algebraically_equal_rewrites_are_correct(pair):
    answer, reference = pair
    assert check_formula(answer, reference, MATS).verdict == "correct", pair


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(["(A B)ᵀ", "A (B + C)", "u vᵀ", "A v - u"]), st.sampled_from([2, 3, -1, 0.5]))
def test_a_scaled_answer_is_never_correct(reference, c):
    r = check_formula(f"{c} ({reference})", reference, MATS)
    assert r.verdict == "wrong"
    if c in (2, 0.5):
        assert r.diagnosis == "constant_factor"


@pytest.mark.parametrize("answer", [
    DW1,
    r"\left( W_2^\top (x_3 - t) \odot x_2 \odot (1 - x_2) \right) x_1^T",
    "(W2.T @ (x3 - t)) * x2 * (1 - x2) @ x1.T",
    "((W2ᵀ(x3−t)) ∘ sigmoid(W1 x1 + b1) ∘ (1 − sigmoid(z))) x1ᵀ",  # spelled out instead of x2
    "(W2ᵀ(x3−t) ∘ x2 ∘ (1−x2)) x1ᵀ + 0 W1",
    "-((W2ᵀ(t−x3)) ∘ x2 ∘ (1−x2)) x1ᵀ",
])
def test_right_answers_to_dL_dW1(answer):
    r = check_formula(answer, DW1, NET)
    assert r.verdict == "correct", r.message


@pytest.mark.parametrize("answer, diagnosis, words", [
    ("((W2ᵀ(t−x3)) ∘ x2 ∘ (1−x2)) x1ᵀ", "sign_flipped", "it is x3 − t, not t − x3"),
    ("((W2(x3−t)) ∘ x2 ∘ (1−x2)) x1ᵀ", "transpose_missing", "(k×m)·(k×1) do not compose"),
    ("(W2ᵀ(x3−t)) x1ᵀ", "activation_derivative_missing", "x2 ∘ (1 − x2) is missing"),
    ("((W2ᵀ(x3−t)) ∘ (1 − x2 ∘ x2)) x1ᵀ", "activation_derivative_wrong", "tanh"),
    ("((W2ᵀ(x3−t)) ∘ z ∘ (1 − z)) x1ᵀ", "activation_derivative_wrong", "not z ∘ (1 − z)"),
    ("((W2ᵀ(x3−t)) ∘ x2) x1ᵀ", "activation_derivative_wrong", "art of the activation derivative, 1 − x2, is missing"),
    ("x1 ((W2ᵀ(x3−t)) ∘ x2 ∘ (1−x2))ᵀ", "outer_product_reversed", "wrong order"),
    ("½ ((W2ᵀ(x3−t)) ∘ x2 ∘ (1−x2)) x1ᵀ", "constant_factor", "factor of ½"),
])
def test_each_mistake_of_dL_dW1_is_named(answer, diagnosis, words):
    r = check_formula(answer, DW1, NET)
    assert (r.verdict, r.diagnosis) == ("wrong", diagnosis), r
    if words:
        assert words in r.message
    assert "\n" not in r.message


def test_hadamard_and_matrix_product_swapped():
    square = declare({"A": "n×n", "D": "n×n", "u": "n×1"})
    assert check_formula("A ∘ D u", "A D u", square).diagnosis == "hadamard_for_matmul"
    assert check_formula("(A D) u", "(A * D) u", square).diagnosis == "matmul_for_hadamard"
    r = check_formula("(x3 − t) ∘ x2ᵀ", "(x3 − t) x2ᵀ", NET)  # shapes alone refuse it, at parse time
    assert r.verdict == "invalid" and "(k×1)∘(1×m) do not match" in r.message


def test_extra_transpose_and_whole_transpose():
    assert check_formula("x2 (x3 − t)ᵀ", "(x3 − t) x2ᵀ", NET).diagnosis == "outer_product_reversed"
    r = check_formula("(W2ᵀ(x3−t))ᵀ", "W2ᵀ(x3−t)", NET)
    assert r.diagnosis == "transposed" and "(1×m), but the right one is (m×1)" not in r.message


def test_wrong_shape_and_plain_wrong():
    r = check_formula("x3", "(x3 − t) x2ᵀ", NET)
    assert (r.verdict, r.diagnosis) == ("wrong", "wrong_shape") and "(k×1), but the right one is (k×m)" in r.message
    r = check_formula("(x3 + t) x2ᵀ", "(x3 − t) x2ᵀ", NET)
    assert r.verdict == "wrong" and r.diagnosis is None and "random instances" in r.message


def test_scalar_formulas():
    s = declare({"q_x": "scalar", "p_x": "scalar"})
    assert check_formula("q_x - p_x", "q_x − p_x", s).verdict == "correct"
    assert check_formula("-(p_x - q_x)", "q_x − p_x", s).verdict == "correct"
    assert check_formula("p_x - q_x", "q_x − p_x", s).diagnosis == "sign_flipped"
    r = check_formula("-p_x (1 - q_x)", "q_x − p_x", s, alternatives=[("diag", "only the diagonal", "−p_x (1 − q_x)")])
    assert r.diagnosis == "diag"

"""Answers as students write them, from the seeds, each with the verdict a careful TA gives.

The right values are the published ones (CATALOG.md): q3.2's L = 116 and its
gradients, COM S 573's 1,474,560 parameters (3·3·128·256 + 3·3·256·512) and
0 % memory change, the batch-norm means and variances, ECE 449 p5's
q = [0.8808, 0.1192] and W' = [[0.98838, -0.01162], [0.01162, -0.98838]].
Right forms must be accepted in every file type; transposes, sign flips, ×2,
±5 % and the forgotten bias rejected, with the mistake named where the
checker can name it.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from gradekit.catalog.catalog import load_catalog
from gradekit.grading.answers import grade_answers
from gradekit.intake.submission import load_answers

CAT = load_catalog()

# (problem, part, what the student wrote, verdict, diagnosis or None)
RIGHT = "correct"
WRONG = "wrong"
CASES = [
    # -- numbers: ece661-hw1 q3.2, L = 116 ------------------------------------------------------------
    ("ece661-hw1/q3.2", "L", 116, RIGHT, None),
    ("ece661-hw1/q3.2", "L", "116", RIGHT, None),
    ("ece661-hw1/q3.2", "L", "116.0", RIGHT, None),
    ("ece661-hw1/q3.2", "L", "L = 116", RIGHT, None),
    ("ece661-hw1/q3.2", "L", "$116$", RIGHT, None),
    ("ece661-hw1/q3.2", "L", r"\[ 116 \]", RIGHT, None),
    ("ece661-hw1/q3.2", "L", "≈ 116", RIGHT, None),
    ("ece661-hw1/q3.2", "L", "tensor(116.)", RIGHT, None),
    ("ece661-hw1/q3.2", "L", "tensor(116., grad_fn=<MseLossBackward0>)", RIGHT, None),
    ("ece661-hw1/q3.2", "L", "np.float32(116.0)", RIGHT, None),
    ("ece661-hw1/q3.2", "L", "0.5 * (14**2 + 6**2 + 4**2 ... )".replace(" ... ", ""), WRONG, None),  # ½(196+36+16)=124
    ("ece661-hw1/q3.2", "L", r"\frac{1}{2}(14^2 + 6^2)", RIGHT, None),
    ("ece661-hw1/q3.2", "L", "232", WRONG, "half_dropped"),  # the family's own mistake: ½ of L dropped
    ("ece661-hw1/q3.2", "L", "-116", WRONG, "sign_flipped"),
    ("ece661-hw1/q3.2", "L", "121.8", WRONG, None),  # +5 %
    ("ece661-hw1/q3.2", "L", "110.2", WRONG, None),  # -5 %
    ("ece661-hw1/q3.2", "L", "x = 116", "invalid", None),
    # -- vectors: dL/db1 = [0, 34], dL/db2 = [14, 6] --------------------------------------------------------
    ("ece661-hw1/q3.2", "dL/db1", [0, 34], RIGHT, None),
    ("ece661-hw1/q3.2", "dL/db1", "[0, 34]", RIGHT, None),
    ("ece661-hw1/q3.2", "dL/db1", "[0, 34]^T", RIGHT, None),
    ("ece661-hw1/q3.2", "dL/db1", "[0, 34]ᵀ", RIGHT, None),
    ("ece661-hw1/q3.2", "dL/db1", "[[0], [34]]", RIGHT, None),
    ("ece661-hw1/q3.2", "dL/db1", "0, 34", RIGHT, None),
    ("ece661-hw1/q3.2", "dL/db1", "tensor([ 0., 34.])", RIGHT, None),
    ("ece661-hw1/q3.2", "dL/db1", "tensor([[ 0., 34.]])", RIGHT, None),
    ("ece661-hw1/q3.2", "dL/db1", "array([ 0., 34.])", RIGHT, None),
    ("ece661-hw1/q3.2", "dL/db1", "[ 0. 34.]", RIGHT, None),  # print(np.array(...))
    ("ece661-hw1/q3.2", "dL/db1", r"\begin{bmatrix} 0 \\ 34 \end{bmatrix}", RIGHT, None),
    ("ece661-hw1/q3.2", "dL/db1", r"\begin{bmatrix} 0 & 34 \end{bmatrix}^T", RIGHT, None),
    ("ece661-hw1/q3.2", "dL/db1", "dL/db1 = [0, 34]", RIGHT, None),
    ("ece661-hw1/q3.2", "dL/db1", "[0, 2*17]", RIGHT, None),
    ("ece661-hw1/q3.2", "dL/db1", "[0, -34]", WRONG, None),
    ("ece661-hw1/q3.2", "dL/db1", "[0, 68]", WRONG, "half_dropped"),
    ("ece661-hw1/q3.2", "dL/db2", "[-14, -6]", WRONG, "sign_flipped"),
    ("ece661-hw1/q3.2", "dL/db2", "[14, 6, 0]", WRONG, "wrong_shape"),
    # -- matrices: dL/dW1 = [[0, 0, 0], [34, 34, -34]], dL/dW2 = [[0, 98], [0, 42]] ------------------------
    ("ece661-hw1/q3.2", "dL/dW1", [[0, 0, 0], [34, 34, -34]], RIGHT, None),
    ("ece661-hw1/q3.2", "dL/dW1", "[[0, 0, 0], [34, 34, -34]]", RIGHT, None),
    ("ece661-hw1/q3.2", "dL/dW1", "dL/dW1 = [[0, 0, 0], [34, 34, -34]]", RIGHT, None),
    ("ece661-hw1/q3.2", "dL/dW1", "[0, 0, 0; 34, 34, -34]", RIGHT, None),
    ("ece661-hw1/q3.2", "dL/dW1", "tensor([[  0.,   0.,  -0.],\n        [ 34.,  34., -34.]])", RIGHT, None),
    ("ece661-hw1/q3.2", "dL/dW1", "array([[  0.,   0.,  -0.],\n       [ 34.,  34., -34.]], dtype=float32)", RIGHT, None),
    ("ece661-hw1/q3.2", "dL/dW1", "[[  0.   0.  -0.]\n [ 34.  34. -34.]]", RIGHT, None),
    ("ece661-hw1/q3.2", "dL/dW1", r"\begin{bmatrix} 0 & 0 & 0 \\ 34 & 34 & -34 \end{bmatrix}", RIGHT, None),
    ("ece661-hw1/q3.2", "dL/dW1", r"$$\begin{pmatrix} 0 & 0 & 0 \\ 34 & 34 & -34 \end{pmatrix}$$", RIGHT, None),
    ("ece661-hw1/q3.2", "dL/dW1", r"\begin{bmatrix} 0 & 34 \\ 0 & 34 \\ 0 & -34 \end{bmatrix}^T", RIGHT, None),
    ("ece661-hw1/q3.2", "dL/dW1", "[[0, 0, 0], [34, 34, -34]]", RIGHT, None),
    ("ece661-hw1/q3.2", "dL/dW1", "[[0, 34], [0, 34], [0, -34]]", WRONG, "transposed"),
    ("ece661-hw1/q3.2", "dL/dW1", "[[0, 0, 0], [-34, -34, 34]]", WRONG, "sign_flipped"),
    ("ece661-hw1/q3.2", "dL/dW1", "[[0, 0, 0], [68, 68, -68]]", WRONG, "half_dropped"),
    ("ece661-hw1/q3.2", "dL/dW1", "[[0, 0, 0], [17, 17, -17]]", WRONG, "constant_factor"),
    ("ece661-hw1/q3.2", "dL/dW1", "[[0, 0, 0], [34, 34, -34], [0, 0, 0]]", WRONG, "wrong_shape"),
    ("ece661-hw1/q3.2", "dL/dW1", "[[0, 0, 0], [34, 34]]", "invalid", None),
    ("ece661-hw1/q3.2", "dL/dW2", "[[0, 98], [0, 42]]", RIGHT, None),
    ("ece661-hw1/q3.2", "dL/dW2", "[[0, 0], [98, 42]]", WRONG, "transposed"),
    # -- integers: COM S 573 q1, 1,474,560 parameters and 1,509,949,440 MACs --------------------------------
    ("coms573-hw5/q1", "params", 1474560, RIGHT, None),
    ("coms573-hw5/q1", "params", "1474560", RIGHT, None),
    ("coms573-hw5/q1", "params", "1,474,560", RIGHT, None),
    ("coms573-hw5/q1", "params", "1_474_560", RIGHT, None),
    ("coms573-hw5/q1", "params", "3*3*128*256 + 3*3*256*512", RIGHT, None),
    ("coms573-hw5/q1", "params", r"3 \times 3 \times 128 \times 256 + 3 \times 3 \times 256 \times 512", RIGHT, None),
    ("coms573-hw5/q1", "params", r"1.47456 \times 10^6", RIGHT, None),
    ("coms573-hw5/q1", "params", "9 * (128*256 + 256*512)", RIGHT, None),
    ("coms573-hw5/q1", "params", "params = 1474560", RIGHT, None),
    ("coms573-hw5/q1", "params", "1474560.0", RIGHT, None),
    ("coms573-hw5/q1", "params", "3*3*128*256", WRONG, None),
    ("coms573-hw5/q1", "params", "1474560 + 256 + 512", WRONG, None),  # biases counted
    ("coms573-hw5/q1", "params", "1.47e6", WRONG, None),  # rounded: a count is exact
    ("coms573-hw5/q1", "macs", "1509949440", RIGHT, None),
    ("coms573-hw5/q1", "macs", "32*32*3*3*128*256 + 32*32*3*3*256*512", RIGHT, None),
    ("coms573-hw5/q1", "macs", "1,509,949,440", RIGHT, None),
    ("coms573-hw5/q1", "macs", "2^8*9*2^10*640", RIGHT, None),
    ("coms573-hw5/q1", "macs", "3019898880", WRONG, None),
    # -- a number asked in percent: 0 % memory change ---------------------------------------------------------
    ("coms573-hw5/q1", "memory_change", "0%", RIGHT, None),
    ("coms573-hw5/q1", "memory_change", "0", RIGHT, None),
    ("coms573-hw5/q1", "memory_change", r"0\%", RIGHT, None),
    ("coms573-hw5/q1", "memory_change", "(524288 - 524288)/524288 * 100", RIGHT, None),
    ("coms573-hw5/q1", "memory_change", "-50%", WRONG, None),
    # -- vectors of batch norm: μ = [13, 5, 0], σ² = [1, 25, 25] -------------------------------------------
    ("coms573-hw5/q2a", "mu", "[13, 5, 0]", RIGHT, None),
    ("coms573-hw5/q2a", "mu", "13, 5, 0", RIGHT, None),
    ("coms573-hw5/q2a", "mu", "[52/4, 20/4, 0]", RIGHT, None),
    ("coms573-hw5/q2a", "var", "1, 25, 25", RIGHT, None),
    ("coms573-hw5/q2a", "var", "[1, 5^2, 5^2]", RIGHT, None),
    ("coms573-hw5/q2a", "var", "[4/3, 100/3, 100/3]", WRONG, "sample_variance"),
    ("coms573-hw5/q2a", "var", "[1, 5, 5]", WRONG, None),  # standard deviations
    # -- real numbers to a few digits: ECE 449 p5, q = softmax(z) ---------------------------------------
    ("ece449-a2/p5", "q", "[0.8808, 0.1192]", RIGHT, None),
    ("ece449-a2/p5", "q", "[0.8807, 0.1192]", RIGHT, None),  # truncated
    ("ece449-a2/p5", "q", "[0.881, 0.119]", WRONG, "too_few_digits"),  # the statement asks 4 digits
    ("ece449-a2/p5", "q", "[0.88079708, 0.11920292]", RIGHT, None),
    ("ece449-a2/p5", "q", "[0.880797, 0.119203]", RIGHT, None),
    ("ece449-a2/p5", "q", "array([0.8808, 0.1192])", RIGHT, None),
    ("ece449-a2/p5", "q", "tensor([0.8808, 0.1192])", RIGHT, None),
    ("ece449-a2/p5", "q", "array([0.88079625, 0.11920375], dtype=float32)", RIGHT, None),  # float32
    ("ece449-a2/p5", "q", "[e^2/(1+e^2), 1/(1+e^2)]", RIGHT, None),
    ("ece449-a2/p5", "q", r"[\frac{e^2}{1+e^2}, \frac{1}{1+e^2}]", RIGHT, None),
    ("ece449-a2/p5", "q", "[sigmoid(2), sigmoid(-2)]", RIGHT, None),
    ("ece449-a2/p5", "q", "[0.88, 0.12]", WRONG, "too_few_digits"),
    ("ece449-a2/p5", "q", "[0.1192, 0.8808]", WRONG, None),
    ("ece449-a2/p5", "q", "[0.9248, 0.1252]", WRONG, None),  # +5 %
    ("ece449-a2/p5", "W_new", "[[0.98838, -0.01162], [0.01162, -0.98838]]", RIGHT, None),
    ("ece449-a2/p5", "W_new", "[[0.9884, -0.0116], [0.0116, -0.9884]]", WRONG, "too_few_digits"),
    ("ece449-a2/p5", "W_new", "[[0.9884, -0.01162], [0.01162, -0.9883]]", RIGHT, None),  # rounded, truncated
    ("ece449-a2/p5", "W_new", "[[0.98838, 0.01162], [-0.01162, -0.98838]]", WRONG, "gradient_outer_product_reversed"),
    ("ece449-a2/p5", "B_new", "[-0.01162, 0.01162]", RIGHT, None),
    ("ece449-a2/p5", "B_new", "[-0.0116, 0.0116]", WRONG, "too_few_digits"),
    ("ece449-a2/p5", "B_new", "[-0.01162, 0.01162]", RIGHT, None),
    ("ece449-a2/p5", "B_new", "[0.01162, -0.01162]", WRONG, "ascent_step"),
    ("ece449-a2/p5", "dE/dz", "[-0.5808, 0.5808]", WRONG, "sign_flipped"),
    # -- counts with and without bias ------------------------------------------------------------------------
    ("cs37300-hw4/q3.2c", "params_with_bias", "28", RIGHT, None),
    ("cs37300-hw4/q3.2c", "params_with_bias", "3*3*3 + 1", RIGHT, None),
    ("cs37300-hw4/q3.2c", "params", "27", RIGHT, None),
    ("cs37300-hw4/q3.2c", "params_with_bias", "27", WRONG, None),  # the bias forgotten
    ("cs37300-hw4/q3.2c", "params_with_bias", "10", WRONG, None),  # the seed's slip: one input channel
    ("cs37300-hw4/q3.2e", "params_with_bias", "148 + 111", RIGHT, None),
    ("cs37300-hw4/q3.2e", "params_with_bias", "4*(6*6*1+1) + 3*(3*3*4+1)", RIGHT, None),
    ("cs37300-hw4/q3.2e", "params_with_bias", "4*6*6 + 3*3*3*4", WRONG, None),  # biases forgotten
    ("ece449-a2/p3", "params_with_bias", "62,006", RIGHT, None),
    ("ece449-a2/p3", "params_with_bias", "62006", RIGHT, None),
]


# Formulas (expr, matrix_expr) and symbol matrices, as students write them: the forms.
DW1 = "ece661-hw1/q3.1"
FORMULA_CASES = [
    (DW1, "dL/dW1", "((W2ᵀ(x3 − t)) ∘ x2 ∘ (1 − x2)) x1ᵀ", RIGHT, None),
    (DW1, "dL/dW1", "diag(x2 ∘ (1 − x2)) W2ᵀ (x3 − t) x1ᵀ", RIGHT, None),
    (DW1, "dL/dW1", "(W2ᵀ(x3 − t) ∘ σ'(W1 x1 + b1)) x1ᵀ", RIGHT, None),
    (DW1, "dL/dW1", "(W2.T @ (x3 - t) * sigmoid'(W1 @ x1 + b1)) @ x1.T", RIGHT, None),
    (DW1, "dL/dW1", r"\frac{\partial L}{\partial W_1} = \left( W_2^\top (x_3 - t) \odot x_2 \odot (1 - x_2) \right) x_1^T",
     RIGHT, None),
    (DW1, "dL/dW1", "dL/dW1 = ((W2ᵀ(x3 − t)) ∘ x2 ∘ (1 − x2)) x1ᵀ", RIGHT, None),
    (DW1, "dL/dW1", "dL/dW2 = ((W2ᵀ(x3 − t)) ∘ x2 ∘ (1 − x2)) x1ᵀ", "invalid", None),
    (DW1, "dL/dW1", "((W2ᵀ(t − x3)) ∘ x2 ∘ (1 − x2)) x1ᵀ", WRONG, "sign_flipped"),
    (DW1, "dL/db2", "x3 − t", RIGHT, None),
    (DW1, "dL/db2", "t − x3", WRONG, "sign_flipped"),
    ("ece449-a2/p4", "dE/dz_x", "q_x - p_x", RIGHT, None),
    ("ece449-a2/p4", "dE/dz_x", "-(p_x - q_x)", RIGHT, None),
    ("ece449-a2/p4", "dE/dz_x", r"\frac{\partial E}{\partial z_x} = q_x - p_x", RIGHT, None),
    ("ece449-a2/p4", "dE/dz_x", "p_x - q_x", WRONG, "sign_flipped"),
]


@pytest.mark.parametrize("problem, part, written, verdict, diagnosis", FORMULA_CASES,
                         ids=[f"{c[1]}={c[2][:40]!r}" for c in FORMULA_CASES])
def test_written_formula(problem, part, written, verdict, diagnosis):
    test_written_answer(problem, part, written, verdict, diagnosis)


def test_a_proof_or_the_random_instances_say_which_decided():
    report = grade_answers({"ece449-a2/p4": {"dE/dz_x": "-(p_x - q_x)"}})
    part = next(p for prob in report.problems if prob.id == "p4" for p in prob.parts)
    assert part.feedback == "correct (proved equal to the reference by sympy)"
    report = grade_answers({DW1: {"dL/dW1": "diag(x2 ∘ (1 − x2)) W2ᵀ (x3 − t) x1ᵀ"}})
    part = next(p for prob in report.problems if prob.id == "q3.1" for p in prob.parts if p.name == "dL/dW1")
    assert part.feedback.startswith("correct (equal to the reference on 6 random instances")


def test_symbol_names_with_scripts_in_either_order():
    import re

    cat = load_catalog()
    problem = cat.resolve("coms573-hw5/q3a")
    key = cat.solve(problem).answers["A"]
    swapped = [[re.sub(r"(\w)_(\w+)\^\{(\w+)\}", r"\1^{\3}_\2", str(e)) for e in row] for row in key]
    assert swapped[0][0] == "w^{11}_1"
    report = grade_answers({"coms573-hw5/q3a": {"A": swapped}})
    assert next(p for prob in report.problems if prob.id == "q3a" for p in prob.parts).verdict == "correct"


@pytest.mark.parametrize("problem, part, written, verdict, diagnosis", CASES,
                         ids=[f"{c[0].split('/')[1]}:{c[1]}={str(c[2])[:40]!r}" for c in CASES])
def test_written_answer(problem, part, written, verdict, diagnosis):
    report = grade_answers({problem: {part: written}})
    (result,) = [p for prob in report.problems if prob.qualified_id == problem for p in prob.parts
                 if p.name == part] if hasattr(report.problems[0], "qualified_id") else \
        [p for prob in report.problems if f"{prob.assignment}/{prob.id}" == problem for p in prob.parts
         if p.name == part]
    assert result.verdict == verdict or (verdict == WRONG and result.verdict == "partial"), result
    if diagnosis is not None:
        assert result.diagnosis == diagnosis, result


def test_there_are_at_least_80_forms_over_every_numeric_kind():
    kinds = {CAT.resolve(p).part(part).kind for p, part, *_ in CASES}
    assert len(CASES) >= 80 and kinds >= {"number", "vector", "matrix", "integer"}


def test_the_feedback_says_how_an_expression_was_read():
    report = grade_answers({"coms573-hw5/q1": {"params": "3*3*128*256 + 3*3*256*512"}})
    part = report.problems[0].parts[0]
    assert part.verdict == "correct" and "as 1474560" in part.feedback


@pytest.mark.parametrize("suffix", [".json", ".toml", ".py"])
def test_every_file_type_reads_the_same_written_forms(tmp_path, suffix):
    """Arithmetic in JSON/TOML strings is read as in a .py that computes it."""
    answers = {"params": "3*3*128*256 + 3*3*256*512", "macs": "1,509,949,440", "memory_change": "0%"}
    path = tmp_path / f"answers{suffix}"
    if suffix == ".json":
        path.write_text(json.dumps({"coms573-hw5/q1": answers}))
    elif suffix == ".toml":
        path.write_text('["coms573-hw5/q1"]\n' + "".join(f'{k} = "{v}"\n' for k, v in answers.items()))
    else:
        path.write_text(f"ANSWERS = {{'coms573-hw5/q1': {answers!r}}}\n")
    raw = load_answers(path)
    report = grade_answers(raw.answers)
    q1 = next(p for p in report.problems if p.id == "q1")
    assert [p.verdict for p in q1.parts] == ["correct"] * 3


def test_a_file_of_plain_numbers_never_imports_sympy(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "answers.json"
    path.write_text(json.dumps({"ece661-hw1/q3.2": {"L": 116, "dL/db1": "[0, 34]", "dL/dW1": "1,000"}}))
    code = ("import sys, gradekit; gradekit.grade(sys.argv[1]); print('sympy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr


def test_monotone_in_accuracy_among_answers_that_show_enough_digits():
    """Closer to the reference never scores less (hypothesis draws the reference and two answers)."""
    from hypothesis import given, settings, strategies as st

    from gradekit.check.context import CheckContext

    from gradekit.check.kinds import checker_for
    from gradekit.core.records import Part

    part = Part(name="x", kind="number", points=1, options={})
    checked = []

    @settings(max_examples=300, deadline=None)
    @given(st.floats(1e-6, 1e6), st.integers(0, 8), st.integers(0, 8), st.floats(-0.01, 0.01), st.floats(-0.01, 0.01))
    def closer_never_loses(e, d1, d2, r1, r2):
        a1, a2 = f"{e * (1 + r1):.{d1}f}", f"{e * (1 + r2):.{d2}f}"
        v = [checker_for("number")(e, a, CheckContext(part)) for a in (a1, a2)]
        if any(o.diagnosis == "too_few_digits" for o in v) or abs(float(a1) - e) == abs(float(a2) - e):
            return
        checked.append(1)
        if abs(float(a1) - e) < abs(float(a2) - e):
            assert v[0].fraction >= v[1].fraction, (e, a1, a2, v)
        else:
            assert v[1].fraction >= v[0].fraction, (e, a1, a2, v)

    closer_never_loses()
    assert len(checked) >= 100  # the property was really exercised


def test_sympy_does_the_exact_work_for_integer_parts():
    # 2^60 + 1 is exact in sympy, not in a float: an integer part must see the difference
    report = grade_answers({"coms573-hw5/q1": {"params": "2^60 + 1 - 2^60 + 1474559"}})
    assert report.problems[0].parts[0].verdict == "correct"
    assert np.isclose(float(2**60 + 1), float(2**60))  # what a float would have lost


def test_a_part_that_asks_for_a_precision_says_so_where_students_read_the_parts():
    from gradekit.core.plain import describe_answer

    assert describe_answer("number", 0.88, {"digits": 4}) == "a number, to at least 4 significant digits"
    assert describe_answer("vector", [0.1, 0.2], {"decimals": 5}) == "vector of 2, to at least 5 decimals"
    part = CAT.resolve("coms573-hw5/q1").part("memory_change")
    assert describe_answer(part.kind, 0.0, dict(part.options)) == "a number, in percent"

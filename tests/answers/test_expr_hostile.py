"""Hostile and broken formula answers: each refused within 2 s, one line, a zero for that part only."""

import subprocess
import sys
import time

import pytest

from gradekit.grading.answers import grade_answers

RIGHT = {"dL/dW2": "(x3 − t) x2ᵀ", "dL/db1": "(W2ᵀ(x3 − t)) ∘ x2 ∘ (1 − x2)", "dL/db2": "x3 - t"}
HOSTILE = [
    "__import__('os')", "().__class__", "10**10**10", "9^9^9^9", "x" * 1_000_000, "(" * 10000 + "x1" + ")" * 10000,
    "(" * 500 + "x1" + ")" * 500, "-" * 1500 + "x1", "x1" + "ᵀ" * 900, "+".join(["x1"] * 900),
    r"\frac{1}{2", r"\left( x_1 \right", r"\begin{bmatrix} 1 & 2 \\ 3", r"\end{bmatrix}", "хᵀ", "x1\u202e",
    "nan", "inf", float("nan"), float("inf"), "", "   ", None, ["x1"], {"a": 1}, True, "1e999", "9" * 40,
    "exp(exp(exp(exp(x1 x1ᵀ))))", "lambda: 0", "x1; import os", "`ls`", "${HOME}", "W1 x1" * 300,
]


@pytest.mark.parametrize("bad", HOSTILE, ids=lambda b: repr(b)[:30])
def test_hostile_answer_scores_zero_for_its_part_only(bad):
    start = time.monotonic()
    report = grade_answers({"ece661-hw1/q3.1": {"dL/dW1": bad, **RIGHT}})
    elapsed = time.monotonic() - start
    assert elapsed < 2.0, elapsed
    parts = {p.name: p for p in next(p for p in report.problems if p.id == "q3.1").parts}
    w1 = parts["dL/dW1"]
    assert w1.score == 0 and w1.verdict in {"invalid", "wrong", "missing"}, w1
    assert w1.feedback and "\n" not in w1.feedback and len(w1.feedback) < 400
    assert all(parts[k].score == 1 for k in RIGHT), [parts[k] for k in RIGHT]


def test_refusals_name_the_reason():
    def feedback(answer):
        report = grade_answers({"ece661-hw1/q3.1": {"dL/dW1": answer}})
        return next(p for p in report.problems if p.id == "q3.1").parts[0].feedback

    assert feedback("x" * 1_000_000) == "col 1: the answer is 1000000 characters long; the limit is 2000"
    assert "nested more than" in feedback("(" * 500 + "x1" + ")" * 500)
    assert "exponents are limited" in feedback("9^9^9^9")
    assert feedback("") == "col 1: the answer is empty"
    assert "the answer is nan" in feedback(float("nan"))


def test_no_torch_for_formula_answers_and_sympy_only_for_a_proof(tmp_path):
    one, two = tmp_path / "a.json", tmp_path / "b.json"
    one.write_text('{"ece661-hw1/q3.1": {"dL/db2": "x3 - t"}}')
    two.write_text('{"ece449-a2/p4": {"dE/dz_x": "q_x - p_x"}}')
    code = ("import sys, gradekit; r = [gradekit.grade(f) for f in sys.argv[1:]]; "
            "print(sorted(m for m in ('torch', 'sympy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code, str(one), str(two)], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "['sympy']"  # q_x - p_x is proved equal; torch is never needed

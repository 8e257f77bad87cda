"""symbolic_matrix parts and conv1d.as_matrix: A, B = Aᵀ and the backward kernels against torch; hostile matrices."""

import time

import numpy as np
import pytest
import torch

from gradekit.check.expr import declare
from gradekit.check.expr.symmatrix import check_symbol_matrix, to_node
from gradekit.check.expr.evaluate import evaluate
from gradekit.grading.answers import grade_answers
from reference.families import conv1d_matrix as fam
from tests.helpers import solve_spec

# The seed's (COM S 573 HW5) own answers, as typed there.
SEED_A = (r"\begin{bmatrix} w_1^{11} & w_2^{11} & w_3^{11} & 0 & w_1^{21} & w_2^{21} & w_3^{21} & 0 \\ 0 & w_1^{11} & "
          r"w_2^{11} & w_3^{11} & 0 & w_1^{21} & w_2^{21} & w_3^{21} \\ w_1^{12} & w_2^{12} & w_3^{12} & 0 & w_1^{22} & "
          r"w_2^{22} & w_3^{22} & 0 \\ 0 & w_1^{12} & w_2^{12} & w_3^{12} & 0 & w_1^{22} & w_2^{22} & w_3^{22} \end{bmatrix}")
SEED_K1 = r"\begin{bmatrix} w_3^{11} & w_2^{11} & w_1^{11} \\ w_3^{12} & w_2^{12} & w_1^{12} \end{bmatrix}"
SEED_K2 = r"\begin{bmatrix} w_1^{21} & w_2^{21} & w_3^{21} \\ w_1^{22} & w_2^{22} & w_3^{22} \end{bmatrix}"  # unflipped


def _parts(report, pid):
    return {x.name: x for p in report.problems if p.id == pid for x in p.parts}


def _numeric(rows, p, W):
    """Evaluate the family's symbol matrix with w_r^{ij} = W[i-1, j-1, r-1], through gradekit's own evaluator."""
    table = declare(p["symbols"])
    env = {f"w{r + 1}^{i + 1}{j + 1}": np.asarray(W[i, j, r]) for i in range(W.shape[0]) for j in range(W.shape[1])
           for r in range(W.shape[2])}
    return evaluate(to_node(rows, table), env)


@pytest.mark.parametrize("shape", [(2, 2, 3, 4), (3, 2, 2, 5), (1, 3, 3, 3), (2, 1, 1, 4)])
def test_A_B_and_kernels_match_torch(shape):
    cin, cout, k, n = shape
    p = fam.validate({"in_channels": cin, "out_channels": cout, "kernel": k, "length": n})
    ans = fam.solve(p).answers
    rng = np.random.default_rng(sum(shape))
    W = rng.normal(size=(cin, cout, k))
    weight = torch.tensor(W.transpose(1, 0, 2))  # torch: (out, in, k); W^{ij} maps in i -> out j
    x = torch.tensor(rng.normal(size=(1, cin, n)), requires_grad=True)
    y = torch.nn.functional.conv1d(x, weight)
    A = _numeric(ans["A"], p, W)
    np.testing.assert_allclose(A @ x.detach().numpy().reshape(-1), y.detach().numpy().reshape(-1), atol=1e-12)
    g = torch.tensor(rng.normal(size=y.shape))
    y.backward(g)
    B = _numeric(ans["B"], p, W)
    np.testing.assert_allclose(B @ g.numpy().reshape(-1), x.grad.numpy().reshape(-1), atol=1e-12)
    for i in range(cin):  # the backward pass as a (padded, unflipped-sliding) convolution with the kernels
        K = torch.tensor(_numeric(ans[f"kernel{i + 1}"], p, W)[None])
        back = torch.nn.functional.conv1d(g, K, padding=ans["padding"])
        np.testing.assert_allclose(back.numpy().reshape(-1), x.grad.numpy()[0, i], atol=1e-12)


def test_seed_answers_and_steps():
    _, sol = solve_spec("coms573-hw5/q3a")
    assert sol.answers["A"][1] == ["0", "w_1^{11}", "w_2^{11}", "w_3^{11}", "0", "w_1^{21}", "w_2^{21}", "w_3^{21}"]
    assert sol.answers["padding"] == 2 and sol.answers["is_convolution"] is True
    values = {k: v for s in sol.steps for k, v in s.values.items()}
    assert values["A"] == sol.answers["A"] and values["B"] == sol.answers["B"] and values["kernel2"] == sol.answers["kernel2"]
    report = grade_answers({"coms573-hw5/q3a": {"A": SEED_A}, "coms573-hw5/q3b": {"B": "A^T"},
                            "coms573-hw5/q3c": {"is_convolution": "yes", "padding": 2, "kernel1": SEED_K1, "kernel2": SEED_K2}})
    assert _parts(report, "q3a")["A"].score == 5 and _parts(report, "q3b")["B"].score == 5
    q3c = _parts(report, "q3c")
    assert [q3c[n].score for n in ("is_convolution", "padding", "kernel1")] == [2, 2, 3]
    # the seed's second kernel is not flipped: wrong, and named
    assert q3c["kernel2"].diagnosis == "kernel_not_flipped" and q3c["kernel2"].score == 0.75


def test_diagnoses():
    p = fam.validate({})
    right = fam.solve(p).answers
    swapped, flipped = fam.answers(p, swap=True), fam.answers(p, flip=True)
    report = grade_answers({"coms573-hw5/q3a": {"A": right["B"]}, "coms573-hw5/q3b": {"B": flipped["B"]},
                            "coms573-hw5/q3c": {"kernel1": swapped["kernel1"], "kernel2": right["kernel2"]}})
    assert _parts(report, "q3a")["A"].diagnosis == "transposed"
    assert _parts(report, "q3b")["B"].diagnosis == "kernel_flipped"
    assert _parts(report, "q3c")["kernel1"].diagnosis == "channel_indices_swapped"
    assert _parts(report, "q3c")["kernel2"].verdict == "correct"
    one_off = [row[:] for row in right["A"]]
    one_off[2][5] = "w_2^{21}"
    fb = _parts(grade_answers({"coms573-hw5/q3a": {"A": one_off}}), "q3a")["A"].feedback
    assert fb == "Row 3, column 6: your entry w_2^{21} is not right; 1 of 32 entries are wrong."
    fb = _parts(grade_answers({"coms573-hw5/q3a": {"A": right["A"][:3]}}), "q3a")["A"].feedback
    assert fb == "Your matrix is (3×8), but the right one is (4×8)."


HOSTILE = [
    [["w_1^{11}"] * 8] * 100_000, [["0"] * 1_000_000], [["x" * 1_000_000]], [["w_1^{11}", "0"], ["0"]], [],
    [[]], [["__import__('os')"]], [["().__class__"]], [["9^9^9^9"]], [[float("nan")]], [[float("inf")]],
    [[None]], [[True]], [[{"a": 1}]], "w_1^{11}", r"\begin{bmatrix} w_1^{11} & 0 \\", r"\begin{cases} 1 \end{cases}",
    "A", "", None, 12, [1, 2, 3], [["w_9^{99}"]], [["хᵀ"]], [[r"\frac{1}{2"]], "[[" * 5000,
]


@pytest.mark.parametrize("bad", HOSTILE, ids=lambda b: repr(b)[:30])
def test_hostile_matrices_are_refused_fast_with_one_line(bad):
    start = time.monotonic()
    report = grade_answers({"coms573-hw5/q3a": {"A": bad}})
    assert time.monotonic() - start < 2.0
    part = _parts(report, "q3a")["A"]
    assert part.score == 0 and part.verdict in {"invalid", "wrong", "missing"}, part
    assert part.feedback and "\n" not in part.feedback and len(part.feedback) < 400


def test_size_cap_message():
    table = declare(["a"])
    r = check_symbol_matrix([["a"] * 40] * 2, [["a"]], table)
    assert r.verdict == "invalid" and "the limits are 256 entries, 32 a side" in r.message


def test_every_symbol_matrix_and_inequality_of_the_catalog_type_checks():
    from gradekit.catalog.catalog import load_catalog
    from gradekit.check.context import CheckContext
    from gradekit.check.kinds import checker_for

    cat = load_catalog()
    seen = 0
    for problem in cat.problems():
        sol = cat.solve(problem)
        for part in problem.parts:
            if part.kind in {"symbolic_matrix", "inequality"}:
                outcome = checker_for(part.kind)(sol.answers[part.name], sol.answers[part.name], CheckContext(part, problem))
                assert outcome.verdict == "correct", (problem.qualified_id, part.name, outcome)
                seen += 1
    assert seen >= 5

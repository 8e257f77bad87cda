"""conv_block.backprop.index (ece449-a2 p1-index): the index formulas reproduce torch.autograd entry by entry."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from gradekit.check.expr import declare, parse
from gradekit.check.expr.evaluate import evaluate
from gradekit.grading.answers import grade_answers
from tests.helpers import load_spec, solve_spec


@pytest.mark.parametrize("seed", range(3))
def test_index_formulas_equal_torch_autograd(seed):
    params, sol = solve_spec("ece449-a2/p1-index")
    table = declare(params["symbols"], params["define"])
    rng = np.random.default_rng(seed)
    if seed == 0:  # the numeric instance of p1
        p1 = load_spec("ece449-a2/p1")["params"]
        X, K, G = (np.asarray(p1[k], dtype=float) for k in ("X", "K", "G"))
    else:
        n, m, k = (int(v) for v in rng.integers(1, 4, size=3))
        X, K, G = rng.normal(size=(2 * n + k - 1, 2 * m + k - 1)), rng.normal(size=(k, k)), rng.normal(size=(n, m))
    Kt = torch.tensor(K, requires_grad=True)
    C = F.conv2d(torch.tensor(X)[None, None], Kt[None, None])
    C.retain_grad()
    S = torch.sigmoid(C)
    S.retain_grad()
    F.avg_pool2d(S, 2).backward(torch.tensor(G)[None, None])
    dS_f, dC_f, dK_f = (parse(sol.answers[k], table) for k in ("dloss/ds_de", "dloss/dc_de", "dloss/dK_ab"))
    c = C.detach().numpy()[0, 0]
    for d in range(c.shape[0]):
        for e in range(c.shape[1]):
            env = {"gij": np.asarray(G[d // 2, e // 2]), "cde": np.asarray(c[d, e])}
            env["sde"] = evaluate(table.define[0][1], env)
            assert abs(evaluate(dS_f, env).item() - S.grad[0, 0, d, e].item()) < 1e-12
            assert abs(evaluate(dC_f, env).item() - C.grad[0, 0, d, e].item()) < 1e-12
    dC = C.grad.numpy()[0, 0]
    r, q = dC.shape
    for a in range(K.shape[0]):
        for b in range(K.shape[1]):
            got = evaluate(dK_f, {"dC": dC, "Xab": X[a:a + r, b:b + q]}).item()
            assert abs(got - Kt.grad[a, b].item()) < 1e-10


def test_grading_and_steps():
    _, sol = solve_spec("ece449-a2/p1-index")
    assert {k: v for s in sol.steps for k, v in s.values.items()} == sol.answers
    report = grade_answers({"ece449-a2/p1-index": {
        "dloss/ds_de": r"\frac{1}{4} g_{ij}", "dloss/dc_de": "g_ij/4 * c_de (1 - c_de)", "dloss/dK_ab": "sum(dC ∘ X_ab)"}})
    got = {x.name: (x.score, x.diagnosis) for p in report.problems if p.id == "p1-index" for x in p.parts}
    assert got == {"dloss/ds_de": (2, None), "dloss/dc_de": (1.5, "sigmoid_grad_on_input"), "dloss/dK_ab": (3, None)}

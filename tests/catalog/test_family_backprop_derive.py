"""backprop.mlp2.derive and softmax_ce.gradient: the reference formulas equal torch.autograd on random instances."""

import numpy as np
import pytest
import torch

from gradekit.catalog.catalog import load_catalog
from gradekit.check.expr import declare, parse
from gradekit.check.expr.evaluate import evaluate
from gradekit.grading.answers import grade_answers
from tests.helpers import solve_spec

CAT = load_catalog()


def test_q3_1_answers_and_steps():
    params, sol = solve_spec("ece661-hw1/q3.1")
    assert sol.answers["dL/dW1"] == "((W2ᵀ (x3 − t)) ∘ x2 ∘ (1 − x2)) x1ᵀ"
    assert sol.answers["dL/db2"] == "x3 − t"
    values = {k: v for s in sol.steps for k, v in s.values.items()}
    assert all(values[k] == sol.answers[k] for k in sol.answers)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
@pytest.mark.parametrize("seed", range(4))
def test_reference_formulas_equal_torch_autograd(activation, seed):
    from reference.families import backprop_derive as fam

    p = fam.validate({"activation": activation})
    answers = fam.solve(p).answers
    table = declare(p["symbols"], p["define"])
    rng = np.random.default_rng(seed)
    n, m, k = (int(v) for v in rng.integers(1, 5, size=3))
    x1, W1, b1 = rng.normal(size=(n, 1)), rng.normal(size=(m, n)), rng.normal(size=(m, 1))
    W2, b2, t = rng.normal(size=(k, m)), rng.normal(size=(k, 1)), rng.normal(size=(k, 1))
    tw = {name: torch.tensor(v, requires_grad=True) for name, v in dict(W1=W1, b1=b1, W2=W2, b2=b2).items()}
    act = torch.sigmoid if activation == "sigmoid" else torch.tanh
    x2 = act(tw["W1"] @ torch.tensor(x1) + tw["b1"])
    x3 = tw["W2"] @ x2 + tw["b2"]
    r = torch.tensor(t) - x3
    (0.5 * (r.T @ r)).sum().backward()
    env = {"x1": x1, "W1": W1, "b1": b1, "W2": W2, "b2": b2, "t": t}
    for name, node in table.define:
        env[name] = evaluate(node, env)
    for part, var in (("dL/dW1", "W1"), ("dL/dW2", "W2"), ("dL/db1", "b1"), ("dL/db2", "b2")):
        got = evaluate(parse(answers[part], table), env)
        np.testing.assert_allclose(got, tw[var].grad.numpy(), rtol=1e-10, atol=1e-12)


def test_softmax_gradient_equals_torch():
    _, sol = solve_spec("ece449-a2/p4")
    table = declare({"q_x": "scalar", "p_x": "scalar"})
    node = parse(sol.answers["dE/dz_x"], table)
    rng = np.random.default_rng(1)
    z = torch.tensor(rng.normal(size=5), requires_grad=True)
    p = torch.tensor(rng.dirichlet(np.ones(5)))
    (-(p * torch.log_softmax(z, 0)).sum()).backward()
    q = torch.softmax(z, 0).detach().numpy()
    for x in range(5):
        got = evaluate(node, {"qx": np.asarray(q[x]), "px": np.asarray(p[x].item())})
        assert abs(float(got) - z.grad[x].item()) < 1e-12


def test_grading_formula_parts_with_partial_credit():
    reports = [grade_answers({
        "ece661-hw1/q3.1": {"dL/dW1": "((W2ᵀ(t−x3)) ∘ x2 ∘ (1−x2)) x1ᵀ", "dL/dW2": r"(x_3 - t) x_2^\top",
                            "dL/db1": "W2ᵀ(x3 − t)", "dL/db2": "W2 x2 + b2 - t"}}),
        grade_answers({"ece449-a2/p4": {"dE/dz_x": "p_x - q_x"}})]
    got = {(p.id, x.name): (x.score, x.diagnosis) for r in reports for p in r.problems for x in p.parts
           if p.id in {"q3.1", "p4"}}
    assert got == {
        ("q3.1", "dL/dW1"): (0.5, "sign_flipped"), ("q3.1", "dL/dW2"): (1, None),
        ("q3.1", "dL/db1"): (0.5, "activation_derivative_missing"), ("q3.1", "dL/db2"): (1, None),
        ("p4", "dE/dz_x"): (0.5, "sign_flipped"),
    }


def test_every_formula_part_of_the_catalog_parses_and_type_checks():
    from gradekit.check.symbolic import declarations

    for problem in CAT.problems():
        sol = CAT.solve(problem)
        for part in problem.parts:
            if part.kind in {"expr", "matrix_expr"}:
                symbols, define = declarations(part.options, problem.validated_params)
                parse(sol.answers[part.name], declare(symbols, define))

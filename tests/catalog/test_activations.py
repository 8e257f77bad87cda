"""activations.derivative / .chain / .dead_relu: pieces against torch autograd; inequalities; hostile input."""

import time

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from gradekit.check.expr import declare, parse
from gradekit.check.expr.evaluate import evaluate
from gradekit.check.expr.relation import check_inequality
from gradekit.grading.answers import grade_answers
from reference.families import activations as fam

TORCH = {"relu": lambda z, a: F.relu(z), "leaky": lambda z, a: F.leaky_relu(z, a), "elu": lambda z, a: F.elu(z, a)}


def _value(formula, table, **env):
    return float(evaluate(parse(formula, table), {k: np.asarray(v, dtype=float) for k, v in env.items()}))


@pytest.mark.parametrize("f", ["relu", "leaky", "elu"])
def test_derivative_pieces_equal_torch_autograd(f):
    p = fam.validate({})
    ans = fam.solve(p).answers
    table = declare(p["symbols"])
    rng = np.random.default_rng(7)
    for _ in range(20):
        alpha, z = float(rng.uniform(0.01, 2)), float(rng.normal(0, 3))
        zt = torch.tensor(z, dtype=torch.float64, requires_grad=True)
        TORCH[f](zt, alpha).backward()
        piece = ans[f"{f}'(z>0)"] if z > 0 else ans[f"{f}'(z<0)"]
        assert abs(_value(piece, table, z=z, alpha=alpha) - zt.grad.item()) < 1e-12
    # at the kink: both one-sided derivatives (finite differences) are accepted, and torch's choice is one of them
    alpha, h = 0.3, 1e-7
    fn = lambda v: TORCH[f](torch.tensor(v, dtype=torch.float64), alpha).item()  # noqa: E731
    sides = {round((fn(h) - fn(0.0)) / h, 5), round((fn(0.0) - fn(-h)) / h, 5)}
    accepted = {round(_value(x, table, z=0.0, alpha=alpha), 5) for x in [ans[f"{f}'(0)"], *p["also_accept"][f"{f}'(0)"]]}
    assert accepted == sides
    z0 = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    TORCH[f](z0, alpha).backward()
    assert round(z0.grad.item(), 5) in accepted


@pytest.mark.parametrize("f", ["relu", "leaky", "elu"])
def test_chain_rule_pieces_equal_torch_autograd(f):
    p = fam.validate_chain({})
    ans = fam.solve_chain(p).answers
    table = declare(p["symbols"], p["define"])
    rng = np.random.default_rng(3)
    for _ in range(10):
        d, alpha = int(rng.integers(1, 5)), float(rng.uniform(0.05, 2))
        w, x = rng.normal(size=(d, 1)), rng.normal(size=(d, 1))
        wt = torch.tensor(w, requires_grad=True)
        TORCH[f]((wt.T @ torch.tensor(x)).sum(), alpha).backward()
        z = (w.T @ x).item()
        piece = ans[f"{f}: dh/dw_j (wᵀx>0)"] if z > 0 else ans[f"{f}: dh/dw_j (wᵀx<0)"]
        for j in range(d):
            env = {"w": w, "x": x, "xj": np.asarray(x[j, 0]), "alpha": np.asarray(alpha), "z": w.T @ x}
            assert abs(evaluate(parse(piece, table), env).item() - wt.grad[j, 0].item()) < 1e-12


def test_dead_relu_condition_means_zero_gradient():
    """The family's answer to q2.3, evaluated by gradekit on each input, holds exactly when torch's gradient is 0."""
    from gradekit.catalog.catalog import load_catalog

    cat = load_catalog()
    condition = cat.solve(cat.resolve("cs37300-hw4/q2.3")).answers["condition"]
    left, right = (side.strip() for side in condition.replace("≤", "<=").split("<="))
    table = declare({"w": "d×1", "x_i": "d×1", "b": "scalar"})
    rng = np.random.default_rng(5)
    for dead in (True, False):
        X = torch.tensor(rng.normal(size=(20, 3)))
        w = torch.tensor(rng.normal(size=3), requires_grad=True)
        shift = -(X @ w).max().item() - 0.1 if dead else -(X @ w).min().item() + 0.1
        b = torch.tensor(shift, dtype=torch.float64, requires_grad=True)
        F.relu(X @ w + b).sum().backward()
        holds = all(
            evaluate(parse(left, table), env).item() <= evaluate(parse(right, table), env).item()
            for env in ({"w": w.detach().numpy()[:, None], "xi": x.numpy()[:, None], "b": np.asarray(shift)}
                        for x in X))
        assert holds == dead and (float(w.grad.abs().sum() + b.grad.abs()) == 0) == dead


EQUIVALENT = ["w^T x_i + b <= 0", r"x_i^\top w \le -b", "-b >= wᵀx_i", "2 (wᵀ x_i + b) ≤ 0", r"$w^T x_i + b \leq 0$",
              "wᵀx_i + b ≤ 0 for all i", r"w^T x_i \leq -b, \forall i", "0 >= b + x_i' w"]


@pytest.mark.parametrize("answer", EQUIVALENT)
def test_equivalent_conditions_are_accepted(answer):
    report = grade_answers({"cs37300-hw4/q2.3": {"condition": answer}})
    part = next(x for p in report.problems if p.id == "q2.3" for x in p.parts if x.name == "condition")
    assert part.score == 3, part


def test_wrong_conditions_are_named():
    table = declare({"w": "d×1", "x_i": "d×1", "b": "scalar"})
    ref = "wᵀ x_i + b ≤ 0"
    assert check_inequality("wᵀ x_i + b < 0", ref, table).diagnosis == "strict_inequality"
    assert check_inequality("wᵀ x_i + b >= 0", ref, table).diagnosis == "direction_reversed"
    assert check_inequality("wᵀ x_i - b <= 0", ref, table).verdict == "wrong"
    assert "one inequality" in check_inequality("wᵀ x_i + b", ref, table).message
    assert "one inequality" in check_inequality("0 <= wᵀ x_i <= b", ref, table).message


def test_grading_pieces_with_partial_credit():
    report = grade_answers({
        "cs37300-hw4/q2.1": {"relu'(z>0)": "1", "relu'(z<0)": 0, "relu'(0)": "1", "leaky'(0)": r"\alpha",
                             "elu'(z<0)": "α(e^z - 1)", "elu'(0)": "0"},
        "cs37300-hw4/q2.2": {"elu: dh/dw_j (wᵀx<0)": "α e^{z} x_j", "leaky: dh/dw_j (wᵀx<0)": "alpha"}})
    got = {(p.id, x.name): (x.score, x.diagnosis) for p in report.problems for x in p.parts if x.verdict not in {"missing", "manual"}}
    assert got == {("q2.1", "relu'(z>0)"): (0.5, None), ("q2.1", "relu'(z<0)"): (1, None),
                   ("q2.1", "relu'(0)"): (0.5, None), ("q2.1", "leaky'(0)"): (0.5, None),
                   ("q2.1", "elu'(z<0)"): (0.25, "function_not_derivative"), ("q2.1", "elu'(0)"): (0, None),
                   ("q2.2", "elu: dh/dw_j (wᵀx<0)"): (1, None),
                   ("q2.2", "leaky: dh/dw_j (wᵀx<0)"): (0.5, "chain_factor_missing")}


def test_steps_carry_the_answers():
    sol = fam.solve(fam.validate({}))
    values = {k: v for s in sol.steps for k, v in s.values.items()}
    assert values == sol.answers and sol.answers["leaky'(0)"] == "1"
    assert fam.validate({})["also_accept"]["leaky'(0)"] == ["alpha"]


HOSTILE = ["w^T x_i + b <= 0 <= 1", "<=", "w <= 0", "__import__('os') <= 0", "9^9^9^9 <= b", "x" * 1_000_000,
           "(" * 5000 + "b <= 0", r"\begin{cases} b <= 0", "b <= 0 ∀", "nan <= b", "", None, ["b <= 0"], 3.5,
           "b ≤ 0" + "\u202e", "b ⩽ 0 for all i" * 200]


@pytest.mark.parametrize("bad", HOSTILE, ids=lambda b: repr(b)[:30])
def test_hostile_conditions_are_refused_fast_with_one_line(bad):
    start = time.monotonic()
    report = grade_answers({"cs37300-hw4/q2.3": {"condition": bad}})
    assert time.monotonic() - start < 2.0
    part = next(x for p in report.problems if p.id == "q2.3" for x in p.parts if x.name == "condition")
    assert part.score == 0 and part.verdict in {"invalid", "wrong", "missing"}, part
    assert part.feedback and "\n" not in part.feedback and len(part.feedback) < 400


def test_values_at_zero_read_a_formula_in_z_at_zero():
    # α e^z at z = 0 is α, ELU's left-hand derivative; 1 is the right-hand one; α e^z + 1 is neither
    report = grade_answers({"cs37300-hw4/q2.1": {"elu'(0)": "α e^z", "leaky'(0)": "1", "relu'(0)": "z + 1"}})
    q21 = next(p for p in report.problems if p.id == "q2.1")
    got = {x.name: x.score for x in q21.parts if x.name.endswith("(0)")}
    assert got == {"elu'(0)": 0.5, "leaky'(0)": 0.5, "relu'(0)": 0.5}
    wrong = grade_answers({"cs37300-hw4/q2.1": {"elu'(0)": "α e^z + 1", "relu'(0)": "2"}})
    q21 = next(p for p in wrong.problems if p.id == "q2.1")
    got = {x.name: x.score for x in q21.parts if x.name in ("elu'(0)", "relu'(0)")}
    assert got == {"elu'(0)": 0, "relu'(0)": 0}

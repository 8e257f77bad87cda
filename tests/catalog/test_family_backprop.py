"""backprop.mlp2: catalog answers, torch.autograd cross-check, mistakes, validation."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gradekit.core.errors import ParamError
from gradekit.core.families import get_family
from reference.families import backprop
from tests.helpers import load_spec, solve_spec

FAMILY = get_family("backprop.mlp2")
PARTS = ("L", "dL/dW1", "dL/dW2", "dL/db1", "dL/db2")


def test_q3_2_catalog_answers():
    _, sol = solve_spec("ece661-hw1/q3.2")
    a = sol.answers
    assert a["L"] == 116
    np.testing.assert_array_equal(a["dL/dW1"], [[0, 0, 0], [34, 34, -34]])
    np.testing.assert_array_equal(a["dL/dW2"], [[0, 98], [0, 42]])
    np.testing.assert_array_equal(a["dL/db1"], [0, 34])
    np.testing.assert_array_equal(a["dL/db2"], [14, 6])
    assert [np.ndim(a[p]) for p in PARTS] == [0, 2, 2, 1, 1]


def test_q3_2_steps_carry_the_intermediate_values():
    _, sol = solve_spec("ece661-hw1/q3.2")
    values = {k: v for s in sol.steps for k, v in s.values.items()}
    np.testing.assert_array_equal(values["z"], [-1, 7])
    np.testing.assert_array_equal(values["x2"], [0, 7])
    np.testing.assert_array_equal(values["x3"], [15, 8])
    np.testing.assert_array_equal(values["dL/dx2"], [6, 34])
    for p in PARTS:
        np.testing.assert_array_equal(values[p], sol.answers[p])
    assert "[6, 34]" in sol.steps[6].text and "116" in sol.steps[3].text


# --- torch.autograd on generated instances ----------------------------------------------


def small(shape):
    return arrays(np.float64, shape, elements=st.integers(-4, 4).map(lambda v: v / 2))


@st.composite
def instances(draw):
    n, m, k = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 3))
    return {
        "activation": draw(st.sampled_from(backprop.ACTIVATIONS)),
        "x1": draw(small((n,))), "t": draw(small((k,))),
        "W1": draw(small((m, n))), "b1": draw(small((m,)).map(lambda b: b + 0.125)),  # W1 x1 is a multiple of 1/4: z never 0
        "W2": draw(small((k, m))), "b2": draw(small((k,))),
    }


def torch_reference(p):
    T = {k: torch.tensor(np.asarray(v, dtype=float), requires_grad=k in {"W1", "b1", "W2", "b2"})
         for k, v in p.items() if k != "activation"}
    f = torch.relu if p["activation"] == "relu" else torch.sigmoid
    x3 = T["W2"] @ f(T["W1"] @ T["x1"] + T["b1"]) + T["b2"]
    L = 0.5 * ((T["t"] - x3) ** 2).sum()
    L.backward()
    return {"L": L.item(), "dL/dW1": T["W1"].grad.numpy(), "dL/dW2": T["W2"].grad.numpy(),
            "dL/db1": T["b1"].grad.numpy(), "dL/db2": T["b2"].grad.numpy()}


@settings(max_examples=40, deadline=None)
@given(instances())
def test_matches_torch_autograd(raw):
    params = FAMILY.validate(raw)
    z = params["W1"] @ params["x1"] + params["b1"]
    assume(np.all(np.abs(z) > 1e-6))  # ReLU is not differentiable at 0
    sol = FAMILY.solve(params)
    ref = torch_reference(raw)
    for part in PARTS:
        np.testing.assert_allclose(sol.answers[part], ref[part], rtol=1e-10, atol=1e-12, err_msg=part)


def test_catalog_instance_matches_torch_for_both_activations():
    raw = dict(load_spec("ece661-hw1/q3.2")["params"])
    for act in backprop.ACTIVATIONS:
        raw["activation"] = act
        sol = FAMILY.solve(FAMILY.validate(raw))
        ref = torch_reference(raw)
        for part in PARTS:
            np.testing.assert_allclose(sol.answers[part], ref[part], rtol=1e-10, err_msg=f"{act} {part}")


# --- mistakes -----------------------------------------------------------------------------


def test_mistakes_on_the_catalog_instance():
    params, sol = solve_spec("ece661-hw1/q3.2")
    found = {m.id: m for m in FAMILY.mistakes(params)}
    # ReLU'(0) = 1 changes nothing here (no pre-activation is 0), so it is not listed
    assert set(found) == {"activation_derivative_omitted", "activation_forgotten",
                          "sigmoid_derivative_for_relu", "W2_not_transposed", "half_dropped"}
    assert found["half_dropped"].answers["L"] == 232  # the one factor this family names: ½ of L dropped
    np.testing.assert_array_equal(found["activation_derivative_omitted"].answers["dL/db1"], [6, 34])
    np.testing.assert_array_equal(found["W2_not_transposed"].answers["dL/db1"], [0, 20])
    np.testing.assert_array_equal(found["sigmoid_derivative_for_relu"].answers["dL/db1"], [0, -1428])
    assert found["activation_forgotten"].answers["L"] == 110.5
    for m in found.values():
        assert m.answers, m.id
        for part, value in m.answers.items():
            assert not np.allclose(value, sol.answers[part]), (m.id, part)


def test_mistake_model_without_the_mistake_is_the_solution():
    params, sol = solve_spec("ece661-hw1/q3.2")
    same = backprop._backprop(params, backprop.relu, backprop.DERIVATIVE["relu"], params["W2"])
    for part in PARTS:
        np.testing.assert_array_equal(same[part], sol.answers[part])


def test_sigmoid_and_zero_preactivation_mistakes():
    raw = dict(load_spec("ece661-hw1/q3.2")["params"], activation="sigmoid")
    ids = {m.id for m in FAMILY.mistakes(FAMILY.validate(raw))}
    assert "sigmoid_derivative_of_preactivation" in ids and "sigmoid_derivative_for_relu" not in ids
    raw = dict(load_spec("ece661-hw1/q3.2")["params"], b1=[2, 2])  # z = [0, 7]
    found = {m.id: m for m in FAMILY.mistakes(FAMILY.validate(raw))}
    np.testing.assert_array_equal(found["relu_derivative_one_at_zero"].answers["dL/db1"], [6, 34])


# --- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"W1": [[0, -1], [2, 2]]}, "W1", "params.W1 has shape (2, 2), but needs (any, 3) matching x1 (3,)"),
        ({"b1": [1, 2, 3]}, "b1", "has shape (3,), but needs (2,) matching W1 (2, 3)"),
        ({"W2": [[0, 2, 1], [1, 1, 1]]}, "W2", "needs (any, 2) matching W1 (2, 3)"),
        ({"t": [1, 2, 3]}, "t", "matching W2 (2, 2)"),
        ({"b2": [1]}, "b2", "matching W2 (2, 2)"),
        ({"activation": "tanh"}, "activation", "'sigmoid', 'relu'"),
        ({"x1": [1, "a", 3]}, "x1", "numeric"),
    ],
)
def test_validate_rejects_bad_params(change, field, message):
    raw = dict(load_spec("ece661-hw1/q3.2")["params"], **change)
    with pytest.raises(ParamError) as info:
        FAMILY.validate(raw)
    assert info.value.field == field
    assert message in str(info.value)


def test_grader_names_the_mistake_and_gives_the_spec_credit():
    from gradekit.catalog.catalog import Catalog, load_problem
    from gradekit.grading.problem import grade_problem
    from gradekit.core.records import Assignment
    from tests.helpers import PROBLEMS

    problem = load_problem(PROBLEMS / "ece661-hw1" / "q3.2.toml", "ece661-hw1")
    given = {"L": "116", "dL/dW1": [[6, 6, -6], [34, 34, -34]], "dL/dW2": [[0, 98], [0, 42]],
             "dL/db1": [0, 20], "dL/db2": [14, 6]}
    result, _ = grade_problem(Catalog([Assignment("ece661-hw1", "t", "t", (problem,))]), problem, given)
    got = {p.name: (p.score, p.diagnosis) for p in result.parts}
    assert got["L"] == (1.0, None) and got["dL/dW2"] == (1.0, None)
    assert got["dL/dW1"] == (0.5, "activation_derivative_omitted")
    assert got["dL/db1"] == (0.5, "W2_not_transposed")

"""softmax_ce.sgd_step: catalog answers, torch cross-entropy cross-check, mistakes, validation."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gradekit.core.errors import ParamError
from gradekit.core.families import get_family
from tests.helpers import load_spec, solve_spec

FAMILY = get_family("softmax_ce.sgd_step")


def test_p5_catalog_answers():
    _, sol = solve_spec("ece449-a2/p5")
    a = sol.answers
    np.testing.assert_array_equal(np.round(a["q"], 4), [0.8808, 0.1192])
    np.testing.assert_array_equal(np.round(a["W_new"], 5), [[0.98838, -0.01162], [0.01162, -0.98838]])
    np.testing.assert_array_equal(np.round(a["B_new"], 5), [-0.01162, 0.01162])
    np.testing.assert_allclose(a["dE/dz"], a["q"] - [0.3, 0.7])
    # exact: q1 = e / (e + 1/e) = 1 / (1 + e^-2)
    assert a["q"][0] == pytest.approx(1 / (1 + np.exp(-2)), rel=1e-15)


def test_p5_steps_show_the_same_numbers():
    _, sol = solve_spec("ece449-a2/p5")
    values = {k: v for s in sol.steps for k, v in s.values.items()}
    np.testing.assert_array_equal(values["z"], [1, -1])
    for part in ("q", "dE/dz", "W_new", "B_new"):
        np.testing.assert_array_equal(values[part], sol.answers[part])
    assert "0.988384" in sol.steps[-1].text


# --- torch cross-check -------------------------------------------------------------------


def halves(shape):
    return arrays(np.float64, shape, elements=st.integers(-6, 6).map(lambda v: v / 2))


@st.composite
def instances(draw):
    k, d = draw(st.integers(2, 4)), draw(st.integers(1, 4))
    weights = draw(arrays(np.float64, (k,), elements=st.integers(0, 5).map(float)).filter(lambda w: w.sum() > 0))
    return {"W": draw(halves((k, d))), "B": draw(halves((k,))), "X": draw(halves((d,))),
            "P": weights / weights.sum(), "alpha": draw(st.sampled_from([0.01, 0.02, 0.1, 0.5]))}


def torch_step(raw):
    W = torch.tensor(raw["W"], dtype=torch.float64, requires_grad=True)
    B = torch.tensor(raw["B"], dtype=torch.float64, requires_grad=True)
    z = W @ torch.as_tensor(raw["X"], dtype=torch.float64) + B
    P = torch.as_tensor(raw["P"], dtype=torch.float64)
    E = F.cross_entropy(z.unsqueeze(0), P.unsqueeze(0))  # soft targets: -Σ p log softmax(z)
    (dz,) = torch.autograd.grad(E, z, retain_graph=True)
    E.backward()
    alpha = float(raw["alpha"])
    with torch.no_grad():
        return {"q": torch.softmax(z, 0).numpy(), "dE/dz": dz.numpy(),
                "W_new": (W - alpha * W.grad).numpy(), "B_new": (B - alpha * B.grad).numpy()}


@settings(max_examples=40, deadline=None)
@given(instances())
def test_matches_torch_autograd(raw):
    sol = FAMILY.solve(FAMILY.validate(raw))
    ref = torch_step(raw)
    for part in ("q", "dE/dz", "W_new", "B_new"):
        np.testing.assert_allclose(sol.answers[part], ref[part], rtol=1e-10, atol=1e-12, err_msg=part)


def test_catalog_instance_matches_torch():
    raw = load_spec("ece449-a2/p5")["params"]
    sol = FAMILY.solve(FAMILY.validate(raw))
    ref = torch_step({k: np.asarray(v, dtype=float) for k, v in raw.items()})
    np.testing.assert_allclose(sol.answers["W_new"], ref["W_new"], rtol=1e-12)


# --- mistakes ------------------------------------------------------------------------------


def test_mistakes_differ_from_the_answer():
    params, sol = solve_spec("ece449-a2/p5")
    found = {m.id: m for m in FAMILY.mistakes(params)}
    assert set(found) == {"ascent_step", "softmax_jacobian_diagonal_only", "gradient_outer_product_reversed"}
    # the step of the same size, the other way: W + (W - W')
    np.testing.assert_allclose(found["ascent_step"].answers["W_new"], 2 * params["W"] - sol.answers["W_new"])
    np.testing.assert_array_equal(np.round(found["ascent_step"].answers["W_new"], 5),
                                  [[1.01162, 0.01162], [-0.01162, -1.01162]])
    np.testing.assert_allclose(found["softmax_jacobian_diagonal_only"].answers["dE/dz"],
                               [-0.3 * (1 - sol.answers["q"][0]), -0.7 * (1 - sol.answers["q"][1])])
    assert set(found["gradient_outer_product_reversed"].answers) == {"W_new"}
    for m in found.values():
        for part, value in m.answers.items():
            assert not np.allclose(value, sol.answers[part]), (m.id, part)


def test_reversed_outer_product_is_not_offered_for_non_square_W():
    params = FAMILY.validate({"W": [[1, 0, 1], [0, -1, 1]], "X": [1, 1, 0], "P": [0.5, 0.5], "alpha": 0.1})
    assert "gradient_outer_product_reversed" not in {m.id for m in FAMILY.mistakes(params)}


# --- validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"P": [0.3, 0.8]}, "P", "summing to 1"),
        ({"P": [1.2, -0.2]}, "P", "entries ≥ 0"),
        ({"P": [0.2, 0.3, 0.5]}, "P", "matching W (2, 2)"),
        ({"W": [[1, 0, 1], [0, -1, 1]]}, "W", "has shape (2, 3), but needs (any, 2) matching X (2,)"),
        ({"B": [0, 0, 0]}, "B", "one bias per output"),
        ({"alpha": -0.1}, "alpha", "at least 0"),
    ],
)
def test_validate_rejects_bad_params(change, field, message):
    raw = dict(load_spec("ece449-a2/p5")["params"], **change)
    with pytest.raises(ParamError) as info:
        FAMILY.validate(raw)
    assert info.value.field == field
    assert message in str(info.value)


def test_bias_defaults_to_zero():
    raw = dict(load_spec("ece449-a2/p5")["params"])
    del raw["B"]
    np.testing.assert_array_equal(FAMILY.validate(raw)["B"], [0, 0])

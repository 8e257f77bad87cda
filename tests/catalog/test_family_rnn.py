"""The rnn.bptt family: BPTT in a sigmoid RNN and its Jacobian products, against torch autograd."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from gradekit.core.errors import ParamError
from gradekit.core.families import get_family
from tests.helpers import load_spec, solve_spec

FAMILY = get_family("rnn.bptt")


def sigmoid(z):
    return 1 / (1 + np.exp(-np.asarray(z, dtype=float)))


@pytest.fixture(scope="module")
def p6():
    return solve_spec("ece449-a2/p6")


def _torch_rnn(Wi, Wh, x, y):
    """Loss, weight gradients and ‖∂h_T/∂h_k‖₂ (k = 1..T−1) from torch autograd."""
    import torch
    from torch.autograd.functional import jacobian

    Wi_t = torch.tensor(Wi, requires_grad=True)
    Wh_t = torch.tensor(Wh, requires_grad=True)
    xs, y_t = torch.tensor(x), torch.tensor(y)

    def run(h, start):  # h_start → h_T with the weights held fixed
        for x_t in xs[start:]:
            h = torch.sigmoid(Wi_t.detach() @ x_t + Wh_t.detach() @ h)
        return h

    h = torch.zeros(Wh_t.shape[0], dtype=torch.float64)
    states = []
    for x_t in xs:
        h = torch.sigmoid(Wi_t @ x_t + Wh_t @ h)
        states.append(h)
    L = 0.5 * torch.sum((h - y_t) ** 2)
    L.backward()
    T = len(xs)
    norms = [
        torch.linalg.matrix_norm(jacobian(lambda hk, k=k: run(hk, k), states[k - 1].detach()), ord=2).item()
        for k in range(1, T)
    ]
    return {
        "h": torch.stack(states).detach().numpy(), "L": L.item(),
        "dL/dWh": Wh_t.grad.numpy(), "dL/dWi": Wi_t.grad.numpy(), "jacobian_norms": np.array(norms),
    }


def test_catalog_instance(p6):
    params, sol = p6
    a = sol.answers
    # h_1 = σ(Wⁱ x_1) = σ([0.5, 1]) by hand; h_2 = σ(Wⁱ x_2 + Wʰ h_1)
    h1 = sigmoid([0.5, 1.0])
    np.testing.assert_allclose(a["h"][0], [0.62245933, 0.73105858], rtol=1e-8)
    h2 = sigmoid(np.array([-1, 0.5]) + np.array([[1, -1], [0.5, 2]]) @ h1)
    np.testing.assert_allclose(a["h"][1], h2, rtol=1e-12)
    assert a["h"].shape == (3, 2)
    assert isinstance(a["L"], float) and a["L"] == pytest.approx(0.5 * np.sum((a["h"][2] - [1, 0]) ** 2))
    # k = T−1: a single factor diag(h_3(1 − h_3)) Wʰ
    h3 = a["h"][2]
    J3 = np.diag(h3 * (1 - h3)) @ params["Wh"]
    assert a["jacobian_norms"][1] == pytest.approx(np.linalg.svd(J3, compute_uv=False)[0])
    # this instance shows vanishing: both norms below 1, the longer product smaller
    assert a["jacobian_norms"].shape == (2,) and a["jacobian_norms"][0] < a["jacobian_norms"][1] < 1
    ref = _torch_rnn(params["Wi"], params["Wh"], params["x"], params["y"])
    for name, value in ref.items():
        np.testing.assert_allclose(a[name], value, rtol=1e-9, atol=1e-12, err_msg=name)
    assert isinstance(a["why"], str) and "vanish" in a["why"] and "explode" in a["why"]
    values = {k: v for step in sol.steps for k, v in step.values.items()}
    for name in ("L", "dL/dWh", "dL/dWi", "jacobian_norms"):
        np.testing.assert_array_equal(values[name], a[name])


@st.composite
def instances(draw):
    T, H, D = draw(st.integers(2, 5)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    vals = st.floats(-2, 2, allow_nan=False, width=32)
    return {
        "Wi": draw(hnp.arrays(np.float64, (H, D), elements=vals)).tolist(),
        "Wh": draw(hnp.arrays(np.float64, (H, H), elements=vals)).tolist(),
        "x": draw(hnp.arrays(np.float64, (T, D), elements=vals)).tolist(),
        "y": draw(hnp.arrays(np.float64, (H,), elements=st.floats(0, 1, width=32))).tolist(),
    }


@settings(max_examples=30, deadline=None)
@given(instances())
def test_matches_torch_autograd(raw):
    params = FAMILY.validate(raw)
    ours = FAMILY.solve(params).answers
    ref = _torch_rnn(params["Wi"], params["Wh"], params["x"], params["y"])
    for name, value in ref.items():
        np.testing.assert_allclose(ours[name], value, rtol=1e-8, atol=1e-12, err_msg=name)


def test_mistakes_on_the_catalog_instance(p6):
    params, sol = p6
    found = {m.id: m for m in FAMILY.mistakes(params)}
    assert set(found) == {"last_step_only", "jacobian_order_reversed", "jacobian_missing_sigmoid", "frobenius_norm"}
    for m in found.values():
        assert m.answers
        for name, value in m.answers.items():
            assert not np.allclose(value, sol.answers[name], rtol=1e-3), (m.id, name)
    # the Frobenius norm bounds the spectral norm from above
    assert np.all(found["frobenius_norm"].answers["jacobian_norms"] > sol.answers["jacobian_norms"])


def test_order_reversed_is_left_out_for_one_hidden_unit():
    # with H = 1 the factors are scalars, so their order cannot matter
    params = FAMILY.validate({"Wi": [[1]], "Wh": [[2]], "x": [[1], [0], [-1]], "y": [0]})
    assert "jacobian_order_reversed" not in {m.id for m in FAMILY.mistakes(params)}


@pytest.mark.parametrize(
    "change, field, words",
    [
        ({"Wh": [[1, 0, 0], [0, 1, 0]]}, "Wh", "square"),
        ({"Wi": [[1, 0]]}, "Wi", "(2, any)"),
        ({"x": [[1, 0, 0], [0, 1, 0]]}, "x", "(any, 2)"),
        ({"x": [[1, 0]]}, "x", "at least 2"),
        ({"y": [1, 0, 0]}, "y", "needs (2"),
    ],
)
def test_validate_rejects(change, field, words):
    raw = {**load_spec("ece449-a2/p6")["params"], **change}
    with pytest.raises(ParamError) as err:
        FAMILY.validate(raw)
    assert err.value.field == field
    assert words in str(err.value)

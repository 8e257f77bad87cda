"""The conv_block.backprop family: conv → sigmoid → 2×2 average pool, against torch autograd."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from gradekit.core.errors import ParamError
from gradekit.core.families import get_family
from tests.helpers import solve_spec

FAMILY = get_family("conv_block.backprop")


def sigmoid(z):
    return 1 / (1 + np.exp(-np.asarray(z, dtype=float)))


@pytest.fixture(scope="module")
def p1():
    return solve_spec("ece449-a2/p1")


def test_catalog_instance_by_hand(p1):
    params, sol = p1
    a = sol.answers
    # C by hand: c11 = 1·(−1) + 0·(−1) + (−1)·(−1) + 1·(−1) = −1, and so on.
    C = np.array([[-1, -1, 3, 0], [-1, 0, -3, 1], [0, -3, 1, 0], [0, 1, 2, -1]], dtype=float)
    np.testing.assert_array_equal(a["C"], C)
    S = sigmoid(C)
    np.testing.assert_allclose(a["S"], S, rtol=1e-12)
    P = np.array([[S[0:2, 0:2].mean(), S[0:2, 2:4].mean()], [S[2:4, 0:2].mean(), S[2:4, 2:4].mean()]])
    np.testing.assert_allclose(a["P"], P, rtol=1e-12)
    # ∂loss/∂P = [[4, -4], [8, 2]]: a quarter of g on each of the 4 cells of its block
    dS = np.array([[1, 1, -1, -1], [1, 1, -1, -1], [2, 2, 0.5, 0.5], [2, 2, 0.5, 0.5]])
    np.testing.assert_array_equal(a["dL/dS"], dS)
    np.testing.assert_allclose(a["dL/dC"], dS * S * (1 - S), rtol=1e-12)
    # σ'(0) = 1/4 and σ'(±1) = 0.196612, σ'(±3) = 0.0451767: two cells by hand
    assert a["dL/dC"][2, 0] == pytest.approx(2 * 0.25)
    assert a["dL/dC"][0, 3] == pytest.approx(-1 * 0.25)
    np.testing.assert_allclose(a["dL/dK"], [[0.47393848, -0.05223803], [1.90490388, 0.87167516]], rtol=1e-7)
    values = {k: v for step in sol.steps for k, v in step.values.items()}
    for name in a:
        np.testing.assert_array_equal(values[name], a[name])


def _torch_block(X, K, G, flipped):
    import torch
    import torch.nn.functional as F

    Xt = torch.tensor(X)[None, None]
    Kt = torch.tensor(K, requires_grad=True)
    weight = torch.flip(Kt, dims=(0, 1)) if flipped else Kt  # conv2d is a cross-correlation
    C = F.conv2d(Xt, weight[None, None])
    C.retain_grad()
    S = torch.sigmoid(C)
    S.retain_grad()
    P = F.avg_pool2d(S, 2)
    (P * torch.tensor(G)).sum().backward()  # a loss whose ∂loss/∂P is G
    return {
        "C": C[0, 0].detach().numpy(), "S": S[0, 0].detach().numpy(), "P": P[0, 0].detach().numpy(),
        "dL/dS": S.grad[0, 0].numpy(), "dL/dC": C.grad[0, 0].numpy(), "dL/dK": Kt.grad.numpy(),
    }


@st.composite
def instances(draw):
    k, n, m = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    vals = st.floats(-3, 3, allow_nan=False, width=32)
    return {
        "X": draw(hnp.arrays(np.float64, (2 * n + k - 1, 2 * m + k - 1), elements=vals)).tolist(),
        "K": draw(hnp.arrays(np.float64, (k, k), elements=vals)).tolist(),
        "G": draw(hnp.arrays(np.float64, (n, m), elements=vals)).tolist(),
        "operation": draw(st.sampled_from(["cross_correlation", "convolution"])),
    }


@settings(max_examples=40, deadline=None)
@given(instances())
def test_matches_torch_autograd(raw):
    params = FAMILY.validate(raw)
    ours = FAMILY.solve(params).answers
    ref = _torch_block(params["X"], params["K"], params["G"], params["operation"] == "convolution")
    for name, value in ref.items():
        np.testing.assert_allclose(ours[name], value, rtol=1e-9, atol=1e-12, err_msg=name)


def test_mistakes_on_the_catalog_instance(p1):
    params, sol = p1
    found = {m.id: m for m in FAMILY.mistakes(params)}
    assert set(found) == {"kernel_flipped", "sigmoid_grad_on_input", "max_pool_routing"}
    for m in found.values():
        assert m.answers
        for name, value in m.answers.items():
            assert not np.allclose(value, sol.answers[name]), (m.id, name)
    # the flipped-kernel answers are exactly the other convention's right answers
    other = FAMILY.solve({**params, "operation": "convolution"}).answers
    for name, value in found["kernel_flipped"].answers.items():
        np.testing.assert_array_equal(value, other[name])
    assert "dL/dS" not in found["kernel_flipped"].answers  # the pool's gradient does not see the kernel
    # max-pool routing: all of g goes to one cell per block, none to the other three
    routed = found["max_pool_routing"].answers["dL/dS"]
    assert np.count_nonzero(routed) == 4 and routed.sum() == pytest.approx(np.sum(params["G"]))


def test_kernel_flipped_is_left_out_when_flipping_changes_nothing():
    # a 1×1 kernel is its own flip; a 180°-symmetric 2×2 kernel is not enough, as dL/dK comes out flipped
    params = FAMILY.validate({"X": [[1, 2], [0, -1]], "K": [[2]], "G": [[2]]})
    assert "kernel_flipped" not in {m.id for m in FAMILY.mistakes(params)}
    params = FAMILY.validate({"X": [[1, 2, 0], [0, -1, 1], [2, 1, 1]], "K": [[1, 0], [0, 1]], "G": [[2]]})
    flipped = {m.id: m for m in FAMILY.mistakes(params)}["kernel_flipped"]
    assert set(flipped.answers) == {"dL/dK"}


@pytest.mark.parametrize(
    "change, field, words",
    [
        ({"X": [[0] * 4] * 5}, "X", "(5, 5)"),
        ({"K": [[1, 0, 1], [0, 1, 0]]}, "K", "square"),
        ({"G": [1, 2]}, "G", "2 dimension"),
        ({"operation": "conv"}, "operation", "'cross_correlation'"),
        ({"X": "abc"}, "X", "numeric"),
    ],
)
def test_validate_rejects(p1, change, field, words):
    from tests.helpers import load_spec

    raw = {**load_spec("ece449-a2/p1")["params"], **change}
    with pytest.raises(ParamError) as err:
        FAMILY.validate(raw)
    assert err.value.field == field
    assert words in str(err.value)

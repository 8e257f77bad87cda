"""The lms family: Wiener solution and per-sample LMS, cross-checked against torch."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradekit.core.errors import ParamError
from gradekit.core.families import get_family
from tests.helpers import solve_spec

FAMILY = get_family("lms")
TRUE_W = np.array([1.0, 1.0, -2.0])


@pytest.fixture(scope="module")
def lab1():
    return solve_spec("ece661-hw1/lab1")


def test_seeded_draw_lands_near_the_course_data(lab1):
    # The original dataset.mat gave W* ≈ [1.0007, 1.0006, -2.0003] and MSE ≈ 1.008e-4.
    _, sol = lab1
    a = sol.answers
    assert isinstance(a["W_star"], np.ndarray) and a["W_star"].shape == (3,)
    assert np.all(np.abs(a["W_star"] - TRUE_W) < 0.01)
    assert isinstance(a["mse_star"], float) and 5e-5 <= a["mse_star"] <= 2e-4


def test_lms_answers_on_the_catalog_instance(lab1):
    params, sol = lab1
    a = sol.answers
    assert params["X"].shape == (100, 3) and np.all(params["X"][:, 0] == 1)
    # 20 epochs at r = 0.005 get within 0.01 of the Wiener solution, as in the seed (1.00068 vs 1.00068).
    assert a["W_lms"].shape == (3,) and np.all(np.abs(a["W_lms"] - a["W_star"]) < 0.01)
    curve = a["mse_curve"]
    assert curve.shape == (20,)
    assert np.all(np.diff(curve) < 0)  # a small rate decreases the MSE every epoch
    assert curve[0] > 1 and a["mse_star"] <= curve[-1] < 1.1 * a["mse_star"]
    assert a["diverges"] is True
    # The worked steps carry the same numbers as the answers.
    values = {k: v for step in sol.steps for k, v in step.values.items()}
    for name in ("W_star", "mse_star", "W_lms", "mse_curve", "diverges"):
        np.testing.assert_array_equal(values[name], a[name])


def test_same_seed_same_data_different_seed_different_data():
    a = FAMILY.validate({"seed": 5})
    b = FAMILY.validate({"seed": 5})
    c = FAMILY.validate({"seed": 6})
    np.testing.assert_array_equal(a["X"], b["X"])
    np.testing.assert_array_equal(a["D"], b["D"])
    assert not np.allclose(a["X"], c["X"])


def test_small_rate_does_not_diverge():
    sol = FAMILY.solve(FAMILY.validate({"seed": 661, "divergence_rate": 0.005}))
    assert sol.answers["diverges"] is False


def _torch_lms(X, D, rate, epochs):
    """Per-sample SGD on ½(d − xᵀw)² with autograd: the gradient step is exactly the LMS update."""
    import torch

    Xt, Dt = torch.tensor(X), torch.tensor(D)
    w = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    curve = []
    for _ in range(epochs):
        for x_k, d_k in zip(Xt, Dt):
            loss = 0.5 * (d_k - x_k @ w) ** 2
            loss.backward()
            with torch.no_grad():
                w -= rate * w.grad
            w.grad.zero_()
        with torch.no_grad():
            curve.append(torch.mean((Dt - Xt @ w) ** 2).item())
    return w.detach().numpy(), np.array(curve)


@settings(max_examples=20, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    n=st.integers(5, 40),
    rate=st.floats(0.001, 0.05),
    epochs=st.integers(1, 4),
    noise=st.floats(0.0, 0.5),
)
def test_matches_torch(seed, n, rate, epochs, noise):
    import torch

    params = FAMILY.validate({"seed": seed, "n": n, "rate": rate, "epochs": epochs, "noise": noise})
    sol = FAMILY.solve(params)
    W, curve = _torch_lms(params["X"], params["D"], rate, epochs)
    np.testing.assert_allclose(sol.answers["W_lms"], W, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(sol.answers["mse_curve"], curve, rtol=1e-9, atol=1e-15)
    lstsq = torch.linalg.lstsq(torch.tensor(params["X"]), torch.tensor(params["D"])[:, None]).solution[:, 0]
    np.testing.assert_allclose(sol.answers["W_star"], lstsq.numpy(), rtol=1e-8, atol=1e-10)
    resid = torch.tensor(params["D"]) - torch.tensor(params["X"]) @ lstsq
    assert sol.answers["mse_star"] == pytest.approx(torch.mean(resid**2).item(), rel=1e-6, abs=1e-14)


def test_data_file_gives_the_same_answers_as_the_arrays(tmp_path, lab1, monkeypatch):
    scipy_io = pytest.importorskip("scipy.io")
    params, sol = lab1
    path = tmp_path / "dataset.mat"
    scipy_io.savemat(path, {"X": params["X"], "D": params["D"][:, None]})  # the course's D is 100×1
    loaded = FAMILY.validate({"data_file": str(path)})
    np.testing.assert_array_equal(loaded["X"], params["X"])
    other = FAMILY.solve(loaded).answers
    for name in ("W_star", "W_lms", "mse_curve"):
        np.testing.assert_allclose(other[name], sol.answers[name], rtol=1e-12)
    # a path relative to the current directory
    monkeypatch.chdir(tmp_path)
    np.testing.assert_array_equal(FAMILY.validate({"data_file": "dataset.mat"})["D"], params["D"])


def test_data_file_errors(tmp_path, monkeypatch):
    scipy_io = pytest.importorskip("scipy.io")
    with pytest.raises(ParamError, match="no such file") as err:
        FAMILY.validate({"data_file": str(tmp_path / "missing.mat")})
    assert err.value.field == "data_file"
    path = tmp_path / "nod.mat"
    scipy_io.savemat(path, {"X": np.ones((4, 3))})
    with pytest.raises(ParamError, match="no variable D"):
        FAMILY.validate({"data_file": str(path)})
    bad = tmp_path / "bias.mat"
    scipy_io.savemat(bad, {"X": np.full((4, 3), 2.0), "D": np.zeros(4)})
    with pytest.raises(ParamError, match="first column"):
        FAMILY.validate({"data_file": str(bad)})
    monkeypatch.setitem(sys.modules, "scipy.io", None)  # as if scipy were not installed
    with pytest.raises(ParamError, match="needs scipy") as err:
        FAMILY.validate({"data_file": str(path)})
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    "params, field, words",
    [
        ({}, "seed", "missing"),
        ({"seed": "abc"}, "seed", "integer"),
        ({"seed": 1, "true_w": [1, 2]}, "true_w", "needs (3"),
        ({"seed": 1, "rate": -0.1}, "rate", "positive"),
        ({"seed": 1, "epochs": 0}, "epochs", "must lie in"),
        ({"seed": 1, "n": 2}, "n", "must lie in"),
    ],
)
def test_validate_rejects(params, field, words):
    with pytest.raises(ParamError) as err:
        FAMILY.validate(params)
    assert err.value.field == field
    assert words in str(err.value)


def test_mistakes_differ_from_the_right_answers(lab1):
    params, sol = lab1
    found = {m.id: m for m in FAMILY.mistakes(params)}
    assert set(found) == {"batch_update", "mse_before_epoch"}
    for m in found.values():
        assert m.answers
        for name, value in m.answers.items():
            assert not np.allclose(value, sol.answers[name], rtol=1e-3), (m.id, name)
    # recorded before each epoch: starts at MSE(W⁰ = 0), then lags the right curve by one epoch
    before = found["mse_before_epoch"].answers["mse_curve"]
    np.testing.assert_allclose(before[0], np.mean(params["D"] ** 2))
    np.testing.assert_array_equal(before[1:], sol.answers["mse_curve"][:-1])

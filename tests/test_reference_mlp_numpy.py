"""reference.mlp_numpy (ECE 449 task 1) against torch autograd, and the digits set the train check uses."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gradekit.reference import mlp_numpy as ref

floats = st.floats(-5, 5, allow_nan=False, width=64)


def numeric_gradient(X, y, W, K, eps: float = 1e-6):
    """Central differences of the template's loss in W and K (the reference's forward only)."""
    def L(W_, K_):
        return ref.loss(y, ref.DNNforward(X, W_, K_)[2])

    gW, gK = np.zeros_like(W), np.zeros_like(K)
    for idx in np.ndindex(W.shape):
        d = np.zeros_like(W)
        d[idx] = eps
        gW[idx] = (L(W + d, K) - L(W - d, K)) / (2 * eps)
    for i in range(len(K)):
        d = np.zeros_like(K)
        d[i] = eps
        gK[i] = (L(W, K + d) - L(W, K - d)) / (2 * eps)
    return gW, gK


def torch_loss_and_grads(X, y, W, K):
    Wt = torch.tensor(W, requires_grad=True)
    Kt = torch.tensor(K, requires_grad=True)
    O = Kt @ torch.relu(Wt @ torch.tensor(X).T)
    loss = torch.mean(0.5 * (torch.tensor(y) - O) ** 2)
    loss.backward()
    return loss.item(), O.detach().numpy(), Wt.grad.numpy(), Kt.grad.numpy()


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 8).flatmap(lambda n: st.tuples(
    arrays(np.float64, (n, 3), elements=floats), st.lists(st.sampled_from([-1.0, 1.0]), min_size=n, max_size=n),
    arrays(np.float64, (2, 3), elements=floats), arrays(np.float64, (2,), elements=floats))))
def test_forward_backward_match_torch_autograd(case):
    X, y, W, K = case
    y = np.array(y)
    # away from relu's kink: a pre-activation within rounding of 0 takes either side of it, by the order
    # each library sums in (W of 1e-145 and a row of X summing to 0: numpy 0.0, torch 1e-161)
    pre = W @ X.T
    assume(np.all(np.abs(pre) > 1e-9 * (1 + np.abs(W) @ np.abs(X).T)))
    loss, O_t, gW_t, gK_t = torch_loss_and_grads(X, y, W, K)
    H, A, O = ref.DNNforward(X, W, K)
    assert H.shape == A.shape == (2, len(X)) and O.shape == (len(X),)
    np.testing.assert_allclose(O, O_t, rtol=1e-12, atol=1e-12)
    assert ref.loss(y, O) == pytest.approx(loss, rel=1e-12, abs=1e-12)
    gW, gK = ref.DNNbackward(X, y, W, K, H, A, O)
    # torch's relu'(0) is 0, as the reference's prelu
    np.testing.assert_allclose(gW, gW_t, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gK, gK_t, rtol=1e-10, atol=1e-12)


def test_relu_prelu_values_and_the_convention_at_zero():
    x = np.array([[-2.0, 0.0, 3.5]])
    assert ref.relu(x).tolist() == [[0.0, 0.0, 3.5]]
    assert ref.prelu(x).tolist() == [[0.0, 0.0, 1.0]]
    # relu' by autograd agrees away from 0
    t = torch.tensor([-2.0, 3.5], dtype=torch.float64, requires_grad=True)
    torch.relu(t).sum().backward()
    assert t.grad.tolist() == ref.prelu(np.array([-2.0, 3.5])).tolist()


def test_finite_differences_agree_with_the_reference_gradient():
    rng = np.random.default_rng(1)
    X, W, K = rng.normal(size=(5, 3)), rng.normal(size=(2, 3)), rng.normal(size=2)
    y = np.array([1.0, -1, 1, -1, 1])
    H, A, O = ref.DNNforward(X, W, K)
    for got, want in zip(numeric_gradient(X, y, W, K), ref.DNNbackward(X, y, W, K, H, A, O)):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-9)


def test_train_one_epoch_matches_torch_sgd_over_the_templates_batches():
    rng = np.random.default_rng(3)
    X, W, K = rng.normal(size=(7, 3)), rng.normal(size=(2, 3)), rng.normal(size=2)
    y = np.where(rng.random(7) < 0.5, -1.0, 1.0)
    Ws, Ks = ref.train(X, y, W, K, lr=0.1, num_epochs=1, batch_size=3)
    Wt, Kt = torch.tensor(W, requires_grad=True), torch.tensor(K, requires_grad=True)
    opt = torch.optim.SGD([Wt, Kt], lr=0.1)
    for s, e in [(0, 3), (3, 6)]:  # the template's loop: the last batch stops at n - 1, so (6, 6) is empty
        opt.zero_grad()
        O = Kt @ torch.relu(Wt @ torch.tensor(X[s:e]).T)
        torch.mean(0.5 * (torch.tensor(y[s:e]) - O) ** 2).backward()
        opt.step()
    np.testing.assert_allclose(Ws[0], Wt.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(Ks[0], Kt.detach().numpy(), rtol=1e-12)
    assert len(ref.train(X, y, W, K, 0.1, num_epochs=4)[0]) == 4


def test_digits_set_and_the_threshold_the_spec_states():
    X, y = ref.digits_binary()
    assert X.shape == (360, 3) and set(np.unique(y)) == {-1.0, 1.0}
    np.testing.assert_allclose(X.std(axis=0), 1.0)
    rng = np.random.default_rng(0)  # the check's initialisation
    W, K = rng.normal(0, 0.5, (2, 3)), rng.normal(0, 0.5, 2)
    assert ref.accuracy(X, y, W, K) < 0.6  # untrained: about chance
    Ws, Ks = ref.train(X, y, W, K, 0.05, num_epochs=10, batch_size=10)
    assert ref.accuracy(X, y, Ws[-1], Ks[-1]) >= 0.95

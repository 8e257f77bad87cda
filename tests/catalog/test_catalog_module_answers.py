"""Known answers of the catalog's module problems (students' .py files), pinned without gradekit's families.

A module problem's key is a reference implementation, and grading compares a student's module with it.
What makes that reference right is pinned here: parameter counts summed by hand from CATALOG.md's layer
lists, output shapes, and function values on small inputs computed by hand or with torch autograd. Each
problem's check calls the reference object its spec names (``reference_model``/the family's module) and
compares it with those numbers.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gradekit.reference import models

MODULE_PINS = {}  # qualified problem id -> test of its reference against pinned values


def pins(qid):
    def register(fn):
        MODULE_PINS[qid] = fn
        return fn
    return register


def _conv(cin, cout, k, bias=True):
    return cin * cout * k * k + (cout if bias else 0)


def _linear(n_in, n_out, bias=True):
    return n_in * n_out + (n_out if bias else 0)


def _shape_and_count(model, input_shape, output_shape, count):
    assert models.count_params(model) == count
    with torch.no_grad():
        assert tuple(model.eval()(torch.zeros(*input_shape)).shape) == output_shape


@pins("ece661-hw1/lab2a")
def _simple_nn():
    # Table 1 with the lab's bias-free CONV: lab2b's weight counts 1200, 2304, 25088, then FC 288→32 → 32→10
    count = _conv(3, 16, 5, False) + _conv(16, 16, 3, False) + _conv(16, 32, 7, False) + _linear(288, 32) + _linear(32, 10)
    _shape_and_count(models.SimpleNN(), (5, 3, 32, 32), (5, 10), count)
    assert count == 38170


@pins("coms573-hw5/q4")
def _lenet5():
    count = _conv(3, 6, 5) + _conv(6, 16, 5) + _linear(16 * 5 * 5, 120) + _linear(120, 84) + _linear(84, 10)
    _shape_and_count(models.LeNet5(), (2, 3, 32, 32), (2, 10), count)
    assert count == 62006  # CATALOG.md


def _solution(qid: str) -> dict:
    """The names a [code] problem's solution file defines (the course-style solution beside its spec)."""
    from gradekit.catalog.catalog import load_catalog

    names: dict = {"__name__": "solution"}
    exec(compile(load_catalog().resolve(qid).validated_params.extra["solution_source"], qid, "exec"), names)
    return names


@pins("ece449-a2/task3")
def _lenet_fashion():
    count = _conv(1, 6, 5) + _conv(6, 16, 5) + _linear(16 * 5 * 5, 120) + _linear(120, 84) + _linear(84, 10)
    _shape_and_count(_solution("ece449-a2/task3")["get_lenet"](), (2, 1, 28, 28), (2, 10), count)
    assert count == 61706


def _residual(cin, cout, shortcut):
    # two 3×3 convolutions with bias, a BatchNorm (weight and bias) after each, an optional 1×1 conv shortcut
    return _conv(cin, cout, 3) + _conv(cout, cout, 3) + 2 * 2 * cout + (_conv(cin, cout, 1) if shortcut else 0)


@pins("ece449-a2/task4")
def _course_resnet():
    solution = _solution("ece449-a2/task4")
    _shape_and_count(solution["Residual"](3, 3), (4, 3, 9, 9), (4, 3, 9, 9), _residual(3, 3, False))
    _shape_and_count(solution["Residual"](3, 6, True, 2), (4, 3, 9, 9), (4, 6, 5, 5), _residual(3, 6, True))
    stages = sum(_residual(c, c, False) + _residual(c // 2, c, True) for c in (128, 256, 512)) + 2 * _residual(64, 64, False)
    count = _conv(1, 64, 7) + 2 * 64 + stages + _linear(512, 10)
    _shape_and_count(solution["get_resnet"](), (1, 1, 96, 96), (1, 10), count)
    assert count == 11178378


@pins("ece449-a2/task2")
def _dnn_and_its_training():
    solution = _solution("ece449-a2/task2")
    _shape_and_count(solution["get_DNN"](), (4, 3), (4, 1), _linear(3, 2, False) + _linear(2, 1, False))
    # one epoch of the template's loop (batches end at min((b+1)·B, n−1): the last sample is never used)
    # on nn.MSELoss(reduction="sum"), Σ (O − y)², with SGD; the gradient typed out for O = K relu(W x)
    X = np.array([[1.0, 2.0, -1.0], [0.5, -1.0, 2.0], [-1.0, 0.5, 1.0], [2.0, 1.0, 0.0], [1.0, 1.0, 1.0]])
    y = np.array([1.0, -1.0, 1.0, -1.0, 1.0])
    W0, K0 = np.array([[0.1, -0.2, 0.3], [0.2, 0.1, -0.1]]), np.array([0.5, -0.4])
    W, K = W0.copy(), K0.copy()
    for start, end in ((0, 2), (2, 4)):
        dW, dK = np.zeros_like(W), np.zeros_like(K)
        for x, t in zip(X[start:end], y[start:end]):
            h = W @ x
            a = np.maximum(h, 0)
            dO = 2 * (K @ a - t)
            dK += dO * a
            dW += np.outer(dO * K * (h > 0), x)
        W, K = W - 0.1 * dW, K - 0.1 * dK
    net = solution["get_DNN"]().double()
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor(W0)), net[2].weight.copy_(torch.tensor(K0[None]))
    solution["init_weights"] = lambda m: None  # the template re-draws the weights; here they start at W0, K0
    W_list, K_list = solution["train_torch"](net, X, y, num_epochs=1, lr=0.1, batch_size=2)
    np.testing.assert_allclose(W_list[0], W, rtol=1e-12)
    np.testing.assert_allclose(K_list[0], K, rtol=1e-12)


@pins("ece449-a2/task1")
def _task1_solution():
    task1 = _Names(_solution("ece449-a2/task1"))
    z = np.array([-2.0, 0.0, 3.0])
    assert task1.relu(z).tolist() == [0, 0, 3] and task1.prelu(z).tolist() == [0, 0, 1]
    # by hand: H = W Xᵀ = [[0, 1], [3, 0]], A = relu(H), O = K A = [−3, 2]
    X, W, K = np.array([[1.0, -1, 2], [0, 1, 1]]), np.array([[1.0, 1, 0], [0, -1, 1]]), np.array([2.0, -1])
    H, A, O = task1.DNNforward(X, W, K)
    assert H.tolist() == [[0, 1], [3, 0]] and O.tolist() == [-3, 2]
    # ∂/∂(W, K) of mean(½ (y − O)²) by autograd, with relu'(0) = 0 as the template's prelu
    y = np.array([1.0, 1.0])
    Wt, Kt = torch.tensor(W, requires_grad=True), torch.tensor(K, requires_grad=True)
    Ot = Kt @ torch.relu(Wt @ torch.tensor(X).T)
    (0.5 * (torch.tensor(y) - Ot) ** 2).mean().backward()
    dW, dK = task1.DNNbackward(X, y, W, K, H, A, O)
    np.testing.assert_allclose(dW, Wt.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(dK, Kt.grad.numpy(), rtol=1e-12)
    # train: 2 epochs of batch-2 steps over 4 samples of 5 (the template's n−1 bound), one entry per epoch
    Xs = np.array([[1.0, 2, -1], [0.5, -1, 2], [-1, 0.5, 1], [2, 1, 0], [1, 1, 1]])
    ys = np.array([1.0, -1, 1, -1, 1])
    W0, K0 = np.array([[0.3, -0.2, 0.1], [0.2, 0.4, -0.1]]), np.array([0.5, 0.5])
    Wn, Kn, expect = W0.copy(), K0.copy(), []
    for _ in range(2):
        for b in (slice(0, 2), slice(2, 4)):
            Hb = Wn @ Xs[b].T
            dO = (Kn @ np.maximum(Hb, 0) - ys[b]) / 2
            gK = np.maximum(Hb, 0) @ dO
            gW = (np.outer(Kn, dO) * (Hb > 0)) @ Xs[b]
            Wn, Kn = Wn - 0.05 * gW, Kn - 0.05 * gK
        expect.append((Wn, Kn))
    W_list, K_list = task1.train(Xs, ys, W0, K0, 0.05, num_epochs=2, batch_size=2)
    for (We, Ke), Wg, Kg in zip(expect, W_list, K_list, strict=True):
        np.testing.assert_allclose(Wg, We, rtol=1e-12)
        np.testing.assert_allclose(Kg, Ke, rtol=1e-12)


class _Names:
    """A solution file's names as attributes (``task1.relu``)."""

    def __init__(self, names: dict):
        self.__dict__.update(names)


def _softmax_ce_step(ann, X, Y):
    """One gradient step of mean cross-entropy through relu and softmax, by autograd from ann's weights."""
    params = {k: torch.tensor(getattr(ann, k), requires_grad=True) for k in ("W1", "b1", "W2", "b2")}
    logits = torch.relu(torch.tensor(X) @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"]
    loss = -(torch.tensor(Y) * torch.log_softmax(logits, dim=1)).sum() / len(X)
    loss.backward()
    return torch.softmax(logits, 1).detach().numpy(), {k: (v - ann.lr * v.grad).detach().numpy() for k, v in params.items()}


@pins("cs37300-hw4/numpy_ann")
def _numpy_ann():
    NumpyANN = _solution("cs37300-hw4/numpy_ann")["NumpyANN"]
    ann = NumpyANN(4, 3, 2, lr=0.5, random_seed=1)
    # the handout's doctest: a 2×2 batch of uniform predictions costs ln 2 = 0.69314…
    half = np.full((2, 2), 0.5)
    assert ann._cross_entropy(half, np.eye(2)) == pytest.approx(np.log(2), abs=1e-9)
    z = np.array([[-1.0, 0.0, 2.0]])
    assert ann._relu(z).tolist() == [[0, 0, 2]] and ann._relu_grad(z).tolist() == [[0, 0, 1]]
    assert (ann.W1.shape, ann.b1.shape, ann.W2.shape, ann.b2.shape) == ((4, 3), (1, 3), (3, 2), (1, 2))
    X = np.array([[1.0, -2, 0.5, 3], [0.5, 1, -1, 2], [-1, 0, 2, 1]])
    Y = np.eye(2)[[0, 1, 1]]
    ann.W1 = np.random.default_rng(5).normal(size=(4, 3))  # weights large enough that ReLU cuts some units
    probs, stepped = _softmax_ce_step(ann, X, Y)
    np.testing.assert_allclose(ann.predict(X), probs, rtol=1e-10)
    assert ann.accuracy(X, Y) == np.mean(probs.argmax(1) == [0, 1, 1])
    ann._forward(X, training=True)
    ann._backward(X, Y)
    for k, v in stepped.items():
        np.testing.assert_allclose(getattr(ann, k), v, rtol=1e-10, atol=1e-14, err_msg=k)


@pins("cs37300-hw4/pytorch_ann")
def _pytorch_ann():
    net = models.PyTorchANN(64, 64, 10)
    _shape_and_count(net, (3, 64), (3, 10), _linear(64, 64) + _linear(64, 10))
    x = torch.randn(3, 64, generator=torch.Generator().manual_seed(0))
    lin1, lin2 = net.model[0], net.model[2]
    with torch.no_grad():
        by_hand = torch.relu(x @ lin1.weight.T + lin1.bias) @ lin2.weight.T + lin2.bias
        torch.testing.assert_close(net.forward(x), by_hand)
    assert net.predict(x).tolist() == by_hand.argmax(1).tolist()
    assert models.PyTorchANN(64, 64, 10, seed=3).model[0].weight.equal(models.PyTorchANN(64, 64, 10, seed=3).model[0].weight)


@pins("cs37300-hw4/pytorch_cnn")
def _pytorch_cnn():
    # four blocks conv3 (bias) + BatchNorm (weight, bias), channels 1→32→64→128→256, then FC 256→128→10
    blocks = sum(_conv(a, b, 3) + 2 * b for a, b in ((1, 32), (32, 64), (64, 128), (128, 256)))
    _shape_and_count(models.PyTorchCNN(), (2, 1, 28, 28), (2, 10), blocks + _linear(256, 128) + _linear(128, 10))


@pytest.mark.parametrize("qid", list(MODULE_PINS))
def test_the_module_references_give_the_pinned_values(qid):
    MODULE_PINS[qid]()


# the reference builders (reference/families/_torch_models.py) -> their counts summed above by hand; no spec
# names one any more (the module families build their own), so each is checked here as a builder
PARAM_COUNTS = {
    ("SimpleNN", ()): 38170,
    ("LeNet5", (10,)): 62006,
    ("LeNetFashion", ()): 61706,
}


def test_every_reference_model_builder_gives_its_pinned_count():
    from gradekit.reference.families._torch_models import _references

    builders = _references()
    for (ref, args), count in PARAM_COUNTS.items():
        assert models.count_params(builders[ref](*args)) == count, (ref, args)

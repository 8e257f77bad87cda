"""reference/models.py and reference/numpy_ann.py: the seeds' shapes and counts, NumpyANN against torch.autograd."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from gradekit.reference import models
from gradekit.reference.numpy_ann import NumpyANN, one_hot


def _layer_shapes(model: nn.Module, x: torch.Tensor) -> dict[str, tuple]:
    """(input shape, output shape, weight shape) of every Conv2d/Linear, as the labs' Table 2 prints them."""
    seen: dict[str, tuple] = {}
    hooks = [
        m.register_forward_hook(lambda m, i, o, name=name: seen.__setitem__(name, (tuple(i[0].shape), tuple(o.shape), tuple(m.weight.shape))))
        for name, m in model.named_modules()
        if isinstance(m, (nn.Conv2d, nn.Linear))
    ]
    model(x)
    for h in hooks:
        h.remove()
    return seen


def test_simple_nn_matches_ece661_lab2_table2():
    net = models.SimpleNN()
    shapes = _layer_shapes(net, torch.randn(1, 3, 32, 32))
    assert shapes == {
        "conv1": ((1, 3, 32, 32), (1, 16, 32, 32), (16, 3, 5, 5)),
        "conv2": ((1, 16, 15, 15), (1, 16, 17, 17), (16, 16, 3, 3)),
        "conv3": ((1, 16, 8, 8), (1, 32, 6, 6), (32, 16, 7, 7)),
        "fc1": ((1, 288), (1, 32), (32, 288)),
        "fc2": ((1, 32), (1, 10), (10, 32)),
    }
    # Table 2's #Param column counts weights: 1200, 2304, 25088, 9216, 320 (the lab's CONV has no bias)
    assert [net.get_submodule(n).weight.numel() for n in shapes] == [1200, 2304, 25088, 9216, 320]
    assert models.count_params(net) == 1200 + 2304 + 25088 + 9216 + 32 + 320 + 10
    assert net(torch.randn(5, 3, 32, 32)).min() >= 0  # Table 1: ReLU after FC2 as well
    assert models.SimpleNN(relu_out=False)(torch.randn(5, 3, 32, 32)).min() < 0


def test_lenet5_shapes_and_62006_parameters():
    net = models.LeNet5()
    assert models.count_params(net) == models.LENET5_PARAMS == 62006
    shapes = _layer_shapes(net, torch.randn(1, 3, 32, 32))
    assert [s[1] for s in shapes.values()] == [(1, 6, 28, 28), (1, 16, 10, 10), (1, 120), (1, 84), (1, 10)]
    assert shapes["fc1"][0] == (1, 400)
    assert net(torch.randn(4, 3, 32, 32)).shape == (4, 10)
    assert models.LeNet5(1, 10, input_size=28)(torch.randn(2, 1, 28, 28)).shape == (2, 10)


def test_resnet18_cifar_has_11173962_parameters_and_no_maxpool():
    net = models.get_resnet()
    assert models.count_params(net) == models.RESNET18_PARAMS == 11_173_962
    assert not any(isinstance(m, nn.MaxPool2d) for m in net.modules())
    assert net[0][0].kernel_size == (3, 3) and net[0][0].stride == (1, 1)
    assert sum(isinstance(m, models.Residual) for m in net.modules()) == 8
    net.eval()
    assert net(torch.randn(2, 3, 32, 32)).shape == (2, 10)


def test_residual_block_shapes_and_identity_shortcut():
    assert models.Residual(3, 3)(torch.randn(4, 3, 6, 6)).shape == (4, 3, 6, 6)
    assert models.Residual(3, 6, use_1x1conv=True, strides=2)(torch.randn(4, 3, 6, 6)).shape == (4, 6, 3, 3)
    # with the residual branch zeroed the block is ReLU(x): the shortcut really is the identity
    blk = models.Residual(3, 3).eval()
    nn.init.zeros_(blk.bn2.weight)
    x = torch.randn(2, 3, 5, 5)
    torch.testing.assert_close(blk(x), F.relu(x))


def test_pytorch_cnn_follows_the_handout_block_order():
    net = models.PyTorchCNN(10)
    kinds = [type(m) for m in net.model]
    block = [nn.Conv2d, nn.ReLU, nn.MaxPool2d, nn.BatchNorm2d, nn.Dropout]
    assert kinds == block * 4 + [nn.Flatten, nn.Linear, nn.ReLU, nn.Linear]
    convs = [m for m in net.model if isinstance(m, nn.Conv2d)]
    assert [(c.out_channels, c.kernel_size, c.padding) for c in convs] == [(n, (3, 3), (1, 1)) for n in (32, 64, 128, 256)]
    assert all(m.p == 0.3 for m in net.model if isinstance(m, nn.Dropout))
    assert models.count_params(net) == 422_986
    assert net.forward(torch.randn(3, 1, 28, 28)).shape == (3, 10)


def test_pytorch_ann_is_seeded_and_its_train_method_keeps_eval_working():
    a, b, c = models.PyTorchANN(784, 32, 10, seed=1), models.PyTorchANN(784, 32, 10, seed=1), models.PyTorchANN(784, 32, 10, seed=2)
    torch.testing.assert_close(a.model[0].weight, b.model[0].weight)
    assert not torch.equal(a.model[0].weight, c.model[0].weight)
    assert models.count_params(a) == 784 * 32 + 32 + 32 * 10 + 10
    assert a.eval() is a and not a.training  # nn.Module.eval() calls train(False): still a mode switch
    g = np.random.default_rng(0)
    X = g.normal(size=(64, 784)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int)
    hist = a.train(X, y, X, y, epochs=5, batch_size=16, lr=0.1)
    assert hist["train_loss"][-1] < hist["train_loss"][0]
    assert a.accuracy(X, one_hot(y, 10)) == hist["train_acc"][-1]


def test_channels_last_gives_the_same_outputs():
    # the CUDA path converts model and data to channels_last; the math must not change
    torch.manual_seed(0)
    net = models.LeNet5().eval()
    x = torch.randn(4, 3, 32, 32)
    ref = net(x)
    out = net.to(memory_format=torch.channels_last)(x.contiguous(memory_format=torch.channels_last))
    torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-5)


# --- NumpyANN -----------------------------------------------------------------------

def test_numpy_ann_init_reproduces_the_handouts_global_seed_stream():
    ann = NumpyANN(5, 4, 3, lr=0.1, seed=7)
    state = np.random.get_state()
    np.random.seed(7)
    W1, W2 = 0.01 * np.random.randn(5, 4), 0.01 * np.random.randn(4, 3)
    np.random.set_state(state)
    np.testing.assert_array_equal(ann.W1, W1)
    np.testing.assert_array_equal(ann.W2, W2)
    assert ann.b1.shape == (1, 4) and ann.b2.shape == (1, 3) and not ann.b1.any()


def test_numpy_ann_relu_grad_is_zero_at_zero():
    np.testing.assert_array_equal(NumpyANN._relu_grad(np.array([-1.0, 0.0, 2.0])), [0, 0, 1])
    np.testing.assert_array_equal(NumpyANN._relu(np.array([-1.0, 0.0, 2.0])), [0, 0, 2])


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 6), d=st.integers(1, 5), h=st.integers(1, 5), k=st.integers(2, 4), seed=st.integers(0, 10_000))
def test_numpy_ann_gradients_match_autograd(n, d, h, k, seed):
    g = np.random.default_rng(seed)
    ann = NumpyANN(d, h, k, seed=seed)
    # bounded values keep |z2| ≤ 7, so every probability stays far above the 1e-12 guard inside log
    ann.W1, ann.b1 = g.uniform(-1, 1, size=(d, h)), g.uniform(-1, 1, size=(1, h))
    ann.W2, ann.b2 = g.uniform(-0.2, 0.2, size=(h, k)), g.uniform(-1, 1, size=(1, k))
    X, labels = g.uniform(-1, 1, size=(n, d)), g.integers(0, k, size=n)
    Y = one_hot(labels, k)
    probs = ann._forward(X, training=True)
    grads = ann._gradients(X, Y)

    t = {name: torch.tensor(getattr(ann, name), requires_grad=True) for name in ("W1", "b1", "W2", "b2")}
    z2 = torch.relu(torch.tensor(X) @ t["W1"] + t["b1"]) @ t["W2"] + t["b2"]
    np.testing.assert_allclose(probs, torch.softmax(z2, 1).detach().numpy(), rtol=1e-10)
    # the handout's backward (eqs. 9–13, divided by the number of samples) is the gradient
    # of the sample-mean cross-entropy — torch's F.cross_entropy with its default reduction
    F.cross_entropy(z2, torch.tensor(labels)).backward()
    for name, value in t.items():
        np.testing.assert_allclose(grads[name], value.grad.numpy(), rtol=1e-9, atol=1e-12)
    # ... and _cross_entropy(y_pred, y_true), as the handout pre-fills it, reports that very loss
    expected = float(F.cross_entropy(z2.detach(), torch.tensor(labels)))
    assert ann._cross_entropy(probs, Y) == pytest.approx(expected, rel=1e-4)


def test_numpy_ann_backward_takes_one_descent_step():
    g = np.random.default_rng(0)
    ann = NumpyANN(3, 4, 2, lr=0.5, seed=0)
    X, Y = g.normal(size=(8, 3)), one_hot(g.integers(0, 2, 8), 2)
    before = {n: getattr(ann, n).copy() for n in ("W1", "b1", "W2", "b2")}
    ann._forward(X, training=True)
    grads = ann._gradients(X, Y)
    ann._backward(X, Y)
    for name in before:
        np.testing.assert_allclose(getattr(ann, name), before[name] - 0.5 * grads[name])


def test_numpy_ann_learns_a_separable_problem():
    g = np.random.default_rng(1)
    X = g.normal(size=(200, 4))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    ann = NumpyANN(4, 16, 2, lr=0.5, seed=0)
    hist = ann.train(X, y, X[:50], y[:50], epochs=20, batch_size=32)
    assert hist["train_loss"][-1] < hist["train_loss"][0]
    assert hist["val_acc"][-1] >= 0.9 and ann.accuracy(X, y) >= 0.9
    np.testing.assert_allclose(ann.predict(X[:5]).sum(1), 1.0)

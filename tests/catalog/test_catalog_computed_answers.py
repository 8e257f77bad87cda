"""Known answers computed here, with torch autograd or plain NumPy, from the problem's own params.

Where a value is too long to type by hand (a 20-epoch MSE curve, a 4×4 gradient) or drawn per student
(q3.2v), it is recomputed from the statement's definitions, never through gradekit's families: a wrong
reference (a transposed gradient, a flipped kernel, an off-by-one epoch) fails here. CATALOG.md marks
what is published; these are the re-derivations it asks tests to assert.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gradekit.catalog.catalog import load_catalog

CAT = load_catalog()
COMPUTED = {}  # qualified problem id -> function(params as the spec gives them, as validated) -> {part: value}


def computes(qid):
    def register(fn):
        COMPUTED[qid] = fn
        return fn
    return register


def _t(value):
    return torch.tensor(np.asarray(value, dtype=float), dtype=torch.float64, requires_grad=True)


@computes("ece661-hw1/q3.2v")
def _mlp2_relu(raw, p):
    # the default student's draw: x2 = ReLU(W1 x1 + b1), x3 = W2 x2 + b2, L = ½‖t − x3‖²
    W1, b1, W2, b2 = _t(p["W1"]), _t(p["b1"]), _t(p["W2"]), _t(p["b2"])
    x1, t = torch.tensor(np.asarray(p["x1"], float)), torch.tensor(np.asarray(p["t"], float))
    L = 0.5 * ((t - (W2 @ torch.relu(W1 @ x1 + b1) + b2)) ** 2).sum()
    L.backward()
    return {"L": L.item(), "dL/dW1": W1.grad, "dL/dW2": W2.grad, "dL/db1": b1.grad, "dL/db2": b2.grad}


@computes("ece449-a2/p1")
def _conv_sigmoid_pool(raw, p):
    X = torch.tensor(np.asarray(p["X"], float))[None, None]
    K = _t(p["K"])
    C = torch.nn.functional.conv2d(X, K[None, None])  # cross-correlation, as the statement says
    S = torch.sigmoid(C)
    P = torch.nn.functional.avg_pool2d(S, 2)
    C.retain_grad(), S.retain_grad()
    (P * torch.tensor(np.asarray(p["G"], float))).sum().backward()  # ∂loss/∂P = G
    return {"C": C[0, 0], "S": S[0, 0], "P": P[0, 0], "dL/dS": S.grad[0, 0], "dL/dC": C.grad[0, 0], "dL/dK": K.grad}


@computes("ece449-a2/p6")
def _bptt(raw, p):
    Wi, Wh = _t(p["Wi"]), _t(p["Wh"])
    h, states = torch.zeros(2, dtype=torch.float64), []
    for x in np.asarray(p["x"], float):  # h_t = σ(Wⁱ x_t + Wʰ h_{t−1}), h_0 = 0
        h = torch.sigmoid(Wi @ torch.tensor(x) + Wh @ h)
        states.append(h)
    L = 0.5 * ((h - torch.tensor(np.asarray(p["y"], float))) ** 2).sum()
    L.backward()
    H = torch.stack(states).detach()
    # ∂h_3/∂h_k by autograd of the recurrence restarted at h_k, not by the statement's product formula
    step = lambda x, prev: torch.sigmoid(Wi.detach() @ torch.tensor(x) + Wh.detach() @ prev)  # noqa: E731
    xs = np.asarray(p["x"], float)

    def h3_from(k):
        def run(hk):
            for x in xs[k:]:
                hk = step(x, hk)
            return hk
        return torch.autograd.functional.jacobian(run, H[k - 1])

    norms = [torch.linalg.matrix_norm(h3_from(k), ord=2).item() for k in (1, 2)]
    return {"h": H, "L": L.item(), "dL/dWh": Wh.grad, "dL/dWi": Wi.grad, "jacobian_norms": norms}


def _lms_data(p):
    # the statement's recipe, typed as the statement gives it (the course's dataset.mat is not public)
    rng = np.random.default_rng(p["seed"])
    X = np.column_stack([np.ones(p["n"]), rng.standard_normal((p["n"], 2))])
    D = X @ np.array(p["true_w"], float) + p["noise"] * rng.standard_normal(p["n"])
    return X, D


def _lms(X, D, rate, epochs):
    W, curve = np.zeros(3), []
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(epochs):
            for x, d in zip(X, D):  # one sample per update, in row order
                W = W + rate * (d - x @ W) * x
            curve.append(np.mean((D - X @ W) ** 2))
    return W, curve


@computes("ece661-hw1/lab1")
def _lab1(raw, p):
    X, D = _lms_data(raw)
    W_star = np.linalg.solve(X.T @ X, X.T @ D)
    W, curve = _lms(X, D, p["rate"], p["epochs"])
    last = _lms(X, D, p["divergence_rate"], p["epochs"])[1][-1]
    return {"W_star": W_star, "mse_star": np.mean((D - X @ W_star) ** 2), "W_lms": W, "mse_curve": curve,
            "diverges": bool(not np.isfinite(last) or last > np.mean(D ** 2))}


def _conv1d_matrix():
    # Ỹ = A X̃ with y_{j,t} = Σ_i Σ_k w_k^{ij} x_{i,t+k−1}: rows y11, y12, y21, y22; columns x11..x14, x21..x24
    A = [["0"] * 8 for _ in range(4)]
    for j in (1, 2):
        for t in (1, 2):
            for i in (1, 2):
                for k in (1, 2, 3):
                    A[2 * (j - 1) + t - 1][4 * (i - 1) + t + k - 2] = f"w_{k}^{{{i}{j}}}"
    return A


@computes("coms573-hw5/q3a")
def _q3a(raw, p):
    return {"A": _conv1d_matrix()}


@computes("coms573-hw5/q3b")
def _q3b(raw, p):
    return {"B": [list(col) for col in zip(*_conv1d_matrix())]}  # the backward pass ∂L/∂X̃ = B ∂L/∂Ỹ with B = Aᵀ


@computes("cmu11785-hw1-written/linear_backward")
def _linear_backward(raw, p):
    # mytorch's Linear: Z = A Wᵀ + 1 bᵀ with W (C1, C0); autograd with the upstream gradient dLdZ
    A, W, b = _t(raw["A"]), _t(raw["W"]), _t(raw["b"])
    Z = A @ W.T + b
    Z.backward(torch.tensor(np.asarray(raw["dLdZ"], float)))
    return {"Z": Z, "dLdA": A.grad, "dLdW": W.grad, "dLdb": b.grad}


@computes("cmu11785-hw1-written/ce_batch")
def _ce_batch(raw, p):
    Z = _t(raw["Z"])
    Z.retain_grad()
    loss = torch.nn.functional.cross_entropy(Z, torch.tensor(raw["labels"]))  # the mean over the batch
    loss.backward()
    return {"softmax": torch.softmax(Z, dim=1), "loss": loss.item(), "dLdZ": Z.grad}


@computes("cmu11785-hw1-written/bn_backward")
def _bn_backward(raw, p):
    Z, g, b = _t(raw["Z"]), _t(raw["gamma"]), _t(raw["beta"])
    z_hat = (Z - Z.mean(0)) / Z.var(0, unbiased=False).sqrt()  # training mode, ε = 0 (torch's batch_norm wants ε > 0)
    (g * z_hat + b).backward(torch.tensor(np.asarray(raw["dLdBZ"], float)))
    return {"z_hat": z_hat, "dLdgamma": g.grad, "dLdbeta": b.grad, "dLdZ": Z.grad}


@computes("cs231n-a2-written/conv_naive")
def _conv_naive(raw, p):
    # conv_forward_naive: cross-correlation summed over the input channels, plus the bias (torch's conv2d)
    x = torch.tensor(np.asarray(raw["input"], float))[None]
    out = torch.nn.functional.conv2d(x, torch.tensor(np.asarray(raw["kernel"], float)),
                                     torch.tensor(np.asarray(raw["bias"], float)), stride=2, padding=1)[0]
    return {"shape": list(out.shape), "output.1": out[0], "output.2": out[1]}


@computes("cmu11785-hw2-written/conv1d_single")
def _conv1d_single(raw, p):
    # Conv1D with one channel in and out: torch's conv1d (cross-correlation), stride 2, no padding
    out = torch.nn.functional.conv1d(torch.tensor([[raw["input"]]], dtype=torch.float64),
                                     torch.tensor([[raw["kernel"]]], dtype=torch.float64),
                                     torch.tensor([raw["bias"]], dtype=torch.float64), stride=raw["stride"])[0, 0]
    return {"shape": list(out.shape), "output": out}


@computes("cmu11785-hw2-written/conv1d_channels")
def _conv1d_channels(raw, p):
    layer = torch.nn.Conv1d(2, 2, 3, stride=raw["stride"], dtype=torch.float64)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor(raw["kernel"], dtype=torch.float64))
        layer.bias.copy_(torch.tensor(raw["bias"], dtype=torch.float64))
        out = layer(torch.tensor([raw["input"]], dtype=torch.float64))[0]
    # multiply-accumulates: every output entry is kernel_size · in_channel products
    return {"shape": list(out.shape), "output": out, "macs": out.numel() * 3 * 2}


@pytest.mark.parametrize("qid", list(COMPUTED))
def test_the_reference_gives_the_computed_answers(qid):
    problem = CAT.resolve(qid)
    answers = CAT.solve(problem).answers
    for part, known in COMPUTED[qid](problem.params, problem.validated_params).items():
        got = answers[part]
        if isinstance(known, bool):
            assert got is known or got == known, (part, got)
        elif isinstance(known, list) and isinstance(known[0], list) and isinstance(known[0][0], str):
            assert [list(row) for row in got] == known, part
        else:
            known = known.detach().numpy() if isinstance(known, torch.Tensor) else np.asarray(known, float)
            np.testing.assert_allclose(np.asarray(got, dtype=float), known, rtol=1e-9, atol=1e-12, err_msg=part)


def test_the_lms_recipe_gives_the_catalog_figures():
    # CATALOG.md: true W = [1, 1, −2] with noise σ = 0.01, so W* lies within a few σ/√n of it and MSE(W*) ≈ σ²
    problem = CAT.resolve("ece661-hw1/lab1")
    got = _lab1(problem.params, problem.validated_params)
    np.testing.assert_allclose(got["W_star"], [1, 1, -2], atol=0.005)
    assert 0.5e-4 < got["mse_star"] < 2e-4 and got["diverges"] is True

"""ECE 449 assignment 2, task 1: a 3-2-1 ReLU network in NumPy, as the course's template defines it.

The template (``task1_template.py``, ZJU-UIUC ECE 449, Fall 2020) fixes the
interface: ``prelu`` is the *partial derivative* of ReLU (not a parametric
ReLU), the network has no biases, samples are rows of ``X`` (N×3), labels are
±1 and the loss is ``mean(½ (y − O)²)`` over the batch:

    H = W Xᵀ (2×N),  A = relu(H),  O = K A (N,)
    ∂L/∂O = (O − y) / N,  ∂L/∂K = A ∂L/∂O,  ∂L/∂W = ((K ⊗ ∂L/∂O) ∘ relu'(H)) X

>>> X = np.array([[1.0, 2.0, -1.0]]); W = np.array([[1.0, 0, 0], [0, 1, 1]]); K = np.array([1.0, -1])
>>> H, A, O = DNNforward(X, W, K)
>>> H.ravel().tolist(), O.tolist()
([1.0, 1.0], [0.0])
>>> [g.tolist() for g in DNNbackward(X, np.array([1.0]), W, K, H, A, O)]
[[[-1.0, -2.0, 1.0], [1.0, 2.0, -1.0]], [-1.0, -1.0]]
"""

from __future__ import annotations

import numpy as np


def relu(X: np.ndarray) -> np.ndarray:
    return np.maximum(X, 0.0)


def prelu(X: np.ndarray) -> np.ndarray:
    """relu'(X): 1 where X > 0, else 0 (the one-sided derivative 0 at X = 0)."""
    return (np.asarray(X) > 0).astype(float)


def DNNforward(X: np.ndarray, W: np.ndarray, K: np.ndarray):
    H = W @ X.T
    A = relu(H)
    O = K @ A
    return H, A, O


def loss(y: np.ndarray, O: np.ndarray) -> float:
    return float(np.mean(0.5 * (y - O) ** 2))


def DNNbackward(X, y, W, K, H, A, O, relu_grad=prelu):
    """(∂L/∂W, ∂L/∂K) of ``loss(y, O)``; ``relu_grad`` swaps in the convention at 0."""
    dO = (O - y) / len(y)  # the loss is a mean over the batch
    dK = A @ dO
    dH = np.outer(K, dO) * relu_grad(H)
    dW = dH @ X
    return dW, dK


def train(X, y, W, K, lr, num_epochs=10, batch_size=10, print_loss=False, last_sample=False):
    """The template's loop with the update filled in; returns (W_list, K_list), one entry per epoch.

    The template's ``end_idx = min((b+1)*batch_size, n-1)`` never uses the last
    sample; ``last_sample=True`` is the loop a student who "fixed" it wrote.
    Updates make new arrays, so each epoch's entry is that epoch's weights.
    """
    # task 1's own loss scales the step by exactly 1.0, so this is the template's update bit for bit
    return sgd_trajectory(X, y, W, K, lr, num_epochs, batch_size, last_sample=last_sample)


def accuracy(X, y, W, K) -> float:
    """The template's ``trainAcc``: sign of O (0 counts as +1 unless every O is 0)."""
    O = DNNforward(X, W, K)[2]
    pred = (O > 0) if np.min(O) == 0 else (O >= 0)
    return float(np.mean(np.where(pred, 1, -1) == y))


def digits_binary(n_features: int = 3, classes=(0, 1)):
    """scikit-learn's bundled 8×8 digits, two classes, projected on their first principal axes.

    Returns standardised X (N×n_features) and y ∈ {−1, +1}.
    """
    from .data import digits_arrays

    images, labels = digits_arrays()
    keep = np.isin(labels, classes)
    Z = images[keep] - images[keep].mean(axis=0)
    # principal axes from the 64×64 scatter matrix (eigh: cheaper than an SVD of Z), largest first
    _, vecs = np.linalg.eigh(Z.T @ Z)
    axes = vecs[:, ::-1][:, :n_features]
    axes = axes * np.where(axes[np.abs(axes).argmax(axis=0), range(n_features)] < 0, -1, 1)  # a fixed sign
    X = Z @ axes
    X = X / X.std(axis=0)
    y = np.where(labels[keep] == classes[0], 1.0, -1.0)
    return X, y


# How each loss a training loop may minimise scales task 1's gradient, mean(½ (y − O)²), on a batch of B.
LOSS_SCALES = {"half_mean": lambda B: 1.0, "mean": lambda B: 2.0, "half_sum": lambda B: float(B),
               "sum": lambda B: 2.0 * B}


def sgd_trajectory(X, y, W, K, lr, num_epochs, batch_size, last_sample=False, loss="half_mean"):
    """The template's loop on another loss (``LOSS_SCALES``): task 2's template minimises
    ``nn.MSELoss(reduction='sum')``, Σ (O − y)², whose gradient is 2B times task 1's."""
    scale = LOSS_SCALES[loss]
    W, K = np.array(W, dtype=float), np.array(K, dtype=float)
    W_list, K_list = [], []
    n = len(y)
    stop = n if last_sample else n - 1
    for _ in range(num_epochs):
        for b in range(int(np.ceil(n / batch_size))):
            start, end = b * batch_size, min((b + 1) * batch_size, stop)
            if end <= start:
                continue  # an empty batch: its gradient is zero
            H, A, O = DNNforward(X[start:end], W, K)
            dW, dK = DNNbackward(X[start:end], y[start:end], W, K, H, A, O)
            f = scale(end - start)
            W, K = W - lr * f * dW, K - lr * f * dK
        W_list.append(W)
        K_list.append(K)
    return W_list, K_list


def separable_clusters(num_samples: int = 400, seed: int = 449):
    """Two classes in uniform cubes of radius 1 around centres 2 to 4 apart on every axis, standardised:
    the kind of set the course's run notebooks train on (their generator draws from the global RNG;
    this one is seeded). Returns X (N×3) and y ∈ {+1, −1}."""
    rng = np.random.default_rng(seed)
    half = int(np.ceil(num_samples / 2))
    c1 = rng.uniform(-3, 6, size=3)
    c2 = c1 - rng.choice([-1, 1], 3) * rng.uniform(2, 4, size=3)
    X = np.vstack([rng.uniform(-1, 1, (half, 3)) + c1, rng.uniform(-1, 1, (num_samples - half, 3)) + c2])
    y = np.where(np.arange(num_samples) < half, 1.0, -1.0)
    order = rng.permutation(num_samples)
    X, y = X[order], y[order]
    return (X - X.mean(axis=0)) / X.std(axis=0), y

"""ECE 449 assignment 2, tasks 2 and 3 in PyTorch: the templates' functions, filled in.

Task 2 trains task 1's network (``models.get_DNN``) with ``torch.optim.SGD`` on
task 1's loss, mean(½ (y − O)²) over a mini-batch, batches in order: the same
arithmetic as ``mlp_numpy.train`` with every sample used, in float32. Task 3
trains LeNet-5 (``models.LeNet5``) with Adam on cross-entropy, the batches in a
fresh random order each epoch.

>>> model = get_DNN()
>>> losses = train_torch(model, torch.ones(4, 3), torch.tensor([1.0, -1, 1, -1]), lr=0.1, num_epochs=2, batch_size=2)
>>> len(losses), all(isinstance(v, float) for v in losses)
(2, True)
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .models import LeNet5, get_DNN

__all__ = ["get_DNN", "train_torch", "get_lenet", "train_cnn"]


def train_torch(model, X, y, lr, num_epochs=10, batch_size=10):
    """SGD on mean(½ (y − O)²), mini-batches in order; returns each epoch's mean loss over its samples."""
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(num_epochs):
        total = 0.0
        for i in range(0, len(X), batch_size):
            out = model(X[i : i + batch_size]).reshape(-1)  # (B, 1) → (B,): y − out must not broadcast to B×B
            loss = 0.5 * ((y[i : i + batch_size] - out) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(out)
        losses.append(total / len(X))
    return losses


def get_lenet() -> LeNet5:
    return LeNet5()


def train_cnn(model, X_train, y_train, num_epochs, batch_size, lr):
    """Adam on cross-entropy, a new random batch order each epoch; returns each epoch's mean training loss."""
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(num_epochs):
        model.train()
        order = torch.randperm(len(X_train))  # the global generator: the caller seeds it
        total = 0.0
        for i in range(0, len(X_train), batch_size):
            idx = order[i : i + batch_size]
            loss = F.cross_entropy(model(X_train[idx]), y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        losses.append(total / len(X_train))
    return losses

"""ECE 449 assignment 2, task 2 in PyTorch: the template's functions, filled in.

Task 2 is the course's ``train_torch(net, dataset_X, dataset_y, num_epochs, lr, batch_size)``
(task2_template.py, Fall 2020): numpy arrays in, SGD on ``nn.MSELoss(reduction='sum')`` over
mini-batches in order (the template's end_idx stops one sample short), (W_list, K_list) out. Task 3's
course-style solution is problems/ece449-a2/task3_solution.py (a ``[code]`` problem).

>>> import numpy as np
>>> W_list, K_list = train_torch(get_DNN(), np.ones((4, 3)), np.array([1.0, -1, 1, -1]), 2, 0.1, 2)
>>> len(W_list), W_list[0].shape, K_list[0].shape
(2, (2, 3), (2,))
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .models import get_DNN

__all__ = ["get_DNN", "train_torch"]


def _init_weights(m):
    if type(m) == nn.Linear:  # noqa: E721 - the template's test, exactly: subclasses keep their weights
        torch.nn.init.uniform_(m.weight, -0.2, 0.2)


def train_torch(net, dataset_X, dataset_y, num_epochs, lr, batch_size, reinit=True):
    """The template's loop with the gradient step written; ``reinit=False`` keeps the net's weights."""
    trainer = torch.optim.SGD(net.parameters(), lr=lr)
    loss = nn.MSELoss(reduction="sum")
    net = net.double()
    if reinit:
        net.apply(_init_weights)
    W_list, K_list = [], []
    n = len(dataset_y)
    for _ in range(num_epochs):
        for b in range(int(np.ceil(n / batch_size))):
            start, end = b * batch_size, min((b + 1) * batch_size, n - 1)
            X = torch.from_numpy(dataset_X[start:end]).double()
            y = torch.from_numpy(dataset_y[start:end, np.newaxis]).double()
            trainer.zero_grad()
            loss(net(X), y).backward()
            trainer.step()
        W_list.append(net[0].weight.detach().numpy().copy())  # copies: each epoch's own weights
        K_list.append(net[2].weight.detach().numpy()[0].copy())
    return W_list, K_list

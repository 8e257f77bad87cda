"""ece449-a2 task2.py and task3.py files, written as students fill the course's templates (shared by the module tests)."""

from __future__ import annotations

# Filled in the way the course's task2_template.py is: its pre-filled lines kept (SGD, nn.MSELoss(reduction='sum'),
# net.double(), init_weights, the loop with end_idx one short, W_list of detach().numpy() views) and the
# student's four lines written at {step}; {dnn} is get_DNN's network.
TASK2_FILLED = '''
import torch
from torch import nn
import numpy as np


def get_DNN():
    net = {dnn}
    return net


def train_torch(net, dataset_X, dataset_y, num_epochs, lr, batch_size):
    if len(net) > 0:
        trainer = torch.optim.SGD(net.parameters(), lr=lr)
    loss = nn.MSELoss(reduction='sum')
    W_list, K_list = [], []
    if isinstance(net, torch.nn.Module):
        net = net.double()
        net = net.apply(init_weights)
        net.train()
    dataset_size = len(dataset_y)
    for epoch in range(num_epochs):
        for batch_idx in range(int(np.ceil(dataset_size/batch_size))):
            start_idx = batch_idx * batch_size
            end_idx = min((batch_idx+1)*batch_size, dataset_size-1)
            X = torch.from_numpy(dataset_X[start_idx:end_idx]).double()
            y = torch.from_numpy(dataset_y[start_idx:end_idx, np.newaxis]).double()
{step}
        if len(net) >= 2:
            W_list.append(net[0].weight.detach().numpy())
            K_list.append(net[2].weight.detach().numpy()[0])
    return W_list, K_list


def accuracy(y_hat, y):
    y_hat[y_hat >= 0] = 1
    y_hat[y_hat < 0] = -1
    return float((y_hat == y).sum())/len(y)


def init_weights(m):
    if type(m) == nn.Linear:
        torch.nn.init.uniform_(m.weight, -0.2, 0.2)
'''

DNN = "nn.Sequential(nn.Linear(3, 2, bias=False), nn.ReLU(), nn.Linear(2, 1, bias=False))"
STEP = ("            trainer.zero_grad()\n            l = loss(net(X), y)\n            l.backward()\n"
        "            trainer.step()")


def task2(dnn: str = DNN, step: str = STEP) -> str:
    return TASK2_FILLED.format(dnn=dnn, step=step)


# The same student lines, but W_list built from copies (clone()), so each entry is its own epoch's weights.
def task2_copies(step: str = STEP) -> str:
    return task2(step=step).replace("net[0].weight.detach().numpy()", "net[0].weight.detach().clone().numpy()") \
        .replace("net[2].weight.detach().numpy()[0]", "net[2].weight.detach().clone().numpy()[0]")


TASK3 = '''
import torch
import torch.nn as nn
import torch.nn.functional as F


class Reshape(torch.nn.Module):
    def forward(self, x):
        return x.view(-1, 1, 28, 28)


def get_lenet():
    net = torch.nn.Sequential(
        Reshape(),
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), {fc1},
        nn.Linear(120, 84), nn.Sigmoid(),
        nn.Linear(84, 10))
    return net


def train_cnn(model, X_train, y_train, num_epochs, batch_size, lr):
    data = torch.utils.data.TensorDataset(X_train, y_train)
    loader = torch.utils.data.DataLoader(data, batch_size=batch_size, shuffle=True)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    criterion = nn.CrossEntropyLoss()
    losses = []
    for epoch in range(num_epochs):
        total, seen = 0.0, 0
        for xb, yb in loader:
            loss = criterion(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            {step}
            total += loss.item() * len(yb)
            seen += len(yb)
        losses.append(total / seen)
    return losses
'''


def task3(fc1: str = "nn.Sigmoid()", step: str = "optimizer.step()") -> str:
    """TASK3 (get_lenet as the course's template has it) with fc1's activation or the optimizer step replaced."""
    return TASK3.format(fc1=fc1, step=step)

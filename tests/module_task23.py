"""Correct ece449-a2 task2.py and task3.py files, written as students do (shared by the module tests)."""

from __future__ import annotations

TASK2 = '''
import torch
import torch.nn as nn


def get_DNN():
    return nn.Sequential(nn.Linear(3, 2, bias=False), nn.ReLU(), nn.Linear(2, 1, bias=False))


def train_torch(model, X, y, lr, num_epochs=10, batch_size=10):
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for epoch in range(num_epochs):
        batch_losses = []
        for i in range(0, len(X), batch_size):
            O = model(X[i:i + batch_size]).squeeze(1)
            loss = 0.5 * ((y[i:i + batch_size] - O) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            batch_losses.append(loss.item())
        losses.append(sum(batch_losses) / len(batch_losses))
    return losses
'''

# Also right, by other conventions: a module class, task 1's template loop (the last sample never used),
# 0.5 * nn.MSELoss, and the loss on all of X after each epoch returned as tensors.
TASK2_TEMPLATE_STYLE = '''
import math

import torch
import torch.nn as nn


class DNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(3, 2, bias=False)
        self.out = nn.Linear(2, 1, bias=False)

    def forward(self, x):
        return self.out(torch.relu(self.hidden(x)))


def get_DNN():
    return DNN()


def train_torch(model, X, y, lr, num_epochs=10, batch_size=10):
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    criterion = nn.MSELoss()
    n = len(y)
    losses = []
    for epoch in range(num_epochs):
        for b in range(math.ceil(n / batch_size)):
            start, end = b * batch_size, min((b + 1) * batch_size, n - 1)
            if end <= start:
                continue
            loss = 0.5 * criterion(model(X[start:end]).view(-1), y[start:end])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            losses.append(0.5 * criterion(model(X).view(-1), y))
    return losses
'''

TASK3 = '''
import torch
import torch.nn as nn
import torch.nn.functional as F


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.view(x.size(0), -1)
        x = {fc1}
        x = F.relu(self.fc2(x))
        return self.fc3(x)


def get_lenet():
    return LeNet()


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


def task3(fc1: str = "F.relu(self.fc1(x))", step: str = "optimizer.step()") -> str:
    """TASK3 with fc1's line or the optimizer step replaced."""
    return TASK3.format(fc1=fc1, step=step)

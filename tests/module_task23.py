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


# Filled in the way the course's task3_template.py is: its pre-filled helpers kept (Reshape, try_gpu, Accumulator,
# accuracy, evaluate_accuracy_try_gpu), its torchvision import and load_data_fashion_mnist left out (the run
# notebook's), and train_cnn written as the course's textbook writes it: {init} re-draws the weights,
# {to_device} moves the net, {zero_grad} and {step} are the optimizer's calls.
TASK3 = '''
import torch
from torch import nn
from torch.utils import data


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


def try_gpu(i=0):
    if torch.cuda.device_count() >= i + 1:
        return torch.device(f'cuda:{{i}}')
    return torch.device('cpu')


class Accumulator:
    def __init__(self, n):
        self.data = [0.0] * n
    def add(self, *args):
        self.data = [a + float(b) for a, b in zip(self.data, args)]
    def reset(self):
        self.data = [0.0] * len(self.data)
    def __getitem__(self, idx):
        return self.data[idx]


def accuracy(y_hat, y):
    if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(axis=1)
    cmp = y_hat.type(y.dtype) == y
    return float((cmp.type(y.dtype)).sum())


def evaluate_accuracy_try_gpu(net, data_iter, device=None):
    if len(net) <= 2:
        return None
    net.eval()
    if not device:
        device = next(iter(net.parameters())).device
    metric = Accumulator(2)
    for X, y in data_iter:
        X, y = X.to(device), y.to(device)
        metric.add(accuracy(net(X), y), y.numel())
    return metric[0] / metric[1]


def train_cnn(net, train_iter, test_iter, num_epochs, lr, device=try_gpu()):
    def init_weights(m):
        if type(m) == nn.Linear or type(m) == nn.Conv2d:
            nn.init.xavier_uniform_(m.weight)
    {init}
    {to_device}
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    loss = nn.CrossEntropyLoss()
    for epoch in range(num_epochs):
        metric = Accumulator(3)
        net.train()
        for i, (X, y) in enumerate(train_iter):
            {zero_grad}
            X, y = {move}
            y_hat = net(X)
            l = loss(y_hat, y)
            l.backward()
            {step}
            with torch.no_grad():
                metric.add(l * X.shape[0], accuracy(y_hat, y), X.shape[0])
        test_acc = evaluate_accuracy_try_gpu(net, test_iter)
        print(f'epoch {{epoch + 1}}, loss {{metric[0] / metric[2]:.3f}}, train acc {{metric[1] / metric[2]:.3f}}, '
              f'test acc {{test_acc:.3f}}')
'''


def task3(fc1: str = "nn.Sigmoid()", step: str = "optimizer.step()", zero_grad: str = "optimizer.zero_grad()",
          init: str = "net.apply(init_weights)", to_device: str = "net.to(device)",
          move: str = "X.to(device), y.to(device)") -> str:
    """TASK3 (get_lenet and train_cnn as the course's template has them) with one line replaced."""
    return TASK3.format(fc1=fc1, step=step, zero_grad=zero_grad, init=init, to_device=to_device, move=move)

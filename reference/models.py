"""The torch models the assignments prescribe, written once and shared.

Training (``reference/training.py``), the benchmark and the module checks that
grade a student's ``LeNet``/``get_resnet``/``PyTorchCNN`` all build these same
classes, so a parameter count or an output shape has one source of truth.

| name         | assignment          | input      | parameters (10 classes) |
|--------------|---------------------|------------|-------------------------|
| SimpleNN     | ece661-hw1 lab 2    | 3×32×32    | 38,170                  |
| LeNet5       | ece449-a2, coms573  | 3×32×32    | 62,006                  |
| ResNet18     | ece449-a2 task 4    | 3×32×32    | 11,173,962              |
| PyTorchANN   | cs37300-hw4 part 2  | 784        | 784·h + h + h·10 + 10   |
| PyTorchCNN   | cs37300-hw4 part 3  | 1×28×28    | 422,986                 |

>>> count_params(LeNet5())
62006

torch is imported at the top: this module is never on the answers path
(``gradekit check`` of an answers file imports only ``reference/families``).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

LENET5_PARAMS = 62006
RESNET18_PARAMS = 11_173_962


def count_params(model: nn.Module) -> int:
    """Trainable parameters (BatchNorm's running statistics are buffers, not counted)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def _conv_out(n: int, kernel: int, stride: int = 1, padding: int = 0) -> int:
    # the output-size formula of the assignments: (n − k + 2p) / s + 1, floored
    return (n - kernel + 2 * padding) // stride + 1


class SimpleNN(nn.Module):
    """ece661-hw1 lab 2, Table 1: three conv/max-pool stages, then FC32 and FC10.

    The lab's CONV class defaults to ``bias=False`` (its Table 2 counts 1200,
    2304 and 25088 weights), and Table 1 lists ReLU after FC2 as well, which the
    lab's code applies to the output (``out = F.relu(x)``); ``relu_out=False``
    gives plain logits for training experiments.

    >>> SimpleNN()(torch.zeros(5, 3, 32, 32)).shape
    torch.Size([5, 10])
    """

    def __init__(self, in_channels: int = 3, num_classes: int = 10, input_size: int = 32, relu_out: bool = True):
        super().__init__()
        self.relu_out = relu_out
        self.conv1 = nn.Conv2d(in_channels, 16, kernel_size=5, stride=1, padding=2, bias=False)
        self.conv2 = nn.Conv2d(16, 16, kernel_size=3, stride=1, padding=2, bias=False)
        self.conv3 = nn.Conv2d(16, 32, kernel_size=7, stride=1, padding=2, bias=False)
        n = _conv_out(_conv_out(input_size, 5, 1, 2), 4, 2)  # conv1, pool 4/2
        n = _conv_out(_conv_out(n, 3, 1, 2), 3, 2)  # conv2, pool 3/2
        n = _conv_out(_conv_out(n, 7, 1, 2), 2, 2)  # conv3, pool 2/2
        self.fc1 = nn.Linear(32 * n * n, 32)
        self.fc2 = nn.Linear(32, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(F.relu(self.conv1(x)), kernel_size=4, stride=2)
        x = F.max_pool2d(F.relu(self.conv2(x)), kernel_size=3, stride=2)
        x = F.max_pool2d(F.relu(self.conv3(x)), kernel_size=2, stride=2)
        x = F.relu(self.fc1(torch.flatten(x, 1)))
        x = self.fc2(x)
        return F.relu(x) if self.relu_out else x


class LeNet5(nn.Module):
    """LeNet-5 as ece449-a2 and coms573-hw5 prescribe: conv5×6 → pool2 → conv5×16 → pool2 → FC120 → FC84 → FC(classes).

    ReLU after both convolutions and the first two FC layers; max pooling for
    the sub-sampling. 62,006 parameters for 3×32×32 inputs and 10 classes.

    >>> LeNet5()(torch.zeros(2, 3, 32, 32)).shape
    torch.Size([2, 10])
    """

    def __init__(self, in_channels: int = 3, num_classes: int = 10, input_size: int = 32):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 6, kernel_size=5)
        self.conv2 = nn.Conv2d(6, 16, kernel_size=5)
        n = _conv_out(_conv_out(_conv_out(_conv_out(input_size, 5), 2, 2), 5), 2, 2)
        self.fc1 = nn.Linear(16 * n * n, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


class Residual(nn.Module):
    """The basic residual block (d2l's ``Residual`` signature, as ece449-a2's task 4 uses).

    Y = ReLU(BN(conv3×3(ReLU(BN(conv3×3(X))))) + shortcut(X)), where the
    shortcut is the identity, or a strided 1×1 conv with BatchNorm when the
    shape changes. Convolutions carry no bias: the BatchNorm after each one
    has its own shift, so a bias would be a redundant parameter.

    >>> Residual(64, 128, use_1x1conv=True, strides=2)(torch.zeros(1, 64, 8, 8)).shape
    torch.Size([1, 128, 4, 4])
    """

    def __init__(self, input_channels: int, num_channels: int, use_1x1conv: bool = False, strides: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(input_channels, num_channels, 3, stride=strides, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(num_channels)
        self.conv2 = nn.Conv2d(num_channels, num_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(num_channels)
        self.shortcut = nn.Identity()
        if use_1x1conv:
            self.shortcut = nn.Sequential(
                nn.Conv2d(input_channels, num_channels, 1, stride=strides, bias=False), nn.BatchNorm2d(num_channels)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + self.shortcut(x))


def _stage(input_channels: int, num_channels: int, num_residuals: int, first: bool) -> nn.Sequential:
    # the first block of every stage but the first halves the resolution and widens the channels
    blocks = []
    for i in range(num_residuals):
        if i == 0 and not first:
            blocks.append(Residual(input_channels, num_channels, use_1x1conv=True, strides=2))
        else:
            blocks.append(Residual(num_channels, num_channels))
    return nn.Sequential(*blocks)


class ResNet18(nn.Sequential):
    """ResNet-18 for CIFAR-10: a 3×3 stem without max-pool (32×32 images are too small
    for the ImageNet 7×7/stride-2 stem), four stages of two blocks (64, 128, 256, 512),
    global average pooling and one FC layer. 11,173,962 parameters for 10 classes.

    >>> ResNet18()(torch.zeros(2, 3, 32, 32)).shape
    torch.Size([2, 10])
    """

    def __init__(self, in_channels: int = 3, num_classes: int = 10):
        super().__init__(
            nn.Sequential(nn.Conv2d(in_channels, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU()),
            _stage(64, 64, 2, first=True),
            _stage(64, 128, 2, first=False),
            _stage(128, 256, 2, first=False),
            _stage(256, 512, 2, first=False),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Linear(512, num_classes),
        )


def get_resnet(num_classes: int = 10, in_channels: int = 3) -> ResNet18:
    """ece449-a2's entry point: a fresh CIFAR ResNet-18."""
    return ResNet18(in_channels=in_channels, num_classes=num_classes)


# --- ece449-a2 as its starter files have it (task3_template.py, Fall 2020) --------------------------------------

class Reshape(nn.Module):
    """task3_template.py's first layer: any input viewed as (N, 1, 28, 28) Fashion-MNIST images."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.view(-1, 1, 28, 28)


def lenet_fashion(num_classes: int = 10) -> nn.Sequential:
    """ece449-a2 task 3: the template's LeNet on 1×28×28 images, sigmoid activations and average pooling,
    padding 2 on the first convolution (the layer shapes its ``get_correct_lenet_shape_str`` prints).

    >>> count_params(lenet_fashion()), lenet_fashion()(torch.zeros(2, 1, 28, 28)).shape
    (61706, torch.Size([2, 10]))
    """
    return nn.Sequential(
        Reshape(), nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2), nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(), nn.Linear(120, 84), nn.Sigmoid(), nn.Linear(84, num_classes))


# --- cs37300-hw4 ------------------------------------------------------------------

def _as_labels(y) -> torch.Tensor:
    y = torch.as_tensor(np.asarray(y))
    return y.argmax(1) if y.ndim == 2 else y.long()


class _HandoutMethods:
    """The handout's ``train``/``predict``/``accuracy`` methods, shared by both cs37300 models.

    The handout names its fit method ``train``, which shadows ``nn.Module.train(mode)``;
    called with a bool (as ``model.eval()`` does) it still switches the mode, so
    dropout and BatchNorm behave.
    """

    def train(self, X_train=True, y_train=None, X_val=None, y_val=None, epochs: int = 10, batch_size: int = 64, lr: float = 0.01):
        if isinstance(X_train, bool):
            return nn.Module.train(self, X_train)
        # SGD over mini-batches in order, CrossEntropyLoss, as handout §2.3 describes
        loss_fn = nn.CrossEntropyLoss()
        opt = torch.optim.SGD(self.parameters(), lr=lr)
        X, y = torch.as_tensor(X_train, dtype=torch.float32), _as_labels(y_train)
        history: dict[str, list[float]] = {"train_loss": [], "train_acc": [], "val_loss": [], "val_acc": []}
        for _ in range(epochs):
            nn.Module.train(self, True)
            for i in range(0, len(X), batch_size):
                opt.zero_grad()
                loss = loss_fn(self.forward(X[i : i + batch_size]), y[i : i + batch_size])
                loss.backward()
                opt.step()
            for split, (Xs, ys) in (("train", (X, y)), ("val", (X_val, y_val))):
                if Xs is None:
                    continue
                loss, acc = self._evaluate(torch.as_tensor(Xs, dtype=torch.float32), _as_labels(ys), loss_fn)
                history[f"{split}_loss"].append(loss)
                history[f"{split}_acc"].append(acc)
        self.history = history
        return history

    @torch.no_grad()
    def _evaluate(self, X, y, loss_fn) -> tuple[float, float]:
        nn.Module.train(self, False)
        out = self.forward(X)
        return float(loss_fn(out, y)), float((out.argmax(1) == y).float().mean())

    @torch.no_grad()
    def predict(self, X) -> torch.Tensor:
        nn.Module.train(self, False)
        return torch.argmax(self.forward(torch.as_tensor(X, dtype=torch.float32)), dim=1)

    def accuracy(self, X, y_true) -> float:
        return float((self.predict(X) == _as_labels(y_true)).float().mean())


class PyTorchANN(_HandoutMethods, nn.Module):
    """cs37300-hw4 §2: Linear(input, hidden) → ReLU → Linear(hidden, output), seeded with torch.manual_seed.

    >>> PyTorchANN(784, 128, 10).forward(torch.zeros(3, 784)).shape
    torch.Size([3, 10])
    """

    def __init__(self, input_size: int = 784, hidden_size: int = 128, output_size: int = 10, seed: int = 0):
        super().__init__()
        self.input_size, self.hidden_size, self.output_size, self.seed = input_size, hidden_size, output_size, seed
        torch.manual_seed(seed)  # the handout's contract: the seed fixes the initial weights
        self.model = nn.Sequential(nn.Linear(input_size, hidden_size), nn.ReLU(), nn.Linear(hidden_size, output_size))

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.model(torch.flatten(X, 1))


def _cnn_block(cin: int, cout: int) -> list[nn.Module]:
    # the handout's order: conv → ReLU → max-pool → BatchNorm → dropout
    return [nn.Conv2d(cin, cout, 3, stride=1, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.BatchNorm2d(cout), nn.Dropout(0.3)]


class PyTorchCNN(_HandoutMethods, nn.Module):
    """cs37300-hw4 §3.1: four blocks (32, 64, 128, 256 channels), then Flatten → FC 256→128 → ReLU → FC 128→classes.

    For 1×28×28 inputs the four 2×2 pools leave 256×1×1, hence FC 256→128.

    >>> PyTorchCNN().forward(torch.zeros(2, 1, 28, 28)).shape
    torch.Size([2, 10])
    """

    def __init__(self, num_classes: int = 10, seed: int | None = None):
        super().__init__()
        self.num_classes = num_classes
        if seed is not None:
            torch.manual_seed(seed)
        self.model = nn.Sequential(
            *_cnn_block(1, 32),
            *_cnn_block(32, 64),
            *_cnn_block(64, 128),
            *_cnn_block(128, 256),
            nn.Flatten(),
            nn.Linear(256, 128),
            nn.ReLU(),
            nn.Linear(128, num_classes),
        )

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.model(X)

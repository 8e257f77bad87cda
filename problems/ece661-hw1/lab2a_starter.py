# ECE 661 HW1, Lab 2 (SimpleNN.ipynb) as students receive it: code blocks 1-2 (the imports, the lab's CONV and
# FC), then block 3, SimpleNN to build following Table 1.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.modules.utils import _pair


class CONV(nn.Conv2d):
    """nn.Conv2d without bias by default, keeping its input and output (the lab's code block 2)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=False, padding_mode="zeros"):
        self.input = None
        self.output = None
        super().__init__(in_channels, out_channels, _pair(kernel_size), _pair(stride), _pair(padding),
                         _pair(dilation), groups, bias, padding_mode)

    def forward(self, input):
        self.input = input
        self.output = super().forward(input)
        return self.output


class FC(nn.Linear):
    """nn.Linear keeping its input and output (the lab's code block 2)."""

    def __init__(self, in_features, out_features, bias=True):
        self.input = None
        self.output = None
        super().__init__(in_features, out_features, bias)

    def forward(self, input):
        self.input = input
        self.output = F.linear(input, self.weight, self.bias)
        return self.output


"""
Lab 2(a)
Build the SimpleNN model by following Table 1
"""


class SimpleNN(nn.Module):
    """Table 1's network, built from CONV and FC.

    forward(x): x is a batch of images (N, 3, 32, 32); returns (N, 10), after the final ReLU."""

    def __init__(self):
        super(SimpleNN, self).__init__()
        # TODO: define the layers of Table 1 with CONV and FC
        raise NotImplementedError

    def forward(self, x):
        # TODO: Table 1's forward pass, ReLU after every conv and FC layer
        raise NotImplementedError

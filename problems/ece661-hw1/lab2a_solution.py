# ECE 661 HW1, Lab 2(a), a course-style solution: code blocks 1-2 as the handout gives them, block 3 filled in
# following Table 1 (Fall 2023 handout): conv 5x5/16, max-pool 4/2, conv 3x3/16, max-pool 3/2, conv 7x7/32,
# max-pool 2/2, FC 32, FC 10, ReLU after every conv and FC layer; padding 2 for the convolutions.
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


class SimpleNN(nn.Module):
    def __init__(self):
        super(SimpleNN, self).__init__()
        self.conv1 = CONV(3, 16, 5, stride=1, padding=2)
        self.conv2 = CONV(16, 16, 3, stride=1, padding=2)
        self.conv3 = CONV(16, 32, 7, stride=1, padding=2)
        self.fc1 = FC(32 * 3 * 3, 32)
        self.fc2 = FC(32, 10)

    def forward(self, x):
        out = F.relu(self.conv1(x))
        out = F.max_pool2d(out, kernel_size=4, stride=2)
        out = F.relu(self.conv2(out))
        out = F.max_pool2d(out, kernel_size=3, stride=2)
        out = F.relu(self.conv3(out))
        out = F.max_pool2d(out, kernel_size=2, stride=2)
        out = torch.flatten(out, 1)
        out = F.relu(self.fc1(out))
        out = F.relu(self.fc2(out))
        return out

# COM S 573 homework 5, question 4: a course-style solution.py (its LeNet class). Parts (a)-(c) edit the same
# class, as the handout's docstring ("the architecture in the homework part 4(c)") and the students' copies do:
# (a) LeNet-5 for 3x32x32 images: conv 5x5/6 -> ReLU -> max-pool 2 -> conv 5x5/16 -> ReLU -> max-pool 2 ->
# flatten -> FC 120 -> ReLU -> FC 84 -> ReLU -> FC n_classes; (b) batch norm after each convolution
# (BatchNorm2d) and after FC 120 and FC 84 (BatchNorm1d), before the ReLU; (c) dropout before the output layer.
import torch
import torch.nn as nn


class LeNet(nn.Module):
    def __init__(self, n_classes=None):
        super(LeNet, self).__init__()
        self.conv1 = nn.Conv2d(3, 6, kernel_size=5)
        self.bn1 = nn.BatchNorm2d(6)
        self.conv2 = nn.Conv2d(6, 16, kernel_size=5)
        self.bn2 = nn.BatchNorm2d(16)
        self.pool = nn.MaxPool2d(kernel_size=2, stride=2)
        self.relu = nn.ReLU()
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.bn3 = nn.BatchNorm1d(120)
        self.fc2 = nn.Linear(120, 84)
        self.bn4 = nn.BatchNorm1d(84)
        self.dropout = nn.Dropout(p=0.5)
        self.fc3 = nn.Linear(84, n_classes)

    def forward(self, x):
        x = self.pool(self.relu(self.bn1(self.conv1(x))))
        x = self.pool(self.relu(self.bn2(self.conv2(x))))
        x = x.view(x.size(0), -1)
        x = self.relu(self.bn3(self.fc1(x)))
        x = self.relu(self.bn4(self.fc2(x)))
        x = self.dropout(x)
        return self.fc3(x)

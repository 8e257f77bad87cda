"""A broken ece449-a2 task1.py: each function fails a different way (tests/test_vocab_golden.py)."""
import sys

import numpy as np


def relu(X):
    raise NotImplementedError


def prelu(X):
    raise ValueError("no derivative today")


def DNNforward(X, W, K):
    sys.exit(4)


def train(X, y, W, K, lr, num_epochs=10, batch_size=10, print_loss=False):
    return {"W": W}

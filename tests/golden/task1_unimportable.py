"""An ece449-a2 task1.py whose import fails (tests/test_vocab_golden.py): a CallResult of kind import."""
import numpy as np

raise RuntimeError("this file cannot be imported")


def relu(X):
    return np.maximum(X, 0)

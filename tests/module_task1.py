"""A correct ece449-a2 task1.py, and helpers to grade variants of it (shared by the module tests)."""

from __future__ import annotations

from pathlib import Path

from gradekit.grading.grade import grade
from gradekit.sandbox.process import Limits
from tests.timing import call_budget

CORRECT = '''
import numpy as np

def relu(X):
    return np.maximum(X, 0)

def prelu(X):
    return (X > 0).astype(float)

def DNNforward(X, W, K):
    H = W @ X.T
    A = np.maximum(H, 0)
    return H, A, K @ A

def DNNbackward(X, y, W, K, H, A, O):
    d = (O - y) / len(y)
    return (np.outer(K, d) * (H > 0)) @ X, A @ d

def train(X, y, W, K, lr, num_epochs=10, batch_size=10, print_loss=False):
    W_list, K_list = [], []
    n = len(y)
    for epoch in range(num_epochs):
        for b in range(int(np.ceil(n / batch_size))):
            s, e = b * batch_size, min((b + 1) * batch_size, n - 1)
            H = W @ X[s:e].T  # inline, not DNNforward/DNNbackward: a test breaks one function at a time
            A = np.maximum(H, 0)
            d = (K @ A - y[s:e]) / (e - s)
            gW, gK = (np.outer(K, d) * (H > 0)) @ X[s:e], A @ d
            W = W - lr * gW
            K = K - lr * gK
        W_list.append(W)
        K_list.append(K)
    return W_list, K_list
'''

POINTS = {"relu": 3, "prelu": 2, "DNNforward": 5, "DNNbackward": 5, "train": 5}
# Short call budgets (CPU seconds, from a measured start-up) keep the hanging cases quick; train takes ~30 ms.
FAST = Limits(cpu_seconds=30, wall_seconds=call_budget("numpy"))
# for a child that imports torch (a notebook of several assignments, a torch module)
TORCH_FAST = Limits(cpu_seconds=60, wall_seconds=call_budget("torch"))


def grade_source(tmp_path: Path, source: str, name: str = "task1.py", **kw):
    """Grade ``source`` saved as ``name``; returns (report, {part: PartResult})."""
    path = tmp_path / name
    path.write_text(source)
    report = grade(path, limits=kw.pop("limits", FAST), **kw)
    return report, {p.name: p for p in report.problems[0].parts}


def with_override(header: str = "", **functions: str) -> str:
    """CORRECT with ``header`` run at import first and some functions redefined after."""
    return header + "\n" + CORRECT + "\n" + "\n".join(functions.values()) + "\n"


# Filled in the way the course's task1_template.py is: its pre-filled loop (DNNforward called on each batch,
# end_idx stopping one sample short), loss, DNNinference and trainAcc kept; the student's lines call
# DNNbackward and update W and K. {forward}, {backward} and {update} are the student's parts.
TEMPLATE_FILLED = '''
import numpy as np
import time

def relu(X):
    return np.where(X > 0, X, 0.0)

def prelu(X):
    return np.where(X > 0, 1.0, 0.0)

def DNNforward(X, W, K):
{forward}

def DNNbackward(X, y, W, K, H, A, O):
{backward}

def train(X, y, W, K, lr, num_epochs=10, batch_size=10, print_loss=False):
    W_list, K_list = [], []
    dataset_size = len(y)
    for epoch in range(num_epochs):
        for batch_idx in range(int(np.ceil(dataset_size/batch_size))):
            start_idx = batch_idx * batch_size
            end_idx = min((batch_idx+1)*batch_size, dataset_size-1)
            H, A, O = DNNforward(X[start_idx:end_idx], W, K)
            if print_loss:
                print("Epoch", epoch + 1, "loss", loss(y[start_idx:end_idx], O))
            pLpW, pLpK = DNNbackward(X[start_idx:end_idx], y[start_idx:end_idx], W, K, H, A, O)
{update}
        W_list.append(W)
        K_list.append(K)
    return W_list, K_list

def loss(y, O):
    return np.mean(1/2 * (y-O)**2)

def DNNinference(X, W, K):
    _, _, y_pred = DNNforward(X, W, K)
    y_pred = np.array(y_pred >= 0, dtype=int)
    y_pred[y_pred == 0] = -1
    return y_pred

def trainAcc(X, y, W, K):
    return np.mean(DNNinference(X, W, K) == y)
'''

FORWARD = "    H = np.dot(W, X.T)\n    A = relu(H)\n    O = np.dot(K, A)\n    return H, A, O"
BACKWARD = ("    n = X.shape[0]\n    dO = (O - y) / n\n    pLpK = np.dot(A, dO)\n"
            "    pLpW = np.dot(K[:, None] * prelu(H) * dO[None, :], X)\n    return pLpW, pLpK")
# the same maths with one row per sample: H and A are N×2
FORWARD_T = "    H = X @ W.T\n    A = relu(H)\n    O = A @ K\n    return H, A, O"
BACKWARD_T = ("    dO = (O - y) / len(y)\n    pLpK = A.T @ dO\n"
              "    pLpW = (dO[:, None] * K[None, :] * prelu(H)).T @ X\n    return pLpW, pLpK")
UPDATE = "            W = W - lr * pLpW\n            K = K - lr * pLpK"
UPDATE_IN_PLACE = "            W -= lr * pLpW\n            K -= lr * pLpK"  # one array for every epoch


def filled(forward: str = FORWARD, backward: str = BACKWARD, update: str = UPDATE) -> str:
    return TEMPLATE_FILLED.format(forward=forward, backward=backward, update=update)

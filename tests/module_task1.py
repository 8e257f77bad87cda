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

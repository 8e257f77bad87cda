"""mytorch's Linear on a batch, as the course writes it: A is (N, C0), W is (C1, C0), b is (C1, 1)."""

import numpy as np


def solve(params):
    A, W = np.array(params["A"], float), np.array(params["W"], float)
    b = np.array(params["b"], float).reshape(-1, 1)
    dLdZ = np.array(params["dLdZ"], float)
    ones = np.ones((A.shape[0], 1))
    return {
        "Z": A @ W.T + ones @ b.T,
        "dLdA": dLdZ @ W,
        "dLdW": dLdZ.T @ A,
        "dLdb": (dLdZ.T @ ones).ravel(),
    }


def mistakes(params):
    from gradekit.plugin import Mistake

    right, N = solve(params), len(params["A"])
    return [Mistake("scope", f"dLdW and dLdb are divided by N = {N}: they sum over the batch",
                    {"dLdW": right["dLdW"] / N, "dLdb": right["dLdb"] / N})]

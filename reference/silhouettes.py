"""A Fashion-MNIST-shaped data set the grader holds offline: 1×28×28 images in [0, 1], 10 classes.

ece449-a2 task 3 trains the template's sigmoid / average-pool LeNet with plain SGD (the run notebook's
lr 0.9–1.1). That network sits on a plateau at chance for a few hundred steps on any data before it
learns (its sigmoids squash the class signal layer by layer), so the set must be one it learns soon
after: each class is a filled box ("silhouette") of its own height and width, so its own brightness,
jittered by up to 2 pixels and covered in Gaussian noise. Drawn from a seeded generator: the same
images on every machine, no download.

>>> X, y = silhouettes(4, seed=0)
>>> X.shape, X.dtype.name, y.dtype.name, float(X.min()) >= 0.0, float(X.max()) <= 1.0
((4, 1, 28, 28), 'float32', 'int64', True, True)
"""

from __future__ import annotations

import numpy as np

__all__ = ["silhouettes", "HEIGHTS", "WIDTHS"]

# class k's box is HEIGHTS[k] × WIDTHS[k] pixels, centred; no two classes share a shape
HEIGHTS = (6, 10, 14, 18, 22, 24, 8, 20, 12, 16)
WIDTHS = (22, 20, 6, 16, 10, 24, 12, 8, 18, 14)
NOISE = 0.3
JITTER = 2


def silhouettes(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` images (float32, (n, 1, 28, 28), clipped to [0, 1]) and their classes (int64, (n,))."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 10, n).astype(np.int64)
    X = np.zeros((n, 28, 28), np.float32)
    shifts = rng.integers(-JITTER, JITTER + 1, (n, 2))
    for i, k in enumerate(y):
        h, w = HEIGHTS[k], WIDTHS[k]
        top, left = 14 - h // 2 + shifts[i, 0], 14 - w // 2 + shifts[i, 1]
        X[i, max(top, 0):top + h, max(left, 0):left + w] = 1.0
    X += rng.normal(0.0, NOISE, X.shape).astype(np.float32)
    return np.clip(X, 0.0, 1.0)[:, None], y

"""scikit-learn's digits as the torch handout's overall tests use them (cs37300-hw4's PyTorchANN and PyTorchCNN),
and their verdict: the test accuracy of the labels a class predicted, against the threshold.

>>> X, y, Xv, yv, Xt, yt = digits_split()
>>> X.shape, Xv.shape, Xt.shape, float(X.max())
((1258, 64), (180, 64), (359, 64), 1.0)
"""

from __future__ import annotations

import numpy as np


def digits_split(shape: tuple[int, int, int] | None = None):
    """Digits as the overall tests use them: train, validation, test with labels; the images flattened and
    scaled to [0, 1], or (``shape``) fitted to a model's input (``training.fit_images``, also in [0, 1])."""
    from gradekit.reference.data import load_dataset

    ds = load_dataset("digits")
    if shape is None:
        X, Xt = ds.x_train.reshape(len(ds.x_train), -1) / 255.0, ds.x_test.reshape(len(ds.x_test), -1) / 255.0
    else:
        from gradekit.reference.training import fit_images

        X, Xt = fit_images(ds.x_train, shape).numpy(), fit_images(ds.x_test, shape).numpy()
    return X[180:], ds.y_train[180:], X[:180], ds.y_train[:180], Xt, ds.y_test


def judge_labels(labels, y_test: np.ndarray, threshold: float, how: str) -> str | None:
    """The test accuracy of the labels the child predicted, against the threshold."""
    pred = np.asarray(labels).reshape(-1)
    if pred.shape != y_test.shape:
        return f"gave {pred.size} labels for {len(y_test)} test images"
    acc = float(np.mean(pred == y_test))
    return None if acc >= threshold else \
        f"test accuracy {acc:.3f} on scikit-learn's digits ({how}), below the threshold {threshold:g}"

"""The CS 37300 CNN handout program's run (pytorch_cnn.py's ``__main__``), made once by the reference and kept.

The handout's program trains ``PyTorchCNN(num_classes=10)`` (its constructor seeds torch with 42) by the
handout's ``train``: 60 full-batch Adam epochs at learning rate 0.002, recording after each epoch the training
loss (the step's), the training accuracy, the validation loss and the validation accuracy (evaluation mode).
Here it runs on the images the grader serves for it (scikit-learn's digits as 1×28×28 images in [0, 1]: 1,258
training and 180 validation, ``families._digits.digits_split``) with ``reference.models.PyTorchCNN``. That
costs about 120 s of CPU (one thread), more than a student's part may take, so the curves are kept in
``CURVES``; a student's network and ``train`` are shown to make this same run by their first epochs
(``module_torch_handout``). Made with torch 2.13.0 (CPU, one thread) on 2026-12-07; ``python -m
gradekit.reference.handout_cnn_run`` makes it again and prints how far it is from the kept curves.
"""

from __future__ import annotations

import numpy as np

__all__ = ["EPOCHS", "LEARNING_RATE", "SEED", "CURVES", "handout_data", "run"]

EPOCHS, LEARNING_RATE, SEED = 60, 0.002, 42
NAMES = ("train_losses", "train_accs", "val_losses", "val_accs")  # the handout's self.train_val_metrics keys
CURVES: dict[str, tuple[float, ...]] = {}
CURVES["train_losses"] = (
    2.31544, 1.85872, 1.43949, 1.09539, 0.824348, 0.629577, 0.474232, 0.36923, 0.275668, 0.219722, 0.167828,
    0.129781, 0.116033, 0.0903689, 0.077702, 0.073367, 0.0615615, 0.0524822, 0.0455834, 0.0375653, 0.0332674,
    0.029846, 0.0326694, 0.0241467, 0.019577, 0.0212847, 0.0194251, 0.0151292, 0.0130767, 0.0147195, 0.0151273,
    0.0109686, 0.00949758, 0.00872642, 0.00512471, 0.00728407, 0.00755197, 0.00794862, 0.00542587, 0.00589674,
    0.00695972, 0.00541321, 0.00619305, 0.00363792, 0.00618652, 0.00257334, 0.00277048, 0.00472198, 0.00338688,
    0.00359158, 0.0027056, 0.00193749, 0.00296643, 0.0030043, 0.00312172, 0.0020085, 0.00248325, 0.00243617,
    0.00229623, 0.00390189,
)
CURVES["train_accs"] = (
    0.103339, 0.103339, 0.103339, 0.103339, 0.108108, 0.155803, 0.247218, 0.240859, 0.0914149, 0.0914149, 0.0914149,
    0.0914149, 0.0914149, 0.0914149, 0.0914149, 0.0914149, 0.0914149, 0.0914149, 0.0914149, 0.0914149, 0.0914149,
    0.0914149, 0.0914149, 0.0914149, 0.0914149, 0.0914149, 0.0914149, 0.0914149, 0.0914149, 0.0914149, 0.0914149,
    0.0914149, 0.0914149, 0.0922099, 0.0977742, 0.108108, 0.123211, 0.144674, 0.182035, 0.205087, 0.228935, 0.255167,
    0.278219, 0.294913, 0.314785, 0.340223, 0.36566, 0.398251, 0.438792, 0.493641, 0.537361, 0.579491, 0.616852,
    0.655803, 0.704293, 0.747218, 0.782194, 0.81399, 0.832273, 0.852146,
)
CURVES["val_losses"] = (
    2.29843, 2.29428, 2.2876, 2.28463, 2.286, 2.29502, 2.32318, 2.40238, 2.62315, 3.09862, 3.85472, 4.77808, 5.71807,
    6.60335, 7.3761, 8.05156, 8.62143, 9.08789, 9.51657, 9.88371, 10.1763, 10.4346, 10.5834, 10.7117, 10.7833,
    10.7832, 10.7182, 10.5771, 10.3971, 10.1806, 9.90237, 9.58572, 9.20291, 8.77258, 8.35193, 7.94371, 7.55803,
    7.21219, 6.84534, 6.43489, 6.002, 5.61047, 5.25504, 4.90781, 4.56177, 4.22644, 3.8998, 3.53303, 3.16686, 2.82778,
    2.52656, 2.23945, 1.97957, 1.70041, 1.44368, 1.21324, 1.05511, 0.912148, 0.792091, 0.681592,
)
CURVES["val_accs"] = (
    0.1, 0.111111, 0.111111, 0.111111, 0.116667, 0.155556, 0.261111, 0.255556, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1,
    0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.105556,
    0.122222, 0.166667, 0.2, 0.227778, 0.25, 0.261111, 0.288889, 0.311111, 0.327778, 0.344444, 0.366667, 0.388889,
    0.416667, 0.427778, 0.444444, 0.494444, 0.555556, 0.572222, 0.627778, 0.672222, 0.705556, 0.733333, 0.777778,
    0.811111, 0.816667,
)


def handout_data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(X, Y, X_val, Y_val): digits as float32 1×28×28 images in [0, 1], the labels one-hot float32."""
    from gradekit.reference.families._digits import digits_split

    X, y, Xv, yv, _, _ = digits_split((1, 28, 28))
    eye = np.eye(10, dtype=np.float32)
    return X.astype(np.float32), eye[y], Xv.astype(np.float32), eye[yv]


def run(epochs: int = EPOCHS) -> dict[str, tuple[float, ...]]:
    """The handout program's first ``epochs`` epochs with the reference network: its four curves."""
    import torch
    from torch import nn

    from gradekit.reference import models

    X, Y, Xv, Yv = (torch.from_numpy(a) for a in handout_data())
    model = models.PyTorchCNN(10, seed=SEED)
    loss_fn, opt = nn.CrossEntropyLoss(), torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    curves: dict[str, list[float]] = {k: [] for k in NAMES}

    def accuracy(Xs: torch.Tensor, Ys: torch.Tensor) -> float:  # the handout's: predict in evaluation mode
        nn.Module.train(model, False)
        with torch.no_grad():
            return float((model(Xs).argmax(1) == Ys.argmax(1)).sum() / len(Xs))

    for _ in range(epochs):
        nn.Module.train(model, True)
        opt.zero_grad()
        loss = loss_fn(model(X), Y)
        loss.backward()
        opt.step()
        curves["train_losses"].append(loss.item())
        curves["train_accs"].append(accuracy(X, Y))
        nn.Module.train(model, False)
        with torch.no_grad():
            curves["val_losses"].append(loss_fn(model(Xv), Yv).item())
        curves["val_accs"].append(accuracy(Xv, Yv))
    return {k: tuple(v) for k, v in curves.items()}


if __name__ == "__main__":
    import torch

    torch.set_num_threads(1)  # as the child trains
    made = run()
    for name in NAMES:
        gap = np.max(np.abs(np.asarray(made[name]) - np.asarray(CURVES[name])))
        print(f"{name}: final {made[name][-1]:.4f} (kept {CURVES[name][-1]:.4f}), largest difference {gap:.2e}")

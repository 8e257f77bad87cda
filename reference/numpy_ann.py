"""cs37300-hw4 §1: the one-hidden-layer NumpyANN, method by method as the handout describes.

    z1 = X W1 + b1,  a1 = ReLU(z1),  z2 = a1 W2 + b2,  a2 = softmax(z2)

The model ``gradekit train numpy-ann`` trains (``reference/training.py``); a student's module is graded
against the course-style solution beside the spec (``problems/cs37300-hw4/numpy_ann_solution.py``), with the
same conventions, which the handout fixes:

- weights ``0.01 · randn`` drawn W1 then W2 from ``np.random.seed(seed)``'s
  stream (here a private ``RandomState(seed)``: the same numbers, without
  touching the global generator); biases zeros of shape (1, n);
- ``_relu_grad`` is 0 where x ≤ 0 and 1 elsewhere;
- ``_cross_entropy(y_pred, y_true)`` is −Σ y log ŷ divided by the batch size, as
  the handout pre-fills it (its doctest: 0.69314… for two samples of [0.5, 0.5];
  §1.4's prose says "the number of classes", the code is what students ran);
- ``_backward`` starts from ∂L/∂z2 = a2 − y (eq. 9) and divides the weight and
  bias gradients by the number of samples: the gradient of the loss
  ``_cross_entropy`` reports. The handout says why on
  purpose (the division only "keeps the magnitude of the loss reasonable");
  tests check both against torch;
- mini-batches in order, no shuffling (§1.7); ``predict`` returns probabilities.

>>> ann = NumpyANN(4, 3, 2, lr=0.1, seed=0)
>>> ann.predict(np.zeros((1, 4))).round(3).tolist()
[[0.5, 0.5]]
"""

from __future__ import annotations

import numpy as np

EPS = 1e-12  # keeps log(0) finite when a probability underflows


def one_hot(y: np.ndarray, n_classes: int) -> np.ndarray:
    """Labels (n,) → one-hot (n, n_classes); one-hot input passes through."""
    y = np.asarray(y)
    if y.ndim == 2:
        return y.astype(float)
    out = np.zeros((len(y), n_classes))
    out[np.arange(len(y)), y.astype(int)] = 1.0
    return out


class NumpyANN:
    """One hidden ReLU layer, softmax output, mini-batch gradient descent."""

    def __init__(self, input_size: int, hidden_size: int, output_size: int, lr: float = 0.1, seed: int = 0):
        self.input_size, self.hidden_size, self.output_size, self.lr = input_size, hidden_size, output_size, lr
        rng = np.random.RandomState(seed)
        self.W1 = 0.01 * rng.randn(input_size, hidden_size)
        self.W2 = 0.01 * rng.randn(hidden_size, output_size)
        self.b1 = np.zeros((1, hidden_size))
        self.b2 = np.zeros((1, output_size))
        self.history: dict[str, list[float]] = {}

    @staticmethod
    def _relu(x: np.ndarray) -> np.ndarray:
        return np.maximum(x, 0)

    @staticmethod
    def _relu_grad(x: np.ndarray) -> np.ndarray:
        return (x > 0).astype(float)

    @staticmethod
    def _softmax(z: np.ndarray) -> np.ndarray:
        e = np.exp(z - z.max(axis=1, keepdims=True))  # shifted: exp never overflows
        return e / e.sum(axis=1, keepdims=True)

    @staticmethod
    def _cross_entropy(y_pred: np.ndarray, y_true: np.ndarray) -> float:
        return float(-np.sum(y_true * np.log(y_pred + EPS)) / len(y_pred))

    def _forward(self, X: np.ndarray, training: bool = False) -> np.ndarray:
        z1 = X @ self.W1 + self.b1
        a1 = self._relu(z1)
        z2 = a1 @ self.W2 + self.b2
        a2 = self._softmax(z2)
        if training:  # kept for the backward pass
            self.z1, self.a1, self.z2, self.a2 = z1, a1, z2, a2
        return a2

    def _gradients(self, X: np.ndarray, y_true: np.ndarray) -> dict[str, np.ndarray]:
        """Eqs. 9–13 from the values the last ``_forward(X, training=True)`` stored."""
        n = len(X)
        dz2 = self.a2 - y_true
        dW2 = self.a1.T @ dz2 / n
        db2 = dz2.sum(axis=0, keepdims=True) / n
        dz1 = (dz2 @ self.W2.T) * self._relu_grad(self.z1)
        dW1 = X.T @ dz1 / n
        db1 = dz1.sum(axis=0, keepdims=True) / n
        return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}

    def _backward(self, X: np.ndarray, y_true: np.ndarray) -> None:
        """Backpropagate and take one gradient-descent step θ ← θ − lr · ∂L/∂θ."""
        for name, grad in self._gradients(X, y_true).items():
            setattr(self, name, getattr(self, name) - self.lr * grad)

    def train(self, X_train, y_train, X_val=None, y_val=None, epochs: int = 10, batch_size: int = 64, on_epoch=None) -> dict:
        """Mini-batch gradient descent; after each epoch the loss and accuracy (train and validation) are recorded."""
        X_train = np.asarray(X_train, dtype=float).reshape(len(X_train), -1)
        Y = one_hot(y_train, self.output_size)
        keys = ("train_loss", "train_acc", "val_loss", "val_acc")
        self.history = {k: [] for k in keys}
        for epoch in range(epochs):
            for i in range(0, len(X_train), batch_size):
                xb, yb = X_train[i : i + batch_size], Y[i : i + batch_size]
                self._forward(xb, training=True)
                self._backward(xb, yb)
            self.history["train_loss"].append(self._cross_entropy(self.predict(X_train), Y))
            self.history["train_acc"].append(self.accuracy(X_train, Y))
            if X_val is not None:
                Yv = one_hot(y_val, self.output_size)
                self.history["val_loss"].append(self._cross_entropy(self.predict(X_val), Yv))
                self.history["val_acc"].append(self.accuracy(X_val, Yv))
            if on_epoch is not None:
                on_epoch(epoch, {k: v[-1] for k, v in self.history.items() if v})
        return self.history

    def predict(self, X) -> np.ndarray:
        """Class probabilities of a forward pass that stores nothing."""
        X = np.asarray(X, dtype=float)
        return self._forward(X.reshape(len(X), -1), training=False)

    def accuracy(self, X, y_true) -> float:
        y = np.asarray(y_true)
        labels = y.argmax(axis=1) if y.ndim == 2 else y
        return float(np.mean(np.argmax(self.predict(X), axis=1) == labels))

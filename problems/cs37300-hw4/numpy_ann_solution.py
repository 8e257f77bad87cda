# Purdue CS 37300, homework 4, section 1: the starter (numpy_ann_starter.py) filled in as the statement asks,
# its docstrings left out, and the data of the overall test (digits_data, digits_accuracy), served to both the
# student's file and this one.
import numpy as np


class NumpyANN():
    def __init__(self,
                 input_size: int,
                 hidden_size: int,
                 output_size: int,
                 lr: float,
                 random_seed: int = 42) -> None:
        np.random.seed(random_seed)

        # keep input_size, hidden_size, output_size and lr as attributes of the same names
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.output_size = output_size
        self.lr = lr

        # the first layer: small random weights, zero biases
        self.W1 = np.random.randn(self.input_size, self.hidden_size) * 0.01
        self.b1 = np.zeros((1, self.hidden_size))

        # the second layer, drawn the same way, after the first
        self.W2 = np.random.randn(self.hidden_size, self.output_size) * 0.01
        self.b2 = np.zeros((1, self.output_size))

    def _relu(self, z: np.ndarray) -> np.ndarray:
        relu = np.maximum(z, 0)
        return relu

    def _relu_grad(self, z: np.ndarray) -> np.ndarray:
        relu_grad = (z > 0).astype(float)  # 0 at z = 0, as the doctest's _relu_grad([-1, 0, 1]) = [0, 0, 1]
        return relu_grad

    def _softmax(self, z: np.ndarray) -> np.ndarray:
        exps = np.exp(z - np.max(z, axis=1, keepdims=True))
        return exps / np.sum(exps, axis=1, keepdims=True)

    def _cross_entropy(self, y_pred: np.ndarray, y_true: np.ndarray) -> float:
        return -np.sum(y_true * np.log(y_pred)) / y_pred.shape[0]

    def _forward(self, X: np.ndarray, training: bool = True) -> np.ndarray:
        # the hidden layer
        z1 = np.dot(X, self.W1) + self.b1
        a1 = self._relu(z1)

        # the output layer
        z2 = np.dot(a1, self.W2) + self.b2
        a2 = self._softmax(z2)

        if training:
            self.z1 = z1
            self.a1 = a1
            self.z2 = z2
            self.a2 = a2

        return a2

    def _backward(self, X: np.ndarray, y_true: np.ndarray) -> None:
        m = y_true.shape[0]

        # dL/dz2 = a2 - y_true (eq. 9); the weight and bias gradients are averaged over the samples
        dz2 = self.a2 - y_true
        dW2 = np.dot(self.a1.T, dz2) / m
        db2 = np.sum(dz2, axis=0, keepdims=True) / m

        # dL/dz1 = dL/dz2 W2^T * relu'(z1)
        dz1 = np.dot(dz2, self.W2.T) * self._relu_grad(self.z1)
        dW1 = np.dot(X.T, dz1) / m
        db1 = np.sum(dz1, axis=0, keepdims=True) / m

        self.W2 -= self.lr * dW2
        self.b2 -= self.lr * db2

        # the first layer's step
        self.W1 -= self.lr * dW1
        self.b1 -= self.lr * db1

    def train(self,
              X_train: np.ndarray,
              y_train: np.ndarray,
              X_val: np.ndarray,
              y_val: np.ndarray,
              epochs: int,
              batch_size: int) -> None:
        for epoch in range(epochs):
            for i in range(0, X_train.shape[0], batch_size):
                X_batch = X_train[i:i+batch_size]
                y_batch = y_train[i:i+batch_size]

                # forward on the batch, keeping what the backward pass needs
                self._forward(X_batch, training=True)

                # one step
                self._backward(X_batch, y_batch)

            y_pred_train = self._forward(X_train, training=False)
            y_pred_val = self._forward(X_val, training=False)

            # the epoch's losses
            train_loss = self._cross_entropy(y_pred_train, y_train)
            val_loss = self._cross_entropy(y_pred_val, y_val)

            train_acc = self.accuracy(X_train, y_train)
            val_acc = self.accuracy(X_val, y_val)

            if (epoch+1) % 10 == 0:
                print(f"[{epoch+1:} / {epochs}] | Train Loss: {train_loss:.5f} | Train Accuracy: {train_acc:.5f} | Val Loss: {val_loss:.5f} | Val Accuracy: {val_acc:.5f}")

    def predict(self, X: np.ndarray) -> np.ndarray:
        pred = self._forward(X, training=False)
        return pred

    def accuracy(self, X: np.ndarray, y_true: np.ndarray) -> float:
        # the predicted class of each sample against the class of its one-hot label
        predicted_classes = np.argmax(self.predict(X), axis=1)
        actual_classes = np.argmax(y_true, axis=1)
        acc = np.sum(predicted_classes == actual_classes) / X.shape[0]
        return acc


def digits_data():
    """The overall test's data, in place of the handout's Fashion-MNIST: scikit-learn's bundled digits (1797 8x8
    images, pixels 0..16 scaled to [0, 1]), split by a permutation seeded with 0 into 1258 training, 180
    validation and 359 test images, the labels one-hot (np.eye(10)[y], as the handout encodes them); then the
    start, the weights NumpyANN(64, 64, 10, lr=0.5) draws (np.random.seed(42))."""
    pixels, labels = _bundled_digits()
    X, Y = pixels / 16.0, np.eye(10)[labels]
    order = np.random.default_rng(0).permutation(len(X))
    test, val, train = order[:359], order[359:539], order[539:]
    start = NumpyANN(64, 64, 10, lr=0.5)
    return (X[train], Y[train], X[val], Y[val], X[test], Y[test], start.W1, start.b1, start.W2, start.b2)


def _bundled_digits():
    """(1797 x 64 pixels, labels) from the CSV inside scikit-learn, read without importing it (about a second)."""
    import gzip
    import importlib.util
    import os

    spec = importlib.util.find_spec("sklearn")
    folders = list(spec.submodule_search_locations) if spec else []
    path = os.path.join(folders[0], "datasets", "data", "digits.csv.gz") if folders else ""
    if os.path.exists(path):
        with gzip.open(path, "rt") as f:
            data = np.loadtxt(f, delimiter=",")
        return data[:, :-1], data[:, -1].astype(int)
    from sklearn.datasets import load_digits

    digits = load_digits()
    return digits.data, digits.target


def digits_accuracy(X, Y, W1, b1, W2, b2):
    """The test accuracy of the network the weights W1, b1, W2, b2 make (the handout's forward pass)."""
    net = NumpyANN.__new__(NumpyANN)
    net.W1, net.b1, net.W2, net.b2 = W1, b1, W2, b2
    return net.accuracy(X, Y)

# Purdue CS 37300, homework 4, section 1: the interface of numpy_ann.py as students receive it, written for
# gradekit from the homework's statement (the class, its methods and their signatures, the lines the handout
# fills in: the seeded weight draw, the softmax, the loss, the mini-batch loop and its report). Each part a
# student writes is a placeholder: None for each name the code after it reads, else pass.
import numpy as np


class NumpyANN():
    """A network of one hidden layer in NumPy: z1 = X W1 + b1, a1 = ReLU(z1), z2 = a1 W2 + b2, a2 = softmax(z2).

    Rows of X are samples; labels are one-hot rows. W1 is (input_size, hidden_size), b1 is (1, hidden_size),
    W2 is (hidden_size, output_size), b2 is (1, output_size).
    """

    def __init__(self,
                 input_size: int,
                 hidden_size: int,
                 output_size: int,
                 lr: float,
                 random_seed: int = 42) -> None:
        """Seed NumPy's generator, keep the sizes and the learning rate, and draw the weights.

        >>> net = NumpyANN(input_size=4, hidden_size=3, output_size=2, lr=0.1)
        >>> (net.input_size, net.hidden_size, net.output_size, net.lr)
        (4, 3, 2, 0.1)
        >>> net.W1.shape, net.b1.shape, net.W2.shape, net.b2.shape
        ((4, 3), (1, 3), (3, 2), (1, 2))
        """
        np.random.seed(random_seed)

        # keep input_size, hidden_size, output_size and lr as attributes of the same names
        # >>> YOUR CODE HERE >>>
        pass
        # <<< END OF YOUR CODE <<<

        # the first layer: small random weights, zero biases
        self.W1 = np.random.randn(self.input_size, self.hidden_size) * 0.01
        self.b1 = np.zeros((1, self.hidden_size))

        # the second layer, drawn the same way, after the first
        # >>> YOUR CODE HERE >>>
        pass
        # <<< END OF YOUR CODE <<<

    def _relu(self, z: np.ndarray) -> np.ndarray:
        """max(z, 0), entry by entry.

        >>> NumpyANN(4, 3, 2, 0.1)._relu(np.array([-2.0, 0.0, 3.0]))
        array([0., 0., 3.])
        """
        # >>> YOUR CODE HERE >>>
        relu = None
        # <<< END OF YOUR CODE <<<
        return relu

    def _relu_grad(self, z: np.ndarray) -> np.ndarray:
        """The derivative of ReLU at z, entry by entry: 0 below zero, 1 above.

        >>> NumpyANN(4, 3, 2, 0.1)._relu_grad(np.array([-2.0, 3.0]))
        array([0., 1.])
        """
        # >>> YOUR CODE HERE >>>
        relu_grad = None
        # <<< END OF YOUR CODE <<<
        return relu_grad

    def _softmax(self, z: np.ndarray) -> np.ndarray:
        """Softmax of each row of z (its largest entry subtracted first, so exp never overflows)."""
        exps = np.exp(z - np.max(z, axis=1, keepdims=True))
        return exps / np.sum(exps, axis=1, keepdims=True)

    def _cross_entropy(self, y_pred: np.ndarray, y_true: np.ndarray) -> float:
        """The cross-entropy of predicted probabilities against one-hot labels, averaged over the samples.

        >>> round(float(NumpyANN(4, 3, 2, 0.1)._cross_entropy(np.full((2, 2), 0.5), np.eye(2))), 5)
        0.69315
        """
        return -np.sum(y_true * np.log(y_pred)) / y_pred.shape[0]

    def _forward(self, X: np.ndarray, training: bool = True) -> np.ndarray:
        """The network's output a2 for X; with training, z1, a1, z2 and a2 are kept for the backward pass.

        >>> NumpyANN(4, 3, 2, 0.1)._forward(np.zeros((1, 4)))
        array([[0.5, 0.5]])
        """
        # the hidden layer
        # >>> YOUR CODE HERE >>>
        z1 = None
        a1 = None
        # <<< END OF YOUR CODE <<<

        # the output layer
        # >>> YOUR CODE HERE >>>
        z2 = None
        a2 = None
        # <<< END OF YOUR CODE <<<

        if training:
            self.z1 = z1
            self.a1 = a1
            self.z2 = z2
            self.a2 = a2
        return a2

    def _backward(self, X: np.ndarray, y_true: np.ndarray) -> None:
        """One gradient step on the batch the last training forward pass saw: every weight and bias moves by
        -lr times its gradient, each gradient divided by the number of samples."""
        m = y_true.shape[0]

        # the output layer: softmax and cross-entropy together give a2 - y_true
        dz2 = self.a2 - y_true
        dW2 = np.dot(self.a1.T, dz2) / m
        db2 = np.sum(dz2, axis=0, keepdims=True) / m

        # back through the second layer's weights and ReLU
        # >>> YOUR CODE HERE >>>
        dz1 = None
        # <<< END OF YOUR CODE <<<

        # the first layer's gradients
        # >>> YOUR CODE HERE >>>
        dW1 = None
        db1 = None
        # <<< END OF YOUR CODE <<<

        self.W2 -= self.lr * dW2
        self.b2 -= self.lr * db2

        # the first layer's step
        # >>> YOUR CODE HERE >>>
        pass
        # <<< END OF YOUR CODE <<<

    def train(self,
              X_train: np.ndarray,
              y_train: np.ndarray,
              X_val: np.ndarray,
              y_val: np.ndarray,
              epochs: int,
              batch_size: int) -> None:
        """Mini-batch gradient descent: each epoch runs the batches in order, then reports both losses and
        accuracies every tenth epoch."""
        for epoch in range(epochs):
            for i in range(0, X_train.shape[0], batch_size):
                X_batch = X_train[i:i + batch_size]
                y_batch = y_train[i:i + batch_size]

                # forward on the batch, keeping what the backward pass needs
                # >>> YOUR CODE HERE >>>
                pass
                # <<< END OF YOUR CODE <<<

                # one step
                # >>> YOUR CODE HERE >>>
                pass
                # <<< END OF YOUR CODE <<<

            y_pred_train = self._forward(X_train, training=False)
            y_pred_val = self._forward(X_val, training=False)

            # the epoch's losses
            # >>> YOUR CODE HERE >>>
            train_loss = None
            val_loss = None
            # <<< END OF YOUR CODE <<<

            train_acc = self.accuracy(X_train, y_train)
            val_acc = self.accuracy(X_val, y_val)
            if (epoch + 1) % 10 == 0:
                print(f"[{epoch + 1} / {epochs}] | Train Loss: {train_loss:.5f} | Train Accuracy: {train_acc:.5f} | "
                      f"Val Loss: {val_loss:.5f} | Val Accuracy: {val_acc:.5f}")

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The class probabilities a2 for X, without keeping anything for a backward pass."""
        # >>> YOUR CODE HERE >>>
        pred = None
        # <<< END OF YOUR CODE <<<
        return pred

    def accuracy(self, X: np.ndarray, y_true: np.ndarray) -> float:
        """The share of samples whose most probable class is the one its one-hot label marks."""
        # >>> YOUR CODE HERE >>>
        acc = None
        # <<< END OF YOUR CODE <<<
        return acc


if __name__ == "__main__":
    import doctest

    doctest.testmod()

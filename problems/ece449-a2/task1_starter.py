# ECE 449 (ZJU-UIUC, Fall 2020), assignment 2, task 1: the interface of the course's task1_template.py
# (public copy: RickyL-2000/ZJUI-lib, ECE449/assignment2/, commit 23f04004382c578301ea225c5d45478dac0a5e17).
# The points are the template's; loss, DNNinference and trainAcc come pre-filled.
import numpy as np


def relu(X):
    """ReLU, element-wise [3 pts]. X: a numpy.ndarray of any shape; returns max(X, 0) of X's shape."""
    return np.zeros(X.shape)


def prelu(X):
    """The partial derivative of relu with respect to its input, element-wise [2 pts]."""
    return np.zeros(X.shape)


def DNNforward(X, W, K):
    """Forward propagation [5 pts]. X (N, 3), W (2, 3), K (2,); returns (H, A, O) with H = W X^T (2, N),
    A = relu(H) (2, N) and O = K A (N,)."""
    H = np.zeros((2, X.shape[0]))
    A = np.zeros((2, X.shape[0]))
    O = np.zeros(X.shape[0])
    return H, A, O


def DNNbackward(X, y, W, K, H, A, O):
    """Backward propagation of loss(y, O) [5 pts]; returns (pLpW, pLpK), the gradients in W and K."""
    pLpW = np.zeros(W.shape)
    pLpK = np.zeros(K.shape)
    return pLpW, pLpK


def train(X, y, W, K, lr, num_epochs=10, batch_size=10, print_loss=False):
    """Mini-batch gradient descent, batches in order [5 pts]; returns (W_list, K_list), W and K after each
    epoch. The loop is pre-filled; the student computes the gradients and updates W and K in it."""
    W_list, K_list = [], []
    dataset_size = len(y)
    for epoch in range(num_epochs):
        for batch_idx in range(int(np.ceil(dataset_size / batch_size))):
            start_idx = batch_idx * batch_size
            end_idx = min((batch_idx + 1) * batch_size, dataset_size - 1)
            H, A, O = DNNforward(X[start_idx:end_idx], W, K)
            # the student's 2-3 lines: the gradients with DNNbackward, then the update of W and K
        W_list.append(W)
        K_list.append(K)
    return W_list, K_list


def loss(y, O):
    """Pre-filled: the squared loss, averaged over the batch."""
    return np.mean(1 / 2 * (y - O) ** 2)


def DNNinference(X, W, K):
    """Pre-filled: the predicted labels, +1 or -1."""
    _, _, y_pred = DNNforward(X, W, K)
    if np.min(y_pred) == 0:
        y_pred = np.array(y_pred > 0, dtype=int)
    else:
        y_pred = np.array(y_pred >= 0, dtype=int)
    y_pred[y_pred == 0] = -1
    return y_pred


def trainAcc(X, y, W, K):
    """Pre-filled: the training accuracy."""
    return np.mean(DNNinference(X, W, K) == y)

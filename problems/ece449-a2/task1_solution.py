# ECE 449 assignment 2, task 1: the starter (task1_starter.py) filled in as the course intends, and the data
# the run notebook trains on (notebook_data), served to both the student's file and this one.
import numpy as np


def relu(X):
    return np.maximum(X, 0.0)


def prelu(X):
    return (np.asarray(X) > 0).astype(float)


def DNNforward(X, W, K):
    H = W @ X.T
    A = relu(H)
    O = K @ A
    return H, A, O


def DNNbackward(X, y, W, K, H, A, O):
    dO = (O - y) / len(y)  # the loss is a mean over the batch
    pLpK = A @ dO
    pLpW = (np.outer(K, dO) * prelu(H)) @ X
    return pLpW, pLpK


def train(X, y, W, K, lr, num_epochs=10, batch_size=10, print_loss=False):
    W_list, K_list = [], []
    dataset_size = len(y)
    for epoch in range(num_epochs):
        for batch_idx in range(int(np.ceil(dataset_size / batch_size))):
            start_idx = batch_idx * batch_size
            end_idx = min((batch_idx + 1) * batch_size, dataset_size - 1)
            H, A, O = DNNforward(X[start_idx:end_idx], W, K)
            if print_loss:
                print("Epoch", epoch + 1, "batch", batch_idx + 1, "loss", loss(y[start_idx:end_idx], O))
            pLpW, pLpK = DNNbackward(X[start_idx:end_idx], y[start_idx:end_idx], W, K, H, A, O)
            W = W - lr * pLpW
            K = K - lr * pLpK
        W_list.append(W)
        K_list.append(K)
    return W_list, K_list


def loss(y, O):
    return np.mean(1 / 2 * (y - O) ** 2)


def DNNinference(X, W, K):
    _, _, y_pred = DNNforward(X, W, K)
    if np.min(y_pred) == 0:
        y_pred = np.array(y_pred > 0, dtype=int)
    else:
        y_pred = np.array(y_pred >= 0, dtype=int)
    y_pred[y_pred == 0] = -1
    return y_pred


def trainAcc(X, y, W, K):
    return np.mean(DNNinference(X, W, K) == y)


def notebook_data(num_samples=400, seed=449):
    """The run notebook's kind of data: two classes in uniform cubes of radius 1 around centres 2 to 4 apart
    on every axis, standardised (its generator draws from the global generator; this one is seeded), and a
    start (W, K uniform on +-0.2, as the notebook draws them) that misclassifies about half of it."""
    rng = np.random.default_rng(seed)
    half = int(np.ceil(num_samples / 2))
    c1 = rng.uniform(-3, 6, size=3)
    c2 = c1 - rng.choice([-1, 1], 3) * rng.uniform(2, 4, size=3)
    X = np.vstack([rng.uniform(-1, 1, (half, 3)) + c1, rng.uniform(-1, 1, (num_samples - half, 3)) + c2])
    y = np.where(np.arange(num_samples) < half, 1.0, -1.0)
    order = rng.permutation(num_samples)
    X, y = X[order], y[order]
    start = np.random.default_rng(0)
    W, K = start.uniform(-0.2, 0.2, (2, 3)), start.uniform(-0.2, 0.2, 2)
    return (X - X.mean(axis=0)) / X.std(axis=0), y, W, K

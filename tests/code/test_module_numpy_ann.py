"""cs37300-hw4/numpy_ann: the NumpyANN class graded method by method, a [code] problem (the handout's
numpy_ann_starter.py and the course-style numpy_ann_solution.py beside the spec)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gradekit.catalog.catalog import load_catalog
from gradekit.code.starter import starter
from gradekit.sandbox.process import Limits
from tests.helpers import grade_file

CAT = load_catalog()
PROBLEM = CAT.resolve("cs37300-hw4/numpy_ann")
WEIGHTS = ("W1", "b1", "W2", "b2")
POINTS = {"NumpyANN.__init__": 3, "NumpyANN._relu": 1, "NumpyANN._relu_grad": 1, "NumpyANN._cross_entropy": 1,
          "NumpyANN._forward": 2, "NumpyANN._backward": 3, "NumpyANN.train": 2, "NumpyANN.predict": 1,
          "NumpyANN.accuracy": 2, "NumpyANN": 2}
LIMITS = Limits(cpu_seconds=60, wall_seconds=20.0)

# As a student fills in the handout's numpy_ann.py (cadeneck/DS-Pytorch and vincentcui-ui/Artificial-Neural-Network
# hold two such files): np.random.seed(random_seed), np.dot, one-hot labels, the pre-filled _cross_entropy(y_pred,
# y_true) that divides by the batch size.
CORRECT = '''
import numpy as np


class NumpyANN:
    def __init__(self, input_size, hidden_size, output_size, lr, random_seed=42):
        np.random.seed(random_seed)
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.output_size = output_size
        self.lr = lr
        self.W1 = np.random.randn(self.input_size, self.hidden_size) * 0.01
        self.b1 = np.zeros((1, self.hidden_size))
        self.W2 = np.random.randn(self.hidden_size, self.output_size) * 0.01
        self.b2 = np.zeros((1, self.output_size))

    def _relu(self, x):
        return np.maximum(0, x)

    def _relu_grad(self, x):
        return np.where(x <= 0, 0, 1)

    def _softmax(self, x):
        e = np.exp(x - np.max(x, axis=1, keepdims=True))
        return e / np.sum(e, axis=1, keepdims=True)

    def _cross_entropy(self, y_pred, y_true):
        return -np.sum(y_true * np.log(y_pred)) / y_pred.shape[0]

    def _forward(self, x, training=True):
        z1 = np.dot(x, self.W1) + self.b1
        a1 = self._relu(z1)
        z2 = np.dot(a1, self.W2) + self.b2
        a2 = self._softmax(z2)
        if training:
            self.z1, self.a1, self.z2, self.a2 = z1, a1, z2, a2
        return a2

    def _backward(self, X, y_true):
        m = X.shape[0]
        dz2 = self.a2 - y_true
        dW2 = np.dot(self.a1.T, dz2) / m
        db2 = np.sum(dz2, axis=0, keepdims=True) / m
        dz1 = np.dot(dz2, self.W2.T) * self._relu_grad(self.z1)
        dW1 = np.dot(X.T, dz1) / m
        db1 = np.sum(dz1, axis=0, keepdims=True) / m
        self.W1 -= self.lr * dW1
        self.b1 -= self.lr * db1
        self.W2 -= self.lr * dW2
        self.b2 -= self.lr * db2

    def train(self, X_train, y_train, X_val, y_val, epochs, batch_size):
        self.val_loss, self.val_acc = [], []
        for epoch in range(epochs):
            for i in range(0, X_train.shape[0], batch_size):
                xb, yb = X_train[i:i + batch_size], y_train[i:i + batch_size]
                self._forward(xb, training=True)
                self._backward(xb, yb)
            p = self.predict(X_val)
            self.val_loss.append(self._cross_entropy(p, y_val))
            self.val_acc.append(self.accuracy(X_val, y_val))

    def predict(self, X):
        return self._forward(X, training=False)

    def accuracy(self, X, y_true):
        pred = np.argmax(self.predict(X), axis=1)
        return np.mean(pred == np.argmax(y_true, axis=1))
'''


def grade_source(tmp_path, source: str, name: str = "numpy_ann.py"):
    return grade_file(tmp_path, name, source, limits=LIMITS)


def mutate(*pairs: tuple[str, str]) -> str:
    src = CORRECT
    for old, new in pairs:
        assert old in src, old
        src = src.replace(old, new)
    return src


def course_file(key: str) -> dict:
    """The names the spec's starter or solution file defines (``starter_source``, ``solution_source``)."""
    names: dict = {"__name__": key}
    exec(compile(PROBLEM.validated_params.extra[key], key, "exec"), names)
    return names


def test_spec_points_and_total():
    assert {p.name: p.points for p in PROBLEM.parts} == POINTS
    assert sum(POINTS.values()) == 18  # §1 of the handout
    assert PROBLEM.family == "code" and PROBLEM.validated_params.file == "numpy_ann.py"


def test_correct_class_scores_full_marks_under_a_renamed_file(tmp_path):
    report, parts = grade_source(tmp_path, CORRECT, "numpy_ann_jdoe.py")
    assert report.problems[0].id == "numpy_ann"
    assert {n: p.score for n, p in parts.items()} == POINTS, {n: p.feedback for n, p in parts.items()}


def test_starter_scores_zero_not_implemented_per_part(tmp_path):
    text = starter(PROBLEM)  # the handout's own file, its pre-filled _cross_entropy and weight draw included
    assert "class NumpyANN():" in text and "def _backward(self, X: np.ndarray, y_true: np.ndarray) -> None:" in text
    assert "self.W1 = np.random.randn(self.input_size, self.hidden_size) * 0.01" in text
    report, parts = grade_source(tmp_path, text)
    assert report.score == 0 and set(parts) == set(POINTS)
    assert all(p.verdict == "missing" and p.feedback == "not implemented" for p in parts.values()), \
        {n: p.feedback for n, p in parts.items()}


def test_a_method_left_as_the_starter_wrote_it_is_not_implemented_and_the_pre_filled_loss_is_graded(tmp_path):
    placeholder = mutate(("return np.maximum(0, x)", "relu = None\n        return relu"))
    report, parts = grade_source(tmp_path, placeholder.replace("def _relu(self, x):", "def _relu(self, z):"))
    assert parts["NumpyANN._relu"].verdict == "missing" and parts["NumpyANN._relu"].feedback == "not implemented"
    assert parts["NumpyANN._cross_entropy"].score == POINTS["NumpyANN._cross_entropy"]  # the starter's line, kept


def test_mistakes_lose_their_own_parts_with_named_messages(tmp_path):
    src = mutate(
        ("dW2 = np.dot(self.a1.T, dz2) / m", "dW2 = np.dot(self.a1.T, dz2)"),
        ("db2 = np.sum(dz2, axis=0, keepdims=True) / m", "db2 = np.sum(dz2, axis=0, keepdims=True)"),
        ("dW1 = np.dot(X.T, dz1) / m", "dW1 = np.dot(X.T, dz1)"),
        ("db1 = np.sum(dz1, axis=0, keepdims=True) / m", "db1 = np.sum(dz1, axis=0, keepdims=True)"),
        ("return -np.sum(y_true * np.log(y_pred)) / y_pred.shape[0]",
         "return -np.mean(y_true * np.log(y_pred))"),  # §1.4's prose: divided by the classes too
        ("self.W1 = np.random.randn(self.input_size, self.hidden_size) * 0.01",
         "self.W1 = np.random.randn(self.input_size, self.hidden_size)"),
    )
    report, parts = grade_source(tmp_path, src)
    backward = parts["NumpyANN._backward"].feedback
    assert parts["NumpyANN._backward"].score == 0
    assert "dW1, db1, dW2" in backward and "a sum where the mean is asked? " in backward and "[sum_for_mean: 0" in backward
    assert "dW1 (against finite differences of L in W1)" in backward  # the step's gradient against the loss
    assert parts["NumpyANN._cross_entropy"].score == 0
    assert "L is 1/C times the expected value" in parts["NumpyANN._cross_entropy"].feedback
    # the draw of W1 without the handout's 0.01: one of the eight values __init__ sets
    assert parts["NumpyANN.__init__"].score == pytest.approx(3 * 7 / 8)
    assert "net.W1 is 100 times the expected value" in parts["NumpyANN.__init__"].feedback
    assert parts["NumpyANN.train"].score == 0  # its steps are the wrong _backward's: no value stands in for a step
    for name in ("NumpyANN._relu", "NumpyANN._relu_grad", "NumpyANN._forward", "NumpyANN.predict", "NumpyANN.accuracy"):
        assert parts[name].score == POINTS[name], (name, parts[name].feedback)


def test_wrong_output_activation_and_shuffled_batches(tmp_path):
    src = mutate(
        ("a2 = self._softmax(z2)", "a2 = 1 / (1 + np.exp(-z2))"),
        ("for i in range(0, X_train.shape[0], batch_size):",
         "order = np.random.permutation(len(X_train)); X_train, y_train = X_train[order], y_train[order]\n"
         "            for i in range(0, X_train.shape[0], batch_size):"),
    )
    report, parts = grade_source(tmp_path, src)
    assert parts["NumpyANN._forward"].score == 0 and "a2 " in parts["NumpyANN._forward"].feedback
    assert parts["NumpyANN.predict"].score == 0
    # the weights after one epoch, from the grader's start, are not those of the batches in order
    assert parts["NumpyANN.train"].score == 0 and "one.W1 entry" in parts["NumpyANN.train"].feedback
    # accuracy is judged with the solution's probabilities standing in for the student's predict
    assert parts["NumpyANN._relu"].score == 1 and parts["NumpyANN.accuracy"].score == 2


def test_a_wrong_relu_costs_its_own_point_only(tmp_path):
    # the solution's _relu values stand in where _forward, _backward, predict and train call it
    _, parts = grade_source(tmp_path, mutate(("return np.maximum(0, x)", "return np.abs(x)")))
    assert parts["NumpyANN._relu"].score == 0 and "R entry" in parts["NumpyANN._relu"].feedback
    for name in ("NumpyANN._forward", "NumpyANN._backward", "NumpyANN.train", "NumpyANN.predict", "NumpyANN.accuracy"):
        assert parts[name].score == POINTS[name], (name, parts[name].feedback)


def test_other_conventions_accepted(tmp_path):
    # relu'(0) = 1 (§1.3's words), a small epsilon in the log, the pre-filled training=True default dropped
    src = mutate(
        ("return np.where(x <= 0, 0, 1)", "return (x >= 0).astype(float)"),
        ("return -np.sum(y_true * np.log(y_pred)) / y_pred.shape[0]",
         "return -np.sum(y_true * np.log(y_pred + 1e-12)) / len(y_true)"),
    )
    report, parts = grade_source(tmp_path, src)
    assert {n: p.score for n, p in parts.items()} == POINTS, {n: p.feedback for n, p in parts.items()}


def test_the_pre_filled_cross_entropy_meets_its_doctest_and_the_old_argument_order_is_named(tmp_path):
    # the handout's order is (y_pred, y_true): a file that swapped it (as gradekit once called it) is named
    src = mutate(("def _cross_entropy(self, y_pred, y_true):", "def _cross_entropy(self, y_true, y_pred):"))
    report, parts = grade_source(tmp_path, src)
    assert parts["NumpyANN._cross_entropy"].score == 0
    assert "when the arguments come in the other order, `L = net._cross_entropy(Y, P)`: the function takes them " \
           "swapped" in parts["NumpyANN._cross_entropy"].feedback
    # _backward's loss for its finite differences is the solution's values standing in for the student's
    assert parts["NumpyANN._backward"].score == POINTS["NumpyANN._backward"], parts["NumpyANN._backward"].feedback
    for key in ("starter_source", "solution_source"):  # the handout's doctest: two samples of [0.5, 0.5]
        ann = course_file(key)["NumpyANN"].__new__(course_file(key)["NumpyANN"])
        assert ann._cross_entropy(np.full((2, 2), 0.5), np.eye(2)) == pytest.approx(0.6931471805599453, rel=1e-9)


def test_accuracy_on_class_indices_only_is_an_interface_mistake(tmp_path):
    # the handout's accuracy takes one-hot y_true (its doctest, and its train): argmax on them, not ==
    src = mutate(("return np.mean(pred == np.argmax(y_true, axis=1))", "return np.mean(pred == y_true)"))
    report, parts = grade_source(tmp_path, src)
    accuracy = parts["NumpyANN.accuracy"].feedback
    assert parts["NumpyANN.accuracy"].score == 0 and "`accuracy = net.accuracy(X, Y)` raised ValueError" in accuracy
    assert "(Y is one-hot: float64[N, C], a row per sample with 1 in its class's column)" in accuracy
    # train is judged with the solution's accuracy standing in; the whole class, as the handout runs it, crashes
    assert parts["NumpyANN.train"].score == POINTS["NumpyANN.train"], parts["NumpyANN.train"].feedback
    assert parts["NumpyANN"].score == 0 and "`net.train(X, Y, X_val, Y_val, 20, 32)` raised ValueError" in \
        parts["NumpyANN"].feedback
    for name in ("NumpyANN._forward", "NumpyANN._backward", "NumpyANN.predict", "NumpyANN._cross_entropy"):
        assert parts[name].score == POINTS[name], (name, parts[name].feedback)


def test_a_broken_init_does_not_fail_the_other_methods(tmp_path):
    src = mutate(("np.random.seed(random_seed)", "raise RuntimeError('boom')"))
    report, parts = grade_source(tmp_path, src)
    assert parts["NumpyANN.__init__"].score == 0
    assert "`net = NumpyANN(D, H, C, 0.25)` raised RuntimeError: boom" in parts["NumpyANN.__init__"].feedback
    for name in ("NumpyANN._relu", "NumpyANN._forward", "NumpyANN._backward", "NumpyANN.train", "NumpyANN"):
        assert parts[name].score == POINTS[name], (name, parts[name].feedback)


def _loss(weights, X, Y):
    """The loss §1.6's gradient is of: the cross-entropy summed over classes, averaged over samples (by torch)."""
    W1, b1, W2, b2 = weights
    logp = torch.log_softmax(torch.relu(torch.tensor(X) @ W1 + b1) @ W2 + b2, dim=1)
    return -(torch.tensor(Y) * logp).sum() / len(X)


def test_the_solutions_backward_steps_down_the_gradient_torch_autograd_gives():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(6, 4)), np.eye(3)[rng.integers(0, 3, 6)]
    weights = (rng.normal(0, 0.5, (4, 5)), rng.normal(0, 0.1, (1, 5)), rng.normal(0, 0.5, (5, 3)),
               rng.normal(0, 0.1, (1, 3)))
    NumpyANN = course_file("solution_source")["NumpyANN"]
    net = NumpyANN(4, 5, 3, lr=0.1)
    for k, w in zip(WEIGHTS, weights):
        setattr(net, k, w.copy())
    net._forward(X, training=True)
    net._backward(X, Y)
    t = [torch.tensor(w, requires_grad=True) for w in weights]
    _loss(t, X, Y).backward()
    for k, w, tw in zip(WEIGHTS, weights, t):
        np.testing.assert_allclose((w - getattr(net, k)) / 0.1, tw.grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=k)
    # and central differences of the loss, as the check takes them, agree with autograd
    for i, tw in enumerate(t):
        for idx in np.ndindex(weights[i].shape):
            up, down = [torch.tensor(w) for w in weights], [torch.tensor(w) for w in weights]
            up[i][idx] += 1e-6
            down[i][idx] -= 1e-6
            fd = (float(_loss(up, X, Y)) - float(_loss(down, X, Y))) / 2e-6
            assert fd == pytest.approx(float(tw.grad[idx]), rel=1e-5, abs=1e-8)


def test_overall_threshold_is_reachable_by_the_solution():
    solution = course_file("solution_source")
    X, Y, Xv, Yv, Xt, Yt, *start = solution["digits_data"]()
    net = solution["NumpyANN"](64, 64, 10, lr=0.5)
    for k, w in zip(WEIGHTS, start):
        np.testing.assert_array_equal(getattr(net, k), w)  # the start: __init__'s draw after np.random.seed(42)
    net.train(X, Y, Xv, Yv, epochs=20, batch_size=32)
    acc = solution["digits_accuracy"](Xt, Yt, net.W1, net.b1, net.W2, net.b2)
    threshold = PROBLEM.validated_params.extra["tests"]["NumpyANN"].fit.threshold
    assert acc >= threshold + 0.05 and (len(X), len(Xv), len(Xt)) == (1258, 180, 359)
    assert X.min() == 0 and X.max() == 1 and set(Y.sum(1)) == {1.0}


# A class that never trains its network but predicts by its nearest training example scores the overall test
# only if the test judges the labels its predict returns: the network's own weights must do the predicting.
NEAREST = mutate(
    ("    def train(self, X_train, y_train, X_val, y_val, epochs, batch_size):\n",
     "    def train(self, X_train, y_train, X_val, y_val, epochs, batch_size):\n"
     "        self._memory = (X_train, y_train)\n        return\n"),
    ("    def predict(self, X):\n        return self._forward(X, training=False)\n",
     "    def predict(self, X):\n"
     "        if not hasattr(self, '_memory'):\n            return self._forward(X, training=False)\n"
     "        Xm, ym = self._memory\n"
     "        d = ((X[:, None, :] - Xm[None, :, :]) ** 2).sum(-1)\n"
     "        return ym[d.argmin(1)]\n"),
)


def test_a_nearest_neighbour_in_place_of_training_scores_nothing_overall(tmp_path):
    _, parts = grade_source(tmp_path, NEAREST)
    overall = parts["NumpyANN"]
    assert overall.score == 0, overall.feedback
    assert "W1_T, b1_T, W2_T, b2_T came back as the start W1, b1, W2, b2: the network was not trained" in \
        overall.feedback, overall.feedback


def test_the_overall_accuracy_is_that_of_the_trained_weights(tmp_path):
    # a predict that returns the right labels from the trained weights is judged by the weights alone
    _, parts = grade_source(tmp_path, CORRECT)
    assert parts["NumpyANN"].score == POINTS["NumpyANN"], parts["NumpyANN"].feedback

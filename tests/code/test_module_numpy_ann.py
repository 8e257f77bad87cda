"""cs37300-hw4/numpy_ann: the NumpyANN class graded method by method in the sandbox child."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gradekit.catalog.catalog import load_catalog
from gradekit.code.starter import starter
from gradekit.reference import numpy_ann as ref
from gradekit.reference.families import module_numpy_ann as fam
from gradekit.sandbox.process import Limits
from tests.helpers import grade_file

CAT = load_catalog()
PROBLEM = CAT.resolve("cs37300-hw4/numpy_ann")
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


def test_spec_points_and_total():
    assert {p.name: p.points for p in PROBLEM.parts} == POINTS
    assert sum(POINTS.values()) == 18  # §1 of the handout
    assert PROBLEM.validated_params.file == "numpy_ann.py"


def test_correct_class_scores_full_marks_under_a_renamed_file(tmp_path):
    report, parts = grade_source(tmp_path, CORRECT, "numpy_ann_jdoe.py")
    assert report.problems[0].id == "numpy_ann"
    assert {n: p.score for n, p in parts.items()} == POINTS, {n: p.feedback for n, p in parts.items()}


def test_starter_scores_zero_not_implemented_per_part(tmp_path):
    text = starter(PROBLEM)
    assert "class NumpyANN:" in text and "def _backward(self, X, y_true):" in text
    report, parts = grade_source(tmp_path, text)
    assert report.score == 0 and set(parts) == set(POINTS)
    assert all(p.verdict == "missing" and p.feedback == "not implemented" for p in parts.values()), \
        {n: p.feedback for n, p in parts.items()}


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
    assert parts["NumpyANN._backward"].score == 0
    assert "not divided by the number of samples" in parts["NumpyANN._backward"].feedback
    assert "finite_differences" in parts["NumpyANN._backward"].feedback
    assert parts["NumpyANN._cross_entropy"].score == 0
    assert "divided by the number of classes too (§1.4's prose)" in parts["NumpyANN._cross_entropy"].feedback
    assert parts["NumpyANN.__init__"].score == 0 and "np.random.seed(42)" in parts["NumpyANN.__init__"].feedback
    assert parts["NumpyANN.train"].score == 0  # its steps are the wrong _backward's
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
    assert parts["NumpyANN._forward"].score == 0 and "a2 row " in parts["NumpyANN._forward"].feedback
    assert parts["NumpyANN.predict"].score == 0
    assert parts["NumpyANN.train"].score == 0 and "batches in order" in parts["NumpyANN.train"].feedback
    assert parts["NumpyANN._relu"].score == 1 and parts["NumpyANN.accuracy"].score == 2


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
    assert "taken as (y_true, y_pred); the handout's order is (y_pred, y_true)" in \
        parts["NumpyANN._cross_entropy"].feedback
    assert ref.NumpyANN._cross_entropy(np.full((2, 2), 0.5), np.eye(2)) == pytest.approx(0.6931471805599453, rel=1e-9)


def test_accuracy_on_class_indices_only_is_an_interface_mistake(tmp_path):
    # the handout's accuracy takes one-hot y_true (its doctest, and its train): argmax on them, not ==
    src = mutate(("return np.mean(pred == np.argmax(y_true, axis=1))", "return np.mean(pred == y_true)"))
    report, parts = grade_source(tmp_path, src)
    assert parts["NumpyANN.accuracy"].score == 0 and "for one-hot y_true" in parts["NumpyANN.accuracy"].feedback
    # the handout's train calls accuracy(X_val, y_val) on one-hot labels too: the student's own file crashes there
    assert parts["NumpyANN.train"].score == 0 and "NumpyANN.train raised ValueError" in parts["NumpyANN.train"].feedback
    for name in ("NumpyANN._forward", "NumpyANN._backward", "NumpyANN.predict", "NumpyANN._cross_entropy"):
        assert parts[name].score == POINTS[name], (name, parts[name].feedback)


def test_a_broken_init_does_not_fail_the_other_methods(tmp_path):
    src = mutate(("np.random.seed(random_seed)", "raise RuntimeError('boom')"))
    report, parts = grade_source(tmp_path, src)
    assert parts["NumpyANN.__init__"].score == 0
    assert "NumpyANN.__init__ raised RuntimeError: boom" in parts["NumpyANN.__init__"].feedback
    for name in ("NumpyANN._relu", "NumpyANN._forward", "NumpyANN._backward", "NumpyANN.train"):
        assert parts[name].score == POINTS[name], (name, parts[name].feedback)


def test_reference_backward_matches_torch_autograd_of_the_handout_loss():
    rng = np.random.default_rng(0)
    X, weights = rng.normal(size=(6, 4)), fam._network(rng, 4, 5, 3)
    Y = ref.one_hot(rng.integers(0, 3, 6), 3)
    net = fam._reference(weights)
    net._forward(X, training=True)
    grads = net._gradients(X, Y)
    t = [torch.tensor(w, requires_grad=True) for w in weights]
    a1 = torch.relu(torch.tensor(X) @ t[0] + t[1])
    logp = torch.log_softmax(a1 @ t[2] + t[3], dim=1)
    (-(torch.tensor(Y) * logp).sum() / len(X)).backward()
    for k, w in zip(fam.WEIGHTS, t):
        np.testing.assert_allclose(grads[k], w.grad.numpy(), rtol=1e-10, atol=1e-12)
    # and the finite differences the check uses agree with autograd
    for g, w in zip(fam.numeric_gradient(weights, X, Y), t):
        np.testing.assert_allclose(g, w.grad.numpy(), rtol=1e-5, atol=1e-8)


def test_overall_threshold_is_reachable_by_the_reference():
    X, y, Xv, yv, Xt, yt = fam.digits_split()
    d = fam.DIGITS
    net = ref.NumpyANN(64, d["hidden"], 10, lr=d["lr"])
    net.train(X, ref.one_hot(y, 10), epochs=d["epochs"], batch_size=d["batch_size"])
    acc = net.accuracy(Xt, yt)
    threshold = PROBLEM.part("NumpyANN").options["threshold"]
    assert acc >= threshold + 0.05 and (len(X), len(Xv), len(Xt)) == (1258, 180, 359)


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
    assert "weights" in overall.feedback and "never moved" in overall.feedback, overall.feedback


def test_the_overall_accuracy_is_that_of_the_trained_weights(tmp_path):
    # a predict that returns the right labels from the trained weights is judged by the weights alone
    _, parts = grade_source(tmp_path, CORRECT)
    assert parts["NumpyANN"].score == POINTS["NumpyANN"], parts["NumpyANN"].feedback

"""cs37300-hw4/pytorch_ann and pytorch_cnn: the handout classes graded method by method in the sandbox child."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gradekit.spec.catalog import load_catalog
from gradekit.code.starter import starter
from gradekit.reference import models
from gradekit.reference.families import module_torch_handout as fam
from gradekit.sandbox.process import Limits
from tests.helpers import grade_file

CAT = load_catalog()
ANN, CNN = CAT.resolve("cs37300-hw4/pytorch_ann"), CAT.resolve("cs37300-hw4/pytorch_cnn")
ANN_POINTS = {"PyTorchANN.__init__": 3, "PyTorchANN.forward": 1, "PyTorchANN.train": 5, "PyTorchANN.predict": 1,
              "plot_train_val_metrics": 0, "PyTorchANN": 2, "PyTorchANN.report_my_judgement": 1}
CNN_POINTS = {"PyTorchCNN.__init__": 6, "PyTorchCNN": 2, "PyTorchCNN.report_my_judgement": 2}
LIMITS = Limits(cpu_seconds=120, wall_seconds=60.0)

# As students write them from the handout (train shadows nn.Module.train, as the handout has it).
ANN_SOURCE = '''
import torch
import torch.nn as nn
import matplotlib.pyplot as plt


class PyTorchANN(nn.Module):
    def __init__(self, input_size, hidden_size, output_size, seed=42):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.output_size = output_size
        self.seed = seed
        torch.manual_seed(self.seed)
        self.model = nn.Sequential(
            nn.Linear(self.input_size, self.hidden_size),
            nn.ReLU(),
            nn.Linear(self.hidden_size, self.output_size),
        )

    def forward(self, X):
        return self.model(X)

    def train(self, X_train, y_train, X_val, y_val, epochs, batch_size, learning_rate):
        loss_fn = nn.CrossEntropyLoss()
        optimizer = torch.optim.SGD(self.model.parameters(), lr=learning_rate)
        self.train_losses, self.val_losses = [], []
        for epoch in range(epochs):
            for i in range(0, len(X_train), batch_size):
                optimizer.zero_grad()
                loss = loss_fn(self.forward(X_train[i:i + batch_size]), y_train[i:i + batch_size])
                loss.backward()
                optimizer.step()
            with torch.no_grad():
                self.train_losses.append(loss_fn(self.forward(X_train), y_train).item())
                self.val_losses.append(loss_fn(self.forward(X_val), y_val).item())

    def predict(self, X):
        with torch.no_grad():
            return torch.argmax(self.forward(X), dim=1)

    def plot_train_val_metrics(self):
        fig, ax = plt.subplots(1, 2)
        ax[0].plot(self.train_losses)
        ax[0].plot(self.val_losses)

    def report_my_judgement(self):
        return "generalizing"
'''

CNN_SOURCE = '''
import torch
import torch.nn as nn


class PyTorchCNN(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.num_classes = num_classes
        self.model = nn.Sequential(
            nn.Conv2d(1, 32, kernel_size=3, stride=1, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.BatchNorm2d(32), nn.Dropout(0.3),
            nn.Conv2d(32, 64, kernel_size=3, stride=1, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.BatchNorm2d(64), nn.Dropout(0.3),
            nn.Conv2d(64, 128, kernel_size=3, stride=1, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.BatchNorm2d(128), nn.Dropout(0.3),
            nn.Conv2d(128, 256, kernel_size=3, stride=1, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.BatchNorm2d(256), nn.Dropout(0.3),
            nn.Flatten(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, self.num_classes),
        )

    def forward(self, X):
        return self.model(X)

    def report_my_judgement(self):
        return "Generalizing"
'''


def mutate(src: str, *pairs: tuple[str, str]) -> str:
    for old, new in pairs:
        assert old in src, old
        src = src.replace(old, new)
    return src


def _grade(folder, name: str, source: str):
    return grade_file(folder, name, source, limits=LIMITS)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    def run(key, name, source):
        return _grade(tmp_path_factory.mktemp(key), name, source)

    return {
        "ann": run("ann", "pytorch_ann.py", ANN_SOURCE),
        "ann_slips": run("slips", "pytorch_ann_jdoe.py", mutate(
            ANN_SOURCE,
            ("        torch.manual_seed(self.seed)\n", ""),
            ("return torch.argmax(self.forward(X), dim=1)", "return torch.softmax(self.forward(X), dim=1)"),
            ('return "generalizing"', 'return "it looks fine"'))),
        "ann_shuffled": run("shuffled", "pytorch_ann.py", mutate(
            ANN_SOURCE, ("optimizer = torch.optim.SGD(", "optimizer = torch.optim.Adam("))),
        "cnn": run("cnn", "pytorch_cnn.py", CNN_SOURCE),
        "cnn_slips": run("cnnslips", "pytorch_cnn.py", mutate(
            CNN_SOURCE, ("nn.BatchNorm2d(256), nn.Dropout(0.3)", "nn.BatchNorm2d(256), nn.Dropout(0.5)"))),
    }


def scores(parts):
    return {n: p.score for n, p in parts.items()}


def test_specs_points():
    assert {p.name: p.points for p in ANN.parts} == {**ANN_POINTS, "plot_train_val_metrics": 1}
    assert {p.name: p.points for p in CNN.parts} == CNN_POINTS
    assert sum(p.points for p in ANN.parts) == 14 and sum(CNN_POINTS.values()) == 10  # §2 and §3 of the handout


def test_correct_classes_score_full_marks(graded):
    _, parts = graded["ann"]
    assert scores(parts) == ANN_POINTS, {n: p.feedback for n, p in parts.items()}
    assert parts["plot_train_val_metrics"].verdict == "manual"
    _, parts = graded["cnn"]
    assert scores(parts) == CNN_POINTS, {n: p.feedback for n, p in parts.items()}


def test_ann_slips_lose_their_own_parts(graded):
    _, parts = graded["ann_slips"]
    assert parts["PyTorchANN.__init__"].score == pytest.approx(3 * 4 / 5)  # the layers are right: 4 checks of 5
    assert "torch.manual_seed(seed)" in parts["PyTorchANN.__init__"].feedback
    assert parts["PyTorchANN.predict"].score == 0 and "expected 1 label (torch.argmax of the outputs)" in parts["PyTorchANN.predict"].feedback
    assert parts["PyTorchANN.report_my_judgement"].score == 0
    assert "'it looks fine'" in parts["PyTorchANN.report_my_judgement"].feedback
    for name in ("PyTorchANN.forward", "PyTorchANN.train", "PyTorchANN"):
        assert parts[name].score == ANN_POINTS[name], (name, parts[name].feedback)


def test_ann_train_with_another_optimizer_is_wrong(graded):
    _, parts = graded["ann_shuffled"]
    assert parts["PyTorchANN.train"].score == 0
    assert "torch.optim.SGD" in parts["PyTorchANN.train"].feedback
    assert parts["PyTorchANN.forward"].score == 1


def test_cnn_wrong_dropout_fails_the_constructor_only(graded):
    _, parts = graded["cnn_slips"]
    assert parts["PyTorchCNN.__init__"].score < 6 and "0.5" in parts["PyTorchCNN.__init__"].feedback
    assert parts["PyTorchCNN.report_my_judgement"].score == 2


def test_starters_score_zero_not_implemented(tmp_path):
    for problem, points in ((ANN, ANN_POINTS), (CNN, CNN_POINTS)):
        text = starter(problem)
        name = problem.validated_params.file
        report, parts = _grade(tmp_path, name, text)
        assert report.score == 0
        graded_parts = {n: p for n, p in parts.items() if n != "plot_train_val_metrics"}
        assert all(p.feedback == "not implemented" for p in graded_parts.values()), \
            {n: p.feedback for n, p in graded_parts.items()}


def test_numpy_logits_and_sgd_agree_with_the_torch_reference():
    rng = np.random.default_rng(0)
    weights = fam._ann_weights(rng)
    X = rng.normal(size=(7, 6)).astype(np.float32)
    ref = fam._ann_reference(weights)
    np.testing.assert_allclose(fam._ann_logits(weights, X.astype(np.float64)), ref(torch.from_numpy(X)).detach().numpy(),
                               rtol=1e-5, atol=1e-5)
    # one SGD step of the reference = the step from the cross-entropy gradient written out by hand
    y = np.array([0, 1, 2, 0, 1, 2, 0])
    ref.train(torch.from_numpy(X), torch.from_numpy(y), None, None, 1, 7, 0.1)
    W1, b1, W2, b2 = (w.astype(np.float64) for w in weights)
    h = X @ W1.T + b1
    a = np.maximum(h, 0)
    z = a @ W2.T + b2
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    dz = (p - np.eye(3)[y]) / len(y)
    dh = (dz @ W2) * (h > 0)
    np.testing.assert_allclose(ref.model[2].weight.detach().numpy(), W2 - 0.1 * dz.T @ a, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(ref.model[0].weight.detach().numpy(), W1 - 0.1 * dh.T @ X, rtol=1e-4, atol=1e-6)


def test_overall_thresholds_are_reachable_by_the_references():
    X, y, Xv, yv, Xt, yt = fam._digits("PyTorchANN")
    d = fam.ANN_DIGITS
    net = models.PyTorchANN(64, d["hidden"], 10, d["seed"])
    net.train(torch.from_numpy(X), torch.from_numpy(y), None, None, d["epochs"], d["batch_size"], d["lr"])
    assert net.accuracy(torch.from_numpy(Xt), yt) >= ANN.part("PyTorchANN").options["threshold"] + 0.05
    X, y, Xv, yv, Xt, yt = fam._digits("PyTorchCNN")
    assert X.shape[1:] == (1, 28, 28) and len(Xt) == 359

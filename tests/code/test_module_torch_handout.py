"""cs37300-hw4/pytorch_ann and pytorch_cnn: the handout classes graded method by method in the sandbox child."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gradekit.catalog.catalog import load_catalog
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

# As students fill in the handout's starter files (Purdue CS 37300 HW4: pytorch_ann.py, pytorch_cnn.py; filled-in
# copies are public, e.g. cadeneck/DS-Pytorch at 053cd99540ebf6cf40dedb08b3ab6719c24f008a): the pre-filled parts
# as the starter has them (train_val_metrics, accuracy on one-hot labels, the CNN's full-batch train), written here.
ANN_SOURCE = '''
import torch
import torch.nn as nn
import matplotlib.pyplot as plt


class PyTorchANN(nn.Module):
    def __init__(self, input_size, hidden_size, output_size, random_seed=42):
        super(PyTorchANN, self).__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.output_size = output_size
        self.seed = random_seed
        torch.manual_seed(random_seed)
        self.model = nn.Sequential(nn.Linear(input_size, hidden_size), nn.ReLU(), nn.Linear(hidden_size, output_size))

    def forward(self, X):
        return self.model(X)

    def train(self, X_train, y_train, X_val, y_val, epochs, batch_size, learning_rate):
        loss_function = nn.CrossEntropyLoss()
        optimizer = torch.optim.SGD(self.model.parameters(), lr=learning_rate)
        train_losses, train_accs, val_losses, val_accs = [], [], [], []
        for epoch in range(epochs):
            for X_batch, y_batch in zip(X_train.split(batch_size), y_train.split(batch_size)):
                self.model.train()
                optimizer.zero_grad()
                output = self.forward(X_batch)
                loss = loss_function(output, y_batch)
                loss.backward()
                optimizer.step()
            self.model.eval()
            with torch.no_grad():
                train_losses.append(loss_function(self.forward(X_train), y_train).item())
                train_accs.append(self.accuracy(X_train, y_train))
                val_losses.append(loss_function(self.forward(X_val), y_val).item())
                val_accs.append(self.accuracy(X_val, y_val))
        self.train_val_metrics = {"train_losses": train_losses, "train_accs": train_accs,
                                  "val_losses": val_losses, "val_accs": val_accs}

    def predict(self, X):
        self.model.eval()
        with torch.no_grad():
            return self.forward(X).argmax(dim=1)

    def plot_train_val_metrics(self):
        fig, ax = plt.subplots(1, 2, figsize=(12, 6))
        ax[0].plot(self.train_val_metrics["train_losses"], label="Train Loss")
        ax[0].plot(self.train_val_metrics["val_losses"], label="Val Loss")
        ax[1].plot(self.train_val_metrics["train_accs"], label="Train Accuracy")
        ax[1].plot(self.train_val_metrics["val_accs"], label="Val Accuracy")
        return fig, ax

    def report_my_judgement(self):
        my_judgement = "overfitting"
        assert my_judgement in ["overfitting", "underfitting", "generalizing"]
        return my_judgement

    def accuracy(self, X, y):
        assert X.shape[0] == y.shape[0]
        correct = torch.sum(self.predict(X) == y.argmax(dim=1))
        return (correct / X.shape[0]).item()
'''

CNN_SOURCE = '''
import random

import numpy as np
import torch
import torch.nn as nn


class PyTorchCNN(nn.Module):
    def __init__(self, num_classes=10, random_seed=42):
        super(PyTorchCNN, self).__init__()
        torch.manual_seed(random_seed)
        np.random.seed(random_seed)
        random.seed(random_seed)
        self.num_classes = num_classes
        self.model = nn.Sequential(
            nn.Conv2d(1, 32, kernel_size=3, stride=1, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.BatchNorm2d(32), nn.Dropout(0.3),
            nn.Conv2d(32, 64, kernel_size=3, stride=1, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.BatchNorm2d(64), nn.Dropout(0.3),
            nn.Conv2d(64, 128, kernel_size=3, stride=1, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.BatchNorm2d(128), nn.Dropout(0.3),
            nn.Conv2d(128, 256, kernel_size=3, stride=1, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.BatchNorm2d(256), nn.Dropout(0.3),
            nn.Flatten(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, self.num_classes),
        )

    def forward(self, x):
        return self.model(x)

    def train(self, X_train, y_train, X_val, y_val, epochs=10, learning_rate=0.001):
        loss_function = nn.CrossEntropyLoss()
        optimizer = torch.optim.Adam(self.parameters(), lr=learning_rate)
        train_losses, train_accs, val_losses, val_accs = [], [], [], []
        for epoch in range(epochs):
            self.model.train()
            optimizer.zero_grad()
            loss = loss_function(self.forward(X_train), y_train)
            loss.backward()
            optimizer.step()
            train_losses.append(loss.item())
            train_accs.append(self.accuracy(X_train, y_train))
            self.model.eval()
            with torch.no_grad():
                val_losses.append(loss_function(self.forward(X_val), y_val).item())
                val_accs.append(self.accuracy(X_val, y_val))
        self.train_val_metrics = {"train_losses": train_losses, "train_accs": train_accs,
                                  "val_losses": val_losses, "val_accs": val_accs}

    def predict(self, X):
        self.model.eval()
        with torch.no_grad():
            return self.forward(X).argmax(dim=1)

    def report_my_judgement(self):
        my_judgement = "generalizing"
        return my_judgement

    def accuracy(self, X, y):
        correct = torch.sum(self.predict(X) == y.argmax(dim=1))
        return (correct / X.shape[0]).item()
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
            ("        torch.manual_seed(random_seed)\n", ""),
            ("return self.forward(X).argmax(dim=1)", "return torch.softmax(self.forward(X), dim=1)"),
            ('my_judgement = "overfitting"\n        assert my_judgement in ["overfitting", "underfitting", "generalizing"]',
             'my_judgement = "it looks fine"'))),
        # class indices where the handout one-hot encodes: train's loss is fed y_batch.long()
        "ann_indices": run("indices", "pytorch_ann.py", mutate(
            ANN_SOURCE, ("loss = loss_function(output, y_batch)", "loss = loss_function(output, y_batch.long())"))),
        # a TA marks "underfitting" wrong for well-trained curves (training accuracy 1.00, validation 0.96)
        "ann_under": run("under", "pytorch_ann.py", mutate(
            ANN_SOURCE, ('my_judgement = "overfitting"', 'my_judgement = "underfitting"'))),
        # the judgement worked out from the recorded curves: a fresh instance has none, the trained one has
        "ann_from_metrics": run("frommetrics", "pytorch_ann.py", mutate(
            ANN_SOURCE, ('my_judgement = "overfitting"',
                         'm = self.train_val_metrics\n        gap = m["train_accs"][-1] - m["val_accs"][-1]\n'
                         '        rise = m["val_losses"][-1] / min(m["val_losses"]) - 1\n'
                         '        my_judgement = "overfitting" if gap > 0.1 or rise > 0.1 else "generalizing"'))),
        "ann_shuffled": run("shuffled", "pytorch_ann.py", mutate(
            ANN_SOURCE, ("optimizer = torch.optim.SGD(", "optimizer = torch.optim.Adam("))),
        "cnn": run("cnn", "pytorch_cnn.py", CNN_SOURCE),
        "cnn_slips": run("cnnslips", "pytorch_cnn.py", mutate(
            CNN_SOURCE, ("nn.BatchNorm2d(256), nn.Dropout(0.3)", "nn.BatchNorm2d(256), nn.Dropout(0.5)"))),
        # "overfitting" for the handout program's run, whose curves end at training accuracy 0.852, validation 0.817
        "cnn_over": run("cnnover", "pytorch_cnn.py", mutate(
            CNN_SOURCE, ('my_judgement = "generalizing"', 'my_judgement = "overfitting"'))),
        "cnn_slips_over": run("cnnslipsover", "pytorch_cnn.py", mutate(
            CNN_SOURCE, ("nn.BatchNorm2d(256), nn.Dropout(0.3)", "nn.BatchNorm2d(256), nn.Dropout(0.5)"),
            ('my_judgement = "generalizing"', 'my_judgement = "overfitting"'))),
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
    assert "report_my_judgement" not in parts["PyTorchANN.__init__"].feedback
    assert "torch.manual_seed(seed)" in parts["PyTorchANN.__init__"].feedback
    assert parts["PyTorchANN.predict"].score == 0 and "expected 1 label (torch.argmax of the outputs)" in parts["PyTorchANN.predict"].feedback
    assert parts["PyTorchANN.report_my_judgement"].score == 0
    assert "'it looks fine'" in parts["PyTorchANN.report_my_judgement"].feedback
    assert parts["PyTorchANN.forward"].score == 1
    # the handout's pre-filled accuracy() compares predict's labels with y.argmax(dim=1): probabilities from
    # predict break train where it records its accuracy, as they break the student's own run of the file
    assert parts["PyTorchANN.train"].score == 0 and "must match the size" in parts["PyTorchANN.train"].feedback


def test_ann_labels_as_indices_lose_train_and_the_overall_test_only(graded):
    _, parts = graded["ann_indices"]
    assert parts["PyTorchANN.train"].score == 0 and parts["PyTorchANN"].score == 0
    assert "PyTorchANN.train raised RuntimeError" in parts["PyTorchANN.train"].feedback
    for name in ("PyTorchANN.__init__", "PyTorchANN.forward", "PyTorchANN.predict", "PyTorchANN.report_my_judgement"):
        assert parts[name].score == ANN_POINTS[name], (name, parts[name].feedback)


def test_the_judgement_is_checked_against_the_trained_models_own_curves(graded):
    _, parts = graded["ann_under"]
    judged = parts["PyTorchANN.report_my_judgement"]
    assert judged.score == 0 and "returned 'underfitting', but the curves after 100 epochs" in judged.feedback
    assert "of PyTorchANN(784, 32, 10) trained by its train(..., epochs=100, batch_size=64, learning_rate=0.2)" \
        in judged.feedback
    assert "make it overfitting by the rule: underfitting when the final training accuracy is below 0.80" in \
        judged.feedback, judged.feedback
    _, parts = graded["ann_from_metrics"]
    assert parts["PyTorchANN.report_my_judgement"].score == 1, parts["PyTorchANN.report_my_judgement"].feedback


def test_the_rule_on_curves_a_ta_would_read():
    falling = [1.0, 0.6, 0.4, 0.3]
    assert fam.judge_curves((falling, [0.7, 0.85, 0.93, 0.96], [1.1, 0.8, 0.6, 0.5], [0.7, 0.8, 0.85, 0.88]))[0] == \
        {"generalizing", "overfitting"}  # a gap of 0.08: within the margin of 0.10
    assert fam.judge_curves((falling, [0.7, 0.85, 0.93, 0.99], [1.1, 0.8, 0.6, 0.5], [0.7, 0.8, 0.85, 0.98]))[0] == \
        {"generalizing"}
    assert fam.judge_curves((falling, [0.8, 0.9, 0.97, 0.99], [0.9, 0.6, 0.7, 0.9], [0.8, 0.85, 0.84, 0.83]))[0] == \
        {"overfitting"}  # the validation loss rose while the training loss fell
    assert fam.judge_curves(([2.3, 2.2, 2.2, 2.1], [0.2, 0.3, 0.35, 0.4], [2.3, 2.2, 2.2, 2.1], [0.2, 0.3, 0.3, 0.4]))[0] \
        == {"underfitting"}


def test_ann_train_with_another_optimizer_is_wrong(graded):
    _, parts = graded["ann_shuffled"]
    assert parts["PyTorchANN.train"].score == 0
    assert "torch.optim.SGD" in parts["PyTorchANN.train"].feedback
    assert parts["PyTorchANN.forward"].score == 1


def test_cnn_wrong_dropout_fails_the_constructor_only(graded):
    _, parts = graded["cnn_slips"]
    assert parts["PyTorchCNN.__init__"].score < 6 and "0.5" in parts["PyTorchCNN.__init__"].feedback
    assert parts["PyTorchCNN.report_my_judgement"].score == 2


def test_the_cnn_judgement_is_asked_of_the_handout_programs_run_which_the_students_network_makes(graded):
    """The handout's program (60 full-batch Adam epochs) is the run students answer for: a network and train
    whose first epochs make its curves are judged on its kept curves (training accuracy 0.852, validation
    0.817: generalizing), without the 120 s of training; another network is judged on the overall test's run,
    and the feedback says why."""
    _, parts = graded["cnn_over"]
    judged = parts["PyTorchCNN.report_my_judgement"]
    assert judged.score == 0, judged.feedback
    assert "returned 'overfitting', but the curves after 60 epochs (training accuracy 0.852, validation 0.817" \
        in judged.feedback, judged.feedback
    assert "of the handout program's run (PyTorchCNN(10) trained by its train(..., epochs=60, learning_rate=0.002)" \
        in judged.feedback and "make it generalizing by the rule" in judged.feedback
    _, parts = graded["cnn_slips_over"]
    judged = parts["PyTorchCNN.report_my_judgement"]
    assert "curves after 4 epochs" in judged.feedback, judged.feedback
    assert "(not the handout program's run: your network and train do not make it: their first 2 epochs give" \
        in judged.feedback


def test_the_kept_cnn_run_is_the_references_run():
    """The kept curves are what the reference makes: its first three epochs again, here (about 6 s)."""
    import torch

    from gradekit.reference import handout_cnn_run as kept

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        made = kept.run(3)
    finally:
        torch.set_num_threads(threads)
    for name in kept.NAMES:
        np.testing.assert_allclose(made[name], kept.CURVES[name][:3], rtol=1e-4, atol=1e-6, err_msg=name)
    assert len(kept.CURVES["val_accs"]) == kept.EPOCHS == 60
    assert (round(kept.CURVES["train_accs"][-1], 3), round(kept.CURVES["val_accs"][-1], 3)) == (0.852, 0.817)
    assert fam.judge_curves([kept.CURVES[k] for k in kept.NAMES])[0] == {"generalizing"}


def test_starters_score_zero_not_implemented(tmp_path):
    for problem in (ANN, CNN):
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
    ref.train(torch.from_numpy(X), torch.from_numpy(np.eye(3, dtype=np.float32)[y]), None, None, 1, 7, 0.1)
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

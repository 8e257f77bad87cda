"""ece449-a2 task2 (get_DNN, train_torch) and task3 (get_lenet, train_cnn): module.torch_train end to end.

Each graded file costs a child that imports torch and builds an optimizer (~2.5 s
before any training): files are graded once (module-scoped fixtures) and share
assertions, and the train_torch mistakes run in one child, switched by a call.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

from gradekit.spec.catalog import load_catalog
from tests.helpers import grade_file
from gradekit.code.session import ModuleSession
from gradekit.code.starter import starter
from gradekit.reference import ece449_torch, models
from gradekit.reference import mlp_numpy as ref
from gradekit.reference.families import module_torch_train as fam
from tests.module_task23 import TASK2, TASK2_TEMPLATE_STYLE, task3

CAT = load_catalog()
TASK2_PROBLEM, TASK3_PROBLEM = CAT.resolve("ece449-a2/task2"), CAT.resolve("ece449-a2/task3")

WRONG_DNN = {
    "bias": "nn.Sequential(nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 1))",
    "hidden3": "nn.Sequential(nn.Linear(3, 3, bias=False), nn.ReLU(), nn.Linear(3, 1, bias=False))",
}
WRONG_LOSS = {
    "sum": "0.5 * ((y[i:i + batch_size] - O) ** 2).sum()",
    "mse": "nn.MSELoss()(O, y[i:i + batch_size])",
}


def _task2(dnn: str, loss: str) -> str:
    src = TASK2.replace("nn.Sequential(nn.Linear(3, 2, bias=False), nn.ReLU(), nn.Linear(2, 1, bias=False))", dnn)
    return src.replace("0.5 * ((y[i:i + batch_size] - O) ** 2).mean()", loss)


def _grade(tmp_path_factory, name: str, source: str, problem: str | None = None):
    return grade_file(tmp_path_factory.mktemp("sub"), name, source, problem=problem)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    subs = {
        "task2": ("task2_3180100111.py", TASK2),
        "task2_template_style": ("task2.py", TASK2_TEMPLATE_STYLE),
        "task2_bias_sum": ("task2.py", _task2(WRONG_DNN["bias"], WRONG_LOSS["sum"])),
        "task2_hidden3_mse": ("task2.py", _task2(WRONG_DNN["hidden3"], WRONG_LOSS["mse"])),
        "task3": ("task3_3180100111.py", task3()),
        "task3_wrong": ("task3.py", task3(fc1="self.fc1(x)", step="pass")),  # fc1's ReLU forgotten; never steps
    }
    return {k: _grade(tmp_path_factory, name, src) for k, (name, src) in subs.items()}


def test_specs_declare_files_signatures_points_and_the_assignment_total():
    s2, s3 = TASK2_PROBLEM.validated_params, TASK3_PROBLEM.validated_params
    assert (s2.file, s3.file) == ("task2.py", "task3.py")
    assert [c.signature for c in s2.callables] == [
        "get_DNN()", "train_torch(model, X, y, lr, num_epochs=10, batch_size=10)"]
    assert [c.signature for c in s3.callables] == [
        "get_lenet()", "train_cnn(model, X_train, y_train, num_epochs, batch_size, lr)"]
    assert {p.name: p.points for p in TASK2_PROBLEM.parts} == {"get_DNN": 5, "train_torch": 5}
    assert {p.name: p.points for p in TASK3_PROBLEM.parts} == {"get_lenet": 5, "train_cnn": 15}
    assert [c.name for c in s2.callable("train_torch").checks] == ["trajectory", "losses", "digits"]
    assert CAT.assignment("ece449-a2").declared_points == 99  # the seed's 60 programming points all present


def test_correct_files_score_full_marks_under_renamed_files(graded):
    for key, total in (("task2", 10), ("task3", 20)):
        report, parts = graded[key]
        assert report.full_marks and report.score == total, {n: p.feedback for n, p in parts.items()}
    assert graded["task2"][1]["train_torch"].feedback == "passed trajectory, losses, digits"
    assert graded["task3"][1]["train_cnn"].feedback == "passed losses, digits"


def test_template_loop_mseloss_halved_and_full_data_losses_also_pass(graded):
    report, parts = graded["task2_template_style"]
    assert report.full_marks, {n: p.feedback for n, p in parts.items()}


def test_bias_left_on_loses_layers_and_parameters_and_summed_loss_is_named(graded):
    _, parts = graded["task2_bias_sum"]
    dnn, train = parts["get_DNN"], parts["train_torch"]
    assert dnn.score == pytest.approx(2.5)  # shapes and the output shape are still right
    assert "layers: layer 1 (linear in 0): bias is present, expected absent" in dnn.feedback
    assert "parameters: has 11 trainable parameters, expected 8" in dnn.feedback
    assert train.score < 5 and "the loss is summed over the mini-batch, not averaged" in train.feedback
    assert "losses: returned losses [" in train.feedback


def test_wrong_hidden_size_and_mseloss_without_half(graded):
    _, parts = graded["task2_hidden3_mse"]
    dnn, train = parts["get_DNN"], parts["train_torch"]
    assert dnn.score == pytest.approx(5 / 4)  # only the output shape (5×1) is right
    assert "layer 1 (linear in 0): out features is 3, expected 2" in dnn.feedback
    assert "layer 1 (linear in 0) outputs 5×3, expected 5×2" in dnn.feedback
    assert "has 12 trainable parameters, expected 8" in dnn.feedback
    assert "the steps are twice the reference's: the loss lacks the ½" in train.feedback
    assert train.score == pytest.approx(5 / 3)  # digits still passes: a doubled rate trains too


def test_lenet_missing_relu_and_a_train_cnn_that_never_steps(graded):
    report, parts = graded["task3_wrong"]
    lenet, train = parts["get_lenet"], parts["train_cnn"]
    assert lenet.score == pytest.approx(2.5)
    assert "missing relu activation after layer 7 (linear in fc1)" in lenet.feedback
    assert (train.score, train.verdict) == (0, "wrong")
    assert "the last epoch's is not below the first's" in train.feedback
    accuracy = float(train.feedback.split("test accuracy ")[1].split()[0])
    assert accuracy < 0.3 and "below the threshold 0.9" in train.feedback


def test_starters_score_zero_not_implemented_per_part(tmp_path_factory):
    for target in (TASK2_PROBLEM, TASK3_PROBLEM):
        text = starter(target)
        assert "import torch" in text and text.count("raise NotImplementedError") == 2
        report, parts = _grade(tmp_path_factory, target.validated_params.file, text)
        assert report.score == 0
        assert all((p.verdict, p.feedback) == ("missing", "not implemented") for p in parts.values()), parts


TRAIN_VARIANTS = '''
import torch
import torch.nn as nn

VARIANT = ["mean"]


def set_variant(name):
    VARIANT[0] = name


def train_torch(model, X, y, lr, num_epochs=10, batch_size=10):
    v = VARIANT[0]
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for epoch in range(num_epochs):
        for i in range(0, len(X), batch_size):
            out, target = model(X[i:i + batch_size]), y[i:i + batch_size]
            if v == "broadcast":
                loss = 0.5 * ((target - out) ** 2).mean()  # (B,) - (B, 1): B×B
            else:
                loss = 0.5 * ((target - out.squeeze(1)) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            if v != "frozen":
                opt.step()
            if v == "raises":
                raise ValueError("shapes do not match")
        losses.append(float(loss))
    return {"none": None, "per_batch": losses * 4, "model": model}.get(v, losses)
'''


@pytest.fixture(scope="module")
def train_session():
    with ModuleSession(fam.wrap_source(TRAIN_VARIANTS.encode()), "task2.py") as session:
        yield session


def _check(session, variant: str, check: str) -> str | None:
    assert session.call("set_variant", variant).ok
    session.__dict__.pop("_gradekit_train", None)  # a fresh run per variant
    return fam.TRAINERS["train_torch"][check].run(session, {})


@pytest.mark.parametrize("variant, check, says", [
    ("mean", "trajectory", None),
    ("broadcast", "trajectory", "y (N,) minus model(X) (N, 1) broadcasts to N×N; reshape one of them"),
    ("frozen", "trajectory", "the weights did not change; train_torch must update model's parameters"),
    ("frozen", "digits", "below the threshold 0.95"),
    ("none", "trajectory", None),
    ("none", "losses", "returned None, expected a list of the 3 per-epoch losses"),
    ("per_batch", "losses", "returned 12 losses, expected one per epoch (3)"),
    ("model", "losses", "returned a Sequential, expected a list of the 3 per-epoch losses"),
    ("raises", "trajectory", "train_torch raised ValueError: shapes do not match"),
])
def test_train_torch_mistakes_are_named(train_session, variant, check, says):
    bad = _check(train_session, variant, check)
    assert bad is None if says is None else says in bad, bad


def test_reference_train_torch_follows_task1s_numpy_reference_and_its_losses():
    # torch autograd + SGD against the NumPy reference's hand-written gradients, step for step
    X, y, W, K = fam.trajectory_case()
    t = fam.TRAJECTORY
    model = models.get_DNN().double()
    with torch.no_grad():
        model[0].weight.copy_(torch.from_numpy(W))
        model[2].weight.copy_(torch.from_numpy(K).reshape(1, 2))
    losses = ece449_torch.train_torch(model, torch.from_numpy(X), torch.from_numpy(y), t["lr"], t["epochs"], t["batch"])
    W_list, K_list = ref.train(X, y, W, K, t["lr"], t["epochs"], t["batch"], last_sample=True)
    np.testing.assert_allclose(model[0].weight.detach().numpy(), W_list[-1], rtol=1e-12)
    np.testing.assert_allclose(model[2].weight.detach().numpy().ravel(), K_list[-1], rtol=1e-12)
    weighted = fam.epoch_losses(X, y, W, K, t["lr"], t["epochs"], t["batch"])[1]
    np.testing.assert_allclose(losses, weighted, rtol=1e-12)
    assert losses[-1] < losses[0]


def test_mistake_models_match_torch_trained_with_those_losses():
    X, y, W, K = fam.trajectory_case()
    t = fam.TRAJECTORY
    losses = {"lacks the ½": lambda o, yb: torch.nn.functional.mse_loss(o.reshape(-1), yb),
              "summed over the mini-batch": lambda o, yb: 0.5 * ((yb - o.reshape(-1)) ** 2).sum(),
              "broadcasts to N×N": lambda o, yb: 0.5 * ((yb - o) ** 2).mean()}
    mistakes = {}
    for why, final in fam._mistakes(X, y, W, K, t["lr"], t["epochs"], t["batch"]):
        mistakes.update({name: final for name in losses if name in why})
    assert set(mistakes) == set(losses)
    for name, loss_fn in losses.items():
        model = models.get_DNN().double()
        with torch.no_grad():
            model[0].weight.copy_(torch.from_numpy(W))
            model[2].weight.copy_(torch.from_numpy(K).reshape(1, 2))
        opt = torch.optim.SGD(model.parameters(), lr=t["lr"])
        Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
        for _ in range(t["epochs"]):
            for i in range(0, len(X), t["batch"]):
                opt.zero_grad()
                loss_fn(model(Xt[i:i + t["batch"]]), yt[i:i + t["batch"]]).backward()
                opt.step()
        np.testing.assert_allclose(model[0].weight.detach().numpy(), mistakes[name][0], rtol=1e-10, err_msg=name)


def test_glue_networks_are_the_reference_models():
    from gradekit.sandbox.child.torch_probe import _gk_describe
    from gradekit.sandbox.child.torch_train_probe import _gk_lenet5

    def ops(d):
        return [{k: v for k, v in layer.items() if k != "module"} for layer in d["layers"]]

    lenet, glue = _gk_describe(models.LeNet5(), [2, 3, 32, 32]), _gk_describe(_gk_lenet5(), [2, 3, 32, 32])
    assert ops(glue) == ops(lenet) and glue["params"] == lenet["params"] == 62006
    dnn = _gk_describe(models.get_DNN(), [5, 3])
    assert dnn["params"] == 8 and dnn["output"] == [5, 1]
    assert [layer["op"] for layer in dnn["layers"]] == ["linear", "activation", "linear"]


def test_digits_images_are_fitted_to_lenet_and_test_labels_stay_in_the_parent():
    X_train, y_train, X_test, y_test = fam.digits_images()
    assert X_train.shape == (1437, 3, 32, 32) and X_test.shape == (359, 3, 32, 32)
    assert X_train.dtype == np.float32 and abs(float(X_train.mean())) < 1e-3  # normalised on the training split
    assert sorted(set(y_test.tolist())) == list(range(10))


def test_solving_task2_and_task3_prints_reference_source_without_importing_torch():
    code = ("import sys; from gradekit.spec.catalog import load_catalog; "
            "cat = load_catalog(); cat.solve(cat.resolve('ece449-a2/task2')); "
            "s = cat.solve(cat.resolve('ece449-a2/task3')); "
            "print('torch' in sys.modules, 'Adam' in s.answers['train_cnn'], 'LeNet5' in s.answers['get_lenet'])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "True", "True"]

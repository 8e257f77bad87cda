"""ece449-a2 task2 (get_DNN, train_torch) and task3 (get_lenet, train_cnn) end to end: [code] problems, task2 with
a structure part and a values part whose training is also checked as training (gradekit.code.fit), task3 with a
structure part and a training part (gradekit.code.training).

Each graded file costs a child that imports torch and builds an optimizer (~2.5 s
before any training), and a task3 file that trains ~12 s of CPU more (the reference
once per run besides): files are graded once (module-scoped fixtures) and share
assertions, and the train_torch mistakes run in one child, switched by a call.
"""

from __future__ import annotations


import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from gradekit.catalog.catalog import load_catalog
from tests.helpers import grade_file
from gradekit.code.starter import starter
from tests.module_task23 import DNN, STEP, task2, task2_copies, task3

CAT = load_catalog()
PROBLEMS = Path(__file__).resolve().parents[2] / "problems" / "ece449-a2"
TASK2_PROBLEM, TASK3_PROBLEM = CAT.resolve("ece449-a2/task2"), CAT.resolve("ece449-a2/task3")

MSE_MEAN = STEP.replace("l = loss(net(X), y)", "l = nn.MSELoss()(net(X), y)")
BROADCAST = STEP.replace("l = loss(net(X), y)", "l = ((net(X) - y.reshape(-1)) ** 2).sum()")  # (B, 1) − (B,): B×B
NO_STEP = STEP.replace("            trainer.step()", "            pass")
BIASED = DNN.replace(", bias=False", "")  # nn.Linear's default bias left on


def _grade(tmp_path_factory, name: str, source: str, problem: str | None = None):
    return grade_file(tmp_path_factory.mktemp("sub"), name, source, problem=problem)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    subs = {
        "task2": ("task2_3180100111.py", task2()),
        "task2_copies": ("task2.py", task2_copies()),
        "task2_bias": ("task2.py", task2(BIASED)),
        "task2_bias_mean": ("task2.py", task2(BIASED, MSE_MEAN)),
        "task2_broadcast": ("task2.py", task2(step=BROADCAST)),
        "task2_no_step": ("task2.py", task2(step=NO_STEP)),
        "task2_every_sample": ("task2.py", task2_copies().replace("dataset_size-1)", "dataset_size)")),
        "task3": ("task3_3180100111.py", task3()),
        "task3_wrong": ("task3.py", task3(fc1="nn.ReLU()", step="pass")),  # ReLU after fc1, not sigmoid; never steps
        "task3_relu": ("task3.py", task3(fc1="nn.ReLU()")),  # ReLU after fc1, trained right
        "task3_no_zero_grad": ("task3.py", task3(zero_grad="pass")),
        # the course's students train on GPUs: net.cuda() and X.cuda() in train_cnn, as a GPU machine runs them
        "task3_cuda": ("task3.py", task3(to_device="net.cuda()", move="X.cuda(), y.cuda()")),
        # a tensor made on the GPU cannot be kept on the CPU: named, not a traceback
        "task3_cuda_tensor": ("task3.py", task3(move="X.to(device), torch.as_tensor(y, device='cuda')")),
    }
    return {k: _grade(tmp_path_factory, name, src) for k, (name, src) in subs.items()}


def test_specs_declare_files_signatures_points_and_the_assignment_total():
    s2, s3 = TASK2_PROBLEM.validated_params, TASK3_PROBLEM.validated_params
    assert (s2.file, s3.file) == ("task2.py", "task3.py")
    assert [c.signature for c in s2.callables] == [
        "get_DNN()", "train_torch(net, dataset_X, dataset_y, num_epochs, lr, batch_size)"]
    assert s2.extra["starter_source"] == (PROBLEMS / "task2_starter.py").read_text()  # the course's template
    assert [c.signature for c in s3.callables] == [
        "get_lenet()", "train_cnn(net, train_iter, test_iter, num_epochs, lr, device=try_gpu())"]
    assert {p.name: p.points for p in TASK2_PROBLEM.parts} == {"get_DNN": 5, "train_torch": 5}
    assert {p.name: p.points for p in TASK3_PROBLEM.parts} == {"get_lenet": 5, "train_cnn": 15}
    assert [c.name for c in s2.callable("train_torch").checks] == ["values", "training"]
    assert CAT.assignment("ece449-a2").declared_points == 99  # the seed's 60 programming points all present


def test_correct_files_score_full_marks_under_renamed_files(graded):
    for key, total in (("task2", 10), ("task3", 20)):
        report, parts = graded[key]
        assert report.full_marks and report.score == total, {n: p.feedback for n, p in parts.items()}
    # the template's own W_list lines append views of the net's weights: named, at no cost
    train = graded["task2"][1]["train_torch"].feedback
    assert train.startswith("passed values, training; values: Ws, Ks: holds the same values in all 3 entries"), train
    assert train.endswith("[aliased: 1 of its credit]"), train
    assert graded["task3"][1]["train_cnn"].feedback == "passed training"


def test_weight_lists_of_copies_are_checked_at_every_epoch_and_pass(graded):
    report, parts = graded["task2_copies"]
    assert report.full_marks, {n: p.feedback for n, p in parts.items()}
    assert parts["train_torch"].feedback == "passed values, training"  # each epoch's weights, as the solution's


def test_bias_left_on_costs_get_DNN_only_train_torch_is_judged_on_the_solutions_network(graded):
    """train_torch is handed the solution's get_DNN() network, built anew from torch.nn in the student's child:
    the student's own biased network never reaches it, so a right train_torch keeps its 5 points."""
    report, parts = graded["task2_bias"]
    dnn, train = parts["get_DNN"], parts["train_torch"]
    assert dnn.score == pytest.approx(2.5)  # shapes and the output shape are still right
    assert "layers: layer 1 (linear in 0): bias is present, expected absent" in dnn.feedback
    assert "parameters: has 11 trainable parameters, expected 8" in dnn.feedback
    assert (train.score, train.verdict) == (5, "correct"), train.feedback
    assert report.score == 7.5


def test_the_mean_loss_is_named_and_costs_half_of_the_values_check(graded):
    _, parts = graded["task2_bias_mean"]
    dnn, train = parts["get_DNN"], parts["train_torch"]
    assert dnn.score == pytest.approx(2.5)
    assert ("values: Ws, Ks: is what minimising nn.MSELoss() (the mean, not the template's reduction='sum') gives"
            in train.feedback), train.feedback
    assert "[loss_scale: 0.5 of its credit]" in train.feedback
    assert train.score == pytest.approx(3.75)  # the values half at half price, the training full: it still trains


def test_a_loop_that_uses_the_last_sample_is_accepted_and_named(graded):
    """The template's end_idx leaves the last sample out; a student who "fixed" it trains right all the same."""
    report, parts = graded["task2_every_sample"]
    assert report.full_marks, {n: p.feedback for n, p in parts.items()}
    assert "[last_sample: 1 of its credit]" in parts["train_torch"].feedback


def test_a_broadcast_loss_and_a_missing_step_lose_train_torch(graded):
    _, parts = graded["task2_broadcast"]
    train = parts["train_torch"]
    assert train.score < 5 and "values: Ws value 1 of 3 entry" in train.feedback, train.feedback
    assert "loss_scale" not in train.feedback  # no variant of the solution gives a B×B loss's steps
    _, parts = graded["task2_no_step"]
    train = parts["train_torch"]
    assert (train.score, train.verdict) == (0, "wrong"), train.feedback
    assert "values: Ws value 1 of 3 entry" in train.feedback
    assert "training: accuracy 0." in train.feedback and "below the pass mark 0.95" in train.feedback


def _accuracy(feedback: str) -> float:
    return float(feedback.split("test accuracy is ")[1].split()[0])


def test_lenet_missing_sigmoid_and_a_train_cnn_that_never_steps(graded):
    """A TA gives get_lenet the shapes it gets right, and train_cnn nothing: the notebook's accuracy is chance."""
    report, parts = graded["task3_wrong"]
    lenet, train = parts["get_lenet"], parts["train_cnn"]
    assert lenet.score == pytest.approx(3.75)  # shapes, parameters and output are right
    assert "layer 8 (relu activation in 9): type is relu, expected sigmoid" in lenet.feedback
    assert (train.score, train.verdict) == (0, "wrong")
    assert _accuracy(train.feedback) < 0.3
    assert "below the pass mark 0.900 (the solution reaches 1.000)" in train.feedback  # max(0.70, r − 0.10)


def test_a_right_train_cnn_on_a_lenet_with_one_wrong_activation_loses_only_get_lenets_share(graded):
    """A TA runs the student's notebook: their LeNet (a ReLU after the first linear layer) trained by their
    train_cnn passes the accuracy mark, so only get_lenet loses points. The trained parameters are scored in
    the solution's network with the student's own ReLU rebuilt from torch.nn in the sigmoid's place, not in
    the solution's sigmoid network (where those weights reach about 0.7)."""
    _, parts = graded["task3_relu"]
    lenet, train = parts["get_lenet"], parts["train_cnn"]
    assert lenet.score == pytest.approx(3.75)
    assert (train.score, train.verdict) == (15, "correct"), train.feedback
    assert "with your own layers: layer 9, ReLU() where the solution has Sigmoid()" in train.feedback


def test_a_train_cnn_that_forgets_zero_grad_is_graded_by_the_accuracy_it_reaches(graded):
    """Without zero_grad the gradients pile up over the epoch: SGD at lr 0.9 on the summed gradients never
    learns, the notebook's test accuracy stays near chance, and the course (and a TA running its notebook)
    gives train_cnn 0/15; the feedback shows the accuracy and the pass mark."""
    _, parts = graded["task3_no_zero_grad"]
    train = parts["train_cnn"]
    assert (train.score, train.verdict) == (0, "wrong"), train.feedback
    assert _accuracy(train.feedback) < 0.3


def test_cuda_calls_in_train_cnn_run_on_the_cpu_and_are_named(graded):
    """A TA on the course's GPU machines runs .cuda() code as written: full marks, and a line saying so."""
    report, parts = graded["task3_cuda"]
    assert report.full_marks and report.score == 20, {n: p.feedback for n, p in parts.items()}
    assert parts["train_cnn"].feedback == ("passed training; training: this grader has no GPU: .cuda() was called "
                                           "and kept on the CPU")


def test_a_tensor_made_on_the_gpu_is_reported_as_that_not_a_traceback(graded):
    _, parts = graded["task3_cuda_tensor"]
    train = parts["train_cnn"]
    assert (train.score, train.verdict) == (0, "wrong")
    assert "this grader has no GPU: train_cnn asked for CUDA in a way that cannot run on the CPU" in train.feedback
    assert "Traceback" not in train.feedback and parts["get_lenet"].score == 5


def test_starters_score_zero_not_implemented_per_part(tmp_path_factory):
    """task2's starter is the course's template, whose bodies are placeholders (an empty nn.Sequential, the loop
    without its step); task3's raises NotImplementedError: both are not implemented, not wrong."""
    for target in (TASK2_PROBLEM, TASK3_PROBLEM):
        text = starter(target)
        assert "import torch" in text, text
        if target is TASK2_PROBLEM:
            assert "    net = nn.Sequential()\n    return net" in text and "raise NotImplementedError" not in text
        else:
            assert text.count("raise NotImplementedError") == 2, text
        report, parts = _grade(tmp_path_factory, target.validated_params.file, text)
        assert report.score == 0
        assert all((p.verdict, p.feedback) == ("missing", "not implemented") for p in parts.values()), parts


def _solution(problem) -> dict:
    """The names a [code] problem's solution file defines."""
    names: dict = {"__name__": "solution"}
    exec(compile(problem.validated_params.extra["solution_source"], problem.qualified_id, "exec"), names)
    return names


def _trained(solution: dict, fn: str, W, K, X, y, lr, epochs=2, batch=5):
    """``solution[fn]`` run from (W, K): the solution's init_weights kept from re-drawing them."""
    solution["init_weights"] = lambda m: None
    net = solution["get_DNN"]().double()
    with torch.no_grad():
        net[0].weight.copy_(torch.from_numpy(W))
        net[2].weight.copy_(torch.from_numpy(K).reshape(1, 2))
    return solution[fn](net, X, y, epochs, lr, batch)


def test_the_template_loss_is_2B_times_task1s_gradient_step_for_step_and_the_variants_scale_it():
    """nn.MSELoss(reduction='sum') over a batch of B steps as task 1's mean(½ (y − O)²) does at 2B times its
    rate; the mean (loss_scale's first variant) at B times, task 1's own loss at 2B times."""
    rng = np.random.default_rng(5)
    X, y = rng.normal(size=(21, 3)), rng.choice([-1.0, 1.0], 21)  # 4 full batches of B = 5 (the 21st never used)
    W, K = rng.uniform(-0.2, 0.2, (2, 3)), rng.uniform(-0.2, 0.2, 2)
    task1, task2 = _solution(CAT.resolve("ece449-a2/task1")), _solution(TASK2_PROBLEM)
    Ws, Ks = _trained(task2, "train_torch", W, K, X, y, 0.02)
    for other in (task1["train"](X, y, W, K, 0.02 * 10, 2, 5), _trained(task2, "train_torch_mean_loss", W, K, X, y, 0.1),
                  _trained(task2, "train_torch_task1_loss", W, K, X, y, 0.2)):
        for e in range(2):
            np.testing.assert_allclose(other[0][e], Ws[e], rtol=1e-12)
            np.testing.assert_allclose(other[1][e], Ks[e], rtol=1e-12)


def test_the_solutions_network_is_the_one_the_template_prints():
    from gradekit.sandbox.child.torch_probe import _gk_describe

    dnn = _gk_describe(_solution(TASK2_PROBLEM)["get_DNN"](), [10, 3])
    assert dnn["params"] == 8 and dnn["output"] == [10, 1]
    assert [layer["op"] for layer in dnn["layers"]] == ["linear", "activation", "linear"]


def test_the_served_data_is_fashion_mnist_shaped_and_test_labels_stay_in_the_parent():
    from gradekit.code.training import served

    train = TASK3_PROBLEM.validated_params.extra["tests"]["train_cnn"].train
    X_train, y_train, X_eval, y_eval, X_test, y_test = served(train)
    assert X_train.shape == (2048, 1, 28, 28) and X_eval.shape == (256, 1, 28, 28) and X_test.shape == (512, 1, 28, 28)
    assert X_train.dtype == np.float32 and 0.0 <= float(X_train.min()) and float(X_train.max()) <= 1.0
    assert y_train.dtype == np.int64 and sorted(set(y_test.tolist())) == list(range(10))
    assert not np.array_equal(X_train[:512], X_test)  # three draws, three seeds


def test_solving_task2_and_task3_prints_reference_source_without_importing_torch():
    code = ("import sys; from gradekit.catalog.catalog import load_catalog; "
            "cat = load_catalog(); cat.solve(cat.resolve('ece449-a2/task2')); "
            "s = cat.solve(cat.resolve('ece449-a2/task3')); "
            "print('torch' in sys.modules, 'scored by the solution' in s.answers['train_cnn'], "
            "'layers' in s.answers['get_lenet'])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "True", "True"]


def test_the_solutions_training_is_kept_per_machine_and_an_implausible_entry_is_not_trusted(tmp_path, monkeypatch):
    """The solution trains once per machine and catalog (~12 s of CPU, half a task3 check); its entry is keyed by
    what it depends on, and one that is unreadable or implausible is trained afresh, never used."""
    from gradekit.code import training

    monkeypatch.setenv("GRADEKIT_CACHE", str(tmp_path))
    train = TASK3_PROBLEM.validated_params.extra["tests"]["train_cnn"].train
    key = training._run_key("solution", {"steps": []}, train)
    assert key == training._run_key("solution", {"steps": []}, train) and len(key) == 32
    start = (np.ones((2, 3), np.float32),)
    training._write_run(key, (start, 2.3, 0.95, 7.5))
    got = training._read_run(key)
    assert got is not None and got[1:] == (2.3, 0.95, 7.5) and np.array_equal(got[0][0], start[0])
    for bad in ((start, 2.3, 1.5, 7.5), (start, 2.3, 0.95, -1.0), ((np.full(2, np.nan, np.float32),), 2.3, 0.9, 7.5)):
        training._write_run(key, bad)
        assert training._read_run(key) is None, bad
    (tmp_path / f"code-train-{key}.npz").write_bytes(b"not an npz")
    assert training._read_run(key) is None
    assert training._run_key("another solution", {"steps": []}, train) != key  # another training, another entry

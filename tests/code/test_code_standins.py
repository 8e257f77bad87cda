"""Each graded function on its own (stand-ins), gradients against finite differences, and training checked as
training, on ece449-a2/task1 as a [code] problem (problems/ece449-a2/task1.toml)."""

from __future__ import annotations

import numpy as np

from gradekit.code.diagnose import judge
from gradekit.code.scenario import parse_step
from tests.module_task1 import POINTS, filled, grade_source, with_override

SUM_BACKWARD = ("    dO = O - y\n    pLpK = np.dot(A, dO)\n"
                "    pLpW = np.dot(K[:, None] * prelu(H) * dO[None, :], X)\n    return pLpW, pLpK")


def test_a_wrong_backward_costs_its_own_points_and_not_trains(tmp_path):
    """The template's train calls DNNbackward: with a sum for the mean there, train is still judged on its
    own (the solution's gradients stand in) and keeps its 5 points (#35)."""
    _, parts = grade_source(tmp_path, filled(backward=SUM_BACKWARD))
    assert {n: p.score for n, p in parts.items()} == {**POINTS, "DNNbackward": 0}
    back = parts["DNNbackward"].feedback
    assert "is N times the expected value" in back and "[sum_for_mean: 0 of its credit]" in back
    assert "against finite differences of L in W" in back


def test_a_wrong_forward_is_not_fed_to_backward_or_train(tmp_path):
    forward = "    H = W @ X.T\n    A = H\n    O = K @ A\n    return H, A, O"  # relu forgotten
    _, parts = grade_source(tmp_path, filled(forward=forward))
    assert {n: p.score for n, p in parts.items()} == {**POINTS, "DNNforward": 0}


def test_a_train_that_returns_its_start_scores_zero_with_the_reason(tmp_path):
    """Weights that never moved score 0 whatever they predict: the network was not trained (#39)."""
    cheat = ("def train(X, y, W, K, lr, num_epochs=10, batch_size=10, print_loss=False):\n"
             "    return [W.copy() for _ in range(num_epochs)], [K.copy() for _ in range(num_epochs)]\n")
    _, parts = grade_source(tmp_path, with_override(x=cheat))
    train = parts["train"]
    assert train.score == 0 and "came back as the start W, K: the network was not trained" in train.feedback


def test_the_training_is_scored_from_the_trained_weights_by_the_solutions_code(tmp_path):
    """A train whose epochs are right but whose last entry is not the network it trained (a different
    predictor's weights) is scored by the weights it returns, not by anything it predicts itself."""
    swap = ("_train = train\n"
            "def train(X, y, W, K, lr, num_epochs=10, batch_size=10, print_loss=False):\n"
            "    Ws, Ks = _train(X, y, W, K, lr, num_epochs, batch_size)\n"
            "    return Ws[:-1] + [-Ws[-1]], Ks[:-1] + [Ks[-1]]\n")
    _, parts = grade_source(tmp_path, with_override(x=swap))
    train = parts["train"]
    assert "training: accuracy 0.000 from the trained W_T, K_T" in train.feedback, train.feedback
    assert "below the pass mark 0.95" in train.feedback
    assert train.score == 1.25  # Ks right in every epoch: half of the values check, none of the training


def test_a_list_entry_is_a_step_argument_and_aliasing_is_named():
    assert parse_step("W_T = Ws[-1]")["value"] == {"ref": "Ws", "index": -1}
    W = np.arange(6.0).reshape(2, 3)
    got, expected = (W, W, W), (W - 2, W - 1, W)
    assert judge(got, expected).mistake == "aliased"
    assert judge((W.T, W.T, np.ones(2)), (W, W, np.ones(2))).mistake == "transposed"
    assert judge((W.T, W + 1, np.ones(2)), (W, W, np.ones(2))).mistake is None  # not one mistake throughout


def _child(*names: str) -> dict:
    """The child programs' functions, run here as the child runs them (one namespace, in order)."""
    from gradekit.sandbox.child import source

    space: dict = {"__name__": "child"}
    for name in names:
        exec(compile(source(name), name, "exec"), space)
    return space


def test_a_network_stands_in_as_its_description_built_anew_from_torch_nn():
    """An nn.Sequential of torch.nn's layers travels as layer names, constructor values and state arrays; built
    in the student's child by the same constructors, it draws from the generator as the solution's did, so a
    training that re-draws its weights afterwards starts where the solution's started (ECE 449's train_torch)."""
    import torch

    from gradekit.code.standins import flatten_records

    child = _child("scenario", "standin")
    torch.manual_seed(3)
    net = torch.nn.Sequential(torch.nn.Linear(3, 2, bias=False), torch.nn.ReLU(), torch.nn.Linear(2, 1, bias=False))
    after_solution = torch.rand(4)
    record = child["_gk_record_of"]((net, np.ones(2)))
    replay, arrays = flatten_records([("get_DNN", record)])
    recipe = child["_gk_unflatten"](replay["values"][0], arrays)
    torch.manual_seed(3)
    built, ones = child["_gk_copy"](recipe)
    assert repr(built) == repr(net) and ones.tolist() == [1.0, 1.0]
    assert all(torch.equal(a, b) for a, b in zip(built.state_dict().values(), net.state_dict().values()))
    assert torch.equal(torch.rand(4), after_solution)  # the generator advanced as the solution's builder left it
    assert child["_gk_copy"](recipe)[0] is not built  # a fresh network for each call


def test_a_network_that_torch_nn_cannot_rebuild_does_not_travel():
    import torch

    child = _child("scenario", "standin")

    class Linear(torch.nn.Linear):  # a class of the course's posing as torch.nn's
        pass

    assert child["_gk_record_of"](torch.nn.Sequential(Linear(3, 2))) is None
    assert child["_gk_record_of"](torch.nn.Sequential(torch.nn.Sequential(torch.nn.ReLU()))) is None  # nested
    assert child["_gk_record_of"](torch.nn.Linear(3, 2)) is None  # not a Sequential


def test_a_mistake_named_by_a_variant_of_the_solution_is_checked_against_the_solutions_file():
    import pytest

    from gradekit.code.generated import build_code_spec
    from gradekit.code.variants import parse_variants
    from gradekit.core.errors import ParamError

    spec = {"file": "f.py", "starter_source": "def f(X):\n    return None\n",
            "solution_source": "def f(X):\n    return X\n\ndef f_doubled(X):\n    return 2 * X\n",
            "dims": {"N": [1, 3]}, "inputs": {"X": "float64[N]"},
            "tests": {"f": {"steps": ["Y = f(X)"], "compare": ["Y"], "partial": {"doubled": 0.5},
                            "variants": [{"mistake": "doubled", "run": "f_doubled", "words": "twice X"}]}}}
    assert build_code_spec(spec).extra["tests"]["f"].variants[0].mistake == "doubled"
    spec["tests"]["f"]["variants"][0]["run"] = "f_doubld"
    with pytest.raises(ParamError, match="defines no such function; did you mean 'f_doubled'"):
        build_code_spec(spec)
    with pytest.raises(ValueError, match="not one of the generic mistakes"):
        parse_variants([{"mistake": "transposed", "run": "f_t", "words": "X transposed"}])

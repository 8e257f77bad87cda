"""Module submissions end to end on ece449-a2/task1: finding the problem, starters, checks, the child session."""

from __future__ import annotations

import json
import statistics
import time

import numpy as np
import pytest
from click.testing import CliRunner

from gradekit.catalog.catalog import load_catalog
from gradekit.cli.commands import main
from gradekit.core.errors import SubmissionError
from gradekit.grading.grade import grade
from gradekit.code.session import ModuleSession
from gradekit.code.props import compare
from gradekit.code.spec import matches_file
from gradekit.code.starter import starter
from tests.module_task1 import CORRECT, FAST, POINTS, grade_source, with_override

CAT = load_catalog()
TASK1 = CAT.resolve("ece449-a2/task1")


def test_spec_declares_file_callables_and_points():
    spec = TASK1.validated_params
    assert spec.file == "task1.py"
    assert [(c.name, c.signature) for c in spec.callables] == [
        ("relu", "relu(X)"), ("prelu", "prelu(X)"), ("DNNforward", "DNNforward(X, W, K)"),
        ("DNNbackward", "DNNbackward(X, y, W, K, H, A, O)"),
        ("train", "train(X, y, W, K, lr, num_epochs=10, batch_size=10, print_loss=False)")]
    assert {p.name: p.points for p in TASK1.parts} == POINTS


@pytest.mark.parametrize("name, ok", [
    ("task1.py", True), ("task1_3180100111.py", True), ("Task1-ada.py", True), ("task1 (2).py", True),
    ("task10.py", False), ("task2.py", False), ("task1.json", False), ("mytask1.py", False)])
def test_file_names_that_find_task1(name, ok):
    assert matches_file(name, "task1.py") is ok


def test_correct_file_scores_full_marks_under_a_renamed_file(tmp_path):
    report, parts = grade_source(tmp_path, CORRECT, "task1_3180100111.py")
    assert report.problems[0].id == "task1" and report.full_marks
    assert {n: p.score for n, p in parts.items()} == POINTS
    assert all(p.verdict == "correct" for p in parts.values())


def test_starter_graded_as_is_scores_zero_not_implemented_per_part(tmp_path):
    # the course's own starter (its placeholders return zeros, as the course's template does), handed in as it
    # is: every function's body is still the starter's, so not implemented (not "wrong values")
    report, parts = grade_source(tmp_path, starter(TASK1))
    assert report.score == 0 and set(parts) == set(POINTS)
    assert all((p.verdict, p.feedback) == ("missing", "not implemented") for p in parts.values()), \
        {n: p.feedback for n, p in parts.items()}
    # one function filled in: that one is graded, the others stay not implemented
    filled = starter(TASK1).replace("    return np.zeros(X.shape)\n", "    return np.maximum(X, 0)\n", 1)
    report, parts = grade_source(tmp_path, filled)
    assert parts["relu"].score == POINTS["relu"] and parts["prelu"].feedback == "not implemented"


def test_cli_template_writes_starter_and_check_prints_not_implemented(tmp_path):
    runner = CliRunner()
    r = runner.invoke(main, ["template", "ece449-a2", "-o", str(tmp_path / "answers.py")])
    assert r.exit_code == 0 and "task1.py" in r.output
    assert "task1" not in (tmp_path / "answers.py").read_text()  # code problems are not answers
    text = (tmp_path / "task1.py").read_text()
    assert text == starter(TASK1) and "def DNNbackward(X, y, W, K, H, A, O):" in text  # the course's starter
    r = runner.invoke(main, ["check", str(tmp_path / "task1.py"), "--json"])
    assert r.exit_code == 1
    parts = json.loads(r.output)["problems"][0]["parts"]
    assert [p["feedback"] for p in parts] == ["not implemented"] * 5
    r = runner.invoke(main, ["template", "ece449-a2", "-o", str(tmp_path / "answers.py")])
    assert "exists" in r.output  # answers.py exists: nothing overwritten


def test_problem_option_overrides_the_file_name(tmp_path):
    report, parts = grade_source(tmp_path, CORRECT, "my_mlp.py", problem="ece449-a2/task1")
    assert report.full_marks
    with pytest.raises(SubmissionError, match="not a code problem"):
        grade_source(tmp_path, CORRECT, "my_mlp.py", problem="ece449-a2/p5")


def test_unknown_module_name_says_which_names_it_expected(tmp_path):
    path = tmp_path / "mlp.py"
    path.write_text(CORRECT)
    with pytest.raises(SubmissionError, match=r"no ANSWERS.*task1\.py \(ece449-a2/task1\).*--problem"):
        grade(path)


def test_py_files_with_answers_stay_answers_files(tmp_path):
    path = tmp_path / "task1.py"  # even under a code problem's name
    path.write_text("ANSWERS = {'ece449-a2/p5': {'q': [0.8808, 0.1192]}}\n")
    report = grade(path)
    p5 = next(p for p in report.problems if p.id == "p5")
    assert p5.parts[0].verdict == "correct"


@pytest.mark.parametrize("override, part, says", [
    ("def relu(X):\n    return X\n", "relu", "expected about 0 (wrong at"),
    ("def DNNbackward(X, y, W, K, H, A, O):\n    d = O - y\n    return (np.outer(K, d) * (H > 0)) @ X, A @ d\n",
     "DNNbackward", "is N times the expected value (N = "),
    ("def train(X, y, W, K, lr, num_epochs=10, batch_size=10, print_loss=False):\n    return [W] * num_epochs, [K] * num_epochs\n",
     "train", "below the pass mark 0.95"),
    ("def DNNforward(X, W, K):\n    H = W @ X.T\n    return H, H, K @ H\n", "DNNforward", "out value 2 of 3 entry"),
])
def test_wrong_functions_lose_their_part_only_with_a_precise_message(tmp_path, override, part, says):
    report, parts = grade_source(tmp_path, with_override(x=override))
    assert parts[part].score < POINTS[part] and says in parts[part].feedback
    assert all(p.score == POINTS[n] for n, p in parts.items() if n != part)


def test_prelu_accepts_either_one_sided_derivative_at_zero(tmp_path):
    _, parts = grade_source(tmp_path, with_override(x="def prelu(X):\n    return (X >= 0).astype(float)\n"))
    assert parts["prelu"].verdict == "correct"


def test_failure_shows_only_the_failing_inputs_expected_output():
    assert compare(np.array([0.0, 1.0]), np.array([0.0, 2.0]), 1e-6, 1e-9) == \
        "entry 2 is 2, expected about 1 (off by about 1 at 1 of 2 entries)"
    assert "shape (3,), expected (2,)" in compare(np.zeros(2), np.zeros(3), 1e-6, 1e-9)
    assert compare((np.zeros(2),), (np.zeros(2), 1), 1e-6, 1e-9) == "returned 2 values, expected 1"


def test_one_child_serves_every_call_and_overhead_is_small():
    src = b"def f(x):\n    return x * 2\ndef die():\n    import os\n    os._exit(3)\n"
    with ModuleSession(src, "m.py", limits=FAST) as s:
        assert s.call("f", np.ones(3)).value.tolist() == [2.0, 2.0, 2.0]
        times = []
        for _ in range(30):
            t = time.perf_counter()
            assert s.call("f", np.ones((10, 3))).ok
            times.append(time.perf_counter() - t)
        assert s.starts == 1 and statistics.median(times) < 0.05
        r = s.call("die")
        assert (r.ok, r.kind) == (False, "crash") and "exit code 3" in r.message
        assert s.call("f", np.array([1.5])).value.tolist() == [3.0] and s.starts == 2


def test_an_answers_file_points_code_parts_at_their_file():
    from gradekit.grading.answers import grade_answers

    report = grade_answers({"ece449-a2/p5": {}})
    task1 = next(p for p in report.problems if p.id == "task1")
    assert {p.feedback for p in task1.parts} == {"No answer given: this part is graded from task1.py (gradekit check task1.py)."}
    p5 = next(p for p in report.problems if p.id == "p5")
    assert all(p.feedback == "No answer given." for p in p5.parts if p.verdict == "missing")


# --- files filled in as the course's template is (tests/module_task1.py: TEMPLATE_FILLED) -------------------
from tests.module_task1 import BACKWARD_T, FORWARD_T, UPDATE_IN_PLACE, filled  # noqa: E402


def test_the_template_filled_in_correctly_scores_full_marks(tmp_path):
    report, parts = grade_source(tmp_path, filled(), "task1_3180100111.py")
    assert {n: p.score for n, p in parts.items()} == POINTS, {n: p.feedback for n, p in parts.items()}


def test_a_consistently_transposed_layout_costs_one_point_of_DNNforward_only(tmp_path):
    """H and A as N×2 with the right maths: DNNforward 4/5 with the slip named, DNNbackward fed that
    layout passes (it matches the gradients), train on the student's own forward/backward passes."""
    _, parts = grade_source(tmp_path, filled(FORWARD_T, BACKWARD_T))
    assert {n: p.score for n, p in parts.items()} == {**POINTS, "DNNforward": 4}
    assert parts["DNNforward"].verdict == "partial"
    assert "out value 1 of 3 is the transpose of the expected value: shape (N, 2)" in parts["DNNforward"].feedback
    assert "[transposed: 0.8 of its credit]" in parts["DNNforward"].feedback


def test_a_backward_that_needs_another_layout_than_its_forward_still_fails(tmp_path):
    _, parts = grade_source(tmp_path, filled(backward=BACKWARD_T))
    assert parts["DNNbackward"].score == 0 and parts["DNNforward"].score == 5
    assert parts["train"].score == 5  # its own loop is right: the solution's gradients stand in for the backward


def test_aliased_weight_lists_are_caught_at_every_epoch(tmp_path):
    """W -= lr·pLpW appends one array every epoch: the last epoch is right, every other is not."""
    _, parts = grade_source(tmp_path, filled(update=UPDATE_IN_PLACE))
    assert parts["train"].score == 3.5 and parts["train"].verdict == "partial"
    assert "holds the same values in all 3 entries" in parts["train"].feedback
    assert all(p.score == POINTS[n] for n, p in parts.items() if n != "train")


def test_a_train_wrong_after_the_first_epoch_names_the_epoch(tmp_path):
    wrong = filled(update="            W = W - lr * pLpW * (epoch + 1)\n            K = K - lr * pLpK")
    _, parts = grade_source(tmp_path, wrong)
    assert "Ws value 2 of 3 entry" in parts["train"].feedback  # the list's second entry: epoch 2

"""A fault of the grader (a missing dependency, a bug in a check, no isolation) is an `error`, never points lost."""

from __future__ import annotations

import csv
import json

import pytest
from click.testing import CliRunner

from gradekit.grading.grade import gradescope_failure
from gradekit.course.batch import BatchOptions, grade_folder, write_outputs
from gradekit.catalog.catalog import load_catalog
from gradekit.cli.commands import main
from gradekit.core.errors import GraderError, IsolationError
from tests.module_task1 import CORRECT, FAST, POINTS, grade_source


@pytest.fixture
def no_sklearn(monkeypatch):
    """A dependency of the train check's data missing on the grading machine (the data's import fails)."""
    from gradekit.code import fit

    def missing(*a, **kw):
        raise ModuleNotFoundError("No module named 'sklearn'", name="sklearn")

    monkeypatch.setattr(fit, "serve", missing)


def test_a_missing_dependency_is_an_error_verdict_not_a_wrong_answer(no_sklearn, tmp_path):
    report, parts = grade_source(tmp_path, CORRECT)
    train = parts["train"]
    assert train.verdict == "error" and "ModuleNotFoundError" in train.feedback and "not counted" in train.feedback
    assert report.grader_errors == ["task1: train"]
    # every other part is judged as usual
    assert all(p.verdict == "correct" and p.score == POINTS[n] for n, p in parts.items() if n != "train")


def test_the_cli_exits_3_on_a_grader_error_and_names_the_parts(no_sklearn, tmp_path):
    path = tmp_path / "task1.py"
    path.write_text(CORRECT)
    r = CliRunner().invoke(main, ["check", str(path)])
    assert r.exit_code == 3, r.output
    assert "grader error on task1: train" in r.output


def test_a_batch_row_with_a_grader_error_has_no_total_and_says_why(no_sklearn, tmp_path):
    subs = tmp_path / "subs"
    (subs / "ada").mkdir(parents=True)
    (subs / "ada" / "task1.py").write_text(CORRECT)
    res = grade_folder(subs, "ece449-a2", BatchOptions(limits=FAST, progress=False, jobs=1))
    (row,) = res.rows
    assert row["grader_error"] and row["score"] is None and "grader error on task1: train" in row["error"]
    paths = write_outputs(res, tmp_path / "out")
    (line,) = list(csv.DictReader(open(paths["csv"])))
    assert line["total"] == "" and line["error"].startswith("grader error")
    assert json.loads(paths["json"].read_text())["grader_errors"] == 1


def test_gradescope_results_for_a_grader_fault_say_so_and_carry_the_cause_for_the_instructor():
    data = gradescope_failure("the sandbox could not be built: mount: EPERM", "ece661-hw1", load_catalog(),
                                grader_fault=True)
    assert data["score"] == 0 and "The autograder failed, not your submission" in data["output"]
    assert data["extra_data"] == {"grader_error": "the sandbox could not be built: mount: EPERM"}
    plain = gradescope_failure("answers.py: line 3: SyntaxError", "ece661-hw1", load_catalog())
    assert "extra_data" not in plain and "could not be graded" in plain["output"]


def test_isolation_errors_are_grader_errors_with_exit_code_3():
    assert issubclass(IsolationError, GraderError) and IsolationError("x").exit_code == 3


def test_check_with_isolation_refused_writes_a_grader_fault_results_json(monkeypatch, tmp_path):
    from gradekit.sandbox import box

    monkeypatch.setattr(box, "_decided", {})
    monkeypatch.setenv("GRADEKIT_SANDBOX_JAIL", "off")
    monkeypatch.setenv("GRADEKIT_SANDBOX_CONFINED", "off")
    monkeypatch.setenv("GRADEKIT_REQUIRE_ISOLATION", "1")
    path = tmp_path / "answers.py"
    path.write_text("ANSWERS = {'q3.2': {'L': 100 + 16}}\n")
    out = tmp_path / "results.json"
    r = CliRunner().invoke(main, ["check", str(path), "-a", "ece661-hw1", "--gradescope", str(out)])
    assert r.exit_code == 3, r.output
    data = json.loads(out.read_text())
    assert data["score"] == 0 and "not your submission" in data["output"] and "grader_error" in data["extra_data"]


def test_doctor_says_what_isolation_this_machine_gives(monkeypatch):
    from gradekit.sandbox import box

    r = CliRunner().invoke(main, ["doctor", "--json"])
    d = json.loads(r.output)
    assert d == {**d, "level": box.describe()["level"]}
    assert r.exit_code == (3 if d["level"] == "refused" else 0)
    r = CliRunner().invoke(main, ["doctor", "--require"])
    assert r.exit_code == (0 if d["level"] == "strong" else 3) and r.output.startswith("isolation: ")
    monkeypatch.setattr(box, "_decided", {})
    monkeypatch.setenv("GRADEKIT_SANDBOX_JAIL", "off")
    monkeypatch.setenv("GRADEKIT_SANDBOX_CONFINED", "off")
    r = CliRunner().invoke(main, ["doctor", "--require"])
    assert r.exit_code == 3 and ("isolation: weak" in r.output or "isolation: refused" in r.output)

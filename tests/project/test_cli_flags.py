"""Each CLI flag has a test that fails when it breaks."""

from __future__ import annotations

import json
import zipfile

import pytest
from click.testing import CliRunner

from gradekit.cli.commands import main
from tests.module_task1 import CORRECT


def run(*args):
    return CliRunner().invoke(main, list(args))


def test_check_problem_grades_any_file_name_as_that_code_problem(tmp_path):
    path = tmp_path / "my_relu_homework.py"  # a name that fits no code problem
    path.write_text(CORRECT)
    assert run("check", str(path)).exit_code == 2  # not an answers file, and no problem by that name
    r = run("check", str(path), "--problem", "ece449-a2/task1", "--json")
    data = json.loads(r.output)
    assert r.exit_code == 0 and data["problems"][0]["id"] == "ece449-a2/task1" and data["score"] == 20


def test_template_stdout_writes_nothing_and_a_file_is_never_overwritten(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = run("template", "ece661-hw1", "--stdout")
    assert r.exit_code == 0 and r.output.startswith('"""Answers for') and list(tmp_path.iterdir()) == []
    assert run("template", "ece661-hw1").exit_code == 0 and (tmp_path / "answers.py").exists()
    (tmp_path / "answers.py").write_text("# mine")
    r = run("template", "ece661-hw1")
    assert r.exit_code == 2 and "answers.py exists" in r.output
    assert (tmp_path / "answers.py").read_text() == "# mine"


def test_grade_jobs_sets_the_worker_count(tmp_path, monkeypatch):
    import gradekit.course.pool as batch  # the worker pool (LocalPool) that grade_folder builds

    subs = tmp_path / "subs"
    subs.mkdir()
    for name in ("ada", "bob", "cy"):
        (subs / f"{name}.json").write_text('{"q3.2": {"L": 116}}')
    started = []
    real = batch._Worker.__init__

    def counting(self, *a, **k):
        started.append(1)
        real(self, *a, **k)

    monkeypatch.setattr(batch._Worker, "__init__", counting)
    r = run("grade", str(subs), "-a", "ece661-hw1", "--jobs", "1", "-o", str(tmp_path / "out"))
    assert r.exit_code == 0 and len(started) == 1
    started.clear()
    # --force: the same -o folder has every row in its resume cache, which would start no worker at all
    assert run("grade", str(subs), "-a", "ece661-hw1", "--jobs", "3", "-o", str(tmp_path / "out"), "--force").exit_code == 0
    assert len(started) == 3
    started.clear()
    assert run("grade", str(subs), "-a", "ece661-hw1", "--jobs", "3", "-o", str(tmp_path / "out")).exit_code == 0
    assert started == []  # nothing changed: nothing graded


@pytest.fixture
def fake_wheel(tmp_path):
    whl = tmp_path / "gradekit-0.1.0-py3-none-any.whl"
    whl.write_bytes(b"PK")
    return whl


def test_autograder_build_student_key_and_no_torch(tmp_path, fake_wheel):
    out = tmp_path / "ag.zip"
    r = run("autograder", "build", "ece449-a2", "-o", str(out), "--wheel", str(fake_wheel), "--student-key", "sid",
            "--no-torch")
    assert r.exit_code == 0, r.output
    with zipfile.ZipFile(out) as z:
        config = json.loads(z.read("gradekit-autograder.json"))
        setup = z.read("setup.sh").decode()
    assert config["student_key"] == "sid" and config["torch"] is None  # ece449-a2 uses torch: --no-torch wins
    assert "download.pytorch.org" not in setup
    r = run("autograder", "build", "ece449-a2", "-o", str(out), "--wheel", str(fake_wheel))
    with zipfile.ZipFile(out) as z:
        assert json.loads(z.read("gradekit-autograder.json"))["torch"].startswith("torch==")
    assert run("autograder", "build", "ece449-a2", "-o", str(out), "--wheel", str(fake_wheel),
               "--student-key", "phone").exit_code == 2


def test_train_flags_reach_the_run_and_its_record(tmp_path):
    args = ["train", "lenet5", "--epochs", "1", "--lr", "0.002", "--batch-size", "32", "--seed", "7", "--limit", "200",
            "--json"]
    r = run(*args, "--out", str(tmp_path))
    assert r.exit_code == 0, r.output
    data = json.loads(r.output[r.output.index("{"):])
    assert (data["lr"], data["batch_size"], data["seed"], data["compile"]) == (0.002, 32, 7, False)
    assert json.loads((tmp_path / "metrics.json").read_text())["seed"] == 7
    again = run(*args)
    assert json.loads(again.output[again.output.index("{"):])["test_acc"] == data["test_acc"]  # same seed, same run


def test_train_compile_reaches_the_training_loop(monkeypatch):
    """--compile is for CUDA (a CPU compile takes minutes here): check it is passed on, not the compile itself."""
    seen = {}

    class Stop(Exception):
        pass

    def fake(*a, **k):
        seen.update(k)
        raise Stop

    import gradekit.reference.training as training  # train_cli imports its train() when the command runs

    monkeypatch.setattr(training, "train", fake)
    r = run("train", "lenet5", "--epochs", "1", "--compile", "--limit", "10")
    assert isinstance(r.exception, Stop) and seen["compile_model"] is True

"""`pip install gradekit` is light: what checking answers needs. torch, hypothesis and scikit-learn come with the
`code` extra; a module check where they are missing is a grader error (exit 3) in one line naming the extra."""

import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# a Python on which the code extra's modules are not installed: the grader process cannot import them
BLOCKER = '''
import sys
class _NotInstalled:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("torch", "hypothesis", "sklearn"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None
sys.meta_path.insert(0, _NotInstalled())
'''


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _names(requirements: list[str]) -> set[str]:
    return {r.split(">")[0].split("=")[0].split("<")[0].strip() for r in requirements}


def test_the_base_install_has_no_torch_and_the_code_extra_has_it():
    project = _project()
    base = _names(project["dependencies"])
    assert {"numpy", "sympy", "click", "rich"} <= base
    assert not base & {"torch", "hypothesis", "scikit-learn"}
    assert {"torch", "hypothesis", "scikit-learn"} <= _names(project["optional-dependencies"]["code"])
    install = (ROOT / "Makefile").read_text()
    assert "-e '.[code,students,test]'" in install  # make installs everything the tests use
    assert "$(STUDENTS_VENV)/bin/python -m pip install -q -e '.[code]'" in install  # it grades module files


def _gradekit(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    site = tmp_path / "blocker"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(BLOCKER)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(ROOT)])}
    return subprocess.run([sys.executable, "-m", "gradekit.cli", *args], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=120)


def test_answers_are_checked_without_the_code_extra(tmp_path):
    (tmp_path / "answers.json").write_text('{"q3.2": {"L": 116}}')
    done = _gradekit(tmp_path, "check", "answers.json")
    assert done.returncode == 1, done.stderr  # graded: L right, the rest missing
    assert "116" not in done.stderr and "gradekit[code]" not in done.stderr + done.stdout


def test_a_module_check_without_the_code_extra_names_it_in_one_line(tmp_path):
    from tests.module_task1 import CORRECT

    (tmp_path / "task1.py").write_text(CORRECT)
    done = _gradekit(tmp_path, "check", "task1.py", "-a", "ece449-a2")
    assert done.returncode == 3, (done.stdout, done.stderr)
    lines = [line for line in done.stderr.splitlines() if line.startswith("gradekit: error")]
    assert len(lines) == 1 and "pip install 'gradekit[code]'" in lines[0], done.stderr
    assert "Traceback" not in done.stderr


def test_train_without_the_code_extra_names_it_in_one_line(tmp_path):
    done = _gradekit(tmp_path, "train", "torch-ann", "--epochs", "1")
    assert done.returncode == 3, (done.stdout, done.stderr)
    assert done.stderr.strip().splitlines()[-1].startswith("gradekit: error: ") and "gradekit[code]" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_handouts_checker_runs_without_the_code_extra(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from gradekit.cli.commands import main

    courses = ROOT / "tests" / "courses"
    monkeypatch.setenv("GRADEKIT_PROBLEMS", str(courses))
    out = tmp_path / "handout"
    built = CliRunner().invoke(main, ["handout", "build", "cmu11785-hw1p1", "--out", str(out)])
    assert built.exit_code == 0, built.output
    monkeypatch.delenv("GRADEKIT_PROBLEMS")
    (tmp_path / "linear.py").write_text((courses / "cmu11785-hw1p1" / "linear_solution.py").read_text())
    done = _gradekit(tmp_path, "handout", "check", "linear.py", "--handout", str(out))
    assert done.returncode == 1, done.stderr  # batchnorm.py not given
    assert "linear: Linear.backward: form ok" in done.stdout and "gradekit[code]" not in done.stderr

"""`gradekit autograder build` of an instructor's own folder: it carries the files the specs name (data files, the
students' environment file) and plug-in families given as a project folder or a wheel, and refuses, exit 2 with
one line, a bundle whose problems name a family or a file it cannot include (the image's setup would fail)."""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from gradekit.cli.commands import main
from gradekit.core import families

ROOT = Path(__file__).resolve().parents[2]

PLUGIN = '''from gradekit.plugin import Family, Param, Solution, Step


def solve(params):
    y = 2 * float(params["x"])
    return Solution(answers={"y": y}, steps=[Step("Double it", f"y = 2 x = {y:g}")])


FAMILIES = [Family("mycourse.double", solve, params=(Param("x", "number", "the number to double"),))]
'''
PYPROJECT = '''[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "mycourse-families"
version = "0.1"

[project.entry-points."gradekit.families"]
mycourse = "mycourse_families.families"

[tool.setuptools]
packages = ["mycourse_families"]
'''
DOUBLE = '''id = "double"
title = "Double a number"
family = "mycourse.double"
statement = "Give y = 2x for x = 21."
[params]
x = 21
[[parts]]
name = "y"
kind = "number"
points = 2
'''


def _run(*args):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


@pytest.fixture
def plugin(tmp_path, monkeypatch):
    """A plug-in family's project folder, and the plug-in installed here (a site folder with its dist-info)."""
    project = tmp_path / "mycourse-families"
    (project / "mycourse_families").mkdir(parents=True)
    (project / "pyproject.toml").write_text(PYPROJECT)
    (project / "mycourse_families" / "__init__.py").write_text("")
    (project / "mycourse_families" / "families.py").write_text(PLUGIN)
    site = tmp_path / "site"
    shutil.copytree(project / "mycourse_families", site / "mycourse_families")
    info = site / "mycourse_families-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: mycourse-families\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text('[gradekit.families]\nmycourse = mycourse_families.families\n')
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setattr(families, "_registry", families.Registry())  # the registry finds the new entry point
    return project


@pytest.fixture
def course(tmp_path, monkeypatch):
    folder = tmp_path / "course" / "own-hw"
    folder.mkdir(parents=True)
    (folder / "assignment.toml").write_text('name = "own-hw"\ntitle = "Own HW"\n'
                                            '[students]\nenvironment = "requirements.txt"\n')
    (folder / "requirements.txt").write_text("einops\n")
    spec = (ROOT / "problems" / "ece661-hw1" / "q3.2.toml").read_text().replace('id = "q3.2"', 'id = "bp"', 1)
    spec = spec.replace("W1 = [[0, -1, 1], [2, 2, -1]]", 'W1 = { file = "w1.csv" }', 1)
    assert 'W1 = { file = "w1.csv" }' in spec
    (folder / "bp.toml").write_text(spec)
    (folder / "w1.csv").write_text("0,-1,1\n2,2,-1\n")
    monkeypatch.setenv("GRADEKIT_PROBLEMS", str(folder.parent))
    return folder


@pytest.fixture
def fake_wheel(tmp_path):
    fake = tmp_path / "gradekit-0.1.0-py3-none-any.whl"
    fake.write_bytes(b"PK")
    return fake


def test_the_files_the_specs_name_go_in(course, tmp_path, fake_wheel):
    out = tmp_path / "ag.zip"
    code, text = _run("autograder", "build", "own-hw", "-o", str(out), "--wheel", str(fake_wheel))
    assert code == 0, text
    names = set(zipfile.ZipFile(out).namelist())
    assert {"problems/own-hw/bp.toml", "problems/own-hw/w1.csv", "problems/own-hw/requirements.txt",
            "problems/own-hw/assignment.toml"} <= names


def test_a_data_file_outside_the_folder_is_refused_in_one_line(course, tmp_path, fake_wheel):
    outside = tmp_path / "w1.csv"
    shutil.copy(course / "w1.csv", outside)
    spec = course / "bp.toml"
    spec.write_text(spec.read_text().replace('{ file = "w1.csv" }', f'{{ file = "{outside}" }}'))
    out = tmp_path / "ag.zip"
    code, text = _run("autograder", "build", "own-hw", "-o", str(out), "--wheel", str(fake_wheel))
    assert code == 2 and len(text.strip().splitlines()) == 1 and "outside its folder" in text, text
    assert not out.exists()


def test_a_missing_data_file_is_refused_in_one_line(course, tmp_path, fake_wheel):
    (course / "w1.csv").unlink()
    code, text = _run("autograder", "build", "own-hw", "-o", str(tmp_path / "ag.zip"), "--wheel", str(fake_wheel))
    assert code == 2 and "w1.csv" in text and not (tmp_path / "ag.zip").exists(), text


def test_a_plugin_family_not_given_is_refused_in_one_line(plugin, course, tmp_path, fake_wheel):
    (course / "double.toml").write_text(DOUBLE)
    code, text = _run("solve", "own-hw/double", "--json")
    assert code == 0 and json.loads(text)["answers"]["y"] == 42  # the plug-in works here
    out = tmp_path / "ag.zip"
    code, text = _run("autograder", "build", "own-hw", "-o", str(out), "--wheel", str(fake_wheel))
    lines = [line for line in text.strip().splitlines() if not line.startswith("gradekit: note")]
    assert code == 2 and len(lines) == 1, text
    assert "'mycourse.double'" in lines[0] and "mycourse_families" in lines[0] and "--family" in lines[0]
    assert not out.exists()


def test_an_unknown_family_is_refused(course, tmp_path, fake_wheel):
    (course / "double.toml").write_text(DOUBLE.replace("mycourse.double", "nobody.family"))
    code, text = _run("autograder", "build", "own-hw", "-o", str(tmp_path / "ag.zip"), "--wheel", str(fake_wheel))
    assert code == 2 and "nobody.family" in text


@pytest.mark.slow
def test_a_plugin_folder_is_bundled_and_the_bundle_grades_with_it(plugin, course, tmp_path):
    """The plug-in's folder is built into a wheel that setup.sh installs; the bundle, unpacked into a fake
    /autograder with its wheels installed as setup.sh installs them, grades the plug-in's problem."""
    (course / "double.toml").write_text(DOUBLE)
    out = tmp_path / "ag.zip"
    code, text = _run("autograder", "build", "own-hw", "-o", str(out), "--family", str(plugin))
    assert code == 0, text
    root = tmp_path / "autograder"
    with zipfile.ZipFile(out) as z:
        z.extractall(root / "source")
    wheels = sorted((root / "source" / "wheels").glob("*.whl"))
    assert [w.name.split("-")[0] for w in wheels] == ["gradekit", "mycourse_families"]
    setup = (root / "source" / "setup.sh").read_text()
    assert f'pip install --no-cache-dir "$SRC/wheels/{wheels[1].name}"' in setup
    assert subprocess.run(["bash", "-n", str(root / "source" / "setup.sh")]).returncode == 0
    again = tmp_path / "again.zip"  # the wheel it built, given as a wheel
    assert _run("autograder", "build", "own-hw", "-o", str(again), "--family", str(wheels[1]),
                "--wheel", str(wheels[0]))[0] == 0
    site = tmp_path / "image-site"  # setup.sh's installs: pure wheels, unpacked
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as z:
            z.extractall(site)
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    (root / "submission" / "answers.py").write_text("ANSWERS = {'double': {'y': 42}, 'bp': {'L': 116}}\n")
    (root / "submission_metadata.json").write_text(json.dumps({"users": [{"email": "ada@x.edu"}]}))
    env = {k: v for k, v in os.environ.items() if k != "GRADEKIT_PROBLEMS"}
    env.update(GRADEKIT_AUTOGRADER_ROOT=str(root), PYTHONPATH=str(site))
    done = subprocess.run([sys.executable, str(root / "run_autograder")], cwd=root, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    data = json.loads((root / "results" / "results.json").read_text())
    tests = {t["name"]: t for t in data["tests"]}
    assert any(name.startswith("double") and t["score"] == 2 for name, t in tests.items()), tests.keys()
    assert any(name.startswith("bp") and "L" in name and t["score"] == 1 for name, t in tests.items()), tests.keys()

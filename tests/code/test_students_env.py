"""The students' environment installed for real: a second venv (``make students-venv``: torch 2.14.1 and
torchvision 0.29.1 on x86_64, a CUDA build that maps 3.2 GB to import, and gradekit) grades an ECE 449 task3
file that imports torchvision, as a TA runs it: `gradekit check` of that venv, in a subprocess.

Skipped where the venv is absent; CI (.ci/run) builds it, and there the test fails instead of skipping.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.module_task23 import task3

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".venv-students"
IN_CI = os.environ.get("GRADEKIT_CI") == "1"
# as the course's task3_template.py begins
HEADER = "import torchvision\nfrom torchvision import transforms\n"


@pytest.fixture(scope="module")
def students_gradekit():
    gradekit = VENV / "bin" / "gradekit"
    if not (VENV / ".installed").exists() or not gradekit.exists():
        if IN_CI:
            pytest.fail(f"{VENV} is missing: .ci/run builds it (make students-venv)")
        pytest.skip(f"no {VENV} (make students-venv builds it)")
    return str(gradekit)


def _check(gradekit: str, path: Path) -> tuple[int, dict]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRADEKIT_", "PYTEST_"))}
    r = subprocess.run([gradekit, "check", str(path), "-a", "ece449-a2", "--json"], capture_output=True, text=True,
                       timeout=900, env=env, cwd=path.parent)
    assert r.stdout.strip().startswith("{"), (r.returncode, r.stdout[-2000:], r.stderr[-2000:])
    return r.returncode, json.loads(r.stdout)


def _parts(report: dict) -> dict:
    return {p["name"]: (p["score"], p["feedback"]) for q in report["problems"] for p in q["parts"]}


def test_the_students_venv_imports_the_pair_it_was_built_with(students_gradekit):
    python = VENV / "bin" / "python"
    r = subprocess.run([str(python), "-c", "import torch, torchvision; print(torch.__version__.split('+')[0], "
                        "torchvision.__version__.split('+')[0])"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-1000:]
    from gradekit.course.students import LOCAL_PAIRS

    assert r.stdout.split() == [p.split("==")[1] for p in LOCAL_PAIRS[os.uname().machine]]


def test_a_task3_file_that_imports_torchvision_gets_the_tas_points(students_gradekit, tmp_path):
    """The course's own way of filling in task3_template.py (torchvision imported, sigmoid LeNet, train_cnn on the
    loaders): a TA gives 20/20. Under the CUDA build's 3.2 GB of libraries the student's memory budget still holds."""
    path = tmp_path / "task3.py"
    path.write_text(HEADER + task3())
    code, report = _check(students_gradekit, path)
    assert (code, report["score"], report["max_score"]) == (0, 20, 20), _parts(report)
    assert not any("torchvision" in n for n in report.get("notes", [])), report.get("notes")


def test_a_task3_file_whose_lenet_is_wrong_loses_only_that_part(students_gradekit, tmp_path):
    """ReLU after the first linear layer where the template has a sigmoid: one wrong layer of get_lenet costs what
    the spec's mistake model says (1.25 of 5), named; the training is still graded (and passes)."""
    path = tmp_path / "task3.py"
    path.write_text(HEADER + task3(fc1="nn.ReLU()"))
    code, report = _check(students_gradekit, path)
    parts = _parts(report)
    assert (code, parts["get_lenet"][0], parts["train_cnn"][0]) == (1, 3.75, 15), parts
    assert "layer 8 (relu activation in 9): type is relu, expected sigmoid" in parts["get_lenet"][1]


def test_make_students_installs_a_pair_that_imports_on_each_machine():
    from gradekit.course.students import local_requirements

    declared = ["torch", "torchvision", "numpy", "matplotlib", "sklearn"]
    assert local_requirements(declared, "x86_64") == ["torch==2.14.1", "torchvision==0.29.1", "numpy", "matplotlib",
                                                      "scikit-learn"]
    assert local_requirements(declared, "aarch64")[:2] == ["torch==2.9.1", "torchvision==0.24.1"]
    assert local_requirements(["numpy"], "riscv64") == ["numpy"]  # no torch asked: any machine
    with pytest.raises(ValueError, match="no torch/torchvision pair known to import on riscv64"):
        local_requirements(declared, "riscv64")


def test_the_bundles_setup_sh_installs_torchvision_built_for_its_torch_from_the_cpu_index(tmp_path):
    """ece449-a2 declares torchvision: setup.sh asks PyTorch's CPU index for the grader's torch and the
    torchvision made for it in one install (PyPI's torchvision for a CPU torch cannot import)."""
    import zipfile
    from importlib import metadata

    from gradekit.course.autograder import build
    from gradekit.course.students import cpu_pair

    fake = tmp_path / "gradekit-0.1.0-py3-none-any.whl"
    fake.write_bytes(b"PK")
    build("ece449-a2", tmp_path / "ag.zip", wheel=fake)
    with zipfile.ZipFile(tmp_path / "ag.zip") as z:
        setup, reqs = z.read("setup.sh").decode(), z.read("requirements.txt").decode().split()
    torch_pin, vision_pin = cpu_pair(metadata.version("torch"))
    assert f'--index-url https://download.pytorch.org/whl/cpu "{torch_pin}" "{vision_pin}"' in setup
    assert any(r.startswith("matplotlib") for r in reqs) and not any("torch" in r for r in reqs), reqs
    assert cpu_pair("2.14.1+cu130") == ("torch==2.14.1", "torchvision==0.29.1")
    assert cpu_pair("2.9.1") == ("torch==2.9.1", "torchvision==0.24.1")

"""`gradekit autograder build`: the bundle's run_autograder against a fake /autograder tree.

The bundle is built once (its wheel installed offline into a temporary folder,
as setup.sh does with --no-index); each case runs the bundle's run_autograder
with this venv's python and checks results.json against Gradescope's spec.
setup.sh's network installs never run here: it is checked with `bash -n`.
"""

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from click.testing import CliRunner

from gradekit import grade
from gradekit.catalog.catalog import load_catalog
from gradekit.cli.commands import main
from gradekit.code.spec import is_module_problem
from gradekit.core.plain import solution_dict
from gradekit.catalog.variants import variant

from tests.module_task1 import CORRECT
from tests.schema_lite import errors

SCHEMA = json.loads((Path(__file__).parents[1] / "gradescope_schema.json").read_text())
ASSIGNMENT = "ece661-hw1"
ADA = {"users": [{"email": "ada@example.edu", "id": 1234, "name": "Ada Lovelace"}]}


def answer_problems():
    """The problems an answers file answers (code problems need their module file)."""
    return [p for p in load_catalog().problems(ASSIGNMENT) if not is_module_problem(p)]


def total():
    """The points graded automatically (parts graded by hand are in the total but not scored here)."""
    return sum(part.points for p in answer_problems() for part in p.parts if part.kind != "manual")


def key_for(student):
    cat = load_catalog()
    return {p.qualified_id: solution_dict(v, cat.solve(v))["answers"]
            for p in answer_problems() for v in [variant(cat, p, student)]}


def answer_tests(data):
    ids = {p.id for p in answer_problems()}
    return [t for t in data["tests"] if t["name"].split(":")[0] in ids]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bundle")
    zip_path = tmp / "autograder.zip"
    r = CliRunner().invoke(main, ["autograder", "build", ASSIGNMENT, "-o", str(zip_path), "--time-limit", "1"])
    assert r.exit_code == 0, r.output
    site = tmp / "site"  # setup.sh's offline step: the wheel, no index, no dependencies
    with zipfile.ZipFile(zip_path) as z:
        z.extractall(tmp / "unzipped")
    wheel = next((tmp / "unzipped" / "wheels").glob("gradekit-*.whl"))
    install = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-deps",
                              "--target", str(site), str(wheel)], capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stderr[-2000:]
    return zip_path, site, wheel


def run_bundle(bundle, tmp_path, files, meta=ADA, python_flags=()):
    """Lay out /autograder as Gradescope does, run run_autograder there, return (results, stdout)."""
    zip_path, site, _ = bundle
    root = tmp_path / "autograder"
    with zipfile.ZipFile(zip_path) as z:
        z.extractall(root / "source")
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    for name, text in files.items():
        (root / "submission" / name).write_text(text)
    if meta is not None:
        (root / "submission_metadata.json").write_text(json.dumps(meta))
    env = {**os.environ, "GRADEKIT_AUTOGRADER_ROOT": str(root), "PYTHONPATH": str(site)}
    proc = subprocess.run([sys.executable, *python_flags, str(root / "run_autograder")], cwd=root, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads((root / "results" / "results.json").read_text())
    assert errors(data, SCHEMA) == []
    return data, proc.stdout


def by_test_name(data):
    return {t["name"]: t for t in data["tests"]}


def test_bundle_layout_and_setup_script(bundle):
    zip_path = bundle[0]
    with zipfile.ZipFile(zip_path) as z:
        names = z.namelist()
        setup = z.read("setup.sh").decode()
        config = json.loads(z.read("gradekit-autograder.json"))
        reqs = z.read("requirements.txt").decode().split()
        modes = {i.filename: i.external_attr >> 16 for i in z.infolist()}
    wheel = next(n for n in names if n.startswith("wheels/gradekit-") and n.endswith(".whl"))
    assert {"setup.sh", "run_autograder", "requirements.txt", "gradekit-autograder.json", wheel} == set(names)
    assert modes["setup.sh"] & 0o111 and modes["run_autograder"] & 0o111
    assert zip_path.stat().st_size < 2 * 2**20  # no torch, no dependency wheels inside
    assert f"--no-index --no-deps \"$SRC/{wheel}\"" in setup and "torch" not in "".join(reqs)
    # requirements (and torch) first, gradekit last with --no-deps: pip checks no dependency and ends without error
    assert setup.index('-r "$SRC/requirements.txt"') < setup.index(f'--no-deps "$SRC/{wheel}"')
    # torch only from the CPU index, and only when a code problem of the assignment uses it
    assert ("download.pytorch.org/whl/cpu" in setup) == (config["torch"] is not None)
    assert subprocess.run(["bash", "-n"], input=setup, text=True).returncode == 0
    assert f"numpy=={metadata.version('numpy')}" in reqs and f"sympy=={metadata.version('sympy')}" in reqs
    assert config == {**config, "assignment": ASSIGNMENT, "time_limit": 1.0, "student_key": "email",
                      "require_isolation": True, "hand_graded": "omit"}
    # the image build fails when it cannot isolate student code; the engine is closed to other users
    assert setup.rstrip().endswith('"$VENV/bin/gradekit" doctor --require')
    assert 'chmod -R go-rwx "$SRC"' in setup


def test_a_bundle_built_to_allow_weak_isolation_says_so(tmp_path):
    fake = tmp_path / "gradekit-0.1.0-py3-none-any.whl"
    fake.write_bytes(b"PK")
    out = tmp_path / "ag.zip"
    r = CliRunner().invoke(main, ["autograder", "build", ASSIGNMENT, "-o", str(out), "--wheel", str(fake),
                                  "--allow-weak-isolation"])
    assert r.exit_code == 0, r.output
    with zipfile.ZipFile(out) as z:
        assert json.loads(z.read("gradekit-autograder.json"))["require_isolation"] is False
        assert z.read("setup.sh").decode().rstrip().endswith('"$VENV/bin/gradekit" doctor')


def test_a_computing_answers_file_reports_its_isolation_to_the_instructor_only(bundle, tmp_path):
    data, _ = run_bundle(bundle, tmp_path, {"answers.py": "ANSWERS = {'q3.2': {'L': 100 + 16}}\n"})
    assert data["extra_data"]["isolation"]["level"] == "strong"  # CI runs as root: the jail is required
    assert "isolation" not in data["output"]


def test_torch_is_pinned_from_the_cpu_index_only_when_asked(tmp_path):
    # --wheel skips the build: any file named like a wheel will do for the layout
    fake = tmp_path / "gradekit-0.1.0-py3-none-any.whl"
    fake.write_bytes(b"PK")
    out = tmp_path / "ag.zip"
    r = CliRunner().invoke(main, ["autograder", "build", "ece449-a2", "-o", str(out), "--torch", "--wheel", str(fake)])
    assert r.exit_code == 0, r.output
    setup = zipfile.ZipFile(out).read("setup.sh").decode()
    torch_version = metadata.version("torch").split("+")[0]
    assert f'--index-url https://download.pytorch.org/whl/cpu "torch=={torch_version}"' in setup
    assert "scikit-learn==" in zipfile.ZipFile(out).read("requirements.txt").decode()  # task1 trains on digits
    bad = CliRunner().invoke(main, ["autograder", "build", "nope-hw", "-o", str(out), "--wheel", str(fake)])
    assert bad.exit_code == 2 and "nope-hw" in bad.output


def test_correct_answers_full_marks_for_the_students_variant(bundle, tmp_path):
    answers = key_for("ada@example.edu")
    data, stdout = run_bundle(bundle, tmp_path, {"answers.json": json.dumps(answers)})
    graded = [t for t in answer_tests(data) if "status" in t]
    assert data["score"] == sum(t["max_score"] for t in answer_tests(data) if "status" in t) == total()
    assert all(t["status"] == "passed" for t in graded) and "ada@example.edu" in data["output"]
    assert str(bundle[1]) in stdout  # graded by the wheel's gradekit, not this checkout


def test_partly_wrong_answers_and_another_students_variant(bundle, tmp_path):
    answers = key_for("bob@example.edu")  # bob's q3.2v numbers, handed in by ada
    answers["ece661-hw1/q3.2"]["L"] = 115
    src = "import json\nANSWERS = json.loads(" + repr(json.dumps(answers)) + ")\n"  # computes: runs in the sandbox
    data, _ = run_bundle(bundle, tmp_path, {"answers.py": src})
    by = by_test_name(data)
    assert by["q3.2: L"]["status"] == "failed" and "off by 1" in by["q3.2: L"]["output"]
    wrong_v = [t for n, t in by.items() if n.startswith("q3.2v:") and t.get("status") == "failed"]
    assert wrong_v  # ada's variant differs from bob's
    lost = by["q3.2: L"]["max_score"] + sum(t["max_score"] for t in wrong_v)
    assert data["score"] == pytest.approx(total() - lost) and 0 < data["score"] < total()


def test_results_carry_the_real_execution_time(bundle, tmp_path):
    data, _ = run_bundle(bundle, tmp_path, {"answers.py": "import time\ntime.sleep(0.3)\nANSWERS = {'q3.2': {'L': 116}}\n"})
    assert 0.3 <= data["execution_time"] < 60 and isinstance(data["execution_time"], float)


def test_crashing_submission_scores_zero_with_the_reason(bundle, tmp_path):
    data, _ = run_bundle(bundle, tmp_path, {"answers.py": "raise RuntimeError('boom')\nANSWERS = {}\n"})
    assert data["score"] == 0 and "RuntimeError" in data["output"] and "boom" in data["output"]
    assert data["tests"] and all(t.get("status", "failed") == "failed" for t in data["tests"])


def test_hanging_submission_is_stopped_by_the_bundles_time_limit(bundle, tmp_path):
    start = time.monotonic()
    data, _ = run_bundle(bundle, tmp_path, {"answers.py": "while True:\n    pass\nANSWERS = {}\n"})
    assert time.monotonic() - start < 30  # the bundle's --time-limit 1, not the 60 s default
    assert data["score"] == 0 and data["tests"] and "could not be graded" in data["output"]
    assert "answers.py: did not finish within 1 s" in data["output"]
    assert str(tmp_path) not in data["output"]  # students see their file's name, not the grader's paths


def test_empty_submission_and_missing_gradekit_still_write_results(bundle, tmp_path):
    data, _ = run_bundle(bundle, tmp_path / "a", {}, meta=None)
    assert data["score"] == 0 and "no answers file" in data["output"]
    # python -S: no site-packages, so no gradekit (nor setup.sh's venv): the stdlib wrapper still answers
    data, _ = run_bundle(bundle, tmp_path / "b", {"answers.json": "{}"}, python_flags=("-S", "-I"))
    assert data["score"] == 0 and "gradekit is not installed" in data["output"]


def test_code_files_and_answers_file_graded_together(bundle, tmp_path):
    # ece449-a2: answers for p1..p6 and task1 as a module file (named as its spec declares)
    zip_path = tmp_path / "ece449.zip"
    r = CliRunner().invoke(main, ["autograder", "build", "ece449-a2", "-o", str(zip_path), "--wheel", str(bundle[2])])
    assert r.exit_code == 0, r.output
    files = {"task1_3180100111.py": CORRECT, "answers.json": json.dumps({"p5": {"q": 0}})}
    data, _ = run_bundle((zip_path, bundle[1], None), tmp_path, files)
    by = by_test_name(data)
    task1 = {n: t for n, t in by.items() if n.startswith("task1:")}
    assert len(task1) == 5 and all(t["status"] == "passed" for t in task1.values())
    assert by["p1: C"]["status"] == "failed" and "missing" in by["p1: C"]["output"]
    assert data["score"] == sum(t["score"] for t in by.values()) >= 20


def test_own_run_autograder_with_the_library(tmp_path):
    # docs/instructors.md: from gradekit import grade; grade(...).write_gradescope(path), with student=
    sub = tmp_path / "answers.json"
    sub.write_text(json.dumps(key_for("1001")))
    out = tmp_path / "results" / "results.json"
    grade(sub, assignment=ASSIGNMENT, student="1001").write_gradescope(out)
    data = json.loads(out.read_text())
    assert errors(data, SCHEMA) == [] and data["score"] == total()
    grade(sub, assignment=ASSIGNMENT, student="1002").write_gradescope(out)
    assert json.loads(out.read_text())["score"] < total()  # another student's variant


def test_a_notebook_submission_in_the_bundle(bundle, tmp_path):
    import nbformat
    from nbformat import v4

    cell = v4.new_code_cell("116")
    cell.metadata["tags"] = ["answer:q3.2/L"]
    nb = v4.new_notebook(cells=[cell], metadata={"gradekit": {"assignment": ASSIGNMENT}})
    data, _ = run_bundle(bundle, tmp_path, {"hw.ipynb": nbformat.writes(nb)})
    assert by_test_name(data)["q3.2: L"]["status"] == "passed" and data["score"] == 1


@pytest.mark.slow
def test_setup_sh_runs_for_real_and_the_bundle_grades(bundle, tmp_path):
    """Gradescope's image build, for real, in a temporary root: setup.sh makes the venv, installs requirements.txt
    (from wheels downloaded here first, then offline) and the gradekit wheel, checks the catalog and isolation,
    and ends without a pip error; run_autograder then grades from that venv. Skipped only without PyPI."""
    root = tmp_path / "autograder"
    wheels = _unpack_with_wheels(bundle, tmp_path, root)
    reqs = (root / "source" / "requirements.txt").read_text()
    env = {**os.environ, "GRADEKIT_AUTOGRADER_ROOT": str(root), "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheels)}
    env.pop("PYTHONPATH", None)
    setup = subprocess.run(["bash", str(root / "source" / "setup.sh")], env=env, capture_output=True, text=True,
                           timeout=900)
    assert setup.returncode == 0, (setup.stdout + setup.stderr)[-3000:]
    assert "ERROR" not in setup.stdout + setup.stderr and "isolation: strong" in setup.stdout
    assert "numpy==" in reqs
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    (root / "submission" / "answers.json").write_text(json.dumps({"q3.2": {"L": 116}}))
    (root / "submission_metadata.json").write_text(json.dumps(ADA))
    venv_python = root / "gradekit-venv" / "bin" / "python"
    run = subprocess.run([str(venv_python), str(root / "run_autograder")], cwd=root, env=env, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    data = json.loads((root / "results" / "results.json").read_text())
    assert errors(data, SCHEMA) == [] and data["score"] == 1 and str(root / "gradekit-venv") in run.stdout


def _unpack_with_wheels(bundle, tmp_path: Path, root: Path) -> Path:
    """Build the autograder zip, unpack it in ``root / "source"`` as Gradescope does, and download the wheels
    its requirements.txt names (to a folder, returned, that setup.sh then installs from offline); skipped where
    no package index can be reached, failed where CI should reach one. Torch (lab2a's) would come from its own
    index: left out here."""
    zip_path = tmp_path / "ag.zip"
    r = CliRunner().invoke(main, ["autograder", "build", ASSIGNMENT, "-o", str(zip_path), "--wheel", str(bundle[2]),
                                  "--no-torch"])
    assert r.exit_code == 0, r.output
    with zipfile.ZipFile(zip_path) as z:
        z.extractall(root / "source")
    wheels = tmp_path / "wheels"
    got = subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--only-binary=:all:", "-d", str(wheels),
                          "-r", str(root / "source" / "requirements.txt")], capture_output=True, text=True, timeout=600)
    if got.returncode != 0:
        if os.environ.get("GRADEKIT_CI"):
            pytest.fail(f"CI reaches PyPI, but pip download failed: {got.stderr[-500:]}")
        pytest.skip("no package index here: setup.sh downloads its requirements")
    return wheels


@pytest.mark.slow
def test_setup_sh_passes_and_the_bundle_grades_code_where_docker_forbids_namespaces(bundle, tmp_path, request):
    """The image build and a run as Gradescope would do them in a container under Docker's default seccomp
    profile (tests/docker_seccomp.py): no jail can be had, Debian's Python builds the venv, and
    `doctor --require` in setup.sh must find the confined level; a computing answers file is then graded."""
    if os.geteuid() != 0 or not os.path.exists("/usr/bin/python3") or os.uname().machine not in ("x86_64", "aarch64"):
        pytest.skip("a root grader on Linux x86_64/aarch64 with Debian's python3")
    root = Path(tempfile.mkdtemp(prefix="gradekit-ag-", dir="/tmp"))  # the venv must be reachable by the uid
    request.addfinalizer(lambda: shutil.rmtree(root, ignore_errors=True))
    os.chmod(root, 0o755)
    wheels = _unpack_with_wheels(bundle, tmp_path, root)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRADEKIT_", "PYTHON", "VIRTUAL_ENV"))}
    env.update(GRADEKIT_AUTOGRADER_ROOT=str(root), PIP_NO_INDEX="1", PIP_FIND_LINKS=str(wheels),
               PATH="/usr/bin:/bin:/usr/sbin:/sbin")
    docker = [sys.executable, str(Path(__file__).parents[1] / "docker_seccomp.py"), "--"]
    setup = subprocess.run([*docker, "/bin/bash", str(root / "source" / "setup.sh")], env=env, capture_output=True,
                           text=True, timeout=900)
    assert setup.returncode == 0, (setup.stdout + setup.stderr)[-3000:]
    assert "isolation: strong (confined)" in setup.stdout, setup.stdout[-2000:]
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    (root / "submission" / "answers.py").write_text(
        "import numpy as np\nANSWERS = {'q3.2': {'L': float(np.float64(4 * 29))}}\n")
    (root / "submission_metadata.json").write_text(json.dumps(ADA))
    run = subprocess.run([*docker, str(root / "gradekit-venv" / "bin" / "python"), str(root / "run_autograder")],
                         cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    data = json.loads((root / "results" / "results.json").read_text())
    assert data["extra_data"]["isolation"]["kind"] == "confined", data.get("extra_data")
    assert by_test_name(data)["q3.2: L"]["status"] == "passed" and data["score"] == 1, data["output"][-1000:]
    assert stat.S_IMODE(os.stat(root / "results").st_mode) == 0o700


# -- gradekit.autograde: the library entry a hand-written run_autograder calls ---------------------------


def fake_root(tmp_path, files, meta=ADA):
    """Gradescope's /autograder layout without a bundle: submission/ and submission_metadata.json."""
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    for name, text in files.items():
        (root / "submission" / name).write_text(text)
    if meta is not None:
        (root / "submission_metadata.json").write_text(json.dumps(meta))
    return root


def written(root):
    data = json.loads((root / "results" / "results.json").read_text())
    assert errors(data, SCHEMA) == []
    return data


def test_autograde_grades_the_metadata_students_variant(tmp_path):
    import gradekit

    root = fake_root(tmp_path, {"answers.json": json.dumps(key_for("ada@example.edu"))})
    data = gradekit.autograde(ASSIGNMENT, root=root)
    assert written(root) == data and data["score"] == total()
    assert data["output"].startswith("Graded as student ada@example.edu.")
    # the same answers handed in by bob: his variant's numbers differ, so q3.2v loses points
    root_b = fake_root(tmp_path / "b", {"answers.json": json.dumps(key_for("ada@example.edu"))},
                       meta={"users": [{"email": "bob@example.edu"}]})
    assert 0 < gradekit.autograde(ASSIGNMENT, root=root_b)["score"] < total()


def test_autograde_picks_the_student_by_the_key_asked_for(tmp_path):
    import gradekit

    root = fake_root(tmp_path, {"answers.json": json.dumps(key_for("1234"))})
    assert gradekit.autograde(ASSIGNMENT, root=root, student_key="id")["score"] == total()
    assert gradekit.autograde(ASSIGNMENT, root=root)["score"] < total()  # email: ada's variant, not 1234's


@pytest.mark.parametrize("files,reason", [
    ({"answers.json": "{not json"}, "answers.json"),
    ({"answers.py": "raise RuntimeError('boom')\nANSWERS = {}\n"}, "boom"),
    ({}, "no answers file"),
])
def test_autograde_a_bad_submission_scores_zero_with_the_reason(tmp_path, files, reason):
    import gradekit

    root = fake_root(tmp_path, files)
    data = gradekit.autograde(ASSIGNMENT, root=root, time_limit=5)
    assert written(root) == data and data["score"] == 0
    assert "Your submission could not be graded" in data["output"] and reason in data["output"]
    assert data["tests"] and "grader_error" not in data.get("extra_data", {})  # the submission's fault
    assert str(tmp_path) not in data["output"]  # the student's file names, not the grader's paths


def test_autograde_a_grader_fault_says_so_and_tells_the_instructor(tmp_path, capsys):
    import gradekit

    root = fake_root(tmp_path, {"answers.json": json.dumps(key_for("ada@example.edu"))})
    data = gradekit.autograde("no-such-hw", root=root)
    assert written(root) == data and data["score"] == 0
    assert "The autograder failed, not your submission" in data["output"]
    assert "no-such-hw" in data["extra_data"]["grader_error"] and "grader error" in capsys.readouterr().err
    data = gradekit.autograde(ASSIGNMENT, root=root, student_key="phone")
    assert data["score"] == 0 and "student key 'phone'" in data["extra_data"]["grader_error"]


def test_autograde_leaves_the_callers_environment_as_it_was(tmp_path, monkeypatch):
    import gradekit

    for name in ("GRADEKIT_REQUIRE_ISOLATION", "GRADEKIT_PROTECT"):
        monkeypatch.delenv(name, raising=False)
    root = fake_root(tmp_path, {"answers.json": "{}"})
    gradekit.autograde(ASSIGNMENT, root=root)
    assert "GRADEKIT_REQUIRE_ISOLATION" not in os.environ and "GRADEKIT_PROTECT" not in os.environ


def test_the_instructors_page_run_autograder_recipe_runs_against_a_fake_root(tmp_path):
    readme = (Path(__file__).resolve().parents[2] / "docs" / "instructors.md").read_text()
    recipe = next(b for b in readme.split("```python\n")[1:] if "gradekit.autograde(" in b).split("```")[0]
    root = fake_root(tmp_path, {"answers.json": json.dumps(key_for("ada@example.edu"))})
    script = tmp_path / "run_autograder"
    script.write_text(recipe.replace('"/autograder"', repr(str(root))))
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert written(root)["score"] == total()
    (root / "submission" / "answers.json").write_text("[1, 2")  # the failure path writes a result too
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and written(root)["score"] == 0


def test_an_instructors_code_problem_ships_with_its_starter_and_solution(bundle, tmp_path, monkeypatch):
    # tests/courses/cmu11785-hw1p1: [code] specs beside the course's starters and the instructor's solutions
    courses = Path(__file__).resolve().parents[1] / "courses"
    monkeypatch.setenv("GRADEKIT_PROBLEMS", str(courses))
    out = tmp_path / "ag.zip"
    r = CliRunner().invoke(main, ["autograder", "build", "cmu11785-hw1p1", "-o", str(out), "--wheel", str(bundle[2]),
                                  "--time-limit", "20"])
    assert r.exit_code == 0, r.output
    with zipfile.ZipFile(out) as z:
        names = set(z.namelist())
    assert {f"problems/cmu11785-hw1p1/{n}" for n in ("linear.toml", "linear_starter.py", "linear_solution.py",
                                                      "batchnorm_starter.py", "batchnorm_solution.py")} <= names
    monkeypatch.delenv("GRADEKIT_PROBLEMS")
    student = (courses / "students" / "cmu11785-hw1p1" / "linear_rutvikjoshi63.py").read_text()
    data, _ = run_bundle((out, bundle[1], bundle[2]), tmp_path, {"linear.py": student})
    tests = by_test_name(data)
    linear = {name: t["score"] for name, t in tests.items() if "linear" in name}
    assert sum(linear.values()) == 6 and len(linear) == 3, tests.keys()

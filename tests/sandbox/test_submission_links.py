"""Links in a submission, as a hostile student makes them: never followed, refused with the reason.

Git checkouts and unzipped Gradescope exports keep symbolic links, and the grader runs as root:
``task1.py -> .../gradekit/reference/mlp_numpy.py`` (task1's reference then) used to score 20/20 in ``check``, ``grade``
and the bundle, and ``zed/task1.py -> ../ada/task1.py`` got Ada's score. Every attack here goes
through the path an instructor uses (``gradekit check``, ``gradekit grade``, a built bundle run
against a fake /autograder) and asserts: zero for the attacker, the reason in one line for the
instructor, and everything honest beside it graded as before. Links of every kind are refused,
one to the student's own file too (docs/submissions.md says why).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import zipfile
from importlib.util import find_spec
from pathlib import Path

import pytest
from click.testing import CliRunner

from gradekit.cli.commands import main
from gradekit.core.errors import SubmissionError
from gradekit.core.plain import solution_dict
from gradekit.course.batch import grade_entry, BatchOptions, grade_folder, write_outputs, discover
from gradekit.grading.grade import grade
from gradekit.catalog.catalog import load_catalog

from tests.module_task1 import CORRECT, FAST

CAT = load_catalog()
ASSIGNMENT = "ece449-a2"
REFERENCE = Path(find_spec("gradekit.problems").submodule_search_locations[0], ASSIGNMENT,
                 "task1_solution.py").resolve()  # task1's reference solution
TASK1 = {f"task1:{part.name}" for part in CAT.resolve(f"{ASSIGNMENT}/task1").parts}
AS_ROOT = os.geteuid() == 0


def p5_key() -> dict:
    """Honest answers for p5 (7 points), beside the attack."""
    p = CAT.resolve(f"{ASSIGNMENT}/p5")
    return {"p5": solution_dict(p, CAT.solve(p))["answers"]}


@contextlib.contextmanager
def within(seconds: int):
    """Fail (not hang) when the body blocks, as a read of a FIFO would."""
    def late(signum, frame):
        raise AssertionError(f"blocked for {seconds} s")

    previous = signal.signal(signal.SIGALRM, late)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def task1_points(report) -> float:
    return sum(p.score for p in report.problems if p.id == "task1")


# -- what each kind of attack file is, made in a submission folder ------------------------------

def _symlink_to_reference(folder: Path, name: str) -> None:
    os.symlink(REFERENCE, folder / name)


def _relative_symlink_up(folder: Path, name: str) -> None:
    os.symlink(os.path.relpath(REFERENCE, folder), folder / name)


def _dangling(folder: Path, name: str) -> None:
    os.symlink(folder / "gone" / "task1.py", folder / name)


def _to_dev_zero(folder: Path, name: str) -> None:
    os.symlink("/dev/zero", folder / name)


def _own_file(folder: Path, name: str) -> None:
    (folder / "mine").mkdir()
    (folder / "mine" / "task1.txt").write_text(CORRECT)  # the student's own, not a graded name
    os.symlink("mine/task1.txt", folder / name)


def _hard_link(folder: Path, name: str) -> None:
    outside = folder.parent / "outside"  # a file outside the student's tree, one inode with theirs
    outside.mkdir(exist_ok=True)
    shutil.copy(REFERENCE, outside / "task1_solution.py")
    os.link(outside / "task1_solution.py", folder / name)


def _fifo(folder: Path, name: str) -> None:
    os.mkfifo(folder / name)


def _socket(folder: Path, name: str) -> None:
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(folder / name))
    s.close()


def _device(folder: Path, name: str) -> None:
    os.mknod(folder / name, 0o666 | stat.S_IFCHR, os.makedev(1, 5))  # /dev/zero's numbers


def _folder_link(folder: Path, name: str) -> None:
    os.symlink(REFERENCE.parent, folder / "lib")  # the whole reference folder, under the student's name
    shutil.copy(REFERENCE, folder.parent / name)
    os.symlink(folder.parent, folder / "up")  # and the folder above it, holding a copy named to be graded


ATTACKS = {
    "symlink to the reference": (_symlink_to_reference, "is a symbolic link"),
    "relative symlink up and out": (_relative_symlink_up, "is a symbolic link"),
    "dangling symlink": (_dangling, "is a symbolic link"),
    "symlink to /dev/zero": (_to_dev_zero, "is a symbolic link"),
    "symlink to the student's own file": (_own_file, "is a symbolic link"),
    "hard link to a file outside": (_hard_link, "hard link"),
    "FIFO": (_fifo, "is not a regular file (a FIFO)"),
    "socket": (_socket, "is not a regular file (a socket)"),
    "device": (_device, "is not a regular file (a device)"),
    "folder links": (_folder_link, "is a symbolic link"),
}


# -- gradekit check -------------------------------------------------------------------------------


def test_check_refuses_a_link_to_the_reference_solution(tmp_path):
    link = tmp_path / "task1.py"
    os.symlink(REFERENCE, link)
    r = CliRunner().invoke(main, ["check", str(link), "-a", ASSIGNMENT])
    assert r.exit_code == 2, r.output
    assert "20 / 20" not in r.output and "correct" not in r.output
    assert r.output.strip() == f"gradekit: error: {link}: is a symbolic link (to {str(REFERENCE)!r}); links are not " \
                               "graded, hand in the file itself"
    with pytest.raises(SubmissionError, match="is a symbolic link"):  # named as its problem, or not: never read
        grade(link, problem=f"{ASSIGNMENT}/task1", limits=FAST)
    assert REFERENCE.read_bytes()  # it is there for the grader, and was not read for the student


@pytest.mark.parametrize("name", ["answers.json", "answers.toml", "answers.py", "hw.ipynb"])
def test_check_refuses_a_linked_answers_file_or_notebook(tmp_path, name):
    target = tmp_path / "ada" / name
    target.parent.mkdir()
    target.write_text("{}")
    link = tmp_path / name
    os.symlink(target, link)
    with pytest.raises(SubmissionError, match=r"is a symbolic link \(to '.*ada/" + name):
        grade(link, assignment=ASSIGNMENT)


@pytest.mark.parametrize("kind", ["FIFO", "socket", "device", "hard link to a file outside", "symlink to /dev/zero"])
def test_check_refuses_a_file_that_is_not_a_file_without_blocking(tmp_path, kind):
    folder, reason = _folder_with_attack(tmp_path, kind)
    with within(30), pytest.raises(SubmissionError, match=re_escape(reason)):
        grade(folder / "task1.py", assignment=ASSIGNMENT, limits=FAST)


def _folder_with_attack(tmp_path, kind: str):
    """A folder ``sub`` whose task1.py is the attack ``kind`` (skipped where only root could make it), and the
    reason the grader must give for it."""
    if kind == "device" and not AS_ROOT:
        pytest.skip("only root makes device files")
    make, reason = ATTACKS[kind]
    folder = tmp_path / "sub"
    folder.mkdir()
    make(folder, "task1.py")
    return folder, reason


def re_escape(text: str) -> str:
    import re

    return re.escape(text)


# -- a folder (a Gradescope submission, a student's folder of a class) ------------------------------


@pytest.mark.parametrize("kind", list(ATTACKS))
def test_an_attack_file_beside_honest_answers_costs_only_itself(tmp_path, kind):
    folder, reason = _folder_with_attack(tmp_path, kind)
    (folder / "answers.json").write_text(json.dumps(p5_key()))
    with within(60):
        report = grade(folder, assignment=ASSIGNMENT, limits=FAST)
    assert task1_points(report) == 0  # not graded at all: no 20 / 20 from the reference
    assert next(p for p in report.problems if p.id == "p5").score == 7  # the honest answers still count
    assert report.refused and all(reason in r or "is a symbolic link" in r for r in report.refused)
    assert any(reason in n for n in report.notes)  # the student and the instructor are told
    assert not any(r.startswith(str(tmp_path)) for r in report.refused)  # the student's names, not the grader's paths


def test_a_folder_of_only_links_is_not_graded_and_says_why(tmp_path):
    folder = tmp_path / "sub"
    folder.mkdir()
    os.symlink(REFERENCE, folder / "task1.py")
    os.symlink(REFERENCE, folder / "task1_3180100111.py")
    with pytest.raises(SubmissionError) as e:
        grade(folder, assignment=ASSIGNMENT, limits=FAST)
    assert str(e.value) == "; ".join(f"{name}: is a symbolic link (to {str(REFERENCE)!r}); links are not graded, "
                                     "hand in the file itself" for name in ("task1.py", "task1_3180100111.py"))
    assert "\n" not in str(e.value)


def test_a_submission_folder_that_is_a_link_is_refused(tmp_path):
    ada = tmp_path / "ada"
    ada.mkdir()
    (ada / "task1.py").write_text(CORRECT)
    os.symlink(ada, tmp_path / "zed")
    with pytest.raises(SubmissionError, match="is a symbolic link"):
        grade(tmp_path / "zed", assignment=ASSIGNMENT, limits=FAST)


def test_a_folder_on_the_way_swapped_for_a_link_is_not_followed(tmp_path):
    """The walk saw a folder; a link put in its place before the read is refused by the open itself
    (each folder below the submission's is opened without following links)."""
    folder = tmp_path / "sub"
    (folder / "code").mkdir(parents=True)
    (folder / "code" / "task1.py").write_text(CORRECT)
    from gradekit.core.files import read_file, walk

    tree = walk(folder, (".py",))
    assert tree.files == [folder / "code" / "task1.py"] and tree.refused == []
    shutil.rmtree(folder / "code")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "task1.py").write_text("stolen")
    os.symlink(tmp_path / "elsewhere", folder / "code")
    with pytest.raises(SubmissionError, match="code: is a symbolic link"):
        read_file(folder / "code" / "task1.py", 2**20, root=folder)
    assert read_file(tmp_path / "elsewhere" / "task1.py", 2**20) == b"stolen"  # a plain file reads as itself


def test_a_file_that_grows_past_its_bound_while_read_is_cut_at_the_bound(tmp_path):
    from gradekit.core.files import read_file

    path = tmp_path / "answers.json"
    path.write_bytes(b"[" * 10)
    assert read_file(path, 10) == b"[" * 10
    path.write_bytes(b"[" * 11)
    with pytest.raises(SubmissionError, match="has 11 bytes; answers files are at most"):
        read_file(path, 10)


# -- gradekit grade: a class -------------------------------------------------------------------------


@pytest.fixture
def klass(tmp_path, monkeypatch):
    import tempfile

    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))  # forked workers inherit it
    d = tmp_path / "subs"
    (d / "ada").mkdir(parents=True)
    (d / "ada" / "task1.py").write_text(CORRECT)
    (d / "ada" / "answers.json").write_text(json.dumps(p5_key()))
    (d / "zed").mkdir()
    os.symlink("../ada/task1.py", d / "zed" / "task1.py")  # a classmate's file
    (d / "zed" / "answers.json").write_text(json.dumps(p5_key()))
    (d / "mal").mkdir()
    os.symlink(REFERENCE, d / "mal" / "task1.py")  # the reference solution
    os.symlink("ada", d / "bea")  # a classmate's whole folder
    os.symlink(d / "ada" / "answers.json", d / "cy.json")  # a classmate's answers, as a file of the class
    (d / "fif").mkdir()
    os.mkfifo(d / "fif" / "answers.json")
    (d / "fif" / "task1.py").write_text(CORRECT)  # honest code beside a FIFO
    return d


def test_a_class_with_links_grades_each_attacker_zero_and_the_honest_unharmed(klass, tmp_path):
    with within(120):
        res = grade_folder(klass, ASSIGNMENT, BatchOptions(progress=False, jobs=2, limits=FAST))
    by = {r["student"]: r for r in res.rows}
    assert set(by) == {"ada", "bea", "cy", "fif", "mal", "zed"}
    alone = grade_entry(next(e for e in discover(klass) if e.student == "ada"), ASSIGNMENT, CAT, FAST)
    assert by["ada"]["score"] == alone["score"] == 27 and by["ada"]["error"] is None  # 20 for task1, 7 for p5
    assert by["ada"]["parts"] == alone["parts"]
    # zed: its own answers count, the link to Ada's file gets nothing, and the row says why
    assert sum(v for k, v in by["zed"]["parts"].items() if k in TASK1) == 0 and by["zed"]["score"] == 7
    assert by["zed"]["error"] == "task1.py: is a symbolic link (to '../ada/task1.py'); links are not graded, " \
                                 "hand in the file itself"
    for who in ("mal", "bea", "cy"):
        assert by[who]["score"] == 0 and not by[who]["grader_error"], by[who]
        assert "is a symbolic link" in by[who]["error"], by[who]
    assert by["fif"]["score"] == 20 and "answers.json: is not a regular file (a FIFO)" in by["fif"]["error"]
    paths = write_outputs(res, tmp_path / "out")
    grades = paths["csv"].read_text()
    assert "is a symbolic link" in grades and "mal" in grades  # the instructor's grades.csv says it
    assert "symbolic link" in (paths["feedback"] / "zed.md").read_text()


def test_cli_grade_tells_the_instructor(klass, tmp_path):
    r = CliRunner().invoke(main, ["grade", str(klass), "-a", ASSIGNMENT, "-o", str(tmp_path / "g"),
                                  "--time-limit", "1.5", "-j", "2"])
    assert r.exit_code == 0, r.output
    assert "mal: task1.py: is a symbolic link" in r.output and "bea: " in r.output


# -- a built bundle, run as Gradescope runs it ------------------------------------------------------


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    """The bundle's zip (its wheel a stand-in: this checkout's gradekit grades, the bundle's wrapper runs it)."""
    tmp = tmp_path_factory.mktemp("bundle")
    fake = tmp / "gradekit-0.1.0-py3-none-any.whl"
    fake.write_bytes(b"PK")
    out = tmp / "ag.zip"
    r = CliRunner().invoke(main, ["autograder", "build", ASSIGNMENT, "-o", str(out), "--wheel", str(fake),
                                  "--time-limit", "1.5"])
    assert r.exit_code == 0, r.output
    return out


def run_bundle(zip_path: Path, tmp_path: Path, make) -> dict:
    root = tmp_path / "autograder"
    with zipfile.ZipFile(zip_path) as z:
        z.extractall(root / "source")
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    make(root / "submission")
    (root / "submission_metadata.json").write_text(json.dumps({"users": [{"email": "mal@example.edu"}]}))
    env = {**os.environ, "GRADEKIT_AUTOGRADER_ROOT": str(root)}
    proc = subprocess.run([sys.executable, str(root / "run_autograder")], cwd=root, env=env, capture_output=True,
                          text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads((root / "results" / "results.json").read_text())


def test_the_bundle_grades_a_link_to_the_reference_zero(bundle, tmp_path):
    def make(sub: Path) -> None:
        (sub / "answers.json").write_text(json.dumps(p5_key()))
        os.symlink(REFERENCE, sub / "task1.py")
        os.symlink(REFERENCE.parent, sub / "reference")

    data = run_bundle(bundle, tmp_path, make)
    tests = {t["name"]: t for t in data["tests"]}
    task1 = [t for n, t in tests.items() if n.startswith("task1:")]
    assert task1 and all(t["score"] == 0 for t in task1)
    assert data["score"] == 7 and "task1.py: is a symbolic link" in data["output"]
    assert str(tmp_path) not in data["output"].replace(str(REFERENCE), "")  # only the link's own text


def test_the_bundle_grades_a_submission_of_only_a_link_zero_and_says_why(bundle, tmp_path):
    data = run_bundle(bundle, tmp_path, lambda sub: os.symlink(REFERENCE, sub / "task1.py"))
    assert data["score"] == 0 and "could not be graded" in data["output"]
    assert "task1.py: is a symbolic link" in data["output"]
    assert data["tests"] and all(t.get("score", 0) == 0 for t in data["tests"])

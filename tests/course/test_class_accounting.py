"""Every submission of a class is accounted for (issue 36.1): a .zip as ECE 449's handout asks for it is
unpacked and graded; a zip bomb, a zip-slip path, a symlink member, unknown suffixes and a module that does not
parse are each a row or a listed file with its reason, in the summary and grades.json, never silence."""

import json
import stat
import zipfile

import pytest
from click.testing import CliRunner

from gradekit.cli.commands import main
from gradekit.course.batch import discover
from tests.module_task1 import CORRECT, FAST, POINTS

A = "ece449-a2"
pytestmark = pytest.mark.usefixtures("own_tempdir")


def zip_of(path, members):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            z.writestr(name, data)


@pytest.fixture
def klass(tmp_path):
    d = tmp_path / "subs"
    d.mkdir()
    zip_of(d / "ada.zip", [("hw2/task1.py", CORRECT), ("hw2/report.pdf", b"%PDF-1.4"),
                           ("__MACOSX/hw2/._task1.py", b"\x00")])  # the handout's zip, made on a Mac
    zip_of(d / "bomb.zip", [("task1.py", CORRECT), ("weights.npy", bytes(8 * 2**20))])
    zip_of(d / "slip.zip", [("task1.py", CORRECT), ("../../outside.py", "x = 1\n")])
    link = zipfile.ZipInfo("task1.py")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    zip_of(d / "link.zip", [(link, "/work/reference/mlp_numpy.py")])
    (d / "carl.docx").write_bytes(b"PK")  # an unknown suffix and nothing else
    (d / "dan").mkdir()
    (d / "dan" / "task1.py").write_text("def relu(X:\n    return X\n")  # does not parse
    (d / "dan" / "notes.txt").write_text("see the code")
    return d


def test_every_submission_and_every_file_is_accounted_for(klass, tmp_path):
    out = tmp_path / "grades"
    r = CliRunner().invoke(main, ["grade", str(klass), "-a", A, "-o", str(out), "-j", "2",
                                  "--time-limit", str(FAST.wall_seconds)])
    assert r.exit_code == 0, r.stdout + r.stderr
    data = json.loads((out / "grades.json").read_text())
    by = {s["student"]: s for s in data["students"]}
    assert sorted(by) == ["ada", "bomb", "carl", "dan", "link", "slip"]  # nobody absent
    task1 = {k: v for k, v in by["ada"]["report"]["problems"][-4]["parts"][0].items() if k in ("name", "score")}
    assert task1 == {"name": "relu", "score": 3}
    assert by["ada"]["score"] == sum(POINTS.values()) and by["ada"]["error"] is None  # graded from inside the zip
    assert by["ada"]["skipped"] == [
        {"file": "ada.zip/__MACOSX/", "reason": "a hidden file or folder; not searched"},
        {"file": "ada.zip/hw2/report.pdf", "reason": "not graded: its suffix '.pdf' is not one gradekit grades "
                                                     "(.json, .toml, .py, .ipynb, or a .zip/.tar archive of them)"}]
    assert by["bomb"]["score"] == 0 and "bomb.zip: unpacks to more than 100 times its size" in by["bomb"]["error"]
    assert by["slip"]["score"] == sum(POINTS.values())  # its own file graded, the escaping one listed
    assert by["slip"]["skipped"] == [{"file": "slip.zip/../../outside.py",
                                      "reason": "its path leaves the student's folder; not unpacked"}]
    assert not (tmp_path / "outside.py").exists() and not (out / "outside.py").exists()
    assert by["link"]["skipped"][0]["reason"].startswith("is a symbolic link") and by["link"]["score"] == 0
    assert "nothing gradable was handed in" in by["link"]["error"]
    assert "carl.docx: not graded: its suffix '.docx'" in by["carl"]["error"]
    assert by["dan"]["error"] == "task1.py: SyntaxError at line 1: '(' was never closed (not graded)"
    assert by["dan"]["skipped"][0]["file"] == "notes.txt"
    # the summary lists the unreadable (out of the statistics) and every file not graded, per student
    assert "dan: task1.py: SyntaxError at line 1" in r.stdout
    assert "  slip: slip.zip/../../outside.py: its path leaves the student's folder" in r.stdout
    assert "  ada: ada.zip/hw2/report.pdf: not graded" in r.stdout
    assert "2 submissions, median 20 / " in r.stdout  # ada and slip; the unreadable are listed apart
    # grades.csv has the same, in a column of its own
    assert "outside.py: its path leaves" in (out / "grades.csv").read_text()
    assert "Files not graded:" in (out / "feedback" / "slip.md").read_text()


def test_a_rerun_reuses_the_rows_of_unchanged_archives(klass, tmp_path):
    out = tmp_path / "grades"
    for name in ("bomb.zip", "link.zip", "carl.docx", "dan"):
        target = klass / name
        target.unlink() if target.is_file() else __import__("shutil").rmtree(target)
    args = ["grade", str(klass), "-a", A, "-o", str(out), "-j", "1", "--time-limit", str(FAST.wall_seconds)]
    assert CliRunner().invoke(main, args).exit_code == 0
    r = CliRunner().invoke(main, args)
    assert "0 graded, 2 unchanged" in r.stdout, r.stdout


def test_loose_files_of_one_student_are_one_row(tmp_path):
    d = tmp_path / "subs"
    d.mkdir()
    (d / "eve.json").write_text("{}")
    (d / "eve.pdf").write_bytes(b"%PDF")
    notes = []
    entries = discover(d, notes=notes)
    assert [(e.student, e.path.name, e.skipped[0][0]) for e in entries] == [("eve", "eve.json", "eve.pdf")]


def test_a_folder_with_a_zip_beside_other_files_is_graded_as_one(tmp_path):
    d = tmp_path / "subs"
    (d / "eve" / "src").mkdir(parents=True)
    (d / "eve" / "src" / "answers.json").write_text("{}")
    (d / "eve" / ".git").mkdir()
    zip_of(d / "eve" / "code.zip", [("task1.py", CORRECT), ("data.csv", "1,2\n")])
    (entry,) = discover(d, options=__import__("gradekit.course.collect", fromlist=["x"]).ClassOptions(
        unpack_to=tmp_path / "out" / ".gradekit-unpacked"))
    got = sorted(str(p.relative_to(entry.path)) for p in entry.path.rglob("*") if p.is_file())
    assert got == ["code/data.csv", "code/task1.py", "src/answers.json"]
    assert dict(entry.skipped) == {".git/": "a hidden file or folder; not searched",
                                   "code.zip/data.csv": "not graded: its suffix '.csv' is not one gradekit grades "
                                                        "(.json, .toml, .py, .ipynb, or a .zip/.tar archive of them)"}
    assert entry.source == str(d / "eve")

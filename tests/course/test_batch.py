"""Grading a class: layouts, parallel workers, zeros with reasons, and the three output files."""

import csv
import json
import os
import time

import pytest
from click.testing import CliRunner

import gradekit.course.batch as batch
from gradekit.course.batch import discover, grade_entry, BatchOptions, grade_folder, write_outputs
from gradekit.catalog.catalog import load_catalog
from gradekit.cli.commands import main
from gradekit.sandbox.process import Limits
from gradekit.core.plain import solution_dict
from gradekit.catalog.variants import variant

CAT = load_catalog()
FAST = Limits(wall_seconds=1.5, cpu_seconds=2)


pytestmark = pytest.mark.usefixtures("own_tempdir")  # conftest: batches' temp folders in the test's own


def key(pid, student=None):
    p = variant(CAT, CAT.resolve(pid), student)
    return solution_dict(p, CAT.solve(p))["answers"]


@pytest.fixture
def klass(tmp_path):
    d = tmp_path / "subs"
    d.mkdir()
    (d / "ada.json").write_text(json.dumps({"q3.2": key("ece661-hw1/q3.2")}))
    db2 = key("ece661-hw1/q3.2")["dL/db2"]
    (d / "bob.py").write_text(f"ANSWERS = {{'q3.2': {{'L': 115, 'dL/db2': {db2}}}}}\n")
    (d / "carl.py").write_text("while True:\n    pass\n")  # hangs: the sandbox's wall clock ends it
    (d / "dan.py").write_text("import numpy as np\nW = np.zeros((2, 3)); W[1] = [34, 34, -34]\n"
                              "ANSWERS = {'q3.2': {'dL/dW1': W}}\n")  # computes: runs in the sandbox
    (d / "eve").mkdir()
    (d / "eve" / "answers.toml").write_text("[\"q3.2\"]\nL = 116.0\n")
    (d / "fay").mkdir()
    (d / "fay" / "hw.py").write_text("import gradekit\nANSWERS = {}\n")  # cheats: cannot import gradekit
    return d


def test_small_batch_grades_everyone_and_writes_outputs(klass, tmp_path):
    start = time.monotonic()
    res = grade_folder(klass, "ece661-hw1", BatchOptions(limits=FAST, progress=False, jobs=2))
    assert time.monotonic() - start < 20
    by = {r["student"]: r for r in res.rows}
    assert list(by) == ["ada", "bob", "carl", "dan", "eve", "fay"]
    assert by["ada"]["score"] == 5 and by["ada"]["error"] is None
    assert by["bob"]["score"] == 1 and by["bob"]["parts"]["q3.2:L"] == 0 and by["bob"]["parts"]["q3.2:dL/db2"] == 1
    assert by["carl"]["score"] == 0 and "did not finish within 1.5 s" in by["carl"]["error"]
    assert by["dan"]["parts"]["q3.2:dL/dW1"] == 1 and by["eve"]["score"] == 1
    assert by["fay"]["score"] == 0 and "cannot import gradekit" in by["fay"]["error"]
    missed = dict(res.most_missed(len(res.columns)))
    # of the 4 submissions read (carl's and fay's could not be), bob and dan missed L; only q3.2 was answered
    assert [r["student"] for r in res.unreadable] == ["carl", "fay"]
    assert missed["q3.2:L"] == pytest.approx(2 / 4) and {c.split(":")[0] for c in missed} == {"q3.2"}

    paths = write_outputs(res, tmp_path / "out")
    rows = list(csv.DictReader(open(paths["csv"])))
    assert [r["student"] for r in rows] == list(by) and rows[0]["total"] == "5"
    assert set(rows[0]) == {"student", "total", "error", *res.columns, *res.manual} and rows[0]["q3.2:dL/dW1"] == "1"
    assert list(res.manual) == [f"q1:1.{k} why" for k in range(1, 6)] and rows[0]["q1:1.1 why"] == ""  # by hand
    data = json.loads(paths["json"].read_text())
    assert data["students"][0]["report"]["score"] == 5 and data["students"][2]["report"] is None
    assert paths["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # per part: points, mean fraction of its points, share with full credit (ada and eve got L, of the 4 read)
    parts = {r["part"]: r for r in csv.DictReader(open(paths["parts"]))}
    assert parts["q3.2:L"]["points"] == "1" and float(parts["q3.2:L"]["mean fraction"]) == pytest.approx(2 / 4, abs=1e-4)
    assert float(parts["q3.2:L"]["full credit"]) == pytest.approx(2 / 4, abs=1e-4)
    # one feedback file per student, what `gradekit check` says
    ada = (paths["feedback"] / "ada.md").read_text()
    # q3.2v's after_due_date part (1 point) is not in a file a TA may forward before the due date
    assert ada.startswith("# ece661-hw1: feedback for ada") and "**Total: 5 / 112**" in ada
    assert "Some parts (1 point) are graded later" in ada
    bob = (paths["feedback"] / "bob.md").read_text()
    assert "| `L` | wrong | 0 / 1 | Your value 115 is off by 1" in bob
    assert "could not be graded: " in (paths["feedback"] / "carl.md").read_text()
    assert "Reference:" not in "".join(f.read_text() for f in paths["feedback"].iterdir())  # no manual keys
    book = list(csv.reader(open(paths["gradebook"])))
    assert book[0] == ["student", "total", *res.manual] and book[1] == ["ada", "5", "", "", "", "", ""]


@pytest.mark.parametrize("fmt, header", [("gradescope", ["SID", "Total Score"])])
def test_gradebook_columns_a_course_imports(klass, tmp_path, fmt, header):
    res = grade_folder(klass, "ece661-hw1", BatchOptions(limits=FAST, progress=False, jobs=2))
    paths = write_outputs(res, tmp_path / "out", gradebook=fmt)
    book = list(csv.reader(open(paths["gradebook"])))
    assert book[0] == header and dict(book[1:])["ada"] == "5" and len(book) == 7
    canvas = list(csv.reader(open(write_outputs(res, tmp_path / "c", gradebook="canvas")["gradebook"])))
    assert canvas[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "ece661-hw1"]
    assert canvas[1] == ["    Points Possible", "", "", "", "", f"{res.max_score:g}"]
    assert {r[2]: r[5] for r in canvas[2:]}["ada"] == "5" and len(canvas) == 8


def test_diagnoses_are_counted(tmp_path):
    d = tmp_path / "subs"
    d.mkdir()
    m = CAT.mistakes(CAT.resolve("ece661-hw1/q3.2"))[0]
    for s in ("a", "b"):
        (d / f"{s}.json").write_text(json.dumps({"q3.2": {k: (v.tolist() if hasattr(v, "tolist") else v)
                                                         for k, v in m.answers.items()}}))
    res = grade_folder(d, "ece661-hw1", BatchOptions(progress=False, jobs=1))
    assert res.diagnoses() and res.diagnoses()[0][1:] == (m.id, 2)


def test_gradescope_export_layout_and_variants(tmp_path):
    d = tmp_path / "export"
    for sub, sid in (("submission_101", "1001"), ("submission_102", "1002")):
        (d / sub).mkdir(parents=True)
        (d / sub / "answers.json").write_text(json.dumps({"q3.2v": key("ece661-hw1/q3.2v", sid)}))
    (d / "submission_103").mkdir()  # nothing submitted
    (d / "submission_metadata.yml").write_text(
        "submission_101:\n  :submitters:\n  - :name: Ada Lovelace\n    :sid: '1001'\n    :email: ada@x.edu\n"
        "  :created_at: 2026-01-01 10:00:00.0 -0500\n  :score: 0.0\n"
        "submission_102:\n  :submitters:\n  - :name: Bob\n    :sid: '1002'\n"
        "submission_103:\n  :submitters:\n  - :name: Cy\n    :sid: ''\n")
    entries = discover(d)
    assert [e.student for e in entries] == ["1001", "1002", "submission_103"]  # no sid, no email: never the name
    assert entries[2].path is None and "no answers file" in entries[2].problem
    res = grade_folder(d, "ece661-hw1", BatchOptions(progress=False, jobs=2))
    by = {r["student"]: r for r in res.rows}
    # each student's own variant key scores full marks on q3.2v: the sid picked the variant
    assert by["1001"]["score"] == by["1002"]["score"] == 5 and by["submission_103"]["score"] == 0


def test_a_stuck_worker_does_not_stop_the_batch(klass, monkeypatch):
    real = batch.grade_entry

    def stuck(entry, *a, **kw):
        if entry.student == "bob":
            time.sleep(60)
        if entry.student == "eve":
            os._exit(3)  # the worker dies: its task never comes back
        return real(entry, *a, **kw)

    monkeypatch.setattr(batch, "grade_entry", stuck)  # forked workers inherit the patch
    for f in ("carl.py", "fay"):
        p = klass / f
        os.rename(p, klass.parent / f)
    start = time.monotonic()
    res = grade_folder(klass, "ece661-hw1", BatchOptions(progress=False, jobs=2, stall_seconds=2))
    assert time.monotonic() - start < 15
    by = {r["student"]: r for r in res.rows}
    # the rows beside them are graded exactly as `gradekit check` grades them, on replaced workers
    honest = {s: grade_entry(e, "ece661-hw1", load_catalog(), FAST) for e in discover(klass)
              for s in [e.student] if s in ("ada", "dan")}
    assert by["ada"]["score"] == honest["ada"]["score"] == 5 and by["dan"]["parts"] == honest["dan"]["parts"]
    assert by["bob"]["grader_error"] and by["bob"]["score"] is None and "made no progress for 2 s" in by["bob"]["error"]
    assert by["eve"]["grader_error"] and "died (exit code 3)" in by["eve"]["error"]


def test_cli_grade(klass, tmp_path):
    out = tmp_path / "grades"
    r = CliRunner().invoke(main, ["grade", str(klass), "-a", "ece661-hw1", "-o", str(out), "--time-limit", "1.5"])
    assert r.exit_code == 0, r.output
    assert "Parts most missed" in r.output and "carl" in r.output and "did not finish" in r.output
    assert {p.name for p in out.iterdir()} == {"grades.csv", "grades.json", "report.png", "parts.csv",
                                               "gradebook.csv", "feedback", "manual.csv",
                                               ".gradekit-cache"}  # the resume cache


def test_a_gradescope_folder_is_graded_as_one_submission_module_files_included(tmp_path):
    """The batch hands each student's folder to grading.grade, which decides what each file is:
    the answers file and the module file (task1.py) both count, as in the autograder."""
    from tests.module_task1 import CORRECT

    d = tmp_path / "export"
    (d / "submission_1").mkdir(parents=True)
    (d / "submission_1" / "answers.json").write_text(json.dumps({"p5": {"q": 0}}))
    (d / "submission_1" / "task1_3180100111.py").write_text(CORRECT)
    (d / "submission_2").mkdir()
    (d / "submission_2" / "a.json").write_text("{}")
    (d / "submission_2" / "b.json").write_text("{}")
    res = grade_folder(d, "ece449-a2", BatchOptions(progress=False, jobs=1))
    by = {r["student"]: r for r in res.rows}
    task1 = {k: v for k, v in by["submission_1"]["parts"].items() if k.startswith("task1:")}
    full = {f"task1:{part.name}": part.points for part in CAT.resolve("ece449-a2/task1").parts}
    assert task1 == full  # the module file was graded, every check passed
    assert by["submission_2"]["score"] == 0 and "2 answers files" in by["submission_2"]["error"]

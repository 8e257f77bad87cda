"""Canvas's and Blackboard's submission downloads, a roster, and the gradebooks they import (issue 36.2).

The file names are the LMSs' own conventions: Canvas ``lastnamefirstname[_LATE]_USERID_SUBMISSIONID_name``,
Blackboard ``ASSIGNMENT_USERNAME_attempt_YYYY-MM-DD-HH-MM-SS[_name]`` with a .txt receipt per attempt."""

import csv
import json

import pytest
from click.testing import CliRunner

from gradekit.cli.commands import main
from gradekit.core.plain import solution_dict
from gradekit.course.batch import discover
from gradekit.course.collect import ClassOptions
from gradekit.course.export import read_metadata
from gradekit.course.lms import AttemptChoice, Lms, detect_lms, parse_blackboard, parse_canvas
from gradekit.course.roster import MAX_ROSTER_BYTES, RosterError, parse_roster, read_roster
from gradekit.catalog.catalog import load_catalog

CAT = load_catalog()
A = "ece661-hw1"
pytestmark = pytest.mark.usefixtures("own_tempdir")


def right(pid="q3.2"):
    p = CAT.resolve(f"{A}/{pid}")
    return json.dumps({pid: solution_dict(p, CAT.solve(p))["answers"]})


ROSTER = ("ID,Name,E-mail,Section,Login,Canvas ID\n"
          "1001,Ada Lovelace,ada@x.edu,A,alove,12345\n"
          "1002,Charles Babbage,cb@x.edu,B,cbabb,\n"
          "1003,Grace Hopper,gh@x.edu,A,ghopp,777\n")


def run(*args):
    r = CliRunner().invoke(main, ["grade", *map(str, args)])
    return r.exit_code, r.stdout, r.stderr


def test_canvas_and_blackboard_names_are_read():
    f = parse_canvas("lovelaceada_LATE_12345_67890_task1-1.py")
    assert (f.student, f.slug, f.late, f.original) == ("12345", "lovelaceada", True, "task1-1.py")
    assert parse_canvas("lovelaceada_12345_67890_my_answers file.json").original == "my_answers file.json"
    assert parse_canvas("ada.json") is None and parse_blackboard("ada.json") is None
    b = parse_blackboard("Homework 2_jdoe_attempt_2026-12-01-23-59-59.txt")
    assert (b.student, b.receipt, b.attempt) == ("jdoe", True, "2026-12-01-23-59-59")
    assert parse_blackboard("HW_jdoe_attempt_2026-13-45-99-00-00_a.py") is None  # no such time
    assert detect_lms(["smithj_1_2_a.py", ".DS_Store"]) == Lms.CANVAS
    assert detect_lms(["smithj_1_2_a.py", "ada.py"]) is None  # one convention names every file, or none does
    kept_there = detect_lms(["smithj_1_2_a.py", "roster.csv"], aside=lambda n: n == "roster.csv")
    assert kept_there == Lms.CANVAS and detect_lms(["roster.csv"], aside=lambda n: True) is None


def test_a_canvas_download_with_a_roster(tmp_path):
    d = tmp_path / "canvas"
    d.mkdir()
    (d / "lovelaceada_12345_67890_answers.json").write_text(right())
    (d / "lovelaceada_12345_67890_notes.pdf").write_bytes(b"%PDF")
    (d / "babbagecharles_LATE_222_333_hw.zip").write_bytes(_zip({"answers.json": '{"q3.2": {"L": 115}}'}))
    (d / "turingalan_999_444_answers.json").write_text("{}")  # not on the roster
    roster = d / "roster.csv"  # kept in the download's folder: no submission, and said so
    roster.write_text(ROSTER)
    out = tmp_path / "grades"
    code, stdout, stderr = run(d, "-a", A, "-o", out, "--roster", roster, "--gradebook", "canvas",
                               "--lms-column", "HW 1 (4242)")
    assert code == 0, stdout + stderr
    rows = {s["student"]: s for s in json.loads((out / "grades.json").read_text())["students"]}
    assert sorted(rows) == ["1001", "1002", "1003", "999"]
    assert (rows["1001"]["name"], rows["1001"]["email"], rows["1001"]["section"]) == ("Ada Lovelace", "ada@x.edu", "A")
    assert rows["1001"]["score"] == 5 and rows["1001"]["skipped"][0]["file"] == "notes.pdf"
    assert rows["1002"]["name"] == "Charles Babbage" and rows["1002"]["late_mark"] is True  # matched by its slug
    assert rows["1003"]["error"] == f"no submission in {d}" and rows["1003"]["score"] == 0  # a row, never absent
    assert "not on the roster" in stderr and "999" in stderr and "read as a Canvas download" in stderr
    assert "so no student's and not graded: roster.csv" in stderr
    assert "  1001 (Ada Lovelace): notes.pdf: not graded" in stdout  # the roster names rows in the summary
    assert "  1003 (Grace Hopper): no submission in" in stdout
    book = list(csv.reader(open(out / "gradebook.csv", newline="")))
    assert book[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "HW 1 (4242)"]
    assert book[1][0] == "    Points Possible" and float(book[1][5]) > 5
    assert ["Lovelace, Ada", "12345", "1001", "alove", "A", "5"] in book
    assert ["Hopper, Grace", "777", "1003", "ghopp", "A", "0"] in book
    grades = list(csv.DictReader(open(out / "grades.csv", newline="")))
    assert {r["student"]: r["email"] for r in grades}["1001"] == "ada@x.edu"


def _zip(files):
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
    return buf.getvalue()


@pytest.fixture
def blackboard(tmp_path):
    d = tmp_path / "bb"
    d.mkdir()
    first, second = "2026-12-01-20-00-00", "2026-12-03-09-00-00"
    (d / f"HW 1_alove_attempt_{first}.txt").write_text("Name: Ada Lovelace (alove)\n")
    (d / f"HW 1_alove_attempt_{first}_answers.json").write_text('{"q3.2": {"L": 115}}')
    (d / f"HW 1_alove_attempt_{second}.txt").write_text("Name: Ada Lovelace (alove)\n")
    (d / f"HW 1_alove_attempt_{second}_answers.json").write_text(right())
    (d / f"HW 1_ghopp_attempt_{first}_answers.json").write_text(right())
    return d


def test_a_blackboard_download_grades_the_latest_attempt_and_lists_the_others(blackboard, tmp_path):
    out = tmp_path / "grades"
    code, stdout, stderr = run(blackboard, "-a", A, "-o", out, "--gradebook", "blackboard")
    assert code == 0, stdout + stderr
    rows = {s["student"]: s for s in json.loads((out / "grades.json").read_text())["students"]}
    assert rows["alove"]["score"] == 5 and rows["alove"]["submitted"] == "2026-12-03T09:00:00"
    assert sorted(s["file"] for s in rows["alove"]["skipped"]) == [
        "HW 1_alove_attempt_2026-12-01-20-00-00.txt", "HW 1_alove_attempt_2026-12-01-20-00-00_answers.json",
        "HW 1_alove_attempt_2026-12-03-09-00-00.txt"]
    why = {s["file"]: s["reason"] for s in rows["alove"]["skipped"]}
    assert why["HW 1_alove_attempt_2026-12-01-20-00-00_answers.json"] == \
        "attempt of 2026-12-01-20-00-00: the latest attempt (2026-12-03-09-00-00) is graded"
    book = list(csv.reader(open(out / "gradebook.csv", newline="")))
    max_score = json.loads((out / "grades.json").read_text())["max_score"]
    assert book[0] == ["Last Name", "First Name", "Username", "Student ID", f"{A} [Total Pts: {max_score:g} Score]"]
    assert ["", "", "alove", "alove", "5"] in book


def test_the_first_attempt_when_told(blackboard):
    entries = discover(blackboard, options=ClassOptions(attempts=AttemptChoice.FIRST))
    assert [(e.student, e.submitted) for e in entries] == [("alove", "2026-12-01T20:00:00"),
                                                           ("ghopp", "2026-12-01T20:00:00")]


def test_gradescope_metadata_gives_the_submission_time(tmp_path):
    (tmp_path / "submission_metadata.yml").write_text(
        "submission_1:\n  :submitters:\n  - :name: Ada\n    :sid: '1001'\n"
        "  :created_at: 2026-12-02 08:30:00.123456000 -0800\n")
    assert read_metadata(tmp_path)["submission_1"].submitted == "2026-12-02T08:30:00-08:00"


@pytest.mark.parametrize("text, says", [
    ("Name,E-mail\nAda,a@x\n", "row 1: no ID column"),
    ("ID,Name\n1,Ada\n1,Bob\n", "row 3, column ID: '1' is on row 2 too"),
    ("ID,Name\n,Ada\n", "row 2, column ID: empty"),
    ("", "empty; it needs a header row"),
])
def test_a_bad_roster_is_one_line_naming_the_row(text, says):
    with pytest.raises(RosterError, match=says):
        parse_roster(text, "roster.csv")


def test_roster_bounds(tmp_path):
    big = tmp_path / "big.csv"
    big.write_bytes(b"ID\n" + b"1\n" * (MAX_ROSTER_BYTES // 2 + 1))
    with pytest.raises(RosterError, match="larger than 8 MiB"):
        read_roster(big)
    long = tmp_path / "long.csv"
    long.write_text("ID,Name\n1," + "x" * 501 + "\n")
    with pytest.raises(RosterError, match="row 2, column 2: longer than 500 characters"):
        read_roster(long)
    (tmp_path / "latin.csv").write_bytes("ID,Name\n1,Jos\xe9\n".encode("latin-1"))
    with pytest.raises(RosterError, match="not UTF-8"):
        read_roster(tmp_path / "latin.csv")
    canvas_export = parse_roster("Student,ID,SIS User ID,SIS Login ID,Section\n\"Lovelace, Ada\",12345,1001,alove,A\n")
    assert canvas_export.match("12345").id == "1001"  # Canvas's own export as a roster: ID is its user id

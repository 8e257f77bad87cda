"""Per-part overrides and a late policy (issue 36.4): merged after hand grades, kept by reruns, shown in
feedback, grades.csv, grades.json and the gradebooks."""

import csv
import json
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner

from gradekit.cli.commands import main
from gradekit.core.plain import solution_dict
from gradekit.course.late import LatePolicy, LatePolicyError, days_late, parse_due, parse_policy
from gradekit.course.overrides import OverridesError, parse_overrides
from gradekit.catalog.catalog import load_catalog

CAT = load_catalog()
A = "ece661-hw1"
pytestmark = pytest.mark.usefixtures("own_tempdir")


def right(pid="q3.2"):
    p = CAT.resolve(f"{A}/{pid}")
    return json.dumps({pid: solution_dict(p, CAT.solve(p))["answers"]})


def run(*args):
    r = CliRunner().invoke(main, ["grade", *map(str, args)])
    return r.exit_code, r.stdout, r.stderr


@pytest.fixture
def klass(tmp_path):
    d = tmp_path / "subs"
    d.mkdir()
    (d / "ada.json").write_text(right())
    (d / "bob.json").write_text('{"q3.2": {"L": 115}}')
    return d


def test_an_override_changes_the_part_the_total_and_says_why_everywhere(klass, tmp_path):
    out = tmp_path / "grades"
    over = tmp_path / "regrades.csv"
    over.write_text("student,part,points,reason\nbob,q3.2:L,1,regrade: 115 rounds the same loss\n"
                    "ada,q1:1.1 why,0.5,explanation half right\n")
    code, stdout, stderr = run(klass, "-a", A, "-o", out, "--overrides", over)
    assert code == 0, stdout + stderr
    rows = {r["student"]: r for r in csv.DictReader(open(out / "grades.csv", newline=""))}
    assert rows["bob"]["q3.2:L"] == "1" and rows["bob"]["total"] == "1"  # was 0 of L's 1 point
    assert rows["bob"]["overrides"] == "q3.2:L 0 -> 1: regrade: 115 rounds the same loss"
    assert rows["ada"]["q1:1.1 why"] == "0.5" and rows["ada"]["total"] == "5.5"  # a part graded by hand
    data = {s["student"]: s for s in json.loads((out / "grades.json").read_text())["students"]}
    assert data["bob"]["overrides"] == [{"part": "q3.2:L", "points": 1, "was": 0,
                                         "reason": "regrade: 115 rounds the same loss"}]
    assert "changed to 1 (was 0): regrade: 115 rounds the same loss" in (out / "feedback" / "bob.md").read_text()
    assert "overrides: 2 parts of 2 students changed" in stdout
    assert (out / "overrides.csv").read_text() == over.read_text()  # kept for later runs
    # a rerun reuses every row (the cache) and, given no --overrides, applies the kept copy: nothing is lost
    code, stdout, stderr = run(klass, "-a", A, "-o", out)
    assert "0 graded, 2 unchanged" in stdout and "applied the overrides kept in" in stderr
    assert {r["student"]: r["total"] for r in csv.DictReader(open(out / "grades.csv", newline=""))} == \
        {"ada": "5.5", "bob": "1"}


@pytest.mark.parametrize("text, says", [
    ("student,part,points\n", "no reason column"),
    ("student,part,points,reason\nzed,q3.2:L,1,x\n", "row 2, column 'student': 'zed' is no student"),
    ("student,part,points,reason\nada,q3.2:LL,1,x\n", "'q3.2:LL' is no part of this assignment; did you mean 'q3.2:L'"),
    ("student,part,points,reason\nada,q3.2:L,2,x\n", "'2' is over the part's 1 point"),
    ("student,part,points,reason\nada,q3.2:L,1,\n", "column 'reason': empty"),
    ("student,part,points,reason\nada,q3.2:L,1,x\nada,q3.2:L,0,y\n", "row 3: 'ada' 'q3.2:L' is overridden on row 2"),
])
def test_a_bad_override_is_one_line_naming_the_row(text, says):
    with pytest.raises(OverridesError, match=says.replace("(", r"\(").replace(")", r"\)")):
        parse_overrides(text, {"q3.2:L": 1.0}, {"ada"})


def test_a_bad_overrides_file_stops_the_run_before_grading(klass, tmp_path):
    over = tmp_path / "o.csv"
    over.write_text("student,part,points,reason\nada,nope,1,x\n")
    code, stdout, stderr = run(klass, "-a", A, "-o", tmp_path / "g", "--overrides", over)
    assert code == 2 and "'nope' is no part of this assignment" in stderr and not (tmp_path / "g/grades.csv").exists()


def test_late_days_grace_cap_and_zones():
    policy = parse_policy("per-day=10%, cap=25%, grace=1h")
    due = datetime(2026, 12, 1, 23, 59)
    assert days_late(due + timedelta(minutes=59), due, policy) == 0  # within the grace
    assert days_late(due + timedelta(hours=2), due, policy) == 1
    assert days_late(due + timedelta(days=2, seconds=1), due, policy) == 3
    assert policy.fraction(3) == 0.25  # capped
    aware = parse_due("2026-12-01T23:59-08:00")
    # Gradescope's time, with its zone, against a due time in another zone: the same instant is on time
    assert days_late(datetime(2026, 12, 2, 7, 59, tzinfo=timezone.utc), aware, LatePolicy(0.1)) == 0
    # Blackboard's time (no zone) is read in the due time's zone
    assert days_late(datetime(2026, 12, 2, 7, 59), aware, LatePolicy(0.1)) == 1


@pytest.mark.parametrize("text, says", [("cap=10%", "per-day=N% is required"), ("per-day=10", "is a percentage"),
                                        ("per-day=10%,grace=15", "grace needs a unit"), ("late=1", "is not one of")])
def test_a_bad_policy_says_what_is_allowed(text, says):
    with pytest.raises(LatePolicyError, match=says):
        parse_policy(text)


def test_the_late_policy_from_blackboard_times_reaches_feedback_and_gradebooks(tmp_path):
    d = tmp_path / "bb"
    d.mkdir()
    (d / "HW 1_alove_attempt_2026-12-03-09-00-00_answers.json").write_text(right())  # 2 days late
    (d / "HW 1_ghopp_attempt_2026-12-01-23-30-00_answers.json").write_text(right())  # on time
    out = tmp_path / "grades"
    code, stdout, stderr = run(d, "-a", A, "-o", out, "--due", "2026-12-01T23:59", "--late-policy",
                               "per-day=10%,cap=50%,grace=15m", "--gradebook", "blackboard")
    assert code == 0, stdout + stderr
    data = {s["student"]: s for s in json.loads((out / "grades.json").read_text())["students"]}
    assert data["alove"]["score"] == 4 and data["alove"]["late"] == {
        "submitted": "2026-12-03T09:00:00", "days": 2, "fraction": 0.2, "penalty": 1}
    assert data["ghopp"]["score"] == 5 and data["ghopp"]["late"]["days"] == 0
    feedback = (out / "feedback" / "alove.md").read_text()
    assert ("Late: submitted 2026-12-03T09:00:00, 2 days after the due time: -1 points (20% of the 5 earned)."
            in feedback)
    assert "**Total: 4 / " in feedback
    assert {r[2]: r[4] for r in csv.reader(open(out / "gradebook.csv", newline=""))}["alove"] == "4"
    assert {r["student"]: r["late penalty"] for r in csv.DictReader(open(out / "grades.csv"))}["alove"] == \
        "2 days late: -1"
    assert "late: 1 submission penalised: alove -1" in stdout


def test_due_and_policy_go_together(klass, tmp_path):
    code, _, stderr = run(klass, "-a", A, "-o", tmp_path / "g", "--due", "2026-12-01T23:59")
    assert code == 2 and "--due and --late-policy go together" in stderr


@pytest.mark.parametrize("module", ["gradekit.intake.archive", "gradekit.course.lms", "gradekit.course.roster",
                                    "gradekit.course.late", "gradekit.course.overrides", "gradekit.course.lms_export",
                                    "gradekit.course.term"])
def test_the_term_modules_examples_run(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0


def test_the_late_policy_from_gradescope_metadata_with_its_zone(tmp_path):
    from gradekit.course.batch import BatchOptions, grade_folder
    from gradekit.course.late import apply_late_policy

    d = tmp_path / "export"
    for k in (1, 2):
        (d / f"submission_{k}").mkdir(parents=True)
        (d / f"submission_{k}" / "answers.json").write_text(right())
    (d / "submission_metadata.yml").write_text(
        "submission_1:\n  :submitters:\n  - :name: Ada\n    :sid: '1001'\n  :created_at: 2026-12-02 07:50:00 +0000\n"
        "submission_2:\n  :submitters:\n  - :name: Bob\n    :sid: '1002'\n  :created_at: 2026-12-02 08:30:00 +0000\n")
    res = grade_folder(d, A, BatchOptions(progress=False, jobs=1))
    apply_late_policy(res, parse_due("2026-12-01T23:59-08:00"), parse_policy("per-day=20%"))
    by = {r["student"]: r for r in res.rows}
    assert by["1001"]["late"]["days"] == 0 and by["1001"]["score"] == 5  # 23:50 in the due time's zone
    assert by["1002"]["late"] == {"submitted": "2026-12-02T08:30:00+00:00", "days": 1, "fraction": 0.2,
                                  "penalty": 1}
    assert by["1002"]["score"] == 4

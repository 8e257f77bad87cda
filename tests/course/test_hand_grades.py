"""Hand grades in and out, as a TA does it: grade a class, fill in OUT/manual.csv, grade again with
--manual, and find the scores in totals, feedback and gradebooks; results.json leaves them to Gradescope."""

import csv
import json

import pytest
from click.testing import CliRunner

from gradekit.cli.commands import main
from gradekit.core.plain import solution_dict
from gradekit.catalog.catalog import load_catalog

CAT = load_catalog()
A = "ece661-hw1"
WHY = [f"q1:1.{k} why" for k in range(1, 6)]  # q1's explanations: graded by hand, 1 point each


def key(pid):
    p = CAT.resolve(f"{A}/{pid}")
    return solution_dict(p, CAT.solve(p))["answers"]


@pytest.fixture
def klass(tmp_path):
    """Data files only (no code runs): ada answers q1 and q3.2 right, bob q3.2 only, carl's file is not JSON."""
    d = tmp_path / "subs"
    d.mkdir()
    (d / "ada.json").write_text(json.dumps({"q1": key("q1"), "q3.2": key("q3.2")}))
    (d / "bob.json").write_text(json.dumps({"q3.2": {"L": 115}}))
    (d / "carl.json").write_text("{not json")
    return d


def grade(*args):
    r = CliRunner().invoke(main, ["grade", *map(str, args)])
    return r.exit_code, r.stdout, r.stderr


def read_csv(path):
    return {r["student"]: r for r in csv.DictReader(open(path, newline=""))}


def test_a_ta_fills_in_manual_csv_and_the_scores_reach_totals_feedback_and_gradebooks(klass, tmp_path):
    out = tmp_path / "grades"
    code, output, err = grade(klass, "-a", A, "-o", out)
    assert code == 0, output + err
    # every run leaves the hand grades to fill in: a student column, one per part graded by hand, all blank
    rows = list(csv.reader(open(out / "manual.csv", newline="")))
    assert rows == [["student", *WHY], ["ada", *[""] * 5], ["bob", *[""] * 5], ["carl", *[""] * 5]]
    before = read_csv(out / "grades.csv")
    assert [before["ada"][c] for c in WHY] == [""] * 5 and before["ada"]["total"] == "10"  # q1's 5 + q3.2's 5
    assert json.loads((out / "grades.json").read_text())["students"][0]["manual"] == dict.fromkeys(WHY)

    # the TA fills in some cells, as a spreadsheet saves them (a byte-order mark, CRLF), and grades again
    with open(out / "manual.csv", "w", newline="", encoding="utf-8-sig") as f:
        w = csv.writer(f)
        w.writerow(["student", *WHY])
        w.writerow(["ada", "1", "0.5", "", "1", ""])
        w.writerow(["carl", "1", "", "", "", ""])  # a paper answer, though the file could not be read
    code, output, err = grade(klass, "-a", A, "-o", out, "--manual", out / "manual.csv")
    assert code == 0, output + err
    assert "merged hand grades of 2 students from" in output

    after = read_csv(out / "grades.csv")
    assert after["ada"]["total"] == "12.5" and [after["ada"][c] for c in WHY] == ["1", "0.5", "", "1", ""]
    assert after["bob"]["total"] == before["bob"]["total"] and after["carl"]["total"] == "1"
    book = read_csv(out / "gradebook.csv")
    assert book["ada"]["total"] == "12.5" and book["ada"]["q1:1.2 why"] == "0.5" and book["bob"]["q1:1.1 why"] == ""
    data = json.loads((out / "grades.json").read_text())
    ada = data["students"][0]
    assert ada["score"] == 12.5 and ada["manual"]["q1:1.2 why"] == 0.5 and ada["manual"]["q1:1.3 why"] is None
    assert ada["report"]["score"] == 12.5
    feedback = (out / "feedback" / "ada.md").read_text()
    assert "| `1.2 why` | manual | 0.5 / 1 | graded by hand |" in feedback
    assert "| `1.3 why` | manual | 0 / 1 |" in feedback and "**Total: 12.5 / 112**" in feedback
    assert "1 / 1, graded by hand" in (out / "feedback" / "carl.md").read_text()
    # manual.csv keeps what was merged (a rerun with it gives the same totals), and lists every student
    assert list(csv.reader(open(out / "manual.csv", newline="")))[1:] == [
        ["ada", "1", "0.5", "", "1", ""], ["bob", *[""] * 5], ["carl", "1", "", "", "", ""]]

    # Gradescope grades these parts as questions of their own: results.json leaves them out of its total
    results = tmp_path / "results.json"
    r = CliRunner().invoke(main, ["check", str(klass / "ada.json"), "-a", A, "--gradescope", str(results)])
    assert r.exit_code in (0, 1), r.output
    gs = json.loads(results.read_text())
    assert not any("why" in t["name"] for t in gs["tests"]) and gs["score"] == 10
    assert sum(t["max_score"] for t in gs["tests"]) == CAT.assignment(A).max_score - 5
    assert "Parts worth 5 points are graded by hand" in gs["output"]


def test_a_filled_in_manual_csv_is_never_overwritten_by_a_run_that_does_not_merge_it(klass, tmp_path):
    out = tmp_path / "grades"
    assert grade(klass, "-a", A, "-o", out)[0] == 0
    filled = "student,q1:1.1 why\nada,1\n"
    (out / "manual.csv").write_text(filled)
    code, output, err = grade(klass, "-a", A, "-o", out)
    assert code == 0 and (out / "manual.csv").read_text() == filled
    assert "it holds hand grades this run did not merge" in err
    assert read_csv(out / "grades.csv")["ada"]["total"] == "10"  # not merged: a run merges only --manual


# ids a spreadsheet would run, and ids that start with the quote that neutralises them
AWKWARD = ["'bob", "bob", "=cmd", "+x", "-1", "@a", "'=x", "=x", "''=x"]


def test_every_id_comes_back_from_manual_csv_as_it_was_written(tmp_path):
    """Before: the reader took a leading quote off whenever the rest was a known id, so 'bob's hand
    grades went to bob, and '=x (written as it is) and =x (written '=x) could not be told apart."""
    d = tmp_path / "subs"
    d.mkdir()
    for student in AWKWARD:
        (d / f"{student}.json").write_text(json.dumps({"q3.2": {"L": 115}}))
    out = tmp_path / "grades"
    assert grade(d, "-a", A, "-o", out)[0] == 0
    rows = list(csv.reader(open(out / "manual.csv", newline="")))
    assert not [r[0] for r in rows[1:] if r[0][:1] in ("=", "+", "-", "@")]  # still nothing a spreadsheet runs
    given = {}
    for k, row in enumerate(rows[1:]):  # a different score for each, as the TA types it beside the id written
        row[1] = str(k / 10)
        given[row[0]] = k / 10
    with open(out / "manual.csv", "w", newline="") as f:
        csv.writer(f).writerows(rows)
    code, output, err = grade(d, "-a", A, "-o", out, "--manual", out / "manual.csv")
    assert code == 0, output + err
    assert f"merged hand grades of {len(AWKWARD)} students" in output
    students = json.loads((out / "grades.json").read_text())["students"]
    got = {s["student"]: s["manual"]["q1:1.1 why"] for s in students}
    written = [r[0] for r in rows[1:]]
    assert sorted(got) == sorted(AWKWARD) and len(set(written)) == len(AWKWARD)
    assert got == {student: given[cell] for student, cell in zip(sorted(AWKWARD), written)}
    assert got["'bob"] != got["bob"]


def test_manual_csv_is_said_to_be_kept_only_when_it_holds_hand_grades_this_run_did_not_merge(klass, tmp_path):
    """Before: a second run merging the same hand.csv kept manual.csv (the first run's merge, written there) and
    said it held hand grades this run did not merge."""
    hand = tmp_path / "hand.csv"
    hand.write_text("student,q1:1.1 why\nada,1\n")
    out = tmp_path / "grades"
    for _ in range(2):
        code, output, err = grade(klass, "-a", A, "-o", out, "--manual", hand)
        assert code == 0 and "merged hand grades of 1 student" in output, output + err
        assert "did not merge" not in err, err
        assert read_csv(out / "manual.csv")["ada"]["q1:1.1 why"] == "1"  # what was merged, written back
    # a TA fills in bob in manual.csv, then merges hand.csv (ada only): bob's grade was not merged, and is kept
    rows = list(csv.reader(open(out / "manual.csv", newline="")))
    rows[2][1] = "0.5"
    assert rows[2][0] == "bob"
    with open(out / "manual.csv", "w", newline="") as f:
        csv.writer(f).writerows(rows)
    filled = (out / "manual.csv").read_text()
    code, output, err = grade(klass, "-a", A, "-o", out, "--manual", hand)
    assert code == 0 and f"kept {out / 'manual.csv'}: it holds hand grades this run did not merge" in err
    assert (out / "manual.csv").read_text() == filled


def test_lms_gradebooks_keep_their_own_columns(klass, tmp_path):
    hand = tmp_path / "hand.csv"
    hand.write_text("student,q1:1.1 why\nada,1\n")
    out = tmp_path / "grades"
    assert grade(klass, "-a", A, "-o", out, "--gradebook", "canvas", "--manual", hand)[0] == 0
    book = list(csv.reader(open(out / "gradebook.csv")))
    assert book[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", A]  # no hand-grade columns
    assert book[2] == ["", "", "ada", "", "", "11"]


@pytest.mark.parametrize("text, says", [
    ("student,q1:1.1 why\nada,1.5\n", "row 2, column 'q1:1.1 why': '1.5' is over the part's 1 point"),
    ("student,q1:1.1 why\nada,-1\n", "row 2, column 'q1:1.1 why': '-1' is negative"),
    ("student,q1:1.1 why\nada,good\n", "row 2, column 'q1:1.1 why': 'good' is not a number of points"),
    ("student,q1:1.1 why\nada,nan\n", "row 2, column 'q1:1.1 why': 'nan' is not a number of points"),
    ("student,q1:1.1 why\nada,1\nzed,1\n", "row 3, column 'student': no submission of 'zed' in"),
    ("student,q1:1.1 why\nada,1\nada,0\n", "row 3, column 'student': 'ada' has an earlier row too"),
    ("student,q1:1.1\nada,1\n", "row 1, column 'q1:1.1': not a part graded by hand"),
    ("student,total\nada,1\n", "row 1, column 'total': not a part graded by hand"),
    ("id,q1:1.1 why\nada,1\n", "row 1: no 'student' column"),
    ("student,q1:1.1 why\nada,1,1\n", "row 2: 3 cells, but the header has 2 columns"),
    ("", "empty; it needs a header row"),
])
def test_bad_hand_grades_exit_2_with_one_line_naming_row_and_column_before_grading(klass, tmp_path, text, says):
    hand = tmp_path / "hand.csv"
    hand.write_text(text)
    out = tmp_path / "grades"
    code, output, err = grade(klass, "-a", A, "-o", out, "--manual", hand)
    assert code == 2 and output == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"gradekit: error: {hand}: ") and says in lines[0], err
    assert not out.exists()  # nothing graded, nothing written


def test_unreadable_hand_grades_exit_2(klass, tmp_path):
    code, _, err = grade(klass, "-a", A, "-o", tmp_path / "g", "--manual", tmp_path / "nope.csv")
    assert code == 2 and "nope.csv: cannot be read" in err and len(err.strip().splitlines()) == 1
    latin = tmp_path / "latin.csv"
    latin.write_bytes("student,q1:1.1 why\nzoë,1\n".encode("latin-1"))
    code, _, err = grade(klass, "-a", A, "-o", tmp_path / "g", "--manual", latin)
    assert code == 2 and "not UTF-8 text" in err and len(err.strip().splitlines()) == 1


def test_the_autograder_leaves_hand_graded_parts_to_gradescope_unless_told_to_list_them(tmp_path):
    import gradekit

    from tests.course.test_autograder import fake_root, written

    answers = {"q1": key("q1"), "q3.2": key("q3.2")}
    root = fake_root(tmp_path / "a", {"answers.json": json.dumps(answers)})
    left_out = gradekit.autograde(A, root=root)
    assert written(root) == left_out and not any("why" in t["name"] for t in left_out["tests"])
    assert "Parts worth 5 points are graded by hand" in left_out["output"]
    root = fake_root(tmp_path / "n", {"answers.json": json.dumps(answers)})
    listed = gradekit.autograde(A, root=root, hand_graded="note")
    why = [t for t in written(root)["tests"] if "why" in t["name"]]
    assert len(why) == 5 and all(t["max_score"] == 0 == t["score"] and "status" not in t for t in why)
    assert listed["score"] == left_out["score"] == 10
    # a setting the autograder does not know is its own fault, never the student's
    root = fake_root(tmp_path / "x", {"answers.json": json.dumps(answers)})
    bad = gradekit.autograde(A, root=root, hand_graded="maybe")
    assert bad["score"] == 0 and "hand_graded 'maybe'" in bad["extra_data"]["grader_error"]


def test_a_bundle_built_to_list_hand_graded_parts_lists_them(tmp_path):
    from gradekit.course.autograder import CONFIG, run

    from tests.course.test_autograder import fake_root, written

    root = fake_root(tmp_path, {"answers.json": json.dumps({"q3.2": key("q3.2")})})
    (root / "source").mkdir()
    (root / "source" / CONFIG).write_text(json.dumps({"assignment": A, "time_limit": 10, "hand_graded": "note"}))
    run(root)
    assert sum("why" in t["name"] and t["max_score"] == 0 for t in written(root)["tests"]) == 5


def test_a_gradescope_exports_manual_csv_names_the_students_and_takes_their_sids(tmp_path):
    d = tmp_path / "export"
    (d / "submission_101").mkdir(parents=True)
    (d / "submission_101" / "answers.json").write_text(json.dumps({"q1": key("q1")}))
    (d / "submission_metadata.yml").write_text(
        "submission_101:\n  :submitters:\n  - :name: Ada Lovelace\n    :sid: '1001'\n    :email: ada@x.edu\n")
    out = tmp_path / "grades"
    assert grade(d, "-a", A, "-o", out)[0] == 0
    rows = list(csv.reader(open(out / "manual.csv", newline="")))
    assert rows == [["student", "name", *WHY], ["1001", "Ada Lovelace", *[""] * 5]]
    rows[1][2] = "1"  # the TA fills in a cell; the name column is for reading, and is not read back
    with open(out / "manual.csv", "w", newline="") as f:
        csv.writer(f).writerows(rows)
    assert grade(d, "-a", A, "-o", out, "--manual", out / "manual.csv")[0] == 0
    assert read_csv(out / "grades.csv")["1001"]["total"] == "6"

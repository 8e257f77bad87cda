"""What `gradekit grade` prints and leaves behind, as an instructor reruns it: figures over the submissions that
could be read, parts of answered problems only, no empty tables, and no feedback of students who left."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from gradekit.cli.commands import main
from gradekit.core.plain import solution_dict
from gradekit.catalog.catalog import load_catalog

CAT = load_catalog()
A = "ece661-hw1"


def key(pid):
    p = CAT.resolve(f"{A}/{pid}")
    return solution_dict(p, CAT.solve(p))["answers"]


def grade(folder, out, *more):
    r = CliRunner().invoke(main, ["grade", str(folder), "-a", A, "-o", str(out), *more])
    assert r.exit_code == 0, r.output
    return r.stdout, r.stderr


@pytest.fixture
def klass(tmp_path):
    """Data files only: ada 5/5 on q3.2, eve 1 (L), bob 0; carl's and dan's files cannot be read."""
    d = tmp_path / "subs"
    d.mkdir()
    (d / "ada.json").write_text(json.dumps({"q3.2": key("q3.2")}))
    (d / "bob.json").write_text(json.dumps({"q3.2": {"L": 115}}))
    (d / "eve.json").write_text(json.dumps({"q3.2": {"L": 116}}))
    (d / "carl.json").write_text("{not json")
    (d / "dan.toml").write_text("= broken")
    return d


def test_the_summary_counts_what_was_read_and_answered(klass, tmp_path):
    out, err = grade(klass, tmp_path / "grades")
    # the median of 0, 1, 5: the unreadable files are not zeros in it
    assert "3 submissions, median 1 / 113" in out
    assert "2 submissions could not be read (not in the median, histogram or part statistics):" in out
    assert "\n  carl: " in out and "\n  dan: " in out
    missed = out[out.index("Parts most missed"):]
    assert "q3.2:L" in missed and not any(f"{p}:" in missed for p in ("q1", "lab1", "q2.1", "q3.1"))
    data = json.loads((tmp_path / "grades" / "grades.json").read_text())
    assert {m["part"].split(":")[0] for m in data["most_missed"]} == {"q3.2"}
    by = {m["part"]: m["fraction"] for m in data["most_missed"]}
    assert by["q3.2:L"] == pytest.approx(1 / 3, abs=1e-4)  # bob's, of the 3 read
    if not data["diagnoses"]:  # a table with no row is not printed
        assert "Mistakes most often diagnosed" not in out


def test_a_class_nobody_could_read_prints_no_table_and_no_median(tmp_path):
    d = tmp_path / "subs"
    d.mkdir()
    (d / "carl.json").write_text("{not json")
    out, err = grade(d, tmp_path / "grades")
    assert "1 submission could not be read" in out and "submissions, median" not in out
    assert "Parts most missed" not in out and "Mistakes most often diagnosed" not in out
    assert "┏" not in out  # no table of any kind


def test_the_median_of_an_even_class_is_the_mean_of_its_two_middle_totals():
    """Before: totals[n // 2], the upper middle one: 18.5 for these eight, where the median is 13.75."""
    import io

    from rich.console import Console

    from gradekit.cli.summary import print_summary
    from gradekit.course.batch import BatchResult

    totals = [0, 6.5, 7, 9, 18.5, 20, 26, 28]
    rows = [{"student": f"s{k}", "score": t, "parts": {"q3.2:L": 1}, "error": None, "diagnoses": []}
            for k, t in enumerate(reversed(totals))]
    result = BatchResult(A, ["q3.2:L"], 113, maxima={"q3.2:L": 1}, rows=rows)
    screen = io.StringIO()
    print_summary(result, {}, Path("subs"), Console(file=screen, width=200))
    assert "8 submissions, median 13.75 / 113" in screen.getvalue()
    assert result.median == 13.75  # what --json gives too
    assert BatchResult(A, [], 113).median is None  # nobody read: no median, not 0


def test_the_json_summary_gives_the_same_median(klass, tmp_path):
    (klass / "fay.json").write_text(json.dumps({"q3.2": key("q3.2")}))  # totals 0, 1, 5, 5: the median is 3
    out, err = grade(klass, tmp_path / "grades", "--json")
    assert json.loads(out)["median"] == 3


def test_a_rerun_removes_feedback_of_students_no_longer_in_the_folder_and_nothing_else(klass, tmp_path):
    out_dir = tmp_path / "grades"
    grade(klass, out_dir)
    fb = out_dir / "feedback"
    assert {p.name for p in fb.iterdir()} == {"ada.md", "bob.md", "carl.md", "dan.md", "eve.md"}
    (fb / "notes.txt").write_text("to mail on Friday\n")  # the TA's own files
    (fb / "zed.md").write_text("# my notes on zed\n")
    (fb / "old").mkdir()
    (klass / "bob.json").unlink()
    out, err = grade(klass, out_dir)
    assert f"removed feedback of 1 student no longer in {klass}: bob" in out
    assert f"left 3 files in {fb} that gradekit did not write: notes.txt, old, zed.md" in out
    assert {p.name for p in fb.iterdir()} == {"ada.md", "carl.md", "dan.md", "eve.md", "notes.txt", "zed.md", "old"}
    assert (fb / "zed.md").read_text() == "# my notes on zed\n"
    # a third run has nothing more to remove, and says nothing of it
    out, err = grade(klass, out_dir)
    assert "removed feedback" not in out


def test_a_stopped_batch_keeps_the_feedback_of_students_it_did_not_reach(klass, tmp_path):
    """Ctrl-C writes the outputs of the rows done: the others are not graded yet, not gone from the folder."""
    from gradekit.course.batch import BatchOptions, grade_folder, write_outputs

    out_dir = tmp_path / "grades"
    grade(klass, out_dir)
    before = {p.name: p.read_bytes() for p in (out_dir / "feedback").iterdir()}
    result = grade_folder(klass, A, BatchOptions(jobs=1, progress=False, skip=out_dir))
    result.rows = [r for r in result.rows if r["student"] == "ada"]  # as BatchInterrupted's result holds them
    result.stopped = True
    write_outputs(result, out_dir)
    assert result.removed_feedback == []
    assert {p.name: p.read_bytes() for p in (out_dir / "feedback").iterdir()}.keys() == before.keys()


@pytest.mark.parametrize("where, says", [
    ("file", "exists and is not a folder"),
    ("file/x", "cannot be made the output folder (Not a directory)"),
    ("out/feedback", "exists and is not a folder"),
])
def test_an_output_folder_that_cannot_be_one_exits_2_with_one_line_before_grading(klass, tmp_path, where, says):
    (tmp_path / "file").write_text("x")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "feedback").write_text("x")
    out = tmp_path / where.split("/")[0] if where == "out/feedback" else tmp_path / where
    r = CliRunner().invoke(main, ["grade", str(klass), "-a", A, "-o", str(out)])
    lines = r.stderr.strip().splitlines()
    assert r.exit_code == 2 and len(lines) == 1 and says in lines[0] and "grading" not in r.stdout, r.output

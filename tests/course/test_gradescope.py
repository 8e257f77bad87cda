"""Gradescope results.json: the spec's shape (a JSON Schema), per-part visibility, no leaks."""

import json
import re
import shutil
import tempfile
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from gradekit.catalog.catalog import load_catalog
from gradekit.cli.commands import main
from gradekit.core.errors import SpecError
from gradekit.output.gradescope import failed_results, results
from gradekit.grading.answers import grade_answers
from gradekit.core.plain import solution_dict

from tests.helpers import PROBLEMS
from tests.schema_lite import errors

SCHEMA = json.loads((Path(__file__).parents[1] / "gradescope_schema.json").read_text())


def full_answers(catalog, assignment="ece661-hw1"):
    return {p.qualified_id: solution_dict(p, catalog.solve(p))["answers"] for p in catalog.problems(assignment)}


@pytest.fixture(scope="module")
def answers_catalog(tmp_path_factory):
    """The catalog without ece661-hw1's code problem (lab2a takes SimpleNN.py, not an answers file)."""
    root = tmp_path_factory.mktemp("answers-only")
    shutil.copytree(PROBLEMS, root, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
    lab = root / "ece661-hw1" / "lab2a.toml"
    points = sum(p["points"] for p in tomllib.loads(lab.read_text())["parts"])
    lab.unlink()
    meta = root / "ece661-hw1" / "assignment.toml"
    total = tomllib.loads(meta.read_text())["points"]
    meta.write_text(meta.read_text().replace(f"points = {total}\n", f"points = {total - points}\n", 1))
    return load_catalog(root)


@pytest.fixture(scope="module")
def hidden_catalog(tmp_path_factory):
    """The catalog with q3.2's L hidden and ece661-hw1's default visibility after_published."""
    root = tmp_path_factory.mktemp("problems")
    shutil.copytree(PROBLEMS, root, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
    spec = root / "ece661-hw1" / "q3.2.toml"
    spec.write_text(spec.read_text().replace('name = "L"\n', 'name = "L"\nvisibility = "hidden"\n', 1))
    meta = root / "ece661-hw1" / "assignment.toml"
    meta.write_text(meta.read_text() + 'visibility = "after_published"\n')
    return load_catalog(root)


def test_schema_validator_catches_what_the_spec_forbids():
    assert errors({"score": 1, "tests": [{"status": "ok"}]}, SCHEMA) == ["$.tests[0].status: 'ok' is not one of ['passed', 'failed']"]
    assert errors({"output": "x"}, SCHEMA) == ["$: matches none of anyOf"]
    assert errors({"score": "1"}, SCHEMA) and errors({"score": 1, "visibility": "public"}, SCHEMA)


def test_full_marks_results_follow_the_spec(answers_catalog):
    cat = answers_catalog
    rep = grade_answers(full_answers(cat), assignment="ece661-hw1", catalog=cat)
    data = results(rep, cat, execution_time=1.4)
    assert errors(data, SCHEMA) == []
    assert data["score"] == rep.score == rep.max_score - rep.by_hand and data["execution_time"] == 1.4
    # q1's five "why" parts are graded by hand, as Gradescope questions: out of the tests and the total
    assert rep.by_hand == 5 and "Parts worth 5 points are graded by hand" in data["output"]
    shown = sum(t["max_score"] for t in data["tests"] if t["visibility"] == "visible")
    assert f"Total: {shown:g} / {shown:g}\n" in data["output"] and shown == data["score"] - 1  # q3.2v: after due
    graded = [t for t in data["tests"] if "status" in t]
    assert graded and all(t["status"] == "passed" and t["score"] == t["max_score"] for t in graded)
    assert sum(t["score"] for t in data["tests"]) == data["score"]
    assert {t["output_format"] for t in data["tests"]} == {"md"}
    numbers = [t["number"] for t in data["tests"]]
    assert len(set(numbers)) == len(numbers) and all(re.fullmatch(r"\d+\.\d+", n) for n in numbers)
    assert all("status" in t for t in data["tests"]) and not any("why" in t["name"] for t in data["tests"])
    assert sum(t["max_score"] for t in data["tests"]) == rep.max_score - rep.by_hand
    # kept as 0-point tests when a course asks: no status, no points, never their reference answer
    kept = results(rep, cat, hand_graded="note")
    assert errors(kept, SCHEMA) == [] and kept["score"] == data["score"]
    manual = [t for t in kept["tests"] if "status" not in t]
    assert len(manual) == 5 and all(t["max_score"] == 0 == t["score"] for t in manual)
    assert all("Reference" not in t["output"] and "graded by hand" in t["output"] for t in manual)
    # the per-part default visibility and q3.2v's after_due_date part
    vis = {t["name"]: t["visibility"] for t in data["tests"]}
    assert vis["q3.2: L"] == "visible" and vis["q3.2v: dL/db1"] == "after_due_date"


def test_wrong_visible_part_says_why():
    cat = load_catalog()
    data = results(grade_answers({"q3.2": {"L": 115}}, catalog=cat), cat)
    t = next(t for t in data["tests"] if t["name"] == "q3.2: L")
    assert t["status"] == "failed" and t["score"] == 0 and "off by 1" in t["output"]
    assert errors(data, SCHEMA) == []


def test_hidden_part_never_shows_its_expected_value(hidden_catalog):
    cat = hidden_catalog
    answers = {"q3.2": {"L": 115, "dL/dW1": [[0, 0, 0], [34, 34, -34]], "dL/db2": [1, 1]}}
    rep = grade_answers(answers, assignment="ece661-hw1", catalog=cat)
    data = results(rep, cat)
    assert errors(data, SCHEMA) == []
    by_name = {t["name"]: t for t in data["tests"]}
    hidden = by_name["q3.2: L"]
    # declared hidden, written after_published: a hidden test's points would show in Gradescope's total
    assert hidden["visibility"] == "after_published" and hidden["status"] == "failed"
    # checker feedback ("115 is off by 1") would give the value away
    assert "off by" not in hidden["output"] and "115" not in hidden["output"] and "116" not in hidden["output"]
    assert "116" not in data["output"] and "off by" not in data["output"]  # the top-level output is always shown
    # the assignment default applies to parts without their own, and hides their feedback too
    b2 = by_name["q3.2: dL/db2"]
    assert b2["visibility"] == "after_published" and data["visibility"] == "after_published"
    expected_b2 = cat.solve(cat.resolve("ece661-hw1/q3.2")).answers["dL/db2"]
    assert "off by" not in b2["output"] and all(f"{v:g}" not in b2["output"] for v in expected_b2)


def test_bad_visibility_is_a_spec_error(tmp_path):
    shutil.copytree(PROBLEMS / "ece661-hw1", tmp_path / "ece661-hw1")
    spec = tmp_path / "ece661-hw1" / "q3.2.toml"
    spec.write_text(spec.read_text().replace('name = "L"\n', 'name = "L"\nvisibility = "secret"\n', 1))
    with pytest.raises(SpecError, match=r"q3.2.toml: parts\[0\].visibility is 'secret', but only visible"):
        load_catalog(tmp_path).assignment("ece661-hw1")  # a broken assignment raises when asked for


def test_write_gradescope_and_cli(tmp_path):
    cat = load_catalog()
    sub = tmp_path / "answers.json"
    sub.write_text(json.dumps({"assignment": "ece661-hw1", "q3.2": {"L": 116}}))
    out = tmp_path / "results" / "results.json"
    r = CliRunner().invoke(main, ["check", str(sub), "--gradescope", str(out)])
    assert r.exit_code == 1, r.output
    data = json.loads(out.read_text())
    assert errors(data, SCHEMA) == [] and data["score"] == 1 and "execution_time" in data
    grade_answers({"q3.2": {"L": 116}}, catalog=cat).write_gradescope(tmp_path / "api.json", catalog=cat)
    assert json.loads((tmp_path / "api.json").read_text())["score"] == 1


def test_unreadable_submission_still_gets_results(tmp_path, monkeypatch):
    # the sandbox's work directory goes here, not where test_sandbox counts gradekit-run-* directories
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    sub = tmp_path / "answers.py"
    sub.write_text("ANSWERS = {'q3.2': {'L': 1/0}}\n")
    out = tmp_path / "results.json"
    r = CliRunner().invoke(main, ["check", str(sub), "-a", "ece661-hw1", "--gradescope", str(out)])
    assert r.exit_code == 2
    data = json.loads(out.read_text())
    assert errors(data, SCHEMA) == [] and data["score"] == 0 and "ZeroDivisionError" in data["output"]
    assert data["tests"] and all(t.get("status", "failed") == "failed" for t in data["tests"])
    bare = failed_results("no file", None)
    assert errors(bare, SCHEMA) == [] and bare["tests"] == []


FORGED = "x\n# Total: 99 / 99\n> all done\n- [full marks](http://x)\n* | `ok` |\n+ 1. two\r\n## again"


def student_lines(output):
    """The lines of a top-level output a student's text began: gradekit's own start 'Total', 'Parts', '- note'."""
    ours = ("Total: ", "Parts worth ", "- note: ", "Graded as student ", "Your submission could not be graded: ",
            "The autograder failed, not your submission")
    return [line for line in output.splitlines() if line and not line.startswith(ours)]


def test_student_text_in_the_top_level_output_is_plain_text_on_its_line():
    """Before: a note or message with a newline put '# Total: 99 / 99' on a line of its own, a Markdown heading."""
    cat = load_catalog()
    rep = grade_answers({"q3.2": {"L": 116}}, catalog=cat)
    rep.notes.append(f"not graded: unknown problem {FORGED!r}")  # as answers.py quotes a key: repr
    rep.notes.append(f"not graded: unknown problem {FORGED}")  # and as a note that did not
    data = results(rep, cat, message=f"Graded as student {FORGED}.")
    failed = failed_results(f"answers.py raised ValueError: {FORGED}", None)
    listed = failed_results(FORGED, rep, cat, grader_fault=True)
    for out, totals in ((data["output"], 1), (failed["output"], 0), (listed["output"], 1)):
        assert student_lines(out) == [], out
        assert not [line for line in out.splitlines() if line.startswith(("#", ">", "*", "+", "|", "`", "["))]
        assert sum(line.startswith("Total: ") for line in out.splitlines()) == totals  # gradekit's own, once
    assert "\\# Total: 99 / 99" in data["output"] and "\\[full marks\\](http://x)" in data["output"]
    assert errors(data, SCHEMA) == [] and errors(failed, SCHEMA) == []

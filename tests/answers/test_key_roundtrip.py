"""A key as `gradekit solve -a ASSIGNMENT --json` prints it is an answers file: fed back to `check` as it is,
it is accepted and earns every point that is not a person's to give (docs/answers.md says so)."""

import json

import pytest
from click.testing import CliRunner

from gradekit.cli.commands import main


def _run(*args):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


@pytest.mark.parametrize("assignment, student", [("ece661-hw1", None), ("coms573-hw5", None),
                                                 ("ece661-hw1", "ada")])
def test_whole_key_grades_to_full_marks(tmp_path, assignment, student):
    code, out = _run("solve", "-a", assignment, "--json", *(["--student", student] if student else []))
    assert code == 0
    key = tmp_path / "key.json"
    key.write_text(out)
    code, out = _run("check", str(key), "--json")
    report = json.loads(out)
    assert code == 0, out
    assert report["score"] == report["max_score"] - report["by_hand"] > 0
    assert report["student"] == student
    assert all(p["verdict"] in ("correct", "manual") for prob in report["problems"] for p in prob["parts"])


def test_code_problems_of_a_key_are_named_not_zeroed(tmp_path):
    """ece661-hw1's lab2a is a notebook's code: the key describes its reference and cannot answer it."""
    code, out = _run("solve", "-a", "ece661-hw1", "--json")
    key = tmp_path / "key.json"
    key.write_text(out)
    report = json.loads(_run("check", str(key), "--json")[1])
    assert "ece661-hw1/lab2a" not in [p["id"] for p in report["problems"]]
    assert any("not graded from a key: lab2a" in n for n in report["notes"])


def test_one_problem_key_still_graded_as_before(tmp_path):
    code, out = _run("solve", "ece661-hw1/q3.2", "--json")
    key = tmp_path / "q.json"
    key.write_text(out)
    code, out = _run("check", str(key), "--json")
    report = json.loads(out)
    q32 = next(p for p in report["problems"] if p["id"] == "ece661-hw1/q3.2")
    assert q32["score"] == q32["max_score"] == 5


def test_a_plain_answers_file_with_a_problems_key_is_not_a_key(tmp_path):
    """Only the key's own shape is taken as a key: extra top-level keys keep the plain layout's message."""
    f = tmp_path / "a.json"
    f.write_text(json.dumps({"problems": [], "q3.2": {"L": 116}}))
    code, out = _run("check", str(f))
    assert code == 2

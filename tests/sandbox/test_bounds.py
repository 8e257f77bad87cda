"""Untrusted answers files are read with bounded work, and totals are one assignment's."""

from __future__ import annotations

import json

import pytest

from gradekit.intake import submission
from gradekit.catalog.catalog import load_catalog
from gradekit.core.errors import SubmissionError
from gradekit.grading.answers import MAX_HINTED_KEYS, grade_answers
from gradekit.grading.grade import grade
from gradekit.intake.submission import MAX_LITERAL_PY_BYTES, MAX_TABLES, MAX_TOML_BYTES, load_answers

CAT = load_catalog()
HW1_POINTS = sum(p.max_score for p in CAT.problems("ece661-hw1"))


def test_the_catalog_totals_the_issue_measured():
    # 108 graded automatically, as the issue measured, and q1's five "why" parts (1 point each) by hand
    assert HW1_POINTS == 113 == CAT.assignment("ece661-hw1").declared_points
    assert sum(part.points for p in CAT.problems("ece661-hw1") for part in p.parts if part.kind != "manual") == 108


def test_a_junk_file_of_many_tables_is_refused_before_it_is_parsed(tmp_path, monkeypatch):
    path = tmp_path / "junk.json"
    path.write_text(json.dumps({f"q{i}": {"L": 1} for i in range(MAX_TABLES + 1)}))
    monkeypatch.setattr(submission.json, "loads", lambda *a, **k: pytest.fail("parsed"))
    with pytest.raises(SubmissionError, match=f"has {MAX_TABLES + 2} JSON objects; an answers file has at most"):
        load_answers(path)


def test_unknown_keys_get_a_did_you_mean_up_to_a_cap_and_the_rest_are_counted():
    answers = {f"q3.{i}x": {"L": 1} for i in range(1500)} | {"q3.2": {"L": 116}, "q3.22": {"L": 1}}
    report = grade_answers(answers, assignment="ece661-hw1")
    hinted = [n for n in report.notes if n.startswith("not graded: unknown problem")]
    assert len(hinted) == MAX_HINTED_KEYS and "did you mean 'q3.1', 'q3.2'" in hinted[0]
    assert report.notes[-1] == f"not graded: {1501 - MAX_HINTED_KEYS} more unknown problem keys"
    assert report.max_score == HW1_POINTS and report.score == 1  # L = 116 is right, nothing else counted


def test_a_huge_key_is_quoted_short():
    report = grade_answers({"x" * 10**6: {"L": 1}, "q3.2": {"L": 116}}, assignment="ece661-hw1")
    assert max(len(n) for n in report.notes) < 200


def test_a_large_toml_file_is_refused(tmp_path):
    path = tmp_path / "answers.toml"
    path.write_text('["q3.2"]\nL = 116\n' + "# padding\n" * (MAX_TOML_BYTES // 10 + 1))
    with pytest.raises(SubmissionError, match="TOML answers files are at most 2 MiB"):
        load_answers(path)


def test_a_large_literal_py_is_parsed_in_the_sandbox_not_in_the_grader(tmp_path, monkeypatch):
    path = tmp_path / "answers.py"
    path.write_text("ANSWERS = {'q3.2': {'L': 116, 'dL/db2': [14, 6]}}\n" + "#" * MAX_LITERAL_PY_BYTES + "\n")
    monkeypatch.setattr(submission, "_Literals", lambda *a: pytest.fail("parsed in the grader"))
    assert load_answers(path).answers == {"q3.2": {"L": 116, "dL/db2": [14, 6]}}


def test_another_assignments_key_is_reported_and_never_added_to_the_total(tmp_path):
    path = tmp_path / "answers.json"
    path.write_text(json.dumps({"assignment": "ece661-hw1", "q3.2": {"L": 116}, "task1": {"relu": "x"}}))
    report = grade(path)
    assert report.max_score == HW1_POINTS and report.score == 1
    assert any("'task1' belongs to ece449-a2, not ece661-hw1 (did you mean -a ece449-a2?)" in n for n in report.notes)


def test_keys_spanning_assignments_without_one_named_are_an_error_that_names_them(tmp_path):
    path = tmp_path / "answers.json"
    path.write_text(json.dumps({"q3.2": {"L": 116}, "task1": {"relu": "x"}}))
    with pytest.raises(SubmissionError, match=r"answers problems of 2 assignments: ece449-a2 \(task1\); "
                                              r"ece661-hw1 \(q3.2\); grade one at a time with --assignment"):
        grade(path)
    assert grade(path, assignment="ece661-hw1").max_score == HW1_POINTS


def test_a_qualified_key_of_an_unknown_assignment_is_a_note_not_a_failure():
    report = grade_answers({"nope-hw/q1": {"a": 1}, "q3.2": {"L": 116}}, assignment="ece661-hw1")
    assert report.score == 1 and any("unknown problem 'nope-hw/q1'" in n for n in report.notes)

"""Grading answers files end to end: round trips, diagnoses, unknown keys, bad input."""

import json

from gradekit.catalog.variants import has_generators

import numpy as np
import pytest

from gradekit.catalog.catalog import load_catalog
from gradekit.core.errors import SubmissionError, UnknownAssignmentError
from gradekit.grading.grade import grade
from gradekit.grading.answers import grade_answers
from gradekit.core.plain import solution_dict

CATALOG = load_catalog()
# code problems (kind "function") take a module file, not answers: tests/code/test_module_*.py
IDS = [p.qualified_id for p in CATALOG.problems() if all(part.kind != "function" for part in p.parts)]


def result_of(report, pid):
    return next(p for p in report.problems if p.id == pid)


@pytest.mark.parametrize("qid", IDS)
def test_solve_json_round_trip_scores_full_marks(tmp_path, qid):
    """`solve --json` output fed back unchanged as a .json answers file gets full marks."""
    problem = CATALOG.resolve(qid)
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(solution_dict(problem, CATALOG.solve(problem))))
    report = grade(path)
    result = next(p for p in report.problems if f"{p.assignment}/{p.id}" == qid)
    bad = [(p.name, p.verdict, p.feedback) for p in result.parts if p.verdict not in {"correct", "manual"}]
    by_hand = sum(p.max_score for p in result.parts if p.verdict == "manual")
    assert not bad and result.score == result.max_score - by_hand
    # the default variant's key, graded for no student: the one note says so (and nothing else is noted)
    varied = bool(has_generators(problem.params))
    assert [n for n in report.notes if "draws numbers per student" not in n] == [] and len(report.notes) == varied


def test_missing_problems_and_parts_score_zero():
    report = grade_answers({"q3.2": {"L": 116}})
    assert {p.assignment for p in report.problems} == {"ece661-hw1"}
    q32 = next(p for p in report.problems if p.id == "q3.2")
    verdicts = {p.name: p.verdict for p in q32.parts}
    assert verdicts["L"] == "correct" and verdicts["dL/dW1"] == "missing"
    assert report.score == q32.parts[0].score and not report.full_marks


def test_unknown_keys_become_notes_and_the_rest_is_graded():
    report = grade_answers({"q3.2": {"L": 116, "dL/dw1x": [[0, 0, 0], [34, 34, -34]]}, "q3.9": {"x": 1}})
    text = " | ".join(report.notes)
    assert "unknown part 'dL/dw1x'; did you mean" in text and "'dL/dW1'" in text
    assert "unknown problem 'q3.9'" in text
    assert result_of(report, "q3.2").parts[0].verdict == "correct"


def test_part_keys_ignore_case_and_spaces():
    report = grade_answers({"q3.2": {" l ": 116, "DL/DW2": [[0, 98], [0, 42]]}})
    verdicts = {p.name: p.verdict for p in result_of(report, 'q3.2').parts if p.verdict != "missing"}
    assert verdicts == {"L": "correct", "dL/dW2": "correct"}


def test_ambiguous_bare_id_resolves_within_the_inferred_assignment():
    report = grade_answers({"q1": {"1.1": False}, "q3.2": {"L": 116}})
    assert {p.assignment for p in report.problems} == {"ece661-hw1"}
    q1 = next(p for p in report.problems if p.id == "q1")
    assert q1.parts[0].verdict == "correct"


def test_malformed_value_fails_only_that_part():
    report = grade_answers({"q3.2": {"L": "one hundred", "dL/dW1": [[0, 0, 0], [34, 34]], "dL/db2": [14, 6]}})
    verdicts = {p.name: p.verdict for p in result_of(report, 'q3.2').parts}
    assert verdicts["L"] == "invalid" and verdicts["dL/dW1"] == "invalid" and verdicts["dL/db2"] == "correct"


def test_typical_mistakes_on_q32():
    right = CATALOG.solve(CATALOG.resolve("q3.2")).answers
    report = grade_answers(
        {
            "q3.2": {
                "L": 232,  # ½ dropped
                "dL/dW1": np.asarray(right["dL/dW1"]).T.tolist(),
                "dL/dW2": (-np.asarray(right["dL/dW2"])).tolist(),
                "dL/db2": [14, 6],
            }
        }
    )
    diag = {p.name: p.diagnosis for p in result_of(report, 'q3.2').parts}
    assert diag["L"] == "half_dropped" and diag["dL/dW1"] == "transposed" and diag["dL/dW2"] == "sign_flipped"


def test_bad_assignment_and_empty_submission():
    with pytest.raises(UnknownAssignmentError):
        grade_answers({"q3.2": {"L": 116}}, assignment="nope")
    with pytest.raises(SubmissionError, match="answers no problem"):
        grade_answers({"zzz": {"a": 1}})


def test_p5_rounded_answers_from_the_seed_are_right():
    report = grade_answers(
        {"p5": {"q": ["0.8808", "0.1192"], "W_new": [["0.98838", "-0.01162"], ["0.01162", "-0.98838"]], "B_new": ["-0.01162", "0.01162"]}}
    )
    p5 = next(p for p in report.problems if p.id == "p5")
    given = {p.name: p.verdict for p in p5.parts if p.verdict != "missing"}
    assert set(given.values()) == {"correct"} and {"q", "W_new", "B_new"} <= set(given)


def test_a_missing_answers_binding_is_a_typed_error_and_a_manual_key_is_not_feedback(tmp_path):
    """NoAnswersError, not message text; a manual part's reference is its own field, for graders only."""
    from gradekit.core.errors import NoAnswersError
    from gradekit.grading.answers import grade_answers

    path = tmp_path / "notes.py"
    path.write_text("x = 1\n")
    with pytest.raises(NoAnswersError, match="no ANSWERS"):
        grade(path)
    computing = tmp_path / "compute.py"
    computing.write_text("import math\nx = math.pi\n")
    with pytest.raises(NoAnswersError):
        grade(computing)
    report = grade_answers({"coms573-hw5/q1": {"params": 1}})
    q2c = next(p for p in report.problems if p.id == "q2c").parts[0]
    assert q2c.verdict == "manual" and q2c.reference and "Reference" not in q2c.feedback
    assert q2c.to_dict()["reference"] == q2c.reference

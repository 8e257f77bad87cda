"""How an answers file's keys name the catalog's problems (grading.answers._resolve), pinned note for note.

Each branch of the resolution is here with the exact notes it writes, so the function can be reshaped
without a word of what a student reads changing: a key's assignment filter, a bare id shared by
several assignments (settled by the others' assignment, or refused), one problem answered under its
bare and its qualified id (merged), and the did-you-mean of an unknown key (from the assignment being
graded, else the catalog).
"""

from __future__ import annotations

import pytest

from gradekit.core.errors import SubmissionError
from gradekit.grading.answers import _resolve, grade_answers
from gradekit.catalog.catalog import load_catalog

CAT = load_catalog()
Q1S = "coms573-hw5/q1, cs37300-hw4/q1, ece661-hw1/q1"  # the bare id q1 is in three assignments


def _resolved(answers, assignment=None):
    found, notes = _resolve(CAT, answers, assignment)
    return {qid: dict(value) for qid, (problem, value) in found.items()}, notes


def test_a_bare_and_a_qualified_key_of_one_problem_are_merged_part_by_part():
    found, notes = _resolved({"q3.2": {"L": 116}, "ece661-hw1/q3.2": {"dL/db2": [14, 6], "L": 1}})
    assert found == {"ece661-hw1/q3.2": {"L": 1, "dL/db2": [14, 6]}} and notes == []  # the later key wins a part


def test_a_bare_id_of_several_assignments_is_settled_by_the_other_keys_assignment():
    found, notes = _resolved({"q1": {"1.1": False}, "q3.2": {"L": 116}})
    assert sorted(found) == ["ece661-hw1/q1", "ece661-hw1/q3.2"] and notes == []


def test_a_bare_id_of_several_assignments_alone_is_refused_naming_each():
    assert _resolved({"q1": {"1.1": False}}) == ({}, [f"not graded: problem id 'q1' is ambiguous; use one of {Q1S}"])


def test_ambiguous_ids_are_settled_only_by_keys_that_name_one_problem():
    # q1 and q2.1 are each in two or more assignments: neither settles the other
    found, notes = _resolved({"q1": {}, "q2.1": {}})
    assert found == {} and notes == [
        f"not graded: problem id 'q1' is ambiguous; use one of {Q1S}",
        "not graded: problem id 'q2.1' is ambiguous; use one of cs37300-hw4/q2.1, ece661-hw1/q2.1",
    ]


def test_the_assignment_given_picks_a_shared_bare_id_and_turns_away_another_assignments_key():
    found, notes = _resolved({"q1": {"1.1": False}, "ece449-a2/task1": {}, "task1": {}, 7: {}}, "ece661-hw1")
    assert sorted(found) == ["ece661-hw1/q1"]
    assert notes == [
        "not graded: problem 'ece449-a2/task1' belongs to ece449-a2, not ece661-hw1 (did you mean -a ece449-a2?)",
        "not graded: problem 'task1' belongs to ece449-a2, not ece661-hw1 (did you mean -a ece449-a2?)",
        "not graded: unknown problem '7' in ece661-hw1",
    ]


def test_notes_come_in_order_other_assignment_then_ambiguous_then_unknown():
    found, notes = _resolved({"q3": {}, "q1": {}, "task1": {}, "lab1": {}}, "coms573-hw5")
    assert found == {"coms573-hw5/q1": {}}
    assert notes == [
        "not graded: problem 'task1' belongs to ece449-a2, not coms573-hw5 (did you mean -a ece449-a2?)",
        "not graded: problem 'lab1' belongs to ece661-hw1, not coms573-hw5 (did you mean -a ece661-hw1?)",
        "not graded: unknown problem 'q3' in coms573-hw5; did you mean 'q3a', 'q3b', 'q3c'?",
    ]


def test_an_unknown_keys_hint_comes_from_the_one_assignment_answered_else_from_the_whole_catalog():
    _, within = _resolved({"q3.2": {"L": 116}, "q3.3": {}})
    assert within == ["not graded: unknown problem 'q3.3' in ece661-hw1; did you mean 'q2.3', 'q3.1', 'q3.2', 'q3.2v'?"]
    _, anywhere = _resolved({"q3.2": {}, "task1": {}, "task9": {}})
    assert anywhere == ["not graded: unknown problem 'task9'; did you mean 'task1', 'task2', 'task3', 'task4'?"]


def test_a_file_of_only_unknown_keys_is_refused_with_its_first_notes():
    with pytest.raises(SubmissionError) as e:
        grade_answers({"zz1": {}, "q1": {}})
    assert str(e.value) == (
        "<answers>: answers no problem of the catalog; it seems to be for ece661-hw1 (gradekit list ece661-hw1 "
        f"shows its problem ids) (not graded: problem id 'q1' is ambiguous; use one of {Q1S}; "
        "not graded: unknown problem 'zz1')"
    )

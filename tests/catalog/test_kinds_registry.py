"""How a part kind is graded is the registry's word (gradekit.core.kinds.KINDS), not a string compared in the
grader: a kind that ``runs_code`` makes its problem a code problem judged by running the module file, and a
kind graded ``by_hand`` is never missing."""

from __future__ import annotations

import ast
from dataclasses import replace
from pathlib import Path

import pytest

import gradekit
from gradekit.check import kinds as check_kinds
from gradekit.code.spec import code_problems, is_module_problem
from gradekit.core.kinds import KINDS
from gradekit.grading.answers import grade_answers
from gradekit.grading.problem import grade_problem
from gradekit.output.template import outline
from gradekit.catalog.catalog import load_catalog

CAT = load_catalog()


def test_the_registry_says_which_kinds_run_code_and_which_a_person_grades():
    assert {k.name for k in KINDS.values() if k.runs_code} == {"function"}
    assert {k.name for k in KINDS.values() if k.by_hand} == {"manual"}
    # a kind is judged by a checker, or by running code: never neither, never both
    assert all(bool(k.checker) != k.runs_code for k in KINDS.values())
    assert check_kinds.KINDS is KINDS  # the catalog and the checkers read the one table


def test_a_code_problem_is_one_with_a_part_of_a_kind_that_runs_code(monkeypatch):
    task1 = CAT.resolve("ece449-a2/task1")
    assert is_module_problem(task1) and "task1" in [p.id for p in code_problems(CAT, "ece449-a2")]
    assert "task1" not in [p["id"] for p in outline(CAT, "ece449-a2")["problems"]]  # its starter is a .py
    monkeypatch.setitem(KINDS, "function", replace(KINDS["function"], runs_code=False))
    assert not is_module_problem(task1) and code_problems(CAT, "ece449-a2") == []


def test_the_grader_runs_code_only_for_a_kind_the_registry_says_runs_code(monkeypatch):
    task1 = CAT.resolve("ece449-a2/task1")
    result, _ = grade_problem(CAT, task1, {})
    assert {p.verdict for p in result.parts} == {"missing"}
    assert "graded from task1.py (gradekit check task1.py)" in result.parts[0].feedback
    # the same part, were its kind a checker's: no checker is declared for it, so a grader error (never points)
    monkeypatch.setitem(KINDS, "function", replace(KINDS["function"], runs_code=False))
    result, _ = grade_problem(CAT, task1, {result.parts[0].name: object()})
    assert result.parts[0].verdict == "error" and "judged by running the student's code" in result.parts[0].feedback
    assert result.parts[1].feedback == "No answer given."


def test_a_part_graded_by_hand_is_never_missing_because_the_registry_says_so(monkeypatch):
    def q1_verdicts():
        report = grade_answers({"q3.2": {"L": 116}}, assignment="ece661-hw1")
        q1 = next(p for p in report.problems if p.id == "q1")
        return {p.name: (p.verdict, p.answered) for p in q1.parts}

    by_hand = [p.name for p in CAT.resolve("ece661-hw1/q1").parts if p.kind == "manual"]
    assert by_hand and all(q1_verdicts()[n] == ("manual", True) for n in by_hand)
    monkeypatch.setitem(KINDS, "manual", replace(KINDS["manual"], by_hand=False))
    assert all(q1_verdicts()[n] == ("missing", False) for n in by_hand)


@pytest.mark.parametrize("word", ["function", "manual"])
def test_no_grader_module_compares_a_part_kind_to_the_kinds_that_run_code_or_are_graded_by_hand(word):
    # the grading, code and template layers ask KINDS; (course/ and output/keys.py still name "manual" parts)
    root = Path(gradekit.__file__).parent
    files = ["grading/problem.py", "grading/answers.py", "grading/code.py", "code/spec.py", "output/template.py"]
    found = []
    for name in files:
        for node in ast.walk(ast.parse((root / name).read_text(encoding="utf-8"))):
            if isinstance(node, ast.Compare) and any(isinstance(c, ast.Constant) and c.value == word
                                                     for c in [node.left, *node.comparators]):
                if "kind" in ast.unparse(node):
                    found.append(f"{name}:{node.lineno}: {ast.unparse(node)}")
    assert found == []

"""`gradekit grade --time-limit` bounds every kind of student code: a module file in a student's folder, a
notebook's code, an answers .py; a hang is reported with the limit given, in CPU seconds."""

import json

from click.testing import CliRunner

from gradekit.cli.commands import main

from tests.module_task1 import CORRECT

HANG = "\ndef relu(X):\n    while True:\n        pass\n"  # burns CPU: the call's CPU budget ends it


def notebook(source: str) -> str:
    cell = {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": source}
    return json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def test_a_hang_in_any_kind_of_student_code_ends_at_the_time_limit_given(tmp_path):
    subs = tmp_path / "subs"
    (subs / "ada").mkdir(parents=True)
    (subs / "ada" / "task1.py").write_text(CORRECT + HANG)  # a module file in a student's folder
    (subs / "bob").mkdir()
    (subs / "bob" / "task1.ipynb").write_text(notebook(CORRECT + HANG))  # a notebook's code
    (subs / "carl.py").write_text("while True:\n    pass\n")  # an answers file that computes
    out = tmp_path / "grades"
    r = CliRunner().invoke(main, ["grade", str(subs), "-a", "ece449-a2", "-o", str(out), "--time-limit", "2",
                                  "-j", "1"])
    assert r.exit_code == 0, r.output
    rows = {s["student"]: s for s in json.loads((out / "grades.json").read_text())["students"]}
    for who in ("ada", "bob"):
        task1 = next(p for p in rows[who]["report"]["problems"] if p["id"] == "ece449-a2/task1")
        parts = {p["name"]: p for p in task1["parts"]}
        assert parts["relu"]["score"] == 0 and "within 2 s of CPU time" in parts["relu"]["feedback"], (who, parts)
        assert parts["DNNforward"]["score"] == parts["DNNforward"]["max_score"]  # the rest graded as usual
    assert "did not finish within 2 s" in rows["carl"]["error"]


def test_the_instructor_is_told_when_the_time_limit_cuts_a_specs_budget():
    from gradekit.course.batch import capped_budgets
    from gradekit.catalog.catalog import load_catalog

    cat = load_catalog()
    notes = capped_budgets(cat.problems("cs37300-hw4"), 10)
    assert ("pytorch_cnn's checks have time budgets up to 120 s, but each call into student code gets at most "
            "10 s here (--time-limit); give --time-limit 120") in " ".join(notes)
    assert capped_budgets(cat.problems("cs37300-hw4"), 120) == [] and capped_budgets(cat.problems("ece661-hw1"), 2) == []


def test_without_a_time_limit_no_specs_budget_is_cut():
    from gradekit.course.batch import capped_budgets, default_time_limit
    from gradekit.catalog.catalog import load_catalog

    cat = load_catalog()
    assert default_time_limit("ece661-hw1") == 10  # no module check asks more than an answers file gets
    assert default_time_limit("ece449-a2") == 30 and default_time_limit("cs37300-hw4") == 120  # task3, the CNN
    assert capped_budgets(cat.problems("ece449-a2"), default_time_limit("ece449-a2")) == []

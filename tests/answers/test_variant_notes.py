"""Per-student problems (ece661-hw1 q3.2v) cannot be taken for no one without a word: show, solve, template
and check each say so in one line (and in --json), and a template's STUDENT line is what check grades for."""

import json

from click.testing import CliRunner

from gradekit.cli.commands import main
from gradekit.core.plain import solution_dict
from gradekit.catalog.catalog import load_catalog
from gradekit.catalog.variants import variant

NOTE = "q3.2v draws numbers per student; no student given, so this is the default variant"


def cli(*args):
    return CliRunner().invoke(main, list(args))


def answers_of(student):
    cat = load_catalog()
    v = variant(cat, cat.resolve("ece661-hw1/q3.2v"), student)
    return solution_dict(v, cat.solve(v))["answers"]


def note_lines(output):
    return [line for line in output.splitlines() if NOTE in line]


def test_show_and_solve_without_a_student_say_it_is_the_default_variant():
    for args in (["show", "q3.2v"], ["solve", "q3.2v"], ["solve", "-a", "ece661-hw1"]):
        r = cli(*args)
        assert r.exit_code == 0, r.output
        assert len(note_lines(r.output)) == 1, args
        assert note_lines(cli(*args, "--student", "sp699").output) == []
    assert NOTE in json.loads(cli("show", "q3.2v", "--json").output)["notes"][0]
    assert json.loads(cli("show", "q3.2v", "--json", "-s", "sp699").output)["notes"] == []
    assert NOTE in json.loads(cli("solve", "q3.2v", "--json").output)["notes"][0]
    assert NOTE in json.loads(cli("solve", "-a", "ece661-hw1", "--json").output)["notes"][0]
    assert json.loads(cli("show", "q3.2", "--json").output)["notes"] == []  # a fixed problem: nothing to say


def test_templates_of_variant_assignments_carry_a_student_line():
    py = cli("template", "ece661-hw1", "--stdout").output
    assert sum(line.startswith('STUDENT = ""') for line in py.splitlines()) == 1 and "q3.2v" in py
    assert json.loads(cli("template", "ece661-hw1", "--stdout", "--format", "json").output)["student"] == ""
    toml = cli("template", "ece661-hw1", "--stdout", "--format", "toml").output
    assert any(line.startswith('student = ""') for line in toml.splitlines())
    assert NOTE in json.loads(cli("template", "ece661-hw1", "--json").output)["notes"][0]
    # an assignment with no per-student problem gets no such line
    assert "STUDENT" not in cli("template", "ece449-a2", "--stdout").output


def test_check_grades_for_the_templates_student_and_says_when_there_is_none(tmp_path):
    theirs = answers_of("sp699")
    assert theirs != answers_of(None)  # the default variant's numbers differ
    py = cli("template", "ece661-hw1", "--stdout").output
    head = py.split("ANSWERS = {")[0]  # the template's docstring, ASSIGNMENT and STUDENT lines
    filled = head.replace('STUDENT = ""', 'STUDENT = "sp699"') + "ANSWERS = " + repr({"q3.2v": theirs}) + "\n"
    (tmp_path / "answers.py").write_text(filled)
    data = json.loads(cli("check", str(tmp_path / "answers.py"), "--json").output)
    q = next(p for p in data["problems"] if p["id"].endswith("q3.2v"))
    assert q["score"] == q["max_score"] > 0 and not [n for n in data["notes"] if NOTE in n]
    # left as the template has it: graded as the default variant, and the check says so once
    (tmp_path / "answers.py").write_text(filled.replace('STUDENT = "sp699"', 'STUDENT = ""'))
    r = cli("check", str(tmp_path / "answers.py"))
    assert " ".join(r.output.split()).count(NOTE) == 1  # one note (the terminal may wrap it)
    data = json.loads(cli("check", str(tmp_path / "answers.py"), "--json").output)
    assert len([n for n in data["notes"] if NOTE in n]) == 1
    # JSON answers: "student" as the template writes it, and --student over it
    (tmp_path / "v.json").write_text(json.dumps({"assignment": "ece661-hw1", "student": "", "q3.2v": theirs}))
    data = json.loads(cli("check", str(tmp_path / "v.json"), "--json", "--student", "sp699").output)
    q = next(p for p in data["problems"] if p["id"].endswith("q3.2v"))
    assert q["score"] == q["max_score"] and not [n for n in data["notes"] if NOTE in n]

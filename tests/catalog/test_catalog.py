"""The catalog: every spec loads; bad specs fail with the file, the field and the fix."""

import textwrap

import pytest

from gradekit.catalog.catalog import load_catalog
from gradekit.core.errors import SpecError, UnknownAssignmentError, UnknownProblemError

GOOD = """
id = "q3.2"
title = "Backprop"
family = "backprop.mlp2"
statement = "Compute L."
[params]
activation = "relu"
x1 = [1, 1, -1]
t = [1, 2]
W1 = [[0, -1, 1], [2, 2, -1]]
b1 = [1, 2]
W2 = [[0, 2], [1, 1]]
b2 = [1, 1]
[[parts]]
name = "L"
kind = "number"
points = 1
"""


def make_catalog(tmp_path, spec=GOOD, name="q3.2", meta=None):
    folder = tmp_path / "hw"
    folder.mkdir(exist_ok=True)
    (folder / "assignment.toml").write_text(meta or 'name = "hw"\ntitle = "HW"\nsource = "test"\n')
    (folder / f"{name}.toml").write_text(textwrap.dedent(spec))
    catalog = load_catalog(tmp_path)
    catalog.assignment("hw")  # a broken assignment is kept aside, and raises its error when asked for
    return catalog


def test_a_good_spec_loads(tmp_path):
    cat = make_catalog(tmp_path)
    assert cat.resolve("hw/q3.2").title == "Backprop"
    assert float(cat.solve(cat.resolve("q3.2")).answers["L"]) == 116


@pytest.mark.parametrize(
    "change, words",
    [
        (lambda s: s.replace('family = "backprop.mlp2"', 'family = "backprop.mlp3"'), "family 'backprop.mlp3' is unknown; did you mean 'backprop.mlp2'"),
        (lambda s: s.replace('title = "Backprop"\n', ""), "field 'title' is missing"),
        (lambda s: s.replace('kind = "number"', 'kind = "numbr"'), "parts[0].kind is 'numbr'"),
        (lambda s: s.replace("W1 = [[0, -1, 1], [2, 2, -1]]", "W1 = [[0, -1], [2, 2]]"), "params.W1 has shape (2, 2)"),
        (lambda s: s.replace("points = 1", "points = -1"), "parts[0].points must be a number >= 0"),
        (lambda s: s.replace("points = 1", "points = 1\nrtool = 0.1"), "parts[0].rtool is not an option"),
        (lambda s: s.replace('id = "q3.2"', 'id = "q3.3"'), "must match the file name"),
        (lambda s: s + "[[parts]]\nname = 'L'\nkind = 'number'\n", "part names must be unique"),
        (lambda s: s.replace("x1 = [1, 1, -1]", "x1 = [1, 1, -1"), "invalid TOML"),
        (lambda s: "colour = 'red'\n" + s, "unknown field 'colour'"),
    ],
)
def test_bad_specs_fail_loudly(tmp_path, change, words):
    with pytest.raises(SpecError) as e:
        make_catalog(tmp_path, change(GOOD))
    message = str(e.value)
    assert message.split(": ")[0].endswith("hw/q3.2.toml") and words in message and "\n" not in message


def test_assignment_points_must_add_up(tmp_path):
    with pytest.raises(SpecError, match="parts of its problems add up to 1"):
        make_catalog(tmp_path, meta='name = "hw"\ntitle = "HW"\nsource = "t"\npoints = 10\n')


def test_id_resolution():
    cat = load_catalog()
    assert cat.resolve("q3.2").qualified_id == "ece661-hw1/q3.2"
    assert cat.resolve("q1", "coms573-hw5").qualified_id == "coms573-hw5/q1"
    with pytest.raises(UnknownProblemError, match="ambiguous; use one of .*ece661-hw1/q1"):
        cat.resolve("q1")
    with pytest.raises(UnknownProblemError, match="did you mean 'q3.2'"):
        cat.resolve("q3.22")
    with pytest.raises(UnknownAssignmentError, match="did you mean 'ece661-hw1'"):
        cat.assignment("ece661-hw2")


def test_every_builtin_problem_solves_every_part_with_steps():
    cat = load_catalog()
    assert len(cat.problems()) >= 20
    for problem in cat.problems():
        solution = cat.solve(problem)
        missing = [p.name for p in problem.parts if p.name not in solution.answers]
        assert not missing, f"{problem.qualified_id} does not answer {missing}"
        assert solution.steps, f"{problem.qualified_id} has no worked steps"
        assert problem.statement


def test_assignment_totals_are_declared_and_match():
    cat = load_catalog()
    for a in cat.assignments.values():
        assert a.declared_points is not None, a.name
        assert a.declared_points == sum(part.points for p in a.problems for part in p.parts)

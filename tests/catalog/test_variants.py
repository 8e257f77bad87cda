"""Per-student variants: stable seeds, valid and solvable draws, graded against the right variant."""

import json
import shutil

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gradekit.catalog.catalog import load_catalog
from gradekit.cli.commands import main
from gradekit.core.errors import ParamError, SpecError
from gradekit.core.families import Family
from gradekit.grading.answers import grade_answers
from gradekit.grading.problem import grade_problem
from gradekit.output.keys import answer_key
from gradekit.core.plain import solution_dict
from gradekit.catalog.variants import Stream, draw, draw_params, seed, variant

from tests.helpers import PROBLEMS

CAT = load_catalog()
Q32V = CAT.resolve("ece661-hw1/q3.2v")
students = st.text(min_size=1, max_size=24)


def test_seed_stream_is_pinned():
    # sha256 counter mode: these numbers are the same on every machine, Python and numpy
    s = Stream(seed("ece661-hw1", "q3.2v", "ada"))
    assert [s.integer(0, 9) for _ in range(10)] == [9, 6, 8, 4, 7, 6, 9, 1, 2, 1]
    assert seed("a", "bc", "d") != seed("ab", "c", "d")


def test_ada_variant_is_pinned():
    v = variant(CAT, Q32V, "ada")
    p = v.validated_params
    assert p["W1"].tolist() == [[-1, 2, -1], [0, -1, -2]] and p["x1"].tolist() == [2, -1, 1]
    assert p["W2"].tolist() == [[0.3, -0.3], [-0.6, 0.0]] and p["t"].tolist() == [2, 0]
    assert CAT.solve(v).answers["L"] == pytest.approx(2.645)
    assert r"\begin{bmatrix} -1 & 2 & -1 \\ 0 & -1 & -2 \end{bmatrix}" in v.statement and "{{" not in v.statement


def test_ada_variant_answers_are_recomputed_by_torch():
    """Every answer of ada's q3.2v, independently: the same network in torch, its loss and autograd's gradients."""
    import torch

    v = variant(CAT, Q32V, "ada")
    p = {k: v.validated_params[k] for k in ("x1", "t", "W1", "b1", "W2", "b2")}
    T = {k: torch.tensor(np.asarray(x, dtype=float).reshape(-1, 1) if k in ("x1", "t", "b1", "b2")
                         else np.asarray(x, dtype=float), dtype=torch.float64, requires_grad=k in ("W1", "b1", "W2", "b2"))
         for k, x in p.items()}
    act = {"relu": torch.relu, "sigmoid": torch.sigmoid}[v.validated_params["activation"]]
    x3 = T["W2"] @ act(T["W1"] @ T["x1"] + T["b1"]) + T["b2"]
    L = 0.5 * ((T["t"] - x3) ** 2).sum()
    L.backward()
    got = CAT.solve(v).answers
    assert got["L"] == pytest.approx(L.item(), rel=1e-12) and L.item() == pytest.approx(2.645)
    for part, name in (("dL/dW1", "W1"), ("dL/dW2", "W2"), ("dL/db1", "b1"), ("dL/db2", "b2")):
        np.testing.assert_allclose(np.asarray(got[part], dtype=float).reshape(T[name].grad.shape),
                                   T[name].grad.numpy(), rtol=1e-12, atol=1e-12)


@given(low=st.integers(-10**6, 10**6), span=st.integers(0, 10**6), student=students)
def test_stream_integers_stay_in_range(low, span, student):
    s = Stream(seed("a", "p", student))
    assert all(low <= s.integer(low, low + span) <= low + span for _ in range(5))


def test_fixed_specs_ignore_the_student():
    q32 = CAT.resolve("ece661-hw1/q3.2")
    assert variant(CAT, q32, "ada") is q32
    rep = grade_answers({"q3.2": {"L": 116}}, catalog=CAT, student="ada")
    assert rep.problems[[p.id for p in rep.problems].index("q3.2")].parts[0].verdict == "correct"


def test_students_get_different_variants_and_the_cache_keeps_them_apart():
    ids = [f"s{i:03d}" for i in range(20)]
    Ls = {CAT.solve(variant(CAT, Q32V, s)).answers["L"] for s in ids}
    assert len(Ls) >= 15
    # same student twice: the same numbers; the spec's default differs from ada's
    assert CAT.solve(variant(CAT, Q32V, "ada")).answers["L"] == pytest.approx(2.645)
    assert CAT.solve(variant(CAT, Q32V, None)).answers["L"] != pytest.approx(2.645)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(student=students)
def test_every_variant_validates_solves_and_its_key_gets_full_marks(student):
    v = variant(CAT, Q32V, student)
    p = v.validated_params
    z = p["W1"] @ p["x1"] + p["b1"]
    assert np.all(z != 0)  # the family's accept: no ReLU unit exactly at 0
    key = solution_dict(v, CAT.solve(v))["answers"]
    result, notes = grade_problem(CAT, v, key)
    assert result.score == result.max_score == 5 and notes == []
    # the same answers, as an answers file's student would send them
    rep = grade_answers({"q3.2v": key}, catalog=CAT, student=student)
    assert next(r for r in rep.problems if r.id == "q3.2v").score == 5


def test_another_students_key_does_not_pass():
    key = solution_dict(variant(CAT, Q32V, "ada"), CAT.solve(variant(CAT, Q32V, "ada")))["answers"]
    rep = grade_answers({"q3.2v": key}, catalog=CAT, student="bob")
    assert next(r for r in rep.problems if r.id == "q3.2v").score < 5


def test_rejected_draws_are_redrawn_deterministically():
    calls = []

    def accept(p):
        calls.append(p["n"])
        return p["n"] % 7 == 0

    fam = Family("demo", solve=None, accept=accept)
    params = {"n": {"random": "int", "low": 0, "high": 1000}, "k": 3}
    a = draw_params("a", "p", "ada", params, fam)
    b = draw_params("a", "p", "ada", params, fam)
    assert a == b and a["n"] % 7 == 0 and a["k"] == 3 and len(calls) >= 2
    never = Family("never", solve=None, accept=lambda p: False)
    with pytest.raises(ParamError, match="no variant accepted"):
        draw_params("a", "p", "ada", params, never)


def test_real_and_choice_generators():
    s = Stream(seed("a", "p", "x"))
    out = draw({"W": {"random": "real_matrix", "shape": [2, 2], "low": -1, "high": 1, "decimals": 1},
                "act": {"random": "choice", "options": ["relu", "sigmoid"]}}, s)
    assert all(-1 <= w <= 1 and round(w, 1) == w for row in out["W"] for w in row)
    assert out["act"] in ("relu", "sigmoid")


@pytest.mark.parametrize("table, message", [
    ('{ random = "normal", shape = [2, 3] }', "only int, real, int_matrix, real_matrix, choice are valid"),
    ('{ random = "int_matrix", shape = [2, 3], low = 2, high = -2 }', "low = 2 is above high = -2"),
    ('{ random = "int_matrix", shape = [2], low = -2, high = 2 }', "must have 2 dimension(s), got shape (2,)"),
    ('{ random = "int_matrix", shape = [2, 3], low = 0, high = 2, step = 1 }', "has 'step'"),
])
def test_bad_generators_fail_at_load_naming_the_file(tmp_path, table, message):
    shutil.copytree(PROBLEMS / "ece661-hw1", tmp_path / "ece661-hw1")
    spec = tmp_path / "ece661-hw1" / "q3.2v.toml"
    text = spec.read_text()
    start = text.index("W1 = {")
    spec.write_text(text[:start] + "W1 = " + table + text[text.index("\n", start):])
    with pytest.raises(SpecError, match="q3.2v.toml: params.W1") as e:
        load_catalog(tmp_path).assignment("ece661-hw1")  # a broken assignment raises when asked for
    assert message in str(e.value)


def test_cli_show_solve_check_for_one_student(tmp_path):
    r = CliRunner()
    shown = json.loads(r.invoke(main, ["show", "q3.2v", "--student", "ada", "--json"]).output)
    assert shown["params"]["W1"] == [[-1, 2, -1], [0, -1, -2]]
    solved = r.invoke(main, ["solve", "q3.2v", "--student", "ada", "--json"]).output
    (tmp_path / "key.json").write_text(solved)
    out = r.invoke(main, ["check", str(tmp_path / "key.json"), "--student", "ada", "--json"])
    assert next(p for p in json.loads(out.output)["problems"] if p["id"].endswith("q3.2v"))["score"] == 5
    # the student key of an answers file picks the variant too
    answers = {"assignment": "ece661-hw1", "student": "ada", "q3.2v": json.loads(solved)["answers"]}
    (tmp_path / "a.json").write_text(json.dumps(answers))
    rep = json.loads(r.invoke(main, ["check", str(tmp_path / "a.json"), "--json"]).output)
    assert next(p for p in rep["problems"] if p["id"].endswith("q3.2v"))["score"] == 5


def test_markdown_key_whole_assignment_and_one_variant(tmp_path):
    md = answer_key(CAT, "ece661-hw1", "ada")
    assert md.startswith("# Answer key: ece661-hw1 (variant of student ada)")
    assert "2.645" in md and "$$ L = " in md and "116" in md  # ada's q3.2v and the fixed q3.2
    out = tmp_path / "key.md"
    r = CliRunner().invoke(main, ["solve", "--assignment", "ece661-hw1", "--format", "markdown", "-o", str(out)])
    assert r.exit_code == 0 and out.read_text().count("\n## ece661-hw1/") == len(CAT.problems("ece661-hw1"))
    assert CliRunner().invoke(main, ["solve", "--format", "markdown"]).exit_code == 2

"""adaline.evaluate, adaline.design, madaline.design: catalog answers, torch cross-checks, verify."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from gradekit.catalog.catalog import Catalog, load_problem
from gradekit.core.errors import ParamError
from gradekit.core.families import get_family
from gradekit.grading.problem import grade_problem
from gradekit.core.records import Assignment
from reference.families import adaline
from tests.helpers import PROBLEMS, load_spec, solve_spec

EVALUATE = get_family("adaline.evaluate")
DESIGN = get_family("adaline.design")
MADALINE = get_family("madaline.design")


def grade(qid: str, given: dict) -> dict[str, tuple[float, str, str]]:
    """Grade one spec through the real grader, isolated from the rest of the catalog."""
    name, pid = qid.split("/")
    problem = load_problem(PROBLEMS / name / f"{pid}.toml", name)
    catalog = Catalog([Assignment(name, name, "test", (problem,))])
    result, _ = grade_problem(catalog, problem, given)
    return {p.name: (p.score, p.verdict, p.feedback) for p in result.parts}


def torch_unit(w, X) -> tuple[np.ndarray, np.ndarray]:
    """An independent Adaline: torch linear layer with bias w0, then sign with sign(0) = +1."""
    w = torch.as_tensor(np.asarray(w, dtype=float))
    s = F.linear(torch.as_tensor(X, dtype=torch.float64), w[1:].unsqueeze(0), w[:1]).squeeze(1)
    return s.numpy(), torch.where(s >= 0, 1.0, -1.0).numpy()


# --- the catalog ---------------------------------------------------------------


def test_q2_1_catalog_answers():
    _, sol = solve_spec("ece661-hw1/q2.1")
    np.testing.assert_array_equal(sol.answers["s"], [-1, 1, 3, 5])
    np.testing.assert_array_equal(sol.answers["y"], [-1, 1, 1, 1])
    assert sol.answers["function"] == "OR"


def test_q2_1_steps_show_the_answers():
    _, sol = solve_spec("ece661-hw1/q2.1")
    assert "2·1 + 2·(-1) + 1·(-1) = -1" in sol.steps[0].text
    np.testing.assert_array_equal(sol.steps[0].values["s"], sol.answers["s"])
    assert sol.steps[-1].values["function"] == "OR"


@pytest.mark.parametrize(
    "qid, part, example, s",
    [
        ("ece661-hw1/q2.2", "w", [1, -1, -1], [3, 1, 1, -1]),
        ("ece661-hw1/q2.3", "w", [0, 1, 1, 1], [-3, -1, -1, 1, -1, 1, 1, 3]),
        ("ece661-hw1/q2.4", "w2", [1, -1, -1], [-1, 1, 1, -1]),
    ],
)
def test_design_examples_are_the_published_ones_and_verify(qid, part, example, s):
    params, sol = solve_spec(qid)
    assert sol.answers[part] == example
    assert sol.answers["s"] == s
    family = get_family(load_spec(qid)["family"])
    for name in (part, "s"):
        assert family.verify(params, name, sol.answers).verdict == "correct"


def test_madaline_hidden_layer_matches_the_seed():
    params, sol = solve_spec("ece661-hw1/q2.4")
    # y1 = sign(0.5 - x1 + x2), y2 = sign(0.5 + x1 - x2) over (-1,-1), (-1,+1), (+1,-1), (+1,+1)
    np.testing.assert_array_equal(params["hidden"], [[1, 1], [1, -1], [-1, 1], [1, 1]])
    np.testing.assert_array_equal(sol.steps[0].values["hidden"], params["hidden"])
    np.testing.assert_array_equal(sol.answers["hidden"], params["hidden"])


# --- torch cross-checks ----------------------------------------------------------

weights = st.lists(st.integers(-3, 3).map(float) | st.sampled_from([0.5, -0.5, 1.5]), min_size=3, max_size=4)


EVALUATE_CHECKED: list[int] = []


@settings(max_examples=60, deadline=None)
@given(weights)
def test_evaluate_matches_torch(w):
    try:
        params = EVALUATE.validate({"w": w})
    except ParamError as e:  # a table with no name (3 inputs) is refused at load time, and says so
        assert e.field == "w" or "no name" in str(e) or "function" in str(e), e
        assume(False)
    EVALUATE_CHECKED.append(1)
    sol = EVALUATE.solve(params)
    s, y = torch_unit(w, adaline.with_bias(adaline.rows(len(w) - 1))[:, 1:])
    np.testing.assert_allclose(sol.answers["s"], s)
    np.testing.assert_array_equal(sol.answers["y"], y)
    assert np.array_equal(adaline.named_functions(len(w) - 1)[sol.answers["function"]], y)


def test_the_evaluate_property_checked_enough_draws():
    """Runs after the property test (file order): a validate() that refused everything would fail here."""
    if not EVALUATE_CHECKED:
        test_evaluate_matches_torch()
    assert len(EVALUATE_CHECKED) >= 20


def test_rows_are_lexicographic_minus_first():
    np.testing.assert_array_equal(adaline.rows(2), [[-1, -1], [-1, 1], [1, -1], [1, 1]])
    assert adaline.rows(3)[1].tolist() == [-1, -1, 1]


def test_two_input_names_cover_all_sixteen_functions_once():
    tables = adaline.named_functions(2)
    assert len(tables) == 16
    assert len({tuple(t) for t in tables.values()}) == 16


@pytest.mark.parametrize("n", [2, 3])
def test_design_finds_weights_exactly_when_torch_brute_force_does(n):
    X = adaline.rows(n)
    grid = torch.tensor(list(itertools.product([-1.0, 0.0, 1.0], repeat=n + 1)), dtype=torch.float64)
    S = torch.as_tensor(X) @ grid[:, 1:].T + grid[:, 0]  # rows × candidates
    Y = torch.where(S >= 0, 1.0, -1.0)
    for name, target in adaline.named_functions(n).items():
        realisable = bool((Y == torch.as_tensor(target, dtype=torch.float64)[:, None]).all(0).any())
        try:
            params = DESIGN.validate({"function": name, "inputs": n})
        except ParamError as e:
            assert not realisable, name
            assert e.field == "function" and "cannot be realised" in str(e)
            continue
        assert realisable, name
        sol = DESIGN.solve(params)
        s, y = torch_unit(sol.answers["w"], X)
        np.testing.assert_array_equal(y, target)
        np.testing.assert_allclose(sol.answers["s"], s)


MADALINE_CHECKED: list[int] = []


@settings(max_examples=30, deadline=None)
@given(st.lists(st.lists(st.sampled_from([-1.5, -1.0, -0.5, 0.5, 1.0, 1.5]), min_size=3, max_size=3), min_size=2, max_size=3))
def test_madaline_matches_torch_two_layer_net(layer1):
    realised = []
    for name in ("XOR", "XNOR", "AND", "OR"):
        try:
            params = MADALINE.validate({"function": name, "layer1": layer1})
        except ParamError:
            continue
        realised.append(name)
        sol = MADALINE.solve(params)
        X = torch.as_tensor(adaline.rows(2))
        A = torch.as_tensor(layer1, dtype=torch.float64)
        h = F.linear(X, A[:, 1:], A[:, 0])
        h = torch.where(h >= 0, 1.0, -1.0)
        s, y = torch_unit(sol.answers["w2"], h.numpy())
        np.testing.assert_array_equal(y, adaline.named_functions(2)[name])
        np.testing.assert_allclose(sol.answers["s"], s)
    assume(realised)
    MADALINE_CHECKED.append(len(realised))


def test_the_madaline_property_checked_enough_draws():
    if not MADALINE_CHECKED:
        test_madaline_matches_torch_two_layer_net()
    assert len(MADALINE_CHECKED) >= 15


# --- mistakes ----------------------------------------------------------------------


def test_evaluate_mistakes_differ_from_the_answer():
    params, sol = solve_spec("ece661-hw1/q2.1")
    found = {m.id: m for m in EVALUATE.mistakes(params)}
    # no s is 0 here, so sign(0) = -1 changes nothing and is not listed
    assert set(found) == {"bias_omitted", "bias_input_negative", "rows_plus_first"}
    np.testing.assert_array_equal(found["bias_omitted"].answers["s"], [-3, -1, 1, 3])
    assert found["bias_omitted"].answers["function"] == "x1"
    assert found["bias_input_negative"].answers["function"] == "AND"
    np.testing.assert_array_equal(found["rows_plus_first"].answers["s"], [5, 3, 1, -1])
    assert "function" not in found["rows_plus_first"].answers
    for m in found.values():
        for part, value in m.answers.items():
            assert not np.array_equal(np.asarray(value), np.asarray(sol.answers[part])), (m.id, part)


def test_sign_zero_mistake_appears_when_some_s_is_zero():
    params = EVALUATE.validate({"w": [0, 1, 1]})  # s = [-2, 0, 0, 2]
    found = {m.id: m for m in EVALUATE.mistakes(params)}
    np.testing.assert_array_equal(found["sign_zero_negative"].answers["y"], [-1, -1, -1, 1])
    assert found["sign_zero_negative"].answers["function"] == "AND"


def test_grader_names_a_mistake_on_q2_1():
    res = grade("ece661-hw1/q2.1", {"s": [5, 3, 1, -1], "y": [-1, 1, 1, 1], "function": "logical or"})
    assert res["s"][:2] == (0.5, "partial")
    assert res["y"][1] == "correct" and res["function"][1] == "correct"


# --- validation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "family, params, field, words",
    [
        (EVALUATE, {"w": [1]}, "w", "at least 2"),
        (EVALUATE, {"w": [[1, 2], [3, 4]]}, "w", "dimension"),
        (EVALUATE, {"w": [0, 1, 1, -1]}, "w", "none of the named functions"),
        (DESIGN, {"function": "NAND", "inputs": 0}, "inputs", "must lie in"),
        (DESIGN, {"function": "MAJORITY", "inputs": 2}, "function", "'MAJORITY'"),
        (DESIGN, {"function": "XOR"}, "function", "cannot be realised"),
        (DESIGN, {"function": "NAND", "allowed": [0]}, "function", "{0}"),
        (DESIGN, {"function": "NAND", "allowed": []}, "allowed", "empty"),
        (MADALINE, {"function": "XOR", "layer1": [0.5, -1, 1]}, "layer1", "dimension"),
        (MADALINE, {"function": "XOR", "layer1": [[0.5, 1, 1], [0.5, 1, 1]]}, "function", "hidden outputs"),
    ],
)
def test_validate_rejects_bad_params(family, params, field, words):
    with pytest.raises(ParamError) as info:
        family.validate(params)
    assert info.value.field == field
    assert words in str(info.value)


# --- verify --------------------------------------------------------------------------------


def verdict(family, qid, part, answers):
    params, _ = solve_spec(qid)
    return family.verify(params, part, answers)


def test_verify_accepts_other_right_weights():
    # with sign(0) = +1, w = [0, -1, -1] gives s = [2, 0, 0, -2] -> NAND too
    out = verdict(DESIGN, "ece661-hw1/q2.2", "w", {"w": [0, -1, -1]})
    assert out.verdict == "correct"
    out = verdict(DESIGN, "ece661-hw1/q2.2", "s", {"w": [0, -1, -1], "s": ["2", "0", "0", "-2"]})
    assert out.verdict == "correct"


def test_verify_says_which_row_fails():
    out = verdict(DESIGN, "ece661-hw1/q2.2", "w", {"w": [1, 1, 1]})  # OR, not NAND
    assert out.verdict == "wrong"
    assert "(x1, x2) = (-1, -1)" in out.feedback and "NAND needs +1" in out.feedback


def test_verify_rejects_weights_outside_the_set_and_wrong_length():
    out = verdict(DESIGN, "ece661-hw1/q2.2", "w", {"w": ["1.5", -1, -1]})
    assert out.verdict == "wrong" and "1.5" in out.feedback and "{-1, 0, 1}" in out.feedback
    out = verdict(DESIGN, "ece661-hw1/q2.3", "w", {"w": [1, 1, 1]})
    assert out.verdict == "wrong" and "needs 4 entries" in out.feedback


def test_verify_malformed_answer_is_invalid():
    out = verdict(DESIGN, "ece661-hw1/q2.2", "w", {"w": "one, minus one"})
    assert out.verdict == "invalid"
    assert out.fraction == 0


def test_verify_s_uses_the_students_own_weights():
    answers = {"w": [1, -1, -1], "s": [3, 1, 1, -1]}
    assert verdict(DESIGN, "ece661-hw1/q2.2", "s", answers).verdict == "correct"
    # s of the published answer, but the student's own weights are different (and also right)
    out = verdict(DESIGN, "ece661-hw1/q2.2", "s", {"w": [0, -1, -1], "s": [3, 1, 1, -1]})
    assert out.verdict == "wrong" and "row (x1, x2) = (-1, -1)" in out.feedback
    # consistent with wrong weights: s is computed right but does not realise NAND
    out = verdict(DESIGN, "ece661-hw1/q2.2", "s", {"w": [1, 1, 1], "s": [-1, 1, 1, 3]})
    assert out.verdict == "wrong" and "NAND needs" in out.feedback
    out = verdict(DESIGN, "ece661-hw1/q2.2", "s", {"s": [3, 1, 1, -1]})
    assert out.verdict == "wrong" and "cannot be read" in out.feedback


def test_verify_madaline_with_the_seed_answer_and_a_wrong_one():
    assert verdict(MADALINE, "ece661-hw1/q2.4", "w2", {"w2": [1, -1, -1]}).verdict == "correct"
    # the 2020 solution's w20 = 1.5, w21 = w22 = 1 is outside the allowed set
    out = verdict(MADALINE, "ece661-hw1/q2.4", "w2", {"w2": ["1.5", 1, 1]})
    assert out.verdict == "wrong" and "1.5" in out.feedback
    out = verdict(MADALINE, "ece661-hw1/q2.4", "w2", {"w2": [-1, 1, 1]})
    assert out.verdict == "wrong" and "hidden outputs" in out.feedback


def test_grader_runs_verified_parts_end_to_end():
    res = grade("ece661-hw1/q2.3", {"w": [0, 1, 1, 1], "s": "[-3, -1, -1, 1, -1, 1, 1, 3]"})
    assert res["w"][:2] == (2.0, "correct") and res["s"][:2] == (2.0, "correct")
    res = grade("ece661-hw1/q2.4", {"w2": [1, -1, -1]})
    assert res["w2"][1] == "correct" and res["s"][1] == "missing"


def test_specs_state_the_sign_convention():
    for pid in ("q2.1", "q2.2", "q2.3", "q2.4"):
        text = (PROBLEMS / "ece661-hw1" / f"{pid}.toml").read_text()
        assert r"\operatorname{sign}(0) = +1" in text, pid
        assert "(-1,-1), (-1,+1), (+1,-1), (+1,+1)" in text or "(-1,-1,-1), (-1,-1,+1)" in text, pid

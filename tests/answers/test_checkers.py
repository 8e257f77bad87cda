"""Checkers: tolerance and digits, shapes, generic diagnoses, the exact kinds."""

import numpy as np
import pytest
from hypothesis import given, strategies as st

from gradekit.check.context import CheckContext
from gradekit.check.kinds import checker_for
from gradekit.core.records import Mistake, Part


def run(kind, expected, raw, mistakes=(), **options):
    part = Part(name="x", kind=kind, points=2, options=options)
    return checker_for(kind)(expected, raw, CheckContext(part, None, tuple(mistakes), {}))


def test_number_rounding_rule():
    # rounded or truncated to the digits written: 0.8808 and 0.8807 for 0.880797, as 0.881 and 0.880 are
    for right in ("0.8808", "0.8807", "0.88079", "0.881", "0.880", "0.8815"):
        assert run("number", 0.8807970779778823, right).verdict == "correct", right
    for wrong in ("0.8817", "0.882", "0.879", "0.8798"):
        assert run("number", 0.8807970779778823, wrong).verdict == "wrong", wrong
    # two significant digits are not enough: said so, not "off by"
    out = run("number", 0.1192029220221175, "0.12")
    assert out.verdict == "wrong" and out.feedback == "Right to 2 digits: give at least 3 significant digits or 4 decimals."
    assert run("number", 0.1192029220221175, "0.119").verdict == "correct"
    # 4 decimals where they show 2 significant digits; a part may ask for more
    assert run("number", 0.007825, "0.0078").verdict == "correct"
    assert run("number", 0.007825, "0.0078", digits=3).verdict == "wrong"
    assert run("number", 0.880797, "0.881", decimals=5).feedback == "Right to 3 digits: give at least 5 decimals."
    # float32 results (a relative 1e-5), whatever the digits; an exact answer too
    assert run("number", 0.880797077977882, "0.88079625").verdict == "correct"
    assert run("number", 1474560.0, "1474560.3").verdict == "correct"
    assert run("number", 1474560.0, 1474600).verdict == "correct"  # as close as 1470000, 3 digits
    assert run("number", 1474560.0, 1500000).verdict == "wrong"
    # exact values need the tolerance
    assert run("number", 116, 116).verdict == "correct"
    assert run("number", 0.5, "1/2").verdict == "correct"
    assert run("number", 0.5, "0.5000001", rtol=1e-3).verdict == "correct"


def test_wrong_number_says_by_how_much():
    out = run("number", 116, 106)
    assert out.verdict == "wrong" and "off by 10" in out.feedback and "relative error" in out.feedback


def test_matrix_first_differing_entry_and_max_error():
    want = np.array([[0, 0, 0], [34, 34, -34]])
    out = run("matrix", want, [[0, 0, 0], [34, 43, -34]])
    assert out.verdict == "wrong"
    assert "Row 2, column 2 is 43, off by 9" in out.feedback and "1 of 6" in out.feedback and "max error 9" in out.feedback


def test_matrix_shape_first():
    out = run("matrix", np.zeros((2, 3)) + 1, [[1, 1], [1, 1]])
    assert out.diagnosis == "wrong_shape" and "expected 2×3, got 2×2" in out.feedback


def test_generic_diagnoses_with_partial_credit():
    want = np.array([[0, 98], [0, 42]])
    out = run("matrix", want, want.T.tolist(), partial={"transposed": 0.5})
    assert (out.diagnosis, out.verdict, out.fraction) == ("transposed", "partial", 0.5)
    assert run("matrix", want, (-want).tolist()).diagnosis == "sign_flipped"
    assert run("matrix", want, (2 * want).tolist()).diagnosis == "constant_factor"
    rect = np.array([[0, 0, 0], [34, 34, -34]])
    assert run("matrix", rect, rect.T.tolist()).diagnosis == "transposed"
    # a single wrong number is not "a constant factor" unless the factor is simple
    assert run("number", 116, 232).diagnosis == "constant_factor"
    assert run("number", 116, 117).diagnosis is None


def test_family_mistake_is_named():
    mistake = Mistake("sample_variance", "You divided by n-1.", {"x": [4 / 3, 100 / 3, 100 / 3]})
    out = run("vector", [1, 25, 25], ["1.333", "33.33", "33.33"], [mistake], partial={"sample_variance": 0.5})
    assert (out.diagnosis, out.fraction) == ("sample_variance", 0.5)


def test_vectors_accept_rows_and_columns():
    assert run("vector", [14, 6], [[14], [6]]).verdict == "correct"
    assert run("vector", [14, 6], [[14, 6]]).verdict == "correct"


@pytest.mark.parametrize("raw", [[1, "nan"], "inf", [[1, 2], [3]], "hello"])
def test_invalid_answers(raw):
    out = run("vector", [1, 2], raw)
    assert out.verdict == "invalid" and out.fraction == 0 and "\n" not in out.feedback


def test_integer_and_shape():
    assert run("integer", 62006, "62006").verdict == "correct"
    assert "off by 6" in run("integer", 62006, 62000).feedback
    assert run("integer", 116, 161).verdict == "wrong"
    mistake = Mistake("bias_counted", "You counted the biases.", {"x": 28})
    assert run("integer", 27, 28, [mistake]).diagnosis == "bias_counted"
    assert run("shape", (5, 6), "5x6").verdict == "correct"
    assert "2 dimension" in run("shape", (1, 16, 32, 32), [32, 32]).feedback


def test_choice_and_bool():
    opts = {"choices": ["A", "B", "C", "D"], "multiple": True}
    assert run("choice", ["B", "D"], "b, d", **opts).verdict == "correct"
    assert run("choice", ["B", "D"], ["D", "B"], **opts).verdict == "correct"
    out = run("choice", ["B", "D"], ["B"], **opts)
    assert out.verdict == "wrong" and "1 right choice missing" in out.feedback
    assert run("choice", ["B", "D"], "E", **opts).verdict == "invalid"
    syn = {"choices": ["AND", "OR"], "synonyms": {"OR": ["logical or", "disjunction"]}}
    assert run("choice", "OR", "Logical OR", **syn).verdict == "correct"
    assert run("choice", "OR", "and", **syn).verdict == "wrong"
    assert run("bool", False, "F").verdict == "correct"
    assert run("bool", True, "no").verdict == "wrong"
    assert run("bool", True, "perhaps").verdict == "invalid"


@given(
    st.lists(st.floats(-1e6, 1e6, allow_nan=False).filter(lambda v: abs(v) > 1e-3), min_size=1, max_size=6),
    st.integers(3, 8),
)
def test_correctly_rounded_answers_always_pass(values, digits):
    want = np.array(values)
    written = [f"{v:.{digits}e}" for v in values]  # at least 4 significant digits
    assert run("vector", want, written).verdict == "correct"


@given(st.lists(st.integers(-50, 50), min_size=2, max_size=6), st.integers(0, 5), st.integers(1, 9))
def test_any_changed_entry_fails(values, where, delta):
    want = np.array(values, dtype=float)
    got = want.copy()
    got[where % len(values)] += delta
    assert run("vector", want, got.tolist()).fraction < 1


def test_multiple_choice_names_a_matching_mistake():
    opts = {"choices": ["A", "B", "C", "D"], "multiple": True}
    mistake = Mistake("plus_one_forgotten", "Remember the +1 in the output size.", {"x": ["A"]})
    assert run("choice", ["B", "D"], ["a"], [mistake], **opts).diagnosis == "plus_one_forgotten"


# -- the exact kinds, answer by answer (what a careful TA accepts and says) -----------------------------------

@pytest.mark.parametrize("raw, verdict, says", [
    ("B", "correct", ""), ("b", "correct", ""), (" B. ", "correct", ""), ("(b)", "correct", ""),
    ("A", "wrong", "'A' is not the right choice."), ("E", "invalid", "'E' is not one of the choices (A, B, C, D)."),
    (3, "invalid", "3 is not a choice"),
])
def test_choice_answers(raw, verdict, says):
    out = run("choice", "B", raw, choices=["A", "B", "C", "D"])
    assert out.verdict == verdict and says in out.feedback


@pytest.mark.parametrize("raw, verdict, says", [
    (["B", "D"], "correct", ""), ("B, D", "correct", ""), (["d", "b"], "correct", ""),
    (["B"], "wrong", "1 right choice missing."), (["B", "C", "D"], "wrong", "1 wrong choice included."),
    (["A", "C"], "wrong", "2 right choices missing; 2 wrong choices included."),
])
def test_multiple_choice_answers(raw, verdict, says):
    out = run("choice", ["B", "D"], raw, choices=["A", "B", "C", "D"], multiple=True)
    assert out.verdict == verdict and out.feedback.endswith(says) if says else out.verdict == verdict


@pytest.mark.parametrize("raw, expected, verdict", [
    (True, True, "correct"), ("T", True, "correct"), ("true", True, "correct"), ("Yes", True, "correct"),
    ("F", True, "wrong"), (False, True, "wrong"), ("false.", False, "correct"), (0, False, "correct"),
    ("maybe", True, "invalid"), (2, True, "invalid"),
])
def test_bool_answers(raw, expected, verdict):
    assert run("bool", expected, raw).verdict == verdict


@pytest.mark.parametrize("raw, verdict, says", [
    ([5, 6], "correct", ""), ("5x6", "correct", ""), ("(5, 6)", "correct", ""), ("5 × 6", "correct", ""),
    ([6, 5], "wrong", "(6, 5) is the transpose of the right one: check which axis holds the examples, and the weight's layout (out, in) or (in, out)."),
    ([5, 7], "wrong", "(5, 7): dimension 1 is 7, which is not right (1 of 2 dimensions differ)."),
    ([5, 6, 1], "wrong", "(5, 6, 1) has 3 dimension(s), but 2 are due."),
    ("five by six", "invalid", "is not a shape"), ([5, -6], "invalid", "no negative sizes"),
])
def test_shape_answers(raw, verdict, says):
    out = run("shape", (5, 6), raw)
    assert out.verdict == verdict and says in out.feedback


@pytest.mark.parametrize("raw, says", [
    (84, "84 is off by 56 (3 times the right value)."),
    (14, "14 is off by 14 (1/2 of the right value)."),
    (42, "42 is off by 14 (3/2 of the right value)."),
    (29, "29 is off by 1."),
    (-28, "Right size, wrong sign."),
    (-56, "-56 is off by 84."),
])
def test_a_count_off_by_a_simple_ratio_says_it(raw, says):
    assert run("integer", 28, raw).feedback == says


@pytest.mark.parametrize("expected, raw, digits", [
    (0.880797, "0.88", 2), (0.119203, "0.12", 2), ([0.880797, 0.119203], ["0.88", "0.12"], 2),
    ([0.880797, 116.0], ["0.9", "116"], 1),
])
def test_too_few_digits_names_the_fewest_shown(expected, raw, digits):
    kind = "vector" if isinstance(expected, list) else "number"
    out = run(kind, np.asarray(expected), raw)
    assert out.diagnosis == "too_few_digits" and out.feedback.startswith(f"Right to {digits} digit")


def test_too_few_digits_is_not_said_of_a_wrong_answer_or_an_exact_one():
    assert run("number", 0.880797, "0.87").diagnosis != "too_few_digits"  # wrong at its own precision
    assert run("number", 0.880797, "1").diagnosis != "too_few_digits"  # exact: judged by value
    assert run("vector", np.array([0.880797, 0.5]), ["0.88", "0.7"]).diagnosis != "too_few_digits"


def test_a_wrong_truth_value_says_which_was_given():
    assert run("bool", True, "F").feedback == "False is not right."
    assert run("bool", False, "yes").feedback == "True is not right."


def test_only_a_comma_outside_brackets_makes_a_bare_list():
    from gradekit.core.reader.numbers import _top_level_comma

    assert _top_level_comma("1, 25, 25") and _top_level_comma("(1, 2), 3") and _top_level_comma("[1], {2}, 3")
    assert not _top_level_comma("(1, 2)") and not _top_level_comma("[[1, 2], [3, 4]]") and not _top_level_comma("7")
    assert not _top_level_comma("f(1, (2, 3))")

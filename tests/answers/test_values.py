"""Reading raw answers: numbers with their digits, lists, LaTeX, shapes, booleans."""

import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

from gradekit.core.reader.numbers import (
    AnswerFormatError,
    parse_array,
    parse_bool,
    parse_integer,
    parse_number_text,
    parse_numeric,
    parse_shape,
)


@pytest.mark.parametrize(
    "text, value, decimals, significant",
    [
        ("0.8808", 0.8808, 4, 4),
        ("-0.0116", -0.0116, 4, 3),
        ("1.00", 1.0, 2, 3),
        ("116", 116.0, -1, -1),
        ("1e-3", 0.001, 3, 1),
        ("2.50E+2", 250.0, 0, 3),
        ("\u22120.5", -0.5, 1, 1),
        ("1/2", 0.5, -1, -1),
        ("-3/4", -0.75, -1, -1),
        (r"\frac{1}{4}", 0.25, -1, -1),
        (r"-\frac{1}{4}", -0.25, -1, -1),
    ],
)
def test_number_text_keeps_digits(text, value, decimals, significant):
    assert parse_number_text(text) == (pytest.approx(value), decimals, significant)


def test_non_finite_text():
    assert math.isnan(parse_number_text("nan")[0])
    assert parse_number_text("-inf")[0] == -math.inf


@pytest.mark.parametrize("bad", ["abc", "1/0", "1..2", "", "0x10", "__import__('os')"])
def test_bad_numbers_are_refused_in_one_line(bad):
    with pytest.raises(AnswerFormatError) as e:
        parse_number_text(bad)
    assert "\n" not in str(e.value)


def test_nested_lists_strings_and_latex_agree():
    want = [[1.0, 0.5], [3.0, -4.0]]
    assert parse_array([[1, "1/2"], ["3", -4]]).tolist() == want
    assert parse_array("[[1, 0.5], [3, -4]]").tolist() == want
    assert parse_array(r"\begin{bmatrix} 1 & 0.5 \\ 3 & -4 \end{bmatrix}").tolist() == want
    assert parse_array(r"$\left[\begin{matrix} 1 & 0.5 \\ 3 & -4 \end{matrix}\right]$").tolist() == want
    assert parse_array("[1, 0.5; 3, -4]").tolist() == want
    assert parse_array(np.array(want)).tolist() == want


@pytest.mark.parametrize(
    "bad, words",
    [
        ([[1, 2], [3]], "different lengths"),
        ([[1, 2], 3], "ragged"),
        ("[1, 2", "col 1: 1 bracket left open"),
        ([1, True], "truth value"),
        ({"a": 1}, "table"),
        ("x" * 300_000, "characters"),
    ],
)
def test_malformed_matrices_say_why(bad, words):
    with pytest.raises(AnswerFormatError, match=words):
        parse_numeric(bad)


def test_integers_shapes_bools():
    assert parse_integer("116") == 116 and parse_integer("116.0") == 116
    with pytest.raises(AnswerFormatError):
        parse_integer("116.5")
    assert parse_shape("5x6") == parse_shape("5 × 6") == parse_shape([5, 6]) == parse_shape("(5, 6)") == (5, 6)
    assert parse_shape("[1, 16, 32, 32]") == (1, 16, 32, 32)
    with pytest.raises(AnswerFormatError):
        parse_shape("five by six")
    assert parse_bool("T") is True and parse_bool("false") is False and parse_bool(True) is True
    with pytest.raises(AnswerFormatError):
        parse_bool("maybe")


@given(st.floats(allow_nan=False, allow_infinity=False, width=64))
def test_repr_round_trips(x):
    assert parse_number_text(repr(x))[0] == x


@given(st.lists(st.lists(st.integers(-1000, 1000), min_size=3, max_size=3), min_size=1, max_size=5))
def test_bracketed_text_equals_the_list(rows):
    assert parse_array(str(rows)).tolist() == np.array(rows, dtype=float).tolist()

"""A spec's ``[[parts]]`` tables read one by one (spec.catalog._parse_part): every refusal, word for word.

One case per check, and cases with two things wrong, so the order of the checks (the first one
wrong is the one an instructor reads) is pinned as well as each message.
"""

from __future__ import annotations

import pytest

from gradekit.core.errors import SpecError
from gradekit.core.records import Part
from gradekit.catalog.catalog import _parse_part

WHERE = "hw/q1.toml"
KINDS_LISTED = ("number, vector, matrix, integer, shape, choice, bool, verified, manual, expr, matrix_expr, "
                "symbolic_matrix, inequality, function")
NUMBER_OPTIONS = "atol, decimals, digits, partial, percent, public, rtol, visibility"


def test_a_good_part_keeps_its_options_and_drops_name_kind_points_and_description():
    raw = {"name": "L", "kind": "number", "points": 2, "description": "the loss", "rtol": 0.01, "partial": {"m": 0.5}}
    assert _parse_part(WHERE, 0, raw) == Part(name="L", kind="number", points=2.0, description="the loss",
                                              options={"rtol": 0.01, "partial": {"m": 0.5}})
    assert _parse_part(WHERE, 0, {"name": "c", "kind": "choice", "choices": ["a", "b"]}).points == 1.0


@pytest.mark.parametrize("raw, message", [
    (["name"], "parts[3] must be a table with name, kind and points"),
    ({"kind": "number"}, "parts[3].name is missing"),
    ({}, "parts[3].name is missing"),
    ({"name": "L"}, "parts[3].kind is missing"),
    ({"name": "", "kind": "number"}, "parts[3].name must be a non-empty string, got ''"),
    ({"name": 3, "kind": "nope"}, "parts[3].name must be a non-empty string, got 3"),
    ({"name": "L", "kind": "numbr"}, f"parts[3].kind is 'numbr', but only {KINDS_LISTED} are valid; "
                                     f"did you mean 'number'?"),
    ({"name": "L", "kind": "zz", "points": -1}, f"parts[3].kind is 'zz', but only {KINDS_LISTED} are valid"),
    ({"name": "L", "kind": "number", "points": True}, "parts[3].points must be a number >= 0, got True"),
    ({"name": "L", "kind": "number", "points": "1"}, "parts[3].points must be a number >= 0, got '1'"),
    ({"name": "L", "kind": "number", "points": -1, "rtool": 1}, "parts[3].points must be a number >= 0, got -1"),
    ({"name": "L", "kind": "number", "rtool": 1, "partial": 3},
     f"parts[3].rtool is not an option of kind 'number' (valid: {NUMBER_OPTIONS}); did you mean 'rtol', 'atol'?"),
    ({"name": "L", "kind": "number", "zzz": 1}, f"parts[3].zzz is not an option of kind 'number' (valid: {NUMBER_OPTIONS})"),
    ({"name": "L", "kind": "number", "partial": {"m": 2}, "rtol": -1},
     "parts[3].partial must map mistake ids to credit fractions in [0, 1], got {'m': 2}"),
    ({"name": "L", "kind": "number", "partial": {"m": True}},
     "parts[3].partial must map mistake ids to credit fractions in [0, 1], got {'m': True}"),
    ({"name": "L", "kind": "number", "partial": [0.5]},
     "parts[3].partial must map mistake ids to credit fractions in [0, 1], got [0.5]"),
    ({"name": "L", "kind": "number", "rtol": -1, "atol": "x"}, "parts[3].rtol must be a number >= 0, got -1"),
    ({"name": "L", "kind": "number", "atol": "x", "visibility": "no"}, "parts[3].atol must be a number >= 0, got 'x'"),
    ({"name": "L", "kind": "number", "visibility": "secret"},
     "parts[3].visibility is 'secret', but only visible, hidden, after_due_date, after_published are valid"),
    ({"name": "c", "kind": "choice", "choices": []}, "parts[3].choices must be a non-empty list of strings, got []"),
    ({"name": "c", "kind": "choice", "choices": ["a", 1]},
     "parts[3].choices must be a non-empty list of strings, got ['a', 1]"),
    ({"name": "c", "kind": "choice", "choices": "a", "visibility": "x"},
     "parts[3].visibility is 'x', but only visible, hidden, after_due_date, after_published are valid"),
])
def test_a_bad_part_is_refused_at_its_first_fault_naming_the_field(raw, message):
    with pytest.raises(SpecError) as e:
        _parse_part(WHERE, 3, raw)
    assert (e.value.where, e.value.message) == (WHERE, message)

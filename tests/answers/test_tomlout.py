"""The TOML writer behind `gradekit new problem`: what it writes reads back as the same data."""

from __future__ import annotations

import tomllib

from hypothesis import given, settings
from hypothesis import strategies as st

from gradekit.catalog import tomlout

scalars = (st.booleans() | st.integers(-10**12, 10**12) | st.floats(allow_nan=False)
           | st.text(st.characters(blacklist_categories=("Cs",)), max_size=30))
keys = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=8)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=3),
                      max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(keys, values, max_size=5))
def test_written_tables_read_back_equal(table):
    assert tomllib.loads("\n".join(tomlout.assignments(table))) == table


def test_multi_line_text_is_written_as_typed():
    assert tomlout.value("a \\frac{1}{2}\nb") == "'''\na \\frac{1}{2}\nb'''"
    assert tomllib.loads("s = " + tomlout.value("x'''\ny\n"))["s"] == "x'''\ny\n"


def test_a_string_with_newlines_in_a_list_reads_back_as_written():
    """Found by the property above: the rows' padding was put in after the text was made, so a multi-line
    string inside a list got the padding too (' \\n' read back as '     \\n')."""
    for table in ({"0": [" \n"]}, {"notes": ["a\n b", "c"]}, {"W": [[1, 2], [" \n x", 4]]}):
        assert tomllib.loads("\n".join(tomlout.assignments(table))) == table

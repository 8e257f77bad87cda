"""The answer language has one reader with one set of bounds: docs/bounds.md states them, every reader enforces
them (numbers, arithmetic, formulas alike), and the checkers read answers through it, never through intake/.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gradekit.core.reader import bounds
from gradekit.core.reader.arith import ArithError, read_expression
from gradekit.core.reader.errors import ExprError
from gradekit.core.reader.numbers import AnswerFormatError, parse_numeric
from gradekit.core.reader.parser import parse
from gradekit.core.reader.shapes import Symbols

from tests.project.test_layout import GRAPH

DOC = Path(__file__).parents[2] / "docs" / "bounds.md"
X = Symbols.declare({"x": "scalar"})


def test_the_docs_table_is_the_bounds_module():
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("## The answer language"):]
    rows = re.findall(r"^\| `(\w+)` \| ([\d,]+) \| (.+?) \|$", section, re.M)
    assert [(name, int(value.replace(",", "")), what) for name, value, what in rows] == list(bounds.TABLE)
    assert [name for name, _, _ in bounds.TABLE] == [n for n in bounds.__all__ if n != "TABLE"]
    assert all(getattr(bounds, name) == value for name, value, _ in bounds.TABLE)


def test_arithmetic_and_formulas_share_the_expression_bounds():
    just_under = "1+" * ((bounds.EXPRESSION_CHARS - 1) // 2 // 2) + "1"  # fewer parts than NODES, too
    assert len(just_under) < bounds.EXPRESSION_CHARS
    long = "1 + " * (bounds.EXPRESSION_CHARS // 4) + "1"
    with pytest.raises(ArithError, match=f"at most {bounds.EXPRESSION_CHARS} characters"):
        read_expression(long)
    with pytest.raises(ExprError, match=f"the limit is {bounds.EXPRESSION_CHARS}"):
        parse(long.replace("1", "x"), X)
    # more parts than NODES in fewer characters than the limit, side by side (not nested)
    wide = "max(" + ",".join(["1"] * (bounds.NODES + 1)) + ")"
    assert len(wide) < bounds.EXPRESSION_CHARS
    with pytest.raises(ArithError, match=f"more than {bounds.NODES} parts"):
        read_expression(wide)
    wide = r"\begin{bmatrix}" + " & ".join(["x"] * (bounds.NODES + 1)) + r"\end{bmatrix}"
    with pytest.raises(ExprError, match=f"more than {bounds.NODES} parts"):
        parse(wide, X)
    # a chain of operators nests in the tree: x+x+…+x is refused past NESTING terms, in numbers as in formulas
    with pytest.raises(ArithError, match=f"nested more than {bounds.NESTING} levels"):
        read_expression("+".join(["1"] * (bounds.NESTING + 2)))
    with pytest.raises(ExprError, match=f"nested more than {bounds.NESTING} levels"):
        parse("+".join(["x"] * (bounds.NESTING + 2)), X)
    assert read_expression("+".join(["1"] * (bounds.NESTING - 2))).value == bounds.NESTING - 2


@pytest.mark.parametrize("depth, refused", [(bounds.NESTING - 2, False), (bounds.NESTING + 1, True), (240, True),
                                            (900, True)])
def test_nesting_is_bounded_alike_and_never_runs_out_of_stack(depth, refused):
    text = "(" * depth + "1" + ")" * depth  # 240 nested brackets in a number were a RecursionError
    if refused:
        with pytest.raises(AnswerFormatError, match=f"nested more than {bounds.NESTING} levels"):
            parse_numeric(text)
        with pytest.raises(ExprError, match=f"nested more than {bounds.NESTING} levels"):
            parse(text.replace("1", "x"), X)
    else:
        assert float(parse_numeric(text).values) == 1.0
        parse(text.replace("1", "x"), X)


def test_signs_and_powers_nest_within_the_bound_too():
    with pytest.raises(ArithError, match="nested more than"):
        read_expression("-" * (bounds.NESTING + 1) + "1")
    with pytest.raises(ArithError):
        read_expression("2^" * (bounds.NESTING + 1) + "2")


def test_lists_and_answers():
    deep = "[" * (bounds.LIST_DEPTH + 2) + "1" + "]" * (bounds.LIST_DEPTH + 2)
    with pytest.raises(AnswerFormatError, match=f"nested more than {bounds.LIST_DEPTH} levels"):
        parse_numeric(deep)
    with pytest.raises(AnswerFormatError, match=f"at most {bounds.ANSWER_CHARS} are read"):
        parse_numeric("1" * (bounds.ANSWER_CHARS + 1))
    with pytest.raises(AnswerFormatError, match=f"at most {bounds.ENTRIES} are read"):
        parse_numeric([0] * (bounds.ENTRIES + 1))


def test_the_checkers_read_answers_through_the_reader_not_intake():
    """check/ is above intake/ in the layers, but what an answer says is the reader's: a checker never reaches back."""
    reaching = sorted(f"{a} -> {b}" for a, targets in GRAPH.items() if a.startswith("gradekit.check")
                      for b in targets if b.startswith("gradekit.intake"))
    assert reaching == []
    assert all(not b.startswith(("gradekit.check", "gradekit.intake")) for a, targets in GRAPH.items()
               if a.startswith("gradekit.core.reader") for b in targets)


# -- one lexer and parser: a number's arithmetic and a formula say the same thing the same way ----------------

ALIKE = [  # (written, its value as a number, and in a formula times x)
    (r"\frac12", 0.5),
    ("6 ÷ 3", 2.0),
    (r"6 \div 3", 2.0),
    ("|−2|", 2.0),
    ("σ(0)", 0.5),
    ("2^3^2", 512.0),
    ("[1 + 2] * 3", 9.0),
    ("½", 0.5),
]


@pytest.mark.parametrize("written, value", ALIKE, ids=[c[0] for c in ALIKE])
def test_a_number_and_a_formula_read_the_same_text_alike(written, value):
    from gradekit.check.expr import check_formula, declare

    assert read_expression(written).value == pytest.approx(value)
    assert check_formula(f"({written}) x", f"{value!r} x", declare(["x"])).verdict == "correct"


@pytest.mark.parametrize("typo, col", [("1..2", 3), ("11..6", 4), ("1.2.3", 4)])
def test_numbers_run_together_are_refused_alike(typo, col):
    with pytest.raises(ArithError, match=f"at character {col}: two numbers run together"):
        read_expression(typo)
    with pytest.raises(ExprError, match=f"col {col}: two numbers run together"):
        parse(f"{typo} x", X)  # it was 1 × .2 x


def test_arithmetic_has_no_parser_of_its_own():
    import gradekit.core.reader.arith as arith

    assert arith.parse_arithmetic.__module__ == "gradekit.core.reader.parser"
    assert not [name for name in vars(arith) if name.lstrip("_").lower() in ("tokens", "token", "parser")]


def test_every_package_of_the_engine_ships_in_the_wheel():
    """A sub-package left out of pyproject's list is missing from the wheel and the Gradescope bundle."""
    import tomllib

    root = Path(__file__).parents[2]
    listed = set(tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(root).parts) for p in (root / "gradekit").rglob("__init__.py")}
    assert found - listed == set()


def test_a_latex_matrix_is_a_list_its_entries_each_an_expression():
    """A 30×30 LaTeX matrix is longer than one expression may be: each entry is bounded, not the matrix."""
    rows = [" & ".join(f"{i * 30 + j}.5" for j in range(30)) for i in range(30)]
    big = r"\begin{bmatrix}" + r" \\ ".join(rows) + r"\end{bmatrix}"
    assert len(big) > bounds.EXPRESSION_CHARS
    got = parse_numeric(big)
    assert got.values.shape == (30, 30) and got.values[29, 29] == 899.5 and got.decimals[0, 0] == 1
    entry = "+".join(["1"] * (bounds.NESTING + 2))  # one entry past the bound of one expression
    with pytest.raises(AnswerFormatError, match=f"the LaTeX matrix: col [0-9]+: the answer is nested more than {bounds.NESTING}"):
        parse_numeric(r"\begin{bmatrix}" + entry + r" & 1 \end{bmatrix}")

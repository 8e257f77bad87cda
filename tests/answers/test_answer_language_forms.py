"""The forms real students write that the answer language refused (issue 34), each read as a TA reads it, in every
answers file type a written answer reaches gradekit through: a .py, .json or .toml answers file and a notebook's
tagged Markdown cell (where students type LaTeX). Every reading that is not the literal value is said.
"""

from __future__ import annotations

import json

import nbformat
import pytest
from nbformat import v4

from gradekit.grading.grade import grade
from tests.answers.test_answers_as_written import part_of, write_as  # every problem here is qualified

SUFFIXES = (".py", ".json", ".toml", ".ipynb")
DW1 = "ece661-hw1/q3.1"
RIGHT_DW1 = "((W2ᵀ(x3 − t)) ∘ x2 ∘ (1 − x2)) x1ᵀ"
# coms573-hw5/q3a's A (the 4×8 matrix of a 1-D convolution) with every w typed as a capital W
CAPITAL_A = ("[[W_1^{11}, W_2^{11}, W_3^{11}, 0, W_1^{21}, W_2^{21}, W_3^{21}, 0], "
             "[0, W_1^{11}, W_2^{11}, W_3^{11}, 0, W_1^{21}, W_2^{21}, W_3^{21}], "
             "[W_1^{12}, W_2^{12}, W_3^{12}, 0, W_1^{22}, W_2^{22}, W_3^{22}, 0], "
             "[0, W_1^{12}, W_2^{12}, W_3^{12}, 0, W_1^{22}, W_2^{22}, W_3^{22}]]")

INVALID = "invalid"
# (problem, part, written, verdict, words the feedback or the reading holds)
FORMS = [
    # arithmetic inside a shape's sizes: (1, 288), never four sizes
    ("ece661-hw1/lab2b", "fc1.input_shape", "(1, 32*3*3)", "correct", "read '(1, 32*3*3)' as (1, 288)"),
    ("ece661-hw1/lab2b", "fc1.weight_shape", "(32, 32*3*3)", "correct", "as (32, 288)"),
    ("ece661-hw1/lab2b", "fc1.input_shape", r"[1, 32 \cdot 9]", "correct", r"read '[1, 32 \cdot 9]' as (1, 288)"),
    ("ece661-hw1/lab2b", "fc1.input_shape", "(1, 32, 3, 3)", "wrong", "4 dimension(s), but 2 are due"),
    ("ece661-hw1/lab2b", "conv1.weight_shape", r"16 \times 3 \times 5 \times 5", "correct", "as (16, 3, 5, 5)"),
    ("ece661-hw1/lab2b", "conv1.weight_shape", "16 x 3 x 5 x 5", "correct", ""),
    ("ece661-hw1/lab2b", "fc1.input_shape", r"\left[ 1, 288 \right]", "correct", ""),
    ("ece661-hw1/lab2b", "fc1.input_shape", "(1, 32*)", INVALID, "col 8: expected an expression, found ')'"),
    # \left[ … \right] around a vector
    ("ece661-hw1/q3.2", "dL/db2", r"\left[ 14, 6 \right]", "correct", ""),
    ("ece661-hw1/q3.2", "dL/db2", r"\left( 14, 6 \right)", "correct", ""),
    # a number times a LaTeX matrix
    ("ece661-hw1/q3.2", "dL/dW2", r"\frac14\begin{bmatrix} 0 & 392 \\ 0 & 168 \end{bmatrix}", "correct",
     "as 1/4 times the matrix"),
    ("ece661-hw1/q3.2", "dL/dW2", r"2 \cdot \begin{bmatrix} 0 & 49 \\ 0 & 21 \end{bmatrix}", "correct",
     "as 2 times the matrix"),
    ("ece661-hw1/q3.2", "dL/dW2", r"\frac12\begin{bmatrix} 0 & 98 \\ 0 & 42 \end{bmatrix}", "wrong", "1/2 times"),
    ("ece661-hw1/q3.2", "dL/dW2", r"x\begin{bmatrix} 0 & 98 \\ 0 & 42 \end{bmatrix}", INVALID,
     "the LaTeX matrix: col 1: unknown name 'x'"),
    ("ece661-hw1/q3.2", "dL/dW2", r"\frac12\begin{bmatrix} 0 & 0 \\ 196 & 84 \end{bmatrix}^T", "correct", "1/2 times"),
    ("ece661-hw1/q3.2", "dL/dW2", r"\begin{bmatrix} 0 & 98 \\ 0 & 42 \end{pmatrix}", INVALID,
     r"the LaTeX matrix: col 34: \end{pmatrix} closes \begin{bmatrix} at col 1"),
    ("ece661-hw1/q3.2", "dL/dW2", r"\begin{array}{cc} 0 & 98 \\ 0 & 42 \end{array}", "correct", ""),
    # a LaTeX left-hand side naming the part, for numbers as for formulas
    ("ece661-hw1/q3.2", "dL/dW2", r"\frac{\partial L}{\partial W_2} = \begin{bmatrix} 0 & 98 \\ 0 & 42 \end{bmatrix}",
     "correct", ""),
    ("ece661-hw1/q3.2", "dL/dW2", r"\frac{\partial L}{\partial W_1} = [[0, 98], [0, 42]]", INVALID,
     r"the answer starts with '\frac{\partial L}{\partial W_1}' =, but this part is 'dL/dW2'"),
    # an equation whose first steps are in names and whose last member is the value
    ("coms573-hw5/q1", "params", "K x K x C_in x C_out = 3*3*128*256 + 3*3*256*512 = 1474560", "correct",
     "as 1474560, its last value (the step 'K x K x C_in x C_out' in names is not checked)"),
    ("coms573-hw5/q1", "params", r"K \times K \times C_{in} \times C_{out} = 1474560", "correct", "as 1474560"),
    ("coms573-hw5/q1", "params", "K x K x C_in x C_out = 3*3*128*256 + 3*3*256*512 = 1474561", INVALID,
     "disagree"),
    ("coms573-hw5/q1", "params", "L = 1474560", INVALID, "give the value alone"),  # a name, not a formula
    # lists as students write them, read by the one parser: MATLAB's rows, numpy's printed rows, tuples, entries
    # in math mode or as a percent; a list that goes wrong is refused at its column
    ("ece661-hw1/q3.2", "dL/dW2", "[0, 98; 0, 42]", "correct", ""),
    ("ece661-hw1/q3.2", "dL/dW2", "[[ 0. 98.]\n [ 0. 42.]]", "correct", ""),
    ("ece661-hw1/q3.2", "dL/dW2", "((0, 98), (0, 42))", "correct", ""),
    ("ece661-hw1/q3.2", "dL/db2", "[$14$, $\\frac{12}{2}$]", "correct", ""),
    ("ece661-hw1/q3.2", "dL/db2", "[14 -6]", "wrong", ""),  # numpy's row: 14 and −6, not 14 − 6
    ("ece661-hw1/q3.2", "dL/db2", "[14, 6)", INVALID, "col 7: ')' does not match '[' at col 1"),
    ("ece661-hw1/q3.2", "dL/db2", "[14, , 6]", INVALID, "col 6: an empty entry before ','"),
    ("ece661-hw1/q3.2", "dL/dW2", "[[0, 98], [0, 42]", INVALID, "'[' at col 1 is never closed"),
    ("ece661-hw1/q3.2", "dL/dW2", "[[0, 98]; [0, 42]]", INVALID, "col 9: ';' separates rows of numbers only"),
    ("ece661-hw1/q3.2", "dL/db2", "[14, six]", INVALID, "col 6: unknown name 'six'"),
    ("ece661-hw1/lab2b", "fc1.input_shape", "(1 288)", "correct", ""),  # a tuple printed without its comma
    ("ece661-hw1/lab2b", "fc1.input_shape", "(1, 288", INVALID, "'(' at col 1 is never closed"),
    ("ece661-hw1/lab2b", "conv1.weight_shape", "16 x 3 x 5 x", INVALID, "col 13: expected a size"),
    # one rule for a left-hand side, in numbers and formulas alike: the part's name is dropped, another refused
    ("ece661-hw1/q3.2", "dL/db2", "dL/db2 = [14, 6]", "correct", ""),
    ("ece661-hw1/q3.2", "dL/db2", "dL/db1 = [14, 6]", INVALID, "starts with 'dL/db1' =, but this part is 'dL/db2'"),
    (DW1, "dL/dW1", f"dL/dW1 = {RIGHT_DW1}", "correct", "read the right-hand side"),
    (DW1, "dL/dW1", f"dL/dW2 = {RIGHT_DW1}", INVALID, "starts with 'dL/dW2' =, but this part is 'dL/dW1'"),
    # labelled entries for a vector
    ("coms573-hw5/q2a", "mu", "µ1 = 13, µ2 = 5, µ3 = 0", "correct", "read the assignments µ_1 … µ_3"),
    ("coms573-hw5/q2a", "mu", "μ1 = 13, μ2 = 5, μ3 = 0", "correct", "read the assignments"),
    ("coms573-hw5/q2a", "mu", "µ1 = 13, µ2 = 5, µ3 = 1", "wrong", "read the assignments"),
    # a formula in display delimiters with its left-hand side; a trailing shape note
    (DW1, "dL/dW1", rf"$$\frac{{\partial L}}{{\partial W_1}} = {RIGHT_DW1}$$", "correct",
     r"read the right-hand side of '\frac{\partial L}{\partial W_1} = …'"),
    (DW1, "dL/dW1", rf"\[ \frac{{\partial L}}{{\partial W_1}} = {RIGHT_DW1} \]", "correct", "read the right-hand side"),
    (DW1, "dL/dW1", rf"\[ \frac{{\partial L}}{{\partial W_2}} = {RIGHT_DW1} \]", INVALID, "but this part is 'dL/dW1'"),
    (DW1, "dL/dW1", RIGHT_DW1 + r" \in \R^{k x m}", "correct", r"read without the shape note '\in \R^{k x m}'"),
    # a capital letter for the one lower-case symbol it can mean
    ("coms573-hw5/q3a", "A", CAPITAL_A, "correct", "read 'W_1^{11}' as w_1^{11} (and 11 more names"),
    ("ece449-a2/p4", "dE/dz_x", "Q_x - p_x", INVALID, "did you mean 'q_x'?"),  # an unscripted name: refused
]


@pytest.mark.parametrize("problem, part, written, verdict, words", FORMS, ids=[f"{c[1]}={c[2][:40]!r}" for c in FORMS])
def test_the_forms_students_write_in_every_file_type(tmp_path, problem, part, written, verdict, words):
    for suffix in SUFFIXES:
        got = part_of(grade(write_as(tmp_path, suffix, {problem: {part: written}})), problem, part)
        assert got.verdict == verdict or (verdict == "wrong" and got.verdict == "partial"), (suffix, got)
        assert words in f"{got.feedback} {got.reading}", (suffix, got)


def test_a_reading_that_is_not_literal_is_said_once_in_the_json_report(tmp_path):
    report = grade(write_as(tmp_path, ".json", {"ece661-hw1/lab2b": {"fc1.input_shape": "(1, 32*3*3)"}}))
    (part,) = [p for prob in report.to_dict()["problems"] for p in prob["parts"] if p.get("reading")]
    assert part["verdict"] == "correct" and part["reading"] == "read '(1, 32*3*3)' as (1, 288)"


# -- a note key beside the answers -------------------------------------------------------------------------------

NOTED = [
    {"_source": "typed from my PDF", "ece661-hw1/q3.2": {"L": 116}},  # beside the problems
    {"ece661-hw1/q3.2": {"_source": "typed from my PDF", "L": 116}},  # beside the parts
]


@pytest.mark.parametrize("suffix", [".json", ".py", ".toml"])
@pytest.mark.parametrize("answers", NOTED, ids=["top", "parts"])
def test_a_note_key_is_left_aside_and_said(tmp_path, suffix, answers):
    path = tmp_path / f"answers{suffix}"
    if suffix == ".json":
        path.write_text(json.dumps(answers))
    elif suffix == ".py":
        path.write_text(f"ANSWERS = {answers!r}\n")
    else:
        top = "".join(f"{k} = {json.dumps(v)}\n" for k, v in answers.items() if isinstance(v, str))
        path.write_text(top + "".join(f"[{json.dumps(p)}]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in parts.items())
                                      for p, parts in answers.items() if isinstance(parts, dict)))
    report = grade(path)
    assert part_of(report, "ece661-hw1/q3.2", "L").verdict == "correct"
    assert report.notes == ['left aside the note "_source" (a key that starts with \'_\' is not graded)'], report.notes


def test_a_notebooks_answers_binding_says_its_note(tmp_path):
    path = tmp_path / "hw.ipynb"
    cells = [v4.new_code_cell('ANSWERS = {"_source": "my PDF", "ece661-hw1/q3.2": {"L": 116}}')]
    path.write_text(nbformat.writes(v4.new_notebook(cells=cells)))
    report = grade(path)
    assert part_of(report, "ece661-hw1/q3.2", "L").verdict == "correct"
    assert any("left aside the note \"_source\"" in n for n in report.notes), report.notes


# -- a JSON float's digits ---------------------------------------------------------------------------------------

# ece449-a2/p6's named mistake jacobian_order_reversed is [0.07472638, 0.30997224]; a JSON writer prints 0.3100 as 0.31
JSON_FLOATS = [
    ([0.07473, 0.31], "partial", "jacobian_order_reversed", "read the JSON number 0.31 as precise as asked"),
    (["0.07473", "0.3100"], "partial", "jacobian_order_reversed", ""),  # the same digits typed as text
    ([0.07473, 0.3], "wrong", None, ""),  # 0.3000 is not 0.30997
    ([0.08173, 0.31], "correct", None, "read the JSON number 0.31"),
]


@pytest.mark.parametrize("written, verdict, diagnosis, reading", JSON_FLOATS, ids=[str(c[0]) for c in JSON_FLOATS])
def test_a_json_float_may_have_lost_its_trailing_zeros(tmp_path, written, verdict, diagnosis, reading):
    path = tmp_path / "answers.json"
    path.write_text(json.dumps({"ece449-a2/p6": {"jacobian_norms": written}}))
    got = part_of(grade(path), "ece449-a2/p6", "jacobian_norms")
    assert (got.verdict, got.diagnosis) == (verdict, diagnosis), got
    assert reading in got.reading, got


def test_digits_typed_as_text_are_read_as_written():
    """A .py literal, a TOML file and a notebook cell keep the text typed: 0.31 there is two digits, too few."""
    from gradekit.core.reader.numbers import FloatText, parse_numeric

    assert parse_numeric(FloatText("0.31")).zeros_dropped is not None
    assert parse_numeric(FloatText("0.3100")).zeros_dropped is None  # its writer kept the zeros: as written
    assert parse_numeric("0.31").zeros_dropped is None

"""Answers as real students write them, round 2: the tolerance policy saying one thing, forms that were
refused or read silently as something else, each graded in every file type a form reaches through.

The written forms come from the peers' own grading test suites (numeric, array, formula and bad-input
cases) and from real students' homework reports, transcribed as written.
"""

from __future__ import annotations

import json
import math
import re

import nbformat
import numpy as np
import pytest
from nbformat import v4

from gradekit.check.context import CheckContext
from gradekit.check.kinds import checker_for
from gradekit.check.numeric import Policy
from gradekit.core.records import Part
from gradekit.grading.answers import grade_answers
from gradekit.grading.grade import grade
from gradekit.catalog.catalog import load_catalog
from gradekit.catalog.variants import variant

CAT = load_catalog()
SUFFIXES = (".py", ".json", ".toml", ".ipynb")


def check(kind, expected, raw, **options):
    part = Part(name="x", kind=kind, points=1, options=options)
    return checker_for(kind)(expected, raw, CheckContext(part))


def part_of(report, problem, part):
    return next(p for prob in report.problems if f"{prob.assignment}/{prob.id}" == problem
                for p in prob.parts if p.name == part)


def write_as(tmp_path, suffix, answers: dict) -> "Path":  # noqa: F821
    """``{problem: {part: written}}`` as a student's file of that type (strings stay strings)."""
    path = tmp_path / f"answers{suffix}"
    if suffix == ".json":
        path.write_text(json.dumps(answers))
    elif suffix == ".toml":
        path.write_text("".join(f"[{json.dumps(p)}]\n" + "".join(f"{json.dumps(k)} = {json.dumps(v)}\n"
                                                                   for k, v in parts.items())
                                for p, parts in answers.items()))
    elif suffix == ".py":
        path.write_text(f"ANSWERS = {answers!r}\n")
    else:
        cells = [v4.new_markdown_cell("# my homework")]
        for p, parts in answers.items():
            for k, v in parts.items():
                cell = v4.new_markdown_cell(v if isinstance(v, str) else json.dumps(v))
                cell.metadata["tags"] = [f"answer:{p}:{k}" if "/" in p else f"answer:{p}/{k}"]
                cells.append(cell)
        path.write_text(nbformat.writes(v4.new_notebook(cells=cells)))
    return path


# -- 1. the tolerance policy says one thing ----------------------------------------------------------------

# (expected, written, part options, verdict): the rule of docs/answers.md, "at least as close as the reference rounded
# or truncated to that precision", and a stated rtol/atol as a bound the digits rule cannot widen
TOLERANCE = [
    (1474560, "1.47e6", {"digits": 3}, "correct"),  # truncated (and rounded)
    (1474560, "1.475e6", {"digits": 3}, "correct"),  # closer, more digits
    (1474560, "1.48e6", {"digits": 3}, "wrong"),  # one unit up: neither rounded nor truncated
    (-1474560, "-1.48e6", {"digits": 3}, "wrong"),
    (-1474560, "-1.47e6", {"digits": 3}, "correct"),
    (0.880797, "0.881", {}, "correct"),  # rounded
    (0.880797, "0.880", {}, "correct"),  # truncated
    (0.880797, "0.882", {}, "wrong"),  # one unit above the rounded value
    (0.880797, "0.879", {}, "wrong"),
    (0.1192, "0.119", {}, "correct"),
    (0.11979, "0.120", {}, "correct"),  # rounded up
    (0.11979, "0.119", {}, "correct"),  # truncated
    (0.11979, "0.121", {}, "wrong"),
    (0.11929, "0.120", {}, "wrong"),  # 0.119 rounded and truncated: 0.120 is one unit up
    (10.0, "10.04", {"atol": 0.01}, "wrong"),  # the digits rule read it as 10.0 before: a bound is a bound
    (10.0, "10.009", {"atol": 0.01}, "correct"),
    (10.0, "10.0", {"atol": 0.01}, "correct"),
    (10.0, "10", {"atol": 0.01}, "correct"),
    (0.1234, "0.123", {"rtol": 1e-3}, "wrong"),  # 3.2e-3 off: outside the stated bound
    (0.12341, "0.1234", {"rtol": 1e-3}, "correct"),
    (0.9996, "1.00", {"rtol": 1e-3, "digits": 4}, "wrong"),  # inside the bound, but 3 digits where 4 are asked
    (0.9996, "0.9996", {"rtol": 1e-3, "digits": 4}, "correct"),
    (0.99962, "0.9996", {"rtol": 1e-3, "digits": 4}, "correct"),
    (0.9996, "0.9996000001", {"rtol": 1e-3, "digits": 4}, "correct"),
    (0.88079708, "0.880797", {"digits": 4}, "correct"),
    (0.88079708, "0.881", {"digits": 4}, "wrong"),
]


@pytest.mark.parametrize("expected, written, options, verdict", TOLERANCE,
                         ids=[f"{c[0]}:{c[1]}:{c[2]}" for c in TOLERANCE])
def test_the_tolerance_rule_is_the_readmes(expected, written, options, verdict):
    assert check("number", expected, written, **options).verdict == verdict


def test_the_answers_page_states_the_rule_the_code_applies():
    from pathlib import Path

    readme = " ".join((Path(__file__).resolve().parents[2] / "docs" / "answers.md").read_text().split())
    assert "rounded *or truncated* to that precision (never one unit up)" in readme
    assert "a part's `rtol` and `atol` are a bound the digits rule cannot widen" in readme
    assert "replace the relative" not in readme
    assert "offered only where the family's mistake model names it" in readme


@pytest.mark.parametrize("options", [{}, {"digits": 3}, {"digits": 4, "rtol": 1e-3}, {"decimals": 2},
                                     {"atol": 0.01}])
def test_monotone_in_accuracy_under_each_policy(options):
    """Closer to the reference never scores less, among answers showing enough digits (hypothesis)."""
    from hypothesis import given, settings, strategies as st

    checked = []

    @settings(max_examples=200, deadline=None)
    @given(st.floats(1e-4, 1e7), st.integers(0, 8), st.integers(0, 8), st.floats(-0.02, 0.02),
           st.floats(-0.02, 0.02), st.booleans())
    def closer_never_loses(e, d1, d2, r1, r2, negative):
        e = -e if negative else e
        a1, a2 = f"{e * (1 + r1):.{d1}f}", f"{e * (1 + r2):.{d2}f}"
        v = [check("number", e, a, **options) for a in (a1, a2)]
        if any(o.diagnosis == "too_few_digits" for o in v) or abs(float(a1) - e) == abs(float(a2) - e):
            return
        checked.append(1)
        near, far = (0, 1) if abs(float(a1) - e) < abs(float(a2) - e) else (1, 0)
        assert v[near].fraction >= v[far].fraction, (e, a1, a2, v)

    closer_never_loses()
    assert len(checked) >= 50


_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
_STATED = re.compile(r"at least (\d+|two|three|four|five|six) (significant digits|decimals|decimal places)")
NUMERIC = ("number", "vector", "matrix")


def _numeric_problems():
    return [p for p in CAT.problems() if any(part.kind in NUMERIC for part in p.parts)]


def _digits_text(values: np.ndarray, digits: int, truncate: bool = False) -> list:
    """Each entry written with ``digits`` significant digits, rounded or truncated toward zero."""
    def one(v: float) -> str:
        if v == 0:
            return "0"
        if not truncate:
            return f"{v:.{digits - 1}e}"
        exp = math.floor(math.log10(abs(v)))
        mantissa = str(math.trunc(abs(v) / 10.0 ** (exp - digits + 1) * (1 + 1e-12)))
        return ("-" if v < 0 else "") + f"{mantissa[0]}.{mantissa[1:]}e{exp}"

    arr = np.asarray(values, dtype=float)
    return one(float(arr)) if arr.ndim == 0 else np.vectorize(one, otypes=[object])(arr).tolist()


@pytest.mark.parametrize("problem", _numeric_problems(), ids=lambda p: p.qualified_id)
def test_every_statement_and_its_check_ask_the_same_precision(problem):
    """What a statement asks ("at least 4 significant digits") is what its parts check: the reference at that
    precision, rounded or truncated, is right; one digit fewer is refused where it loses anything."""
    m = _STATED.search(" ".join(problem.statement.split()))
    stated = None if m is None else (int(_WORDS.get(m.group(1), m.group(1) if m.group(1).isdigit() else 0)),
                                     "digits" if "significant" in m.group(2) else "decimals")
    concrete = variant(CAT, CAT.checked(problem), None)
    answers = CAT.solve(concrete).answers
    for part in problem.parts:
        if part.kind not in NUMERIC:
            continue
        policy = Policy.of(part.options)
        if stated is None:
            assert policy.digits is None and policy.decimals is None, (part.name, "a precision the statement "
                                                                                   "does not state")
            continue
        assert stated[1] == "digits", "decimals: extend this test"
        assert policy.digits == stated[0], (part.name, policy)
        exact = np.asarray(answers[part.name], dtype=float)
        for truncate in (False, True):
            written = _digits_text(exact, stated[0], truncate)
            got = part_of(grade_answers({problem.qualified_id: {part.name: written}}), problem.qualified_id,
                          part.name)
            assert got.verdict == "correct", (part.name, written, got.feedback)
        fewer = np.asarray([float(x) for x in np.ravel(_digits_text(exact, stated[0] - 1))]).reshape(exact.shape)
        if np.any(np.abs(fewer - exact) > 1e-5 * np.abs(exact)):
            got = part_of(grade_answers({problem.qualified_id: {part.name: _digits_text(exact, stated[0] - 1)}}),
                          problem.qualified_id, part.name)
            assert got.verdict != "correct", (part.name, got)


def test_the_statements_that_ask_four_digits_are_checked():
    asked = {p.qualified_id for p in _numeric_problems() if _STATED.search(" ".join(p.statement.split()))}
    assert {"ece449-a2/p5", "ece449-a2/p6", "ece449-a2/p1", "ece661-hw1/lab1"} <= asked


# -- a constant factor earns credit only where the family names it ----------------------------------------

@pytest.mark.parametrize("written, verdict, diagnosis, score", [
    ("232", "partial", "half_dropped", 0.5),  # backprop.mlp2 names it: L = (t − x3)ᵀ(t − x3) without the ½
    ("14.5", "wrong", "constant_factor", 0.0),  # 1/8 of L (another year's numbers): said, never credited
    ("58", "wrong", "constant_factor", 0.0),  # ½ of L: not a mistake the family models
    ("116", "correct", None, 1.0),
])
def test_factor_credit_only_for_the_familys_named_factor(tmp_path, written, verdict, diagnosis, score):
    for suffix in SUFFIXES:
        got = part_of(grade(write_as(tmp_path, suffix, {"ece661-hw1/q3.2": {"L": written}})), "ece661-hw1/q3.2",
                      "L")
        assert (got.verdict, got.diagnosis, got.score) == (verdict, diagnosis, score), (suffix, got)


def test_a_generic_factor_is_never_credited_whatever_the_spec_says():
    out = check("matrix", [[0, 98], [0, 42]], [[0, 49], [0, 21]], partial={"constant_factor": 0.5})
    assert (out.diagnosis, out.fraction) == ("constant_factor", 0.0)


# -- one answer a computing .py cannot return costs only its part -------------------------------------------

COSTLY = [
    ("class Same:\n    def __eq__(self, other):\n        return True\n\nL = Same()\n",
     "is an object of type answers.Same"),
    ("L = [[0.0] * 10_000] * 10_000  # 10^8 values, two lists\n", "more than 200000 values"),
    ("import numpy as np\nL = np.zeros((2000, 1000))\n", "too large"),
]


@pytest.mark.parametrize("prelude, reason", COSTLY, ids=["always-equal", "1e8-list", "big-array"])
@pytest.mark.parametrize("suffix", [".py", ".ipynb"])
def test_an_answer_that_cannot_be_returned_costs_only_its_part(tmp_path, prelude, reason, suffix):
    body = prelude + "ANSWERS = {'ece661-hw1/q3.2': {'L': L, 'dL/db2': [14, 6], 'dL/db1': [0, 34]}}\n"
    if suffix == ".py":
        path = tmp_path / "answers.py"
        path.write_text(body)
    else:
        path = tmp_path / "answers.ipynb"
        path.write_text(nbformat.writes(v4.new_notebook(cells=[v4.new_code_cell(body)])))
    report = grade(path)
    l_part = part_of(report, "ece661-hw1/q3.2", "L")
    assert l_part.verdict == "invalid" and reason in l_part.feedback, l_part
    assert "did not finish" not in l_part.feedback
    assert part_of(report, "ece661-hw1/q3.2", "dL/db2").verdict == "correct"
    assert part_of(report, "ece661-hw1/q3.2", "dL/db1").verdict == "correct"


def test_a_forged_marker_is_plain_data():
    """A student's own {"unreadable:…": …} table is an answer like any other, never a marker."""
    from gradekit.intake.submission import Unreadable, _mark_unreadable

    answers = {"q3.2": {"L": {"unreadable:00": "x"}}}
    assert _mark_unreadable(answers, "unreadable:ab") == answers
    assert _mark_unreadable({"q3.2": {"L": {"unreadable:ab": "why"}}}, "unreadable:ab") == \
        {"q3.2": {"L": Unreadable("why")}}


# -- 2. nothing read silently as something else -------------------------------------------------------------

def terminal_text(report) -> str:
    from rich.console import Console

    from gradekit.output.terminal import report as render

    console = Console(width=400, record=True, color_system=None)
    render(console, report)
    return " ".join(console.export_text().split())


# (problem, key as written, written, the reading said): every reading that is not the literal value
READINGS = [
    ("coms573-hw5/q1", "params", "3*3*128*256 + 3*3*256*512", "read '3*3*128*256 + 3*3*256*512' as 1474560"),
    ("ece661-hw1/q3.2", "L", r"\frac{1}{2}(14^2 + 6^2)", r"read '\frac{1}{2}(14^2 + 6^2)' as 116"),
    ("ece661-hw1/q3.2", "dL/db1", [[0], [34]], "read the 2×1 column as a vector of 2"),
    ("ece661-hw1/q3.2", "L", [116], "read the list of 1 as a single number"),
    ("ece661-hw1/q3.2", "dl/dw1", [[0, 0, 0], [34, 34, -34]], "matched key 'dl/dw1' to 'dL/dW1'"),
    ("coms573-hw5/q2a", "mu", "[2*6.5, 5, 0]", "read '2*6.5' as 13"),
]


@pytest.mark.parametrize("problem, key, written, reading", READINGS, ids=[c[3][:40] for c in READINGS])
def test_every_reading_is_said_in_the_terminal_and_the_json(tmp_path, problem, key, written, reading):
    for suffix in SUFFIXES:
        if suffix == ".ipynb" and not isinstance(written, str):
            continue  # a notebook's tagged cell is text
        report = grade(write_as(tmp_path, suffix, {problem: {key: written}}))
        shown = terminal_text(report)
        assert reading in shown, (suffix, shown)
        assert "\\\\" not in shown  # backslashes as written, never doubled
        (part,) = [p for prob in report.to_dict()["problems"] for p in prob["parts"] if p.get("reading")]
        assert part["verdict"] == "correct" and reading in part["reading"], (suffix, part)


def test_a_wrong_answer_says_its_reading_once():
    report = grade_answers({"coms573-hw5/q1": {"params": "3*3*128*256"}})
    shown = terminal_text(report)
    assert shown.count("read '3*3*128*256' as 294912") == 1, shown


# -- 3 and 4. forms a TA reads at once, and typos never read as numbers ---------------------------------------

INVALID = "invalid"
# (problem, part, written, verdict, words the feedback or reading must hold)
FORMS = [
    # equation chains ending in the value: the last value, once the steps agree
    ("ece661-hw1/q3.2", "L", "0.5 * (14^2 + 6^2) = 116", "correct", "its last value"),
    ("ece661-hw1/q3.2", "L", "196/2 + 36/2 = 98 + 18 = 116", "correct", "its last value"),
    ("ece661-hw1/q3.2", "L", "98 + 18 = 117", INVALID, "disagree: 98 + 18 is 116, not 117"),
    ("ece661-hw1/q3.2", "L", "98 + 18 = 118", INVALID, "disagree"),
    ("coms573-hw5/q1", "params", "3*3*128*256 + 3*3*256*512 = 1474560", "correct", "as 1474560"),
    ("ece449-a2/p5", "q", "[e^2/(1+e^2) = 0.8808, 0.1192]", "correct", "its last value"),
    ("ece449-a2/p5", "q", "[e^2/(1+e^2) = 0.8809, 0.1192]", INVALID, "disagree"),  # one unit up
    # min, max and abs in numbers; the em dash and U+2212 as minus
    ("coms573-hw5/q2a", "mu", "[max(13, 0), abs(-5), min(0, 1)]", "correct", "read 'max(13, 0)' as 13"),
    ("ece661-hw1/q3.2", "dL/db2", "[14, 6]", "correct", ""),
    ("ece661-hw1/q3.2", "dL/dW2", "[[0, 98], [0, 42]]", "correct", ""),
    ("ece449-a2/p5", "dE/dz", "[0.5808, \u22120.5808]", "correct", ""),
    ("ece449-a2/p5", "dE/dz", "[0.5808, \u20140.5808]", "correct", ""),
    # pasted shapes: what the seed's lab code prints
    ("ece661-hw1/lab2b", "conv1.input_shape", "torch.Size([1, 3, 32, 32])", "correct", ""),
    ("ece661-hw1/lab2b", "conv1.output_shape", "torch.Size([1, 16, 28, 28])", "wrong", ""),
    # a choice named inside a few words; two choices named are refused
    ("ece661-hw1/q2.1", "function", "OR gate", "correct", "read 'OR gate' as the choice 'OR'"),
    ("ece661-hw1/q2.1", "function", "logical OR function", "correct", "as the choice 'OR'"),
    ("ece661-hw1/q2.1", "function", "Constant True (Tautology)", "wrong", "as the choice 'TRUE'"),
    ("ece661-hw1/q2.1", "function", "an OR gate, not an AND gate", INVALID, "choices"),
    ("ece661-hw1/q2.1", "function", "XOR gate", "wrong", "as the choice 'XOR'"),
    # seed-style multi-assignments for a vector
    ("coms573-hw5/q2a", "mu", "$\\mu_1=13$, $\\mu_2=5$, $\\mu_3=0$", "correct", "read the assignments mu_1 … mu_3"),
    ("coms573-hw5/q2a", "mu", "$\\mu_1=13$, $\\mu_2=5$, $\\mu_3=1$", "wrong", "read the assignments"),
    # typos refused with the position, never read as another number
    ("ece661-hw1/q3.2", "L", "1..2", INVALID, "at character 3"),
    ("ece661-hw1/q3.2", "L", "11..6", INVALID, "at character 4"),
    ("ece661-hw1/q3.2", "L", "(100+16]", INVALID, "'(' at character 1 is closed by ']' at character 8"),
    ("ece661-hw1/q3.2", "L", "((100+16)", INVALID, "1 bracket left open"),
    ("ece661-hw1/q3.2", "dL/db1", "[[0; 34]]", INVALID, "col 4: ';' separates rows"),
    ("ece661-hw1/q3.2", "dL/db1", "[0; 34]", "correct", ""),
]


@pytest.mark.parametrize("problem, part, written, verdict, words", FORMS, ids=[f"{c[1]}={c[2][:40]!r}" for c in FORMS])
def test_forms_as_students_write_them_in_every_file_type(tmp_path, problem, part, written, verdict, words):
    for suffix in SUFFIXES:
        report = grade(write_as(tmp_path, suffix, {problem: {part: written}}))
        got = part_of(report, problem, part)
        assert got.verdict == verdict or (verdict == "wrong" and got.verdict == "partial"), (suffix, got)
        said = f"{got.feedback} {got.reading}"
        assert words in said, (suffix, got)
        assert words in terminal_text(report) or verdict == INVALID and words in got.feedback


def test_a_vector_given_as_assignments_leaves_the_next_part_alone(tmp_path):
    answers = {"coms573-hw5/q2a": {"mu": "$\\mu_1=13$, $\\mu_2=5$, $\\mu_3=0$", "var": "[1, 25, 25]"}}
    for suffix in SUFFIXES:
        report = grade(write_as(tmp_path, suffix, answers))
        assert [part_of(report, "coms573-hw5/q2a", p).verdict for p in ("mu", "var")] == ["correct"] * 2, suffix


# -- formulas: why a formula has no value, and the case of a name --------------------------------------------

P4 = "ece449-a2/p4"
FORMULA_MESSAGES = [
    ("q_x - p_x + 1/0", "wrong", "a division by zero"),
    ("q_x - p_x + 1/(q_x - q_x)", "wrong", "a division by zero (or the log of 0) on 6 of 6"),
    ("q_x - p_x + (-2)^(1/2)", "wrong", "not a real number on 6 of 6"),
    ("q_x - p_x + log(-q_x^2 - 1)", "wrong", "not a real number"),
    ("q_x + p_x", "wrong", "differs from the right one on"),
    ("Q_x - p_x", "invalid", "'Qx' is not declared; did you mean 'q_x'?"),
    ("q_x - P_x", "invalid", "did you mean 'p_x'?"),
    ("q_x - p_x", "correct", ""),
]


ABS_FORMS = [  # ece449-a2/p4, dE/dz_x = q_x − p_x, in every file type
    ("|q_x - p_x| * sign(q_x - p_x)", "correct", ""),
    (r"\left| q_x - p_x \right| \cdot sign(q_x - p_x)", "correct", ""),
    (r"\lvert q_x - p_x \rvert sign(q_x - p_x)", "correct", ""),
    ("q_x - p_x + |p_x - |p_x|| - |p_x - |p_x||", "correct", ""),  # nested, one pairing
    ("|q_x - p_x|", "wrong", ""),
    ("|q_x|p_x|q_x|", "invalid", "can be read two ways"),
    ("||q_x - p_x||", "invalid", "a norm"),
    ("|q_x - p_x", "invalid", "take them in pairs"),
]


@pytest.mark.parametrize("written, verdict, words", FORMULA_MESSAGES + ABS_FORMS,
                         ids=[c[0] for c in FORMULA_MESSAGES + ABS_FORMS])
def test_a_formula_says_why_it_has_no_value_and_names_the_case(tmp_path, written, verdict, words):
    for suffix in SUFFIXES:
        got = part_of(grade(write_as(tmp_path, suffix, {P4: {"dE/dz_x": written}})), P4, "dE/dz_x")
        assert got.verdict == verdict and words in got.feedback, (suffix, got)


# -- powers of a matrix mean matrix powers; '*' where the product fits says so -------------------------------

MATRIX_FORMULAS = [
    ("(X^T X)^{-1} X^T y", "correct", ""),
    ("(XᵀX)^(-1) Xᵀ y", "correct", ""),
    (r"\left(X^\top X\right)^{-1} X^\top y", "correct", ""),
    ("(X^T X)^{-1} ∘ (X^T X)^{-1} X^T y", "wrong", ""),
    ("X^{-1} y", "invalid", "is not square"),
    ("(X^T X)^2 X^T y", "wrong", ""),
]


@pytest.mark.parametrize("written, verdict, words", MATRIX_FORMULAS, ids=[c[0] for c in MATRIX_FORMULAS])
def test_a_power_of_a_matrix_is_a_matrix_power(written, verdict, words):
    from gradekit.check.expr.compare import check_formula
    from gradekit.core.reader.shapes import Symbols

    table = Symbols.declare({"X": "n×d", "y": "n×1"})
    out = check_formula(written, "(X^T X)^{-1} X^T y", table)
    assert out.verdict == verdict and words in out.message, out


def test_a_matrix_squared_is_the_product_never_entry_by_entry():
    from gradekit.check.expr.compare import check_formula
    from gradekit.core.reader.shapes import Symbols

    table = Symbols.declare({"A": "n×n"})
    assert check_formula("A^2", "A A", table).verdict == "correct"
    assert check_formula("A^2", "A ∘ A", table).verdict == "wrong"
    hint = check_formula("A * B", "A B", Symbols.declare({"A": "n×m", "B": "m×k"}))
    assert hint.verdict in ("wrong", "invalid") and "did you mean the matrix product? write @ or put them side by side" \
        in hint.message, hint


SQRT_FORMS = [
    ("q_x - p_x + 0*sqrt(q_x^2)", "correct"),
    ("sqrt((q_x - p_x)^2) * sign(q_x - p_x)", "correct"),
    (r"\sqrt{(q_x - p_x)^2} \cdot sign(q_x - p_x)", "correct"),
    ("abs(q_x - p_x) * sign(q_x - p_x)", "correct"),
    ("min(q_x, p_x) + max(q_x, p_x) - 2 p_x", "correct"),
    ("abs(q_x - p_x)", "wrong"),
    (r"\sqrt{(q_x - p_x)^2}", "wrong"),
]


@pytest.mark.parametrize("written, verdict", SQRT_FORMS, ids=[c[0] for c in SQRT_FORMS])
def test_formulas_use_the_functions_the_number_reader_knows(tmp_path, written, verdict):
    for suffix in SUFFIXES:
        got = part_of(grade(write_as(tmp_path, suffix, {P4: {"dE/dz_x": written}})), P4, "dE/dz_x")
        assert got.verdict == verdict, (suffix, got)


NAME_FORMS = [
    ("β1 + μ0", "correct"),  # a Greek letter and a digit: one name, as β_1
    ("β_1 + μ_0", "correct"),
    ("β₁ + μ₀", "correct"),
    (r"\beta_1 + \mu_0", "correct"),
    ("x_{a b} - x_{ab} + β1 + μ0", "correct"),  # a space inside subscript braces
    ("x_{a b} + β1 + μ0", "wrong"),
    ("β1 - μ0", "wrong"),
]


@pytest.mark.parametrize("written, verdict", NAME_FORMS, ids=[c[0] for c in NAME_FORMS])
def test_greek_names_with_digits_and_spaced_subscripts(written, verdict):
    from gradekit.check.expr.compare import check_formula
    from gradekit.core.reader.shapes import Symbols

    table = Symbols.declare({"beta_1": "scalar", "mu_0": "scalar", "x_{ab}": "scalar"})
    assert check_formula(written, "beta_1 + mu_0", table).verdict == verdict


DW1 = "ece661-hw1/q3.1"
RIGHT_DW1 = "((W2ᵀ(x3 − t)) ∘ x2 ∘ (1 − x2)) x1ᵀ"
LEFT_SIDES = [
    (r"\frac{\partial{L}}{\partial{W_1}} = " + RIGHT_DW1, "correct", ""),
    (r"\frac{\partial L}{\partial W_{1}} = " + RIGHT_DW1, "correct", ""),
    (RIGHT_DW1 + r" \in \mathbb{R}^{k \times m}", "correct", r"read without the shape note '\in \mathbb{R}^{k \times m}'"),
    (r"\frac{\partial{L}}{\partial{W_1}} = " + RIGHT_DW1 + r" \in \mathbb{R}^{2 \times 3}", "correct", "shape note"),
    (r"\frac{\partial{L}}{\partial{W_2}} = " + RIGHT_DW1, "invalid", r"starts with '\frac{\partial{L}}{\partial{W_2}}' ="),
]


@pytest.mark.parametrize("written, verdict, words", LEFT_SIDES, ids=[c[0][:40] for c in LEFT_SIDES])
def test_latex_left_sides_with_braces_and_a_trailing_shape_note(tmp_path, written, verdict, words):
    for suffix in SUFFIXES:
        report = grade(write_as(tmp_path, suffix, {DW1: {"dL/dW1": written}}))
        got = part_of(report, DW1, "dL/dW1")
        assert got.verdict == verdict and words in f"{got.feedback} {got.reading}", (suffix, got)
        if verdict == "correct" and words:
            assert words in terminal_text(report)


# -- |x| is abs(x): bars paired where one pairing fits, refused where two or none do ---------------------------

BARS_AS_ABS = [  # (with bars, the same with abs): equal trees
    ("|x|", "abs(x)"),
    ("|x - y|", "abs(x - y)"),
    (r"\left| x \right|", "abs(x)"),
    (r"\lvert x \rvert", "abs(x)"),
    (r"\left\lvert x - y \right\rvert", "abs(x - y)"),
    (r"\vert x \vert", "abs(x)"),
    ("|a - |b||", "abs(a - abs(b))"),
    ("|a| - |b|", "abs(a) - abs(b)"),
    ("|x||y|", "abs(x) abs(y)"),
    ("2|x|", "2 abs(x)"),
    ("|x|^2", "abs(x)^2"),
    ("-|x|", "-abs(x)"),
    ("|-x|", "abs(-x)"),
    ("max(|a|, |b|)", "max(abs(a), abs(b))"),
    (r"\left|a\right| b \left|c\right|", "abs(a) b abs(c)"),  # \left and \right say the side: no ambiguity
    (r"\frac{|x|}{|y|}", "abs(x)/abs(y)"),
]


@pytest.mark.parametrize("bars, spelled", BARS_AS_ABS, ids=[c[0] for c in BARS_AS_ABS])
def test_absolute_value_bars_mean_abs(bars, spelled):
    from gradekit.core.reader.parser import parse
    from gradekit.core.reader.shapes import Symbols

    table = Symbols.declare({n: "scalar" for n in ("x", "y", "a", "b", "c")})
    assert parse(bars, table) == parse(spelled, table)


BARS_REFUSED = [  # (written, column, words): never a guess
    ("|a|b|c|", 3, "the '|' at col 3 can be read two ways: closing the '|' at col 1 or opening another"),
    ("||x||", 1, "a norm ‖x‖ is not part of the answer language"),
    ("| |x| |", 1, "'||' opens two absolute values at once"),
    ("|x", 1, "1 '|' in the answer; absolute values take them in pairs"),
    ("|a| + |b", 1, "3 '|' in the answer"),
    ("(|x)|", 2, "the '|' do not pair up as absolute values"),
    ("max(|a, b|)", 5, "a bar cannot span a bracket, a comma or a matrix row"),
    (r"\right| x \left|", 7, "do not pair up"),
    ("|" * 202, 201, "more than 200 '|'"),
]


@pytest.mark.parametrize("written, col, words", BARS_REFUSED, ids=[c[0][:20] for c in BARS_REFUSED])
def test_ambiguous_or_unpaired_bars_are_refused_with_the_place(written, col, words):
    from gradekit.core.reader.errors import ExprError
    from gradekit.core.reader.parser import parse
    from gradekit.core.reader.shapes import Symbols

    with pytest.raises(ExprError) as e:
        parse(written, Symbols.declare({n: "scalar" for n in ("x", "a", "b", "c")}))
    assert e.value.col == col and words in e.value.message, str(e.value)


def test_many_bars_are_paired_quickly():
    import time

    from gradekit.core.reader.errors import ExprError
    from gradekit.core.reader.parser import parse
    from gradekit.core.reader.shapes import Symbols

    table = Symbols.declare({"x": "scalar"})
    start = time.process_time()
    assert parse(" + ".join(["|x|"] * 60), table) == parse(" + ".join(["abs(x)"] * 60), table)
    for hostile in ("|x" * 100, "|x|" * 66, "|(" * 60 + "x" + ")|" * 60):
        with pytest.raises(ExprError):
            parse(hostile, table)
    assert time.process_time() - start < 2.0


# -- a matrix of symbols typed as text is the list of rows it spells ----------------------------------------

Q3C = "coms573-hw5/q3c"
K1 = [["w_3^{11}", "w_2^{11}", "w_1^{11}"], ["w_3^{12}", "w_2^{12}", "w_1^{12}"]]
SYMBOL_MATRIX_TEXT = [  # (written for kernel1, verdict, words in the feedback or reading)
    ("[[w_3^{11}, w_2^{11}, w_1^{11}], [w_3^{12}, w_2^{12}, w_1^{12}]]", "correct", "read the text as a 2×3 matrix"),
    (json.dumps(K1), "correct", "read the text as a 2×3 matrix"),  # a pasted list, quotes and all
    ("[[w3^{11}, w2^11, w_1^{11}],\n [w_3^{12}, w_2^{12}, w_1^{12}]]", "correct", "2×3 matrix"),
    ("[[w_1^{11}, w_2^{11}, w_3^{11}], [w_1^{12}, w_2^{12}, w_3^{12}]]", "partial", "read the text as a 2×3 matrix"),
    ("[[w_3^{11}, w_2^{11}, 0], [w_3^{12}, w_2^{12}, w_1^{12}]]", "wrong", "Row 1, column 3"),
    ("[[w_3^{11}, w_2^{11}], [w_3^{12}, w_2^{12}]]", "wrong", "read the text as a 2×2 matrix"),
    ("[[w_3^{11}, w_2^{11}, w_1^{11}], [w_3^{12}, w_2^{12}, w_1^{12}]", INVALID,
     "1 bracket left open: '[' at col 1 is never closed"),
    ("[[w_3^{11}, w_2^{11}, w_1^{11}] [w_3^{12}, w_2^{12}, w_1^{12}]]", INVALID, "expected ',' between the rows"),
    ("[[w_3^{11}, , w_1^{11}], [w_3^{12}, w_2^{12}, w_1^{12}]]", INVALID, "an empty entry"),
    ("[[w_3^{11}, w_2^{11}, w_1^{11}], w_3^{12}]", INVALID, "a list of rows, each in brackets"),
    ("[[w_3^{11}, w_2^{11}, w_1^{11}], [w_3^{12}, w_2^{12}, w_4^{12}]]", INVALID, "row 2, column 3"),
]


@pytest.mark.parametrize("written, verdict, words", SYMBOL_MATRIX_TEXT, ids=[c[0][:40] for c in SYMBOL_MATRIX_TEXT])
def test_a_symbol_matrix_typed_as_text_in_every_file_type(tmp_path, written, verdict, words):
    for suffix in SUFFIXES:
        report = grade(write_as(tmp_path, suffix, {Q3C: {"kernel1": written}}))
        got = part_of(report, Q3C, "kernel1")
        assert got.verdict == verdict and words in f"{got.feedback} {got.reading}", (suffix, got)
        if "read the text" in words:
            assert words in terminal_text(report)


def test_the_issues_matrix_text_is_the_list_of_rows():
    rows = [[0, 1, 2], ["x", "y", "z"]]
    as_text = check("symbolic_matrix", rows, "[[0, 1, 2], [x, y, z]]", symbols=["x", "y", "z"])
    as_list = check("symbolic_matrix", rows, [[0, 1, 2], ["x", "y", "z"]], symbols=["x", "y", "z"])
    assert (as_text.verdict, as_text.reading) == ("correct", "read the text as a 2×3 matrix")
    assert (as_list.verdict, as_list.reading) == ("correct", "")
    swapped = check("symbolic_matrix", rows, "[[0, 1, 2], [x, z, y]]", symbols=["x", "y", "z"])
    assert swapped.verdict == "wrong" and "Row 2, column 2" in swapped.feedback


# -- the brackets a formula leaves open, counted and placed ---------------------------------------------------

LEFT_OPEN = [  # ece449-a2/p4, dE/dz_x
    ("(q_x - p_x", "1 bracket left open: '(' at col 1 is never closed"),
    ("((q_x - [p_x", "3 brackets left open: '(' at col 1, '(' at col 2 and '[' at col 9"),
    ("(q_x - [p_x + 1) - 1", "')' does not match '[' at col 8"),  # never counted as closing the '('
    (r"\frac{q_x - p_x}{1", "1 bracket left open: '{' at col 17 is never closed"),
    ("sign((q_x - p_x) * (q_x - p_x", "2 brackets left open: '(' at col 5 and '(' at col 20"),
    ("(q_x - p_x]", "']' does not match '(' at col 1"),
    ("q_x - p_x)", "')' has no matching opening bracket"),
]


@pytest.mark.parametrize("written, words", LEFT_OPEN, ids=[c[0] for c in LEFT_OPEN])
def test_a_formula_counts_the_brackets_it_leaves_open(tmp_path, written, words):
    for suffix in SUFFIXES:
        got = part_of(grade(write_as(tmp_path, suffix, {P4: {"dE/dz_x": written}})), P4, "dE/dz_x")
        assert got.verdict == INVALID and words in got.feedback, (suffix, got)

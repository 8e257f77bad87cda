"""Every error that means "this answer cannot be read" is a ``core.errors.UnreadableAnswer`` (still a ValueError),
with the words it always had; an expression with no value on an instance (EvalError) is not one."""

from __future__ import annotations

import pytest

from gradekit.check.expr import declare, parse
from gradekit.core.reader.errors import ExprError
from gradekit.check.expr.evaluate import EvalError
from gradekit.check.kinds import checker_for
from gradekit.check.symbolic import drop_left_side
from gradekit.core.errors import GradekitError, UnreadableAnswer
from gradekit.core.records import Part
from gradekit.check.context import CheckContext
from gradekit.core.reader.arith import ArithError, read_expression
from gradekit.core.reader.numbers import AnswerFormatError, NumberTooLarge, parse_integer, parse_numeric

TABLE = declare({"W1": "m×n", "x": "n"}, {})


@pytest.mark.parametrize("cls", [AnswerFormatError, NumberTooLarge, ArithError, ExprError])
def test_each_refusal_of_an_answers_text_is_an_unreadable_answer_and_still_a_value_error(cls):
    assert issubclass(cls, UnreadableAnswer) and issubclass(cls, ValueError)
    assert not issubclass(cls, GradekitError)  # a part's invalid verdict, not a file's exit code 2


def test_an_expression_without_a_value_on_one_instance_is_not_an_unreadable_answer():
    # raised evaluating the reference and the family's mistakes too: the text was read, it only has no value here
    assert issubclass(EvalError, ValueError) and not issubclass(EvalError, UnreadableAnswer)


@pytest.mark.parametrize("read, cls, message", [
    (lambda: parse_numeric("abc"), AnswerFormatError,
     "'abc' is not a number (unknown name 'abc': arithmetic may use numbers, π, e, sqrt, exp, log/ln, sigmoid/σ, "
     "tanh, abs, min and max)"),
    (lambda: parse_integer("1.5"), AnswerFormatError, "'1.5' is not a whole number"),
    (lambda: read_expression("1+"), ArithError, "the expression ends too early"),
    (lambda: parse("W3 + x", TABLE), ExprError, "col 1: unknown name 'W3'; declared: W1, x"),
    (lambda: drop_left_side("dE/dy = 3", "dE/dz"), UnreadableAnswer,
     "the answer starts with 'dE/dy' =, but this part is 'dE/dz': give the right-hand side alone"),
])
def test_each_raise_says_what_it_always_said_and_is_caught_as_the_base(read, cls, message):
    with pytest.raises(UnreadableAnswer) as e:
        read()
    assert type(e.value) is cls and str(e.value) == message


def test_a_formula_whose_left_side_names_another_part_is_invalid_with_that_message():
    part = Part(name="dE/dz", kind="expr", points=1, options={"symbols": {"y": "scalar"}})
    outcome = checker_for("expr")("y", "dE/dy = y", CheckContext(part, None, (), {}))
    assert (outcome.verdict, outcome.feedback) == (
        "invalid", "the answer starts with 'dE/dy' =, but this part is 'dE/dz': give the right-hand side alone")

"""Every part kind, declared once: what a student answers, the options a spec may give it, where its checker
lives, and how it is graded (by a checker, by running the student's module file, or by a person).

Data only, so every layer may ask it (the code layer asks which problems are code problems); the checkers
themselves are loaded by ``gradekit.check.kinds.checker_for``. The catalog validates parts against ``KINDS``;
docs/authoring.md's list of kinds is tested against this table.

>>> sorted(KINDS["choice"].options)
['choices', 'multiple', 'synonyms']
>>> KINDS["function"].runs_code, KINDS["manual"].by_hand, KINDS["number"].runs_code
(True, True, False)
"""

from __future__ import annotations

from dataclasses import dataclass

from gradekit.core.codefields import TEST_OPTIONS
from gradekit.core.vocab import PartKind

__all__ = ["Kind", "KINDS", "COMMON_OPTIONS", "TOLERANCE", "FORMULA"]

TOLERANCE = frozenset({"rtol", "atol", "digits", "decimals", "percent"})
FORMULA = frozenset({"symbols", "define", "rtol"})


@dataclass(frozen=True)
class Kind:
    """A part kind: what a student answers, the options a spec may set, where its checker lives.

    ``checker`` is ``"module:function"`` under ``gradekit.check``; empty for a kind that ``runs_code``
    (``function``), whose parts are judged by running the student's module file
    (``gradekit.grading.functions``): a problem with such a part is a code problem. A part of a kind graded
    ``by_hand`` (``manual``) is never missing: a person gives its points, whatever the submission holds.
    """

    name: PartKind  # given as its string; KINDS has one Kind per member (tests/project/test_vocab.py)
    about: str
    options: frozenset[str] = frozenset()
    checker: str = ""
    validate: str = ""  # "module:function" checking the options at spec load, raising ValueError
    runs_code: bool = False
    by_hand: bool = False


def _kinds(*kinds: Kind) -> dict[str, Kind]:
    # keyed by the members, which are strs: a spec's string finds its kind as the member does
    return {k.name: k for k in kinds}


KINDS: dict[str, Kind] = _kinds(
    Kind(PartKind.NUMBER, "a number, with the tolerance policy", TOLERANCE, "numeric:check_number"),
    Kind(PartKind.VECTOR, "a list of numbers", TOLERANCE, "numeric:check_vector"),
    Kind(PartKind.MATRIX, "a list of rows", TOLERANCE, "numeric:check_matrix"),
    Kind(PartKind.INTEGER, "an exact integer (any expression equal to it)",
         checker="exact:check_integer"),
    Kind(PartKind.SHAPE, "a tensor shape such as [2, 6, 28, 28]", checker="exact:check_shape"),
    Kind(PartKind.CHOICE, "one of named choices (or several)",
         frozenset({"choices", "synonyms", "multiple"}), "exact:check_choice"),
    Kind(PartKind.BOOL, "true or false", checker="exact:check_bool"),
    Kind(PartKind.VERIFIED,
         "anything with the family's property (e.g. weights realising a function)",
         checker="special:check_verified"),
    Kind(PartKind.MANUAL, "graded by a person; the key shows the reference",
         checker="special:check_manual", by_hand=True),
    Kind(PartKind.EXPR, "a scalar formula", FORMULA, "symbolic:check_expr",
         "symbolic:validate_options"),
    Kind(PartKind.MATRIX_EXPR, "a matrix-calculus formula", FORMULA, "symbolic:check_matrix_expr",
         "symbolic:validate_options"),
    Kind(PartKind.SYMBOLIC_MATRIX, "a matrix of symbols (w_1^{11}, 0)", FORMULA,
         "symbolic_matrix:check_symbolic_matrix", "symbolic:validate_options"),
    Kind(PartKind.INEQUALITY, "a condition such as wᵀx_i + b ≤ 0", frozenset({"symbols", "define"}),
         "relation:check_inequality", "symbolic:validate_options"),
    Kind(PartKind.FUNCTION, "a callable of a module submission, checked by its family's properties",
         frozenset({"rtol", "atol", "examples", "timeout", "threshold", "time_budget", "reveal"}) | TEST_OPTIONS,
         validate="special:validate_function_options", runs_code=True),
)
# options every kind accepts besides name, kind, points, description
COMMON_OPTIONS = frozenset({"partial", "visibility", "public"})  # public: graded in full by the handout

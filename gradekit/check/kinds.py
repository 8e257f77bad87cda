"""Every part kind, declared once: the options a spec may give it and the checker that judges it.

The catalog validates parts against ``KINDS``; grading asks ``checker_for`` (which imports
only the checker wanted: a file of numbers never loads the formula reader). docs/authoring.md's
list of kinds is tested against this table.

>>> checker_for("integer").__name__
'check_integer'
>>> sorted(KINDS["choice"].options)
['choices', 'multiple', 'synonyms']
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Mapping

from gradekit.check.context import Checker
from gradekit.core.vocab import PartKind

TOLERANCE = frozenset({"rtol", "atol", "digits", "decimals", "percent"})
FORMULA = frozenset({"symbols", "define", "rtol"})


@dataclass(frozen=True)
class Kind:
    """A part kind: what a student answers, the options a spec may set, where its checker lives.

    ``checker`` is ``"module:function"`` under ``gradekit.check``; empty for ``function`` parts,
    which are judged by running the student's code (``gradekit.grading.functions``).
    """

    name: PartKind  # given as its string; KINDS has one Kind per member (tests/test_vocab.py)
    about: str
    options: frozenset[str] = frozenset()
    checker: str = ""
    validate: str = ""  # "module:function" checking the options at spec load, raising ValueError

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", PartKind(self.name))


def _kinds(*kinds: Kind) -> dict[PartKind, Kind]:
    return {k.name: k for k in kinds}


KINDS: dict[PartKind, Kind] = _kinds(
    Kind("number", "a number, with the tolerance policy", TOLERANCE, "numeric:check_number"),
    Kind("vector", "a list of numbers", TOLERANCE, "numeric:check_vector"),
    Kind("matrix", "a list of rows", TOLERANCE, "numeric:check_matrix"),
    Kind("integer", "an exact integer (any expression equal to it)", checker="exact:check_integer"),
    Kind("shape", "a tensor shape such as [2, 6, 28, 28]", checker="exact:check_shape"),
    Kind("choice", "one of named choices (or several)", frozenset({"choices", "synonyms", "multiple"}),
         "exact:check_choice"),
    Kind("bool", "true or false", checker="exact:check_bool"),
    Kind("verified", "anything with the family's property (e.g. weights realising a function)",
         checker="special:check_verified"),
    Kind("manual", "graded by a person; the key shows the reference", checker="special:check_manual"),
    Kind("expr", "a scalar formula", FORMULA, "symbolic:check_expr", "symbolic:validate_options"),
    Kind("matrix_expr", "a matrix-calculus formula", FORMULA, "symbolic:check_matrix_expr",
         "symbolic:validate_options"),
    Kind("symbolic_matrix", "a matrix of symbols (w_1^{11}, 0)", FORMULA, "symbolic_matrix:check_symbolic_matrix",
         "symbolic:validate_options"),
    Kind("inequality", "a condition such as wᵀx_i + b ≤ 0", frozenset({"symbols", "define"}),
         "relation:check_inequality", "symbolic:validate_options"),
    Kind("function", "a callable of a module submission, checked by its family's properties",
         frozenset({"rtol", "atol", "examples", "timeout", "threshold", "time_budget", "reveal"}),
         validate="special:validate_function_options"),
)
# options every kind accepts besides name, kind, points, description
COMMON_OPTIONS = frozenset({"partial", "visibility"})


def _load(ref: str) -> Any:
    module, _, name = ref.partition(":")
    return getattr(importlib.import_module(f"gradekit.check.{module}"), name)


def checker_for(kind: str) -> Checker:
    """The checker of an answer kind (not ``function``: see ``gradekit.grading.functions``)."""
    ref = KINDS[kind].checker
    if not ref:
        raise KeyError(f"{str(kind)!r} parts are judged by running the student's code, not by a checker")
    return _load(ref)


def validate_options(kind: str, options: Mapping[str, Any]) -> None:
    """Raise ``ValueError`` (one line) when a part's kind-specific options are malformed."""
    if KINDS[kind].validate:
        _load(KINDS[kind].validate)(options)

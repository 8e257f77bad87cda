"""Parts judged by a property (verified) or by a person (manual)."""

from __future__ import annotations

from typing import Any

from gradekit.core.families import family_params, get_family
from gradekit.core.records import Outcome
from gradekit.core.vocab import Verdict
from gradekit.check.context import CheckContext


def check_verified(expected: Any, raw: Any, ctx: CheckContext) -> Outcome:
    """Any answer with the family's property is right (e.g. weights that realise NAND)."""
    problem = ctx.problem
    assert problem is not None, "verified parts need their problem"
    family = get_family(problem.family)
    assert family.verify is not None, "the catalog refuses verified parts without a verify"
    return family.verify(family_params(problem), ctx.part.name, ctx.answers)


def check_manual(expected: Any, raw: Any, ctx: CheckContext) -> Outcome:
    points = ctx.part.points
    worth = f" ({points:g} point{'s' if points != 1 else ''})" if points else ""
    return Outcome(0.0, Verdict.MANUAL, f"Needs a human grader{worth}.", reference=str(expected))


# How a function part's feedback gives the reference's values: "rough" (2 significant digits, with where and
# about how far off) or "exact". Rough by default: a module's edge cases are fixed, so exact values in the
# feedback could be learned and returned by a file that computes nothing.
REVEAL = ("rough", "exact")
REVEAL_DEFAULT = "rough"


def validate_function_options(options: Any) -> None:
    """Raise ``ValueError`` (one line) when a function part's ``reveal`` is not one of ``REVEAL``."""
    if "reveal" in options and options["reveal"] not in REVEAL:
        raise ValueError(f"reveal is {options['reveal']!r}, but only {', '.join(map(repr, REVEAL))} are valid")

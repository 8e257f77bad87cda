"""The credit a spec may price beyond a family's own mistakes: one table of ids, what each means, which kinds
name it. ``gradekit validate`` refuses a ``partial`` key that is in neither this table nor the family's
mistake model; docs/authoring.md lists the table.

>>> sorted(GENERIC_CREDIT["carried_forward"].kinds)[:3]
['integer', 'matrix', 'number']
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Credit", "GENERIC_CREDIT", "generic_ids", "NUMERIC", "formula_ids"]

NUMERIC = frozenset({"number", "vector", "matrix"})
FORMULAS = frozenset({"expr", "matrix_expr", "symbolic_matrix"})


@dataclass(frozen=True)
class Credit:
    meaning: str
    kinds: frozenset[str]


GENERIC_CREDIT: dict[str, Credit] = {
    "transposed": Credit("a matrix (or a 2-D shape) that is the transpose of the right one",
                         NUMERIC | {"shape"} | FORMULAS),
    "sign_flipped": Credit("every entry with the wrong sign", NUMERIC | {"integer"} | FORMULAS),
    "too_few_digits": Credit("right, but to fewer digits than the part asks", NUMERIC),
    "per_entry": Credit("a vector's or matrix's score in proportion to its right entries (the price times the "
                        "share right)", NUMERIC - {"number"}),
    "carried_forward": Credit("right for the student's own earlier answers: the family (or solution.py) recomputes "
                              "this part from them", NUMERIC | {"integer", "shape"}),
    "constant_factor": Credit("a simple factor (2, ½, 1/n) off: named; credited by formula kinds",
                              NUMERIC | {"integer"} | FORMULAS),
    "direction_reversed": Credit("an inequality pointing the wrong way", frozenset({"inequality"})),
    "strict_inequality": Credit("< where ≤ is due (or the reverse)", frozenset({"inequality"})),
}


def generic_ids(kind: str) -> set[str]:
    """The generic ids a part of ``kind`` may price (formula kinds add the formula reader's mutations)."""
    ids = {k for k, c in GENERIC_CREDIT.items() if kind in c.kinds}
    if kind in FORMULAS:
        ids |= formula_ids()
    return ids


def formula_ids() -> set[str]:
    from gradekit.check.expr.mutations import IDS

    return set(IDS)

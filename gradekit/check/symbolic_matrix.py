"""``symbolic_matrix`` parts: a matrix of symbol entries (``w_1^{11}``, ``0``), checked entry by entry.

The family's answer is a list of rows of entry formulas. Symbols are declared like formula parts
(``symbols``/``define`` options, else the family's validated params); a family may also define
names for one part only under ``params["part_define"][part]`` (so ``B`` can be answered ``Aᵀ``
without ``A`` being a free answer to the part that asks for ``A``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Mapping

from gradekit.core.records import Outcome
from gradekit.check.context import CheckContext
from gradekit.check.symbolic import case_notes, declarations, outcome_of


def check_symbolic_matrix(expected: Any, raw: Any, ctx: CheckContext) -> Outcome:
    from gradekit.check.expr import declare
    from gradekit.core.reader.errors import ExprError
    from gradekit.check.expr.symmatrix import check_symbol_matrix, rows_of_text

    params = ctx.problem.validated_params if ctx.problem else None
    symbols, define = declarations(ctx.part.options, params)
    extra = params.get("part_define", {}).get(ctx.part.name, {}) if isinstance(params, Mapping) else {}
    table = declare(symbols or {}, {**(define or {}), **extra})
    alternatives = [(m.id, m.message, m.answers[ctx.part.name]) for m in ctx.mistakes
                    if isinstance(m.answers.get(ctx.part.name), (list, tuple))]
    try:
        rows = rows_of_text(raw)
    except ExprError as e:
        return Outcome.invalid(str(e))
    result = check_symbol_matrix(raw if rows is None else rows, expected, table, alternatives=alternatives,
                                 rtol=float(ctx.part.options.get("rtol", 1e-9)))
    outcome = outcome_of(result, ctx)
    notes = case_notes(raw if rows is None else rows, table)
    if rows is not None and rows and len({len(r) for r in rows}) == 1:
        # "[[0, 1, 2], [x, y, z]]" typed as text: the list of rows it spells, said so
        notes.insert(0, f"read the text as a {len(rows)}×{len(rows[0])} matrix")
    return replace(outcome, reading="; ".join(notes)) if notes else outcome

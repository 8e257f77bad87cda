"""Carried-forward credit: a later part right for the student's own earlier answers.

A TA who finds a wrong forward value checks the loss and the gradients against that value, not against
the key, and gives what the course gives for an error carried forward. Here the family (its ``carry``) or
the instructor's ``solution.py`` (``solve(params, given)``) recomputes every part from the student's own
answers to the earlier parts that were not right; a part that matches the recomputed value is
``carried_forward``, priced by the part's ``partial`` (0 unless the spec says, so the default is today's
grade). Only a part whose spec prices ``carried_forward`` is looked at again: nothing else pays for it.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from gradekit.check.context import CheckContext
from gradekit.check.kinds import checker_for
from gradekit.core.families import family_params, registry
from gradekit.core.records import Outcome, Part, PartResult, Problem
from gradekit.core.vocab import PartKind, Verdict
from gradekit.catalog.catalog import Catalog

__all__ = ["carried_forward", "CARRIED"]

CARRIED = "carried_forward"
_READABLE = {PartKind.NUMBER, PartKind.VECTOR, PartKind.MATRIX, PartKind.INTEGER, PartKind.SHAPE}


def carried_forward(catalog: Catalog, problem: Problem, part: Part, raw: Any, outcome: Outcome,
                    earlier: Sequence[tuple[Part, PartResult]], matched: Mapping[str, Any]) -> Outcome | None:
    """The carried-forward outcome of ``part`` when it is wrong against the key but right for the student's own
    earlier answers; None otherwise (the outcome stands)."""
    if CARRIED not in part.partial or outcome.verdict != Verdict.WRONG or outcome.fraction > 0:
        return None
    family = registry()[problem.family]
    if family.carry is None:
        return None
    graph = dict(family.depends(family_params(problem))) if family.depends is not None else {}
    if part.name in graph:
        named, kept = _used(part.name, graph, earlier, matched)
    else:  # nothing declared: every earlier answer that was not right may have been used
        named, kept = {p.name: value for p, result in earlier
                       if result.verdict != Verdict.CORRECT and p.name in matched
                       and (value := _read(p, matched[p.name])) is not None}, {}
    if not named:
        return None
    given = {**kept, **named}
    try:
        recomputed = catalog.carry(problem, given)
    except Exception:  # noqa: BLE001 - earlier answers of another shape recompute nothing: the outcome stands
        return None
    if part.name not in recomputed:
        return None
    again = checker_for(part.kind)(recomputed[part.name], raw, CheckContext(_loosened(part, recomputed[part.name]),
                                                                            problem, (), matched))
    if again.verdict != Verdict.CORRECT:
        return None
    credit = float(part.partial[CARRIED])
    names = ", ".join(named)
    return Outcome(credit, Verdict.PARTIAL if credit > 0 else Verdict.WRONG,
                   f"Not the key's value, but right for your own answer{'s' if len(named) > 1 else ''} to {names} "
                   f"(carried forward).", CARRIED, reading=again.reading)


def _used(name: str, graph: Mapping[str, Sequence[str]], earlier: Sequence[tuple[Part, PartResult]],
          matched: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The student's earlier answers part ``name`` is recomputed from: walking back from its declared
    dependencies, an answered one stops the walk (named when it was not right; kept, unnamed, when it was, so
    the recomputation does not re-derive it from a wrong answer further back); an unanswered or unreadable one
    (or one the spec asks later or not at all) is passed through to what it is computed from in turn."""
    answered = {p.name: (p, result) for p, result in earlier}
    named: dict[str, Any] = {}
    kept: dict[str, Any] = {}
    seen: set[str] = set()
    todo = list(graph.get(name, ()))
    while todo:
        dep = todo.pop(0)
        if dep in seen or dep == name:
            continue
        seen.add(dep)
        entry = answered.get(dep)
        value = _read(entry[0], matched[dep]) if entry is not None and dep in matched else None
        if value is None:
            todo.extend(graph.get(dep, ()))
            continue
        assert entry is not None  # a value is read from an answered part only
        if entry[1].verdict == Verdict.CORRECT:
            kept[dep] = value
        else:
            named[dep] = value
    order = list(answered)
    return dict(sorted(named.items(), key=lambda kv: order.index(kv[0]))), kept


# The earlier answers come rounded (to the digits the student wrote), and the student worked from unrounded
# values of their own: a value carried forward agrees with the recomputed one to about 3 significant digits.
CARRIED_RTOL = 5e-3


def _loosened(part: Part, expected: Any) -> Part:
    """``part`` compared to about 3 significant digits (a bound, the digits rule off), for carried values."""
    from dataclasses import replace

    import numpy as np

    if part.kind not in (PartKind.NUMBER, PartKind.VECTOR, PartKind.MATRIX):
        return part
    scale = float(np.max(np.abs(np.asarray(expected, dtype=float)), initial=0.0))
    options = {k: v for k, v in part.options.items() if k not in ("digits", "decimals", "rtol", "atol")}
    return replace(part, options={**options, "rtol": CARRIED_RTOL, "atol": CARRIED_RTOL * scale * 0.1 + 1e-12})


def _read(part: Part, raw: Any) -> Any:
    """A student's earlier answer as numbers, as its part's kind reads it; None when it cannot be read."""
    from gradekit.intake.values import AnswerFormatError, parse_integer, parse_numeric, parse_shape

    if part.kind not in _READABLE:
        return None
    try:
        if part.kind == PartKind.INTEGER:
            return parse_integer(raw, name=part.name)
        if part.kind == PartKind.SHAPE:
            return parse_shape(raw)
        return parse_numeric(raw, name=part.name, kind=str(part.kind.value)).values
    except (AnswerFormatError, ValueError, TypeError):
        return None

"""What ``gradekit validate`` checks once a problem solves: every part is one its reference produces, and every
``partial`` key is one something can name (the family's mistake model or a generic credit,
``gradekit.check.credit``), each with one line and a did-you-mean.

>>> from gradekit.catalog.catalog import load_catalog
>>> catalog = load_catalog()
>>> part_errors(catalog, catalog.resolve("ece661-hw1/q3.2"), [catalog.resolve("ece661-hw1/q3.2")])
[]
"""

from __future__ import annotations

from typing import Iterable

from gradekit.check.credit import generic_ids
from gradekit.core.errors import did_you_mean
from gradekit.core.kinds import KINDS
from gradekit.core.records import Problem
from gradekit.core.vocab import PartKind
from gradekit.catalog.catalog import Catalog

__all__ = ["part_errors"]

# parts judged by running code, or by a person, carry their own checks (code problems) or none
_SKIPPED = {PartKind.MANUAL, PartKind.VERIFIED}


def part_errors(catalog: Catalog, problem: Problem, variants: Iterable[Problem]) -> list[str]:
    """One line per part its reference never produces, and per ``partial`` key nothing names."""
    variants = list(variants)
    produced: set[str] = set()
    mistake_ids: set[str] = set()
    for v in variants:
        produced |= set(catalog.solve(v).answers)
        mistake_ids |= {m.id for m in catalog.mistakes(v)}
    family = catalog_family(problem)
    mistake_ids |= set(family.mistake_ids if family is not None else ())
    carries = family is not None and family.carry is not None
    errors = []
    for i, part in enumerate(problem.parts):
        if KINDS[part.kind].runs_code or part.kind in _SKIPPED:
            continue
        if part.name not in produced:
            errors.append(f"{problem.source}: parts[{i}].name is {part.name!r}, but {_reference(problem)} gives no "
                          f"such answer{_closest(part.name, produced)} (it gives: {', '.join(sorted(produced))})")
        known = generic_ids(part.kind) | mistake_ids
        for key in part.partial:
            if key not in known:
                errors.append(f"{problem.source}: parts[{i}].partial prices {key!r}, which nothing names for a "
                              f"{part.kind} part{did_you_mean(key, known)} (known: {', '.join(sorted(known))})")
            elif key == "carried_forward" and not carries:
                errors.append(f"{problem.source}: parts[{i}].partial prices 'carried_forward', but "
                              f"{_reference(problem)} cannot recompute a part from a student's earlier answers "
                              f"(a family's carry, or solve(params, given) in solution.py)")
            elif key == "carried_forward" and i == 0:
                errors.append(f"{problem.source}: parts[{i}].partial prices 'carried_forward', but it is the first "
                              f"part: nothing comes before it to carry forward")
    return errors


def _closest(name: str, produced: set[str]) -> str:
    """The did-you-mean: the one name that differs only in case or spaces, else the close ones."""
    same = [p for p in produced if "".join(p.split()).casefold() == "".join(name.split()).casefold()]
    return f"; did you mean {same[0]!r}?" if len(same) == 1 else did_you_mean(name, produced)


def catalog_family(problem: Problem):
    from gradekit.core.families import registry

    try:
        return registry()[problem.family]
    except KeyError:
        return None


def _reference(problem: Problem) -> str:
    from gradekit.catalog.solution import solution_of

    own = solution_of(problem.family)
    return own.file if own is not None else f"family {problem.family}"

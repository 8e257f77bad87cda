"""Mistakes a spec names by a variant of the solution: a function of the solution's file, run in the place of
the part's own function on the same inputs; where the student's values are the variant's, the mistake is named.

The generic mistakes (``gradekit.code.diagnose``) are read off two values alone: a transpose, a sign, a factor.
A training function that minimises another loss leaves weights that are no factor of the right ones, so the
spec says what that mistake computes, as the course's own code would write it, beside the solution:

    [[parts.variants]]
    mistake = "loss_scale"
    run = "train_torch_mean_loss"      # a function of the solution's file, run where the steps call train_torch
    words = "a train_torch that minimises nn.MSELoss() (the mean, not the template's reduction='sum')"

A variant runs in the solution's child only, and only on the cases where the student's values are wrong
with no mistake named. Where every compared value of the student's matches the variant's (right, or off by
a mistake the part prices at full credit, such as the template's own aliased lists), the wrong values of
that case are named by the variant's mistake, which the part's ``partial`` prices.

>>> parse_variants([{"mistake": "loss_scale", "run": "train_mean", "words": "the mean loss"}])[0].run
'train_mean'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from gradekit.code.diagnose import MISTAKES, Judgement, judge, wrong_unnamed
from gradekit.code.scenario import Case

__all__ = ["Variant", "parse_variants", "name_by_variants"]

_KEYS = frozenset({"mistake", "run", "words"})


@dataclass(frozen=True)
class Variant:
    """A mistake named by the values of the solution's function ``run`` in the part's own function's place."""

    mistake: str
    run: str
    words: str


def parse_variants(raw: Any) -> tuple[Variant, ...]:
    """The part's ``variants`` (a list of tables); ``ValueError`` saying what is wrong."""
    if not isinstance(raw, list) or not raw:
        raise ValueError("must be a list of tables: [[parts.variants]] mistake = ..., run = ..., words = ...")
    out = []
    for i, v in enumerate(raw):
        if not isinstance(v, Mapping) or set(v) != _KEYS or not all(isinstance(v[k], str) and v[k] for k in _KEYS):
            raise ValueError(f"[{i}] is {v!r}, but must give mistake, run and words, each a non-empty string")
        if not v["mistake"].isidentifier() or v["mistake"] in MISTAKES:
            raise ValueError(f"[{i}].mistake is {v['mistake']!r}, but must be a name of its own (not one of the "
                             f"generic mistakes, {', '.join(MISTAKES)})")
        if not v["run"].isidentifier():
            raise ValueError(f"[{i}].run is {v['run']!r}, but must name a function of the solution's file")
        out.append(Variant(v["mistake"], v["run"], v["words"]))
    return tuple(out)


def name_by_variants(pair: Any, variants: Sequence[Variant], own: str, ran: Sequence[tuple[int, Case, dict, tuple]],
                     verdicts: list[list[tuple[str, Judgement | None]]], options: Mapping[str, Any],
                     timeout: float) -> None:
    """Name the wrong values of each case in ``ran`` (its index in ``verdicts``, the case, the request both
    children ran, the student's values) by the first variant whose values the student's match, in place."""
    from gradekit.code.props import CheckFault

    free = {k for k, price in dict(options.get("partial") or {}).items() if float(price) >= 1.0}
    for k, case, request, have in ran:
        wrong = [i for i in range(len(have)) if wrong_unnamed(verdicts[i][k][1])]
        if not wrong:
            continue
        for variant in variants:
            r = pair.reference.call("_gk_scenario", {**request, "instead": {own: variant.run}}, *case.arrays,
                                    timeout=max(timeout, 60.0))
            if not r.ok:
                raise CheckFault(f"the solution's variant {variant.run} failed on these steps ({r.message})")
            if all(_matches(h, w, free, options) for h, w in zip(have, r.value)):
                for i in wrong:
                    verdicts[i][k] = (verdicts[i][k][0], Judgement(False, variant.mistake, f"is what {variant.words} "
                                                                                          f"gives"))
                break


def _matches(have: tuple, want: tuple, free: set[str], options: Mapping[str, Any]) -> bool:
    """The student's value is the variant's: right, or off only by a mistake priced at full credit."""
    if have[0] != "ok" or want[0] != "ok":
        return False
    j = judge(have[1], want[1], rtol=options.get("rtol"), atol=options.get("atol"))
    return j.ok or j.mistake in free

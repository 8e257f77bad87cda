"""A function that takes two of its arguments in the other order, named from the student's own values.

``loss(y_pred, y_true)`` written as ``loss(y_true, y_pred)`` gives wrong numbers that no generic rule reads
off (a log of zeros, say). Where a part's last step passes two inputs declared alike (the same dtype and
shape), and the student's values of a case are wrong with no mistake named, the student's child runs the
steps once more with those two arguments swapped; where every compared value is then the solution's, the
wrong values are named ``swapped_arguments``, which the part's ``partial`` prices.

>>> step = {"text": "L = net.loss(P, Y)", "targets": ["L"],
...         "call": {"path": ["net", "loss"], "args": [{"ref": "P"}, {"ref": "Y"}], "kwargs": {}}}
>>> alike = {"P": ("float64", ("N", "C")), "Y": ("float64", ("N", "C"))}
>>> swapped_step(step, alike)["text"]
'L = net.loss(Y, P)'
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from gradekit.code.diagnose import Judgement, judge, wrong_unnamed
from gradekit.code.scenario import Case

__all__ = ["swapped_step", "name_swapped_arguments"]


def swapped_step(step: Mapping[str, Any], declared: Mapping[str, tuple]) -> dict[str, Any] | None:
    """``step`` with its two positional input arguments swapped, where it has exactly two declared alike
    (``declared``: input name -> (dtype, dims)); None otherwise."""
    args = step.get("call", {}).get("args", [])
    plain = [a for a in args if set(a) == {"ref"} and a["ref"] in declared]
    if len(args) != 2 or len(plain) != 2 or declared[plain[0]["ref"]] != declared[plain[1]["ref"]]:
        return None
    if plain[0]["ref"] == plain[1]["ref"]:
        return None
    a, b = plain[0]["ref"], plain[1]["ref"]
    head, _, _ = step["text"].partition("(")
    return {**step, "call": {**step["call"], "args": [args[1], args[0]]}, "text": f"{head}({b}, {a})"}


def name_swapped_arguments(pair: Any, steps: Sequence[Mapping[str, Any]], declared: Mapping[str, tuple],
                           ran: Sequence[tuple[int, Case, dict, tuple]], wants: Mapping[int, tuple],
                           verdicts: list[list[tuple[str, Judgement | None]]], options: Mapping[str, Any],
                           timeout: float) -> None:
    """Name, in place, the wrong values of each case in ``ran`` (its index, the case, the request both children
    ran, the student's values) that the student's steps give right with the last step's arguments swapped
    (``wants``: the solution's values by case index)."""
    swapped = swapped_step(steps[-1], declared) if steps else None
    if swapped is None:
        return
    for k, case, request, _have in ran:
        wrong = [i for i in range(len(wants[k])) if wrong_unnamed(verdicts[i][k][1])]
        if not wrong:
            continue
        r = pair.student.call("_gk_scenario", {**request, "steps": [*request["steps"][:-1], swapped]},
                              *case.arrays, timeout=timeout)
        if not r.ok or not all(h[0] == "ok" and w[0] == "ok" and judge(h[1], w[1], rtol=options.get("rtol"),
                                                                       atol=options.get("atol")).ok
                               for h, w in zip(r.value, wants[k])):
            continue
        words = f"is the expected value when the arguments come in the other order, `{swapped['text']}`: " \
                f"the function takes them swapped"
        for i in wrong:
            verdicts[i][k] = (verdicts[i][k][0], Judgement(False, "swapped_arguments", words))

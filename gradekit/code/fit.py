"""A training check, checked as training (a part's ``fit``): both trained from the same start on the same data.

The data are served by the solution's file (a step such as ``X, y, W, K = notebook_data()`` runs in the
solution's child only), so a course's dataset is a function of its own solution, not a plug-in. Both
children then run the part's training steps on it. The student's training is judged as training:

- the trained parameters must have the solution's shapes and must differ from the start they were given
  (a function that never trains, whatever it predicts, scores 0 and says so);
- where the spec names the losses the training reports, the last must be below the first;
- the score (an accuracy) is computed in the solution's child, by the solution's own code, from the
  student's trained parameters: a predictor that is not the asked network (nearest neighbours, a swapped
  ``forward``) is never what is scored.

The pass mark is the spec's ``threshold``, or ``margin`` under what the solution's training reaches from the
same start in the same run, when that is lower.

>>> fit = parse_fit({"data": "X, y, W = served()", "steps": ["Ws = train(X, y, W)", "W_T = Ws[-1]"],
...                  "trained": ["W_T"], "start": ["W"], "score": "acc = accuracy(X, y, W_T)"}, ("served", "train", "accuracy"))
>>> fit.served, fit.trained, fit.score_name, fit.threshold
(('X', 'y', 'W'), ('W_T',), 'acc', 0.9)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from gradekit.code.callkind import CallKind
from gradekit.code.scenario import bound_names, parse_path, parse_step, referenced
from gradekit.code.spec import Graded

__all__ = ["FitTest", "FitRunner", "parse_fit"]

FIT_KEYS = frozenset({"data", "steps", "trained", "start", "score", "losses", "threshold", "margin", "time_budget",
                      "about"})


@dataclass(frozen=True)
class FitTest:
    data: Mapping[str, Any]  # the step that serves the data, in the solution's child
    steps: tuple[Mapping[str, Any], ...]
    trained: tuple[str, ...]
    start: tuple[str, ...]
    score: Mapping[str, Any]
    losses: tuple[str, ...] | None
    threshold: float
    margin: float
    time_budget: float
    about: str

    @property
    def served(self) -> tuple[str, ...]:
        return tuple(self.data["targets"])

    @property
    def score_name(self) -> str:
        return self.score["targets"][0]

    @property
    def text(self) -> str:
        steps = "; ".join(s["text"] for s in self.steps)
        return (f"{steps} on the served data ({self.data['text']}); then {self.score['text']} by the solution's "
                f"code, from the trained {', '.join(self.trained)}")


def parse_fit(raw: Any, names: Sequence[str]) -> FitTest:
    """The part's ``fit`` table; ``ValueError`` saying what is wrong."""
    if not isinstance(raw, Mapping) or set(raw) - FIT_KEYS:
        raise ValueError(f"must be a table of {', '.join(sorted(FIT_KEYS))}")
    data = parse_step(raw.get("data"))
    if "call" not in data or not data["targets"] or len(data["call"]["path"]) != 1:
        raise ValueError("data must be a step such as \"X, y = served_data()\" calling a function of the solution")
    known = set(data["targets"])
    steps = []
    for text in raw.get("steps") or []:
        step = parse_step(text)
        for ref in referenced([step]):
            if ref not in known and ref not in names:
                raise ValueError(f"step {text!r} uses {ref!r}, which is neither served nor bound before it")
        known |= bound_names([step])
        steps.append(step)
    if not steps:
        raise ValueError("steps must list the training's statements")
    trained, start = raw.get("trained"), raw.get("start", [])
    if not isinstance(trained, list) or not trained or any(t not in known for t in trained):
        raise ValueError("trained must list the parameters the steps bind after training")
    if not isinstance(start, list) or (start and len(start) != len(trained)) or \
            any(s not in data["targets"] for s in start):
        raise ValueError("start must list the served starting values of the trained parameters, in their order")
    score = parse_step(raw.get("score"))
    if len(score["targets"]) != 1 or "call" not in score:
        raise ValueError("score must be one step binding the score, such as \"acc = accuracy(X, y, W)\"")
    losses = raw.get("losses")
    if losses is not None:
        losses = tuple(parse_path(losses))
        if losses[0] not in known:
            raise ValueError(f"losses names {losses[0]!r}, which the steps never bind")
    numbers = {k: raw.get(k, d) for k, d in (("threshold", 0.9), ("margin", 0.02), ("time_budget", 10.0))}
    for k, v in numbers.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0 or (k == "time_budget" and not v):
            raise ValueError(f"{k} is {v!r}, but must be a number >= 0")
    return FitTest(data, tuple(steps), tuple(trained), tuple(start), score, losses, float(numbers["threshold"]),
                   float(numbers["margin"]), float(numbers["time_budget"]), str(raw.get("about", "")))


@dataclass(frozen=True)
class FitRunner:
    """The ``training`` check of a part with a ``fit`` table: ``run(pair, options)`` -> ``Graded``."""

    fit: FitTest
    setup: Mapping[str, Any]
    stand_in: tuple[str, ...] = ()  # as in the part's values check: the training judged on its own
    own: str | None = None  # the part's own function: not implemented while its body is the starter's

    def __call__(self, pair: Any, options: Mapping[str, Any]) -> Graded:
        """The student's training with its own functions first (the quick run: no calls recorded); where that
        fails for a reason other than time, again with the solution's values standing in for the other graded
        functions, so the training is judged on its own (a wrong DNNbackward costs DNNbackward's points)."""
        from gradekit.code.unchanged import starter_unchanged

        if starter_unchanged(pair.student.student_code, self.setup, self.own):
            return Graded.missing()
        served = serve(pair, self.fit)
        first = self._attempt(pair, options, served, ())
        if first.fraction >= 1.0 or not self.stand_in or first.message.startswith(_OVER):
            return first
        return self._attempt(pair, options, served, self.stand_in)

    def _attempt(self, pair: Any, options: Mapping[str, Any], served: Sequence[np.ndarray],
                 stand_in: Sequence[str]) -> Graded:
        from gradekit.code.standins import flatten_records

        fit = self.fit
        compare = [[t] for t in fit.trained] + ([list(fit.losses)] if fit.losses else [])
        request = {"inputs": list(fit.served), "dims": {}, "library": self.setup["library"],
                   "tensors": self.setup["tensors"], "steps": list(fit.steps), "compare": compare, "seed": 0,
                   "stand_in": list(stand_in)}
        budget = pair.student.call_limit(float(options.get("time_budget", fit.time_budget)))
        ref = _solution(pair, request, served, max(budget, 60.0), "training", records=bool(stand_in))
        replay: list = []
        if stand_in:
            request["replay"], replay = flatten_records(ref[-1])
            ref = ref[:-1]
        mark = min(float(options.get("threshold", fit.threshold)), _score(pair, fit, served, ref[:len(fit.trained)],
                                                                         solution=True) - fit.margin)
        got = pair.student.call("_gk_scenario", request, *served, *replay, timeout=budget, retry=True)
        if not got.ok:
            return _failed(got, budget)
        values = got.value
        for name, (status, have), (_, want) in zip(fit.trained, values, ref):
            if status != "ok":
                return Graded(0.0, f"after training, {have}")
            if np.shape(have) != np.shape(want):
                return Graded(0.0, f"after training, {name} has shape {np.shape(have)}, expected {np.shape(want)}")
        trained = [v for _, v in values[:len(fit.trained)]]
        score = _score(pair, fit, served, values[:len(fit.trained)], solution=False)
        below = None if score >= mark else (f"{fit.score_name} {score:.3f} from the trained {', '.join(fit.trained)}"
                                            f"{f' on {fit.about}' if fit.about else ''}, below the pass mark "
                                            f"{mark:.3g}")
        start = dict(zip(fit.served, served))
        if fit.start and all(np.array_equal(np.asarray(t, dtype=float), np.asarray(start[s], dtype=float))
                             for t, s in zip(trained, fit.start)):
            return Graded(0.0, f"{', '.join(fit.trained)} came back as the start {', '.join(fit.start)}: the network "
                               f"was not trained, and only its own trained weights are scored"
                               + (f" ({below})" if below else ""))
        if fit.losses:
            status, losses = values[len(fit.trained)]
            flat = np.asarray(losses, dtype=float).reshape(-1) if status == "ok" else np.zeros(0)
            if flat.size < 2 or not np.all(np.isfinite(flat)) or not flat[-1] < flat[0]:
                return Graded(0.0, f"the losses the training reports ({'.'.join(fit.losses)}) do not fall: "
                                   f"{np.round(flat[:3], 4).tolist()} ... {np.round(flat[-2:], 4).tolist()}")
        return Graded(1.0) if below is None else Graded(0.0, below)


def serve(pair: Any, fit: FitTest) -> tuple[np.ndarray, ...]:
    """The data the solution's file serves (its data step, run in the solution's child)."""
    request = {"inputs": [], "dims": {}, "steps": [fit.data], "compare": [[t] for t in fit.served], "seed": 0}
    return tuple(np.asarray(v) for _, v in _solution(pair, request, (), 60.0, "data"))


def _solution(pair: Any, request: Mapping[str, Any], arrays: Sequence[Any], timeout: float, what: str,
              records: bool = False) -> tuple:
    from gradekit.code.props import CheckFault

    r = pair.reference.call("_gk_scenario", dict(request), *arrays, timeout=timeout)
    if not r.ok:
        raise CheckFault(f"the solution's {what} failed: {r.message}")
    if any(status != "ok" for status, _ in (r.value[:-1] if records else r.value)):
        raise CheckFault(f"the solution's {what} left a compared value unset: {r.value}")
    return r.value


def _score(pair: Any, fit: FitTest, served: Sequence[Any], trained: Sequence[Any], solution: bool) -> float:
    """The score step run by the solution's code on ``trained`` (the solution's or the student's)."""
    request = {"inputs": [*fit.served, *fit.trained], "dims": {}, "steps": [fit.score],
               "compare": [[fit.score_name]], "seed": 0}
    from gradekit.code.props import CheckFault

    arrays = [np.asarray(v) for _, v in trained]
    try:
        value = _solution(pair, request, (*served, *arrays), 60.0, "score")
        return float(np.asarray(value[0][1], dtype=float).reshape(()))
    except (CheckFault, TypeError, ValueError):
        if solution:
            raise
        return float("nan")  # trained values the solution's code cannot score (not finite, say): below any mark


_OVER = "did not finish within its time budget"


def _failed(got: Any, budget: float) -> Graded:
    if got.kind == CallKind.NOT_IMPLEMENTED:
        return Graded.missing()
    if got.kind == CallKind.TIMEOUT:
        return Graded(0.0, f"{_OVER} of {budget:g} s of CPU time"
                           + (" (tried twice)" if got.retried else ""))
    message = got.message
    for prefix in ("_gk_scenario raised _GkStepError: ", "_gk_scenario raised "):
        if message.startswith(prefix):
            message = message[len(prefix):] if "GkStep" in prefix else "raised " + message[len(prefix):]
            break
    return Graded(0.0, message)

"""Property checks on a student's function, run and judged in the parent.

A check draws inputs (hypothesis first, then explicit edge cases), sends them
to the child, and judges the plain arrays that come back against the
reference computed here. A failure names the smallest failing input hypothesis
found, the student's output, and where and roughly how far it is from the
reference's: the expected value to 2 significant digits, never to a precision a
student could copy back (the edge cases are fixed, so an exact expected value
would let a file learn them submission by submission). A part whose spec says
``reveal = "exact"`` shows it exactly (``exact_feedback``).

>>> compare(np.array([1.0, 2.0]), np.array([1.0, 2.5]), rtol=1e-6, atol=1e-9)
'entry 2 is 2.5, expected about 2 (off by about 0.5 at 1 of 2 entries)'
>>> with exact_feedback(True):
...     compare(np.array([1.0, 2.0]), np.array([1.0, 2.5]), rtol=1e-6, atol=1e-9)
'entry 2 is 2.5, expected 2 (max abs error 0.5)'

An exception in the search is never "no failure": the session turns everything a
child sends into a ``CallResult``, so what raises is gradekit's own code (a
``CheckFault``, the part's ``error`` verdict), except a judge that raises only on
the student's value, which fails the part with the reason.
"""

from __future__ import annotations

import contextvars
import time
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

import numpy as np

from gradekit.core.texfmt import position
from gradekit.code.callkind import CallKind

if TYPE_CHECKING:
    from gradekit.code.session import CallResult
    from hypothesis.strategies import SearchStrategy  # imported when a check searches

__all__ = ["compare", "compare_any", "show", "rough", "run_property", "exact_feedback", "CheckFault", "FATAL"]

# How hard to look for a smaller failing input once one is found.
SHRINK_CALLS, SHRINK_SECONDS = 150, 2.0
# Failures that no smaller input can explain: stop searching, report as is.
FATAL = {CallKind.NOT_IMPLEMENTED, CallKind.MISSING, CallKind.IMPORT, CallKind.TIMEOUT, CallKind.CRASH, CallKind.GARBLED,
         CallKind.MEMORY, CallKind.EXIT}


# Whether messages may give expected values exactly: set per part by the grader (``reveal = "exact"``).
_EXACT: contextvars.ContextVar[bool] = contextvars.ContextVar("gradekit_exact_feedback", default=False)


class CheckFault(Exception):
    """The grader's own code failed while checking (the reference, a judge, hypothesis): an ``error``, not points."""


@contextmanager
def exact_feedback(on: bool):
    """Within it, ``compare`` gives expected values exactly (a part whose spec allows it)."""
    token = _EXACT.set(bool(on))
    try:
        yield
    finally:
        _EXACT.reset(token)


def rough(x: float) -> str:
    """A reference value as feedback shows it: 2 significant digits unless exact feedback is on.

    >>> rough(0.123456), rough(-3.0), rough(1e300)
    ('0.12', '-3', '1e+300')
    """
    return f"{x:g}" if _EXACT.get() else f"{x:.2g}"


def show(x: Any, limit: int = 300) -> str:
    """A short, readable form of an input or output."""
    if isinstance(x, tuple):
        text = "(" + ", ".join(show(v, limit) for v in x) + ")"
    elif isinstance(x, np.ndarray):
        text = np.array2string(x, precision=6, threshold=20, separator=", ", max_line_width=10**6)
        text = text.replace("\n", "")
    else:
        text = repr(x)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def compare(expected: Any, got: Any, rtol: float, atol: float, name: str = "",
            labels: Sequence[str] = ()) -> str | None:
    """None when ``got`` matches ``expected`` (arrays, or tuples of them); else where and by how much.

    ``labels`` name a tuple's values in messages (``("H", "A", "O")``).
    """
    where = f"{name} " if name else ""
    if isinstance(expected, tuple):
        if not isinstance(got, tuple) or len(got) != len(expected):
            n = len(got) if isinstance(got, tuple) else 1
            return f"returned {n} value{'s' * (n != 1)}, expected {len(expected)}"
        for i, (e, g) in enumerate(zip(expected, got)):
            label = labels[i] if i < len(labels) else f"value {i + 1}"
            bad = compare(e, g, rtol, atol, label if not name else f"{name}[{i}]")
            if bad:
                return bad
        return None
    if not isinstance(got, np.ndarray):
        return f"{where}is {show(got)}, expected an array"
    exp = np.asarray(expected, dtype=float)
    if got.shape != exp.shape:
        if got.size == exp.size and np.squeeze(got).shape == np.squeeze(exp).shape and got.size:
            got = got.reshape(exp.shape)  # (1, N) for (N,): same numbers, say nothing
        else:
            return f"{where}has shape {got.shape}, expected {exp.shape}"
    g = got.astype(float)
    if np.isnan(g).any():
        idx = tuple(int(i) for i in np.argwhere(np.isnan(g))[0])
        return f"{where}is NaN at {position(idx)}, expected {'' if _EXACT.get() else 'about '}{rough(exp[idx])}"
    ok = np.isclose(g, exp, rtol=rtol, atol=atol)
    if ok.all():
        return None
    idx = tuple(int(i) for i in np.argwhere(~ok)[0])
    err = float(np.max(np.abs(g - exp)[~ok]))
    if _EXACT.get():
        return f"{where}{position(idx)} is {g[idx]:g}, expected {exp[idx]:g} (max abs error {err:.3g})"
    # the student's own number in full, the reference's rounded, the error to one digit: where and how much
    return (f"{where}{position(idx)} is {g[idx]:g}, expected about {rough(exp[idx])} "
            f"(off by about {err:.1g} at {int((~ok).sum())} of {ok.size} entries)")


def compare_any(expected: Sequence[Any], got: Any, rtol: float, atol: float, labels: Sequence[str] = ()) -> str | None:
    """None when ``got`` matches one of several right answers (conventions); else the first mismatch."""
    first = None
    for e in expected:
        bad = compare(e, got, rtol, atol, labels=labels)
        if bad is None:
            return None
        first = first or bad
    return first


class _Stop(Exception):
    """A fatal failure already recorded: end the search without calling the child again."""


def run_property(
    call: Callable[[tuple], CallResult],
    judge: Callable[[tuple, Any], str | None],
    strategy: SearchStrategy | None = None,
    explicit: Iterable[tuple[str, tuple]] = (),
    examples: int = 25,
    describe: Callable[[tuple], str] = show,
) -> str | None:
    """None when every input passes; else one line: the (smallest) failing input and what went wrong.

    ``call(inputs)`` runs the student's function in the child; ``judge(inputs,
    value)`` compares with the reference in the parent; ``explicit`` are named
    edge cases tried first; ``strategy`` draws input tuples for hypothesis.
    Raises ``CheckFault`` (or the ``GraderError`` the session raised) when the
    grader itself failed: never a pass.
    """
    # hypothesis first: when it finds a failure, it shrinks it to a small input worth reading
    found = _search(call, judge, strategy, examples, describe) if strategy is not None and examples > 0 else None
    if found is not None:
        return found
    for label, inputs in explicit:  # edges random draws rarely hit: 1e300, all zeros
        bad = _one(call, judge, inputs)
        if bad is not None:
            kind, msg = bad
            return msg if kind in FATAL else f"fails on {label}, {describe(inputs)}: {msg}"
    return None


def _search(call, judge, strategy, examples: int, describe) -> str | None:
    from hypothesis import HealthCheck, Phase, given, settings

    from gradekit.sandbox.cputime import load_factor

    state: dict[str, Any] = {"fatal": None, "last": None, "calls": 0, "raised": None}
    # the shrinking's wall-clock allowance grows with the load, so the input reported does not depend on it
    budget, deadline = examples + SHRINK_CALLS, time.monotonic() + SHRINK_SECONDS * load_factor()

    def test(inputs: tuple) -> None:
        if state["fatal"] is not None or state["raised"] is not None:
            raise _Stop
        if state["last"] is not None and (state["calls"] >= budget or time.monotonic() > deadline):
            return  # shrinking budget spent: every candidate "passes", so hypothesis stops; keep the smallest so far
        state["calls"] += 1
        try:
            bad = _one(call, judge, inputs)
        except BaseException as e:  # the grader's own fault (see _one): kept, and raised once hypothesis is out
            state["raised"] = e
            raise _Stop from None
        if bad is None:
            return
        kind, msg = bad
        if kind in FATAL:
            state["fatal"] = msg
            raise _Stop
        state["last"] = (inputs, msg)  # hypothesis replays the smallest failure last
        raise AssertionError(msg)

    runner = settings(
        max_examples=examples, database=None, derandomize=True, deadline=None, print_blob=False,
        report_multiple_bugs=False,
        phases=(Phase.generate, Phase.shrink), suppress_health_check=list(HealthCheck),
    )(given(strategy)(test))
    escaped: BaseException | None = None
    try:
        with _hypothesis_home():
            runner()
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as e:  # the test's own AssertionError/_Stop come back here, or hypothesis's (Flaky)
        escaped = e
    raised = state["raised"]
    if raised is not None:
        from gradekit.core.errors import GraderError

        if isinstance(raised, Exception) and not isinstance(raised, (CheckFault, GraderError)):
            raise CheckFault(f"{type(raised).__name__}: {raised}") from raised
        raise raised
    if state["fatal"] is not None:
        return state["fatal"]
    if state["last"] is not None:
        inputs, msg = state["last"]
        return f"fails on {describe(inputs)} (the smallest failing input found): {msg}"
    if escaped is not None and not isinstance(escaped, (AssertionError, _Stop)):
        # nothing of the student's failed, yet the search did not finish: hypothesis or a strategy of ours
        raise CheckFault(f"the property search failed: {type(escaped).__name__}: {escaped}") from escaped
    return None


@contextmanager
def _hypothesis_home():
    """Hypothesis keeps files (failure patches) in ./.hypothesis: never in the grader's directory."""
    import tempfile  # here: an answers check that only validates a code spec never searches

    import hypothesis.configuration as hc

    old = vars(hc).get("__hypothesis_home_directory")
    with tempfile.TemporaryDirectory(prefix="gradekit-hyp-") as tmp:
        hc.set_hypothesis_home_dir(tmp)
        try:
            yield
        finally:
            hc.set_hypothesis_home_dir(old)


def _one(call, judge, inputs) -> tuple[str, str] | None:
    """(kind, message) when the student's function fails on ``inputs``, else None.

    ``call`` raises only for the grader's own faults: the session turns every reply, however malformed,
    into a ``CallResult``. A judge that raises is asked again without the student's value: raising then
    too, the fault is the reference's (a ``CheckFault``); judging ``None`` fine, it is the value's.
    """
    r = call(inputs)
    if not r.ok:
        return r.kind, r.message
    try:
        msg = judge(inputs, r.value)
    except Exception as e:
        try:
            judge(inputs, None)
        except Exception as again:
            raise CheckFault(f"judging failed whatever the student returned: {type(again).__name__}: {again}") from e
        return "unjudgeable", f"returned {show(r.value, 80)}, which cannot be compared with the reference " \
                              f"({type(e).__name__}: {str(e)[:120]})"
    return None if msg is None else ("wrong", msg)

"""A gradient paired with finite differences of the forward the steps run (a part's ``gradcheck``).

A part that computes a gradient says which loss its steps bind and which input each compared gradient is
taken in: ``gradcheck = { loss = "L", wrt = ["W", "K"], grads = ["pLpW", "pLpK"] }``. Each child reruns the
steps up to the loss with every entry of each input moved by ±h and returns central differences: of the
student's own forward in the student's child (where another graded function stands in, its solution's
values), of the solution's in the solution's. The student's gradient is judged against its own child's
differences; the solution's must agree with its own, or the check is the grader's fault.

>>> parse_gradcheck({"loss": "L", "wrt": ["W"], "grads": ["gW"]}, ["L = loss(W)", "gW = grad(W)"], {"W", "L", "gW"})
{'loss': 'L', 'wrt': ['W'], 'grads': ['gW'], 'upto': 1, 'eps': 1e-06}
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

__all__ = ["parse_gradcheck", "FD_RTOL"]

FD_RTOL = 1e-4  # central differences with h = 1e-6 are good to about 1e-6 of the gradient, away from kinks


def parse_gradcheck(raw: Any, steps: Sequence[Any], known: set[str]) -> dict[str, Any]:
    """The part's ``gradcheck`` table, checked; ``ValueError`` saying what is wrong. ``steps`` are the step
    texts (or parsed steps with ``targets``): the steps up to the one binding the loss are rerun."""
    if not isinstance(raw, Mapping) or set(raw) - {"loss", "wrt", "grads", "eps"}:
        raise ValueError("must be { loss = NAME, wrt = [inputs], grads = [compared gradients] }")
    loss, wrt, grads = raw.get("loss"), raw.get("wrt"), raw.get("grads")
    if not isinstance(wrt, list) or not isinstance(grads, list) or not wrt or len(wrt) != len(grads):
        raise ValueError("wrt and grads must be lists of the same length: each gradient with its input")
    for name in [loss, *wrt, *grads]:
        if not isinstance(name, str) or name not in known:
            raise ValueError(f"names {name!r}, which is no input or name the steps bind")
    upto = next((i + 1 for i, s in enumerate(steps) if loss in _targets(s)), None)
    if upto is None:
        raise ValueError(f"loss {loss!r} is bound by no step")
    eps = raw.get("eps", 1e-6)
    if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not 0 < eps < 1:
        raise ValueError(f"eps is {eps!r}, but must be a small step such as 1e-6")
    return {"loss": loss, "wrt": list(wrt), "grads": list(grads), "upto": upto, "eps": float(eps)}


def _targets(step: Any) -> list[str]:
    if isinstance(step, Mapping):
        return list(step.get("targets") or [])
    return [t.strip() for t in str(step).split("=", 1)[0].split(",")] if "=" in str(step) else []

"""Training checked as training: what a training function sends back is its network's parameters, and they
are scored by the network's own class, in a network the grader builds.

A function handed a network to train could put any classifier in the network's place (a nearest-class-mean
set as ``net.forward``) and be judged by the accuracy alone. So the child sends back the trained
``state_dict`` as plain arrays (with the optimizer steps that touched the net and the modules whose
``forward`` was replaced); here it is read within bounds, and the verdict asks three things of it, in this
order: the parameters changed, the loss of the class's own forward on the training data fell, and (by the
caller) the accuracy of that forward reaches the pass mark. The forward that is scored never comes from
the student's process.

>>> expected = {"w": (2, 3)}
>>> read_trained((("w",), (np.zeros((2, 3), np.float32),), 4, [], ""), expected).steps
4
>>> read_trained((("v",), (np.zeros((2, 3), np.float32),), 4, [], ""), expected)
"the trained net's parameters are v, not the network's w: the function must train the net it is handed"
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

__all__ = ["Trained", "read_trained", "not_trained", "swapped_note"]


@dataclass(frozen=True)
class Trained:
    """A training function's result as the child reports it, read within bounds."""

    state: Mapping[str, np.ndarray]  # the trained state_dict, float32 arrays of the expected shapes
    steps: int  # torch optimizer steps whose parameters included the net's
    swapped: tuple[str, ...]  # modules whose forward was set on the instance
    cuda: str  # the CUDA calls kept on the CPU, one line


def read_trained(value: Any, expected: Mapping[str, tuple[int, ...]]) -> Trained | str:
    """The child's ``(names, arrays, steps, swapped, cuda)`` against the parameter names and shapes the
    network has; a line saying what is wrong otherwise (the student's function replaced or reshaped layers)."""
    if not (isinstance(value, tuple) and len(value) == 5 and isinstance(value[0], (tuple, list))
            and isinstance(value[1], (tuple, list)) and len(value[0]) == len(value[1]) <= 10_000):
        return f"the trained net came back as {type(value).__name__}, not its parameters"
    names, arrays, steps, swapped, cuda = value
    if not all(isinstance(n, str) for n in names):
        return "the trained net's parameter names came back malformed"
    state = dict(zip(names, arrays))
    if set(state) != set(expected):
        return (f"the trained net's parameters are {', '.join(sorted(map(str, state)))[:300]}, not the network's "
                f"{', '.join(sorted(expected))}: the function must train the net it is handed")
    for name, shape in expected.items():
        a = state[name]
        if not isinstance(a, np.ndarray) or a.dtype != np.float32 or a.shape != tuple(shape):
            return (f"the trained net's {name} has shape {getattr(a, 'shape', None)}, expected {tuple(shape)}: "
                    f"the function must train the net it is handed, not replace its layers")
        if not np.all(np.isfinite(a)):
            return f"the trained net's {name} holds NaN or infinite values: the training diverged"
    if isinstance(steps, np.ndarray) and steps.shape == () and steps.dtype.kind in "iu":
        steps = int(steps)  # numbers travel as 0-d arrays
    if isinstance(steps, bool) or not isinstance(steps, (int, float, np.number)) or not 0 <= steps < 2**53 \
            or steps != int(steps):
        return "the optimizer step count came back malformed"
    if not (isinstance(swapped, (list, tuple)) and all(isinstance(s, str) for s in swapped) and len(swapped) <= 1000):
        return "the list of replaced forwards came back malformed"
    return Trained(state, int(steps), tuple(s[:100] for s in swapped), cuda if isinstance(cuda, str) else "")


def not_trained(trained: Trained, start: Mapping[str, np.ndarray], loss_before: float | None,
                loss_after: float | None, call: str) -> str | None:
    """Why the parameters are not those of a trained net: unchanged from ``start``, or the loss of the
    class's own forward on the training data (``loss_before`` at the start, ``loss_after`` with the trained
    parameters) did not fall. None when it trained."""
    if all(np.array_equal(trained.state[k], np.asarray(v, dtype=np.float32)) for k, v in start.items()):
        how = ("no optimizer stepped them" if trained.steps == 0
               else f"{trained.steps} optimizer steps left them as they were")
        return f"after {call} the net's parameters did not change ({how}): the function must train the net's own layers"
    if loss_before is not None and loss_after is not None and not loss_after < loss_before:
        return (f"after {call} the loss of the net's own layers on the training data did not fall "
                f"({loss_before:.4f} at the start, {loss_after:.4f} after)")
    return None


def swapped_note(swapped: Sequence[str]) -> str:
    """The line that says a forward was replaced, and that it is not what is scored."""
    return (f"the function replaced the net's forward ({', '.join(swapped)}) with one of its own; what is scored "
            f"is the network's own layers with the parameters it left")

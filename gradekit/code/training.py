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

__all__ = ["Trained", "read_trained", "read_leaves", "not_trained", "swapped_note", "SERVED", "parse_train", "served",
           "trained_check"]


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


def read_leaves(value: Any) -> list[list[Any]]:
    """The student's network's leaf layers as the child describes them (path, class, torch.nn's or not, plain
    constructor values as JSON), within bounds; [] when malformed (the solution's network is scored as it is)."""
    if not (isinstance(value, (tuple, list)) and len(value) <= 1000):
        return []
    out = []
    for entry in value:
        if not (isinstance(entry, (tuple, list)) and len(entry) == 4 and isinstance(entry[0], str)
                and isinstance(entry[1], str) and isinstance(entry[3], str)
                and len(entry[0]) + len(entry[1]) + len(entry[3]) <= 1400):
            return []
        flag = entry[2]  # booleans travel as 0-d arrays
        if not (isinstance(flag, bool) or (isinstance(flag, np.ndarray) and flag.shape == () and flag.dtype == bool)):
            return []
        out.append([entry[0], entry[1], bool(flag), entry[3]])
    return out


def swapped_note(swapped: Sequence[str]) -> str:
    """The line that says a forward was replaced, and that it is not what is scored."""
    return (f"the function replaced the net's forward ({', '.join(swapped)}) with one of its own; what is scored "
            f"is the network's own layers with the parameters it left")


# --- a code problem's training part ----------------------------------------------------------
# Served data sets, by the name a spec gives: a generator of (images, labels) from a size and a seed, held
# offline (no download), imported when a part trains on it.
SERVED = {"quadrants": ("gradekit.reference.quadrants", "quadrants")}
TRAIN_FIELDS = ("model", "data", "sizes", "batch", "seed", "floor", "margin")
_SOLUTION_RUNS: dict[str, tuple] = {}  # the solution's training, once per grading process and request
BUDGET_FACTOR = 3.0  # a student's training may take this many times the solution's CPU time


def parse_train(raw: Any, known: set[str], where: str) -> dict[str, Any]:
    """A part's ``train = { model, data, sizes = [train, eval, test], batch, seed, floor, margin }``."""
    from gradekit.core.errors import ParamError

    if not isinstance(raw, Mapping) or set(raw) - set(TRAIN_FIELDS):
        raise ParamError(where, f"must be a table of {', '.join(TRAIN_FIELDS)}")
    if raw.get("model") not in known:
        raise ParamError(where, f"model is {raw.get('model')!r}, but must be a model the steps bind")
    if raw.get("data") not in SERVED:
        raise ParamError(where, f"data is {raw.get('data')!r}; the served data sets are {', '.join(SERVED)}")
    sizes = raw.get("sizes", [512, 128, 256])
    if not (isinstance(sizes, list) and len(sizes) == 3 and all(isinstance(n, int) and 1 <= n <= 20_000
                                                                 for n in sizes)):
        raise ParamError(where, f"sizes is {sizes!r}, but must be [training, evaluation, test] image counts")
    out = {"model": raw["model"], "data": raw["data"], "sizes": sizes, "batch": raw.get("batch", 64),
           "seed": raw.get("seed", 0), "floor": raw.get("floor", 0.0), "margin": raw.get("margin", 0.1)}
    for key in ("batch", "seed"):
        if isinstance(out[key], bool) or not isinstance(out[key], int) or not 0 <= out[key] <= 2**31:
            raise ParamError(where, f"{key} is {out[key]!r}, but must be a whole number")
    for key in ("floor", "margin"):
        if isinstance(out[key], bool) or not isinstance(out[key], (int, float)) or not 0 <= out[key] <= 1:
            raise ParamError(where, f"{key} is {out[key]!r}, but must be an accuracy from 0 to 1")
    return out


def served(train: Mapping[str, Any]) -> tuple[np.ndarray, ...]:
    """(X_train, y_train, X_eval, y_eval, X_test, y_test) of the part's served data set."""
    import importlib

    module, name = SERVED[train["data"]]
    make = getattr(importlib.import_module(module), name)
    seed = int(train["seed"])
    out: list[np.ndarray] = []
    for i, n in enumerate(train["sizes"]):
        out += make(int(n), seed=seed + 1 + i)
    return tuple(out)


LOSS_IMAGES = 512  # the training images whose loss, at the start and after, tells that the loss fell


def _loss_images(data: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    return data[0][:LOSS_IMAGES], data[1][:LOSS_IMAGES]


def _train_solution(pair: Any, request: Mapping[str, Any], data: Sequence[np.ndarray], timeout: float,
                    failure) -> tuple:
    """(start state, start loss, test accuracy, CPU seconds) of the solution's own training."""
    from gradekit.code.props import CheckFault

    r = pair.reference.call("_gk_train", {**request, "export_start": True}, *data[:4], timeout=max(timeout, 600.0))
    if not r.ok:
        raise CheckFault(f"the solution failed to train ({failure(r) or 'not implemented'})")
    start, state = r.value[0], r.value[2]
    scores = [pair.reference.call("_gk_evaluate", request, *_loss_images(data), data[4], *s,
                                  timeout=max(timeout, 60.0)) for s in (start, state)]
    if not all(s.ok for s in scores):
        raise CheckFault("the solution's trained model could not be evaluated")
    accuracy = float(np.mean(np.asarray(scores[1].value[1]) == data[5]))
    return tuple(start), float(scores[0].value[0]), accuracy, float(r.cpu)


# The solution's training is kept per machine, as a grading process's cache would be across runs: in the
# grader's cache folder ($GRADEKIT_CACHE, else ~/.cache/gradekit), keyed by all it depends on (the
# solution's text, the request, the served data's code, torch's version, the machine and its CPU model), so a
# check pays only for the student's training. A missing, unreadable or implausible entry trains afresh; a
# folder that cannot be written is no error.
def _run_key(solution_key: str, request: Mapping[str, Any], train: Mapping[str, Any]) -> str:
    import hashlib
    import importlib.util
    import json
    import platform
    from importlib import metadata
    from pathlib import Path

    try:
        torch_version = metadata.version("torch")
    except metadata.PackageNotFoundError:
        torch_version = ""
    found = importlib.util.find_spec(SERVED[train["data"]][0])
    origin = found.origin if found is not None else None
    h = hashlib.sha256(json.dumps([solution_key, request, dict(train), torch_version, platform.machine(),
                                   _cpu_model(), BUDGET_FACTOR], sort_keys=True, default=str).encode())
    h.update(Path(origin).read_bytes() if origin else b"")
    h.update(Path(__file__).read_bytes())
    return h.hexdigest()[:32]


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            return next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), "")
    except OSError:
        return ""


def _cache_file(key: str):
    import os
    from pathlib import Path

    return Path(os.environ.get("GRADEKIT_CACHE") or Path.home() / ".cache" / "gradekit") / f"code-train-{key}.npz"


def _read_run(key: str) -> tuple | None:
    try:
        with np.load(_cache_file(key), allow_pickle=False) as z:
            n = int(z["n"])
            start = tuple(z[f"start_{i}"] for i in range(n))
            loss, acc, cpu = float(z["loss"]), float(z["accuracy"]), float(z["cpu"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not (0 < n <= 10_000 and 0.0 <= acc <= 1.0 and np.isfinite(loss) and 0.0 < cpu < 3600.0
            and all(a.dtype == np.float32 and np.all(np.isfinite(a)) for a in start)):
        return None  # implausible: train again rather than trust it
    return start, loss, acc, cpu


def _write_run(key: str, run: tuple) -> tuple:
    import os
    import tempfile

    path = _cache_file(key)
    start, loss, acc, cpu = run
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".code-train-", suffix=".npz")
        with os.fdopen(fd, "wb") as f:
            arrays: dict[str, Any] = {"n": len(start), "loss": loss, "accuracy": acc, "cpu": cpu,
                                      **{f"start_{i}": np.asarray(a, dtype=np.float32) for i, a in enumerate(start)}}
            np.savez(f, **arrays)
        os.replace(tmp, path)  # whole or not at all, for graders side by side
    except OSError:
        pass
    return run


def trained_check(pair: Any, steps: Sequence[Mapping[str, Any]], train: Mapping[str, Any], dims: Mapping[str, int],
                  options: Mapping[str, Any], timeout: float, failure, solution_key: str):
    """Grade a training part: the solution and the student train from the same start on the same served
    data; the student's trained state is scored by the solution's class in the solution's child, as
    training (changed, loss fell, the class's own forward) and by its test accuracy against
    max(floor, the solution's accuracy − margin)."""
    from gradekit.code.callkind import CallKind
    from gradekit.code.props import CheckFault
    from gradekit.code.spec import Graded

    data = served(train)
    request = {"steps": list(steps), "model": train["model"], "dims": dict(dims), "batch": int(train["batch"]),
               "seed": int(train["seed"]), "loaders": {"train_iter": [0, 1, True], "test_iter": [2, 3, False]}}
    key = _run_key(solution_key, request, train)
    if key not in _SOLUTION_RUNS:
        _SOLUTION_RUNS[key] = _read_run(key) or _write_run(key, _train_solution(pair, request, data, timeout, failure))
    start, start_loss, reference, spent = _SOLUTION_RUNS[key]
    if reference < float(train["floor"]) + float(train["margin"]) or reference <= 0.0:
        raise CheckFault(f"the solution's training reaches a test accuracy of {reference:.3f} on the served data, "
                         f"under {float(train['floor']) + float(train['margin']):g}: no pass mark can be set from it")
    mark = max(float(train["floor"]), reference - float(train["margin"]))
    # CPU seconds, the same on a busy machine: BUDGET_FACTOR times the solution's, at least the part's own
    budget = max(float(options.get("time_budget", timeout)), BUDGET_FACTOR * spent)
    budget = pair.student.call_limit(budget) if hasattr(pair.student, "call_limit") else budget
    got = pair.student.call("_gk_train", {**request, "start": len(start)}, *data[:4], *start, timeout=budget,
                            retry=True)
    if not got.ok:
        if got.kind == CallKind.TIMEOUT:
            return Graded(0.0, f"did not finish within its time budget of {budget:g} s of CPU time"
                               + (" (tried twice)" if got.retried else ""))
        why = failure(got)
        return Graded.missing() if why is None else Graded(0.0, why.replace("_gk_train raised _GkStepError: ", "")
                                                            .replace("_gk_train raised ", "raised "))
    value = got.value
    expected = {f"tensor {i + 1}": a.shape for i, a in enumerate(start)}
    if not (isinstance(value, tuple) and len(value) == 7 and isinstance(value[2], tuple)):
        trained: Trained | str = f"the trained model came back as {type(value).__name__}"
    elif len(value[2]) != len(start):
        trained = (f"the trained net holds {len(value[2])} tensors, the network handed to it {len(start)}: the "
                   f"function must train the net it is handed, not replace its layers")
    else:
        trained = read_trained((tuple(expected), *value[2:3], *value[3:6]), expected)
    if isinstance(trained, str):
        return Graded(0.0, trained)
    arrays = [trained.state[k] for k in expected]
    scoring = {**request, "layers": read_leaves(value[6])}
    scored = pair.reference.call("_gk_evaluate", scoring, *_loss_images(data), data[4], *arrays,
                                 timeout=max(timeout, 60.0))
    if not scored.ok:
        raise CheckFault("the student's trained state could not be scored by the solution's class")
    adopted = [str(a) for a in scored.value[2]] if len(scored.value) > 2 else []
    if adopted:  # the start's loss in the same network, so "the loss fell" compares like with like
        again = pair.reference.call("_gk_evaluate", scoring, *_loss_images(data), data[4], *start,
                                    timeout=max(timeout, 60.0))
        if not again.ok:
            raise CheckFault("the start of the student's network could not be scored by the solution's class")
        start_loss = float(again.value[0])
    loss, pred = float(scored.value[0]), np.asarray(scored.value[1])
    call = steps[-1]["text"]
    untrained = not_trained(trained, dict(zip(expected, start)), start_loss, loss, f"`{call}`")
    acc = float(np.mean(pred == data[5])) if pred.shape == data[5].shape else 0.0
    low = None if acc >= mark else (f"the trained model's test accuracy is {acc:.3f} on {len(data[5])} held-out "
                                    f"images, below the pass mark {mark:.3f} (the solution reaches {reference:.3f})")
    if low is not None and untrained is None:
        low = f"after `{call}` {low}"
    lines = [swapped_note(trained.swapped)] if trained.swapped else []
    if adopted:
        lines.append(f"scored in the solution's network with your own layers: {'; '.join(adopted)[:300]}")
    if untrained or low:
        return Graded(0.0, "; ".join([*lines, *filter(None, (untrained, low))]))
    if trained.cuda:
        lines.append(f"this grader has no GPU: {trained.cuda} was called and kept on the CPU")
    return Graded(1.0, "; ".join(lines))

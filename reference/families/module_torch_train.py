"""module.torch_train: ECE 449 tasks 2 and 3, a model builder and its training function, in PyTorch.

Builders (``get_DNN``, ``get_lenet``) are checked as ``module.torch`` checks any
model, by its ``model_checks`` (layers, shapes, parameters, output). Trainers
(``train_torch``, ``train_cnn``) are handed a fresh network built in the child
by ``gradekit.sandbox.child.torch_train_probe`` (appended after torch_probe), and send
back plain arrays: the trained weights of task 1's network, or LeNet-5's
predicted classes on held-out digits, with the losses they returned. The parent
compares the weights with task 1's NumPy reference (``mlp_numpy.train``: the
same arithmetic) and computes the accuracy itself; test labels never reach the
child.

>>> from gradekit.spec.catalog import load_catalog
>>> spec = load_catalog().resolve("ece449-a2/task3").validated_params
>>> spec.file, [c.name for c in spec.callable("train_cnn").checks]
('task3.py', ['losses', 'digits'])
"""

from __future__ import annotations

import ast
import functools
import importlib.util
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from gradekit.core.errors import ParamError
from gradekit.core.families import Family
from gradekit.core.records import Solution, Step
from gradekit.code.props import compare_any, show
from gradekit.code.wrap import append_child_code
from gradekit.code.spec import Check, module_params, parse_module
from gradekit.reference import mlp_numpy as ref

from . import module_mlp_numpy, module_torch

TIMEOUT = 10.0
# train_torch on a small random set: N divisible by the batch, so a loss summed over a batch is lr·batch exactly
TRAJECTORY = dict(n=20, lr=0.1, epochs=3, batch=5)
MLP_DIGITS = dict(lr=0.05, epochs=10, batch=10)  # task 1's digits run
CNN_DIGITS = dict(epochs=5, batch=32, lr=1e-3, seed=0)

PREAMBLE = "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F"  # the template's imports by default


def wrap_source(source: bytes) -> bytes:
    """The student's file with torch_probe (whose _gk_failure it uses) and torch_train_probe appended."""
    return append_child_code(source, "torch_probe", "torch_train_probe")


def _run(session, key: str, call, budget: float | None = None):
    """One glue call per session and key, shared by the checks that judge it: its value, or a failure line."""
    cache = session.__dict__.setdefault("_gradekit_train", {})
    if key not in cache:
        r = call()
        if not r.ok:
            cache[key] = (f"did not finish within the time budget of {budget:g} s"
                          if r.kind == "timeout" and budget is not None else r.message)
        else:
            cache[key] = r.value  # a str when the student's function failed: the glue's line says why
    return cache[key]


# --- train_torch -----------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def trajectory_case():
    """(X, y, W, K) for the trajectory check, from a fixed seed."""
    rng = np.random.default_rng(7)
    X, W, K = rng.normal(size=(TRAJECTORY["n"], 3)), rng.normal(0, 0.5, (2, 3)), rng.normal(0, 0.5, 2)
    y = np.where(X @ [1.0, -1.0, 0.5] > 0, 1.0, -1.0)
    return X, y, W, K


def _final(X, y, W, K, lr, epochs, batch, last_sample=True):
    W_list, K_list = ref.train(X, y, W, K, lr, epochs, batch, last_sample=last_sample)
    return W_list[-1], K_list[-1]


def _batch_means(y, batch: int) -> np.ndarray:
    """Each label replaced by its batch's mean label."""
    return np.concatenate([np.full(len(y[i:i + batch]), y[i:i + batch].mean()) for i in range(0, len(y), batch)])


def _mistakes(X, y, W, K, lr, epochs, batch):
    """Typical wrong losses, each as the final (W, K) it trains to (every sample used, as torch loops do)."""
    yield ("the steps are twice the reference's: the loss lacks the ½ (nn.MSELoss() is mean((y − O)²), "
           "without it)"), _final(X, y, W, K, 2 * lr, epochs, batch)
    yield (f"the steps are {batch} (batch_size) times the reference's: the loss is summed over the mini-batch, "
           f"not averaged"), _final(X, y, W, K, lr * batch, epochs, batch)
    # mean over B×B of ½(y_j − O_i)² has gradient (O_i − mean(y))/B: the mean loss against the batch's mean label
    yield ("the steps match a loss that pairs every output with every label: y (N,) minus model(X) (N, 1) "
           "broadcasts to N×N; reshape one of them"), _final(X, _batch_means(y, batch), W, K, lr, epochs, batch)


def _torch_call(session, key, X, y, W, K, lr, epochs, batch, timeout, budget=None):
    return _run(session, key, lambda: session.call("_gk_train_torch", X, y, W, K, float(lr), int(epochs), int(batch),
                                                   timeout=timeout), budget)


def _trajectory_run(session, o):
    X, y, W, K = trajectory_case()
    t = TRAJECTORY
    return _torch_call(session, "trajectory", X, y, W, K, t["lr"], t["epochs"], t["batch"],
                       float(o.get("timeout", TIMEOUT)))


def _weights(got) -> tuple[np.ndarray, np.ndarray] | str:
    if isinstance(got, str):
        return got
    return got[0], got[1]


def _trajectory(session, o):
    got = _weights(_trajectory_run(session, o))
    if isinstance(got, str):
        return got
    X, y, W, K = trajectory_case()
    t = TRAJECTORY
    rtol, atol = float(o.get("rtol", 1e-4)), float(o.get("atol", 1e-6))  # torch trains in float32
    refs = [_final(X, y, W, K, t["lr"], t["epochs"], t["batch"], last_sample=s) for s in (True, False)]
    bad = compare_any(refs, got, rtol, atol, labels=("W", "K"))
    if bad is None:
        return None
    head = (f"after train_torch(model, X (20×3), y, lr={t['lr']}, num_epochs={t['epochs']}, "
            f"batch_size={t['batch']}) the weights (W = model[0].weight, K = model[2].weight) "
            f"differ from the reference")
    if compare_any([(W, K)], got, 1e-6, 1e-7) is None:
        return f"{head}: the weights did not change; train_torch must update model's parameters (optimizer.step())"
    for why, final in _mistakes(X, y, W, K, t["lr"], t["epochs"], t["batch"]):
        if compare_any([final], got, rtol, atol) is None:
            return f"{head}: {why}"
    return f"{head}: {bad}"


def epoch_losses(X, y, W, K, lr, epochs, batch, last_sample=True) -> list[np.ndarray]:
    """The per-epoch losses a train_torch may return: the mean of the epoch's mini-batch losses (plainly, and
    weighted by batch size) and the loss on all of X after the epoch, along the reference's trajectory."""
    n = len(y)
    stop = n if last_sample else n - 1
    plain, weighted, after = [], [], []
    for _ in range(epochs):
        losses, sizes = [], []
        for start in range(0, n, batch):
            end = min(start + batch, stop)
            if end <= start:
                continue
            losses.append(ref.loss(y[start:end], ref.DNNforward(X[start:end], W, K)[2]))
            sizes.append(end - start)
            W, K = _final(X[start:end], y[start:end], W, K, lr, 1, end - start)  # the reference's step
        plain.append(np.mean(losses))
        weighted.append(np.average(losses, weights=sizes))
        after.append(ref.loss(y, ref.DNNforward(X, W, K)[2]))
    return [np.array(plain), np.array(weighted), np.array(after)]


def _losses_form(losses, epochs: int) -> str | None:
    if isinstance(losses, str):
        return losses
    if not isinstance(losses, np.ndarray) or losses.ndim != 1 or len(losses) != epochs:
        n = len(losses) if isinstance(losses, np.ndarray) else 0
        return f"returned {n} losses, expected one per epoch ({epochs})"
    if not np.isfinite(losses).all():
        return f"returned losses {show(losses)}: not all finite"
    return None


def _torch_losses(session, o):
    got = _trajectory_run(session, o)
    if isinstance(got, str):
        return got
    t = TRAJECTORY
    bad = _losses_form(got[2], t["epochs"])
    if bad is not None:
        return bad
    X, y, W, K = trajectory_case()
    refs = [v for s in (True, False) for v in epoch_losses(X, y, W, K, t["lr"], t["epochs"], t["batch"], s)]
    if compare_any(refs, got[2], 1e-3, 1e-6) is None:
        return None
    return (f"returned losses {show(got[2])}, expected each epoch's mean mini-batch loss {show(refs[1])} "
            f"or the loss mean(½ (y − O)²) on all of X after each epoch {show(refs[2])}")


def _torch_digits(session, o):
    threshold, budget = float(o.get("threshold", 0.95)), float(o.get("time_budget", 10.0))
    X, y, W, K = module_mlp_numpy.digits_start()
    d = MLP_DIGITS
    got = _weights(_torch_call(session, "digits", X, y, W, K, d["lr"], d["epochs"], d["batch"], budget, budget))
    return got if isinstance(got, str) else module_mlp_numpy.digits_verdict(X, y, *got, threshold)


# --- train_cnn -------------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def digits_images():
    """scikit-learn's digits fitted to 3×32×32 and normalised: (X_train, y_train, X_test, y_test) as arrays."""
    import torch

    from gradekit.reference.data import load_dataset
    from gradekit.reference.training import prepare

    # val_fraction 0 still holds one image out as validation; it is not used
    tr, _, te = prepare(load_dataset("digits"), (3, 32, 32), torch.device("cpu"), seed=0, val_fraction=0.0)
    return tr.x.numpy(), tr.y.numpy(), te.x.numpy(), te.y.numpy()


def _cnn_run(session, o):
    budget = float(o.get("time_budget", 20.0))
    X_train, y_train, X_test, _ = digits_images()  # the test labels stay here
    c = CNN_DIGITS
    return _run(session, "cnn", lambda: session.call("_gk_train_cnn", X_train, y_train, X_test, c["epochs"], c["batch"],
                                                     c["lr"], c["seed"], timeout=budget), budget)


def _cnn_losses(session, o):
    got = _cnn_run(session, o)
    if isinstance(got, str):
        return got
    losses = got[1]
    bad = _losses_form(losses, CNN_DIGITS["epochs"])
    if bad is not None:
        return bad
    if not losses[-1] < losses[0]:
        return (f"returned losses {show(losses)}: the last epoch's is not below the first's; "
                f"is the optimizer stepping on the cross-entropy of each mini-batch?")
    return None


def _cnn_digits(session, o):
    threshold = float(o.get("threshold", 0.9))
    got = _cnn_run(session, o)
    if isinstance(got, str):
        return got
    y_test = digits_images()[3]
    pred = got[0]
    if not isinstance(pred, np.ndarray) or pred.shape != y_test.shape:
        return f"the predictions came back with shape {getattr(pred, 'shape', None)}, expected {y_test.shape}"
    acc = float(np.mean(pred == y_test))
    if not acc >= threshold:
        c = CNN_DIGITS
        return (f"test accuracy {acc:.3f} on {len(y_test)} held-out digits after num_epochs={c['epochs']}, "
                f"batch_size={c['batch']}, lr={c['lr']:g}, below the threshold {threshold:g}")
    return None


TRAINERS: dict[str, dict[str, Check]] = {
    "train_torch": {
        "trajectory": Check("trajectory", _trajectory, "the trained weights against task 1's reference loop"),
        "losses": Check("losses", _torch_losses, "the returned per-epoch losses"),
        "digits": Check("digits", _torch_digits, "accuracy on scikit-learn digits within the time budget"),
    },
    "train_cnn": {
        "losses": Check("losses", _cnn_losses, "one loss per epoch, falling"),
        "digits": Check("digits", _cnn_digits, "test accuracy on scikit-learn digits within the time budget"),
    },
}


def validate(params: Mapping[str, Any]):
    raw = params.get("callables")
    if not isinstance(raw, list) or not raw:
        raise ParamError("callables", "must be a non-empty list of [[params.callables]] tables")
    checks: dict[str, dict[str, Check]] = {}
    for i, c in enumerate(raw):
        where = f"callables[{i}]"
        if not isinstance(c, dict) or not isinstance(c.get("name"), str):
            raise ParamError(where, "must be a table with name, signature, doc, and reference and cases for a model")
        if "reference" in c:
            checks[c["name"]] = module_torch.model_checks(c, where)
        elif c["name"] in TRAINERS:
            checks[c["name"]] = TRAINERS[c["name"]]
        else:
            raise ParamError(f"{where}.name", f"is {c['name']!r}, but this family trains only with "
                             f"{', '.join(TRAINERS)}; a model builder needs reference and cases")
    spec_params = dict(params)
    spec_params.setdefault("preamble", PREAMBLE)
    return parse_module(spec_params, checks, extra={"wrap_source": wrap_source})


@functools.lru_cache(maxsize=None)
def reference_source(name: str) -> str:
    """A function's source in ``gradekit.reference.ece449_torch``, read without importing it (or torch)."""
    origin = importlib.util.find_spec("gradekit.reference.ece449_torch").origin
    text = Path(origin).read_text(encoding="utf-8")
    node = next(n for n in ast.parse(text).body if isinstance(n, ast.FunctionDef) and n.name == name)
    return ast.get_source_segment(text, node)


def solve(spec) -> Solution:
    """Builders: the reference model they are compared with; trainers: the reference solution's source."""
    answers, steps = {}, []
    for fn in spec.callables:
        if fn.name in TRAINERS:
            answers[fn.name] = reference_source(fn.name)
        else:
            answers[fn.name] = module_torch.model_answer(fn)
        steps.append(Step(fn.signature, answers[fn.name], values={}))
    return Solution(answers, steps)


FAMILIES = [Family("module.torch_train", solve, validate=validate, params=module_params(PREAMBLE))]

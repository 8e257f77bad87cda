"""module.torch_train: ECE 449 task 2, a model builder and its training function, in PyTorch.

The builder (``get_DNN``) is checked as ``_torch_models`` checks a reference model, by its
``model_checks`` (layers, shapes, parameters, output). The trainer (``train_torch``)
is handed task 1's network built in the child by
``gradekit.sandbox.child.torch_train_probe`` (appended after torch_probe), and sends
back plain arrays: the trained weights, which the parent compares with task 1's
NumPy reference (``mlp_numpy.train``: the same arithmetic). Task 3 (get_lenet,
train_cnn) is a ``[code]`` problem: its training part is ``gradekit.code.training``.

>>> from gradekit.spec.catalog import load_catalog
>>> spec = load_catalog().resolve("ece449-a2/task2").validated_params
>>> spec.file, [c.name for c in spec.callable("train_torch").checks]
('task2.py', ['trajectory', 'notebook'])
"""

from __future__ import annotations

import ast
import functools
import importlib.util
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from gradekit.plugin import Family, ParamError, Solution, Step
from gradekit.code.callkind import CallKind
from gradekit.code.wrap import append_child_code
from gradekit.code.spec import Check, Slip, module_params, parse_module
from gradekit.reference import mlp_numpy as ref

from . import _torch_models, module_mlp_numpy

TIMEOUT = 10.0
# train_torch on a small random set, called as the template orders its arguments
TRAJECTORY = dict(n=20, lr=0.02, epochs=3, batch=5, seed=1)
# the run notebook's call: train_torch(net, dataset[:, :3], dataset[:, 3], num_epochs=100, lr=0.005, batch_size=20)
NOTEBOOK = dict(lr=0.005, epochs=100, batch=20, seed=0)
# the loss the template pre-fills, nn.MSELoss(reduction='sum'), and the others a student may write instead
TEMPLATE_LOSS = "sum"
OTHER_LOSSES = {"mean": "nn.MSELoss() (the mean, not the template's reduction='sum')",
                "half_mean": "task 1's loss, mean(½ (y − O)²), not the template's nn.MSELoss(reduction='sum')",
                "half_sum": "½ Σ (y − O)², not the template's nn.MSELoss(reduction='sum')"}
PREAMBLE = "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F"  # the template's imports by default


def wrap_source(source: bytes) -> bytes:
    """The student's file with torch_probe (whose _gk_failure it uses) and torch_train_probe appended."""
    return append_child_code(source, "torch_probe", "torch_train_probe")


def _run(session, key: str, call, budget: float | None = None):
    """One glue call per session and key, shared by the checks that judge it: its value, or a failure line."""
    cache = session.__dict__.setdefault("_gradekit_train", {})
    if key not in cache:
        r = call()
        if not r.ok:  # a budgeted call was retried once on a fresh child before its overrun counts (session.call)
            cache[key] = (f"did not finish within its time budget of {budget:g} s of CPU time"
                          + (" (tried twice)" if r.retried else "")
                          if r.kind == CallKind.TIMEOUT and budget is not None else r.message)
        else:
            cache[key] = r.value  # a str when the student's function failed: the glue's line says why
    return cache[key]


# --- train_torch -----------------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def template_init(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The (W, K) the template's pre-filled ``net.double(); net.apply(init_weights)`` draws (uniform on ±0.2,
    first layer then second) after ``torch.manual_seed(seed)``; drawn here from a generator of our own."""
    import torch

    g = torch.Generator().manual_seed(int(seed))
    W = torch.empty(2, 3, dtype=torch.float64).uniform_(-0.2, 0.2, generator=g)
    K = torch.empty(1, 2, dtype=torch.float64).uniform_(-0.2, 0.2, generator=g)
    return W.numpy(), K.numpy().reshape(2)


@functools.lru_cache(maxsize=1)
def trajectory_case():
    """(X, y) for the trajectory check, from a fixed seed."""
    rng = np.random.default_rng(7)
    X = rng.normal(size=(TRAJECTORY["n"], 3))
    return X, np.where(X @ [1.0, -1.0, 0.5] > 0, 1.0, -1.0)


def _torch_call(session, key, X, y, epochs, lr, batch, seed, timeout, budget=None):
    W, K = template_init(seed)
    return _run(session, key, lambda: session.call("_gk_train_torch", X, y, W, K, int(epochs), float(lr), int(batch),
                                                   int(seed), timeout=timeout, retry=budget is not None), budget)


def _references(X, y, W, K, lr, epochs, batch, loss):
    return [ref.sgd_trajectory(X, y, W, K, lr, epochs, batch, last_sample=s, loss=loss) for s in (False, True)]


def _trajectory(session, o):
    """The net's weights after 1, 2, … epochs (one call each, from the same start), against the template's
    loop on its own loss; the returned W_list, when its entries are copies, at every epoch too."""
    t = TRAJECTORY
    rtol, atol, timeout = float(o.get("rtol", 1e-6)), float(o.get("atol", 1e-9)), float(o.get("timeout", TIMEOUT))
    X, y = trajectory_case()
    W, K = template_init(t["seed"])
    runs = []
    for e in range(1, t["epochs"] + 1):
        got = _torch_call(session, f"trajectory{e}", X, y, e, t["lr"], t["batch"], t["seed"], timeout)
        if isinstance(got, str):
            return got
        runs.append(got)
    Ws, Ks = [g[0] for g in runs], [g[1] for g in runs]
    call = (f"train_torch(net, X (20×3), y, num_epochs=k, lr={t['lr']}, batch_size={t['batch']}) "
            f"for k = 1..{t['epochs']}")
    off = module_mlp_numpy.first_epoch_off(_references(X, y, W, K, t["lr"], t["epochs"], t["batch"], TEMPLATE_LOSS),
                                           Ws, Ks, rtol, atol)
    if off is not None:
        if all(np.allclose(w, W) and np.allclose(k, K) for w, k in zip(Ws, Ks)):
            return f"after {call} the weights did not change: train_torch must step the optimizer (trainer.step())"
        for loss, why in OTHER_LOSSES.items():
            refs = _references(X, y, W, K, t["lr"], t["epochs"], t["batch"], loss)
            if module_mlp_numpy.first_epoch_off(refs, Ws, Ks, rtol, atol) is None:
                return Slip(f"after {call} the steps are those of {why}", "loss_scale", o)
        epoch, bad = off
        return (f"after {call}, the net's weights (W = net[0].weight, K = net[2].weight) after epoch {epoch + 1} "
                f"differ from the template loop's: {bad}")
    lists = runs[-1][2]
    if isinstance(lists, str):
        return lists
    W_list, K_list, aliased = lists
    if aliased[0]:
        return None  # the template's own lines: views of the net's weights, each the final one; not the student's
    off = module_mlp_numpy.first_epoch_off([(Ws, Ks)], list(W_list), list(K_list), rtol, atol)
    return None if off is None else (f"the returned W_list/K_list at epoch {off[0] + 1} are not the net's weights "
                                     f"after that epoch: {off[1]}")


@functools.lru_cache(maxsize=None)
def notebook_pass_mark(threshold: float) -> float:
    """The spec's threshold, or 0.02 under what the template's loop reaches on the same data and start."""
    X, y = ref.separable_clusters()
    W, K = template_init(NOTEBOOK["seed"])
    d = NOTEBOOK
    Ws, Ks = ref.sgd_trajectory(X, y, W, K, d["lr"], d["epochs"], d["batch"], loss=TEMPLATE_LOSS)
    return min(threshold, ref.accuracy(X, y, Ws[-1], Ks[-1]) - 0.02)


def _torch_notebook(session, o):
    threshold = notebook_pass_mark(float(o.get("threshold", 0.95)))
    budget = session.call_limit(float(o.get("time_budget", 10.0)))  # what the call gets, --time-limit included
    X, y = ref.separable_clusters()
    d = NOTEBOOK
    got = _torch_call(session, "notebook", X, y, d["epochs"], d["lr"], d["batch"], d["seed"], budget, budget)
    if isinstance(got, str):
        return got
    what = f"train_torch(net, X, y, num_epochs={d['epochs']}, lr={d['lr']}, batch_size={d['batch']})"
    return module_mlp_numpy.accuracy_verdict(X, y, got[0], got[1], threshold, what)


TRAINERS: dict[str, dict[str, Check]] = {
    "train_torch": {
        "trajectory": Check("trajectory", _trajectory, "the net's weights at every epoch against the template's loop"),
        "notebook": Check("notebook", _torch_notebook, "the run notebook's training reaches the pass mark"),
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
            checks[c["name"]] = _torch_models.model_checks(c, where)
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
            answers[fn.name] = _torch_models.model_answer(fn)
        steps.append(Step(fn.signature, answers[fn.name], values={}))
    return Solution(answers, steps)


FAMILIES = [Family("module.torch_train", solve, validate=validate, params=module_params(PREAMBLE))]

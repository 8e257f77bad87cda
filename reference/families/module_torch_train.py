"""module.torch_train: ECE 449 tasks 2 and 3, a model builder and its training function, in PyTorch.

Builders (``get_DNN``, ``get_lenet``) are checked as ``module.torch`` checks any
model, by its ``model_checks`` (layers, shapes, parameters, output). Trainers
(``train_torch``, ``train_cnn``) are handed a fresh network built in the child
by ``gradekit.sandbox.child.torch_train_probe`` (appended after torch_probe), and send
back plain arrays: the trained weights of task 1's network, or the template LeNet's
trained parameters after ``train_cnn`` trained it on the grader's DataLoaders. The
parent compares the weights with task 1's NumPy reference (``mlp_numpy.train``: the
same arithmetic); the LeNet's parameters it loads into a LeNet of its own and checks
as training (``gradekit.code.training``: they changed, the loss of the class's own
forward fell) and by that forward's accuracy on held-out images, against a pass mark
set by the course-style reference on the same data; no image of the test set reaches
the child, and no forward the student's function swapped in is scored.

>>> from gradekit.spec.catalog import load_catalog
>>> spec = load_catalog().resolve("ece449-a2/task3").validated_params
>>> spec.file, [c.name for c in spec.callable("train_cnn").checks]
('task3.py', ['notebook'])
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
from gradekit.code.spec import Check, Note, Slip, module_params, parse_module
from gradekit.reference import mlp_numpy as ref

from . import module_mlp_numpy, module_torch

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
# train_cnn as the run notebook calls it, on a smaller budget: the notebook's lr 0.9-1.1 (0.9 here) and SGD; 2,048
# training images in batches of 128 (the notebook's 60,000 in 256s, ten epochs, take minutes of CPU); 18 epochs:
# on reference/quadrants.py's set each of 15 Xavier starts measured reached 1.00 within 17, so a train_cnn that
# draws its start otherwise than the reference does is not failed by the sigmoid LeNet's plateau
CNN = dict(n_train=2048, n_eval=256, n_test=512, epochs=18, batch=128, lr=0.9, seed=0)
CNN_FLOOR = 0.70  # the notebook's full-marks test accuracy
CNN_MARGIN = 0.10  # under the reference's own accuracy on the same data, still full marks
CNN_BUDGET_FACTOR = 3.0  # times the reference's CPU seconds in the parent

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


# --- train_cnn -------------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def cnn_data():
    """(X_train, y_train, X_eval, y_eval, X_test, y_test): the quadrant patterns the train_cnn check serves.

    train_iter and test_iter are loaders over the first four (test_iter is the labelled set the
    student's loop may measure each epoch); the test images' labels stay in the parent."""
    from gradekit.reference.quadrants import quadrants

    c = CNN
    return (*quadrants(c["n_train"], seed=1), *quadrants(c["n_eval"], seed=2), *quadrants(c["n_test"], seed=3))


def _loaders(torch, c, data):
    from torch.utils.data import DataLoader, TensorDataset

    X_train, y_train, X_eval, y_eval = data[:4]
    train = TensorDataset(torch.from_numpy(X_train), torch.from_numpy(y_train))
    evaluation = TensorDataset(torch.from_numpy(X_eval), torch.from_numpy(y_eval))
    return (DataLoader(train, batch_size=c["batch"], shuffle=True, generator=torch.Generator().manual_seed(c["seed"])),
            DataLoader(evaluation, batch_size=c["batch"], shuffle=False))


@functools.lru_cache(maxsize=1)
def cnn_reference() -> tuple[float, float]:
    """(test accuracy, CPU seconds) of the course-style train_cnn on the same data, net and seed as the child's.

    Trained once per machine and catalog: the result is kept in the grader's cache folder
    (``$GRADEKIT_CACHE``, else ``~/.cache/gradekit``), keyed by everything it depends on (this family's and the
    reference's code, the data's, torch's version, the machine and its CPU model), so a check pays only for the
    student's training (the reference's took as long again). A missing, unreadable or
    implausible entry is trained afresh; a folder that cannot be written is no error.

    Raises GraderError when the reference itself does not learn: no pass mark could be trusted then."""
    key = _reference_key()
    cached = _read_cached(key)
    if cached is not None:
        return cached
    result = _train_cnn_reference()
    _write_cached(key, result)
    return result


def _cache_dir() -> Path:
    import os

    return Path(os.environ.get("GRADEKIT_CACHE") or Path.home() / ".cache" / "gradekit")


def _reference_key() -> str:
    import hashlib
    import json
    import platform

    import torch

    from gradekit.reference import ece449_torch, models, quadrants

    h = hashlib.sha256(json.dumps([CNN, CNN_FLOOR, CNN_MARGIN, torch.__version__, platform.machine(),
                                   _cpu_model()]).encode())
    for module in (ece449_torch, models, quadrants):
        h.update(Path(module.__file__).read_bytes())
    h.update(Path(__file__).read_bytes())
    return h.hexdigest()[:32]


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            return next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), "")
    except OSError:
        return ""


def _read_cached(key: str) -> tuple[float, float] | None:
    import json

    try:
        entry = json.loads((_cache_dir() / f"cnn-reference-{key}.json").read_text())
        acc, spent = float(entry["accuracy"]), float(entry["cpu_seconds"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not (CNN_FLOOR + CNN_MARGIN <= acc <= 1.0 and 0.0 < spent < 3600.0):
        return None  # implausible: train again rather than trust it
    return acc, spent


def _write_cached(key: str, result: tuple[float, float]) -> None:
    import json
    import os
    import tempfile

    folder = _cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".cnn-reference-")
        with os.fdopen(fd, "w") as f:
            json.dump({"accuracy": result[0], "cpu_seconds": result[1]}, f)
        os.replace(tmp, folder / f"cnn-reference-{key}.json")  # whole or not at all, for graders side by side
    except OSError:
        pass


def _train_cnn_reference() -> tuple[float, float]:
    import time

    import torch

    from gradekit.plugin import GraderError
    from gradekit.reference import ece449_torch
    from gradekit.reference.models import lenet_fashion

    c, data = CNN, cnn_data()
    torch.manual_seed(c["seed"])
    net = lenet_fashion()
    train_iter, test_iter = _loaders(torch, c, data)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as the child runs (the sandbox's OMP_NUM_THREADS=1): its CPU time, comparable
    try:
        start = time.process_time()
        ece449_torch.train_cnn(net, train_iter, test_iter, c["epochs"], c["lr"], torch.device("cpu"))
        spent = time.process_time() - start
    finally:
        torch.set_num_threads(threads)
    net.eval()
    with torch.no_grad():
        pred = net(torch.from_numpy(data[4])).argmax(1).numpy()
    acc = float(np.mean(pred == data[5]))
    if acc < CNN_FLOOR + CNN_MARGIN:
        raise GraderError(f"the reference train_cnn reaches a test accuracy of {acc:.3f} on the grader's data, "
                          f"under {CNN_FLOOR + CNN_MARGIN:g}: no pass mark can be set from it")
    return acc, spent


def cnn_pass_mark() -> float:
    """max(CNN_FLOOR, the reference's accuracy − CNN_MARGIN): the course's 0.70, or near what the reference reaches."""
    return max(CNN_FLOOR, cnn_reference()[0] - CNN_MARGIN)


@functools.lru_cache(maxsize=1)
def _cnn_start() -> dict[str, np.ndarray]:
    """The state the child's LeNet starts from (the template's, built after ``torch.manual_seed(seed)``)."""
    import torch

    from gradekit.reference.models import lenet_fashion

    torch.manual_seed(CNN["seed"])
    return {k: v.detach().numpy().copy() for k, v in lenet_fashion().state_dict().items()}


def _cnn_scores(state: Mapping[str, np.ndarray]) -> tuple[float, float]:
    """(mean cross-entropy on the training images, predicted test classes) of the template's LeNet class with
    ``state`` loaded: the network's own layers, built here, never the object the student's function held."""
    import torch

    from gradekit.reference.models import lenet_fashion

    net = lenet_fashion()
    net.load_state_dict({k: torch.from_numpy(np.asarray(v, dtype=np.float32)) for k, v in state.items()})
    net.eval()
    data = cnn_data()
    with torch.no_grad():
        loss = float(torch.nn.functional.cross_entropy(net(torch.from_numpy(data[0])), torch.from_numpy(data[1])))
        pred = net(torch.from_numpy(data[4])).argmax(1).numpy()
    return loss, pred


@functools.lru_cache(maxsize=1)
def _cnn_start_loss() -> float:
    return _cnn_scores(_cnn_start())[0]


def _cnn_notebook(session, o):
    from gradekit.code.training import Trained, not_trained, read_trained, swapped_note

    c = CNN
    floor = float(o.get("time_budget", 30.0))
    budget = max(floor, CNN_BUDGET_FACTOR * cnn_reference()[1])  # CPU seconds: the same on a busy machine
    budget = session.call_limit(budget)  # what the call gets, --time-limit included: the figure its message names
    mark = cnn_pass_mark()
    data = cnn_data()
    got = _run(session, "cnn", lambda: session.call("_gk_train_cnn", *data[:4], c["epochs"], c["batch"], c["lr"],
                                                    c["seed"], timeout=budget, retry=True), budget)
    if isinstance(got, str):
        return got
    start = _cnn_start()
    trained = read_trained(got, {k: v.shape for k, v in start.items()})
    if not isinstance(trained, Trained):
        return trained
    call = f"train_cnn(net, train_iter, test_iter, num_epochs={c['epochs']}, lr={c['lr']:g}, device=cpu)"
    loss, pred = _cnn_scores(trained.state)
    # trained, as training: the parameters changed and the loss of the class's own forward fell
    untrained = not_trained(trained, start, _cnn_start_loss(), loss, call)
    y_test = data[5]
    acc = float(np.mean(pred == y_test))
    low = None if acc >= mark else (f"the net's test accuracy is {acc:.3f} "
                                    f"on {len(y_test)} held-out images, below the pass mark {mark:.3f} (the "
                                    f"reference reaches {cnn_reference()[0]:.3f})")
    if low is not None and untrained is None:
        low = f"after {call} {low}"
    swapped = [swapped_note(trained.swapped)] if trained.swapped else []
    if untrained or low:
        return "; ".join([*swapped, *filter(None, (untrained, low))])
    notes = [*swapped, *([f"this grader has no GPU: {trained.cuda} was called in train_cnn and kept on the CPU"]
                         if trained.cuda else [])]
    return Note("; ".join(notes)) if notes else None


TRAINERS: dict[str, dict[str, Check]] = {
    "train_torch": {
        "trajectory": Check("trajectory", _trajectory, "the net's weights at every epoch against the template's loop"),
        "notebook": Check("notebook", _torch_notebook, "the run notebook's training reaches the pass mark"),
    },
    "train_cnn": {
        "notebook": Check("notebook", _cnn_notebook, "the run notebook's test accuracy after train_cnn reaches the "
                          "pass mark within the time budget"),
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

"""module.torch_handout: cs37300-hw4 §2–3, the PyTorchANN and PyTorchCNN classes graded method by method.

The references are ``gradekit.reference.models.PyTorchANN`` / ``PyTorchCNN``.
Each part runs in the child through two appended helpers: the layer probe of
``_torch_models`` (``gradekit/sandbox/child/torch_probe.py``) describes the
constructor's model, and ``gradekit/sandbox/child/class_glue.py`` loads the grader's
weights into the Linear layers before ``forward``/``train``/``predict`` run, so
each method is judged on the same numbers as the reference.

Part names: ``Class.__init__`` (the constructor: attributes, seed, layers),
``Class.method``, and ``Class`` alone for the handout's overall test (trained on
scikit-learn's digits, with a stated threshold). ``Class.report_my_judgement`` is
checked by a stated rule with a band where both neighbouring words pass, on the run
the handout's own program makes (PyTorchANN: its settings, digits served as 28×28
images; PyTorchCNN: the run kept by the reference, where the student's first epochs make it) or else on
the overall test's.

>>> from gradekit.catalog.catalog import load_catalog
>>> spec = load_catalog().resolve("cs37300-hw4/pytorch_ann").validated_params
>>> [c.name for c in spec.callables][:3]
['PyTorchANN.__init__', 'PyTorchANN.forward', 'PyTorchANN.train']
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from gradekit.plugin import Family, ParamError, Solution, Step
from gradekit.code.callkind import CallKind
from gradekit.code.wrap import append_child_code
from gradekit.code.methods import call_method, class_stub, class_stubs
from gradekit.code.props import compare, run_property, show
from gradekit.code.spec import Check, Note, module_params, parse_module

from . import _torch_models
from ._digits import digits_split, judge_labels

RTOL, ATOL = 1e-4, 1e-6
JUDGEMENTS = ("underfitting", "overfitting", "generalizing")
CLASSES = ("PyTorchANN", "PyTorchCNN")
# the overall tests on scikit-learn's digits
ANN_DIGITS = {"hidden": 64, "seed": 0, "epochs": 20, "batch_size": 32, "lr": 0.5}
CNN_DIGITS = {"epochs": 4, "batch_size": 64, "lr": 1e-3, "seed": 0}
# the constructor's instance for the architecture checks: (arguments, input shape)
ARCH = {"PyTorchANN": ([6, 5, 3, 7], [2, 6]), "PyTorchCNN": ([10], [2, 1, 28, 28])}

PREAMBLE = "import torch\nimport torch.nn as nn"  # the template's imports by default


def wrap_source(source: bytes) -> bytes:
    """The student's file with the layer probe and the method glue appended."""
    return append_child_code(source, "torch_probe", "class_glue")


def _reference(cls: str, *args):
    from gradekit.reference import models

    return getattr(models, cls)(*args)


def _ann_reference(weights):
    """The reference PyTorchANN holding ``weights`` (W1, b1, W2, b2) in its two Linear layers."""
    import torch

    ref = _reference("PyTorchANN", *ARCH["PyTorchANN"][0])
    with torch.no_grad():
        for layer, (w, b) in zip((ref.model[0], ref.model[2]), zip(weights[::2], weights[1::2])):
            layer.weight.copy_(torch.from_numpy(w))
            layer.bias.copy_(torch.from_numpy(b))
    return ref


def _ann_weights_of(ref) -> tuple[np.ndarray, ...]:
    return tuple(t.detach().numpy() for layer in (ref.model[0], ref.model[2]) for t in (layer.weight, layer.bias))


# --- __init__: attributes, seed, layers ------------------------------------------------------------
def _init_attributes(session, o):
    """PyTorchANN's constructor: the four attributes, and the initial weights torch.manual_seed(seed) fixes."""
    cls = "PyTorchANN"
    args = ARCH[cls][0]
    r = call_method(session, cls, "attributes", args, names=["input_size", "hidden_size", "output_size", "seed"])
    if not r.ok:
        return r.message
    for name, value, want in zip(("input_size", "hidden_size", "output_size", "seed"), r.value[:4], args):
        if float(value) != float(want):
            return f"PyTorchANN{tuple(args)}: self.{name} is {float(value):g}, expected {want}"
    if compare(_ann_weights_of(_reference(cls, *args)), r.value[4:], 1e-6, 1e-8) is not None:
        return (f"PyTorchANN{tuple(args)}: the initial weights differ from torch.manual_seed(seed) followed by "
                f"nn.Sequential(nn.Linear, nn.ReLU, nn.Linear): seed first, then the layers in order")
    return None


# --- PyTorchANN methods ------------------------------------------------------------------------------
def _ann_weights(rng, n_in=6, n_hidden=5, n_out=3):
    return (rng.normal(0, 0.5, (n_hidden, n_in)).astype(np.float32), rng.normal(0, 0.1, n_hidden).astype(np.float32),
            rng.normal(0, 0.5, (n_out, n_hidden)).astype(np.float32), rng.normal(0, 0.1, n_out).astype(np.float32))


def _ann_logits(weights, X):
    W1, b1, W2, b2 = (w.astype(np.float64) for w in weights)
    return np.maximum(X @ W1.T + b1, 0) @ W2.T + b2


def _ann_cases():
    rng = np.random.default_rng(3731)
    cases = [("a batch of one", (rng.normal(size=(1, 6)).astype(np.float32), _ann_weights(rng))),
             ("X all zeros", (np.zeros((3, 6), np.float32), _ann_weights(rng))),
             ("large magnitudes", ((rng.normal(size=(4, 6)) * 100).astype(np.float32), _ann_weights(rng)))]
    cases += [(f"random case {i}", (rng.normal(size=(2 + i, 6)).astype(np.float32), _ann_weights(rng))) for i in range(1, 4)]
    return cases


def _describe(inp) -> str:
    return f"X = {show(inp[0])}, with Linear weights {', '.join(show(w, 60) for w in inp[1])}"


def _ann_forward(session, o):
    return run_property(
        lambda inp: call_method(session, "PyTorchANN", "call", ARCH["PyTorchANN"][0], inp[1], (inp[0],), method="forward"),
        lambda inp, got: compare(_ann_logits(inp[1], inp[0].astype(np.float64)), got, RTOL, 1e-4, name="the output"),
        None, _ann_cases(), 0, describe=_describe)


def _ann_predict(session, o):
    def judge(inp, got):
        logits = _ann_logits(inp[1], inp[0].astype(np.float64))
        top2 = np.sort(logits, axis=1)[:, -2:]
        clear = top2[:, 1] - top2[:, 0] > 1e-4  # float32 ties can go either way
        labels = np.asarray(got).reshape(-1) if isinstance(got, np.ndarray) else None
        if labels is None or labels.shape != (len(logits),):
            n = len(logits)
            return f"returned {show(got, 100)}, expected {n} label{'s' * (n != 1)} (torch.argmax of the outputs)"
        bad = np.flatnonzero(clear & (labels != logits.argmax(1)))
        return None if bad.size == 0 else \
            f"label {int(labels[bad[0]])} for row {int(bad[0])}, expected {int(logits.argmax(1)[bad[0]])}"

    return run_property(
        lambda inp: call_method(session, "PyTorchANN", "call", ARCH["PyTorchANN"][0], inp[1], (inp[0],), method="predict"),
        judge, None, _ann_cases(), 0, describe=_describe)


def _one_hot(y: np.ndarray, k: int) -> np.ndarray:
    return np.eye(k, dtype=np.float32)[y]


def _ann_train(session, o):
    """The weights after 1 and after 2 epochs of the student's train (one-hot float labels, as the handout's
    accuracy() takes them), each against the reference: every epoch of the trajectory is checked."""
    import torch

    rng = np.random.default_rng(8)
    X = rng.normal(size=(23, 6)).astype(np.float32)
    Y = _one_hot(np.argmax(X[:, :3], axis=1), 3)
    weights, batch, lr = _ann_weights(rng), 5, 0.2
    for epochs in (1, 2):
        r = call_method(session, "PyTorchANN", "train", ARCH["PyTorchANN"][0], weights, (X, Y, X[:6], Y[:6]),
                        args=[epochs, batch, lr])
        if not r.ok:
            return r.message
        ref = _ann_reference(weights)
        ref.train(torch.from_numpy(X), torch.from_numpy(Y), None, None, epochs, batch, lr)
        bad = compare(_ann_weights_of(ref), r.value, RTOL, ATOL, labels=("W1", "b1", "W2", "b2"))
        if bad is not None:
            return (f"after train(X (23×6), y one-hot (23×3), X_val, y_val, epochs={epochs}, batch_size={batch}, "
                    f"learning_rate={lr}) the weights differ from torch.optim.SGD on nn.CrossEntropyLoss over the "
                    f"mini-batches in order: {bad}")
    return None


# --- report_my_judgement: the rule, on the run the handout's program makes -------------------------
UNDER_ACC, OVER_GAP, RISE, MARGIN, RISE_MARGIN = 0.80, 0.10, 0.10, 0.03, 0.05
JUDGEMENT_RULE = (f"underfitting when the final training accuracy is below {UNDER_ACC:.2f}; else overfitting when "
                  f"the final training accuracy exceeds the validation accuracy by {OVER_GAP:.2f} or more, or the "
                  f"validation loss ends {RISE:.0%} or more above its lowest value while the training loss falls; "
                  f"else generalizing (within {MARGIN:.2f} of an accuracy threshold, or within {RISE_MARGIN:.0%} "
                  f"of the {RISE:.0%} rise, either side's word is accepted)")
# The handout's own program (each file's __main__) trains on 2,000 Fashion-MNIST images with 200 for
# validation; students answer for that run. The grader serves digits as 28×28 images in [0, 1], flattened to
# 784 (1,258 training and 180 validation images), and trains PyTorchANN with the program's settings through
# the student's own train: 100 epochs, 0.7 s of CPU warm, 1.9 s cold (one thread, load 4-6 on 2 cores).
# The CNN's program (60 full-batch Adam epochs, learning rate 0.002) costs 120 s of CPU on the 1,258 images
# (one thread), the whole of its part's budget, and shorter runs do not show the same curves (its
# evaluation-mode accuracies still climb steeply at epoch 60, as BatchNorm's running statistics catch up:
# 600 images give 0.770, underfitting; 1,258 give 0.852, generalizing). The run is made once by the
# reference and kept (gradekit.reference.handout_cnn_run); a student's network and train make that same run
# when their first CNN_PREFIX epochs give its curves (the constructor's seed fixes every draw), and then the
# word is asked of the kept curves. Otherwise the word is checked on the overall test's run, and the
# feedback says why.
CNN_PREFIX = 2
HANDOUT_RUN = {"PyTorchANN": {"ctor": [784, 32, 10], "train": [100, 64, 0.2],
                              "text": "PyTorchANN(784, 32, 10) trained by its train(..., epochs=100, batch_size=64, "
                                      "learning_rate=0.2)"}}


def _rise(vl: np.ndarray) -> float:
    return float(vl[-1] / max(float(vl.min()), 1e-12) - 1.0)


def judge_curves(curves) -> tuple[set[str], str]:
    """The words the rule accepts for (train_losses, train_accs, val_losses, val_accs), and what it saw."""
    tl, ta, vl, va = (np.asarray(c, dtype=float) for c in curves)
    gap = ta[-1] - va[-1]
    low = int(np.argmin(vl))
    falls = tl[-1] < tl[low]
    accepted = set()
    for under in (UNDER_ACC - MARGIN, UNDER_ACC, UNDER_ACC + MARGIN):
        for over in (OVER_GAP - MARGIN, OVER_GAP, OVER_GAP + MARGIN):
            for rise in (RISE - RISE_MARGIN, RISE, RISE + RISE_MARGIN):
                rising = falls and vl[-1] >= vl[low] * (1 + rise) + 1e-3
                accepted.add("underfitting" if ta[-1] < under else "overfitting" if gap >= over or rising
                             else "generalizing")
    seen = (f"the curves after {len(tl)} epochs (training accuracy {ta[-1]:.3f}, validation {va[-1]:.3f}; "
            f"training loss {tl[0]:.3g} → {tl[-1]:.3g}, validation loss {vl[0]:.3g} → {vl[-1]:.3g}, "
            f"lowest {vl[low]:.3g})")
    return accepted, seen


def band_reason(curves) -> str:
    """Why the rule accepts more than one word: the measures within the band of their thresholds ("" if none)."""
    tl, ta, vl, va = (np.asarray(c, dtype=float) for c in curves)
    near = []
    if abs(ta[-1] - UNDER_ACC) <= MARGIN:
        near.append(f"the final training accuracy {ta[-1]:.3f} is within {MARGIN:.2f} of {UNDER_ACC:.2f}")
    if abs(ta[-1] - va[-1] - OVER_GAP) <= MARGIN:
        near.append(f"the accuracy gap {ta[-1] - va[-1]:.3f} is within {MARGIN:.2f} of {OVER_GAP:.2f}")
    low = int(np.argmin(vl))
    if tl[-1] < tl[low] and abs(_rise(vl) - RISE) <= RISE_MARGIN:
        near.append(f"the validation loss ends {_rise(vl):.0%} above its lowest, within {RISE_MARGIN:.0%} of "
                    f"{RISE:.0%}")
    return "; ".join(near)


def _judgement(cls: str):
    def run(session, o):
        budget = float(o.get("time_budget", 30.0))
        differs = ""
        if cls == "PyTorchCNN":
            kept = _kept_cnn_run(session, budget)
            if not isinstance(kept, str):
                r = call_method(session, cls, "judgement", [10], (), kept, session.call_limit(budget), seed=None,
                                metrics=True)
                return _judged_word(r.value if r.ok else f"!{r.message}", kept, CNN_HANDOUT_TEXT)
            differs = f" (not the handout program's run: {kept})"
        if cls in HANDOUT_RUN:
            got, how = _judged_fit(session, cls, budget), HANDOUT_RUN[cls]["text"] + " on 28×28 digits"
        else:
            got, how = _fit(session, cls, budget), _set_up(cls)[2]
        if isinstance(got, str) or got[2] is None:
            # the student's train failed or kept no curves: the grader's plain loop trains the model and keeps
            # them as the handout's train does (this part grades the judgement, not train)
            got, how = _fit(session, cls, budget, loop=True), _set_up(cls, loop=True)[2]
            if isinstance(got, str):
                return got if got == "not implemented" else f"needs a trained model, and training failed: {got}"
        return _judged_word(got[1], got[2], how + differs)

    return run


def _judged_word(answer: str | None, curves, how: str):
    """None when the rule accepts the word for ``curves`` (a Note when a neighbouring word passes too), else why not."""
    if answer is None or answer.startswith("!"):
        return f"report_my_judgement() on the trained model {answer[1:] if answer else 'returned None'}"
    word = answer.strip().lower()
    if word not in JUDGEMENTS:
        return f"returned {answer!r}, expected one of {', '.join(JUDGEMENTS)}"
    accepted, seen = judge_curves(curves)
    if word in accepted:
        if len(accepted) > 1:
            return Note(f"{' and '.join(sorted(accepted))} are both accepted for {how}: "
                        f"{band_reason(curves) or 'a measure is near its threshold'}")
        return None
    return (f"returned {word!r}, but {seen} of {how} make it {' or '.join(sorted(accepted))} "
            f"by the rule: {JUDGEMENT_RULE}")


CNN_HANDOUT_TEXT = ("the handout program's run (PyTorchCNN(10) trained by its train(..., epochs=60, learning_rate=0.002) "
                    "on 28×28 digits, which your network and train make: their first epochs give its curves)")


def _kept_cnn_run(session, budget: float):
    """The kept curves of the CNN handout program's run, when the student's network and train make that run (their
    first CNN_PREFIX epochs give its curves); else a line saying how they differ. Once per session."""
    from gradekit.reference import handout_cnn_run as kept

    cache = session.__dict__.setdefault("_gradekit_handout_fit", {})
    if ("PyTorchCNN", "kept") not in cache:
        budget = session.call_limit(budget)
        r = call_method(session, "PyTorchCNN", "curves", [10], (), kept.handout_data(), budget, retry=True,
                        seed=None, args=[CNN_PREFIX, kept.LEARNING_RATE])
        full = tuple(np.asarray(kept.CURVES[k], dtype=float) for k in kept.NAMES)
        if not r.ok:
            why = (f"your train did not finish its first {CNN_PREFIX} epochs within {budget:g} s of CPU time"
                   if r.kind == CallKind.TIMEOUT else f"its first {CNN_PREFIX} epochs failed: {r.message}")
        elif not (isinstance(r.value, tuple) and len(r.value) == 4):
            why = "your train kept no curves in self.train_val_metrics"
        else:
            got = [np.asarray(c, dtype=float) for c in r.value]
            bad = [f"{name} {g[:CNN_PREFIX].round(4).tolist()} against {f[:CNN_PREFIX].round(4).tolist()}"
                   for name, g, f in zip(kept.NAMES, got, full)
                   if g.shape != (CNN_PREFIX,) or not np.allclose(g, f[:CNN_PREFIX], rtol=1e-3, atol=2e-3)]
            why = f"your network and train do not make it: their first {CNN_PREFIX} epochs give {'; '.join(bad)}" \
                if bad else ""
        cache["PyTorchCNN", "kept"] = why or full
    return cache["PyTorchCNN", "kept"]


def _handout_data(cls: str):
    """(X, Y, X_val, Y_val, X_val) for the handout program's run: digits as 1×28×28 images in [0, 1], flattened
    to 784 for the ANN, one-hot float32 labels (the fit's test labels are not used here)."""
    X, y, Xv, yv, _, _ = digits_split((1, 28, 28))
    if cls == "PyTorchANN":
        X, Xv = X.reshape(len(X), -1), Xv.reshape(len(Xv), -1)
    X, Xv = X.astype(np.float32), Xv.astype(np.float32)
    return X, _one_hot(y, 10), Xv, _one_hot(yv, 10), Xv


def _judged_fit(session, cls: str, budget: float):
    """The handout program's run, once per session: the child's (labels, judgement, curves, ...), or why not."""
    run = HANDOUT_RUN[cls]
    return _fit_once(session, (cls, "handout"), session.call_limit(budget), run["ctor"], lambda: _handout_data(cls),
                     args=list(run["train"]))


def _fit_once(session, key: tuple, budget: float, ctor, data, **kw):
    """One "fit" of the class ``key[0]`` per session and ``key``: the child's value, or a failure line. ``data``
    makes the arrays, only when the fit runs."""
    cache = session.__dict__.setdefault("_gradekit_handout_fit", {})
    if key not in cache:
        r = call_method(session, key[0], "fit", ctor, (), data(), budget, retry=True, judge=True, **kw)
        cache[key] = r.value if r.ok else (
            f"training did not finish within its time budget of {budget:g} s of CPU time (tried twice)"
            if r.kind == CallKind.TIMEOUT else r.message)
    return cache[key]


# --- the overall tests -----------------------------------------------------------------------------
def _digits(cls: str):
    """(X, Y, X_val, Y_val, X_test, y_test) as each class takes them: flat 64 pixels or 1×28×28 images, float32,
    the labels one-hot float32 (the handout one-hot encodes them); the test labels stay here as indices."""
    X, y, Xv, yv, Xt, yt = digits_split((1, 28, 28) if cls == "PyTorchCNN" else None)
    return (X.astype(np.float32), _one_hot(y, 10), Xv.astype(np.float32), _one_hot(yv, 10), Xt.astype(np.float32), yt)


def _set_up(cls: str, loop: bool = False):
    """(constructor arguments, fit options, how it is trained) of a class's overall test."""
    if cls == "PyTorchANN" and not loop:
        d = ANN_DIGITS
        return ([64, d["hidden"], 10, d["seed"]], {"args": [d["epochs"], d["batch_size"], d["lr"]]},
                f"PyTorchANN(64, {d['hidden']}, 10) trained by its train(..., epochs={d['epochs']}, "
                f"batch_size={d['batch_size']}, learning_rate={d['lr']})")
    d = CNN_DIGITS
    args = [10] if cls == "PyTorchCNN" else [64, ANN_DIGITS["hidden"], 10, ANN_DIGITS["seed"]]
    return (args, {"loop": True, **d}, f"{cls} trained {d['epochs']} epochs by Adam (lr {d['lr']:g}, batch {d['batch_size']})")


def _fit(session, cls: str, budget: float, loop: bool = False):
    """The overall test's run, once per session: the child's (labels, judgement, curves), or a failure line."""
    args, kw, _ = _set_up(cls, loop)
    # what the call gets, --time-limit included: the figure its message names
    return _fit_once(session, (cls, loop), session.call_limit(budget), args, lambda: _digits(cls)[:5], **kw)


def _trained_verdict(got, accuracy):
    """The overall test's verdict, checked as training: the child scored the class's own forward on a fresh
    instance holding the trained parameters (``class_glue._gk_fit_module``) and says why it was not training,
    and which forwards the training replaced; the accuracy verdict of those labels follows."""
    from gradekit.code.training import swapped_note

    why, swapped = (got[3], got[4]) if len(got) == 5 else ("", ())
    if not isinstance(why, str) or not isinstance(swapped, (list, tuple)) or \
            not all(isinstance(s, str) for s in swapped):
        return "the training's report came back malformed"
    note = [swapped_note([s[:100] for s in swapped[:20]])] if swapped else []
    failed = [line for line in (why[:300], accuracy) if line]
    if failed:
        return "; ".join([*note, *failed])
    return Note(note[0]) if note else None


def _overall(cls: str):
    def run(session, o):
        threshold, budget = float(o.get("threshold", 0.9)), float(o.get("time_budget", 30.0))
        got = _fit(session, cls, budget)
        if isinstance(got, str):
            return got
        return _trained_verdict(got, judge_labels(got[0], _digits(cls)[5], threshold, _set_up(cls)[2]))

    return run


def _checks(cls: str) -> dict[str, dict[str, Check]]:
    args, shape = ARCH[cls]
    arch = _torch_models.model_checks({"name": cls, "reference": cls, "cases": [{"args": args, "input": shape}]}, cls)
    init = {"attributes": Check("attributes", _init_attributes, "sizes, seed, initial weights")} if cls == "PyTorchANN" else {}
    out = {f"{cls}.__init__": {**init, **arch},
           f"{cls}.report_my_judgement": {"curves": Check("curves", _judgement(cls), "the word the rule gives for the trained model's own curves")},
           cls: {"digits": Check("digits", _overall(cls), "trained on scikit-learn's digits, the test accuracy")}}
    if cls == "PyTorchANN":
        out["PyTorchANN.forward"] = {"values": Check("values", _ann_forward, "the outputs against the reference")}
        out["PyTorchANN.train"] = {"trajectory": Check("trajectory", _ann_train, "the weights after each epoch of SGD")}
        out["PyTorchANN.predict"] = {"values": Check("values", _ann_predict, "labels against argmax of the reference")}
    return out


CHECKS = {**_checks("PyTorchANN"), **_checks("PyTorchCNN")}


_CLASS_DOC = {"PyTorchANN": "§2: Linear → ReLU → Linear in nn.Sequential, trained with SGD on CrossEntropyLoss.",
              "PyTorchCNN": "§3: four conv blocks and two Linear layers in nn.Sequential."}


def validate(params: Mapping[str, Any]):
    raw = [c for c in params.get("callables") or [] if isinstance(c, dict) and isinstance(c.get("name"), str)]
    classes = {c["name"].split(".")[0] for c in raw}
    if len(classes) != 1 or not classes <= set(CLASSES):
        raise ParamError("callables", f"must all belong to one of {', '.join(CLASSES)}, but name {sorted(classes)}")
    cls = classes.pop()
    # the handout supplies forward for the CNN: its starter keeps it
    tail = [] if any(c["name"] == f"{cls}.forward" for c in raw) else ["    def forward(self, X):", "        return self.model(X)"]
    stub = class_stub(f"class {cls}(nn.Module):", _CLASS_DOC[cls], raw, init_first="super().__init__()", tail=tail)
    spec_params = dict(params)
    spec_params.setdefault("preamble", PREAMBLE)
    return parse_module(spec_params, CHECKS, extra={"wrap_source": wrap_source, "stubs": class_stubs(raw, stub)})


def solve(spec) -> Solution:
    """What each part is checked against: the reference method's source, or the overall test's set-up.

    Nothing here builds a model: answers files of the same assignment are solved
    on a path that never imports torch.
    """
    answers, steps = {}, []
    for fn in spec.callables:
        cls, _, method = fn.name.partition(".")
        if not method:
            text = ("trained on scikit-learn's digits: " +
                    (f"PyTorchANN(64, {ANN_DIGITS['hidden']}, 10) by its own train, the reference reaches about 0.98"
                     if cls == "PyTorchANN" else
                     f"PyTorchCNN(10) by Adam for {CNN_DIGITS['epochs']} epochs, the reference reaches about 0.94"))
        elif method == "report_my_judgement":
            run = HANDOUT_RUN[cls]["text"] + " on 28×28 digits" if cls in HANDOUT_RUN else \
                CNN_HANDOUT_TEXT.split(", which")[0] + ", kept by the reference: generalizing)"
            text = f"one of {', '.join(JUDGEMENTS)}, judged by the rule from the curves of {run}"
        else:
            text = f"the reference {cls}.{method} in gradekit.reference.models ({', '.join(c.name for c in fn.checks)})"
        answers[fn.name] = text
        steps.append(Step(fn.signature, text, values={}))
    # the hand-graded plot (§2.5): what the grader looks for
    answers["plot_train_val_metrics"] = ("two panels side by side: training and validation loss, and training and "
                                         "validation accuracy, per epoch")
    return Solution(answers, steps)


FAMILIES = [Family("module.torch_handout", solve, validate=validate, params=module_params(PREAMBLE))]

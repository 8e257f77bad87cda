"""module.mlp_numpy: ECE 449 task 1 (relu, prelu, DNNforward, DNNbackward, train) graded by property.

The math is ``gradekit.reference.mlp_numpy``; here are the checks. Every
input is drawn in the parent, sent to the student's function in the child,
and its plain-array output is compared with the reference on the same input.

>>> from gradekit.spec.catalog import load_catalog
>>> spec = load_catalog().resolve("ece449-a2/task1").validated_params
>>> spec.file, [c.name for c in spec.callable("DNNbackward").checks]
('task1.py', ['reference', 'finite_differences'])
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, Mapping

import numpy as np

from gradekit.plugin import Family, Solution, Step
from gradekit.code.callkind import CallKind
from gradekit.code.props import compare, compare_any, run_property, show
from gradekit.code.spec import NUMPY_PREAMBLE, Check, Slip, module_params, parse_module
from gradekit.reference import mlp_numpy as ref

RTOL, ATOL, EXAMPLES, TIMEOUT = 1e-6, 1e-8, 20, 5.0
GRADS = ("pLpW", "pLpK")


def _opts(o: Mapping[str, Any]) -> tuple[float, float, int, float]:
    return (float(o.get("rtol", RTOL)), float(o.get("atol", ATOL)), int(o.get("examples", EXAMPLES)),
            float(o.get("timeout", TIMEOUT)))


def _floats(lo: float, hi: float):
    from hypothesis import strategies as st

    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, width=64)


def _array(shape, lo=-100.0, hi=100.0):
    from hypothesis.extra.numpy import arrays

    return arrays(np.float64, shape, elements=_floats(lo, hi))


def _network(max_n: int = 12, lo: float = -10.0, hi: float = 10.0):
    """(X, y, W, K) with X N×3, y ∈ {−1, +1}ᴺ, W 2×3, K (2,)."""
    from hypothesis import strategies as st

    def build(n):
        y = st.lists(st.sampled_from([-1.0, 1.0]), min_size=n, max_size=n).map(np.array)
        return st.tuples(_array((n, 3), lo, hi), y, _array((2, 3), lo, hi), _array((2,), lo, hi))

    return st.integers(1, max_n).flatmap(build)


def _edge_networks() -> list[tuple[str, tuple]]:
    rng = np.random.default_rng(449)
    W, K = rng.normal(size=(2, 3)), rng.normal(size=2)
    X = rng.normal(size=(6, 3))
    y = np.where(rng.random(6) < 0.5, -1.0, 1.0)
    return [
        ("a batch of one", (X[:1], y[:1], W, K)),
        ("X all zeros", (np.zeros((4, 3)), y[:4], W, K)),
        ("all entries negative", (-np.abs(X), y, -np.abs(W), -np.abs(K))),
        ("large magnitudes", (X * 1e6, y, W * 1e3, K)),
    ]


# --- relu, prelu -----------------------------------------------------------------------------
def elementwise_inputs(min_dims: int = 1, max_dims: int = 3):
    """(hypothesis strategy of 1-tuples, named edge cases) for an element-wise function of one array;
    ``module.numpy_ann`` draws its _relu/_relu_grad inputs here too."""
    from hypothesis.extra.numpy import array_shapes

    edges = [("zeros", np.zeros((3, 4))), ("negatives", -np.arange(1.0, 7.0).reshape(2, 3)),
             ("large magnitudes", np.array([[-1e300, 1e300, -1e-300, 1e-300]])),
             ("a batch of one", np.array([[0.5, -2.0, 3.0]])), ("a 1-D array", np.array([-1.0, 0.0, 2.5]))]
    strategy = array_shapes(min_dims=min_dims, max_dims=max_dims, max_side=6).flatmap(
        lambda s: _array(s, -1e6, 1e6)).map(lambda a: (a,))
    return strategy, [(label, (x,)) for label, x in edges if min_dims <= x.ndim <= max_dims]


def _elementwise(name: str, refs):
    def run(session, o):
        rtol, atol, examples, timeout = _opts(o)
        strategy, edges = elementwise_inputs()
        return run_property(
            lambda inp: session.call(name, *inp, timeout=timeout),
            lambda inp, got: compare_any([r(inp[0]) for r in refs], got, rtol, atol),
            strategy, edges, examples, describe=lambda inp: f"X = {show(inp[0])}")

    return Check("values", run, f"{name}(X) against the reference on edge and random arrays")


def _prelu_one_at_zero(X):
    return (np.asarray(X) >= 0).astype(float)  # the other one-sided derivative: also accepted


# --- DNNforward ------------------------------------------------------------------------------
# The template's layout: H and A are 2×N (one column per sample), O is (N,). A forward that returns
# H and A as N×2 with the right numbers throughout is one consistent slip, priced by the part's
# `partial.transposed`; the functions after it are then fed that layout.
TRANSPOSED = "H and A are transposed: N×2 where the template returns 2×N (H = W Xᵀ)"


def _forward_judge(layouts: list[str], rtol: float, atol: float):
    def judge(inp, got):
        expected = ref.DNNforward(inp[0], inp[2], inp[3])
        bad = compare(expected, got, rtol, atol, labels=("H", "A", "O"))
        if bad is None:
            layouts.append("template")
            return None
        H, A, O = expected
        if len(inp[0]) > 1 and compare((H.T, A.T, O), got, rtol, atol) is None:
            layouts.append("transposed")
            return None
        return bad
    return judge


def _forward_values(session, o):
    rtol, atol, examples, timeout = _opts(o)
    layouts: list[str] = []
    bad = run_property(
        lambda inp: session.call("DNNforward", inp[0], inp[2], inp[3], timeout=timeout),
        _forward_judge(layouts, rtol, atol), _network(), _edge_networks(), examples, describe=_describe_forward)
    if bad is None and "transposed" in layouts:
        return Slip(TRANSPOSED, "transposed", o)
    return bad


def student_layout(session) -> dict:
    """How the student's DNNforward lays out H, A and O, from one call (cached per session):
    {"transposed": bool, "O": "(N,)" | "(N, 1)" | "(1, N)"}; the template's layout when it fails or is wrong."""
    cache = session.__dict__.setdefault("_gradekit_mlp", {})
    if "layout" not in cache:
        rng = np.random.default_rng(44)
        X, W, K = rng.normal(size=(5, 3)), rng.normal(size=(2, 3)), rng.normal(size=2)
        r = session.call("DNNforward", X, W, K, timeout=TIMEOUT)
        layout = {"transposed": False, "O": "(N,)"}
        if r.ok and isinstance(r.value, tuple) and len(r.value) == 3:
            H, A, O = ref.DNNforward(X, W, K)
            got = r.value
            if compare((H.T, A.T, O), got, 1e-6, 1e-8) is None and compare((H, A, O), got, 1e-6, 1e-8) is not None:
                layout["transposed"] = True
            if isinstance(got[2], np.ndarray) and got[2].shape in ((5, 1), (1, 5)):
                layout["O"] = "(N, 1)" if got[2].shape == (5, 1) else "(1, N)"
        cache["layout"] = layout
    return cache["layout"]


def in_layout(layout: Mapping[str, Any], H, A, O):
    """The reference's (H, A, O) in the student's own layout."""
    if layout["transposed"]:
        H, A = H.T, A.T
    return H, A, O.reshape(-1, 1) if layout["O"] == "(N, 1)" else O.reshape(1, -1) if layout["O"] == "(1, N)" else O


def _describe_forward(inp) -> str:
    return f"X = {show(inp[0])}, W = {show(inp[2])}, K = {show(inp[3])}"


def _describe_backward(inp) -> str:
    return f"X = {show(inp[0])}, y = {show(inp[1])}, W = {show(inp[2])}, K = {show(inp[3])}"


# --- DNNbackward -----------------------------------------------------------------------------
def _backward_call(session, inp, timeout):
    X, y, W, K = inp
    # the reference's forward values, so backward is judged on its own; in the layout of the student's own
    # DNNforward when that is consistently another one (their train feeds backward that layout)
    H, A, O = in_layout(student_layout(session), *ref.DNNforward(X, W, K))
    return session.call("DNNbackward", X, y, W, K, H, A, O, timeout=timeout)


def _backward_refs(inp):
    X, y, W, K = inp
    H, A, O = ref.DNNforward(X, W, K)
    return [ref.DNNbackward(X, y, W, K, H, A, O), ref.DNNbackward(X, y, W, K, H, A, O, _prelu_one_at_zero)]


def _judge_backward(expected, got, rtol, atol, inp) -> str | None:
    bad = compare_any(expected, got, rtol, atol, labels=GRADS)
    n = len(inp[1])
    if bad and n > 1 and compare_any([tuple(g * n for g in e) for e in expected], got, rtol, atol) is None:
        bad += f" (these are N = {n} times the gradients: the gradient of the summed loss, not of the mean)"
    return bad


def _fed(session, bad: str | None) -> str | None:
    """A backward failure says when it was fed the student's own layout rather than the template's."""
    if bad is None or not student_layout(session)["transposed"]:
        return bad
    return bad + " (H and A were passed as N×2, the layout of your DNNforward)"


def _backward_reference(session, o):
    rtol, atol, examples, timeout = _opts(o)
    return _fed(session, run_property(
        lambda inp: _backward_call(session, inp, timeout),
        lambda inp, got: _judge_backward(_backward_refs(inp), got, rtol, atol, inp),
        _network(), _edge_networks(), examples, describe=_describe_backward))


def numeric_gradient(X, y, W, K, eps: float = 1e-6):
    """Central differences of the template's loss in W and K (the reference's forward only)."""
    def L(W_, K_):
        return ref.loss(y, ref.DNNforward(X, W_, K_)[2])

    gW, gK = np.zeros_like(W), np.zeros_like(K)
    for idx in np.ndindex(W.shape):
        d = np.zeros_like(W)
        d[idx] = eps
        gW[idx] = (L(W + d, K) - L(W - d, K)) / (2 * eps)
    for i in range(len(K)):
        d = np.zeros_like(K)
        d[i] = eps
        gK[i] = (L(W, K + d) - L(W, K - d)) / (2 * eps)
    return gW, gK


def _backward_fd(session, o):
    """Against finite differences on inputs away from ReLU's kink (|H| > 0.05), where they are exact enough."""
    _, _, examples, timeout = _opts(o)
    # seeded by the file too: fixed cases could be learned from feedback and answered from a table
    rng = np.random.default_rng([4490, getattr(session, "case_seed", 0)])
    cases = []
    while len(cases) < max(2, examples // 5):
        n = len(cases) + 1  # small first: the first failure shown is the smallest
        X, W, K = rng.normal(size=(n, 3)), rng.normal(size=(2, 3)), rng.normal(size=2)
        if np.min(np.abs(W @ X.T)) > 0.05:
            cases.append((f"random case {len(cases) + 1} (N = {n})", (X, np.where(rng.random(n) < 0.5, -1.0, 1.0), W, K)))
    return _fed(session, run_property(
        lambda inp: _backward_call(session, inp, timeout),
        lambda inp, got: _judge_backward([numeric_gradient(*inp)], got, 1e-4, 1e-7, inp),
        None, cases, 0, describe=_describe_backward))


# --- train -----------------------------------------------------------------------------------
ALIASED = ("W_list and K_list hold the same weights at every epoch: one array appended each epoch and then "
           "updated in place (W -= ...), so every entry is the final W; append a copy, or write W = W - lr * pLpW")
# the run notebook's training: lr 0.005, 50 epochs, batch 20, on a separable set of 400
NOTEBOOK = dict(lr=0.005, epochs=50, batch=20)


def _train_call(session, X, y, W, K, lr, epochs, batch, timeout, retry=False):
    return session.call("train", X, y, W, K, float(lr), int(epochs), int(batch), timeout=timeout, retry=retry)


def _lists(got, epochs: int) -> tuple[list[np.ndarray], list[np.ndarray]] | str:
    """(W_list, K_list) as lists of arrays 2×3 and (2,), or why not."""
    if not isinstance(got, tuple) or len(got) != 2 or not all(isinstance(v, tuple) for v in got):
        return f"returned {show(got, 120)}, expected (W_list, K_list)"
    Ws, Ks = got
    if len(Ws) != epochs or len(Ks) != epochs:
        return f"returned lists of {len(Ws)} and {len(Ks)} entries, expected one per epoch ({epochs})"
    if not all(isinstance(w, np.ndarray) and w.shape == (2, 3) for w in Ws) or \
            not all(isinstance(k, np.ndarray) and k.size == 2 for k in Ks):
        return "W_list must hold 2×3 arrays and K_list arrays of 2"
    return list(Ws), [k.reshape(2) for k in Ks]


def _final(got, epochs: int) -> tuple[np.ndarray, np.ndarray] | str:
    lists = _lists(got, epochs)
    return lists if isinstance(lists, str) else (lists[0][-1], lists[1][-1])


def first_epoch_off(refs, Ws, Ks, rtol, atol) -> tuple[int, str] | None:
    """None when every epoch's (W, K) matches one reference trajectory; else the first epoch off and how."""
    worst = None
    for Wr, Kr in refs:
        for e, (w, k, wr, kr) in enumerate(zip(Ws, Ks, Wr, Kr)):
            bad = compare((wr, kr), (w, k), rtol, atol, labels=("W", "K"))
            if bad is not None:
                if worst is None or e > worst[0]:
                    worst = (e, bad)
                break
        else:
            return None
    return worst


def _train_trajectory(session, o):
    """Every epoch's entry of W_list and K_list against the template's loop, so a list of one aliased array
    (every entry the final weights) is caught; that slip is priced by the part's `partial.aliased`."""
    rtol, atol, _, timeout = _opts(o)
    rng = np.random.default_rng(7)
    X, W, K = rng.normal(size=(23, 3)), rng.normal(0, 0.5, (2, 3)), rng.normal(0, 0.5, 2)
    y = np.where(X @ [1.0, -1.0, 0.5] > 0, 1.0, -1.0)
    lr, epochs, batch = 0.1, 3, 5
    r = _train_call(session, X, y, W, K, lr, epochs, batch, timeout)
    if not r.ok:
        return r.message
    lists = _lists(r.value, epochs)
    if isinstance(lists, str):
        return lists
    Ws, Ks = lists
    refs = [ref.train(X, y, W, K, lr, epochs, batch, last_sample=s) for s in (False, True)]
    off = first_epoch_off(refs, Ws, Ks, max(rtol, 1e-6), atol)
    if off is None:
        return None
    call = f"train(X (23×3), y, W, K, lr={lr}, num_epochs={epochs}, batch_size={batch})"
    same = all(np.array_equal(Ws[0], w) and np.array_equal(Ks[0], k) for w, k in zip(Ws, Ks))
    if same and any(first_epoch_off([(Wr[-1:], Kr[-1:])], Ws[-1:], Ks[-1:], max(rtol, 1e-6), atol) is None
                    for Wr, Kr in refs):
        return Slip(f"after {call}: {ALIASED}", "aliased", o)
    epoch, bad = off
    return f"after {call}, epoch {epoch + 1}'s (W, K) differ from the reference's: {bad}"


def notebook_start():
    """The separable set and the seeded starting (W, K) (uniform on ±0.2, as the notebook draws them)."""
    X, y = ref.separable_clusters()
    rng = np.random.default_rng(0)  # a start the network misclassifies half of: training must do the work
    return X, y, rng.uniform(-0.2, 0.2, (2, 3)), rng.uniform(-0.2, 0.2, 2)


@functools.lru_cache(maxsize=None)
def calibrated_threshold(threshold: float, loss: str = "half_mean", epochs: int = NOTEBOOK["epochs"]) -> float:
    """The pass mark: the spec's threshold, or 0.02 under what the course-style reference reaches on the same
    data from the same start when that is lower (computed here, in this run)."""
    X, y, W, K = notebook_start()
    d = NOTEBOOK
    Ws, Ks = ref.sgd_trajectory(X, y, W, K, d["lr"], epochs, d["batch"], loss=loss)
    return min(threshold, ref.accuracy(X, y, Ws[-1], Ks[-1]) - 0.02)


def accuracy_verdict(X, y, W, K, threshold: float, what: str) -> str | None:
    acc = ref.accuracy(X, y, W, K)
    return None if acc >= threshold else (f"training accuracy {acc:.3f} after {what} on the notebook's kind of "
                                          f"data ({len(y)} samples in two separable clusters), below the pass "
                                          f"mark {threshold:.3g}")


def _train_notebook(session, o):
    threshold = calibrated_threshold(float(o.get("threshold", 0.95)))
    budget = session.call_limit(float(o.get("time_budget", 10.0)))  # what the call gets, --time-limit included
    X, y, W, K = notebook_start()
    d = NOTEBOOK
    # the time budget: CPU seconds (session.call), an overrun retried once on a fresh child before it counts
    r = _train_call(session, X, y, W, K, d["lr"], d["epochs"], d["batch"], budget, retry=True)
    if not r.ok:
        return r.message if r.kind != CallKind.TIMEOUT else (f"did not finish within its time budget of {budget:g} s of "
                                                      f"CPU time" + (" (tried twice)" if r.retried else ""))
    final = _final(r.value, d["epochs"])
    what = f"train(X, y, W, K, lr={d['lr']}, num_epochs={d['epochs']}, batch_size={d['batch']})"
    return final if isinstance(final, str) else accuracy_verdict(X, y, *final, threshold, what)


CHECKS: dict[str, dict[str, Check]] = {
    "relu": {"values": _elementwise("relu", [ref.relu])},
    "prelu": {"values": _elementwise("prelu", [ref.prelu, _prelu_one_at_zero])},
    "DNNforward": {"values": Check("values", _forward_values, "(H, A, O) against the reference")},
    "DNNbackward": {
        "reference": Check("reference", _backward_reference, "(∂L/∂W, ∂L/∂K) against the reference"),
        "finite_differences": Check("finite_differences", _backward_fd, "against central differences of the loss"),
    },
    "train": {
        "trajectory": Check("trajectory", _train_trajectory, "every epoch's W, K against the template's loop"),
        "notebook": Check("notebook", _train_notebook, "the run notebook's training reaches the pass mark"),
    },
}
REFERENCE = {"relu": ref.relu, "prelu": ref.prelu, "DNNforward": ref.DNNforward,
             "DNNbackward": ref.DNNbackward, "train": ref.train}


def validate(params: Mapping[str, Any]):
    return parse_module(params, CHECKS)


def solve(spec) -> Solution:
    """The reference source of each callable: ``gradekit solve ece449-a2/task1`` prints it."""
    answers, steps = {}, []
    for fn in spec.callables:
        source = inspect.getsource(REFERENCE[fn.name])
        answers[fn.name] = source
        steps.append(Step(fn.signature, source, values={}))
    return Solution(answers, steps)


FAMILIES = [Family("module.mlp_numpy", solve, validate=validate, params=module_params(NUMPY_PREAMBLE))]

"""module.numpy_ann: cs37300-hw4 §1, the NumpyANN class graded method by method.

The math is ``gradekit.reference.numpy_ann``; here are the checks. Each
method runs in the child on a fresh instance that holds the weights the parent
drew (``gradekit/sandbox/child/class_glue.py``), so a method is judged on its own:
a wrong ``_relu`` does not fail ``_backward``, and an unimplemented
``__init__`` does not fail the rest. Outputs come back as arrays and are
compared here with the reference on the same inputs.

>>> from gradekit.catalog.catalog import load_catalog
>>> spec = load_catalog().resolve("cs37300-hw4/numpy_ann").validated_params
>>> spec.file, [c.name for c in spec.callables][:3]
('numpy_ann.py', ['NumpyANN.__init__', 'NumpyANN._relu', 'NumpyANN._relu_grad'])
"""

from __future__ import annotations

import inspect
from typing import Any, Callable, Mapping

import numpy as np

from gradekit.plugin import Family, Solution, Step
from gradekit.code.callkind import CallKind
from gradekit.code.methods import call_method, class_stub, class_stubs, wrap_source
from gradekit.code.props import compare, compare_any, run_property, show
from gradekit.code.spec import NUMPY_PREAMBLE, Check, module_params, parse_module
from gradekit.reference import numpy_ann as ref


CLASS = "NumpyANN"
RTOL, ATOL, EXAMPLES, TIMEOUT = 1e-6, 1e-9, 15, 10.0
WEIGHTS = ("W1", "b1", "W2", "b2")
SEED = 42  # NumpyANN(..., random_seed=42): the handout's default
# the overall test: scikit-learn's digits (64 features in [0, 1], 10 classes), the handout's loop
DIGITS = {"hidden": 64, "lr": 0.5, "epochs": 20, "batch_size": 32}


def _floats(lo: float, hi: float):
    from hypothesis import strategies as st

    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, width=64)


def _array(shape, lo=-100.0, hi=100.0):
    from hypothesis.extra.numpy import arrays

    return arrays(np.float64, shape, elements=_floats(lo, hi))


def elementwise_inputs(min_dims: int = 1, max_dims: int = 3):
    """(hypothesis strategy of 1-tuples, named edge cases) for an element-wise function of one array: the
    handout's _relu and _relu_grad."""
    from hypothesis.extra.numpy import array_shapes

    edges = [("zeros", np.zeros((3, 4))), ("negatives", -np.arange(1.0, 7.0).reshape(2, 3)),
             ("large magnitudes", np.array([[-1e300, 1e300, -1e-300, 1e-300]])),
             ("a batch of one", np.array([[0.5, -2.0, 3.0]])), ("a 1-D array", np.array([-1.0, 0.0, 2.5]))]
    strategy = array_shapes(min_dims=min_dims, max_dims=max_dims, max_side=6).flatmap(
        lambda s: _array(s, -1e6, 1e6)).map(lambda a: (a,))
    return strategy, [(label, (x,)) for label, x in edges if min_dims <= x.ndim <= max_dims]


def _opts(o: Mapping[str, Any]) -> tuple[float, float, int, float]:
    return (float(o.get("rtol", RTOL)), float(o.get("atol", ATOL)), int(o.get("examples", EXAMPLES)),
            float(o.get("timeout", TIMEOUT)))


def _call(session, op: str, sizes, weights=(), data=(), timeout=TIMEOUT, **kw):
    """``op`` on a fresh NumpyANN(*sizes) holding ``weights``; the child's CallResult."""
    return call_method(session, CLASS, op, sizes, weights, data, timeout, **kw)


def _network(rng: np.random.Generator, n_in: int, n_hidden: int, n_out: int, scale: float = 0.5):
    return (rng.normal(0, scale, (n_in, n_hidden)), rng.normal(0, 0.1, (1, n_hidden)),
            rng.normal(0, scale, (n_hidden, n_out)), rng.normal(0, 0.1, (1, n_out)))


def _reference(weights, lr: float = 0.1) -> ref.NumpyANN:
    W1, b1, W2, b2 = weights
    net = ref.NumpyANN(W1.shape[0], W1.shape[1], W2.shape[1], lr=lr)
    net.W1, net.b1, net.W2, net.b2 = (w.copy() for w in weights)
    return net


def _one_hot(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    return ref.one_hot(rng.integers(0, k, n), k)


# --- __init__ ----------------------------------------------------------------------------------
def _init(session, o):
    _, _, _, timeout = _opts(o)
    for sizes in ((5, 4, 3, 0.25), (64, 32, 10, 0.01)):
        n_in, n_hidden, n_out, lr = sizes
        r = _call(session, "attributes", sizes, timeout=timeout,
                  names=["input_size", "hidden_size", "output_size", "lr"])
        if not r.ok:
            return r.message
        got = r.value
        what = f"NumpyANN{sizes}"
        for name, value, want in zip(("input_size", "hidden_size", "output_size", "lr"), got[:4], sizes):
            if float(value) != float(want):
                return f"{what}: self.{name} is {float(value):g}, expected {want:g}"
        for name, w, shape in zip(WEIGHTS, got[4:], ((n_in, n_hidden), (1, n_hidden), (n_hidden, n_out), (1, n_out))):
            if not isinstance(w, np.ndarray) or w.shape != shape:
                return f"{what}: self.{name} has shape {getattr(w, 'shape', '?')}, expected {shape}"
        for name, b in (("b1", got[5]), ("b2", got[7])):
            if np.any(b != 0):
                return f"{what}: self.{name} must start at zeros (np.zeros), but has {show(b, 80)}"
        # the handout seeds np.random with random_seed (42 by default), draws W1 (given), then W2 "like the first"
        seeded = ref.NumpyANN(n_in, n_hidden, n_out, lr, seed=SEED)
        for name, w, want in (("W1", got[4], seeded.W1), ("W2", got[6], seeded.W2)):
            if compare(want, w, 1e-9, 1e-12) is not None:
                std = float(np.std(w))
                return (f"{what}: self.{name} differs from 0.01 · np.random.randn({', '.join(map(str, want.shape))}) "
                        f"drawn after np.random.seed({SEED}), W1 first then W2 (its standard deviation is {std:.3g})")
    return None


# --- _relu, _relu_grad -------------------------------------------------------------------------
def _elementwise(method: str, refs: list[Callable[[np.ndarray], np.ndarray]]):
    def run(session, o):
        rtol, atol, examples, timeout = _opts(o)
        strategy, edges = elementwise_inputs(min_dims=2, max_dims=2)  # the handout's methods take batches
        return run_property(
            lambda inp: _call(session, "call", (3, 2, 2, 0.1), data=inp, timeout=timeout, method=method),
            lambda inp, got: compare_any([r(inp[0]) for r in refs], got, rtol, atol),
            strategy, edges, examples, describe=lambda inp: f"x = {show(inp[0])}")

    return run


def _relu_grad_one_at_zero(x):
    return (np.asarray(x) >= 0).astype(float)  # §1.3's words say "0 if x < 0": also accepted at 0


# --- _cross_entropy ------------------------------------------------------------------------------
def _cross_entropy_inputs(rng, n: int, k: int):
    logits = rng.normal(0, 2, (n, k))
    p = np.exp(logits - logits.max(1, keepdims=True))
    return _one_hot(rng, n, k), p / p.sum(1, keepdims=True)


def _cross_entropy(session, o):
    """The handout pre-fills _cross_entropy(y_pred, y_true) = −Σ y log ŷ / batch size; its doctest expects
    0.69314… for two samples of [0.5, 0.5]. §1.4's prose divides by the classes instead: the code is graded."""
    rtol, _, examples, timeout = _opts(o)
    rng = np.random.default_rng(373)
    cases = [("the handout's doctest", (np.array([[1.0, 0.0], [0.0, 1.0]]), np.full((2, 2), 0.5))),
             ("a batch of one", _cross_entropy_inputs(rng, 1, 10))]
    cases += [(f"random case {i + 1}", _cross_entropy_inputs(rng, 2 + 3 * i, 3 + i)) for i in range(max(2, examples // 5))]
    cases.append(("confident right predictions", (np.eye(4), np.full((4, 4), 1e-3) + np.eye(4) * (1 - 4e-3))))

    def judge(inp, got):
        y, p = inp
        bad = compare(np.asarray(-np.sum(y * np.log(p)) / len(y)), got, max(rtol, 1e-5), 1e-9)
        if bad is None:
            return None
        if compare(np.asarray(-np.mean(y * np.log(p))), got, 1e-5, 1e-9) is None:
            return (f"{bad}: divided by the number of classes too (§1.4's prose); the handout's code and its doctest "
                    f"divide the summed loss by the batch size only")
        if compare(np.asarray(-np.sum(y * np.log(p)) / len(y)), _swap(session, inp, timeout), 1e-5, 1e-9) is None:
            return f"{bad}: the arguments are taken as (y_true, y_pred); the handout's order is (y_pred, y_true)"
        return bad

    return run_property(
        lambda inp: _call(session, "call", (3, 2, 2, 0.1), data=(inp[1], inp[0]), timeout=timeout, method="_cross_entropy"),
        judge, None, cases, 0, describe=lambda inp: f"y_pred = {show(inp[1])}, y_true = {show(inp[0])}")


def _swap(session, inp, timeout):
    r = _call(session, "call", (3, 2, 2, 0.1), data=(inp[0], inp[1]), timeout=timeout, method="_cross_entropy")
    return r.value if r.ok else None


# --- _forward, predict ---------------------------------------------------------------------------
def _forward_cases(examples: int):
    rng = np.random.default_rng(3730)
    cases = [("a batch of one", (rng.normal(size=(1, 5)), _network(rng, 5, 4, 3))),
             ("X all zeros", (np.zeros((3, 5)), _network(rng, 5, 4, 3))),
             ("large magnitudes", (rng.normal(0, 100, (4, 5)), _network(rng, 5, 4, 3)))]
    for i in range(max(2, examples // 5)):
        n_in, n_hidden, n_out = 2 + i, 3 + i, 2 + i % 3
        cases.append((f"random case {i + 1}", (rng.normal(size=(2 + i, n_in)), _network(rng, n_in, n_hidden, n_out))))
    return cases


def _describe(inp) -> str:
    X, (W1, b1, W2, b2) = inp[0], inp[1]
    return f"X = {show(X)}, W1 = {show(W1)}, b1 = {show(b1)}, W2 = {show(W2)}, b2 = {show(b2)}"


def _sizes(weights, lr: float = 0.1):
    return (weights[0].shape[0], weights[0].shape[1], weights[2].shape[1], lr)


def _outputs(method: str, extra: list):
    def run(session, o):
        rtol, atol, examples, timeout = _opts(o)
        return run_property(
            lambda inp: _call(session, "call", _sizes(inp[1]), inp[1], (inp[0],), timeout, method=method, extra=extra),
            lambda inp, got: compare(_reference(inp[1]).predict(inp[0]), got, rtol, atol, name="a2"),
            None, _forward_cases(examples), 0, describe=_describe)

    return run


# --- _backward -----------------------------------------------------------------------------------
def _step_cases(examples: int, away_from_kink: bool = False):
    rng = np.random.default_rng(37300 + away_from_kink)
    cases = []
    while len(cases) < max(3, examples // 4):
        n = 1 + len(cases)  # a batch of one first
        n_in, n_hidden, n_out = 3, 4, 3
        X, weights = rng.normal(size=(n, n_in)), _network(rng, n_in, n_hidden, n_out)
        if away_from_kink and np.min(np.abs(X @ weights[0] + weights[1])) < 0.05:
            continue  # finite differences are exact only away from ReLU's corner
        cases.append((f"a batch of {n}", (X, weights, _one_hot(rng, n, n_out))))
    return cases


def _describe_step(inp) -> str:
    return _describe(inp) + f", y_true = {show(inp[2])}"


def _stepped(weights, X, Y, lr: float, scale: float = 1.0):
    net = _reference(weights, lr)
    net._forward(X, training=True)
    grads = net._gradients(X, Y)
    return tuple(getattr(net, k) - lr * scale * grads[k] for k in WEIGHTS)


def _judge_step(inp, got, lr, rtol, atol) -> str | None:
    X, weights, Y = inp
    bad = compare(_stepped(weights, X, Y, lr), got, rtol, atol, labels=WEIGHTS)
    if bad is None:
        return None
    n, k = len(X), Y.shape[1]
    for scale, why in ((n, "the gradients are not divided by the number of samples (§1.6)"),
                       (1 / k, "the gradients are also divided by the number of classes; §1.6 starts from ∂L/∂z2 = a2 − y"),
                       (-1, "the step goes up the gradient (θ + lr·∂L/∂θ), not down")):
        if (n > 1 or scale not in (n,)) and compare(_stepped(weights, X, Y, lr, scale), got, rtol, atol) is None:
            return f"{bad}: {why}"
    return f"the weights after _forward(X, training=True) and _backward(X, y_true) with lr = {lr:g}: {bad}"


def _backward(session, o):
    rtol, atol, examples, timeout = _opts(o)
    lr = 0.1
    return run_property(
        lambda inp: _call(session, "step", _sizes(inp[1], lr), inp[1], (inp[0], inp[2]), timeout),
        lambda inp, got: _judge_step(inp, got, lr, max(rtol, 1e-6), atol),
        None, _step_cases(examples), 0, describe=_describe_step)


def handout_loss(weights, X, Y) -> float:
    """The loss whose gradient §1.6 computes: the cross-entropy summed over classes, averaged over samples."""
    return float(-np.sum(Y * np.log(_reference(weights).predict(X))) / len(X))


def numeric_gradient(weights, X, Y, eps: float = 1e-6) -> tuple[np.ndarray, ...]:
    """Central differences of :func:`handout_loss` in each weight entry."""
    grads = []
    for i, w in enumerate(weights):
        g = np.zeros_like(w)
        for idx in np.ndindex(w.shape):
            up, down = [v.copy() for v in weights], [v.copy() for v in weights]
            up[i][idx] += eps
            down[i][idx] -= eps
            g[idx] = (handout_loss(up, X, Y) - handout_loss(down, X, Y)) / (2 * eps)
        grads.append(g)
    return tuple(grads)


def _backward_fd(session, o):
    """The step's implied gradient (θ − θ') / lr against central differences of the handout's loss."""
    _, _, examples, timeout = _opts(o)
    lr = 0.1

    def judge(inp, got):
        X, weights, Y = inp
        if not isinstance(got, tuple) or len(got) != 4:
            return f"returned {show(got, 120)}, expected the four weight arrays"
        implied = tuple((w - np.asarray(g).reshape(w.shape)) / lr if np.size(g) == w.size else g
                        for w, g in zip(weights, got))
        bad = compare(numeric_gradient(weights, X, Y), implied, 1e-4, 1e-7, labels=tuple(f"∂L/∂{k}" for k in WEIGHTS))
        return None if bad is None else f"the gradient implied by _backward's step differs from finite differences: {bad}"

    return run_property(
        lambda inp: _call(session, "step", _sizes(inp[1], lr), inp[1], (inp[0], inp[2]), timeout),
        judge, None, _step_cases(examples, away_from_kink=True), 0, describe=_describe_step)


# --- train, accuracy -----------------------------------------------------------------------------
def _train(session, o):
    rtol, atol, _, timeout = _opts(o)
    rng = np.random.default_rng(7)
    X = rng.normal(size=(23, 5))
    y = np.argmax(X[:, :3], axis=1)
    Y = ref.one_hot(y, 3)
    weights, lr, batch = _network(rng, 5, 4, 3), 0.2, 5
    for epochs in (1, 2):  # every epoch of the trajectory, each from the same start
        r = _call(session, "train", _sizes(weights, lr), weights, (X, Y, X[:6], Y[:6]), timeout, args=[epochs, batch])
        if not r.ok:
            return r.message
        net = _reference(weights, lr)
        net.train(X, Y, epochs=epochs, batch_size=batch)
        bad = compare(tuple(getattr(net, k) for k in WEIGHTS), r.value, max(rtol, 1e-6), atol, labels=WEIGHTS)
        if bad is not None:
            return (f"after train(X (23×5), y one-hot (23×3), X_val, y_val, epochs={epochs}, batch_size={batch}) with "
                    f"lr = {lr:g}, the weights differ from mini-batch gradient descent over the batches in order: {bad}")
    return None


def _accuracy(session, o):
    _, _, _, timeout = _opts(o)
    rng = np.random.default_rng(11)
    weights = _network(rng, 4, 5, 3, scale=1.0)
    X = rng.normal(size=(12, 4))
    net = _reference(weights)
    labels = (net.predict(X).argmax(1) + np.array([0] * 8 + [1, 2, 1, 2])) % 3  # 8 of 12 right
    expected = net.accuracy(X, labels)
    r = _call(session, "call", _sizes(weights), weights, (X, ref.one_hot(labels, 3)), timeout, method="accuracy")
    if not r.ok:
        return r.message if r.kind != CallKind.ERROR else \
            f"{r.message}, for one-hot y_true (as the handout's doctest and train pass it)"
    if compare(np.asarray(expected), r.value, 1e-9, 1e-12) is None:
        return None
    return (f"returned {show(r.value)} for one-hot y_true (as the handout's doctest and train pass it); expected "
            f"{expected:g} (8 of 12 predictions right)")


# --- the overall test ----------------------------------------------------------------------------
def digits_split(shape: tuple[int, int, int] | None = None):
    """Digits as the overall tests use them: train, validation, test with labels; the images flattened and
    scaled to [0, 1], or (``shape``) fitted to a model's input (``training.fit_images``, also in [0, 1])."""
    from gradekit.reference.data import load_dataset

    ds = load_dataset("digits")
    if shape is None:
        X, Xt = ds.x_train.reshape(len(ds.x_train), -1) / 255.0, ds.x_test.reshape(len(ds.x_test), -1) / 255.0
    else:
        from gradekit.reference.training import fit_images

        X, Xt = fit_images(ds.x_train, shape).numpy(), fit_images(ds.x_test, shape).numpy()
    return X[180:], ds.y_train[180:], X[:180], ds.y_train[:180], Xt, ds.y_test


def _overall(session, o):
    threshold, budget = float(o.get("threshold", 0.9)), session.call_limit(float(o.get("time_budget", 20.0)))
    X, y, Xv, yv, Xt, yt = digits_split()
    k, d = 10, DIGITS
    sizes = (X.shape[1], d["hidden"], k, d["lr"])
    r = call_method(session, CLASS, "fit", sizes, (), (X, ref.one_hot(y, k), Xv, ref.one_hot(yv, k), Xt), budget,
                    retry=True, args=[d["epochs"], d["batch_size"]], trained_weights=True)
    how = f"NumpyANN(64, {d['hidden']}, 10, lr={d['lr']}), {d['epochs']} epochs, batch {d['batch_size']}"
    if not r.ok:
        return judge_fit(r, yt, threshold, budget, how)
    return _judge_trained(r.value, Xt, yt, threshold, how)


def _judge_trained(reply, Xt: np.ndarray, yt: np.ndarray, threshold: float, how: str) -> str | None:
    """Training checked as training: the weights must have moved from where the class started them, and the
    test labels are those of the handout's forward pass with the trained weights, computed here, not the
    labels the class's own predict returned (a predict that is not the network would score otherwise)."""
    before, after = reply[3], reply[4]
    if after is None or before is None:
        return "the trained instance has no weights W1, b1, W2, b2 to predict with: the test needs the network"
    try:
        net = _reference(after)
        moved = any(not np.array_equal(a, b) for a, b in zip(before, after))
        labels = np.argmax(net.predict(Xt), axis=1)
    except (ValueError, TypeError) as e:  # weights of shapes no forward pass takes
        return f"the trained weights cannot make a forward pass on the test images ({e})"
    if not moved:
        return ("train never moved the network's weights W1, b1, W2, b2 from where __init__ set them: the test "
                "scores the trained network, and this one was not trained")
    return judge_labels(labels, yt, threshold, how + ", predicted with the trained weights")


def judge_fit(r, y_test: np.ndarray, threshold: float, budget: float, how: str) -> str | None:
    """An overall test's verdict from the child's reply to "fit" (the labels stay in the parent)."""
    if not r.ok:
        return r.message if r.kind != CallKind.TIMEOUT else \
            f"training did not finish within its time budget of {budget:g} s of CPU time (tried twice)"
    return judge_labels(r.value[0] if isinstance(r.value, tuple) else r.value, y_test, threshold, how)


def judge_labels(labels, y_test: np.ndarray, threshold: float, how: str) -> str | None:
    """The test accuracy of the labels the child predicted, against the threshold."""
    pred = np.asarray(labels).reshape(-1)
    if pred.shape != y_test.shape:
        return f"gave {pred.size} labels for {len(y_test)} test images"
    acc = float(np.mean(pred == y_test))
    return None if acc >= threshold else \
        f"test accuracy {acc:.3f} on scikit-learn's digits ({how}), below the threshold {threshold:g}"


CHECKS: dict[str, dict[str, Check]] = {
    "NumpyANN.__init__": {"attributes": Check("attributes", _init, "sizes, lr, weight shapes and scale, zero biases")},
    "NumpyANN._relu": {"values": Check("values", _elementwise("_relu", [ref.NumpyANN._relu]), "against max(x, 0)")},
    "NumpyANN._relu_grad": {"values": Check("values", _elementwise("_relu_grad", [ref.NumpyANN._relu_grad,
                                                                                 _relu_grad_one_at_zero]),
                                            "against 1[x > 0] (either value at 0)")},
    "NumpyANN._cross_entropy": {"values": Check("values", _cross_entropy, "−(1/n) Σ y log ŷ against the reference")},
    "NumpyANN._forward": {"values": Check("values", _outputs("_forward", [True]), "a2 against the reference")},
    "NumpyANN._backward": {
        "reference": Check("reference", _backward, "the weights after one step against the reference"),
        "finite_differences": Check("finite_differences", _backward_fd, "the step's gradient against central differences"),
    },
    "NumpyANN.train": {"trajectory": Check("trajectory", _train, "the final weights against mini-batch gradient descent")},
    "NumpyANN.predict": {"values": Check("values", _outputs("predict", []), "probabilities against the reference")},
    "NumpyANN.accuracy": {"values": Check("values", _accuracy, "the accuracy of known predictions")},
    "NumpyANN": {"digits": Check("digits", _overall, "trained on scikit-learn's digits, the test accuracy")},
}


def validate(params: Mapping[str, Any]):
    raw = [c for c in params.get("callables") or [] if isinstance(c, dict) and isinstance(c.get("name"), str)]
    stub = class_stub(f"class {CLASS}:", "One hidden ReLU layer, a softmax output, mini-batch gradient descent (§1).", raw)
    return parse_module(params, CHECKS, extra={"wrap_source": wrap_source, "stubs": class_stubs(raw, stub)})


def solve(spec) -> Solution:
    """The reference method of each part: ``gradekit solve cs37300-hw4/numpy_ann`` prints them."""
    answers, steps = {}, []
    for fn in spec.callables:
        method = fn.name.split(".", 1)[1] if "." in fn.name else None
        target = getattr(ref.NumpyANN, method) if method else ref.NumpyANN
        if method == "_backward":
            source = inspect.getsource(ref.NumpyANN._gradients) + "\n" + inspect.getsource(target)
        elif method is None:
            source = (f"trained on scikit-learn's digits with NumpyANN(64, {DIGITS['hidden']}, 10, lr={DIGITS['lr']}), "
                      f"{DIGITS['epochs']} epochs, batch {DIGITS['batch_size']}: the reference reaches about 0.97")
        else:
            source = inspect.getsource(target)
        answers[fn.name] = source
        steps.append(Step(fn.signature, source, values={}))
    return Solution(answers, steps)


FAMILIES = [Family("module.numpy_ann", solve, validate=validate, params=module_params(NUMPY_PREAMBLE))]

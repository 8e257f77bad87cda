"""The LMS lab: Wiener solution, per-sample LMS training, divergence at a large rate.

The data is X (n×3, first column the constant 1) and D (n). The course's
``dataset.mat`` is not public, so by default the data is a seeded draw::

    rng = np.random.default_rng(seed)
    X = [1 | rng.standard_normal((n, 2))]
    D = X @ true_w + noise * rng.standard_normal(n)

An instructor who has the file puts it beside the spec and sets
``X = { file = "dataset.mat", key = "X" }`` and ``D = { file = "dataset.mat", key = "D" }``
(``gradekit.catalog.datafiles``); ``data_file = "path/to/dataset.mat"`` (keys X and D,
relative to the current directory) still works.

>>> p = validate({"seed": 661})
>>> s = solve(p)
>>> bool(np.all(np.abs(s.answers["W_star"] - [1, 1, -2]) < 0.01))
True
"""

from __future__ import annotations

import operator
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from gradekit.plugin import (
    Family, fmt, integer, Mistake, number, OPTIONAL, Param, ParamError, Solution, Step, tex, text_param,
    vector,
)
from gradekit.plugin import text as show


def _draw(n: int, true_w: np.ndarray, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.standard_normal((n, 2))])
    D = X @ true_w + noise * rng.standard_normal(n)
    return X, D


def _load(path: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        from scipy.io import loadmat  # heavy and optional: only for instructors' .mat files
    except ImportError:
        raise ParamError("data_file", "needs scipy to read .mat files (pip install scipy)") from None
    if not Path(path).is_file():
        raise ParamError("data_file", f"is {path!r}, but no such file exists (give an absolute path or one relative to the current directory)")
    try:
        data = loadmat(path)
    except Exception as exc:  # scipy raises several types for a bad file
        raise ParamError("data_file", f"is {path!r}, but it cannot be read as a .mat file ({type(exc).__name__})") from None
    missing = [k for k in ("X", "D") if k not in data]
    if missing:
        raise ParamError("data_file", f"is {path!r}, but it holds no variable {' or '.join(missing)} (needs X and D)")
    # .mat arrays are column-major; C order keeps the arithmetic identical to a drawn X
    return np.ascontiguousarray(data["X"], dtype=float), np.ascontiguousarray(data["D"], dtype=float)


def validate(params: Mapping[str, Any]) -> dict[str, Any]:
    """Draw or load (X, D) and fill in the rates: the solver gets arrays."""
    if "X" in params or "D" in params:  # the course's data: X = { file = "dataset.mat", key = "X" }, D likewise
        missing = [k for k in ("X", "D") if k not in params]
        if missing:
            raise ParamError(missing[0], "is missing: X and D come together (e.g. from the same dataset.mat)")
        try:
            X, D = np.asarray(params["X"], dtype=float), np.asarray(params["D"], dtype=float)
        except (TypeError, ValueError):
            raise ParamError("X", "and D must be numbers: a matrix X (n × 3) and a vector D (n)") from None
        return _checked(X, D, "X", "the course's data (params X and D)", params)
    if "data_file" in params:
        path = text_param(params, "data_file")
        X, D = _load(path)
        return _checked(X, D, "data_file", f"loaded from {path}", params)
    n = integer(params, "n", low=4, default=100)
    true_w = vector(params, "true_w", length=3, default=[1.0, 1.0, -2.0])
    noise = number(params, "noise", low=0.0, default=0.01)
    seed = integer(params, "seed", low=0)
    X, D = _draw(n, true_w, noise, seed)
    return _rates(X, D, f"drawn with seed {seed}: n = {n}, true w = {show(true_w)}, noise = {fmt(noise)}", params)


def _checked(X: np.ndarray, D: np.ndarray, where: str, source: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """The course's (X, D) checked as Lab 1 needs them, then the rates."""
    if X.ndim != 2 or X.shape[1] != 3:
        raise ParamError(where, f"holds X of shape {X.shape}, but needs (n, 3)")
    D = D.reshape(-1)
    if not (np.all(np.isfinite(X)) and np.all(np.isfinite(D))):
        raise ParamError(where, "holds non-finite values in X or D")
    if D.shape[0] != X.shape[0]:
        raise ParamError(where, f"holds D with {D.shape[0]} values, but needs {X.shape[0]} matching X {X.shape}")
    if not np.all(X[:, 0] == 1):
        raise ParamError(where, "holds an X whose first column is not the constant 1 (the bias input)")
    if np.linalg.matrix_rank(X) < 3:
        raise ParamError(where, "holds an X of rank below 3, so the Wiener solution is not unique")
    return _rates(np.ascontiguousarray(X), np.ascontiguousarray(D), source, params)


def _rates(X: np.ndarray, D: np.ndarray, source: str, params: Mapping[str, Any]) -> dict[str, Any]:
    rate = number(params, "rate", default=0.005)
    big_rate = number(params, "divergence_rate", default=1.0)
    for name, r in (("rate", rate), ("divergence_rate", big_rate)):
        if r <= 0:
            raise ParamError(name, f"is {r}, but must be positive")
    epochs = integer(params, "epochs", low=1, high=10_000, default=20)
    return {"X": X, "D": D, "rate": rate, "divergence_rate": big_rate, "epochs": epochs, "source": source}


def mse(X: np.ndarray, D: np.ndarray, W: np.ndarray) -> float:
    with np.errstate(over="ignore", invalid="ignore"):
        return float(np.mean((D - X @ W) ** 2))


def lms(X: np.ndarray, D: np.ndarray, rate: float, epochs: int) -> tuple[np.ndarray, np.ndarray]:
    """W⁰ = 0; one sample at a time, in data order; MSE on all data after each epoch."""
    # the same arithmetic as W = W + r (d_k − x_kᵀW) x_k on arrays, on Python floats: a sample's three
    # products cost a microsecond instead of four array operations (a check solves this 3 times)
    rows, targets = X.tolist(), D.tolist()
    w = [0.0] * X.shape[1]
    curve = []
    with np.errstate(over="ignore", invalid="ignore"):  # a large rate overflows on purpose
        for _ in range(epochs):
            for x_k, d_k in zip(rows, targets):
                step = rate * (d_k - sum(map(operator.mul, x_k, w)))
                w = [w_i + step * x_i for w_i, x_i in zip(w, x_k)]
            curve.append(mse(X, D, np.array(w)))
    return np.array(w), np.array(curve)


def solve(params: Mapping[str, Any]) -> Solution:
    X, D, r, epochs = params["X"], params["D"], params["rate"], params["epochs"]
    n = X.shape[0]
    steps = [Step("Data", f"X is {n}×3 (first column 1), D has {n} targets, {params['source']}.", values={"X": X, "D": D})]

    R, p = X.T @ X, X.T @ D
    W_star = np.linalg.solve(R, p)
    steps.append(Step(
        "Wiener solution",
        f"Solve (XᵀX) W* = XᵀD with XᵀX = {show(R)} and XᵀD = {show(p)}: W* = {show(W_star)}.",
        rf"W^* = (X^\top X)^{{-1}} X^\top D = {tex(R)}^{{-1}} {tex(p)} = {tex(W_star)}",
        {"XtX": R, "XtD": p, "W_star": W_star},
    ))
    mse_star = mse(X, D, W_star)
    steps.append(Step(
        "MSE at W*",
        f"MSE(W*) = mean((D − X W*)²) = {fmt(mse_star)}.",
        rf"\mathrm{{MSE}}(W^*) = \frac{{1}}{{{n}}}\sum_k (d_k - x_k^\top W^*)^2 = {fmt(mse_star)}",
        {"mse_star": mse_star},
    ))

    W_lms, curve = lms(X, D, r, epochs)
    start = mse(X, D, np.zeros(3))
    steps.append(Step(
        f"LMS, r = {fmt(r)}",
        f"From W⁰ = 0 (MSE {fmt(start)}), update W ← W + r (d_k − x_kᵀW) x_k for k = 1..{n} in order, "
        f"{epochs} epochs. MSE after each epoch: {show(curve, 4)}. Final W = {show(W_lms)}.",
        rf"W \leftarrow W + {fmt(r)}\,(d_k - x_k^\top W)\,x_k,\quad W^{{({epochs})}} = {tex(W_lms)}",
        {"W_lms": W_lms, "mse_curve": curve, "mse_start": start},
    ))

    big = params["divergence_rate"]
    _, big_curve = lms(X, D, big, epochs)
    final = big_curve[-1]
    diverges = bool(not np.isfinite(final) or final > start)
    verdict = "diverges" if diverges else "does not diverge"
    steps.append(Step(
        f"LMS, r = {fmt(big)}",
        f"The same loop at r = {fmt(big)} gives MSE {show(big_curve, 3)} over the epochs; it ends at {fmt(final)} "
        f"against {fmt(start)} at W⁰, so LMS {verdict}.",
        rf"\mathrm{{MSE}}(W^{{({epochs})}}) = {fmt(final)}\ \text{{vs}}\ \mathrm{{MSE}}(W^{{(0)}}) = {fmt(start)}",
        {"mse_curve_big": big_curve, "diverges": diverges},
    ))
    answers = {"W_star": W_star, "mse_star": mse_star, "W_lms": W_lms, "mse_curve": curve, "diverges": diverges}
    return Solution(answers, steps)


def batch_lms(X: np.ndarray, D: np.ndarray, rate: float, epochs: int) -> tuple[np.ndarray, np.ndarray]:
    """The mistake: one summed (batch) update per epoch instead of one per sample."""
    W = np.zeros(X.shape[1])
    curve = []
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(epochs):
            W = W + rate * X.T @ (D - X @ W)
            curve.append(mse(X, D, W))
    return W, np.array(curve)


def mistakes(params: Mapping[str, Any]) -> list[Mistake]:
    X, D, r, epochs = params["X"], params["D"], params["rate"], params["epochs"]
    W_batch, curve_batch = batch_lms(X, D, r, epochs)
    _, curve = lms(X, D, r, epochs)
    before = np.concatenate([[mse(X, D, np.zeros(3))], curve[:-1]])
    return [
        Mistake("batch_update", "This is batch gradient descent (one summed update per epoch); LMS updates W after every sample.",
                {"W_lms": W_batch, "mse_curve": curve_batch}),
        Mistake("mse_before_epoch", "The MSE was recorded before each epoch; the lab records it after each epoch.",
                {"mse_curve": before}),
    ]


FAMILIES = [Family("lms", solve, validate=validate, mistakes=mistakes, params=(
    Param("X", "matrix", "the course's data X (n×3, first column 1), usually { file = \"dataset.mat\", key = \"X\" }",
          shape="n×3", default=OPTIONAL),
    Param("D", "vector", "the course's targets D, usually { file = \"dataset.mat\", key = \"D\" }", shape="n",
          default=OPTIONAL),
    Param("data_file", "text", "a .mat file holding X (n×3, first column 1) and D, instead of drawing them",
          default=OPTIONAL, default_note="draw X and D"),
    Param("seed", "integer", "the seed of the drawn data", default=OPTIONAL, default_note="required unless data_file"),
    Param("n", "integer", "how many examples to draw (≥ 4)", default=100),
    Param("true_w", "vector", "the weights the drawn D follows", shape="3", default=[1.0, 1.0, -2.0]),
    Param("noise", "number", "the standard deviation of the noise added to D", default=0.01),
    Param("rate", "number", "the learning rate η of the converging run", default=0.005),
    Param("divergence_rate", "number", "a learning rate for the part on divergence", default=1.0),
    Param("epochs", "integer", "passes over the data (1 to 10,000)", default=20),
))]

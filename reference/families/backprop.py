"""Backpropagation through a two-layer fully connected network, by hand.

    z = W1 x1 + b1,  x2 = f(z) (f = sigmoid or relu),  x3 = W2 x2 + b2,
    L = ½ (t − x3)ᵀ (t − x3).

ReLU'(0) is taken as 0. Each backward quantity sits beside the forward one it
comes from, as in the worked solution.

>>> p = validate({"activation": "relu", "x1": [1, 1, -1], "t": [1, 2], "W1": [[0, -1, 1], [2, 2, -1]],
...               "b1": [1, 2], "W2": [[0, 2], [1, 1]], "b2": [1, 1]})
>>> solve(p).answers["L"]
116.0
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np

from gradekit.plugin import changed, choice, Family, matrix, Mistake, Param, Solution, Step, tex, text, vector

ACTIVATIONS = ("sigmoid", "relu")


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0.0)


# f(z) and f'(z) written in terms of z and x2 = f(z), as a student would
FORWARD = {"sigmoid": sigmoid, "relu": relu}
DERIVATIVE: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "sigmoid": lambda z, x2: x2 * (1 - x2),
    "relu": lambda z, x2: (z > 0).astype(float),
}
DERIVATIVE_TEX = {"sigmoid": r"x_2 \odot (1 - x_2)", "relu": r"\mathbb{1}[z > 0]"}


def validate(params: Mapping[str, Any]) -> dict[str, Any]:
    activation = choice(params, "activation", ACTIVATIONS)
    x1 = vector(params, "x1")
    W1 = matrix(params, "W1", shape=(None, len(x1)), needs=f"matching x1 {x1.shape}")
    b1 = vector(params, "b1", len(W1), needs=f"matching W1 {W1.shape} (one bias per hidden unit)")
    W2 = matrix(params, "W2", shape=(None, len(W1)), needs=f"matching W1 {W1.shape} (one column per hidden unit)")
    b2 = vector(params, "b2", len(W2), needs=f"matching W2 {W2.shape} (one bias per output)")
    t = vector(params, "t", len(W2), needs=f"matching W2 {W2.shape} (one target per output)")
    return {"activation": activation, "x1": x1, "t": t, "W1": W1, "b1": b1, "W2": W2, "b2": b2}


def _backprop(p: Mapping[str, Any], f, fprime, W2_back: np.ndarray) -> dict[str, Any]:
    """Answers of the whole pass; the mistake models swap f, f' or the matrix that carries the error back."""
    z = p["W1"] @ p["x1"] + p["b1"]
    x2 = f(z)
    x3 = p["W2"] @ x2 + p["b2"]
    e = x3 - p["t"]
    delta1 = (W2_back.T @ e) * fprime(z, x2)
    return {"L": 0.5 * float(e @ e), "dL/dW1": np.outer(delta1, p["x1"]), "dL/dW2": np.outer(e, x2),
            "dL/db1": delta1, "dL/db2": e}


def solve(p: Mapping[str, Any]) -> Solution:
    act, x1, t, W1, b1, W2, b2 = (p[k] for k in ("activation", "x1", "t", "W1", "b1", "W2", "b2"))
    z = W1 @ x1 + b1
    x2 = FORWARD[act](z)
    x3 = W2 @ x2 + b2
    r = t - x3
    L = 0.5 * float(r @ r)
    dx3 = -r  # dL/dx3 = x3 − t
    db2 = dx3
    dW2 = np.outer(dx3, x2)
    dx2 = W2.T @ dx3
    fprime = DERIVATIVE[act](z, x2)
    dz = dx2 * fprime
    db1 = dz
    dW1 = np.outer(dz, x1)
    steps = [
        Step("Hidden pre-activation", f"z = W1 x1 + b1 = {text(z)}", rf"z = W_1 x_1 + b_1 = {tex(z)}", {"z": z}),
        Step("Hidden features", f"x2 = {act}(z) = {text(x2)}", rf"x_2 = \mathrm{{{act}}}(z) = {tex(x2)}", {"x2": x2}),
        Step("Output", f"x3 = W2 x2 + b2 = {text(x3)}", rf"x_3 = W_2 x_2 + b_2 = {tex(x3)}", {"x3": x3}),
        Step("Loss", f"t − x3 = {text(r)}, L = ½ (t − x3)ᵀ(t − x3) = {text(L)}",
             rf"L = \tfrac12 (t - x_3)^T (t - x_3) = \tfrac12 \cdot {text(2 * L)} = {text(L)}", {"L": L}),
        Step("Output error", f"dL/dx3 = x3 − t = {text(dx3)}; dL/db2 = dL/dx3 = {text(db2)}",
             rf"\frac{{\partial L}}{{\partial b_2}} = \frac{{\partial L}}{{\partial x_3}} = x_3 - t = {tex(db2)}",
             {"dL/dx3": dx3, "dL/db2": db2}),
        Step("Second-layer weights", f"dL/dW2 = (x3 − t) x2ᵀ = {text(dW2)}",
             rf"\frac{{\partial L}}{{\partial W_2}} = (x_3 - t)\, x_2^T = {tex(dW2)}", {"dL/dW2": dW2}),
        Step("Back to the hidden layer",
             f"dL/dx2 = W2ᵀ (x3 − t) = {text(dx2)}; {act}'(z) = {text(fprime)}; "
             f"dL/db1 = dL/dz = dL/dx2 ∘ {act}'(z) = {text(dz)}",
             rf"\frac{{\partial L}}{{\partial b_1}} = \big(W_2^T (x_3 - t)\big) \odot {DERIVATIVE_TEX[act]}"
             rf" = {tex(dx2)} \odot {tex(fprime)} = {tex(db1)}",
             {"dL/dx2": dx2, "f'(z)": fprime, "dL/db1": db1}),
        Step("First-layer weights", f"dL/dW1 = dL/dz x1ᵀ = {text(dW1)}",
             rf"\frac{{\partial L}}{{\partial W_1}} = \frac{{\partial L}}{{\partial z}}\, x_1^T = {tex(dW1)}",
             {"dL/dW1": dW1}),
    ]
    return Solution({"L": L, "dL/dW1": dW1, "dL/dW2": dW2, "dL/db1": db1, "dL/db2": db2}, steps)


def mistakes(p: Mapping[str, Any]) -> list[Mistake]:
    act, W2 = p["activation"], p["W2"]
    f, fprime = FORWARD[act], DERIVATIVE[act]
    right = _backprop(p, f, fprime, W2)
    models = [
        ("activation_derivative_omitted", f"the {act} derivative is left out of dL/dz",
         _backprop(p, f, lambda z, x2: np.ones_like(z), W2)),
        # L = (t − x3)ᵀ(t − x3) without the ½: L and every gradient twice the right ones
        ("half_dropped", "the ½ of L = ½ (t − x3)ᵀ(t − x3) is left out, which doubles L and every gradient",
         {k: 2 * v for k, v in right.items()}),
        ("activation_forgotten", f"the {act} in the forward pass is left out (x2 = W1 x1 + b1)",
         _backprop(p, lambda z: z, lambda z, x2: np.ones_like(z), W2)),
    ]
    if act == "relu":
        models.append(("sigmoid_derivative_for_relu", "the sigmoid derivative x2(1 − x2) is used for the ReLU",
                       _backprop(p, f, DERIVATIVE["sigmoid"], W2)))
        models.append(("relu_derivative_one_at_zero", "ReLU'(0) is taken as 1; this problem uses ReLU'(0) = 0",
                       _backprop(p, f, lambda z, x2: (z >= 0).astype(float), W2)))
    else:
        models.append(("sigmoid_derivative_of_preactivation", "the sigmoid derivative is taken as z(1 − z) "
                       "instead of x2(1 − x2)", _backprop(p, f, lambda z, x2: z * (1 - z), W2)))
    if W2.shape[0] == W2.shape[1]:  # W2 instead of W2ᵀ only type-checks when W2 is square
        models.append(("W2_not_transposed", "the error is carried back through W2 instead of W2ᵀ",
                       _backprop(p, f, fprime, W2.T)))
    return [m for m in (changed(mid, message, answers, right) for mid, message, answers in models) if m]


def accept(p: Mapping[str, Any]) -> bool:
    """A fair variant: no hidden unit exactly at 0 (where ReLU'(0) is a convention, not a derivative)
    and a nonzero loss (else every gradient is 0 and any mistake scores)."""
    z = p["W1"] @ p["x1"] + p["b1"]
    e = p["W2"] @ FORWARD[p["activation"]](z) + p["b2"] - p["t"]
    return bool(np.all(z != 0) and np.any(e != 0))


FAMILIES = [Family("backprop.mlp2", solve, validate=validate, mistakes=mistakes, accept=accept, mistake_ids=(
    "activation_derivative_omitted", "half_dropped", "activation_forgotten", "sigmoid_derivative_for_relu",
    "relu_derivative_one_at_zero", "sigmoid_derivative_of_preactivation", "W2_not_transposed"), params=(
    Param("x1", "vector", "the input", shape="d"),
    Param("W1", "matrix", "the hidden layer's weights", shape="h×d"),
    Param("b1", "vector", "the hidden layer's biases", shape="h"),
    Param("W2", "matrix", "the output layer's weights", shape="o×h"),
    Param("b2", "vector", "the output layer's biases", shape="o"),
    Param("t", "vector", "the target of L = ½‖t − x3‖²", shape="o"),
    Param("activation", "choice", "the hidden layer's activation", options=ACTIVATIONS),
))]

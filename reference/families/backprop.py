"""Backpropagation through a two-layer fully connected network, by hand.

    z = W1 x1 + b1,  x2 = f(z) (f = sigmoid or relu),  x3 = W2 x2 + b2,
    L = ½ (t − x3)ᵀ (t − x3).

ReLU'(0) is taken as 0. Each backward quantity sits beside the forward one it
comes from, as in the worked solution.

Each convention is a parameter, stated in ``gradekit family backprop.mlp2`` and in the worked steps: the
weights' layout ``weight`` ("out_in": W1 is hidden × input, z = W1 x1 + b1, as nn.Linear stores it; or
"in_out": input × hidden, z = W1ᵀ x1 + b1, i.e. Z = X W1 for examples as rows), and for a batch (``X`` and
``T`` in place of ``x1`` and ``t``) whether its ``examples`` are the columns or the rows and whether L is
the ``reduction`` "sum" over the examples of ½‖t − x3‖² or their "mean". Computed with examples as columns
and weights (out, in); gradients come back in the spec's layout, bias gradients summed over the batch.

>>> p = validate({"activation": "relu", "x1": [1, 1, -1], "t": [1, 2], "W1": [[0, -1, 1], [2, 2, -1]],
...               "b1": [1, 2], "W2": [[0, 2], [1, 1]], "b2": [1, 1]})
>>> solve(p).answers["L"]
116.0
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np

from gradekit.plugin import (
    changed, choice, Family, matrix, Mistake, OPTIONAL, Param, ParamError, Solution, Step, tex, text, vector,
)

ACTIVATIONS = ("sigmoid", "relu")
WEIGHTS = ("out_in", "in_out")
EXAMPLES = ("columns", "rows")
REDUCTIONS = ("sum", "mean")


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
    weight = choice(params, "weight", WEIGHTS, default="out_in")
    examples = choice(params, "examples", EXAMPLES, default="columns")
    reduction = choice(params, "reduction", REDUCTIONS, default="sum")
    batch = "X" in params or "T" in params
    if batch and ("x1" in params or "t" in params):
        raise ParamError("x1", "give one example (x1 and t) or a batch (X and T), not both")
    for name in ("X", "T") if batch else ("x1", "t"):
        if name not in params:
            raise ParamError(name, "is missing" + (" (a batch gives both X and T)" if batch else
                                                   " (give x1 and t for one example, or X and T for a batch)"))
    out_in = weight == "out_in"
    if batch:
        X_raw = matrix(params, "X")
        X = X_raw if examples == "columns" else X_raw.T
        source = f"X {X_raw.shape} ({_said(examples)})"
    else:
        x1 = vector(params, "x1")
        X = x1[:, None]
        source = f"x1 {x1.shape}"
    d = X.shape[0]
    W1_raw = matrix(params, "W1", shape=(None, d) if out_in else (d, None), needs=f"matching {source}")
    W1 = W1_raw if out_in else W1_raw.T
    b1 = vector(params, "b1", len(W1), needs=f"matching W1 {W1_raw.shape} (one bias per hidden unit)")
    h = len(W1)
    W2_raw = matrix(params, "W2", shape=(None, h) if out_in else (h, None),
                    needs=f"matching W1 {W1_raw.shape} (one {'column' if out_in else 'row'} per hidden unit)")
    W2 = W2_raw if out_in else W2_raw.T
    b2 = vector(params, "b2", len(W2), needs=f"matching W2 {W2_raw.shape} (one bias per output)")
    o = len(W2)
    if batch:
        T_raw = matrix(params, "T")
        T = T_raw if examples == "columns" else T_raw.T
        if T.shape != (o, X.shape[1]):
            want = (o, X.shape[1]) if examples == "columns" else (X.shape[1], o)
            raise ParamError("T", f"has shape {T_raw.shape}, but needs {want}: one target per output and example "
                                  f"({_said(examples)})")
        out = {"X": X, "T": T}
    else:
        t = vector(params, "t", o, needs=f"matching W2 {W2_raw.shape} (one target per output)")
        out = {"x1": x1, "t": t, "X": X, "T": t[:, None]}
    return {**out, "activation": activation, "W1": W1, "b1": b1, "W2": W2, "b2": b2, "weight": weight,
            "examples": examples, "reduction": reduction, "batch": batch}


def _said(examples: str) -> str:
    return "an example per column" if examples == "columns" else "an example per row"


def _batch_of(p: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """X and T with examples as columns (one column for a single example)."""
    if "X" in p:
        return p["X"], p["T"]
    return p["x1"][:, None], p["t"][:, None]


def _written(p: Mapping[str, Any], grads: dict[str, Any]) -> dict[str, Any]:
    """The weight gradients in the spec's layout: (in, out) ones transposed back."""
    if p.get("weight", "out_in") == "in_out":
        grads.update({k: grads[k].T for k in ("dL/dW1", "dL/dW2")})
    return grads


def _backprop(p: Mapping[str, Any], f, fprime, W2_back: np.ndarray, reduction: str | None = None) -> dict[str, Any]:
    """Answers of the whole pass; the mistake models swap f, f', the matrix that carries the error back, or
    the loss's reduction over the batch."""
    X, T = _batch_of(p)
    Z = p["W1"] @ X + p["b1"][:, None]
    X2 = f(Z)
    E = p["W2"] @ X2 + p["b2"][:, None] - T
    n = X.shape[1] if (reduction or p.get("reduction", "sum")) == "mean" else 1
    D1 = (W2_back.T @ E) * fprime(Z, X2)
    return _written(p, {"L": 0.5 * float((E * E).sum()) / n, "dL/dW1": D1 @ X.T / n, "dL/dW2": E @ X2.T / n,
                        "dL/db1": D1.sum(axis=1) / n, "dL/db2": E.sum(axis=1) / n})


# The formulas of each layout, as the steps write them: one example (vectors), a batch with an example per
# column, a batch with an example per row; each for weights (out, in) and (in, out).
_FORMULAS = {
    ("one", "out_in"): {"z": "z = W1 x1 + b1", "x3": "x3 = W2 x2 + b2", "dW2": "(x3 − t) x2ᵀ",
                        "dx2": "W2ᵀ (x3 − t)", "dW1": "dL/dz x1ᵀ", "db": "", "loss": "L = ½ (t − x3)ᵀ(t − x3)"},
    ("one", "in_out"): {"z": "z = W1ᵀ x1 + b1", "x3": "x3 = W2ᵀ x2 + b2", "dW2": "x2 (x3 − t)ᵀ",
                        "dx2": "W2 (x3 − t)", "dW1": "x1 (dL/dz)ᵀ", "db": "", "loss": "L = ½ (t − x3)ᵀ(t − x3)"},
    ("columns", "out_in"): {"z": "Z = W1 X + b1 1ᵀ", "x3": "X3 = W2 X2 + b2 1ᵀ", "dW2": "(X3 − T) X2ᵀ",
                            "dx2": "W2ᵀ (X3 − T)", "dW1": "dL/dZ Xᵀ", "db": " 1", "loss": "L = ½ Σ_n ‖t_n − x3_n‖²"},
    ("columns", "in_out"): {"z": "Z = W1ᵀ X + b1 1ᵀ", "x3": "X3 = W2ᵀ X2 + b2 1ᵀ", "dW2": "X2 (X3 − T)ᵀ",
                            "dx2": "W2 (X3 − T)", "dW1": "X (dL/dZ)ᵀ", "db": " 1", "loss": "L = ½ Σ_n ‖t_n − x3_n‖²"},
    ("rows", "out_in"): {"z": "Z = X W1ᵀ + 1 b1ᵀ", "x3": "X3 = X2 W2ᵀ + 1 b2ᵀ", "dW2": "(X3 − T)ᵀ X2",
                         "dx2": "(X3 − T) W2", "dW1": "(dL/dZ)ᵀ X", "db": "ᵀ 1", "loss": "L = ½ Σ_n ‖t_n − x3_n‖²"},
    ("rows", "in_out"): {"z": "Z = X W1 + 1 b1ᵀ", "x3": "X3 = X2 W2 + 1 b2ᵀ", "dW2": "X2ᵀ (X3 − T)",
                         "dx2": "(X3 − T) W2ᵀ", "dW1": "Xᵀ dL/dZ", "db": "ᵀ 1", "loss": "L = ½ Σ_n ‖t_n − x3_n‖²"},
}


def _latex(formula: str) -> str:
    """A formula of ``_FORMULAS`` in LaTeX: W1 → W_1, ᵀ → ^T, dL/dZ → ∂L/∂Z as a fraction, 1 → a ones vector."""
    import re

    out = re.sub(r"dL/d(\w+)", lambda m: rf"\frac{{\partial L}}{{\partial {m.group(1)}}}", formula)
    out = re.sub(r"(?<![A-Za-z_])([WbxXT])(\d)(?![0-9A-Za-z_])", r"\1_\2", out)
    out = re.sub(r"(?<![\w_])1(?=ᵀ| b)", r"\\mathbf{1}", out)
    out = re.sub(r"(?<=\s)1$", r"\\mathbf{1}", out)
    return (out.replace("ᵀ", "^T").replace("−", "-").replace("½", r"\tfrac12 ").replace("Σ_n", r"\sum_n")
            .replace("‖", r"\|").replace("²", "^2").replace("x3_n", "x_{3,n}"))


def _view(p: Mapping[str, Any], value: np.ndarray) -> np.ndarray:
    """A quantity computed with examples as columns, as the spec lays it out (a vector for one example)."""
    if not p.get("batch"):
        return value[:, 0]
    return value if p["examples"] == "columns" else value.T


def solve(p: Mapping[str, Any]) -> Solution:
    act, W1, b1, W2, b2 = (p[k] for k in ("activation", "W1", "b1", "W2", "b2"))
    X, T = _batch_of(p)
    batch, weight = bool(p.get("batch")), p.get("weight", "out_in")
    layout = p["examples"] if batch else "one"
    fx = _FORMULAS[(layout, weight)]
    n = X.shape[1]
    scale = n if p.get("reduction", "sum") == "mean" else 1
    Z = W1 @ X + b1[:, None]
    X2 = FORWARD[act](Z)
    X3 = W2 @ X2 + b2[:, None]
    R = T - X3
    L = 0.5 * float((R * R).sum()) / scale
    dX3 = -R / scale  # dL/dx3 = x3 − t (over N for the mean)
    db2 = dX3.sum(axis=1)
    dX2 = W2.T @ dX3
    fprime = DERIVATIVE[act](Z, X2)
    dZ = dX2 * fprime
    db1 = dZ.sum(axis=1)
    answers = _written(p, {"L": L, "dL/dW1": dZ @ X.T, "dL/dW2": dX3 @ X2.T, "dL/db1": db1, "dL/db2": db2})
    dW1, dW2 = answers["dL/dW1"], answers["dL/dW2"]
    z, x2, x3, r, dx3, dx2, fp, dz = (_view(p, v) for v in (Z, X2, X3, R, dX3, dX2, fprime, dZ))
    steps = []
    if batch or weight != "out_in":
        w_said = ("W1 is hidden × input and W2 output × hidden (out, in), as nn.Linear stores them"
                  if weight == "out_in" else "W1 is input × hidden and W2 hidden × output (in, out); the gradients "
                                             "are written in that layout")
        b_said = (f"; a batch of N = {n} examples, {_said(p['examples'])}; L is the {p['reduction']} over the "
                  f"examples of ½‖t − x3‖², the bias gradients summed over the batch" if batch else "")
        steps.append(Step("Conventions", w_said + b_said))
    if not batch and weight == "out_in":  # the worked solution as the course writes it
        steps += [
            Step("Hidden pre-activation", f"z = W1 x1 + b1 = {text(z)}", rf"z = W_1 x_1 + b_1 = {tex(z)}", {"z": z}),
            Step("Hidden features", f"x2 = {act}(z) = {text(x2)}", rf"x_2 = \mathrm{{{act}}}(z) = {tex(x2)}",
                 {"x2": x2}),
            Step("Output", f"x3 = W2 x2 + b2 = {text(x3)}", rf"x_3 = W_2 x_2 + b_2 = {tex(x3)}", {"x3": x3}),
            Step("Loss", f"t − x3 = {text(r)}, L = ½ (t − x3)ᵀ(t − x3) = {text(L)}",
                 rf"L = \tfrac12 (t - x_3)^T (t - x_3) = \tfrac12 \cdot {text(2 * L)} = {text(L)}", {"L": L}),
            Step("Output error", f"dL/dx3 = x3 − t = {text(dx3)}; dL/db2 = dL/dx3 = {text(db2)}",
                 rf"\frac{{\partial L}}{{\partial b_2}} = \frac{{\partial L}}{{\partial x_3}} = x_3 - t = {tex(db2)}",
                 {"dL/dx3": dx3, "dL/db2": db2}),
            Step("Second-layer weights", f"dL/dW2 = (x3 − t) x2ᵀ = {text(dW2)}",
                 rf"\frac{{\partial L}}{{\partial W_2}} = (x_3 - t)\, x_2^T = {tex(dW2)}", {"dL/dW2": dW2}),
            Step("Back to the hidden layer",
                 f"dL/dx2 = W2ᵀ (x3 − t) = {text(dx2)}; {act}'(z) = {text(fp)}; "
                 f"dL/db1 = dL/dz = dL/dx2 ∘ {act}'(z) = {text(dz)}",
                 rf"\frac{{\partial L}}{{\partial b_1}} = \big(W_2^T (x_3 - t)\big) \odot {DERIVATIVE_TEX[act]}"
                 rf" = {tex(dx2)} \odot {tex(fp)} = {tex(db1)}",
                 {"dL/dx2": dx2, "f'(z)": fp, "dL/db1": db1}),
            Step("First-layer weights", f"dL/dW1 = dL/dz x1ᵀ = {text(dW1)}",
                 rf"\frac{{\partial L}}{{\partial W_1}} = \frac{{\partial L}}{{\partial z}}\, x_1^T = {tex(dW1)}",
                 {"dL/dW1": dW1}),
        ]
        return Solution(answers, steps)
    # a batch's quantities are matrices: Z, X2, X3 (examples as the spec lays them out)
    zn, x2n, x3n, tn = ("Z", "X2", "X3", "T") if batch else ("z", "x2", "x3", "t")
    over = " / N" if scale > 1 else ""
    e = f"{x3n} − {tn}"
    sum_b = fx["db"]
    steps += [
        Step("Hidden pre-activation", f"{fx['z']} = {text(z)}", rf"{_latex(fx['z'])} = {tex(z)}", {zn: z}),
        Step("Hidden features", f"{x2n} = {act}({zn}) = {text(x2)}", rf"{_latex(x2n)} = \mathrm{{{act}}}({zn}) = {tex(x2)}",
             {x2n: x2}),
        Step("Output", f"{fx['x3']} = {text(x3)}", rf"{_latex(fx['x3'])} = {tex(x3)}", {x3n: x3}),
        Step("Loss", f"{fx['loss']}{over} = {text(L)}", rf"{_latex(fx['loss'])}{over} = {text(L)}", {"L": L}),
        Step("Output error", f"dL/d{x3n} = ({e}){over} = {text(dx3)}; dL/db2 = (dL/d{x3n}){sum_b} = {text(db2)}",
             rf"\frac{{\partial L}}{{\partial b_2}} = {tex(db2)}", {f"dL/d{x3n}": dx3, "dL/db2": db2}),
        Step("Second-layer weights", f"dL/dW2 = {fx['dW2']}{over} = {text(dW2)}",
             rf"\frac{{\partial L}}{{\partial W_2}} = {_latex(fx['dW2'])}{over} = {tex(dW2)}", {"dL/dW2": dW2}),
        Step("Back to the hidden layer",
             f"dL/d{x2n} = {fx['dx2']}{over} = {text(dx2)}; {act}'({zn}) = {text(fp)}; "
             f"dL/d{zn} = dL/d{x2n} ∘ {act}'({zn}) = {text(dz)}; dL/db1 = (dL/d{zn}){sum_b} = {text(db1)}",
             rf"\frac{{\partial L}}{{\partial b_1}} = {tex(db1)}", {f"dL/d{x2n}": dx2, f"f'({zn})": fp, "dL/db1": db1}),
        Step("First-layer weights", f"dL/dW1 = {fx['dW1']} = {text(dW1)}",
             rf"\frac{{\partial L}}{{\partial W_1}} = {_latex(fx['dW1'])} = {tex(dW1)}", {"dL/dW1": dW1}),
    ]
    return Solution(answers, steps)


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
        wrong, right_way = ("W2", "W2ᵀ") if p.get("weight", "out_in") == "out_in" else ("W2ᵀ", "W2")
        models.append(("W2_not_transposed", f"the error is carried back through {wrong} instead of {right_way}",
                       _backprop(p, f, fprime, W2.T)))
    n = _batch_of(p)[0].shape[1]
    if n > 1:
        other = "mean" if p.get("reduction", "sum") == "sum" else "sum"
        models.append(("scope", f"this is the {other} over the N = {n} examples; the problem takes the "
                                f"{p['reduction']}", _backprop(p, f, fprime, W2, reduction=other)))
    return [m for m in (changed(mid, message, answers, right) for mid, message, answers in models) if m]


def accept(p: Mapping[str, Any]) -> bool:
    """A fair variant: no hidden unit exactly at 0 (where ReLU'(0) is a convention, not a derivative)
    and a nonzero loss (else every gradient is 0 and any mistake scores)."""
    X, T = _batch_of(p)
    Z = p["W1"] @ X + p["b1"][:, None]
    E = p["W2"] @ FORWARD[p["activation"]](Z) + p["b2"][:, None] - T
    return bool(np.all(Z != 0) and np.any(E != 0))


FAMILIES = [Family("backprop.mlp2", solve, validate=validate, mistakes=mistakes, accept=accept, mistake_ids=(
    "activation_derivative_omitted", "half_dropped", "activation_forgotten", "sigmoid_derivative_for_relu",
    "relu_derivative_one_at_zero", "sigmoid_derivative_of_preactivation", "W2_not_transposed", "scope"), params=(
    Param("x1", "vector", "the input (one example)", shape="d", default=OPTIONAL, default_note="required unless X"),
    Param("W1", "matrix", "the hidden layer's weights (d×h with weight = 'in_out')", shape="h×d"),
    Param("b1", "vector", "the hidden layer's biases", shape="h"),
    Param("W2", "matrix", "the output layer's weights (h×o with weight = 'in_out')", shape="o×h"),
    Param("b2", "vector", "the output layer's biases", shape="o"),
    Param("t", "vector", "the target of L = ½‖t − x3‖² (one example)", shape="o", default=OPTIONAL,
          default_note="required unless T"),
    Param("X", "matrix", "a batch of inputs in place of x1, an example per column (or per row: examples)",
          shape="d×N", default=OPTIONAL, default_note="none: one example, x1"),
    Param("T", "matrix", "the batch's targets, laid out as X", shape="o×N", default=OPTIONAL,
          default_note="none: one example, t"),
    Param("activation", "choice", "the hidden layer's activation", options=ACTIVATIONS),
    Param("weight", "choice", "the weights' layout: (out, in) as nn.Linear stores them (z = W1 x1 + b1), or "
                              "(in, out) (z = W1ᵀ x1 + b1; Z = X W1 for examples as rows)", default="out_in",
          options=WEIGHTS),
    Param("examples", "choice", "for a batch X, T: whether each example is a column (d×N, as z = W1 x1 writes "
                                "it) or a row (N×d, as PyTorch stores a batch)", default="columns", options=EXAMPLES),
    Param("reduction", "choice", "for a batch: L is the sum over the examples of ½‖t − x3‖², or their mean",
          default="sum", options=REDUCTIONS),
))]

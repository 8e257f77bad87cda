"""One SGD step of a linear softmax layer under cross-entropy.

    z = W X + B,  q = softmax(z),  E = −Σ p_i ln q_i (the loss, a part a spec may ask: "E"),
    ∂E/∂z = q − p (P sums to 1),  W' = W − α (q − p) Xᵀ,  B' = B − α (q − p).

W is K×d, (out, in) as nn.Linear stores it; ``weight = "in_out"`` takes it d×K (z = Wᵀ X + B, W' = W − α X (q − p)ᵀ),
stated in the worked steps.

>>> p = validate({"W": [[1, 0], [0, -1]], "B": [0, 0], "X": [1, 1], "P": [0.3, 0.7], "alpha": 0.02})
>>> solve(p).answers["q"].round(4).tolist()
[0.8808, 0.1192]
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from gradekit.plugin import (
    changed, choice, Family, fmt, matrix, Mistake, number, OPTIONAL, Param, ParamError, Solution, Step, tex, text,
    vector,
)


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())  # shifting by max(z) leaves q unchanged and avoids overflow
    return e / e.sum()


WEIGHTS = ("out_in", "in_out")


def validate(params: Mapping[str, Any]) -> dict[str, Any]:
    weight = choice(params, "weight", WEIGHTS, default="out_in")
    X = vector(params, "X")
    W_raw = matrix(params, "W", shape=(None, len(X)) if weight == "out_in" else (len(X), None),
                   needs=f"matching X {X.shape}")
    W = W_raw if weight == "out_in" else W_raw.T  # computed as (K, d); W' written back in the spec's layout
    B = vector(params, "B", len(W), needs=f"matching W {W_raw.shape} (one bias per output)", default=np.zeros(len(W)))
    P = vector(params, "P", len(W), needs=f"matching W {W_raw.shape} (one target probability per output)")
    if np.any(P < 0) or not np.isclose(P.sum(), 1.0, rtol=0, atol=1e-9):
        raise ParamError("P", f"is {text(P)}, but must be a distribution: entries ≥ 0 summing to 1")
    alpha = number(params, "alpha", low=0)
    return {"W": W, "B": B, "X": X, "P": P, "alpha": alpha, "weight": weight}


def _laid_out(p: Mapping[str, Any], answers: dict[str, Any]) -> dict[str, Any]:
    """W' in the spec's layout: transposed back when W is written (in, out)."""
    if p.get("weight", "out_in") == "in_out":
        answers["W_new"] = answers["W_new"].T
    return answers


def _step(p: Mapping[str, Any], dz_of, outer=np.outer, sign: float = -1.0) -> dict[str, Any]:
    """The step's answers with a swappable ∂E/∂z, gradient layout and update sign (for the mistake models)."""
    q = softmax(p["W"] @ p["X"] + p["B"])
    dz = dz_of(q, p["P"])
    return _laid_out(p, {"q": q, "E": -float(p["P"] @ np.log(q)), "dE/dz": dz,
                         "W_new": p["W"] + sign * p["alpha"] * outer(dz, p["X"]), "B_new": p["B"] + sign * p["alpha"] * dz})


def solve(p: Mapping[str, Any]) -> Solution:
    W, B, X, P, alpha = p["W"], p["B"], p["X"], p["P"], p["alpha"]
    z = W @ X + B
    q = softmax(z)
    E = -float(P @ np.log(q))
    dz = q - P
    dW = np.outer(dz, X)
    dB = dz
    W_new = W - alpha * dW
    B_new = B - alpha * dB
    if p.get("weight", "out_in") == "in_out":  # W written (d, K): its formulas and W' in that layout
        W_new, dW = W_new.T, dW.T
        return Solution({"q": q, "E": E, "dE/dz": dz, "W_new": W_new, "B_new": B_new}, [
            Step("Conventions", "W is written input × output (in, out): z = Wᵀ X + B, and W' is written in that layout"),
            Step("Logits", f"z = Wᵀ X + B = {text(z)}", rf"z = W^T X + B = {tex(z)}", {"z": z}),
            *_middle(q, E, dz, P),
            Step("Gradients of the parameters", f"dE/dW = X (q − p)ᵀ = {text(dW)}; dE/dB = q − p = {text(dB)}",
                 rf"\frac{{\partial E}}{{\partial W}} = X (q - p)^T = {tex(dW)},\quad "
                 rf"\frac{{\partial E}}{{\partial B}} = {tex(dB)}", {"dE/dW": dW, "dE/dB": dB}),
            _update(alpha, W_new, B_new),
        ])
    steps = [
        Step("Logits", f"z = W X + B = {text(z)}", rf"z = W X + B = {tex(z)}", {"z": z}),
        *_middle(q, E, dz, P),
        Step("Gradients of the parameters", f"dE/dW = (q − p) Xᵀ = {text(dW)}; dE/dB = q − p = {text(dB)}",
             rf"\frac{{\partial E}}{{\partial W}} = (q - p) X^T = {tex(dW)},\quad "
             rf"\frac{{\partial E}}{{\partial B}} = {tex(dB)}", {"dE/dW": dW, "dE/dB": dB}),
        _update(alpha, W_new, B_new),
    ]
    return Solution({"q": q, "E": E, "dE/dz": dz, "W_new": W_new, "B_new": B_new}, steps)


def _middle(q: np.ndarray, E: float, dz: np.ndarray, P: np.ndarray) -> list[Step]:
    """The softmax, the loss and the gradient at the logits: the same in either weight layout."""
    return [
        Step("Softmax", f"q = exp(z) / Σ exp(z) = {text(q)}",
             rf"q_i = \frac{{e^{{z_i}}}}{{\sum_j e^{{z_j}}}},\quad q = {tex(q)}", {"q": q}),
        Step("Loss", f"E = −Σ p ln q = {fmt(E)}", rf"E = -\sum_i p_i \ln q_i = {fmt(E)}", {"E": E}),
        Step("Gradient at the logits", f"dE/dz = q − p = {text(q)} − {text(P)} = {text(dz)} (since Σ p = 1)",
             rf"\frac{{\partial E}}{{\partial z}} = q - p = {tex(dz)}", {"dE/dz": dz}),
    ]


def _update(alpha: float, W_new: np.ndarray, B_new: np.ndarray) -> Step:
    return Step("SGD step", f"W' = W − {fmt(alpha)}·dE/dW = {text(W_new)}; B' = B − {fmt(alpha)}·dE/dB = {text(B_new)}",
                rf"W' = W - \alpha \frac{{\partial E}}{{\partial W}} = {tex(W_new)},\quad "
                rf"B' = B - \alpha \frac{{\partial E}}{{\partial B}} = {tex(B_new)}",
                {"W_new": W_new, "B_new": B_new})


def mistakes(p: Mapping[str, Any]) -> list[Mistake]:
    right = _step(p, lambda q, P: q - P)
    models = [
        ("ascent_step", "the step goes up the gradient (W + α ∂E/∂W) instead of down",
         _step(p, lambda q, P: q - P, sign=+1.0)),
        ("softmax_jacobian_diagonal_only", "only the diagonal of the softmax Jacobian is used "
         "(∂q_j/∂z_i for i ≠ j dropped)", _step(p, lambda q, P: -P * (1 - q))),
    ]
    if p["W"].shape[0] == p["W"].shape[1]:  # X (q − p)ᵀ only has W's shape when W is square
        wrong, right_way = ("X (q − p)ᵀ", "(q − p) Xᵀ") if p.get("weight", "out_in") == "out_in" else \
            ("(q − p) Xᵀ", "X (q − p)ᵀ")
        models.append(("gradient_outer_product_reversed", f"∂E/∂W is taken as {wrong} instead of {right_way}",
                       _step(p, lambda q, P: q - P, outer=lambda a, b: np.outer(b, a))))
    return [m for m in (changed(mid, message, answers, right) for mid, message, answers in models) if m]


FAMILIES = [Family("softmax_ce.sgd_step", solve, validate=validate, mistakes=mistakes, mistake_ids=(
    "ascent_step", "softmax_jacobian_diagonal_only", "gradient_outer_product_reversed"), params=(
    Param("X", "vector", "the input", shape="d"),
    Param("W", "matrix", "the weights", shape="K×d"),
    Param("B", "vector", "the biases", shape="K", default=OPTIONAL, default_note="0 for every output"),
    Param("P", "vector", "the target distribution (entries ≥ 0 summing to 1)", shape="K"),
    Param("alpha", "number", "the learning rate (≥ 0)"),
    Param("weight", "choice", "W's layout: (out, in), K×d, z = W X + B (as nn.Linear stores it); or (in, out), d×K, "
                              "z = Wᵀ X + B (W' is then written d×K too)", default="out_in", options=WEIGHTS),
))]

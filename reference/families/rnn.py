"""Backprop through time in a sigmoid RNN (numeric instance), and why gradients vanish or explode.

The network (ECE 449 A2, problem 6): h_t = σ(Wⁱ x_t + Wʰ h_{t−1}), h_0 = 0,
t = 1..T. The seed defines L = Σ_t L_t without saying what L_t is; this
family uses the loss on the last state, L = ½‖h_T − y‖². BPTT::

    g_T = h_T − y;  δ_t = g_t ∘ h_t ∘ (1 − h_t);  g_{t−1} = Wʰᵀ δ_t
    ∂L/∂Wʰ = Σ_t δ_t h_{t−1}ᵀ,  ∂L/∂Wⁱ = Σ_t δ_t x_tᵀ

and the Jacobian ∂h_j/∂h_{j−1} = diag(h_j ∘ (1 − h_j)) Wʰ, whose products
∂h_T/∂h_k = J_T ⋯ J_{k+1} (k = 1..T−1) are measured in the spectral norm.

>>> s = solve(validate({"Wi": [[1]], "Wh": [[0]], "x": [[0], [0]], "y": [0]}))
>>> float(s.answers["L"])
0.125
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from gradekit.plugin import differs, Family, fmt, matrix, Mistake, Param, ParamError, Solution, Step, tex, vector
from gradekit.plugin import text as show


def validate(params: Mapping[str, Any]) -> dict[str, Any]:
    Wh = matrix(params, "Wh")
    H = Wh.shape[0]
    if Wh.shape != (H, H) or H < 1:
        raise ParamError("Wh", f"has shape {Wh.shape}, but needs a square H×H matrix")
    Wi = matrix(params, "Wi", shape=(H, None), needs=f"(H rows) matching Wh {Wh.shape}")
    x = matrix(params, "x", shape=(None, Wi.shape[1]), needs=f"(row t is x_t) matching Wi {Wi.shape}")
    if x.shape[0] < 2:
        raise ParamError("x", f"has {x.shape[0]} time step(s), but needs at least 2 for a Jacobian product")
    y = vector(params, "y", length=H, needs=f"matching Wh {Wh.shape}")
    return {"Wi": Wi, "Wh": Wh, "x": x, "y": y}


def forward(Wi: np.ndarray, Wh: np.ndarray, x: np.ndarray) -> np.ndarray:
    """States h_0..h_T as rows (h_0 = 0)."""
    h = [np.zeros(Wh.shape[0])]
    for x_t in x:
        h.append(1.0 / (1.0 + np.exp(-(Wi @ x_t + Wh @ h[-1]))))
    return np.array(h)


def jacobians(Wh: np.ndarray, h: np.ndarray) -> list[np.ndarray]:
    """J_j = ∂h_j/∂h_{j−1} = diag(h_j(1 − h_j)) Wʰ for j = 1..T (index j − 1)."""
    return [(h_j * (1 - h_j))[:, None] * Wh for h_j in h[1:]]


def products(J: list[np.ndarray], reverse: bool = False) -> list[np.ndarray]:
    """∂h_T/∂h_k = J_T ⋯ J_{k+1} for k = 1..T−1; ``reverse`` multiplies in the wrong order."""
    T = len(J)
    out = []
    for k in range(1, T):
        M = np.eye(J[0].shape[0])
        for j in range(k + 1, T + 1):  # left-multiply the later factors
            M = M @ J[j - 1] if reverse else J[j - 1] @ M
        out.append(M)
    return out


def solve(params: Mapping[str, Any]) -> Solution:
    Wi, Wh, x, y = params["Wi"], params["Wh"], params["x"], params["y"]
    T = x.shape[0]
    h = forward(Wi, Wh, x)
    steps = []
    for t in range(1, T + 1):
        a_t = Wi @ x[t - 1] + Wh @ h[t - 1]
        steps.append(Step(
            f"Forward, t = {t}",
            f"a_{t} = Wⁱ x_{t} + Wʰ h_{t - 1} = {show(Wi @ x[t - 1])} + {show(Wh @ h[t - 1])} = {show(a_t)}; "
            f"h_{t} = σ(a_{t}) = {show(h[t])}.",
            rf"h_{t} = \sigma\!\left({tex(Wi)}{tex(x[t - 1])} + {tex(Wh)}{tex(h[t - 1])}\right) = {tex(h[t])}",
            {f"a_{t}": a_t, f"h_{t}": h[t]},
        ))
    L = 0.5 * float(np.sum((h[T] - y) ** 2))
    steps.append(Step("Loss", f"L = ½‖h_{T} − y‖² = ½‖{show(h[T] - y)}‖² = {fmt(L)}.",
                      rf"L = \tfrac12 \lVert h_{T} - y \rVert^2 = {fmt(L)}", {"L": L}))

    dWh, dWi = np.zeros_like(Wh), np.zeros_like(Wi)
    g = h[T] - y  # ∂L/∂h_T
    for t in range(T, 0, -1):
        delta = g * h[t] * (1 - h[t])
        dWh, dWi = dWh + np.outer(delta, h[t - 1]), dWi + np.outer(delta, x[t - 1])
        steps.append(Step(
            f"Backward, t = {t}",
            f"∂L/∂h_{t} = {show(g)}; δ_{t} = ∂L/∂h_{t} ∘ h_{t} ∘ (1 − h_{t}) = {show(delta)}. "
            f"Add δ_{t} h_{t - 1}ᵀ = {show(np.outer(delta, h[t - 1]))} to ∂L/∂Wʰ and δ_{t} x_{t}ᵀ = "
            f"{show(np.outer(delta, x[t - 1]))} to ∂L/∂Wⁱ"
            + (f"; pass ∂L/∂h_{t - 1} = Wʰᵀ δ_{t} = {show(Wh.T @ delta)} back." if t > 1 else "."),
            rf"\delta_{t} = \frac{{\partial L}}{{\partial h_{t}}} \odot h_{t} \odot (1 - h_{t}) = {tex(delta)}",
            {f"dL/dh_{t}": g, f"delta_{t}": delta},
        ))
        g = Wh.T @ delta
    steps.append(Step(
        "Weight gradients",
        f"Summed over t: ∂L/∂Wʰ = Σ_t δ_t h_(t−1)ᵀ = {show(dWh)}, ∂L/∂Wⁱ = Σ_t δ_t x_tᵀ = {show(dWi)}.",
        rf"\frac{{\partial L}}{{\partial W^h}} = \sum_t \delta_t h_{{t-1}}^\top = {tex(dWh)},\quad "
        rf"\frac{{\partial L}}{{\partial W^i}} = \sum_t \delta_t x_t^\top = {tex(dWi)}",
        {"dL/dWh": dWh, "dL/dWi": dWi},
    ))

    J = jacobians(Wh, h)
    prods = products(J)
    norms = np.array([np.linalg.norm(M, 2) for M in prods])
    factor_norms = np.array([np.linalg.norm(J_j, 2) for J_j in J[1:]])
    lines = "; ".join(f"k = {k}: ‖∂h_{T}/∂h_{k}‖₂ = {fmt(nm)}" for k, nm in enumerate(norms, start=1))
    steps.append(Step(
        "Jacobian products",
        f"∂h_j/∂h_(j−1) = diag(h_j ∘ (1 − h_j)) Wʰ; for j = 2..{T} their spectral norms are {show(factor_norms)}. "
        f"∂h_{T}/∂h_k = J_{T} ⋯ J_(k+1), largest singular value: {lines}.",
        rf"\left\lVert \prod_{{j=k+1}}^{{{T}}} \frac{{\partial h_j}}{{\partial h_{{j-1}}}} \right\rVert_2 = {tex(norms)}",
        {"jacobian_norms": norms, "factor_norms": factor_norms},
    ))
    wh_norm = float(np.linalg.norm(Wh, 2))
    why = (
        "In (2) and (3) the contribution of step k to the gradient of L_t carries the product "
        "∏_{j=k+1}^{t} ∂h_j/∂h_{j−1}, and each factor is diag(σ'(a_j)) Wʰ with σ'(a) = σ(a)(1 − σ(a)) ≤ 1/4. "
        "So the norm of the product is at most (‖Wʰ‖/4)^(t−k): it changes geometrically with the distance t − k. "
        "When the factors have norm below 1 (always when ‖Wʰ‖₂ < 4, and more so when the sigmoids saturate and σ' ≈ 0) "
        "the contributions of distant steps shrink exponentially: the gradient vanishes and long-range dependencies "
        "are not learnt. When Wʰ is large (largest singular value well above 4) and the units are not saturated, the factors "
        "can have norm above 1 and the product grows exponentially: the gradient explodes. "
        f"Here ‖Wʰ‖₂ = {fmt(wh_norm)}, the factors' norms are {show(factor_norms)} and the products' norms "
        f"{show(norms)} for k = 1..{T - 1}."
    )
    steps.append(Step("Why gradients vanish or explode", why, values={"norm_Wh": wh_norm}))
    answers = {"h": h[1:], "L": L, "dL/dWh": dWh, "dL/dWi": dWi, "jacobian_norms": norms, "why": why}
    return Solution(answers, steps)


def mistakes(params: Mapping[str, Any]) -> list[Mistake]:
    Wi, Wh, x, y = params["Wi"], params["Wh"], params["x"], params["y"]
    T = x.shape[0]
    h = forward(Wi, Wh, x)
    J = jacobians(Wh, h)
    delta_T = (h[T] - y) * h[T] * (1 - h[T])
    candidates = [
        Mistake("last_step_only", "Only the last step's term was kept: backprop through time also sums the earlier steps through Wʰ.",
                {"dL/dWh": np.outer(delta_T, h[T - 1]), "dL/dWi": np.outer(delta_T, x[T - 1])}),
        Mistake("jacobian_order_reversed", "The Jacobians were multiplied in the wrong order: ∂h_T/∂h_k = J_T ⋯ J_(k+1), later steps on the left.",
                {"jacobian_norms": np.array([np.linalg.norm(M, 2) for M in products(J, reverse=True)])}),
        Mistake("jacobian_missing_sigmoid", "Each factor ∂h_j/∂h_(j−1) includes the sigmoid's derivative, not only Wʰ.",
                {"jacobian_norms": np.array([np.linalg.norm(np.linalg.matrix_power(Wh, T - k), 2) for k in range(1, T)])}),
        Mistake("frobenius_norm", "This is the Frobenius norm; the problem asks for the spectral norm (largest singular value).",
                {"jacobian_norms": np.array([np.linalg.norm(M, "fro") for M in products(J)])}),
    ]
    right_answers = solve(params).answers
    return [mk for mk in candidates if any(differs(a, right_answers[n]) for n, a in mk.answers.items())]

FAMILIES = [Family("rnn.bptt", solve, validate=validate, mistakes=mistakes, params=(
    Param("Wi", "matrix", "the input weights Wⁱ", shape="H×D"),
    Param("Wh", "matrix", "the recurrent weights Wʰ", shape="H×H"),
    Param("x", "matrix", "the inputs: row t is x_t (at least 2 steps)", shape="T×D"),
    Param("y", "vector", "the target of L = ½‖h_T − y‖²", shape="H"),
))]

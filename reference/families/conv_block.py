"""Backprop through a conv → sigmoid → 2×2 average-pool block (numeric instance).

The block (ECE 449 A2, problem 1): C = X ⋆ K (k×k kernel, stride 1, no
padding; ``operation = "cross_correlation"`` as in deep-learning frameworks,
the default, or ``"convolution"`` with the kernel flipped), S = σ(C), P = the
2×2 average pool of S. Given ∂loss/∂P = G (n×m), with X of shape
(2n+k−1, 2m+k−1)::

    ∂loss/∂S[d, e] = G[d//2, e//2] / 4
    ∂loss/∂C = ∂loss/∂S ∘ S ∘ (1 − S)
    ∂loss/∂K[a, b] = Σ_{d,e} ∂loss/∂C[d, e] · X[d + a, e + b]     (cross-correlation)

>>> s = solve(validate({"X": [[0, 0, 0], [0, 0, 0], [0, 0, 0]], "K": [[1, 1], [1, 1]], "G": [[4]]}))
>>> s.answers["dL/dC"]
array([[0.25, 0.25],
       [0.25, 0.25]])
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from gradekit.plugin import choice, differs, Family, fmt, matrix, Mistake, Param, ParamError, Solution, Step, tex
from gradekit.plugin import text as show

OPERATIONS = ("cross_correlation", "convolution")


def validate(params: Mapping[str, Any]) -> dict[str, Any]:
    K = matrix(params, "K")
    k = K.shape[0]
    if K.shape != (k, k) or k < 1:
        raise ParamError("K", f"has shape {K.shape}, but needs a square k×k kernel")
    G = matrix(params, "G")
    n, m = G.shape
    if n < 1 or m < 1:
        raise ParamError("G", f"has shape {G.shape}, but needs at least one pooled cell")
    X = matrix(params, "X", shape=(2 * n + k - 1, 2 * m + k - 1),
               needs=f"= (2n+k-1, 2m+k-1) for G (n, m) = {G.shape} and K {K.shape}")
    operation = choice(params, "operation", OPERATIONS, default="cross_correlation")
    return {"X": X, "K": K, "G": G, "operation": operation}


def windows(X: np.ndarray, k: int) -> np.ndarray:
    """All k×k windows of X: ``windows(X, k)[d, e] == X[d:d+k, e:e+k]``."""
    return np.lib.stride_tricks.sliding_window_view(X, (k, k))


def block(X: np.ndarray, K: np.ndarray, G: np.ndarray, flipped: bool) -> dict[str, np.ndarray]:
    """Forward and backward pass; ``flipped`` = true convolution (kernel rotated 180°)."""
    k = K.shape[0]
    Kx = K[::-1, ::-1] if flipped else K  # the kernel as it multiplies each window
    Xw = windows(X, k)
    C = np.einsum("deab,ab->de", Xw, Kx)
    S = 1.0 / (1.0 + np.exp(-C))
    n, m = G.shape
    P = S.reshape(n, 2, m, 2).mean(axis=(1, 3))
    dS = np.kron(G, np.ones((2, 2))) / 4  # each pooled value is the mean of 4 cells
    sig_grad = S * (1 - S)
    dC = dS * sig_grad
    dKx = np.einsum("de,deab->ab", dC, Xw)  # the gradient of each window position
    dK = dKx[::-1, ::-1] if flipped else dKx
    return {"Kx": Kx, "C": C, "S": S, "P": P, "dL/dS": dS, "sig_grad": sig_grad, "dL/dC": dC, "dKx": dKx, "dL/dK": dK}


def solve(params: Mapping[str, Any]) -> Solution:
    X, K, G, op = params["X"], params["K"], params["G"], params["operation"]
    k = K.shape[0]
    flipped = op == "convolution"
    v = block(X, K, G, flipped)
    C, S, P, dS, dC, dK = v["C"], v["S"], v["P"], v["dL/dS"], v["dL/dC"], v["dL/dK"]
    first = " + ".join(f"({fmt(w)})({fmt(x)})" for w, x in zip(v["Kx"].ravel(), X[:k, :k].ravel()))
    kernel_note = (f"the kernel flipped by 180°, {show(v['Kx'])}, slides" if flipped else "K slides")
    conv_tex = (r"C_{d,e} = \sum_{a,b=1}^{k} K_{k+1-a,\,k+1-b}\, x_{d+a-1,\,e+b-1}" if flipped
                else r"C_{d,e} = \sum_{a,b=1}^{k} K_{a,b}\, x_{d+a-1,\,e+b-1}")
    steps = [
        Step("Convolution",
             f"{op.replace('_', '-')}: {kernel_note} over X without padding, stride 1. "
             f"C[1,1] = {first} = {fmt(C[0, 0])}. C = {show(C)}.",
             f"{conv_tex},\\quad C = {tex(C)}", {"C": C}),
        Step("Sigmoid", f"S = σ(C) = 1/(1 + e^(−C)) = {show(S)}.", rf"S = \sigma(C) = {tex(S)}", {"S": S}),
        Step("Average pool", f"P[i,j] = mean of the 2×2 block of S: P = {show(P)}.",
             rf"p_{{i,j}} = \tfrac14 \sum_{{d=2i-1}}^{{2i}} \sum_{{e=2j-1}}^{{2j}} s_{{d,e}} ,\quad P = {tex(P)}", {"P": P}),
        Step("Gradient through the pool",
             f"Each s[d,e] enters one pooled value with weight 1/4, so dL/dS[d,e] = g[⌈d/2⌉,⌈e/2⌉]/4: "
             f"with G = {show(G)}, dL/dS = {show(dS)}.",
             rf"\frac{{\partial L}}{{\partial s_{{d,e}}}} = \tfrac14\, g_{{\lceil d/2\rceil,\lceil e/2\rceil}},\quad "
             rf"\frac{{\partial L}}{{\partial S}} = {tex(dS)}", {"dL/dS": dS}),
        Step("Gradient through the sigmoid",
             f"σ'(c) = s(1 − s) = {show(v['sig_grad'])}; dL/dC = dL/dS ∘ S ∘ (1 − S) = {show(dC)}.",
             rf"\frac{{\partial L}}{{\partial c_{{d,e}}}} = \tfrac14\, g_{{\lceil d/2\rceil,\lceil e/2\rceil}}\, "
             rf"s_{{d,e}}(1-s_{{d,e}}),\quad \frac{{\partial L}}{{\partial C}} = {tex(dC)}", {"dL/dC": dC}),
    ]
    rows, cols = C.shape
    flip_note = f" That is the gradient of the flipped kernel; flipped back, dL/dK = {show(dK)}." if flipped else ""
    grad_tex = (r"\frac{\partial L}{\partial K_{k+1-a,\,k+1-b}}" if flipped else r"\frac{\partial L}{\partial K_{a,b}}")
    steps.append(Step(
        "Gradient of the kernel",
        f"The weight at window position (a, b) multiplies X[d+a−1, e+b−1] in C[d, e], so its gradient is "
        f"Σ_d,e dL/dC[d,e]·X[d+a−1, e+b−1]; e.g. position (1,1): Σ dL/dC ∘ X[1..{rows}, 1..{cols}] = {fmt(v['dKx'][0, 0])}. "
        f"By position: {show(v['dKx'])}.{flip_note}",
        rf"{grad_tex} = \sum_{{d=1}}^{{2n}} \sum_{{e=1}}^{{2m}} \frac{{\partial L}}{{\partial c_{{d,e}}}}\, "
        rf"x_{{d+a-1,\,e+b-1}},\quad \frac{{\partial L}}{{\partial K}} = {tex(dK)}",
        {"dL/dK": dK},
    ))
    answers = {name: v[name] for name in ("C", "S", "P", "dL/dS", "dL/dC", "dL/dK")}
    return Solution(answers, steps)


def mistakes(params: Mapping[str, Any]) -> list[Mistake]:
    X, K, G, op = params["X"], params["K"], params["G"], params["operation"]
    right = block(X, K, G, op == "convolution")
    names = ("C", "S", "P", "dL/dS", "dL/dC", "dL/dK")
    found = []

    other = block(X, K, G, op != "convolution")
    as_other = "a true convolution (kernel flipped)" if op == "cross_correlation" else "a cross-correlation (kernel not flipped)"
    found.append(Mistake("kernel_flipped", f"This matches computing the layer as {as_other}; the problem uses {op.replace('_', '-')}.",
                         {n: other[n] for n in names if differs(other[n], right[n])}))

    # σ'(c) written as c(1 − c): the derivative formula applied to the pre-activation.
    dC_input = right["dL/dS"] * right["C"] * (1 - right["C"])
    found.append(Mistake("sigmoid_grad_on_input", "The sigmoid derivative s(1 − s) must use the sigmoid's output S, not its input C.",
                         {"dL/dC": dC_input, "dL/dK": _kernel_grad(X, dC_input, op == "convolution")}))

    # The pool's gradient routed like a max pool: all of g to the largest s of each block.
    n, m = G.shape
    blocks = right["S"].reshape(n, 2, m, 2).transpose(0, 2, 1, 3).reshape(n, m, 4)
    hit = np.zeros((n, m, 4))
    np.put_along_axis(hit, blocks.argmax(axis=2)[..., None], 1.0, axis=2)
    dS_max = (hit * G[..., None]).reshape(n, m, 2, 2).transpose(0, 2, 1, 3).reshape(2 * n, 2 * m)
    dC_max = dS_max * right["sig_grad"]
    found.append(Mistake("max_pool_routing", "An average pool spreads its gradient evenly over the 2×2 block; it does not route it to the largest entry.",
                         {"dL/dS": dS_max, "dL/dC": dC_max, "dL/dK": _kernel_grad(X, dC_max, op == "convolution")}))
    return [mk for mk in found if any(differs(a, right[n]) for n, a in mk.answers.items())]


def _kernel_grad(X: np.ndarray, dC: np.ndarray, flipped: bool) -> np.ndarray:
    """dL/dK for a mistaken dL/dC, through the same window sum as ``block``."""
    k = X.shape[0] - dC.shape[0] + 1
    dKx = np.einsum("de,deab->ab", dC, windows(X, k))
    return dKx[::-1, ::-1] if flipped else dKx


FAMILIES = [Family("conv_block.backprop", solve, validate=validate, mistakes=mistakes, params=(
    Param("X", "matrix", "the input image", shape="(2n + k − 1)×(2m + k − 1)"),
    Param("K", "matrix", "the square kernel", shape="k×k"),
    Param("G", "matrix", "the loss's gradient with respect to the pooled output", shape="n×m"),
    Param("operation", "choice", "how the kernel slides", default="cross_correlation", options=OPERATIONS),
))]

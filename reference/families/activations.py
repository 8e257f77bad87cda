"""ReLU, leaky ReLU and ELU: piecewise derivatives, the chain rule through wᵀx, and the dead ReLU (CS 373 HW4 q2).

    relu(z) = max(0, z)                 relu'(z)  = 1 (z > 0), 0 (z < 0)
    leaky(z) = z (z ≥ 0), α z (z < 0)   leaky'(z) = 1 (z > 0), α (z < 0)
    elu(z) = z (z ≥ 0), α(eᶻ − 1)       elu'(z)   = 1 (z > 0), α eᶻ (z < 0)

A piecewise answer is asked one piece per part (``relu'(z) for z > 0``, ``… for z < 0``, ``… at
z = 0``): the simplest thing a student can type, and each piece is an ordinary formula. At the kink
either one-sided derivative is right: the key gives the right-hand one and lists the left-hand
one under ``also_accept`` (the formula checkers accept any of them).
Through h = f(wᵀx) the chain rule multiplies each piece by ∂(wᵀx)/∂w_j = x_j. A ReLU neuron
relu(wᵀx + b) is dead when wᵀx_i + b ≤ 0 for every training input x_i (relu'(0) taken as 0): every
example then contributes a zero gradient, so w and b never change.

>>> solve(validate({})).answers["elu'(z<0)"]
'alpha e^z'
"""

from __future__ import annotations

from typing import Any, Mapping

from gradekit.plugin import Family, Mistake, Solution, Step

# f(z) on each side, and f'(z) on each side, as formulas in z and alpha.
PIECES = {
    "relu": {"f+": "z", "f-": "0", "d+": "1", "d-": "0"},
    "leaky_relu": {"f+": "z", "f-": "alpha z", "d+": "1", "d-": "alpha"},
    "elu": {"f+": "z", "f-": "alpha (e^z − 1)", "d+": "1", "d-": "alpha e^z"},
}
SHORT = {"relu": "relu", "leaky_relu": "leaky", "elu": "elu"}


def validate(params: Mapping[str, Any]) -> dict[str, Any]:
    # at the kink the right-hand derivative is the key's answer; the left-hand one is right too
    left = {f"{SHORT[f]}'(0)": [d["d-"]] for f, d in PIECES.items()}
    return {"symbols": {"z": "scalar", "alpha": "scalar"}, "also_accept": left}


def derivative(f: str) -> dict[str, Any]:
    d = PIECES[f]
    s = SHORT[f]
    return {f"{s}'(z>0)": d["d+"], f"{s}'(z<0)": d["d-"], f"{s}'(0)": d["d+"]}


def solve(p: Mapping[str, Any]) -> Solution:
    answers: dict[str, Any] = {}
    steps = []
    for f, d in PIECES.items():
        s = SHORT[f]
        got = derivative(f)
        answers.update(got)
        neg_tex = d["d-"].replace("alpha", "\\alpha ").replace("(e^z − 1)", "(e^z - 1)")
        steps.append(Step(f"{f}'(z)", f"For z > 0, {f}(z) = {d['f+']}, so {f}'(z) = {d['d+']}; for z < 0, "
                          f"{f}(z) = {d['f-']}, so {f}'(z) = {d['d-']}. At z = 0 the one-sided derivatives are "
                          f"{d['d-']} (left) and {d['d+']} (right); either may be taken.",
                          rf"{s}'(z) = \begin{{cases}} {d['d+']} & z > 0 \\ {neg_tex} & z < 0 \end{{cases}}",
                          got))
    return Solution(answers, steps)


def mistakes(p: Mapping[str, Any]) -> list[Mistake]:
    return [Mistake("function_not_derivative", "that is the function itself on this piece, not its derivative.",
                    {"leaky'(z<0)": "alpha z", "elu'(z<0)": "alpha (e^z − 1)", "relu'(z>0)": "z",
                     "leaky'(z>0)": "z", "elu'(z>0)": "z"})]


# --- the chain rule through z = wᵀx -------------------------------------------------------

def validate_chain(params: Mapping[str, Any]) -> dict[str, Any]:
    return {"symbols": {"w": "d×1", "x": "d×1", "x_j": "scalar", "alpha": "scalar"}, "define": {"z": "wᵀ x"}}


def solve_chain(p: Mapping[str, Any]) -> Solution:
    answers: dict[str, Any] = {}
    steps = [Step("Chain rule", "h = f(z) with z = wᵀx = Σ_k w_k x_k, so ∂z/∂w_j = x_j and ∂h/∂w_j = f'(wᵀx) · x_j.",
                  r"\frac{\partial h}{\partial w_j} = f'(\mathbf{w}^T\mathbf{x})\, x_j", {})]
    for f, d in PIECES.items():
        s = SHORT[f]
        pos, neg = _times_xj(d["d+"]), _times_xj(d["d-"].replace("e^z", "e^(wᵀ x)"))
        got = {f"{s}: dh/dw_j (wᵀx>0)": pos, f"{s}: dh/dw_j (wᵀx<0)": neg}
        answers.update(got)
        steps.append(Step(f"h = {f}(wᵀx)", f"{f}'(wᵀx) · x_j: {pos} when wᵀx > 0, {neg} when wᵀx < 0.", "", got))
    return Solution(answers, steps)


def _times_xj(formula: str) -> str:
    return {"0": "0", "1": "x_j"}.get(formula, f"{formula} x_j")


def mistakes_chain(p: Mapping[str, Any]) -> list[Mistake]:
    dropped = {f"{SHORT[f]}: dh/dw_j (wᵀx{side})": d[key].replace("e^z", "e^(wᵀ x)")
               for f, d in PIECES.items() for side, key in ((">0", "d+"), ("<0", "d-")) if d[key] != "0"}
    return [Mistake("chain_factor_missing", "the inner derivative ∂(wᵀx)/∂w_j = x_j is missing (chain rule).", dropped)]


# --- the dead ReLU ----------------------------------------------------------------------------

def validate_dead(params: Mapping[str, Any]) -> dict[str, Any]:
    return {"symbols": {"w": "d×1", "x_i": "d×1", "b": "scalar"}}


def solve_dead(p: Mapping[str, Any]) -> Solution:
    condition = "wᵀ x_i + b ≤ 0"
    why = ("For h = relu(wᵀx + b), ∂h/∂w = relu'(wᵀx_i + b) x_i and ∂h/∂b = relu'(wᵀx_i + b), and relu' = 0 "
           "wherever wᵀx_i + b ≤ 0 (taking relu'(0) = 0). The gradient of a parameter sums these over the training "
           "examples, so if wᵀx_i + b ≤ 0 for every i, every term is zero, gradient descent never changes w or b, "
           "and the neuron outputs 0 for every training input: it is dead.")
    steps = [Step("Per-example gradient", "∂h/∂w = relu'(wᵀx_i + b) x_i, ∂h/∂b = relu'(wᵀx_i + b).",
                  r"\frac{\partial h}{\partial \mathbf{w}} = \mathrm{relu}'(\mathbf{w}^T\mathbf{x}_i + b)\,\mathbf{x}_i", {}),
             Step("Zero for every example", f"relu'(u) = 0 for u ≤ 0, so all terms vanish when {condition} for all i.",
                  r"\mathbf{w}^T\mathbf{x}_i + b \le 0 \quad \forall i \in \{1, \dots, n\}", {"condition": condition})]
    return Solution({"condition": condition, "why": why}, steps)


FAMILIES = [
    Family("activations.derivative", solve, validate=validate, mistakes=mistakes, params=()),
    Family("activations.chain", solve_chain, validate=validate_chain, mistakes=mistakes_chain, params=()),
    Family("activations.dead_relu", solve_dead, validate=validate_dead, params=()),
]

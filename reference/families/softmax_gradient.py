"""∂E/∂z_x of softmax cross-entropy, as a formula: q_x − p_x.

    q_i = e^{z_i} / Σ_j e^{z_j}  ⇒  ∂q_i/∂z_x = q_i (δ_ix − q_x)
    E = −Σ_i p_i ln q_i        ⇒  ∂E/∂z_x = −Σ_i p_i (δ_ix − q_x) = q_x Σ_i p_i − p_x = q_x − p_x

The worked steps are the lines above; the typical slip (keeping only the
diagonal of the softmax Jacobian) is a mistake with its own formula.

>>> solve(validate({})).answers["dE/dz_x"]
'q_x − p_x'
"""

from __future__ import annotations

from typing import Any, Mapping

from gradekit.plugin import Family, Mistake, Solution, Step


def validate(params: Mapping[str, Any]) -> dict[str, Any]:
    return {}


def solve(p: Mapping[str, Any]) -> Solution:
    dq = "q_i (δ_ix − q_x)"
    sums = "−Σ_i p_i (δ_ix − q_x) = −p_x + q_x Σ_i p_i"
    answer = "q_x − p_x"
    steps = [
        Step("Softmax Jacobian", f"q_i = e^(z_i) / Σ_j e^(z_j), so ∂q_i/∂z_x = {dq} (δ_ix = 1 when i = x)",
             r"\frac{\partial q_i}{\partial z_x} = q_i(\delta_{ix} - q_x)", {"dq_i/dz_x": dq}),
        Step("Chain rule", f"∂E/∂z_x = −Σ_i p_i/q_i · ∂q_i/∂z_x = {sums}",
             r"\frac{\partial E}{\partial z_x} = -\sum_i \frac{p_i}{q_i} q_i (\delta_{ix} - q_x) = -p_x + q_x \sum_i p_i",
             {"sum": sums}),
        Step("p is a distribution", f"Σ_i p_i = 1, so ∂E/∂z_x = {answer}",
             r"\frac{\partial E}{\partial z_x} = q_x - p_x", {"dE/dz_x": answer}),
    ]
    return Solution({"dE/dz_x": answer}, steps)


def mistakes(p: Mapping[str, Any]) -> list[Mistake]:
    return [Mistake("softmax_jacobian_diagonal_only", "only the diagonal of the softmax Jacobian is kept "
                    "(∂q_i/∂z_x for i ≠ x dropped), giving −p_x (1 − q_x).", {"dE/dz_x": "−p_x (1 − q_x)"})]


FAMILIES = [Family("softmax_ce.gradient", solve, validate=validate, mistakes=mistakes, params=())]

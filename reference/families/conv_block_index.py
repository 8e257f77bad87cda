"""Backprop through conv → sigmoid → 2×2 average pool, in index form (ECE 449 A2 p1, the [8 pts] part).

The numeric instance lives in ``conv_block``; this family asks for the three gradients as formulas
of one entry, in names a student can type (the statement fixes them):

    g_ij  = g_{⌈d/2⌉,⌈e/2⌉}, the gradient of the pooled cell that s_{d,e} falls in
    s_de  = s_{d,e} = σ(c_de)
    ∂loss/∂s_{d,e} = g_ij / 4
    ∂loss/∂c_{d,e} = ∂loss/∂s_{d,e} · s_de (1 − s_de) = g_ij / 4 · s_de (1 − s_de)
    ∂loss/∂K_{a,b} = Σ_{d,e} ∂loss/∂c_{d,e} x_{d+a−1,e+b−1} = sum(dC ∘ X_ab)

where dC is the 2n×2m matrix of ∂loss/∂c_{d,e} and X_ab the 2n×2m window of X starting at (a, b)
(a Σ over indices is written as ``sum`` of an entry-by-entry product). Each formula is checked
numerically on random values; the tests check them against torch.autograd on the block.

>>> solve(validate({})).answers["dloss/dc_de"]
'g_ij / 4 · s_de (1 − s_de)'
"""

from __future__ import annotations

from typing import Any, Mapping

from gradekit.plugin import Family, Mistake, Solution, Step


def validate(params: Mapping[str, Any]) -> dict[str, Any]:
    return {"symbols": {"g_ij": "scalar", "c_de": "scalar", "dC": "r×q", "X_ab": "r×q"},
            "define": {"s_de": "sigmoid(c_de)"}}


def solve(p: Mapping[str, Any]) -> Solution:
    dS = "g_ij / 4"
    dC = f"{dS} · s_de (1 − s_de)"
    dK = "sum(dC ∘ X_ab)"
    steps = [
        Step("Through the pool", "p_{i,j} averages the four s_{d,e} of its block, so each gets ¼ of g_{i,j}: "
             f"∂loss/∂s_{{d,e}} = {dS} with i = ⌈d/2⌉, j = ⌈e/2⌉.",
             r"\frac{\partial loss}{\partial s_{d,e}} = \tfrac14\, g_{\lceil d/2\rceil,\lceil e/2\rceil}", {"dloss/ds_de": dS}),
        Step("Through the sigmoid", f"s = σ(c), σ'(c) = s(1 − s): ∂loss/∂c_{{d,e}} = {dC}.",
             r"\frac{\partial loss}{\partial c_{d,e}} = \tfrac14\, g_{\lceil d/2\rceil,\lceil e/2\rceil}\, s_{d,e}(1 - s_{d,e})",
             {"dloss/dc_de": dC}),
        Step("Through the convolution", "c_{d,e} = Σ_{a,b} K_{a,b} x_{d+a−1,e+b−1}, so K_{a,b} meets x_{d+a−1,e+b−1} "
             f"in every c_{{d,e}}: ∂loss/∂K_{{a,b}} = Σ_{{d,e}} ∂loss/∂c_{{d,e}} x_{{d+a−1,e+b−1}} = {dK}.",
             r"\frac{\partial loss}{\partial K_{a,b}} = \sum_{d=1}^{2n}\sum_{e=1}^{2m} \frac{\partial loss}{\partial c_{d,e}}\, x_{d+a-1,\,e+b-1}",
             {"dloss/dK_ab": dK}),
    ]
    return Solution({"dloss/ds_de": dS, "dloss/dc_de": dC, "dloss/dK_ab": dK}, steps)


def mistakes(p: Mapping[str, Any]) -> list[Mistake]:
    return [
        Mistake("pool_quarter_missing", "the average pool shares g_{i,j} among four cells: the ¼ is missing.",
                {"dloss/ds_de": "g_ij", "dloss/dc_de": "g_ij s_de (1 − s_de)"}),
        Mistake("sigmoid_grad_on_input", "the sigmoid derivative s(1 − s) must use the output s_de, not the input c_de.",
                {"dloss/dc_de": "g_ij / 4 · c_de (1 − c_de)"}),
    ]


FAMILIES = [Family("conv_block.backprop.index", solve, validate=validate, mistakes=mistakes, params=())]

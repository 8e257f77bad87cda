"""The four gradients of a 2-layer network, as formulas (matrix calculus).

    x2 = f(W1 x1 + b1),  x3 = W2 x2 + b2,  L = ½ (t − x3)ᵀ(t − x3)
    dL/db2 = x3 − t,  dL/dW2 = (x3 − t) x2ᵀ,
    dL/db1 = (W2ᵀ (x3 − t)) ∘ f'(z),  dL/dW1 = dL/db1 x1ᵀ,  f'(z) = x2 ∘ (1 − x2) for the sigmoid.

Each formula is built from the one before it, as the chain rule goes; the
worked steps are those same strings. The symbols (with symbolic sizes n → m →
k) and the definitions of x2 and x3 are part of the validated params, so every
part of the problem shares them and a student may write x2 or σ(W1 x1 + b1).

>>> solve(validate({"activation": "sigmoid"})).answers["dL/dW1"]
'((W2ᵀ (x3 − t)) ∘ x2 ∘ (1 − x2)) x1ᵀ'
"""

from __future__ import annotations

from typing import Any, Mapping

from gradekit.plugin import choice, Family, Param, Solution, Step

SYMBOLS = {"x1": "n×1", "W1": "m×n", "b1": "m×1", "z": "m×1", "x2": "m×1", "W2": "k×m", "b2": "k×1",
           "x3": "k×1", "t": "k×1"}
# f'(z) written in x2 = f(z), as the course writes it
DERIVATIVE = {"sigmoid": "x2 ∘ (1 − x2)", "tanh": "(1 − x2 ∘ x2)"}
DERIVATIVE_TEX = {"sigmoid": r"x_2 \odot (1 - x_2)", "tanh": r"(1 - x_2 \odot x_2)"}


def validate(params: Mapping[str, Any]) -> dict[str, Any]:
    activation = choice(params, "activation", tuple(DERIVATIVE))
    define = {"z": "W1 x1 + b1", "x2": f"{activation}(z)", "x3": "W2 x2 + b2"}
    return {"activation": activation, "symbols": dict(SYMBOLS), "define": define}


def solve(p: Mapping[str, Any]) -> Solution:
    act = p["activation"]
    dx3 = "x3 − t"  # dL/dx3 from L = ½ (t − x3)ᵀ(t − x3)
    db2 = dx3
    dW2 = f"({dx3}) x2ᵀ"
    dx2 = f"W2ᵀ ({dx3})"
    dz = f"({dx2}) ∘ {DERIVATIVE[act]}"
    db1 = dz
    dW1 = f"({dz}) x1ᵀ"
    steps = [
        Step("Output error", f"L = ½ (t − x3)ᵀ(t − x3), so dL/dx3 = {dx3}; x3 = W2 x2 + b2 gives dL/db2 = {db2}",
             r"\frac{\partial L}{\partial x_3} = x_3 - t = \frac{\partial L}{\partial b_2}", {"dL/db2": db2}),
        Step("Second-layer weights", f"x3 = W2 x2 + b2 is linear in W2: dL/dW2 = dL/dx3 x2ᵀ = {dW2}",
             r"\frac{\partial L}{\partial W_2} = (x_3 - t)\, x_2^T", {"dL/dW2": dW2}),
        Step("Back through W2", f"dL/dx2 = W2ᵀ dL/dx3 = {dx2}",
             r"\frac{\partial L}{\partial x_2} = W_2^T (x_3 - t)", {"dL/dx2": dx2}),
        Step("Through the activation", f"x2 = {act}(z) entry by entry, {act}'(z) = {DERIVATIVE[act]}: "
             f"dL/dz = dL/dx2 ∘ {act}'(z) = {dz} = dL/db1",
             rf"\frac{{\partial L}}{{\partial b_1}} = \big(W_2^T (x_3 - t)\big) \odot {DERIVATIVE_TEX[act]}",
             {"dL/db1": db1}),
        Step("First-layer weights", f"z = W1 x1 + b1: dL/dW1 = dL/dz x1ᵀ = {dW1}",
             rf"\frac{{\partial L}}{{\partial W_1}} = \Big(\big(W_2^T (x_3 - t)\big) \odot {DERIVATIVE_TEX[act]}\Big)\, x_1^T",
             {"dL/dW1": dW1}),
    ]
    return Solution({"dL/dW1": dW1, "dL/dW2": dW2, "dL/db1": db1, "dL/db2": db2}, steps)


FAMILIES = [Family("backprop.mlp2.derive", solve, validate=validate, params=(
    Param("activation", "choice", "the hidden layer's f in x2 = f(z)", options=tuple(DERIVATIVE)),
))]

"""Layers on a batch: a linear layer's backward, softmax cross-entropy's loss and gradient, batch norm's backward.

Each convention is a parameter, stated in ``gradekit family NAME`` and in the worked steps:
``examples`` ("rows": a batch is N×C, as in PyTorch and most homework code; or "columns"), a linear weight's
layout ``weight`` ("out_in": (C_out, C_in), as nn.Linear stores it; or "in_out"), and the loss's
``reduction`` ("mean" over the batch, or "sum"). Computed with examples as rows; answers come back in the
spec's layout.

    linear:   Z = A Wᵀ + 1 bᵀ;  ∂L/∂A = ∂L/∂Z W,  ∂L/∂W = (∂L/∂Z)ᵀ A,  ∂L/∂b = (∂L/∂Z)ᵀ 1
    softmax:  S = softmax(Z) per example,  L = −(1/N) Σ_n Σ_c Y_nc ln S_nc,  ∂L/∂Z = (S − Y)/N
    batch norm: ẑ = (Z − μ)/√(σ² + ε),  BZ = γ ẑ + β,  ∂L/∂γ = Σ_n ∂L/∂BZ ⊙ ẑ,  ∂L/∂β = Σ_n ∂L/∂BZ,
              ∂L/∂Z = (1/(N√(σ² + ε))) (N ∂L/∂ẑ − Σ_n ∂L/∂ẑ − ẑ Σ_n ∂L/∂ẑ ⊙ ẑ),  ∂L/∂ẑ = γ ∂L/∂BZ

>>> fam = FAMILIES[1]
>>> s = fam.solve(fam.check({"Z": [[0, 0], [1, -1]], "labels": [0, 1]}))
>>> round(float(s.answers["loss"]), 4)
1.4197
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from gradekit.plugin import (
    changed, choice, Family, fmt, matrix, Mistake, number, OPTIONAL, Param, ParamError, Solution, Step, tex, text,
    vector,
)

EXAMPLES = ("rows", "columns")
WEIGHTS = ("out_in", "in_out")
REDUCTIONS = ("mean", "sum")
_EXAMPLES_MEANING = "whether each example of the batch is a row (N×C, as PyTorch stores a batch) or a column"


def _batch(params: Mapping[str, Any], name: str, examples: str) -> np.ndarray:
    """A batch as N×C (examples as rows), whatever layout the spec writes it in."""
    value = matrix(params, name)
    return value if examples == "rows" else value.T


def _layout(value: np.ndarray, examples: str) -> np.ndarray:
    return value if examples == "rows" else value.T


def _said(examples: str) -> str:
    return "examples are rows (N×C)" if examples == "rows" else "examples are columns (C×N); computed as rows, " \
                                                                "written back as columns"


# ------------------------------------------------------------ linear.backward


def validate_linear(params: Mapping[str, Any], need_gradient: bool = True) -> dict[str, Any]:
    examples = choice(params, "examples", EXAMPLES, default="rows")
    weight = choice(params, "weight", WEIGHTS, default="out_in")
    A = _batch(params, "A", examples)
    W = matrix(params, "W")
    W = W if weight == "out_in" else W.T
    if W.shape[1] != A.shape[1]:
        raise ParamError("W", f"has {W.shape[1]} inputs ({weight.replace('_', ', ')} layout), but A has {A.shape[1]} "
                              f"features per example ({_said(examples)})")
    b = vector(params, "b", W.shape[0], needs=f"one bias per output ({W.shape[0]})", default=np.zeros(W.shape[0]))
    dZ = _batch(params, "dLdZ", examples)
    if need_gradient and dZ.shape != (A.shape[0], W.shape[0]):
        raise ParamError("dLdZ", f"has shape {_layout(dZ, examples).shape}, but needs "
                                 f"{_layout(np.zeros((A.shape[0], W.shape[0])), examples).shape}: one gradient per "
                                 f"example and output ({_said(examples)})")
    return {"A": A, "W": W, "b": b, "dLdZ": dZ, "examples": examples, "weight": weight}


def _linear(p: Mapping[str, Any], batch_mean: bool = False) -> dict[str, Any]:
    A, W, b, dZ = p["A"], p["W"], p["b"], p["dLdZ"]
    n = A.shape[0] if batch_mean else 1
    dW = dZ.T @ A / n
    return {"Z": _layout(A @ W.T + b, p["examples"]), "dLdA": _layout(dZ @ W, p["examples"]),
            "dLdW": dW if p["weight"] == "out_in" else dW.T, "dLdb": dZ.sum(axis=0) / n}


def solve_linear(p: Mapping[str, Any]) -> Solution:
    A, W, b, dZ, ex = p["A"], p["W"], p["b"], p["dLdZ"], p["examples"]
    answers = _linear(p)
    w_said = "W is (C_out, C_in), as nn.Linear stores it" if p["weight"] == "out_in" else \
        "W is written (C_in, C_out); computed as its transpose (C_out, C_in) and written back"
    steps = [
        Step("Conventions", f"{_said(ex)}; {w_said}; N = {A.shape[0]}"),
        Step("Forward", f"Z = A Wᵀ + 1 bᵀ = {text(A @ W.T + b)}", rf"Z = A W^T + \mathbf{{1}} b^T = {tex(A @ W.T + b)}",
             {"Z": answers["Z"]}),
        Step("Gradient of the input", f"∂L/∂A = ∂L/∂Z W = {text(dZ @ W)}",
             rf"\frac{{\partial L}}{{\partial A}} = \frac{{\partial L}}{{\partial Z}} W = {tex(dZ @ W)}",
             {"dLdA": answers["dLdA"]}),
        Step("Gradient of the weight", f"∂L/∂W = (∂L/∂Z)ᵀ A = {text(dZ.T @ A)} (summed over the batch: ∂L/∂Z "
                                       f"already carries the loss's 1/N)",
             rf"\frac{{\partial L}}{{\partial W}} = \left(\frac{{\partial L}}{{\partial Z}}\right)^T A = {tex(dZ.T @ A)}",
             {"dLdW": answers["dLdW"]}),
        Step("Gradient of the bias", f"∂L/∂b = (∂L/∂Z)ᵀ 1 = {text(dZ.sum(axis=0))}",
             rf"\frac{{\partial L}}{{\partial b}} = \left(\frac{{\partial L}}{{\partial Z}}\right)^T \mathbf{{1}} = "
             rf"{tex(dZ.sum(axis=0))}", {"dLdb": answers["dLdb"]}),
    ]
    return Solution(answers, steps)


def mistakes_linear(p: Mapping[str, Any]) -> list[Mistake]:
    right = _linear(p)
    n = p["A"].shape[0]
    models = [("scope", f"∂L/∂W and ∂L/∂b are divided by the batch size N = {n}; they sum over the batch (∂L/∂Z "
                        f"already holds the loss's 1/N)", _linear(p, batch_mean=True))]
    return [m for m in (changed(mid, message, answers, right) for mid, message, answers in models) if m]


# ------------------------------------------------------------ softmax_ce.batch


def validate_ce(params: Mapping[str, Any]) -> dict[str, Any]:
    examples = choice(params, "examples", EXAMPLES, default="rows")
    reduction = choice(params, "reduction", REDUCTIONS, default="mean")
    layer = None
    if "Z" in params and "A" not in params and "W" not in params:
        Z = _batch(params, "Z", examples)
    elif "Z" not in params and "A" in params and "W" in params:  # the logits from a linear layer: asked too
        layer = validate_linear({**{k: params[k] for k in ("A", "W", "b", "examples", "weight") if k in params},
                                 "dLdZ": np.zeros((len(params["A"]), 1)).tolist()}, need_gradient=False)
        Z = layer["A"] @ layer["W"].T + layer["b"]
    else:
        raise ParamError("Z", "give the logits Z, or the linear layer that makes them (A and W, b optional), "
                              "not both")
    if ("Y" in params) == ("labels" in params):
        raise ParamError("Y", "give the targets once: Y (one-hot rows) or labels (a class index per example)")
    if "labels" in params:
        labels = vector(params, "labels", Z.shape[0], needs=f"one class index per example ({Z.shape[0]})")
        if np.any(labels != np.round(labels)) or np.any(labels < 0) or np.any(labels >= Z.shape[1]):
            raise ParamError("labels", f"is {params['labels']}, but class indices must be integers 0 to {Z.shape[1] - 1}")
        Y = np.eye(Z.shape[1])[labels.astype(int)]
    else:
        Y = _batch(params, "Y", examples)
        if Y.shape != Z.shape:
            raise ParamError("Y", f"has shape {_layout(Y, examples).shape}, but needs Z's "
                                  f"{_layout(Z, examples).shape} (one target distribution per example)")
        if np.any(Y < 0) or not np.allclose(Y.sum(axis=1), 1.0, rtol=0, atol=1e-9):
            raise ParamError("Y", "must hold one distribution per example: entries ≥ 0 summing to 1")
    return {"Z": Z, "Y": Y, "examples": examples, "reduction": reduction, "layer": layer}


def _softmax(Z: np.ndarray) -> np.ndarray:
    e = np.exp(Z - Z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _ce(p: Mapping[str, Any], given: Mapping[str, Any] | None = None, reduction: str | None = None,
        axis_wrong: bool = False) -> dict[str, Any]:
    """The answers, from the student's own softmax where ``given`` holds one (carried forward)."""
    given = given or {}
    ex, Y, layer = p["examples"], p["Y"], p.get("layer")
    scale = p["Y"].shape[0] if (reduction or p["reduction"]) == "mean" else 1
    Z = _layout(np.asarray(given["Z"], dtype=float), ex) if "Z" in given and layer else p["Z"]
    S = _softmax(Z) if not axis_wrong else _softmax(Z.T).T
    if "softmax" in given:
        S = _layout(np.asarray(given["softmax"], dtype=float), ex)
    with np.errstate(divide="ignore", invalid="ignore"):
        loss = float(-(Y * np.log(S)).sum() / scale)
    dZ = (S - Y) / scale
    answers = {"softmax": _layout(S, ex), "loss": loss, "dLdZ": _layout(dZ, ex)}
    if layer is not None:  # the chain goes on into the layer: Z, then the weight's and the bias's gradients
        if "dLdZ" in given:
            dZ = _layout(np.asarray(given["dLdZ"], dtype=float), ex)
        dW = dZ.T @ layer["A"]
        answers = {"Z": _layout(Z, ex), **answers, "dLdW": dW if layer["weight"] == "out_in" else dW.T,
                   "dLdb": dZ.sum(axis=0)}
    return answers


def solve_ce(p: Mapping[str, Any]) -> Solution:
    a = _ce(p)
    n = p["Y"].shape[0]
    S = _softmax(p["Z"])
    per = -(p["Y"] * np.log(S)).sum(axis=1)
    mean = p["reduction"] == "mean"
    over, over_tex = (f"/{n}", rf"\frac{{1}}{{{n}}}") if mean else ("", "")
    dZ = (S - p["Y"]) / (n if mean else 1)
    layer = p.get("layer")
    steps = [
        Step("Conventions", f"{_said(p['examples'])}; the loss is the {p['reduction']} over the N = {n} examples"
                            + ("" if layer is None else f"; W is {'(C_out, C_in)' if layer['weight'] == 'out_in' else '(C_in, C_out)'}")),
        Step("Softmax of each example", f"S = exp(Z) / Σ_c exp(Z) per example = {text(S)}",
             rf"S_{{nc}} = \frac{{e^{{Z_{{nc}}}}}}{{\sum_k e^{{Z_{{nk}}}}}} = {tex(S)}", {"softmax": a["softmax"]}),
        Step("Loss", f"−Σ_c Y ln S per example = {text(per)}; L = (Σ){over} = {fmt(a['loss'])}",
             rf"L = -{over_tex}\sum_n \sum_c Y_{{nc}} \ln S_{{nc}} = {fmt(a['loss'])}", {"loss": a["loss"]}),
        Step("Gradient at the logits", f"∂L/∂Z = (S − Y){over} = {text(dZ)}",
             rf"\frac{{\partial L}}{{\partial Z}} = {over_tex}(S - Y) = {tex(dZ)}", {"dLdZ": a["dLdZ"]}),
    ]
    if layer is not None:
        steps.insert(1, Step("Logits from the linear layer", f"Z = A Wᵀ + 1 bᵀ = {text(p['Z'])}",
                             rf"Z = A W^T + \mathbf{{1}} b^T = {tex(p['Z'])}", {"Z": a["Z"]}))
        steps.append(Step("Gradients of the layer", f"∂L/∂W = (∂L/∂Z)ᵀ A = {text(dZ.T @ layer['A'])}; "
                                                    f"∂L/∂b = (∂L/∂Z)ᵀ 1 = {text(dZ.sum(axis=0))}",
                          rf"\frac{{\partial L}}{{\partial W}} = \left(\frac{{\partial L}}{{\partial Z}}\right)^T A "
                          rf"= {tex(dZ.T @ layer['A'])}", {"dLdW": a["dLdW"], "dLdb": a["dLdb"]}))
    return Solution(a, steps)


def mistakes_ce(p: Mapping[str, Any]) -> list[Mistake]:
    right = _ce(p)
    n = p["Y"].shape[0]
    other = "sum" if p["reduction"] == "mean" else "mean"
    models = [
        ("scope", f"this is the {other} over the N = {n} examples; the problem takes the {p['reduction']}",
         _ce(p, reduction=other)),
        ("softmax_over_batch", "the softmax is taken across the batch (each class over the examples) instead of "
                               "across the classes of each example", _ce(p, axis_wrong=True)),
    ]
    found = (changed(mid, message, answers, right) for mid, message, answers in models)
    return [m for m in found if m and all(np.all(np.isfinite(v)) for v in m.answers.values())]


def carry_ce(p: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    return _ce(p, given)


def depends_ce(p: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """Z → softmax → loss and ∂L/∂Z → the layer's ∂L/∂W and ∂L/∂b (what ``_ce`` reads of ``given``)."""
    return {"Z": (), "softmax": ("Z",), "loss": ("softmax",), "dLdZ": ("softmax",), "dLdW": ("dLdZ",),
            "dLdb": ("dLdZ",)}


# ------------------------------------------------------------ batchnorm.backward


def validate_bn(params: Mapping[str, Any]) -> dict[str, Any]:
    examples = choice(params, "examples", EXAMPLES, default="rows")
    Z = _batch(params, "Z", examples)
    n, c = Z.shape
    if n < 2:
        raise ParamError("Z", f"has {n} example, but batch norm needs at least 2 ({_said(examples)})")
    needs = f"one per feature ({c})"
    gamma = vector(params, "gamma", c, needs=needs, default=np.ones(c))
    beta = vector(params, "beta", c, needs=needs, default=np.zeros(c))
    eps = number(params, "eps", low=0, default=0.0)
    dBZ = _batch(params, "dLdBZ", examples)
    if dBZ.shape != Z.shape:
        raise ParamError("dLdBZ", f"has shape {_layout(dBZ, examples).shape}, but needs Z's {_layout(Z, examples).shape}")
    flat = np.flatnonzero(Z.var(axis=0) + eps == 0)
    if len(flat):
        raise ParamError("eps", f"is 0, but feature {flat[0] + 1} is constant over the batch, so ẑ divides by 0")
    return {"Z": Z, "gamma": gamma, "beta": beta, "eps": eps, "dLdBZ": dBZ, "examples": examples}


def _bn(p: Mapping[str, Any], given: Mapping[str, Any] | None = None, ddof: int = 0,
        constants: bool = False) -> dict[str, Any]:
    given = given or {}
    Z, g, eps, dBZ, ex = p["Z"], p["gamma"], p["eps"], p["dLdBZ"], p["examples"]
    n = Z.shape[0]
    sd = np.sqrt(Z.var(axis=0, ddof=ddof) + eps)
    z_hat = (Z - Z.mean(axis=0)) / sd
    if "z_hat" in given:
        z_hat = _layout(np.asarray(given["z_hat"], dtype=float), ex)
    d_hat = dBZ * g
    if constants:  # μ and σ² taken as constants: only the direct path through ẑ
        dZ = d_hat / sd
    else:
        dZ = (n * d_hat - d_hat.sum(axis=0) - z_hat * (d_hat * z_hat).sum(axis=0)) / (n * sd)
    return {"z_hat": _layout(z_hat, ex), "dLdgamma": (dBZ * z_hat).sum(axis=0), "dLdbeta": dBZ.sum(axis=0),
            "dLdZ": _layout(dZ, ex)}


def solve_bn(p: Mapping[str, Any]) -> Solution:
    a = _bn(p)
    Z, n = p["Z"], p["Z"].shape[0]
    mu, var = Z.mean(axis=0), Z.var(axis=0)
    z_hat = _layout(a["z_hat"], p["examples"])
    steps = [
        Step("Conventions", f"{_said(p['examples'])}; statistics per feature over the N = {n} examples, the "
                            f"variance with 1/N (training mode); ε = {fmt(p['eps'])}"),
        Step("Normalised input", f"μ = {text(mu)}, σ² = {text(var)}; ẑ = (Z − μ)/√(σ² + ε) = {text(z_hat)}",
             rf"\hat z = \frac{{Z - \mu}}{{\sqrt{{\sigma^2 + \epsilon}}}} = {tex(z_hat)}", {"z_hat": a["z_hat"]}),
        Step("Gradients of γ and β", f"∂L/∂γ = Σ_n ∂L/∂BZ ⊙ ẑ = {text(a['dLdgamma'])}; ∂L/∂β = Σ_n ∂L/∂BZ = "
                                     f"{text(a['dLdbeta'])}",
             rf"\frac{{\partial L}}{{\partial \gamma}} = \sum_n \frac{{\partial L}}{{\partial BZ}} \odot \hat z = "
             rf"{tex(a['dLdgamma'])},\quad \frac{{\partial L}}{{\partial \beta}} = {tex(a['dLdbeta'])}",
             {"dLdgamma": a["dLdgamma"], "dLdbeta": a["dLdbeta"]}),
        Step("Gradient of the input", f"∂L/∂ẑ = γ ∂L/∂BZ; ∂L/∂Z = (N ∂L/∂ẑ − Σ ∂L/∂ẑ − ẑ Σ ∂L/∂ẑ ⊙ ẑ)/(N √(σ² + ε)) "
                                      f"= {text(_layout(a['dLdZ'], p['examples']))} (μ and σ² depend on every example)",
             rf"\frac{{\partial L}}{{\partial Z}} = \frac{{N \partial_{{\hat z}} - \sum_n \partial_{{\hat z}} - \hat z "
             rf"\sum_n \partial_{{\hat z}} \odot \hat z}}{{N\sqrt{{\sigma^2 + \epsilon}}}} = {tex(a['dLdZ'])}",
             {"dLdZ": a["dLdZ"]}),
    ]
    return Solution(a, steps)


def mistakes_bn(p: Mapping[str, Any]) -> list[Mistake]:
    right = _bn(p)
    models = [
        ("sample_variance", "the variance divides by N − 1 (sample variance); batch norm in training uses 1/N",
         _bn(p, ddof=1)),
        ("statistics_treated_as_constants", "μ and σ² are treated as constants: ∂L/∂Z keeps only ∂L/∂ẑ / √(σ² + ε), "
                                            "but both depend on every example of the batch", _bn(p, constants=True)),
    ]
    return [m for m in (changed(mid, message, answers, right) for mid, message, answers in models) if m]


def carry_bn(p: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    return _bn(p, given)


def depends_bn(p: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """ẑ → ∂L/∂γ and ∂L/∂Z; ∂L/∂β is ∂L/∂BZ summed, from no earlier part."""
    return {"z_hat": (), "dLdgamma": ("z_hat",), "dLdbeta": (), "dLdZ": ("z_hat",)}


_EXAMPLES = Param("examples", "choice", _EXAMPLES_MEANING, default="rows", options=EXAMPLES)

FAMILIES = [
    Family("linear.backward", solve_linear, validate=validate_linear, mistakes=mistakes_linear,
           mistake_ids=("scope",), params=(
               Param("A", "matrix", "the layer's input batch", shape="N×C_in"),
               Param("W", "matrix", "the weight", shape="C_out×C_in"),
               Param("b", "vector", "the bias", shape="C_out", default=OPTIONAL, default_note="0 for every output"),
               Param("dLdZ", "matrix", "the gradient of the loss at the layer's output Z", shape="N×C_out"),
               _EXAMPLES,
               Param("weight", "choice", "the weight's layout: (C_out, C_in) as nn.Linear stores it (Z = A Wᵀ + b), "
                                         "or (C_in, C_out) (Z = A W + b)", default="out_in", options=WEIGHTS),
           )),
    Family("softmax_ce.batch", solve_ce, validate=validate_ce, mistakes=mistakes_ce, carry=carry_ce, depends=depends_ce,
           mistake_ids=("scope", "softmax_over_batch"), params=(
               Param("Z", "matrix", "the logits of the batch", shape="N×C", default=OPTIONAL,
                     default_note="from A and W"),
               Param("A", "matrix", "the input of a linear layer making the logits (Z = A Wᵀ + b; then Z, dLdW and "
                                    "dLdb are parts too)", shape="N×C_in", default=OPTIONAL, default_note="none: Z given"),
               Param("W", "matrix", "that layer's weight", shape="C×C_in", default=OPTIONAL, default_note="none"),
               Param("b", "vector", "that layer's bias", shape="C", default=OPTIONAL, default_note="0"),
               Param("weight", "choice", "the weight's layout: (C_out, C_in), as nn.Linear, or (C_in, C_out)",
                     default="out_in", options=WEIGHTS),
               Param("Y", "matrix", "the targets, one-hot (or a distribution) per example", shape="N×C",
                     default=OPTIONAL, default_note="from labels"),
               Param("labels", "vector", "the targets as class indices 0 … C−1, one per example", shape="N",
                     default=OPTIONAL, default_note="from Y"),
               _EXAMPLES,
               Param("reduction", "choice", "the loss over the batch: its mean (the gradient then carries 1/N) or "
                                            "its sum", default="mean", options=REDUCTIONS),
           )),
    Family("batchnorm.backward", solve_bn, validate=validate_bn, mistakes=mistakes_bn, carry=carry_bn, depends=depends_bn,
           mistake_ids=("sample_variance", "statistics_treated_as_constants"), params=(
               Param("Z", "matrix", "the batch norm's input", shape="N×C"),
               Param("gamma", "vector", "the scale γ per feature", shape="C", default=OPTIONAL,
                     default_note="1 for every feature"),
               Param("beta", "vector", "the shift β per feature", shape="C", default=OPTIONAL,
                     default_note="0 for every feature"),
               Param("eps", "number", "ε added to the variance (≥ 0)", default=0.0),
               Param("dLdBZ", "matrix", "the gradient of the loss at the output BZ = γ ẑ + β", shape="N×C"),
               _EXAMPLES,
           )),
]

"""Batch normalisation, forward pass in training mode.

Z has one row per unit and one column per example (m columns), or, with ``examples = "rows"``, one row per
example (as a batch is stored in PyTorch and most code); the answers ẑ and z̃ have Z's layout:

    μ = mean over the m examples,  σ² = (1/m) Σ (z_i − μ)²  (population variance),
    ẑ = (Z − μ) / sqrt(σ² + ε),    z̃ = γ ẑ + β   (per unit).

>>> p = validate({"Z": [[12, 14, 14, 12], [0, 10, 10, 0]], "beta": [0, -10]})
>>> solve(p).answers["var"]
array([ 1., 25.])
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from gradekit.plugin import (
    changed, choice, Family, fmt, matrix, Mistake, number, OPTIONAL, Param, ParamError, Solution, Step, tex, text,
    vector,
)

EXAMPLES = ("columns", "rows")


def validate(params: Mapping[str, Any]) -> dict[str, Any]:
    examples = choice(params, "examples", EXAMPLES, default="columns")
    Z = matrix(params, "Z")
    if examples == "rows":  # computed units × m, as the steps write it; the answers go back to Z's layout
        Z = Z.T
    units, m = Z.shape
    axis = "columns" if examples == "columns" else "rows"
    if m < 2:
        raise ParamError("Z", f"has {m} example ({axis[:-1]}), but needs at least 2 examples to normalise over")
    shape = Z.shape if examples == "columns" else Z.T.shape
    needs = f"matching Z {shape} (one per unit, i.e. per {'row' if examples == 'columns' else 'column'})"
    gamma = vector(params, "gamma", units, needs=needs, default=np.ones(units))
    beta = vector(params, "beta", units, needs=needs, default=np.zeros(units))
    eps = number(params, "eps", low=0, default=0.0)
    flat = np.flatnonzero(Z.var(axis=1) + eps == 0)
    if len(flat):
        raise ParamError("eps", f"is 0, but unit {flat[0] + 1} (row {flat[0] + 1} of Z) is constant, so ẑ divides by 0")
    return {"Z": Z, "gamma": gamma, "beta": beta, "eps": eps, "examples": examples}


def _layout(p: Mapping[str, Any], answers: dict[str, Any]) -> dict[str, Any]:
    """The answers in the spec's layout: ẑ and z̃ transposed back when examples are rows."""
    if p.get("examples") == "rows":
        answers.update(z_hat=answers["z_hat"].T, z_tilde=answers["z_tilde"].T)
    return answers


def _forward(p: Mapping[str, Any], ddof: int = 0, axis: int = 1, divide_by_var: bool = False) -> dict[str, Any]:
    """The answers under a variance convention, a normalisation axis and a divisor (for the mistake models)."""
    Z, eps = p["Z"], p["eps"]
    mu = Z.mean(axis=axis, keepdims=True)
    var = Z.var(axis=axis, ddof=ddof, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):  # a mistaken axis may meet a constant column
        z_hat = (Z - mu) / ((var + eps) if divide_by_var else np.sqrt(var + eps))
    z_tilde = p["gamma"][:, None] * z_hat + p["beta"][:, None]
    return _layout(p, {"mu": mu.ravel(), "var": var.ravel(), "z_hat": z_hat, "z_tilde": z_tilde})


def solve(p: Mapping[str, Any]) -> Solution:
    Z, gamma, beta, eps = p["Z"], p["gamma"], p["beta"], p["eps"]
    m = Z.shape[1]
    mu = Z.sum(axis=1) / m
    centred = Z - mu[:, None]
    var = (centred**2).sum(axis=1) / m
    sd = np.sqrt(var + eps)
    z_hat = centred / sd[:, None]
    z_tilde = gamma[:, None] * z_hat + beta[:, None]
    layout = "" if p.get("examples", "columns") == "columns" else \
        " (examples are the rows of Z, so each unit is a column; the values below are written unit by row)"
    steps = [
        Step("Mean of each unit over the batch" + layout, f"μ = (1/{m}) Σ z_i = {text(mu)}",
             rf"\mu = \frac{{1}}{{{m}}} \sum_{{i=1}}^{{{m}}} z_i = {tex(mu)}", {"mu": mu}),
        Step("Variance (1/m, population)", f"z_i − μ = {text(centred)}; σ² = (1/{m}) Σ (z_i − μ)² = {text(var)}",
             rf"\sigma^2 = \frac{{1}}{{{m}}} \sum_{{i=1}}^{{{m}}} (z_i - \mu)^2 = {tex(var)}", {"var": var}),
        Step("Normalise", f"ẑ = (z_i − μ) / sqrt(σ² + ε) with ε = {fmt(eps)}, sqrt(σ² + ε) = {text(sd)}: ẑ = {text(z_hat)}",
             rf"\hat z = \frac{{z_i - \mu}}{{\sqrt{{\sigma^2 + \epsilon}}}} = {tex(z_hat)}", {"z_hat": z_hat}),
        Step("Scale and shift", f"z̃ = γ ẑ + β with γ = {text(gamma)}, β = {text(beta)}: z̃ = {text(z_tilde)}",
             rf"\tilde z = \gamma \hat z + \beta = {tex(z_tilde)}", {"z_tilde": z_tilde}),
    ]
    return Solution(_layout(p, {"mu": mu, "var": var, "z_hat": z_hat, "z_tilde": z_tilde}), steps)


def mistakes(p: Mapping[str, Any]) -> list[Mistake]:
    right = _forward(p)
    models = [
        ("sample_variance", "the variance divides by m − 1 (sample variance); batch norm uses 1/m",
         _forward(p, ddof=1)),
        ("divided_by_variance", "ẑ divides by σ² + ε instead of its square root", _forward(p, divide_by_var=True)),
        ("statistics_over_units", "μ and σ² are taken over the units of each example (columns) "
         "instead of over the examples of each unit (rows)", _forward(p, axis=0)),
    ]
    found = (changed(mid, message, answers, right) for mid, message, answers in models)
    # a mistake that divides by a zero variance gives no number a student could write
    return [m for m in found if m and all(np.all(np.isfinite(v)) for v in m.answers.values())]


FAMILIES = [Family("batchnorm.forward", solve, validate=validate, mistakes=mistakes, mistake_ids=(
    "sample_variance", "divided_by_variance", "statistics_over_units"), params=(
    Param("Z", "matrix", "the pre-activations: a row per unit, a column per example of the batch (or the "
                         "transpose, with examples = 'rows')", shape="units×m"),
    Param("gamma", "vector", "the scale γ per unit", shape="units", default=OPTIONAL, default_note="1 for every unit"),
    Param("beta", "vector", "the shift β per unit", shape="units", default=OPTIONAL, default_note="0 for every unit"),
    Param("eps", "number", "ε added to the variance (≥ 0)", default=0.0),
    Param("examples", "choice", "whether each example of the batch is a column or a row of Z", default="columns",
          options=EXAMPLES),
))]

"""Counting a conv network: shapes, parameters, MACs and feature-map memory.

The four families share one layer description (``input`` and
``[[params.layers]]``, see ``_layers``) and one walk through it; they differ
in the answers they ask for:

- ``counting.conv``: parameters of one conv layer or a short stack, with and without bias;
- ``counting.block``: a block of convs: parameters, MACs, memory in/out in values, change in percent;
- ``counting.layers``: per layer input/output/weight shapes, #param, #MAC (Lab 2b's table);
- ``counting.network``: the total parameter count with biases of a network.

Answers, by part name (``N`` is a layer's name, e.g. ``conv1``):
``N.input_shape``, ``N.output_shape``, ``N.weight_shape`` (shape), ``N.params``
(weights only), ``N.params_with_bias``, ``N.macs`` (integer); totals
``params``, ``params_with_bias``, ``macs``; ``memory_in``, ``memory_out``
(values per example), ``memory_change`` (percent). A weight's shape is written as PyTorch stores it,
(out, in) and (C_out, C_in, k_h, k_w), or with ``weight = "in_out"`` as Keras and TensorFlow do,
(in, out) and (k_h, k_w, C_in, C_out), which the worked steps state.

>>> fam = FAMILIES[0]
>>> sol = fam.solve(fam.validate({"input": [3, 12, 12], "layers": [{"type": "conv", "out": 1, "kernel": 3}]}))
>>> sol.answers["params"], sol.answers["params_with_bias"]
(27, 28)
"""

from __future__ import annotations

import math
from typing import Any, Callable, Mapping, Sequence

from gradekit.plugin import differs, Family, Mistake, OPTIONAL, Param, ParamError, Solution, Step

from ._layers import TYPES, Row, layer_step, trace, validator

CONV_TYPES = ("conv", "maxpool", "avgpool")
LAYER_KEYS = ("input_shape", "output_shape", "weight_shape", "params", "params_with_bias", "macs")


def _full_answers(rows: Sequence[Row], input_shape: tuple[int, ...]) -> dict[str, Any]:
    """Every answer the families can ask for, from the traced rows."""
    weighted = [r for r in rows if r.weight_shape is not None]
    answers: dict[str, Any] = {}
    for r in weighted:
        values = (r.input_shape, r.output_shape, r.weight_shape, r.weights, r.params_with_bias, r.macs)
        answers.update({f"{r.name}.{key}": v for key, v in zip(LAYER_KEYS, values)})
    answers["params"] = sum(r.weights for r in weighted)
    answers["params_with_bias"] = sum(r.params_with_bias for r in weighted)
    answers["macs"] = sum(r.macs for r in weighted)
    batch = 1 if len(input_shape) == 4 else 0
    answers["memory_in"] = math.prod(input_shape[batch:])
    answers["memory_out"] = math.prod(rows[-1].output_shape[batch:])
    answers["memory_change"] = 100 * (answers["memory_out"] - answers["memory_in"]) / answers["memory_in"]
    return answers


def _total_step(rows: Sequence[Row], answers: Mapping[str, Any]) -> Step:
    weighted = [r for r in rows if r.weight_shape is not None]
    sums = [  # (plain label, LaTeX label, terms, total)
        ("#param (weights)", r"\#\text{param}", [r.weights for r in weighted], answers["params"]),
        ("#param with bias", r"\#\text{param}_{+b}", [r.params_with_bias for r in weighted], answers["params_with_bias"]),
        ("#MAC", r"\#\text{MAC}", [r.macs for r in weighted], answers["macs"]),
    ]
    if answers["params_with_bias"] == answers["params"]:  # no layer has biases
        del sums[1]
    text = "; ".join(f"{label} = {' + '.join(map(str, terms))} = {total}" for label, _, terms, total in sums)
    latex = r",\quad ".join(f"{label} = {' + '.join(map(str, terms))} = {total}" for _, label, terms, total in sums)
    values = {label: answers[label] for label in ("params", "params_with_bias", "macs")}
    if answers["params_with_bias"] == answers["params"]:
        del values["params_with_bias"]
    return Step("Totals", text, latex, values)


def _memory_step(answers: Mapping[str, Any], input_shape, output_shape) -> Step:
    m_in, m_out, change = answers["memory_in"], answers["memory_out"], answers["memory_change"]
    return Step(
        "Feature-map memory",
        f"input {input_shape}: {m_in} values; output {output_shape}: {m_out} values; "
        f"change = ({m_out} − {m_in})/{m_in}·100 % = {change:g} %",
        rf"\frac{{{m_out} - {m_in}}}{{{m_in}}} \cdot 100\,\% = {change:g}\,\%",
        {"memory_in": m_in, "memory_out": m_out, "memory_change": change},
    )


SCOPES = ("per_image", "per_batch")


DIMS = ("2d", "1d")


def _guess_dims(params: Mapping[str, Any]) -> str:
    """2d, unless the input cannot be read as an image without a guess: [1, 24, 128] is C = 1, H = 24, W = 128
    only for a 2-D family, and (N, C, L) for a 1-D one; a spec says which (dims = "1d" or "2d")."""
    shape = params.get("input")
    if isinstance(shape, list) and len(shape) == 3 and shape[0] == 1 and shape[1] != shape[2]:
        raise ParamError("input", f"is {shape}: read as an image it is C = 1, H = {shape[1]}, W = {shape[2]}, but it "
                                  f"looks like a 1-D batch [N, C, L]; say which with dims = \"1d\" or dims = \"2d\"")
    return "2d"


def _as_2d(params: Mapping[str, Any]) -> dict[str, Any]:
    """A 1-D network as the 2-D one it is: H = 1 throughout, every kernel, stride and padding 1-D along W."""
    shape = params.get("input")
    if not isinstance(shape, list) or len(shape) not in (2, 3):
        raise ParamError("input", f"is {shape!r}, but a 1-D input (dims = \"1d\") is [C, L] or [N, C, L]")
    layers = []
    for t in params.get("layers") or []:
        t = dict(t) if isinstance(t, dict) else t
        if isinstance(t, dict):
            for key, across in (("kernel", 1), ("stride", 1), ("padding", 0)):  # a pool's stride: its kernel
                if key in t and not isinstance(t[key], list):
                    t[key] = [across, t[key]]
        layers.append(t)
    return {**params, "input": [*shape[:-1], 1, shape[-1]], "layers": layers}


WEIGHTS = ("out_in", "in_out")


def _in_layout(shape: tuple[int, ...], weight: str) -> tuple[int, ...]:
    """A weight shape as PyTorch stores it ((out, in); (C_out, C_in, k_h, k_w); (C_out, C_in, k)) in the
    layout ``weight`` names: "in_out" is Keras/TensorFlow's ((in, out); (k_h, k_w, C_in, C_out); (k, C_in, C_out))."""
    if weight == "out_in":
        return shape
    return (*shape[2:], shape[1], shape[0])


def _written(answers: dict[str, Any], params: Mapping[str, Any], weight: str | None = None) -> dict[str, Any]:
    """The answers as the spec writes them: 1-D shapes without the H = 1 axis, weights in the spec's layout."""
    weight = weight or params.get("weight", "out_in")
    return {k: _in_layout(v, weight) if k.endswith(".weight_shape") else v
            for k, v in _one_d(answers, params).items()}


def _one_d(answers: dict[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """Shapes of a 1-D network without the H = 1 axis it was traced with."""
    if params.get("dims") != "1d":
        return answers
    out = {}
    for k, v in answers.items():
        suffix = k.rsplit(".", 1)[-1]
        if suffix in ("input_shape", "output_shape") and len(v) == len(params["input"]) and v[-2] == 1:
            v = (*v[:-2], v[-1])
        elif suffix == "weight_shape" and len(v) == 4:
            v = (v[0], v[1], v[3])
        out[k] = v
    return out


def _batch(params: Mapping[str, Any]) -> int:
    """N of an [N, C, H, W] input; 1 without a batch axis."""
    return params["input"][0] if len(params["input"]) == 4 else 1


def _scoped(full: dict[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """The answers with MACs for the whole batch when the spec counts them so (per image is the default)."""
    if params.get("macs") == "per_batch":
        full.update({k: v * _batch(params) for k, v in full.items() if _is_macs(k)})
    return full


def _is_macs(key: str) -> bool:
    return key.rsplit(".", 1)[-1] == "macs"


def _is_params(key: str) -> bool:
    return key.rsplit(".", 1)[-1] in ("params", "params_with_bias")


def _is_count(key: str) -> bool:
    return _is_params(key) or key.rsplit(".", 1)[-1] == "macs"


# Mistake models that re-walk the network: (id, message, trace switches, which answers they can change).
_RETRACED: list[tuple[str, str, dict[str, Any], Callable[[str], bool]]] = [
    ("channels_forgotten", "This matches counting each filter as one channel deep; a filter spans every input channel.",
     {"channels": False}, _is_count),
    ("filters_forgotten", "This matches counting the weights of a single filter; every filter has its own weights.",
     {"filters": False}, _is_params),
    ("wrong_padding", "This matches leaving out the convolutions' zero padding, which changes the feature-map sizes.",
     {"padding": False}, lambda key: True),
    ("stride_ignored", "This matches sliding the convolutions with stride 1; the stride shrinks the feature maps.",
     {"stride": False}, lambda key: True),
]


def _make(name: str, types: Sequence[str], layer_keys: Sequence[str], total_keys: Sequence[str]) -> Family:
    """A counting family asking ``layer_keys`` of every conv/linear layer and ``total_keys``."""

    def project(full: Mapping[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in full.items()
                if k in total_keys or ("." in k and k.rsplit(".", 1)[1] in layer_keys)}

    def solve(params: Mapping[str, Any]) -> Solution:
        rows = trace(params["layers"], params["input"])
        full = _scoped(_full_answers(rows, params["input"]), params)
        steps = [layer_step(r) for r in rows] + [_total_step(rows, full)]
        if "memory_change" in total_keys:
            steps.append(_memory_step(full, params["input"], rows[-1].output_shape))
        n = _batch(params)
        if n > 1:
            steps.append(Step("MACs per image or per batch",
                              f"#MAC above is per image; the batch holds N = {n} images, so the batch takes "
                              f"{n}·#MAC. This problem counts them {params['macs'].replace('_', ' ')}: "
                              f"#MAC = {full['macs']}", values={"macs": full["macs"]}))
        if params.get("dims") == "1d":
            steps.append(Step("1-D", "The sequences are traced as images of height 1 (H = 1, kernels 1×k); the "
                                     "shapes above drop that axis: (C, L) feature maps, (C_out, C_in, k) weights."))
        if params.get("weight", "out_in") == "in_out":
            shapes = {k: v for k, v in _written(project(full), params).items() if k.endswith(".weight_shape")}
            steps.append(Step("Weight layout", "The weight shapes above are as PyTorch stores them: (out, in), "
                                               "(C_out, C_in, k_h, k_w). This problem writes them as Keras and "
                                               "TensorFlow do: (in, out), (k_h, k_w, C_in, C_out): "
                              + "; ".join(f"{k.rsplit('.', 1)[0]} {v}" for k, v in shapes.items()), values=shapes))
        return Solution(_written(project(full), params), steps)

    def mistakes(params: Mapping[str, Any]) -> list[Mistake]:
        full = _scoped(_full_answers(trace(params["layers"], params["input"]), params["input"]), params)
        right = _written(project(full), params)
        found: list[Mistake] = []

        def add(mid: str, message: str, answers: Mapping[str, Any]) -> None:
            changed = {k: v for k, v in answers.items() if k in right and differs(v, right[k])}
            if changed:
                found.append(Mistake(mid, message, changed))

        for mid, message, switches, affects in _RETRACED:
            try:
                rows = trace(params["layers"], params["input"], **switches)
            except ParamError:  # the mistaken network does not fit together: nobody gets there
                continue
            retraced = _scoped(_full_answers(rows, params["input"]), params)
            add(mid, message, {k: v for k, v in _written(project(retraced), params).items() if affects(k)})
        every_bias = _full_answers(trace(params["layers"], params["input"], bias="all"), params["input"])
        add("bias_counted", "This matches counting the biases too; this part counts weights only.",
            {k: every_bias[k + "_with_bias"] for k in right if k.rsplit(".", 1)[-1] == "params"})
        add("bias_omitted", "This matches leaving out the biases; this part counts them.",
            {k: full[k.removesuffix("_with_bias")] for k in right if k.endswith("params_with_bias")})
        if params.get("weight", "out_in") == "in_out":  # (the default's other layout is named as transposed)
            add("weight_layout", "This is the weight's shape as PyTorch stores it, (out, in) or (C_out, C_in, k_h, "
                                 "k_w); the problem writes weights as Keras does: (in, out), (k_h, k_w, C_in, C_out).",
                {k: v for k, v in _written(project(full), params, "out_in").items() if k.endswith(".weight_shape")})
        n = _batch(params)
        if n > 1:
            other = "per_image" if params["macs"] == "per_batch" else "per_batch"
            scoped = _scoped(_full_answers(trace(params["layers"], params["input"]), params["input"]),
                             {**params, "macs": other})
            add("scope", f"This is the count {other.replace('_', ' ')} ({n} images in the batch); the question asks "
                         f"{params['macs'].replace('_', ' ')}.", {k: v for k, v in project(scoped).items() if _is_macs(k)})
        return found

    def carry(params: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
        """Every answer with the layers after one traced from the output shape the student gave for it."""
        one_d = params.get("dims") == "1d"
        carried = {}
        for key, value in given.items():
            name, _, what = key.rpartition(".")
            if what == "output_shape":
                shape = tuple(int(v) for v in value)
                if one_d and len(shape) == len(params["input"]) - 1:  # (C, L) as traced: (C, 1, L)
                    shape = (*shape[:-1], 1, shape[-1])
                carried[name] = shape
        rows = trace(params["layers"], params["input"], carried=carried)
        return _written(project(_scoped(_full_answers(rows, params["input"]), params)), params)

    def depends(params: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
        """A weighted layer's answers are traced from the output shape of the weighted layer before it (the
        pools and flattens between are no parts); the totals from every layer (left undeclared: all earlier)."""
        graph: dict[str, tuple[str, ...]] = {}
        before: tuple[str, ...] = ()
        for layer in params["layers"]:
            if layer.weighted:
                graph.update({f"{layer.name}.{key}": before for key in LAYER_KEYS})
                before = (f"{layer.name}.output_shape",)
        return graph

    def validate(params: Mapping[str, Any]) -> dict[str, Any]:
        from gradekit.plugin import choice

        dims = choice(params, "dims", DIMS) if "dims" in params else _guess_dims(params)
        raw = {k: v for k, v in params.items() if k not in ("macs", "dims", "weight")}
        out = dict(validator(types)(_as_2d(raw) if dims == "1d" else raw))
        out["macs"] = choice(params, "macs", SCOPES, default="per_image")
        out["dims"] = dims
        out["weight"] = choice(params, "weight", WEIGHTS, default="out_in")
        return out

    ids = tuple(mid for mid, _, _, _ in _RETRACED) + ("bias_counted", "bias_omitted")
    conventions = ("dims = '2d' (or '1d'): images [C, H, W] / [N, C, H, W], or sequences [C, L] / [N, C, L]; an "
                   "input such as [1, 24, 128] must say which",)
    return Family(name, solve, validate=validate, mistakes=mistakes, mistake_ids=ids + ("scope", "weight_layout"),
                  conventions=conventions, carry=carry, depends=depends, params=(
        Param("input", "sizes", "the input's shape: [C, H, W] or [N, C, H, W]"),
        Param("layers", "tables", f"the layers in order, [[params.layers]] each with a type ({', '.join(types)}) "
                                  "and its sizes"),
        Param("bias", "bool", "whether the layers have biases (a layer's own bias overrides it)", default=True),
        Param("dims", "choice", "2d: the input is [C, H, W] or [N, C, H, W] (images); 1d: [C, L] or [N, C, L] "
                                "(sequences, kernels of one size)", default=OPTIONAL, options=DIMS,
              default_note="2d, unless the input reads as an image only by a guess ([1, 24, 128]): then say which"),
        Param("macs", "choice", "whether MACs are counted per image or for the whole batch N of the input",
              default="per_image", options=SCOPES),
        Param("weight", "choice", "how a weight's shape is written: as PyTorch stores it, linear (out, in) and conv "
                                  "(C_out, C_in, k_h, k_w); or as Keras/TensorFlow, (in, out) and (k_h, k_w, C_in, "
                                  "C_out)", default="out_in", options=WEIGHTS),
    ))


FAMILIES = [
    _make("counting.conv", CONV_TYPES, ("output_shape", "weight_shape", "params", "params_with_bias"),
          ("params", "params_with_bias")),
    _make("counting.block", CONV_TYPES, ("output_shape", "params", "macs"),
          ("params", "params_with_bias", "macs", "memory_in", "memory_out", "memory_change")),
    _make("counting.layers", TYPES, LAYER_KEYS, ("params", "params_with_bias", "macs")),
    _make("counting.network", TYPES, ("params", "params_with_bias"), ("params", "params_with_bias", "macs")),
]

"""Layer descriptions shared by the conv and counting families.

A network is described in a spec's params as an input shape and a list of
layer tables::

    input = [1, 3, 32, 32]        # (N, C, H, W), or (C, H, W) without a batch
    [[params.layers]]
    type = "conv"                 # conv | maxpool | avgpool | flatten | linear
    name = "conv1"                # optional: conv1, conv2 ..., fc1, fc2 ...
    out = 16                      # output channels (conv) or features (linear)
    kernel = 5                    # int or [k_h, k_w]
    padding = 2                   # default 0
    stride = 1                    # default 1 (pools: the kernel)
    bias = true                   # default: params.bias, else true

``trace`` walks the layers and returns one ``Row`` per layer: input, output
and weight shapes, weight and bias counts and MACs, by the course conventions
(conv MACs = H_out·W_out·k_h·k_w·C_in·C_out, linear MACs = in·out, both per
example and without the bias additions).

>>> rows = trace(parse_layers([{"type": "conv", "out": 4, "kernel": 3}]), (1, 5, 5))
>>> rows[0].output_shape, rows[0].weights, rows[0].macs
((4, 3, 3), 36, 324)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Mapping, Sequence

import numpy as np

from gradekit.plugin import boolean, ParamError, Step

TYPES = ("conv", "maxpool", "avgpool", "flatten", "linear")
_KEYS = {
    "conv": {"type", "name", "in", "out", "kernel", "stride", "padding", "bias"},
    "maxpool": {"type", "name", "kernel", "stride", "padding"},
    "avgpool": {"type", "name", "kernel", "stride", "padding"},
    "flatten": {"type", "name"},
    "linear": {"type", "name", "in", "out", "bias"},
}
_PREFIX = {"conv": "conv", "maxpool": "pool", "avgpool": "pool", "flatten": "flatten", "linear": "fc"}


def out_size(n: int, k: int, p: int, s: int) -> int:
    """Output length of a conv or pool along one axis: ⌊(n + 2p − k)/s⌋ + 1."""
    return (n + 2 * p - k) // s + 1


def ints(value: Any, field: str, n: int, low: int) -> tuple[int, ...]:
    """An int (repeated ``n`` times) or a list of ``n`` ints, each at least ``low``."""
    items = [value] * n if not isinstance(value, (list, tuple)) else list(value)
    if len(items) != n or any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) for v in items):
        raise ParamError(field, f"is {value!r}, but must be an integer or a list of {n} integers")
    if any(v < low for v in items):
        raise ParamError(field, f"is {value!r}, but every entry must be at least {low}")
    return tuple(int(v) for v in items)


@dataclass(frozen=True)
class Layer:
    """One validated layer table; ``index`` is its position in ``params.layers``."""

    index: int
    type: str
    name: str
    out: int = 0
    kernel: tuple[int, int] = (1, 1)
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int] = (0, 0)
    bias: bool = False
    declared_in: int | None = None  # the spec's optional "in", checked against the traced shape

    @property
    def field(self) -> str:
        return f"layers[{self.index}]"

    @property
    def weighted(self) -> bool:
        return self.type in ("conv", "linear")

    def describe(self) -> str:
        kh, kw = self.kernel
        if self.type == "conv":
            return f"conv {kh}×{kw}, {self.out} filters, stride {_pair_text(self.stride)}, padding {_pair_text(self.padding)}"
        if self.type in ("maxpool", "avgpool"):
            return f"{self.type} {kh}×{kw}, stride {_pair_text(self.stride)}, padding {_pair_text(self.padding)}"
        if self.type == "linear":
            return f"linear, {self.out} outputs"
        return "flatten"


def _pair_text(v: tuple[int, int]) -> str:
    return str(v[0]) if v[0] == v[1] else f"{v[0]}×{v[1]}"


def parse_input(params: Mapping[str, Any], name: str = "input") -> tuple[int, ...]:
    """``input``: (C, H, W) or (N, C, H, W), positive integers."""
    if name not in params:
        raise ParamError(name, "is missing")
    value = params[name]
    if not isinstance(value, (list, tuple)) or len(value) not in (3, 4):
        raise ParamError(name, f"is {value!r}, but must be [C, H, W] or [N, C, H, W]")
    return ints(value, name, len(value), 1)


def parse_layers(
    raw: Any, types: Sequence[str] = TYPES, bias_default: bool = True, field: str = "layers"
) -> tuple[Layer, ...]:
    """Validate ``params.layers`` (a list of tables) into ``Layer`` objects."""
    if not isinstance(raw, list) or not raw or not all(isinstance(t, dict) for t in raw):
        raise ParamError(field, "must be a non-empty list of layer tables ([[params.layers]])")
    counts: dict[str, int] = {}
    layers: list[Layer] = []
    for i, t in enumerate(raw):
        where = f"{field}[{i}]"
        kind = t.get("type")
        if kind not in types:
            allowed = ", ".join(repr(x) for x in types)
            raise ParamError(f"{where}.type", f"is {kind!r}, but only {allowed} are valid here")
        unknown = sorted(set(t) - _KEYS[kind])
        if unknown:
            raise ParamError(f"{where}", f"has unknown key(s) {unknown}; a {kind} layer takes {sorted(_KEYS[kind])}")
        prefix = _PREFIX[kind]
        counts[prefix] = counts.get(prefix, 0) + 1
        name = t.get("name", f"{prefix}{counts[prefix]}")
        if not isinstance(name, str) or not name or any(c.isspace() or c == "." for c in name):
            raise ParamError(f"{where}.name", f"is {name!r}, but must be a non-empty string without spaces or dots")
        if any(layer.name == name for layer in layers):
            raise ParamError(f"{where}.name", f"is {name!r}, but another layer already has that name")
        layer = Layer(index=i, type=kind, name=name)
        if kind in ("conv", "linear"):
            bias = t.get("bias", bias_default)
            if not isinstance(bias, bool):
                raise ParamError(f"{where}.bias", f"is {bias!r}, but must be true or false")
            declared = ints(t["in"], f"{where}.in", 1, 1)[0] if "in" in t else None
            if "out" not in t:
                raise ParamError(f"{where}.out", "is missing")
            out = ints(t["out"], f"{where}.out", 1, 1)[0]
            layer = replace(layer, out=out, bias=bias, declared_in=declared)
        if kind in ("conv", "maxpool", "avgpool"):
            if "kernel" not in t:
                raise ParamError(f"{where}.kernel", "is missing")
            kernel = ints(t["kernel"], f"{where}.kernel", 2, 1)
            default_stride = 1 if kind == "conv" else kernel
            stride = ints(t.get("stride", default_stride), f"{where}.stride", 2, 1)
            padding = ints(t.get("padding", 0), f"{where}.padding", 2, 0)
            if kind != "conv" and any(2 * p > k for p, k in zip(padding, kernel)):
                raise ParamError(f"{where}.padding", f"is {padding}, but a pool's padding must be at most half its kernel {kernel}")
            layer = replace(layer, kernel=kernel, stride=stride, padding=padding)
        layers.append(layer)
    return tuple(layers)


@dataclass(frozen=True)
class Row:
    """One traced layer: shapes (with the batch axis when the input has one) and counts."""

    layer: Layer
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    weight_shape: tuple[int, ...] | None = None
    weights: int = 0
    biases: int = 0
    macs: int = 0
    padding: tuple[int, int] = (0, 0)  # as used (a mistake model may drop it)
    stride: tuple[int, int] = (1, 1)
    factors: tuple[int, ...] = ()  # the factors of the weight count, as counted

    @property
    def name(self) -> str:
        return self.layer.name

    @property
    def params_with_bias(self) -> int:
        return self.weights + self.biases


def trace(
    layers: Sequence[Layer],
    input_shape: tuple[int, ...],
    *,
    padding: bool = True,
    stride: bool = True,
    channels: bool = True,
    filters: bool = True,
    bias: str = "as_given",
    carried: Mapping[str, tuple[int, ...]] | None = None,
) -> list[Row]:
    """Walk the layers from ``input_shape``; raise ParamError where a layer does not fit.

    The keyword switches are the mistake models: ``padding=False`` drops the
    convs' zero padding, ``stride=False`` slides convs with stride 1,
    ``channels=False`` counts a filter as one input channel deep,
    ``filters=False`` counts one conv filter's weights, ``bias`` is "as_given",
    "all" (every conv/linear has biases) or "none". ``carried`` maps a layer's name to the output shape a
    student gave for it: the layers after it are traced from that shape (carried-forward credit).
    """
    carried = carried or {}
    batch = input_shape[:1] if len(input_shape) == 4 else ()
    shape = tuple(input_shape)
    rows: list[Row] = []
    for layer in layers:
        feat = shape[len(batch):]
        label = f"({layer.type} {layer.name!r})"
        if layer.type in ("conv", "maxpool", "avgpool"):
            if len(feat) != 3:
                raise ParamError(layer.field, f"{label} needs a (C, H, W) feature map, but gets shape {shape}")
            c, h, w = feat
            is_conv = layer.type == "conv"
            pad = layer.padding if (padding or not is_conv) else (0, 0)
            step = layer.stride if (stride or not is_conv) else (1, 1)
            for n, k, p, axis in zip((h, w), layer.kernel, pad, ("height", "width")):
                if n + 2 * p < k:
                    raise ParamError(
                        f"{layer.field}.kernel",
                        f"{label} is {k} along the {axis}, but the padded input is only {n} + 2·{p} = {n + 2 * p}",
                    )
            ho, wo = (out_size(n, k, p, s) for n, k, p, s in zip((h, w), layer.kernel, pad, step))
            if not is_conv:
                rows.append(Row(layer, shape, batch + (c, ho, wo), padding=pad, stride=step))
                shape = tuple(carried.get(layer.name, rows[-1].output_shape))
                continue
            if layer.declared_in is not None and layer.declared_in != c:
                raise ParamError(f"{layer.field}.in", f"is {layer.declared_in}, but {layer.name}'s input has {c} channels")
            kh, kw = layer.kernel
            factors = (layer.out if filters else 1, c if channels else 1, kh, kw)
            weights = math.prod(factors)
            macs = ho * wo * weights
            out_shape = batch + (layer.out, ho, wo)
            weight_shape = (layer.out, c, kh, kw)
        elif layer.type == "flatten":
            rows.append(Row(layer, shape, batch + (math.prod(feat),)))
            shape = tuple(carried.get(layer.name, rows[-1].output_shape))
            continue
        else:  # linear
            if len(feat) != 1:
                raise ParamError(layer.field, f"{label} needs a flat input, but gets shape {shape}: add a flatten layer before it")
            (n_in,) = feat
            if layer.declared_in is not None and layer.declared_in != n_in:
                raise ParamError(f"{layer.field}.in", f"is {layer.declared_in}, but {layer.name}'s input has {n_in} features")
            factors = (layer.out, n_in)
            weights = math.prod(factors)
            macs = weights
            out_shape = batch + (layer.out,)
            weight_shape = (layer.out, n_in)
            pad, step = (0, 0), (1, 1)
        has_bias = {"as_given": layer.bias, "all": True, "none": False}[bias]
        rows.append(
            Row(layer, shape, out_shape, weight_shape, weights, layer.out if has_bias else 0, macs, pad, step, factors)
        )
        shape = tuple(carried.get(layer.name, out_shape))
    return rows


def validator(types: Sequence[str] = TYPES):
    """A ``validate(params)`` for a family described by ``input``, ``layers`` and ``bias``."""

    def validate(params: Mapping[str, Any]) -> dict[str, Any]:
        bias = boolean(params, "bias", default=True)
        shape = parse_input(params)
        layers = parse_layers(params.get("layers"), types, bias)
        trace(layers, shape)  # every layer must fit its input
        return {"input": shape, "layers": layers, "bias": bias}

    return validate


_CDOT = r" \cdot "


def _mul(factors: Sequence[int], sep: str) -> str:
    return sep.join(str(f) for f in factors)


def layer_step(row: Row) -> Step:
    """The worked step of one layer: its output size, weight shape, #param and #MAC."""
    layer = row.layer
    text = [f"{layer.name} ({layer.describe()}): input {row.input_shape}"]
    latex = []
    if layer.type in ("conv", "maxpool", "avgpool"):
        h, w = row.input_shape[-2:]
        ho, wo = row.output_shape[-2:]
        for axis, n, k, p, s, o in zip(("H", "W"), (h, w), layer.kernel, row.padding, row.stride, (ho, wo)):
            text.append(f"{axis}_out = floor(({n} + 2·{p} − {k})/{s}) + 1 = {o}")
            latex.append(
                rf"{axis}_{{out}} = \left\lfloor \frac{{{n} + 2\cdot {p} - {k}}}{{{s}}} \right\rfloor + 1 = {o}"
            )
    elif layer.type == "flatten":
        text.append(f"flattened to {_mul(row.input_shape[-3:], '·')} = {row.output_shape[-1]} features")
        latex.append(rf"{_mul(row.input_shape[-3:], _CDOT)} = {row.output_shape[-1]}")
    text.append(f"output {row.output_shape}")
    if row.weight_shape is not None:
        text.append(f"weight {row.weight_shape}, #param = {_mul(row.factors, '·')} = {row.weights}")
        latex.append(rf"\#\text{{param}} = {_mul(row.factors, _CDOT)} = {row.weights}")
        if row.biases:
            text.append(f"with the {row.biases} biases {row.weights} + {row.biases} = {row.params_with_bias}")
            latex.append(rf"\#\text{{param}}_{{+b}} = {row.weights} + {row.biases} = {row.params_with_bias}")
        if layer.type == "conv":  # H_out·W_out·k_h·k_w·C_in·C_out
            c_out, c_in, kh, kw = row.factors
            mac_factors = (*row.output_shape[-2:], kh, kw, c_in, c_out)
        else:  # in·out
            mac_factors = row.factors[::-1]
        text.append(f"#MAC = {_mul(mac_factors, '·')} = {row.macs}")
        latex.append(rf"\#\text{{MAC}} = {_mul(mac_factors, _CDOT)} = {row.macs}")
    values: dict[str, Any] = {"input_shape": row.input_shape, "output_shape": row.output_shape}
    if row.weight_shape is not None:
        values.update(weight_shape=row.weight_shape, params=row.weights, macs=row.macs)
        if row.biases:  # without biases the count with them is the same number: not shown twice
            values["params_with_bias"] = row.params_with_bias
    return Step(layer.name, "; ".join(text), r",\quad ".join(latex), values)

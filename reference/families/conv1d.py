"""A 1-D convolution's output values: one channel, or several in and out (as torch.nn.Conv1d).

Conventions (each a parameter, stated in ``gradekit family NAME`` and in the worked steps): the kernel
slides as it is, cross-correlation as ``torch.nn.functional.conv1d`` (``mode = "cross_correlation"``, the
default), or flipped first (``"convolution"``, as ``numpy.convolve``); zeros are added on both ends
(``padding``); the output length is ⌊(L + 2p − k)/s⌋ + 1, the same formula as ``conv.output_shape`` with one
axis, and the MACs are L_out·k·C_in·C_out without the bias additions, as the counting families count them::

    y_o[j] = Σ_c Σ_r x_pad_c[s·j + r] · K_(o,c)[r] + b_o        j = 0 … L_out − 1

>>> fam = FAMILIES[0]
>>> fam.solve(fam.check({"input": [1, 2, 3, 4], "kernel": [1, 0, -1]})).answers["output"].tolist()
[-2.0, -2.0]
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from gradekit.plugin import (
    array, changed, choice, Family, fmt, integer, matrix, Mistake, number, OPTIONAL, Param, ParamError, Solution,
    Step, tex, text, vector,
)


MODES = ("cross_correlation", "convolution")
_MODE_MEANING = ("cross_correlation slides the kernel as it is (torch.nn.functional.conv1d); convolution flips "
                 "it end to end first (numpy.convolve)")


def _common(params: Mapping[str, Any], x: np.ndarray, k: np.ndarray, bias: np.ndarray) -> dict[str, Any]:
    """The fields both families share, ``x`` as (C_in, L) and ``k`` as (C_out, C_in, K)."""
    pad = integer(params, "padding", low=0, default=0)
    stride = integer(params, "stride", low=1, default=1)
    mode = choice(params, "mode", MODES, default="cross_correlation")
    if k.shape[2] > x.shape[1] + 2 * pad:
        raise ParamError("kernel", f"has length {k.shape[2]}, but the padded input is only {x.shape[1]} + 2·{pad} = "
                                   f"{x.shape[1] + 2 * pad} long")
    return {"input": x, "kernel": k, "bias": bias, "padding": pad, "stride": stride, "mode": mode}


def validate_single(params: Mapping[str, Any]) -> dict[str, Any]:
    x, k = vector(params, "input"), vector(params, "kernel")
    return {**_common(params, x[None], k[None, None], np.array([number(params, "bias", default=0.0)])),
            "channels": False}


def validate_channels(params: Mapping[str, Any]) -> dict[str, Any]:
    x = matrix(params, "input")
    k = array(params, "kernel", ndim=3)
    if k.shape[1] != x.shape[0]:
        raise ParamError("kernel", f"has shape {k.shape} (C_out, C_in, k), but the input has {x.shape[0]} channels "
                                   f"(rows), so C_in must be {x.shape[0]}")
    bias = vector(params, "bias", k.shape[0], needs=f"one per output channel ({k.shape[0]})",
                  default=np.zeros(k.shape[0]))
    return {**_common(params, x, k, bias), "channels": True}


def _slide(p: Mapping[str, Any], mode: str | None = None, pad: int | None = None, stride: int | None = None,
           bias: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The padded input (C_in, L + 2p), the kernels as slid (flipped for convolution) and the output
    (C_out, L_out); the keywords are the mistake models."""
    x, k = p["input"], p["kernel"]
    pad = p["padding"] if pad is None else pad
    step = p["stride"] if stride is None else stride
    used = k[:, :, ::-1] if (mode or p["mode"]) == "convolution" else k
    padded = np.pad(x, [(0, 0), (pad, pad)])
    windows = sliding_window_view(padded, used.shape[2], axis=1)[:, ::step, :]  # (C_in, L_out, K)
    y = np.einsum("cjr,ocr->oj", windows, used) + (p["bias"][:, None] if bias else 0.0)
    return padded, used, y


def _answers(p: Mapping[str, Any], y: np.ndarray) -> dict[str, Any]:
    c_out, c_in, size = p["kernel"].shape
    answers: dict[str, Any] = {"output": y if p["channels"] else y[0],
                               "shape": tuple(y.shape) if p["channels"] else (y.shape[1],),
                               "macs": y.shape[1] * size * c_in * c_out}
    if p["channels"]:
        answers["params"] = c_out * c_in * size
    return answers


def solve(p: Mapping[str, Any]) -> Solution:
    padded, used, y = _slide(p)
    answers = _answers(p, y)
    c_out, c_in, size = p["kernel"].shape
    n, pad, s = p["input"].shape[1], p["padding"], p["stride"]
    n_out = y.shape[1]
    how = ("as it is (cross-correlation, as torch.nn.functional.conv1d)" if p["mode"] == "cross_correlation"
           else "flipped end to end first (convolution, as numpy.convolve)")
    what = (f"{c_in} input channel(s) of length {n}, {c_out} output channel(s); each kernel" if p["channels"]
            else f"an input of length {n}, a kernel of length {size}; the kernel")
    steps = [Step("Conventions", f"{what} slides {how}; padding {pad} on each end, stride {s}")]
    if p["mode"] == "convolution":
        if p["channels"]:
            flipped = "; ".join(f"K'_({o + 1},{c + 1}) = {text(used[o, c])}" for o in range(c_out) for c in range(c_in))
            steps.append(Step("Flip the kernels", f"each reversed end to end: {flipped}", values={"flipped_kernel": used}))
        else:
            steps.append(Step("Flip the kernel", f"reversed end to end: K' = {text(used[0, 0])}",
                              rf"K' = {tex(used[0, 0])}", {"flipped_kernel": used[0, 0]}))
    if pad:
        shown = padded if p["channels"] else padded[0]
        steps.append(Step("Pad the input", f"{pad} zero(s) on each end: x_pad = {text(shown)}",
                          rf"x_{{pad}} = {tex(shown)}", {"padded": shown}))
    steps.append(Step("Output length", f"L_out = floor(({n} + 2·{pad} − {size})/{s}) + 1 = {n_out}",
                      rf"L_{{out}} = \left\lfloor \frac{{{n} + 2\cdot{pad} - {size}}}{{{s}}} \right\rfloor + 1 = {n_out}",
                      {"shape": answers["shape"]}))
    # one entry in full: output channel 1, position 0, every term that is not 0
    terms = [f"({fmt(padded[c, r])})·({fmt(used[0, c, r])})" for c in range(c_in) for r in range(size)
             if padded[c, r] and used[0, c, r]]
    first = " + ".join(terms) or "0"
    if p["bias"][0]:
        first += f" + {fmt(p['bias'][0])}"
    formula = "y_o[j] = Σ_c Σ_r x_pad_c[s·j + r]·K'_(o,c)[r] + b_o" if p["channels"] else \
        "y[j] = Σ_r x_pad[s·j + r]·K'[r] + b"
    first_name = "y_1[0]" if p["channels"] else "y[0]"
    steps.append(Step("Slide the kernel", f"{formula}, s = {s}; e.g. {first_name} = {first} = {fmt(y[0, 0])}. "
                                          f"y = {text(answers['output'])}",
                      rf"y_{{o}}[j] = \sum_{{c}} \sum_{{r}} x_{{pad,c}}[{s}j + r]\, K'_{{o,c}}[r] + b_o,\quad "
                      rf"y = {tex(answers['output'])}", {"output": answers["output"]}))
    macs = f"#MAC = L_out·k·C_in·C_out = {n_out}·{size}·{c_in}·{c_out} = {answers['macs']}"
    values = {"macs": answers["macs"]}
    if p["channels"]:
        macs = f"#param = C_out·C_in·k = {c_out}·{c_in}·{size} = {answers['params']} (without the {c_out} biases); " \
               + macs
        values["params"] = answers["params"]
    steps.append(Step("Counts", macs + " (the bias additions not counted)", values=values))
    return Solution(answers, steps)


def mistakes(p: Mapping[str, Any]) -> list[Mistake]:
    right = _answers(p, _slide(p)[2])
    other = "convolution" if p["mode"] == "cross_correlation" else "cross_correlation"
    models = [("kernel_flipped" if other == "convolution" else "cross_correlation",
               f"This matches sliding the kernel {'after' if other == 'convolution' else 'without'} flipping it; "
               f"the problem uses {p['mode'].replace('_', '-')}.", {"mode": other})]
    if any(p["bias"]):
        models.append(("bias_omitted", "This matches leaving out the bias.", {"bias": False}))
    if p["padding"] and p["kernel"].shape[2] <= p["input"].shape[1]:
        models.append(("wrong_padding", "This matches leaving out the zero padding.", {"pad": 0}))
    if p["stride"] > 1:
        models.append(("stride_ignored", "This matches sliding the kernel one step at a time; mind the stride.",
                       {"stride": 1}))
    found = (changed(mid, message, _answers(p, _slide(p, **switches)[2]), right) for mid, message, switches in models)
    return [m for m in found if m]


def accept(p: Mapping[str, Any]) -> bool:
    """A fair variant: an output that is not all zeros (else a student who leaves it blank is right)."""
    return bool(np.any(_slide(p)[2] != 0))


_IDS = ("kernel_flipped", "cross_correlation", "bias_omitted", "wrong_padding", "stride_ignored")
_PADDING = Param("padding", "integer", "zeros added on each end of the input", default=0)
_STRIDE = Param("stride", "integer", "the kernel's step", default=1)
_MODE = Param("mode", "choice", _MODE_MEANING, default="cross_correlation", options=MODES)

FAMILIES = [
    Family("conv1d.output", solve, validate=validate_single, mistakes=mistakes, accept=accept, mistake_ids=_IDS,
           params=(
               Param("input", "vector", "the input sequence x", shape="L"),
               Param("kernel", "vector", "the kernel K", shape="k"),
               Param("bias", "number", "the bias added to every output", default=0.0),
               _PADDING, _STRIDE, _MODE,
           )),
    Family("conv1d.channels", solve, validate=validate_channels, mistakes=mistakes, accept=accept, mistake_ids=_IDS,
           params=(
               Param("input", "matrix", "the input, one row per input channel", shape="C_in×L"),
               Param("kernel", "tensor", "the kernels, one per output and input channel (as nn.Conv1d's weight)",
                     shape="C_out×C_in×k"),
               Param("bias", "vector", "one bias per output channel", shape="C_out", default=OPTIONAL,
                     default_note="0 for every output channel"),
               _PADDING, _STRIDE, _MODE,
           )),
]

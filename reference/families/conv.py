"""Convolution by hand: a 2-D output, output sizes, and kernel sizes that fit.

Conventions (stated in every spec): output size per axis is
⌊(n + 2p − k)/s⌋ + 1; "convolution" rotates the kernel by 180° before sliding
it (as ``scipy.signal.convolve2d``), "cross_correlation" slides it as it is (as
``torch.nn.functional.conv2d``).

>>> sol = solve_conv2d(_validate_conv2d({"input": [[1, 2], [3, 4]], "kernel": [[1, 0], [0, 0]]}))
>>> sol.answers["output"].tolist()
[[4.0]]
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from gradekit.plugin import (
    choice, differs, Family, fmt, integer, matrix, Mistake, OPTIONAL, Param, ParamError, Solution, Step, table,
    tex, text,
)

from ._layers import ints, out_size

MODES = ("convolution", "cross_correlation")

# ---------------------------------------------------------------- conv2d.output


def _validate_conv2d(params: Mapping[str, Any]) -> dict[str, Any]:
    x = matrix(params, "input")
    k = matrix(params, "kernel")
    pad = ints(params.get("padding", 0), "padding", 2, 0)
    stride = ints(params.get("stride", 1), "stride", 2, 1)
    mode = choice(params, "mode", MODES, default="convolution")
    padded = tuple(n + 2 * p for n, p in zip(x.shape, pad))
    if any(kk > n for kk, n in zip(k.shape, padded)):
        raise ParamError("kernel", f"has shape {k.shape}, but must fit in the padded input of shape {padded}")
    return {"input": x, "kernel": k, "padding": pad, "stride": stride, "mode": mode}


def _slide(x: np.ndarray, k: np.ndarray, pad: tuple[int, int], stride: tuple[int, int]):
    """Zero-pad ``x``, then the windows under each kernel position and the output."""
    padded = np.pad(x, [(pad[0], pad[0]), (pad[1], pad[1])])
    windows = sliding_window_view(padded, k.shape)[:: stride[0], :: stride[1]]
    return padded, windows, np.einsum("ijab,ab->ij", windows, k)


def solve_conv2d(params: Mapping[str, Any]) -> Solution:
    x, k, pad, stride, mode = (params[n] for n in ("input", "kernel", "padding", "stride", "mode"))
    steps = []
    if mode == "convolution":
        used = k[::-1, ::-1]
        steps.append(Step(
            "Flip the kernel",
            f"Convolution rotates the kernel by 180° before sliding it: K' = {text(used)}",
            rf"K' = \operatorname{{rot}}_{{180}}(K) = {tex(used)}",
            {"flipped_kernel": used},
        ))
    else:
        used = k
        steps.append(Step("Use the kernel as it is", f"Cross-correlation slides K = {text(k)} unflipped", rf"K' = K = {tex(k)}"))
    padded, windows, y = _slide(x, used, pad, stride)
    steps.append(Step(
        "Pad the input",
        f"Add {pad[0]} row(s) of zeros above and below and {pad[1]} column(s) left and right: X_pad = {text(padded)}",
        rf"X_{{pad}} = {tex(padded)}",
        {"padded": padded},
    ))
    sizes = [out_size(n, kk, p, s) for n, kk, p, s in zip(x.shape, k.shape, pad, stride)]
    steps.append(Step(
        "Output size",
        "; ".join(f"{a}_out = floor(({n} + 2·{p} − {kk})/{s}) + 1 = {o}"
                  for a, n, kk, p, s, o in zip("HW", x.shape, k.shape, pad, stride, sizes)),
        r",\quad ".join(rf"{a}_{{out}} = \left\lfloor \frac{{{n} + 2\cdot{p} - {kk}}}{{{s}}} \right\rfloor + 1 = {o}"
                        for a, n, kk, p, s, o in zip("HW", x.shape, k.shape, pad, stride, sizes)),
        {"shape": tuple(sizes)},
    ))
    # show one entry in full: the first whose window meets a non-zero weight
    i, j = next(((i, j) for i, j in np.ndindex(y.shape) if np.any(windows[i, j] * used)), (0, 0))
    first = " + ".join(f"({fmt(a)})·({fmt(b)})" for a, b in zip(windows[i, j].ravel(), used.ravel()) if a and b) or "0"
    steps.append(Step(
        "Slide the kernel",
        f"Y[i, j] = Σ_a Σ_b X_pad[{stride[0]}i + a, {stride[1]}j + b]·K'[a, b]; "
        f"e.g. Y[{i}, {j}] = {first} = {fmt(y[i, j])}. Y = {text(y)}",
        rf"Y_{{ij}} = \sum_{{a,b}} X_{{pad}}[{stride[0]}i + a, {stride[1]}j + b]\, K'_{{ab}},\quad Y = {tex(y)}",
        {"output": y},
    ))
    return Solution({"output": y}, steps)


def mistakes_conv2d(params: Mapping[str, Any]) -> list[Mistake]:
    x, k, pad, stride, mode = (params[n] for n in ("input", "kernel", "padding", "stride", "mode"))
    right = solve_conv2d(params).answers["output"]
    used = k[::-1, ::-1] if mode == "convolution" else k
    candidates = []
    if mode == "convolution":
        candidates.append(("cross_correlation", "This matches sliding the kernel without flipping it (cross-correlation); "
                           "convolution rotates the kernel by 180° first.", k, pad, stride))
    else:
        candidates.append(("kernel_flipped", "This matches flipping the kernel (true convolution); "
                           "this problem asks for cross-correlation, which slides the kernel as it is.", k[::-1, ::-1], pad, stride))
    if any(pad) and all(kk <= n for kk, n in zip(k.shape, x.shape)):
        candidates.append(("wrong_padding", "This matches leaving out the zero padding.", used, (0, 0), stride))
    if any(s > 1 for s in stride):
        candidates.append(("stride_ignored", "This matches sliding the kernel one step at a time; mind the stride.", used, pad, (1, 1)))
    found = []
    for mid, message, kernel, p, s in candidates:
        y = _slide(x, kernel, p, s)[2]
        if differs(y, right):
            found.append(Mistake(mid, message, {"output": y}))
    return found


# ------------------------------------------------------------ conv.output_shape


def _validate_shape(params: Mapping[str, Any]) -> dict[str, Any]:
    size = params.get("input")
    if not isinstance(size, list) or not 1 <= len(size) <= 3:
        raise ParamError("input", f"is {size!r}, but must be a list of 1 to 3 spatial sizes, e.g. [10, 12]")
    n = len(size)
    out = {
        "input": ints(size, "input", n, 1),
        "kernel": ints(params.get("kernel"), "kernel", n, 1),
        "padding": ints(params.get("padding", 0), "padding", n, 0),
        "stride": ints(params.get("stride", 1), "stride", n, 1),
    }
    for i, (m, k, p) in enumerate(zip(out["input"], out["kernel"], out["padding"])):
        if k > m + 2 * p:
            raise ParamError("kernel", f"is {k} along axis {i}, but the padded input is only {m} + 2·{p} = {m + 2 * p}")
    return out


# Mistaken output-size formulas, as (id, message, formula); the right one is out_size.
_PADDING_ONCE = ("wrong_padding", "This matches adding the padding on one side only; it is added on both sides.",
                 lambda n, k, p, s: (n + p - k) // s + 1)
_PADDING_NONE = ("wrong_padding", "This matches leaving out the zero padding.", lambda n, k, p, s: (n - k) // s + 1)
_NO_PLUS_ONE = ("plus_one_forgotten", "This matches the size formula without its final +1 (the first kernel position).",
                lambda n, k, p, s: (n + 2 * p - k) // s)


def _shape(params: Mapping[str, Any], size: Callable[[int, int, int, int], int]) -> tuple[int, ...]:
    return tuple(size(n, k, p, s) for n, k, p, s in zip(*(params[f] for f in ("input", "kernel", "padding", "stride"))))


def solve_shape(params: Mapping[str, Any]) -> Solution:
    shape = _shape(params, out_size)
    axes = ("H", "W", "D")[: len(shape)] if len(shape) > 1 else ("n",)
    fields = list(zip(axes, params["input"], params["kernel"], params["padding"], params["stride"], shape))
    step = Step(
        "Output size per axis",
        "; ".join(f"{a}_out = floor(({n} + 2·{p} − {k})/{s}) + 1 = {o}" for a, n, k, p, s, o in fields)
        + f", so the output is {' × '.join(str(o) for o in shape)}",
        r",\quad ".join(rf"{a}_{{out}} = \left\lfloor \frac{{{n} + 2\cdot{p} - {k}}}{{{s}}} \right\rfloor + 1 = {o}"
                        for a, n, k, p, s, o in fields),
        {"shape": shape},
    )
    return Solution({"shape": shape}, [step])


def mistakes_shape(params: Mapping[str, Any]) -> list[Mistake]:
    seen = {_shape(params, out_size)}
    found = []
    for mid, message, size in (_PADDING_ONCE, _PADDING_NONE, _NO_PLUS_ONE):
        shape = _shape(params, size)
        if shape not in seen and all(o >= 1 for o in shape):
            seen.add(shape)
            found.append(Mistake(mid, message, {"shape": shape}))
    return found


# ---------------------------------------------------------------- conv2d.channels


def _validate_channels(params: Mapping[str, Any]) -> dict[str, Any]:
    from gradekit.plugin import array, vector

    x = array(params, "input", ndim=3)
    k = array(params, "kernel", ndim=4)
    if k.shape[1] != x.shape[0]:
        raise ParamError("kernel", f"has shape {k.shape} (C_out, C_in, k_h, k_w), but the input has {x.shape[0]} "
                                   f"channels, so C_in must be {x.shape[0]}")
    bias = vector(params, "bias", k.shape[0], needs=f"one per output channel ({k.shape[0]})",
                  default=np.zeros(k.shape[0]))
    pad = ints(params.get("padding", 0), "padding", 2, 0)
    stride = ints(params.get("stride", 1), "stride", 2, 1)
    mode = choice(params, "mode", MODES, default="cross_correlation")
    padded = tuple(n + 2 * p for n, p in zip(x.shape[1:], pad))
    if any(kk > n for kk, n in zip(k.shape[2:], padded)):
        raise ParamError("kernel", f"is {k.shape[2]}×{k.shape[3]}, but must fit in the padded input {padded}")
    return {"input": x, "kernel": k, "bias": bias, "padding": pad, "stride": stride, "mode": mode}


def _channels(p: Mapping[str, Any], mode: str | None = None, pad: tuple[int, int] | None = None,
              bias: bool = True) -> dict[str, Any]:
    """Every output channel: Σ over input channels of each one slid under its kernel, plus the bias."""
    x, k = p["input"], p["kernel"]
    flip = (mode or p["mode"]) == "convolution"
    out = []
    for o in range(k.shape[0]):
        total = sum(_slide(x[c], k[o, c][::-1, ::-1] if flip else k[o, c], pad or p["padding"], p["stride"])[2]
                    for c in range(x.shape[0]))
        out.append(total + (p["bias"][o] if bias else 0.0))
    answers: dict[str, Any] = {f"output.{o + 1}": y for o, y in enumerate(out)}
    answers["shape"] = (k.shape[0], *out[0].shape)
    return answers


def solve_channels(p: Mapping[str, Any]) -> Solution:
    answers = _channels(p)
    c_in, c_out = p["input"].shape[0], p["kernel"].shape[0]
    how = "flipped by 180° (convolution)" if p["mode"] == "convolution" else "as it is (cross-correlation, as " \
                                                                             "torch.nn.Conv2d)"
    steps = [Step("Conventions", f"{c_in} input channel(s), {c_out} output channel(s); each kernel slides {how}; "
                                 f"padding {p['padding'][0]}, stride {p['stride'][0]}; output channel o = "
                                 f"Σ_c X_c ⋆ K_(o,c) + b_o")]
    for o in range(c_out):
        y = answers[f"output.{o + 1}"]
        steps.append(Step(f"Output channel {o + 1}",
                          f"Σ over the {c_in} input channels of X_c ⋆ K_({o + 1},c), plus b = {fmt(p['bias'][o])}: "
                          f"{text(y)}",
                          rf"Y_{{{o + 1}}} = \sum_{{c=1}}^{{{c_in}}} X_c \star K_{{{o + 1},c}} + b_{{{o + 1}}} = {tex(y)}",
                          {f"output.{o + 1}": y}))
    steps.append(Step("Output shape", f"(C_out, H_out, W_out) = {answers['shape']}", values={"shape": answers["shape"]}))
    return Solution(answers, steps)


def mistakes_channels(p: Mapping[str, Any]) -> list[Mistake]:
    right = _channels(p)
    other = "convolution" if p["mode"] == "cross_correlation" else "cross_correlation"
    models = [(other if other == "cross_correlation" else "kernel_flipped",
               f"This matches sliding the kernels {'without' if other == 'cross_correlation' else 'after'} flipping "
               f"them; the problem uses {p['mode'].replace('_', '-')}.", _channels(p, mode=other)),
              ("bias_omitted", "This matches leaving out the bias of each output channel.", _channels(p, bias=False))]
    if any(p["padding"]):
        models.append(("wrong_padding", "This matches leaving out the zero padding.", _channels(p, pad=(0, 0))))
    found = []
    for mid, message, answers in models:
        diff = {key: v for key, v in answers.items() if key in right and differs(v, right[key])}
        if diff:
            found.append(Mistake(mid, message, diff))
    return found


# ------------------------------------------------------------ conv.solve_kernel


def _validate_kernel(params: Mapping[str, Any]) -> dict[str, Any]:
    base = {
        "input": integer(params, "input", low=1),
        "output": integer(params, "output", low=1),
        "padding": integer(params, "padding", low=0, default=0),
        "stride": integer(params, "stride", low=1, default=1),
    }
    options = []
    for i, t in enumerate(table(params, "choices")):
        where = f"choices[{i}]"
        unknown = sorted(set(t) - {"label", "kernel", "padding", "stride", "text"})
        if unknown:
            raise ParamError(where, f"has unknown key(s) {unknown}; a choice takes label, kernel, padding, stride, text")
        label = t.get("label")
        if not isinstance(label, str) or not label:
            raise ParamError(f"{where}.label", f"is {label!r}, but must be a non-empty string")
        if any(o["label"] == label for o in options):
            raise ParamError(f"{where}.label", f"is {label!r}, but another choice already has that label")
        if "kernel" not in t:
            raise ParamError(f"{where}.kernel", "is missing")
        options.append({
            "label": label,
            "kernel": ints(t["kernel"], f"{where}.kernel", 1, 1)[0],
            "padding": ints(t.get("padding", base["padding"]), f"{where}.padding", 1, 0)[0],
            "stride": ints(t.get("stride", base["stride"]), f"{where}.stride", 1, 1)[0],
            "text": str(t.get("text", "")),
        })
    if not options:
        raise ParamError("choices", "must list at least one choice")
    return {**base, "choices": options}


def _fitting(n: int, out: int, p: int, s: int, size) -> list[int]:
    """Every kernel size k with size(n, k, p, s) == out."""
    return [k for k in range(1, n + 2 * p + 1) if size(n, k, p, s) == out]


def _kernel_answer(params: Mapping[str, Any], size) -> list[str]:
    n, out = params["input"], params["output"]
    return sorted(c["label"] for c in params["choices"] if c["kernel"] in _fitting(n, out, c["padding"], c["stride"], size))


def solve_kernel(params: Mapping[str, Any]) -> Solution:
    n, out = params["input"], params["output"]
    steps = []
    fits: dict[tuple[int, int], list[int]] = {}
    for c in params["choices"]:
        key = (c["padding"], c["stride"])
        if key not in fits:
            p, s = key
            fits[key] = _fitting(n, out, p, s, out_size)
            # ⌊(n + 2p − k)/s⌋ = out − 1 holds for k from n + 2p − s(out−1) − (s−1) to n + 2p − s(out−1)
            top = n + 2 * p - s * (out - 1)
            solved = f"k = {n} + 2·{p} − {s}·({out} − 1)" + (f" − r, r = 0..{s - 1}" if s > 1 else "")
            steps.append(Step(
                f"Kernel sizes for padding {p}, stride {s}",
                f"{out} = floor(({n} + 2·{p} − k)/{s}) + 1 holds for {solved}: "
                f"k ∈ {{{', '.join(map(str, fits[key]))}}}" + ("" if fits[key] else " (no kernel size fits)"),
                rf"{out} = \left\lfloor \frac{{{n} + 2\cdot{p} - k}}{{{s}}} \right\rfloor + 1 \Rightarrow k \in \{{{', '.join(map(str, fits[key]))}\}}",
                {"padding": p, "stride": s, "kernels": fits[key], "largest": top},
            ))
    answer = _kernel_answer(params, out_size)
    for c in params["choices"]:
        ok = c["label"] in answer
        got = out_size(n, c["kernel"], c["padding"], c["stride"])
        steps.append(Step(
            f"Choice {c['label']}",
            f"{c['text'] or 'k = ' + str(c['kernel'])}: floor(({n} + 2·{c['padding']} − {c['kernel']})/{c['stride']}) + 1 = {got}"
            f" {'=' if ok else '≠'} {out}, so {'true' if ok else 'false'}",
            rf"\left\lfloor \frac{{{n} + 2\cdot{c['padding']} - {c['kernel']}}}{{{c['stride']}}} \right\rfloor + 1 = {got}",
            {"true": ok},
        ))
    return Solution({"answer": answer}, steps)


def mistakes_kernel(params: Mapping[str, Any]) -> list[Mistake]:
    seen = [_kernel_answer(params, out_size)]
    found = []
    # (leaving the padding out is not modelled: the choices differ by their padding)
    for mid, message, size in (_PADDING_ONCE, _NO_PLUS_ONE):
        answer = _kernel_answer(params, size)
        if answer not in seen:
            seen.append(answer)
            found.append(Mistake(mid, message, {"answer": answer}))
    return found


FAMILIES = [
    Family("conv2d.output", solve_conv2d, validate=_validate_conv2d, mistakes=mistakes_conv2d,
           mistake_ids=("cross_correlation", "kernel_flipped", "wrong_padding", "stride_ignored"), params=(
        Param("input", "matrix", "the input X", shape="H×W"),
        Param("kernel", "matrix", "the kernel K", shape="k_h×k_w"),
        Param("padding", "sizes", "zeros added on each side: one for both axes, or [rows, columns]", default=0),
        Param("stride", "sizes", "the kernel's step: one for both axes, or [rows, columns]", default=1),
        Param("mode", "choice", "convolution flips the kernel by 180°; cross_correlation does not",
              default="convolution", options=MODES),
    )),
    Family("conv2d.channels", solve_channels, validate=_validate_channels, mistakes=mistakes_channels,
           mistake_ids=("cross_correlation", "kernel_flipped", "bias_omitted", "wrong_padding"), params=(
        Param("input", "tensor", "the input X, one matrix per input channel", shape="C_in×H×W"),
        Param("kernel", "tensor", "the kernels, one per output and input channel", shape="C_out×C_in×k_h×k_w"),
        Param("bias", "vector", "one bias per output channel", shape="C_out", default=OPTIONAL,
              default_note="0 for every output channel"),
        Param("padding", "sizes", "zeros added on each side: one for both axes, or [rows, columns]", default=0),
        Param("stride", "sizes", "the kernels' step: one for both axes, or [rows, columns]", default=1),
        Param("mode", "choice", "cross_correlation slides each kernel as it is (torch.nn.Conv2d); convolution "
                                "flips it by 180°", default="cross_correlation", options=MODES),
    )),
    Family("conv.output_shape", solve_shape, validate=_validate_shape, mistakes=mistakes_shape,
           mistake_ids=("wrong_padding", "plus_one_forgotten"), params=(
        Param("input", "sizes", "the input's spatial sizes, 1 to 3 axes, e.g. [10, 12]"),
        Param("kernel", "sizes", "the kernel size: one for every axis, or one per axis"),
        Param("padding", "sizes", "zeros added on each side: one for every axis, or one per axis", default=0),
        Param("stride", "sizes", "the kernel's step: one for every axis, or one per axis", default=1),
    )),
    Family("conv.solve_kernel", solve_kernel, validate=_validate_kernel, mistakes=mistakes_kernel,
           mistake_ids=("wrong_padding", "plus_one_forgotten"), params=(
        Param("input", "integer", "the input size n (per axis)"),
        Param("output", "integer", "the output size wanted"),
        Param("padding", "integer", "zeros added on each side", default=0),
        Param("stride", "integer", "the kernel's step", default=1),
        Param("choices", "tables", "the options a student picks from: label, kernel, and padding, stride, text "
                                   "when they differ"),
    )),
]

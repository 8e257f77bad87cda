"""A multi-channel 1-D convolution as a matrix, and its backward pass as a convolution (COM S 573 HW5 q3).

Input X (C_in channels × L), kernels W^{ij} = [w_1^{ij} … w_k^{ij}] from input channel i to output
channel j, stride 1, no padding, cross-correlation as in deep-learning frameworks::

    y_{j,p} = Σ_i Σ_r w_r^{ij} x_{i,p+r−1}          p = 1 … L−k+1
    Ỹ = A X̃,   A[(j,p), (i,q)] = w_{q−p+1}^{ij}  (0 unless 1 ≤ q−p+1 ≤ k)
    ∂L/∂X̃ = Aᵀ ∂L/∂Ỹ:  ∂L/∂x_{i,q} = Σ_j Σ_p ∂L/∂y_{j,p} w_{q−p+1}^{ij}

so the backward pass is again a cross-correlation, of ∂L/∂Y (zero padded by k−1) with the kernels
flipped: input channel i's kernel has row j = [w_k^{ij} … w_1^{ij}].

One layout function gives every entry as an index (i, j, r) or 0; the symbol matrix is read from it.

>>> solve(validate({})).answers["A"][0]
['w_1^{11}', 'w_2^{11}', 'w_3^{11}', '0', 'w_1^{21}', 'w_2^{21}', 'w_3^{21}', '0']
"""

from __future__ import annotations

from typing import Any, Mapping

from gradekit.plugin import changed, Family, Mistake, Param, ParamError, Solution, Step

Entry = tuple[int, int, int] | None  # (i, j, r), 1-based: w_r^{ij}; None for 0


def _count(params: Mapping[str, Any], key: str, default: int, high: int) -> int:
    v = params.get(key, default)
    if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= high:
        raise ParamError(key, f"is {v!r}, but must be an integer from 1 to {high}")
    return v


def validate(params: Mapping[str, Any]) -> dict[str, Any]:
    # single digits keep every symbol w_r^{ij} unambiguous (w_1^{11}: i = 1, j = 1)
    cin, cout = _count(params, "in_channels", 2, 9), _count(params, "out_channels", 2, 9)
    k = _count(params, "kernel", 3, 9)
    length = _count(params, "length", 4, 16)
    if k > length:
        raise ParamError("kernel", f"is {k}, but cannot exceed length {length}")
    names = [symbol(i, j, r) for i in range(1, cin + 1) for j in range(1, cout + 1) for r in range(1, k + 1)]
    p = {"in_channels": cin, "out_channels": cout, "kernel": k, "length": length, "symbols": names}
    p["part_define"] = {"B": {"A": bmatrix(render(layout(p)))}}  # B may be answered as Aᵀ
    return p


def symbol(i: int, j: int, r: int) -> str:
    return f"w_{r}^{{{i}{j}}}"


def layout(p: Mapping[str, Any], flip: bool = False, swap: bool = False) -> list[list[Entry]]:
    """A's entries: row (j, p), column (i, q) holds w_{q−p+1}^{ij}. ``flip``/``swap`` are the mistakes."""
    cin, cout, k, n = p["in_channels"], p["out_channels"], p["kernel"], p["length"]
    out = n - k + 1
    rows: list[list[Entry]] = []
    for j in range(1, cout + 1):
        for pos in range(out):
            row: list[Entry] = []
            for i in range(1, cin + 1):
                for q in range(n):
                    r = q - pos + 1
                    if not 1 <= r <= k:
                        row.append(None)
                        continue
                    ii, jj = (j, i) if swap else (i, j)
                    row.append((ii, jj, k + 1 - r if flip else r))
            rows.append(row)
    return rows


def backward_kernels(p: Mapping[str, Any], flip: bool = True, swap: bool = False) -> list[list[list[Entry]]]:
    """For each input channel i: a C_out × k kernel, row j = W^{ij} reversed (``flip=False`` is the mistake)."""
    cin, cout, k = p["in_channels"], p["out_channels"], p["kernel"]
    order = range(k, 0, -1) if flip else range(1, k + 1)
    return [[[((j, i) if swap else (i, j)) + (r,) for r in order] for j in range(1, cout + 1)] for i in range(1, cin + 1)]


def render(grid: list[list[Entry]]) -> list[list[str]]:
    return [[symbol(*e) if e else "0" for e in row] for row in grid]


def bmatrix(rows: list[list[str]]) -> str:
    return r"\begin{bmatrix}" + r" \\ ".join(" & ".join(r) for r in rows) + r"\end{bmatrix}"


def _transpose(rows: list[list[str]]) -> list[list[str]]:
    return [list(c) for c in zip(*rows)]


def answers(p: Mapping[str, Any], flip: bool = False, swap: bool = False) -> dict[str, Any]:
    A = render(layout(p, flip, swap))
    out: dict[str, Any] = {"A": A, "B": _transpose(A), "is_convolution": True, "padding": p["kernel"] - 1}
    for i, kern in enumerate(backward_kernels(p, not flip, swap), start=1):
        out[f"kernel{i}"] = render(kern)
    return out


def solve(p: Mapping[str, Any]) -> Solution:
    cin, cout, k, n = p["in_channels"], p["out_channels"], p["kernel"], p["length"]
    a = answers(p)
    out = n - k + 1
    first = " + ".join(f"{symbol(i, 1, r)} x_{{{i}{r}}}" for i in range(1, cin + 1) for r in range(1, k + 1))
    steps = [
        Step("Forward pass, one output", f"Each output sums every input channel through its own kernel: "
             f"y_{{j,p}} = Σ_i Σ_r w_r^{{ij}} x_{{i,p+r−1}}; e.g. y_{{11}} = {first}.",
             r"y_{j,p} = \sum_{i=1}^{%d} \sum_{r=1}^{%d} w_r^{ij}\, x_{i,p+r-1}" % (cin, k), {}),
        Step("Convolution as a matrix", f"X̃ stacks the {cin} input channels ({cin * n} entries), Ỹ the {cout} output "
             f"channels ({cout * out} entries). Row (j, p) of A holds w_r^{{ij}} in column (i, p+r−1) and 0 elsewhere: "
             f"A is {cout * out}×{cin * n}, each channel pair a band of {out} shifted copies of W^{{ij}}.",
             "A = " + bmatrix(a["A"]), {"A": a["A"]}),
        Step("Backward pass", "Ỹ = A X̃ is linear, so ∂Ỹ/∂X̃ = A and ∂L/∂X̃ = Aᵀ ∂L/∂Ỹ: B = Aᵀ.",
             r"B = A^T = " + bmatrix(a["B"]), {"B": a["B"]}),
        Step("Backward pass as a convolution",
             f"Column (i, q) of A gives ∂L/∂x_{{i,q}} = Σ_j Σ_p ∂L/∂y_{{j,p}} w_{{q−p+1}}^{{ij}}: for input channel i, "
             f"a cross-correlation of ∂L/∂Y (all {cout} channels) zero-padded by k−1 = {a['padding']} with W^{{ij}} "
             f"reversed in each row j. So yes, it is a convolution; kernel for channel 1: {a['kernel1']}.",
             "; ".join(f"K_{i} = " + bmatrix(a[f"kernel{i}"]) for i in range(1, cin + 1)),
             {"is_convolution": True, "padding": a["padding"], **{f"kernel{i}": a[f"kernel{i}"] for i in range(1, cin + 1)}}),
    ]
    return Solution(a, steps)


def mistakes(p: Mapping[str, Any]) -> list[Mistake]:
    right = answers(p)
    conv = answers(p, flip=True)
    unflipped = {f"kernel{i}": render(k) for i, k in enumerate(backward_kernels(p, flip=False), start=1)}
    found = [
        changed("kernel_flipped", "the kernel is reversed: y_{j,p} = Σ_i Σ_r w_r^{ij} x_{i,p+r−1} slides "
                "W^{ij} = [w_1, w_2, w_3] over the input as is (cross-correlation).",
                {"A": conv["A"], "B": conv["B"]}, right),
        changed("kernel_not_flipped", "the backward kernels must be W^{ij} reversed ([w_3, w_2, w_1] in each row): "
                "∂L/∂x_{i,q} takes w_{q−p+1}^{ij}, which runs backwards as p runs forwards.", unflipped, right),
        changed("channel_indices_swapped", "the channel indices are swapped: W^{ij} maps input channel i to output "
                "channel j, not j to i.", answers(p, swap=True), right),
    ]
    return [m for m in found if m is not None]


FAMILIES = [Family("conv1d.as_matrix", solve, validate=validate, mistakes=mistakes, params=(
    Param("in_channels", "integer", "input channels (1 to 9)", default=2),
    Param("out_channels", "integer", "output channels (1 to 9)", default=2),
    Param("kernel", "integer", "kernel length (1 to 9, at most length)", default=3),
    Param("length", "integer", "input length (1 to 16)", default=4),
))]

"""Adalines and a two-layer Madaline on bipolar (±1) logic.

Conventions (every statement repeats them): inputs and outputs are ±1 (+1 is
True); the bias input is the constant +1 and its weight w0 comes first, so
``s = w0 + w1 x1 + ... + wn xn``; the output is ``y = sign(s)`` with
``sign(0) = +1``; truth-table rows run lexicographically with -1 first:
(-1,-1), (-1,+1), (+1,-1), (+1,+1) for two inputs.

>>> solve_evaluate({"w": np.array([2.0, 2, 1])}).answers["function"]
'OR'
"""

from __future__ import annotations

import itertools
from typing import Any, Mapping

import numpy as np

from gradekit.plugin import (
    choice, Family, fmt, integer, matrix, Mistake, Outcome, Param, ParamError, Solution, Step, tex, text,
    Verdict, vector,
)
from gradekit.intake.values import AnswerFormatError, parse_array

# Brute-force design searches len(allowed) ** (number of weights) candidates.
_MAX_CANDIDATES = 200_000


# --- bipolar logic -----------------------------------------------------------


def rows(n: int) -> np.ndarray:
    """The 2**n input rows, lexicographic with -1 first: shape (2**n, n)."""
    return np.array(list(itertools.product([-1, 1], repeat=n)), dtype=float)


def with_bias(X: np.ndarray) -> np.ndarray:
    """Prepend the constant bias input +1 to every row."""
    return np.hstack([np.ones((len(X), 1)), X])


def sign(s: np.ndarray) -> np.ndarray:
    """Bipolar sign with sign(0) = +1 (the convention the statements state)."""
    return np.where(np.asarray(s) >= 0, 1, -1)


def named_functions(n: int) -> dict[str, np.ndarray]:
    """Truth tables (±1 per row of ``rows(n)``) of the functions a student can name.

    The order matters: an answer key names a table by the first match.
    """
    pos = rows(n) > 0
    k = pos.sum(axis=1)  # number of True inputs in the row
    tables = {"AND": k == n, "OR": k > 0, "NAND": k < n, "NOR": k == 0, "XOR": k % 2 == 1, "XNOR": k % 2 == 0}
    if n % 2 == 1:
        tables["MAJORITY"] = 2 * k > n
        tables["MINORITY"] = 2 * k < n
    for i in range(n):
        tables[f"x{i + 1}"] = pos[:, i]
        tables[f"NOT x{i + 1}"] = ~pos[:, i]
    if n == 2:  # the four remaining two-input functions
        a, b = pos[:, 0], pos[:, 1]
        tables.update({"x1 AND NOT x2": a & ~b, "NOT x1 AND x2": ~a & b, "x1 OR NOT x2": a | ~b, "NOT x1 OR x2": ~a | b})
    tables["TRUE"] = np.ones(len(pos), bool)
    tables["FALSE"] = np.zeros(len(pos), bool)
    return {name: np.where(t, 1, -1) for name, t in tables.items()}


def name_of(y: np.ndarray, n: int) -> str | None:
    """The first named function whose truth table is ``y``, or None."""
    return next((name for name, t in named_functions(n).items() if np.array_equal(t, y)), None)


def row_label(x: np.ndarray) -> str:
    names = ", ".join(f"x{i + 1}" for i in range(len(x)))
    vals = ", ".join("+1" if v > 0 else "-1" for v in x)
    return f"({names}) = ({vals})"


def _sum_text(w: np.ndarray, inputs: np.ndarray, s: float) -> str:
    """``2·1 + 2·(-1) + 1·(-1) = -1``: one row of the s column, as a student writes it."""
    def num(v: float) -> str:
        return fmt(v) if v >= 0 else f"({fmt(v)})"

    terms = " + ".join(f"{num(wi)}·{num(xi)}" for wi, xi in zip(w, inputs))
    return f"{terms} = {fmt(s)}"


def _plain(arr: np.ndarray) -> list:
    """Plain data for a verified part's example answer: ints where exact."""
    return [int(v) if float(v).is_integer() else float(v) for v in np.asarray(arr, dtype=float).ravel()]


# --- adaline.evaluate --------------------------------------------------------


def validate_evaluate(params: Mapping[str, Any]) -> dict[str, Any]:
    w = vector(params, "w")
    if len(w) < 2:
        raise ParamError("w", f"has {len(w)} entries, but needs at least 2: [w0 (bias), w1, ...]")
    n = len(w) - 1
    y = sign(with_bias(rows(n)) @ w)
    if name_of(y, n) is None:
        names = ", ".join(named_functions(n))
        raise ParamError("w", f"realises y = {text(y)}, which is none of the named functions ({names})")
    return {"w": w}


def _evaluate(w: np.ndarray, Xb: np.ndarray, signum=sign) -> dict[str, Any]:
    s = Xb @ w
    y = signum(s)
    return {"s": s, "y": y.astype(float), "function": name_of(y, len(y).bit_length() - 1)}  # 2**n rows


def solve_evaluate(params: Mapping[str, Any]) -> Solution:
    w = params["w"]
    n = len(w) - 1
    X = rows(n)
    Xb = with_bias(X)
    s = Xb @ w
    y = sign(s)
    function = name_of(y, n)
    weights = ", ".join(f"w{i} = {fmt(v)}" for i, v in enumerate(w))
    steps = [
        Step(
            "Weighted sum per row",
            f"With the bias input +1 and {weights}, s = w0·1 + Σ wi·xi for each row:\n"
            + "\n".join(f"{row_label(x)}: s = {_sum_text(w, xb, si)}" for x, xb, si in zip(X, Xb, s)),
            rf"s = \tilde X w = {tex(Xb)} {tex(w)} = {tex(s)}",
            {"s": s},
        ),
        Step(
            "Output y = sign(s), sign(0) = +1",
            "\n".join(f"{row_label(x)}: y = {'+1' if yi > 0 else '-1'}" for x, yi in zip(X, y)),
            rf"y = \operatorname{{sign}}(s) = {tex(y)}",
            {"y": y},
        ),
        Step(
            "Name the function",
            f"y = {text(y)} is the {function} truth table (+1 = True) over the same rows.",
            rf"y = {function}(x)",
            {"function": function},
        ),
    ]
    return Solution({"s": s, "y": y.astype(float), "function": function}, steps)


def mistakes_evaluate(params: Mapping[str, Any]) -> list[Mistake]:
    w = params["w"]
    X = rows(len(w) - 1)
    right = _evaluate(w, with_bias(X))
    reordered = {"s": right["s"][::-1], "y": right["y"][::-1]}  # right per row, listed +1 first
    candidates = [
        ("bias_omitted", "the bias weight w0 (on the constant input +1) is left out of s",
         _evaluate(w[1:], X)),
        ("bias_input_negative", "the bias input is taken as -1 (a threshold) instead of +1",
         _evaluate(w, with_bias(X) * np.r_[-1.0, np.ones(len(w) - 1)])),
        ("rows_plus_first", "the rows are listed with +1 first; the table runs (-1,-1), (-1,+1), ...",
         reordered),
        ("sign_zero_negative", "sign(0) is taken as -1; this problem uses sign(0) = +1",
         _evaluate(w, with_bias(X), lambda s: np.where(s > 0, 1, -1))),
    ]
    return [Mistake(mid, msg, _differing(ans, right)) for mid, msg, ans in candidates if _differing(ans, right)]


def _differing(ans: dict[str, Any], right: dict[str, Any]) -> dict[str, Any]:
    """The parts where a mistaken answer differs from the right one (a row order may leave a set unchanged)."""
    out = {}
    for k, v in ans.items():
        same = v == right[k] if isinstance(v, (str, type(None))) else np.array_equal(v, right[k])
        if not same and v is not None:
            out[k] = v
    return out


# --- adaline.design / madaline.design: search and verify ----------------------


def _allowed(params: Mapping[str, Any]) -> np.ndarray:
    # sorted distinct values, as np.unique gives, without the import of numpy.ma it costs (a check's start-up)
    allowed = np.array(sorted(set(vector(params, "allowed", default=[-1, 0, 1]).tolist())), dtype=float)
    if len(allowed) == 0:
        raise ParamError("allowed", "is empty, but needs the weight values a student may use, e.g. [-1, 0, 1]")
    return allowed


def _search(inputs: np.ndarray, target: np.ndarray, allowed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All weight vectors from ``allowed`` whose unit realises ``target`` on ``inputs`` (bias column first).

    Returns (weights that work, their margins min |s|), in the order of the search.
    """
    cand = np.array(list(itertools.product(allowed, repeat=inputs.shape[1])), dtype=float)
    S = cand @ inputs.T
    ok = np.all(sign(S) == target, axis=1)
    return cand[ok], np.abs(S[ok]).min(axis=1)


def _check_realisable(inputs: np.ndarray, target: np.ndarray, allowed: np.ndarray, what: str) -> None:
    """Refuse, at load time, a design problem with no answer (or too many candidates to search)."""
    if len(allowed) ** inputs.shape[1] > _MAX_CANDIDATES:
        raise ParamError("allowed", f"gives {len(allowed)}**{inputs.shape[1]} weight vectors to search; "
                                    f"at most {_MAX_CANDIDATES}")
    if len(_search(inputs, target, allowed)[0]) == 0:
        allowed_txt = "{" + ", ".join(fmt(a) for a in allowed) + "}"
        raise ParamError("function", f"{what} cannot be realised with weights from {allowed_txt}")


def _function(params: Mapping[str, Any], n: int) -> tuple[str, np.ndarray]:
    tables = named_functions(n)
    name = choice(params, "function", tables)
    return name, tables[name]


_FUNCTION = Param("function", "choice", "the function to realise: AND, OR, NAND, NOR, XOR, XNOR, x1, NOT x1, …"
                                        " (MAJORITY, MINORITY for odd inputs)")
_ALLOWED = Param("allowed", "vector", "the weight values a student may use", default=[-1, 0, 1])


def validate_design(params: Mapping[str, Any]) -> dict[str, Any]:
    n = integer(params, "inputs", low=1, high=8, default=2)
    function, target = _function(params, n)
    allowed = _allowed(params)
    _check_realisable(with_bias(rows(n)), target, allowed, f"{function} with {n} inputs")
    return {"function": function, "inputs": n, "allowed": allowed, "target": target}


def _hidden(X: np.ndarray, layer1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Layer 1's weighted sums and outputs (rows × units)."""
    pre = with_bias(X) @ layer1.T
    return pre, sign(pre).astype(float)


def validate_madaline(params: Mapping[str, Any]) -> dict[str, Any]:
    layer1 = matrix(params, "layer1")
    n = layer1.shape[1] - 1
    if n < 1 or len(layer1) < 1:
        raise ParamError("layer1", f"has shape {layer1.shape}, but needs (units, 1 + inputs): rows (bias, w_x1, ...)")
    function, target = _function(params, n)
    allowed = _allowed(params)
    _, hidden = _hidden(rows(n), layer1)
    _check_realisable(with_bias(hidden), target, allowed, f"{function} on the hidden outputs of layer1")
    return {"function": function, "inputs": n, "allowed": allowed, "target": target, "layer1": layer1,
            "hidden": hidden}


def _constraint(w_names: list[str], xb: np.ndarray, t: int) -> str:
    terms = "".join(f" {'+' if v > 0 else '-'} {name}" for name, v in zip(w_names, xb) if v != 0).lstrip(" +")
    return f"{terms} {'≥' if t > 0 else '<'} 0"


def _design(inputs, X, target, allowed, w_names, function, unit) -> tuple[np.ndarray, list[Step]]:
    """The first largest-margin weights from ``allowed`` that realise ``target``, and the steps to them."""
    found, margins = _search(inputs, target, allowed)
    w = found[int(np.argmax(margins))]
    s = inputs @ w
    y = sign(s)
    allowed_txt = "{" + ", ".join(fmt(a) for a in allowed) + "}"
    count = f"{len(found)} satisf{'ies' if len(found) == 1 else 'y'}"
    return w, [
        Step(
            "One inequality per row",
            f"{unit} must output {function}; with y = sign(s) and sign(0) = +1, "
            "each row needs s ≥ 0 (y = +1) or s < 0 (y = -1):\n"
            + "\n".join(f"{row_label(x)}: {_constraint(w_names, xb, t)}" for x, xb, t in zip(X, inputs, target)),
        ),
        Step(
            "Choose weights from the allowed set",
            f"Of the {len(allowed) ** len(w)} weight vectors from {allowed_txt}, {count} every row; "
            f"the one with the largest margin min|s| = {fmt(margins.max())} is "
            + ", ".join(f"{name} = {fmt(v)}" for name, v in zip(w_names, w)) + ".",
            rf"w = {tex(w)}",
            {"w": w, "solutions": len(found)},
        ),
        Step(
            "Check: the s table",
            "\n".join(f"{row_label(x)}: s = {_sum_text(w, xb, si)}, y = {'+1' if yi > 0 else '-1'}"
                      for x, xb, si, yi in zip(X, inputs, s, y)),
            rf"s = {tex(s)},\quad y = \operatorname{{sign}}(s) = {tex(y)}",
            {"s": s, "y": y},
        ),
    ]


def solve_design(params: Mapping[str, Any]) -> Solution:
    n = params["inputs"]
    X = rows(n)
    inputs = with_bias(X)
    names = [f"w{i}" for i in range(n + 1)]
    w, steps = _design(inputs, X, params["target"], params["allowed"], names, params["function"], "The Adaline")
    return Solution({"w": _plain(w), "s": _plain(inputs @ w)}, steps)


def solve_madaline(params: Mapping[str, Any]) -> Solution:
    X = rows(params["inputs"])
    pre, hidden = _hidden(X, params["layer1"])
    first = Step(
        "Layer 1 (fixed): hidden outputs",
        "\n".join(
            f"{row_label(x)}: " + "; ".join(f"s{j + 1} = {fmt(p)}, y{j + 1} = {'+1' if h > 0 else '-1'}"
                                           for j, (p, h) in enumerate(zip(pr, hr)))
            for x, pr, hr in zip(X, pre, hidden)
        ),
        rf"H = \operatorname{{sign}}(\tilde X A^T) = {tex(hidden)}",
        {"hidden": hidden},
    )
    names = [f"w2{j}" for j in range(hidden.shape[1] + 1)]
    w2, steps = _design(with_bias(hidden), X, params["target"], params["allowed"], names, params["function"],
                        "The output Adaline, fed (1, y1, y2, ...),")
    # "hidden" (the fixed layer's outputs per row) lets a spec grade that table too, as a matrix part
    answers = {"w2": _plain(w2), "s": _plain(with_bias(hidden) @ w2), "hidden": hidden}
    return Solution(answers, [first, *steps])


def _parse(raw: Any, length: int, what: str) -> np.ndarray | Outcome:
    """A flat float vector of ``length`` entries, or the Outcome that says why not."""
    if raw is None:
        return Outcome(0.0, Verdict.MISSING, f"no answer for {what}")
    try:
        arr = parse_array(raw)
    except AnswerFormatError as exc:
        return Outcome.invalid(f"{what}: {exc}")
    if arr.ndim == 2 and 1 in arr.shape:
        arr = arr.ravel()  # a column or row vector written as a matrix
    if arr.ndim != 1 or len(arr) != length:
        return Outcome.wrong(f"{what} has shape {arr.shape}, but needs {length} entries")
    return arr


def _verify_unit(inputs: np.ndarray, X: np.ndarray, params: Mapping[str, Any], part: str, answers: Mapping[str, Any],
                 wpart: str, w_names: list[str], hidden: np.ndarray | None = None) -> Outcome:
    """Judge a design part: the weights realise the function, or s follows the student's own weights."""
    target, allowed, function = params["target"], params["allowed"], params["function"]

    def where(i: int) -> str:
        extra = "" if hidden is None else f" (hidden outputs {text(hidden[i])})"
        return f"row {row_label(X[i])}{extra}"

    w = _parse(answers.get(wpart), len(w_names), f"{wpart} = [{', '.join(w_names)}]")
    if part == wpart:
        if isinstance(w, Outcome):
            return w
        bad = [v for v in w if not np.any(np.isclose(v, allowed))]
        if bad:
            allowed_txt = "{" + ", ".join(fmt(a) for a in allowed) + "}"
            return Outcome.wrong(f"{wpart} contains {fmt(bad[0])}, but the weights must come from {allowed_txt}")
        y = sign(inputs @ w)
        wrong_rows = np.flatnonzero(y != target)
        if len(wrong_rows):
            i = wrong_rows[0]
            return Outcome.wrong(f"with your weights, {where(i)} gives y = {int(y[i]):+d}, but {function} needs "
                                 f"{int(target[i]):+d} ({len(wrong_rows)} of {len(target)} rows wrong)")
        return Outcome.correct(f"your weights realise {function}")

    if part != "s":
        raise ValueError(f"no verified part {part!r} in this family (parts: {wpart}, s)")
    # part s: it must be the s of the student's own weights, and realise the function
    s = _parse(answers.get(part), len(target), f"{part} (one value per truth-table row)")
    if isinstance(s, Outcome):
        return s
    if isinstance(w, Outcome):
        return Outcome.wrong(f"{part} is checked against your own {wpart}, which cannot be read: {w.feedback}")
    off = np.flatnonzero(~np.isclose(s, inputs @ w, rtol=1e-6, atol=1e-9))
    if len(off):
        i = off[0]
        return Outcome.wrong(f"{where(i)}: s = {fmt(s[i])} is not the weighted sum your {wpart} gives "
                             f"({len(off)} of {len(s)} rows differ)")
    wrong_rows = np.flatnonzero(sign(s) != target)
    if len(wrong_rows):
        i = wrong_rows[0]
        return Outcome.wrong(f"{where(i)}: s = {fmt(s[i])} gives y = {int(sign(s[i])):+d}, but {function} needs "
                             f"{int(target[i]):+d}")
    return Outcome.correct(f"s matches your {wpart} and realises {function}")


def verify_design(params: Mapping[str, Any], part: str, answers: Mapping[str, Any]) -> Outcome:
    X = rows(params["inputs"])
    names = [f"w{i}" for i in range(params["inputs"] + 1)]
    return _verify_unit(with_bias(X), X, params, part, answers, "w", names)


def verify_madaline(params: Mapping[str, Any], part: str, answers: Mapping[str, Any]) -> Outcome:
    hidden = params["hidden"]
    names = [f"w2{j}" for j in range(hidden.shape[1] + 1)]
    return _verify_unit(with_bias(hidden), rows(params["inputs"]), params, part, answers, "w2", names, hidden)


FAMILIES = [
    Family("adaline.evaluate", solve_evaluate, validate=validate_evaluate, mistakes=mistakes_evaluate, params=(
        Param("w", "vector", "the unit's weights [w0 (bias), w1, …]; they must realise a named function",
              shape="1 + inputs"),
    )),
    Family("adaline.design", solve_design, validate=validate_design, verify=verify_design, params=(
        Param("inputs", "integer", "how many ±1 inputs (1 to 8)", default=2),
        _FUNCTION,
        _ALLOWED,
    )),
    Family("madaline.design", solve_madaline, validate=validate_madaline, verify=verify_madaline, params=(
        Param("layer1", "matrix", "the given first layer: a row (bias, w_x1, …) per unit", shape="units×(1 + inputs)"),
        _FUNCTION,
        _ALLOWED,
    )),
]

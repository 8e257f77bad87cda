"""A code problem's scenario, as its spec writes it: the inputs, their named sizes, and the steps to run.

The spec says in its own words what the starter and the solution cannot: each input's dtype and shape with
named dimensions, its range or values, and the statements a test runs, written as the course's own
notebook would (``layer = Linear(C_in, C_out)``, ``Z = layer.forward(A)``). Statements are read here with
``ast`` into plain data and run in the children by ``gradekit/sandbox/child/scenario.py``; nothing the
spec says is ever evaluated in the grader.

>>> parse_input("A", "float64[N, C_in]")
InputSpec(name='A', dtype='float64', dims=('N', 'C_in'), low=None, high=None, values=(), one_hot=False)
>>> parse_input("y", "int64[N] in [0, C)").high
'C'
>>> parse_input("Y", "float64[N, C] one-hot").one_hot
True
>>> parse_step("Z = layer.forward(A)")["call"]["path"]
['layer', 'forward']
>>> parse_step("g = (W - layer.W) / 0.1")["value"]["op"]
'/'
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

__all__ = ["Dims", "InputSpec", "Case", "parse_input", "parse_step", "parse_path", "parse_dims", "draw_cases", "smallest",
           "bound_names", "referenced",
           "EDGE_CASES", "DTYPES"]

DTYPES = ("float64", "float32", "int64", "int32", "bool")
EDGE_CASES = ("a batch of one", "zeros", "negatives", "large magnitudes")
_INPUT = re.compile(r"\s*(?P<dtype>[a-z0-9]+)\s*\[(?P<dims>[^\]]*)\]\s*(?:in\s*(?P<range>.+?)|(?P<one_hot>one-hot))?\s*$")
_OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}  # a step's arithmetic: the child's operator
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class InputSpec:
    """One input: ``float64[N, C_in]``, ``int64[N] in [0, C)``, ``float64[N] in {-1, 1}``, or labels one-hot
    along the last axis, ``float64[N, C] one-hot`` (as a course's ``np.eye(C)[y]`` encodes them)."""

    name: str
    dtype: str
    dims: tuple[str | int, ...]
    low: float | str | None = None
    high: float | str | None = None  # exclusive for integers written ``[0, C)``, inclusive otherwise
    values: tuple[float, ...] = ()
    one_hot: bool = False

    @property
    def floating(self) -> bool:
        return self.dtype.startswith("float")


@dataclass(frozen=True)
class Case:
    """One set of inputs both modules are called on: what it is (``"a batch of one"``, ``"random draw 2"``),
    its sizes, and its arrays in the order of the spec's inputs."""

    label: str
    dims: Mapping[str, int]
    arrays: tuple[np.ndarray, ...]


def parse_input(name: str, text: Any) -> InputSpec:
    """An input's declaration; ``ValueError`` saying what is wrong."""
    if not isinstance(text, str):
        raise ValueError(f"is {text!r}, but must be a string such as 'float64[N, 3]'")
    m = _INPUT.fullmatch(text)
    if not m:
        raise ValueError(f"is {text!r}, but must look like 'float64[N, 3]', 'int64[N] in [0, C)' or "
                         f"'float64[N, C] one-hot'")
    dtype = m["dtype"]
    if dtype not in DTYPES:
        raise ValueError(f"has dtype {dtype!r}; the dtypes are {', '.join(DTYPES)}")
    dims: list[str | int] = []
    for d in (x.strip() for x in m["dims"].split(",") if x.strip()):
        if d.isdigit():
            dims.append(int(d))
        elif _NAME.fullmatch(d):
            dims.append(d)
        else:
            raise ValueError(f"has the dimension {d!r}; a dimension is a name (N, C_in) or a size (3)")
    low = high = None
    values: tuple[float, ...] = ()
    rng = (m["range"] or "").strip()
    if rng.startswith("{") and rng.endswith("}"):
        try:
            values = tuple(float(v) for v in rng[1:-1].split(","))
        except ValueError:
            raise ValueError(f"has the values {rng}; they must be numbers, as in {{-1, 1}}") from None
    elif rng:
        rm = re.fullmatch(r"\[\s*([^,]+?)\s*,\s*([^\])]+?)\s*([\])])", rng)
        if not rm:
            raise ValueError(f"has the range {rng!r}; write [low, high] or, for integers, [0, C)")
        low, high = (_bound(rm[1]), _bound(rm[2]))
        if rm[3] == ")" and dtype.startswith("float"):
            raise ValueError("has a half-open range; only integer inputs take [low, high)")
        if rm[3] == "]" and not dtype.startswith("float") and isinstance(high, (int, float)):
            high = high + 1  # inclusive integer bound: drawn below high + 1
    if m["one_hot"] and (not dims or dtype == "bool"):
        raise ValueError("is one-hot, but a one-hot input needs numbers and an axis of classes, as in float64[N, C]")
    return InputSpec(name, dtype, tuple(dims), low, high, values, bool(m["one_hot"]))


def _bound(text: str) -> float | str:
    text = text.strip()
    if _NAME.fullmatch(text):
        return text
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"has the bound {text!r}; a bound is a number or a dimension's name") from None


# a size by name: its range (N = [1, 6]) or the sizes it is the product of (D = "H*W")
Dims = Mapping[str, "tuple[int, int] | tuple[str, ...]"]


def parse_dims(raw: Any) -> dict[str, tuple[int, int] | tuple[str, ...]]:
    """``[code.dims]``: each name a size (``C = 3``), an inclusive range (``N = [1, 8]``), or the product of
    sizes declared before it (``D = "H*W"``: an input's features flattened)."""
    if not isinstance(raw, Mapping):
        raise ValueError("must be a table of sizes, such as N = [1, 8] and C = 3")
    out: dict[str, Any] = {}
    for name, v in raw.items():
        if not _NAME.fullmatch(name):
            raise ValueError(f"has the name {name!r}; a dimension is named like a Python variable")
        if isinstance(v, str):
            factors = tuple(f.strip() for f in v.split("*"))
            if not all(f in out and isinstance(out[f][0], int) for f in factors):
                raise ValueError(f"{name} is {v!r}, but a product names sizes declared above it (D = \"H*W\")")
            out[name] = factors
        elif isinstance(v, int) and not isinstance(v, bool) and v >= 1:
            out[name] = (v, v)
        elif (isinstance(v, list) and len(v) == 2 and all(isinstance(x, int) and not isinstance(x, bool) for x in v)
              and 1 <= v[0] <= v[1] <= 4096):
            out[name] = (v[0], v[1])
        else:
            raise ValueError(f"{name} is {v!r}, but must be a size >= 1 or a range [low, high] of sizes")
    return out


def parse_path(text: str) -> list[str]:
    """What a test compares: a name the steps bind (``Z``) or an attribute of one (``layer.dLdW``)."""
    parts = text.split(".") if isinstance(text, str) else []
    if not parts or not all(_NAME.fullmatch(p) for p in parts):
        raise ValueError(f"{text!r} is not a name or name.attribute")
    return parts


def parse_step(text: Any) -> dict[str, Any]:
    """One statement as plain data for the child; ``ValueError`` naming what the step language lacks.

    The forms: ``name = call(args)``, ``a, b = call(args)``, ``call(args)``, ``obj.attr = name`` (or a
    constant), ``name = value``; a call is a name the module defines or a name the steps bound, then attributes
    (``layer.forward``); an argument is a name (an input, a dimension, a bound name, a class or function the
    module defines: ``Net.__new__(Net)``), an attribute of a bound name (``layer.W``), one entry of a bound
    list (``Ws[-1]``), a literal, or arithmetic of those (``(W - layer.W) / 0.1``: the step a method took).
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"{text!r} is not a statement")
    try:
        tree = ast.parse(text.strip(), mode="exec")
    except SyntaxError as e:
        raise ValueError(f"{text!r} is not Python ({e.msg})") from None
    if len(tree.body) != 1:
        raise ValueError(f"{text!r} must be one statement")
    stmt = tree.body[0]
    out: dict[str, Any] = {"text": text.strip(), "targets": []}
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        out["targets"] = _targets(stmt.targets[0], text)
        value = stmt.value
    elif isinstance(stmt, ast.Expr):
        value = stmt.value
    else:
        raise ValueError(f"{text!r}: a step is an assignment or a call")
    if isinstance(value, ast.Call):
        out["call"] = {"path": _callee(value.func, text), "args": [_arg(a, text) for a in value.args],
                       "kwargs": {k.arg: _arg(k.value, text) for k in value.keywords if k.arg}}
        if any(k.arg is None for k in value.keywords) or any(isinstance(a, ast.Starred) for a in value.args):
            raise ValueError(f"{text!r}: *args and **kwargs are not part of the step language")
    elif out["targets"]:
        out["value"] = _arg(value, text)
    else:
        raise ValueError(f"{text!r}: a step without a target must be a call")
    return out


def _targets(node: ast.expr, text: str) -> list[str]:
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, ast.Tuple) and all(isinstance(e, ast.Name) for e in node.elts):
        return [e.id for e in node.elts]  # type: ignore[attr-defined]
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return [f"{node.value.id}.{node.attr}"]
    raise ValueError(f"{text!r}: assign to a name, names (a, b = ...) or name.attribute")


def _callee(node: ast.expr, text: str) -> list[str]:
    path = []
    while isinstance(node, ast.Attribute):
        path.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        raise ValueError(f"{text!r}: call a name or name.method")
    return [node.id, *reversed(path)]


def _arg(node: ast.expr, text: str) -> dict[str, Any]:
    if isinstance(node, ast.Name):
        return {"ref": node.id}
    if isinstance(node, ast.Attribute):  # layer.W: an attribute of a bound name
        path = _callee(node, text)
        return {"ref": path[0], "attrs": path[1:]}
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        return {"op": _OPERATORS[type(node.op)], "args": [_arg(node.left, text), _arg(node.right, text)]}
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and not isinstance(node.operand, ast.Constant):
        return {"op": "neg", "args": [_arg(node.operand, text)]}
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):  # Ws[-1]: one entry of a list
        try:
            index = ast.literal_eval(node.slice)
        except (ValueError, TypeError, SyntaxError):
            index = None
        if isinstance(index, int) and not isinstance(index, bool):
            return {"ref": node.value.id, "index": index}
        raise ValueError(f"{text!r}: an index is a whole number, as in Ws[-1]")
    try:
        return {"const": ast.literal_eval(node)}
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise ValueError(f"{text!r}: an argument is a name, name.attribute, a literal or arithmetic (+ - * /) "
                         f"of those, not {ast.unparse(node)!r}") from None


def bound_names(steps: Sequence[Mapping[str, Any]]) -> set[str]:
    """Every name the steps bind (not attributes they set)."""
    return {t for s in steps for t in s["targets"] if "." not in t}


def referenced(steps: Sequence[Mapping[str, Any]]) -> list[str]:
    """The names the steps read, in order: arguments and the heads of calls."""
    out: list[str] = []
    for s in steps:
        args = [s["value"]] if "value" in s else [*s["call"]["args"], *s["call"]["kwargs"].values()]
        out += [name for a in args for name in _refs(a)]
        if "call" in s:
            out.append(s["call"]["path"][0])
        out += [t.split(".")[0] for t in s["targets"] if "." in t]
    return out


def _refs(arg: Mapping[str, Any]) -> list[str]:
    """The names an argument reads, through its arithmetic."""
    if "op" in arg:
        return [name for a in arg["args"] for name in _refs(a)]
    return [arg["ref"]] if "ref" in arg else []


def draw_cases(inputs: Sequence[InputSpec], dims: Mapping[str, tuple[int, int]], seed: int, *, random: int = 4,
               edges: Sequence[str] = EDGE_CASES, batch: str | None = None) -> list[Case]:
    """The edge cases the spec keeps, then ``random`` draws; every size and value from ``seed``."""
    rng = np.random.default_rng(seed)
    cases = []
    for label in edges:
        if label == "a batch of one" and (batch is None or batch not in dims):
            continue
        sizes = _sizes(dims, rng, {batch: 1} if label == "a batch of one" and batch else {})
        arrays = tuple(_edge(_draw(s, sizes, rng), s, label) for s in inputs)
        cases.append(Case(label, sizes, arrays))
    for i in range(random):
        sizes = _sizes(dims, rng, {})
        cases.append(Case(f"random draw {i + 1}", sizes, tuple(_draw(s, sizes, rng) for s in inputs)))
    return cases


def _sizes(dims: Mapping[str, Any], rng: np.random.Generator, fixed: Mapping[str | None, int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for n, v in dims.items():
        if isinstance(v[0], str):  # a product of sizes drawn above
            out[n] = int(np.prod([out[f] for f in v]))
        else:
            out[n] = int(fixed[n]) if n in fixed else int(rng.integers(v[0], v[1] + 1))
    return out


def smallest(dims: Mapping[str, Any]) -> dict[str, int]:
    """Every size at its lowest (a structure check's model)."""
    out: dict[str, int] = {}
    for n, v in dims.items():
        out[n] = int(np.prod([out[f] for f in v])) if isinstance(v[0], str) else int(v[0])
    return out


def _resolve(bound: float | str | None, sizes: Mapping[str, int]) -> float | None:
    return float(sizes[bound]) if isinstance(bound, str) else bound


def _draw(spec: InputSpec, sizes: Mapping[str, int], rng: np.random.Generator) -> np.ndarray:
    shape = tuple(d if isinstance(d, int) else sizes[d] for d in spec.dims)
    out: np.ndarray
    if spec.one_hot:  # one class per row of the last axis
        classes = shape[-1]
        out = np.eye(classes)[rng.integers(0, classes, size=shape[:-1])] if classes else np.zeros(shape)
    elif spec.values:
        out = rng.choice(np.array(spec.values), size=shape)
    elif spec.dtype == "bool":
        out = rng.random(shape) < 0.5
    elif spec.floating:
        lo, hi = _resolve(spec.low, sizes), _resolve(spec.high, sizes)
        out = rng.standard_normal(shape) if lo is None or hi is None else rng.uniform(lo, hi, size=shape)
    else:
        lo, hi = _resolve(spec.low, sizes), _resolve(spec.high, sizes)
        lo, hi = (-5.0, 6.0) if lo is None or hi is None else (lo, hi)
        out = rng.integers(int(lo), max(int(hi), int(lo) + 1), size=shape)
    return np.asarray(out, dtype=spec.dtype)


def _edge(x: np.ndarray, spec: InputSpec, label: str) -> np.ndarray:
    """An edge case's change to a float input with no declared range or values (labels keep their draw)."""
    if not spec.floating or spec.values or spec.low is not None or spec.one_hot:
        return x
    if label == "zeros":
        return np.zeros_like(x)
    if label == "negatives":
        return -np.abs(x) - np.asarray(0.1, dtype=x.dtype)
    if label == "large magnitudes":
        return x * np.asarray(1e3, dtype=x.dtype)
    return x

"""Compare two model descriptions (``torch_probe._gk_describe`` data): the student's and the reference's.

Pure data in, one line out: no torch here. Each function returns None when the
student's model agrees, else a message naming the layer and the expected and
actual values.

>>> ref = [{"op": "conv", "kernel": [5, 5], "module": "conv1", "shape": [2, 6, 28, 28]}]
>>> got = [{"op": "conv", "kernel": [3, 3], "module": "conv1", "shape": [2, 6, 30, 30]}]
>>> compare_layers(ref, got)
'layer 1 (conv in conv1): kernel is 3×3, expected 5×5'
"""

from __future__ import annotations

import difflib
import re
from typing import Any, Sequence

__all__ = ["compare_layers", "compare_shapes", "label", "canonical", "final_relu_missing", "biased_convs",
           "conv_bias_count", "modules_named"]

# What identifies a layer, per op (the shape is judged separately, by compare_shapes).
_KEYS = {
    "conv": ("in_channels", "out_channels", "kernel", "stride", "padding", "bias"),
    "linear": ("in_features", "out_features", "bias"),
    "pool": ("kind", "kernel", "stride", "padding", "output_size"),
    "batchnorm": ("num_features",),
    "dropout": ("p",),
    "activation": ("kind",),
    "add": (),
}
_SHORT = {"in_channels": "in channels", "out_channels": "out channels", "in_features": "in features",
          "out_features": "out features", "num_features": "features", "kind": "type", "output_size": "output size"}


def _fmt(v: Any) -> str:
    if isinstance(v, list) and v and all(isinstance(x, int) for x in v):
        return "×".join(map(str, v))
    if isinstance(v, bool):
        return "present" if v else "absent"
    return f"{v:g}" if isinstance(v, float) else str(v)


def label(i: int, layer: dict) -> str:
    kind = f"{layer.get('kind')} " if layer["op"] in ("pool", "activation") else ""
    return f"layer {i + 1} ({kind}{layer['op']} in {layer.get('module', '?')})"


def _describe(layer: dict) -> str:
    keys = [k for k in _KEYS.get(layer["op"], ()) if layer.get(k) is not None and k != "kind"]
    parts = ", ".join(f"{_SHORT.get(k, k)} {_fmt(layer[k])}" for k in keys)
    kind = f"{layer.get('kind')} " if layer["op"] in ("pool", "activation") else ""
    return f"{kind}{layer['op']}" + (f" ({parts})" if parts else "")


def _signature(layer: dict) -> tuple:
    return (layer["op"],) + tuple(str(layer.get(k)) for k in _KEYS.get(layer["op"], ()))


def canonical(layers: Sequence[dict]) -> list[dict]:
    """ReLU and max pooling commute: order each adjacent pair one way, so either order is accepted."""
    out = list(layers)
    for i in range(len(out) - 1):
        a, b = out[i], out[i + 1]
        if a["op"] == "pool" and a.get("kind") == "max" and b["op"] == "activation" and b.get("kind") == "relu":
            before = out[i - 1].get("shape") if i > 0 else None  # what ReLU sees when it runs first
            out[i], out[i + 1] = dict(b, shape=before), a
    return out


def compare_layers(expected: Sequence[dict], got: Sequence[dict], any_order: bool = False) -> str | None:
    """Layer types, order and hyperparameters; the first difference, named by layer.

    ``any_order``: the same layers in another order also pass (a residual
    block may compute its shortcut first).
    """
    exp, got = canonical(expected), canonical(got)
    if any_order and sorted(map(_signature, exp)) == sorted(map(_signature, got)):
        return None
    kinds = difflib.SequenceMatcher(None, [l["op"] for l in exp], [l["op"] for l in got], autojunk=False)
    problems = []
    for tag, i1, i2, j1, j2 in kinds.get_opcodes():
        if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1 and
                              all(exp[i]["op"] == got[j]["op"] for i, j in zip(range(i1, i2), range(j1, j2)))):
            for i, j in zip(range(i1, i2), range(j1, j2)):
                for key in _KEYS[exp[i]["op"]]:
                    if exp[i].get(key) != got[j].get(key):
                        problems.append(f"{label(j, got[j])}: {_SHORT.get(key, key)} is {_fmt(got[j].get(key))}, "
                                        f"expected {_fmt(exp[i].get(key))}")
                        break
        elif tag == "delete":
            where = f"after {label(j1 - 1, got[j1 - 1])}" if j1 > 0 else "at the start"
            problems.append(f"missing {', '.join(_describe(exp[i]) for i in range(i1, i2))} {where}")
        elif tag == "insert":
            problems.append(f"{label(j1, got[j1])}: unexpected {', '.join(_describe(got[j]) for j in range(j1, j2))}")
        else:
            problems.append(f"{label(j1, got[j1])}: expected {', '.join(_describe(exp[i]) for i in range(i1, i2))}, "
                            f"got {', '.join(_describe(got[j]) for j in range(j1, j2))}")
    if not problems:
        return None
    more = f" (and {len(problems) - 1} more difference{'s' * (len(problems) > 2)})" if len(problems) > 1 else ""
    return problems[0] + more


def compare_shapes(expected: Sequence[dict], got: Sequence[dict], input_shape: Sequence[int],
                   any_order: bool = False) -> str | None:
    """Each layer's output shape on the same dummy input, in the order the layers ran (or any order).

    In order, the two lists of ops are aligned as compare_layers aligns them: each layer that lines up is
    judged by its shape, and where ops are inserted, missing or replaced only the shape the data has past
    them, so one missing ReLU costs the layers check alone while a missing pool costs both.
    """
    exp, got = canonical(expected), canonical(got)
    if any_order:
        key = lambda layer: _signature(layer) + (str(layer.get("shape")),)  # noqa: E731
        left = sorted(map(key, exp))
        for i, g in enumerate(got):
            if key(g) in left:
                left.remove(key(g))
                continue
            same = [e for e in exp if _signature(e) == _signature(g)]
            # a layer of a kind the expected model has, at a shape none of them gives, names the shape it should
            # give; at a shape one of them gives, it is one such layer too many (its twin was matched already)
            other = [e for e in same if e.get("shape") != g.get("shape")]
            want = (f", expected {_fmt(other[0].get('shape'))}" if other
                    else ": one such layer more than the expected model has" if same
                    else "; the expected model has no such layer")
            return (f"on an input of shape {_fmt(list(input_shape))}, {label(i, g)} outputs "
                    f"{_fmt(g.get('shape'))}{want}")
        return None if not left else "the layers differ from the expected ones: see layers"
    shape = _fmt(list(input_shape))
    after = lambda layers, k: layers[k - 1].get("shape") if k > 0 else list(input_shape)  # noqa: E731
    ops = difflib.SequenceMatcher(None, [l["op"] for l in exp], [l["op"] for l in got], autojunk=False)
    for tag, i1, i2, j1, j2 in ops.get_opcodes():
        if tag == "equal":
            for i, j in zip(range(i1, i2), range(j1, j2)):
                if exp[i].get("shape") != got[j].get("shape"):
                    return (f"on an input of shape {shape}, {label(j, got[j])} outputs {_fmt(got[j].get('shape'))}, "
                            f"expected {_fmt(exp[i].get('shape'))}")
        elif after(exp, i2) != after(got, j2):
            # ops inserted, missing or replaced are compare_layers' to name; here only whether the data
            # leaves them in the expected shape (a missing ReLU does not change it, a missing pool does)
            where = f"{label(j2 - 1, got[j2 - 1])} outputs" if j2 > 0 else "the input is"
            return (f"on an input of shape {shape}, {where} {_fmt(after(got, j2))} where the expected layers give "
                    f"{_fmt(after(exp, i2))}: the layers differ there (see layers)")
    return None


def final_relu_missing(expected: Sequence[dict], got: Sequence[dict]) -> bool:
    """The only difference is the ReLU the expected model ends with (after its final layer)."""
    exp, got = canonical(expected), canonical(got)
    return (bool(exp) and exp[-1]["op"] == "activation" and exp[-1].get("kind") == "relu"
            and list(map(_signature, got)) == list(map(_signature, exp[:-1])))


def biased_convs(expected: Sequence[dict], got: Sequence[dict]) -> list[dict]:
    """The student's convolutions that have a bias where the expected ones have none, when that is the only
    difference (nn.Conv2d's default bias=True in place of a bias-free convolution); [] otherwise."""
    exp, got = canonical(expected), canonical(got)
    if len(exp) != len(got):
        return []
    biased = []
    for e, g in zip(exp, got):
        if e["op"] == g["op"] == "conv" and e.get("bias") is False and g.get("bias") is True:
            e = dict(e, bias=True)
            biased.append(g)
        if _signature(e) != _signature(g):
            return []
    return biased


def conv_bias_count(convs: Sequence[dict]) -> int:
    """The parameters the biases of ``convs`` add: out_channels each, a module run twice counted once."""
    seen = {(c.get("module"), c.get("in_channels"), c.get("out_channels"), str(c.get("kernel"))): c for c in convs}
    return sum(int(c.get("out_channels") or 0) for c in seen.values())


def modules_named(layers: Sequence[dict]) -> str:
    """The modules the layers ran in, in short: conv1, conv2, conv3 is "conv1–3"."""
    names = list(dict.fromkeys(str(layer.get("module", "?")) for layer in layers))
    parts = [m for m in (re.fullmatch(r"(.*?)(\d+)", n) for n in names) if m is not None]
    if len(names) > 1 and len(parts) == len(names) and len({p.group(1) for p in parts}) == 1:
        numbers = [int(p.group(2)) for p in parts]
        if numbers == list(range(numbers[0], numbers[0] + len(numbers))):
            return f"{names[0]}–{numbers[-1]}"
    return ", ".join(names)

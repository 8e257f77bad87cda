"""A torch model's structure, graded apart from running it: layers, each layer's output shape, the
parameter count and the output shape, each against the solution's model, priced by the spec.

Both models are built by the part's steps in their children and described there by the same code
(``torch_probe._gk_describe``): the ops their forward runs, with hyperparameters and output shapes. A
forward that raises is described too, up to the layer it raised in; then the layers the model *defines*
are compared with the solution's (so a TA's points for the layers defined right stand), the shapes and
the output are lost, and the feedback names the failing layer. The output shape alone earns nothing: its
share is paid only where another check earns some credit (another network with the right output shape is
not the asked one), unless the spec prices it alone (``output_alone = true``).

A part writes ``structure = { model = "net", input = [5, 3, 32, 32], checks = { layers = 2.5, shapes = 2.5,
parameters = 2.5, output = 2.5 } }``: the checks it runs and their shares of the part; ``ops = ["conv",
"linear", "pool", "activation"]`` compares only those kinds of layer (a later part of the same class may
grade its batch norm, ``ops = ["batchnorm"]``, or its dropout). Two mistakes are
named when they are the only difference and the part's ``partial`` prices them: ``final_relu_missing``
(no ReLU after the final layer) and ``conv_bias`` (convolutions with biases where the solution's have none).

>>> parse_checks({"layers": 1, "output": 1}, "parts.net.structure.checks")
{'layers': 1.0, 'output': 1.0}
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Mapping

from gradekit.code.scenario import bound_names
from gradekit.code.spec import Graded, Slip
from gradekit.code.torch_compare import (biased_convs, compare_layers, compare_shapes, conv_bias_count,
                                          final_relu_missing, modules_named)
from gradekit.core.errors import ParamError

if TYPE_CHECKING:
    from gradekit.code.session import CallResult

__all__ = ["broken_forward", "models_of", "parse_models", "CHECKS", "OPS", "STRUCTURE_MISTAKES", "parse_checks", "parse_ops", "described_structure", "judge_layers", "judge_shapes",
           "judge_parameters", "judge_output"]

STRUCTURE_MISTAKES = ("final_relu_missing", "conv_bias")
OPS = ("conv", "linear", "pool", "batchnorm", "dropout", "activation", "add")  # what torch_probe names


def _priced(o: Mapping[str, Any], mistake: str) -> bool:
    return mistake in dict(o.get("partial") or {})


def _conv_bias_cause(convs: list[dict]) -> str:
    return (f"{modules_named(convs)} have biases where the solution's convolutions have none "
            f"(nn.Conv2d's default bias=True in place of a bias-free convolution)")


def judge_layers(e, g, case, any_order, o):
    """Layer types, order and hyperparameters (``e`` the expected description, ``g`` the student's)."""
    bad = compare_layers(e["layers"], g["layers"], any_order)
    if bad is None or any_order:
        return bad
    if _priced(o, "final_relu_missing") and final_relu_missing(e["layers"], g["layers"]):
        return Slip(bad, "final_relu_missing", o)
    convs = biased_convs(e["layers"], g["layers"]) if _priced(o, "conv_bias") else []
    return Slip(_conv_bias_cause(convs), "conv_bias", o) if convs else bad


def judge_shapes(e, g, case, any_order, o):
    return compare_shapes(e["layers"], g["layers"], case["input"], any_order)


def judge_parameters(e, g, case, any_order, o):
    if e["params"] != g["params"]:
        bad = f"has {g['params']:,} trainable parameters, expected {e['params']:,}"
        convs = biased_convs(e["layers"], g["layers"]) if _priced(o, "conv_bias") and not any_order else []
        if convs and g["params"] - e["params"] == conv_bias_count(convs):
            return Slip(f"{bad}: the {g['params'] - e['params']:,} more are {modules_named(convs)}'s biases "
                        f"(the solution's convolutions have none)", "conv_bias", o)
        return bad
    return None


def judge_output(e, g, case, any_order, o):
    shape = "×".join(map(str, case["input"]))
    if g["output"] is None:
        return f"forward on an input of shape {shape} returned a {g['output_type']}, expected a tensor"
    if e["output"] != g["output"]:
        return (f"forward on an input of shape {shape} returned shape {'×'.join(map(str, g['output']))}, "
                f"expected {'×'.join(map(str, e['output']))}")
    return None


CHECKS = {"layers": judge_layers, "shapes": judge_shapes, "parameters": judge_parameters, "output": judge_output}


def parse_checks(raw: Any, where: str) -> dict[str, float]:
    """``checks = { layers = 2.5, ... }``: the checks a structure part runs, each with its share (> 0)."""
    if not isinstance(raw, Mapping) or not raw:
        raise ParamError(where, f"must be a table of check shares, some of {', '.join(CHECKS)}")
    out = {}
    for name, share in raw.items():
        if name not in CHECKS:
            raise ParamError(where, f"names {name!r}; the checks are {', '.join(CHECKS)}")
        if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 < share <= 1000:
            raise ParamError(where, f"gives {name} the share {share!r}, but a share is a number above 0")
        out[name] = float(share)
    return out


_DEFINED = ("conv", "linear", "batchnorm", "dropout")  # layers a model's modules define, compared when forward fails


def parse_ops(raw: Any, where: str) -> tuple[str, ...]:
    """``ops = ["conv", "linear", "pool", "activation"]``: the kinds of layer a part compares (the others are
    another part's: a class whose later parts add batch norm and dropout to the same network)."""
    if not isinstance(raw, list) or not raw or any(op not in OPS for op in raw):
        raise ParamError(where, f"is {raw!r}, but must list some of {', '.join(OPS)}")
    return tuple(raw)


def _only(d: dict, ops: tuple[str, ...] | None) -> dict:
    """The description with only the layers of ``ops`` (all of them for None)."""
    if ops is None:
        return d
    return {**d, "layers": [x for x in d["layers"] if x["op"] in ops],
            "defined": [x for x in d.get("defined", []) if x["op"] in ops]}


def _description(r: CallResult) -> dict | str:
    try:
        d = json.loads(bytes(r.value.astype("uint8")).decode())
    except (ValueError, AttributeError, UnicodeDecodeError, TypeError):
        return "the model description came back unreadable"
    if not (isinstance(d, dict) and isinstance(d.get("layers"), list) and isinstance(d.get("params"), int)
            and isinstance(d.get("defined", []), list) and len(d["layers"]) <= 10_000
            and all(isinstance(x, dict) and isinstance(x.get("op"), str) for x in d["layers"] + d.get("defined", []))):
        return "the model description came back malformed"
    return d


def models_of(structure: Mapping[str, Any]) -> list[tuple[str, list]]:
    """(model name, input shape) of each model a part describes: ``model = "net", input = [sizes]``, or
    several built by the same steps, ``model = ["same", "down"], input = [[sizes], [sizes]]``."""
    if isinstance(structure.get("model"), list):
        return list(zip(structure["model"], structure.get("input", [])))
    return [(structure["model"], structure.get("input", []))]


def parse_models(structure: Any, known: set[str], where: str) -> None:
    """Raise ``ParamError`` unless the part names models its steps bind, each with an input shape."""
    shape = lambda x: isinstance(x, list) and all(isinstance(d, (int, str)) and not isinstance(d, bool)  # noqa: E731
                                                  for d in x)
    if not isinstance(structure, Mapping):
        raise ParamError(where, "must be { model = NAME the steps bind, input = [sizes] }")
    model, given = structure.get("model"), structure.get("input", [])
    if isinstance(model, list):
        if not model or not all(m in known for m in model) or not (isinstance(given, list) and len(given) == len(model)
                                                                   and all(shape(x) for x in given)):
            raise ParamError(where, "must be { model = [NAMES the steps bind], input = [[sizes] for each] }")
    elif model not in known or not shape(given):
        raise ParamError(where, "must be { model = NAME the steps bind, input = [sizes] }")


def described_structure(pair: Any, structure: Mapping[str, Any], steps: list, dims: Mapping[str, int],
                        options: Mapping[str, Any], timeout: float, failure) -> Graded:
    """Grade the model the steps build: ``structure`` is the part's table (model, input, checks,
    output_alone); ``failure(result)`` says what a failed call of the student's child says (None: not
    implemented). The solution's model failing is a grader fault. Several models (``model = [...]``) are
    each described; a check passes where it passes for every one, and the feedback names the model."""
    shares = parse_checks(structure["checks"], "structure.checks")
    models = models_of(structure)
    verdicts: dict[str, Any] = {}
    for model, shape in models:
        got = _model_verdicts(pair, structure, model, [int(dims.get(d, d)) for d in shape], steps, dims, options,
                              timeout, failure, shares)
        if isinstance(got, Graded):
            return got
        for name, v in got.items():
            now = verdicts.get(name)  # the worst verdict of the models: a plain failure over a priced slip
            if v is not None and (now is None or (isinstance(now, Slip) and not isinstance(v, Slip))):
                shown = next((s["text"] for s in steps if model in bound_names([s])), model)
                verdicts[name] = v if len(models) == 1 else _named(v, f"`{shown}`: ")
            verdicts.setdefault(name, None)
    return _graded(structure, shares, verdicts)


def _named(v: Any, prefix: str) -> Any:
    """A verdict with the model it is about in front: a Slip keeps its mistake and credit."""
    return Slip(prefix + str(v), v.mistake, {"partial": {v.mistake: v.credit}}) if isinstance(v, Slip) \
        else prefix + str(v)


def broken_forward(failed: Mapping[str, Any]) -> str:
    """The line that says where a model's forward raised: the module's name, and its type where it has one."""
    module, kind = str(failed.get("module", "?"))[:100], str(failed.get("type", ""))[:60]
    where = f"{module} ({kind})" if kind and module != "forward" else module
    return f"the forward pass raised {str(failed.get('error', ''))[:200]} in {where}"


def _model_verdicts(pair: Any, structure: Mapping[str, Any], model: str, shape: list, steps: list,
                    dims: Mapping[str, int], options: Mapping[str, Any], timeout: float, failure,
                    shares: Mapping[str, float]) -> dict[str, Any] | Graded:
    """Each check's verdict (None: passes) for one model, or the part's Graded where it cannot be built."""
    from gradekit.code.props import CheckFault

    request = {"steps": steps, "dims": dict(dims), "model": model, "input": shape}
    ref = pair.reference.call("_gk_described", request, timeout=max(timeout, 60.0))
    expected = _description(ref) if ref.ok else f"could not be built ({failure(ref) or 'not implemented'})"
    if isinstance(expected, str) or expected.get("failed"):
        why = expected if isinstance(expected, str) else f"raised in {expected['failed']['module']}"
        raise CheckFault(f"the solution's model {why}")
    got = pair.student.call("_gk_described", request, timeout=timeout)
    if not got.ok:
        failed = failure(got)
        if failed is not None:  # the child's entry point is no part of what the student wrote
            failed = failed.replace("_gk_described raised _GkStepError: ", "").replace("_gk_described raised ",
                                                                                      "raised ")
        return Graded.missing() if failed is None else Graded(0.0, f"the model could not be built: {failed}")
    g = _description(got)
    if isinstance(g, str):
        return Graded(0.0, g)
    ops = parse_ops(structure["ops"], "structure.ops") if "ops" in structure else None
    expected, g = _only(expected, ops), _only(g, ops)
    case = {"input": shape}
    any_order = bool(structure.get("any_order"))
    verdicts: dict[str, str | None] = {}
    if g.get("failed"):
        f = g["failed"]
        broke = broken_forward(f)
        # the modules a class defines, as a set: their registration order, and weightless layers (pooling,
        # activations: functional, or one module used twice) say nothing of the network the forward would run
        want_defined, got_defined = ([x for x in d.get("defined", []) if x["op"] in _DEFINED] for d in (expected, g))
        defined = compare_layers(want_defined, got_defined, any_order=True)
        verdicts = {"layers": None if defined is None else f"{defined} (the layers the model defines; {broke})",
                    "shapes": broke, "parameters": judge_parameters(expected, g, case, any_order, options),
                    "output": broke}
    else:
        verdicts = {name: CHECKS[name](expected, g, case, any_order, options) for name in shares}
    return verdicts


def _graded(structure: Mapping[str, Any], shares: Mapping[str, float], verdicts: Mapping[str, Any]) -> Graded:
    credit: dict[str, float] = {}
    lines, mistakes = [], []
    for name in shares:
        v = verdicts[name]
        credit[name] = 1.0 if v is None else v.credit if isinstance(v, Slip) else 0.0
        if isinstance(v, Slip):
            mistakes.append(v.mistake)
        if v is not None:
            lines.append(f"{name}: {v}" + (f" [{v.mistake}: {v.credit:g} of its credit]" if isinstance(v, Slip) else ""))
    others = [n for n in credit if n != "output"]
    if credit.get("output") and others and not any(credit[n] for n in others) and not structure.get("output_alone"):
        credit["output"] = 0.0  # the right output shape from another network is not the asked network's
        lines.append("output: the right output shape, but every other check fails: another network than the "
                     "asked one earns nothing for its output shape alone")
    fraction = sum(shares[n] * credit[n] for n in shares) / sum(shares.values())
    return Graded(fraction, "; ".join(lines), tuple(dict.fromkeys(mistakes)))

"""Model checks: a student's ``nn.Module`` (class or factory) checked against a reference model by introspection,
for the family whose parts build a model of ``gradekit.reference.models`` (``module.torch_handout``: CS 37300's
PyTorchANN and PyTorchCNN). A course's own model is a ``[code]`` problem instead, checked against its solution
file (``gradekit.code.structure``).

The child builds the student's model and runs it once on a dummy input inside
``gradekit.sandbox.child.torch_probe`` (appended to the student's file), which
reports plain data: the layer ops its forward runs with their hyperparameters
and output shapes, the parameter count, the output shape. The parent describes
the reference model (``gradekit.reference.models``) with the same code and
compares: no student object ever reaches the parent.

Checks: ``layers`` (types, order, kernel/stride/padding/channels, dropout p),
``shapes`` (each layer's output shape), ``parameters`` (trainable count),
``output`` (the output's shape: paid only where another check earns credit, unless the callable says
``output_alone = true``). A forward that raises still has the layers the model defines and its parameter
count graded; the shapes and the output are lost, and the feedback names the layer that raised.

>>> sorted(model_checks({"name": "PyTorchANN", "reference": "PyTorchANN", "cases": [{"input": [3, 64]}]}, "c"))
['layers', 'output', 'parameters', 'shapes']
"""

from __future__ import annotations

import functools
import json
from typing import Any, Mapping

from gradekit.plugin import ParamError
from gradekit.code.callkind import CallKind
from gradekit.code.spec import Check, Slip
from gradekit.code.structure import broken_forward, judge_layers, judge_output, judge_parameters, judge_shapes
from gradekit.code.torch_compare import compare_layers

TIMEOUT = 20.0

def _references() -> dict[str, Any]:
    """Reference builders, called with the same arguments as the student's callable."""
    from gradekit.reference import models as m

    return {
        "SimpleNN": lambda: m.SimpleNN(),
        "LeNet5": lambda n_classes=10: m.LeNet5(num_classes=n_classes),
        "Residual": lambda *a: m.Residual(*a),
        "ResNet18": lambda *a: m.get_resnet(*a),
        "PyTorchCNN": lambda num_classes=10: m.PyTorchCNN(num_classes),
        "PyTorchANN": lambda *a: m.PyTorchANN(*a),
        "LeNetFashion": lambda: m.lenet_fashion(),
    }


REFERENCES = ("SimpleNN", "LeNet5", "Residual", "ResNet18", "PyTorchCNN", "PyTorchANN", "LeNetFashion")


@functools.lru_cache(maxsize=None)
def describe_reference(reference: str, args: tuple, input_shape: tuple) -> dict:
    """The reference model described by the same code the child runs (cached: it never changes); with the
    layers it defines, which a student's model whose forward raises is compared with."""
    import torch

    from gradekit.sandbox.child.torch_probe import _gk_describe

    torch.manual_seed(0)
    return _gk_describe(_references()[reference](*args), list(input_shape), tolerant=True)


def _describe_student(session, name: str, case: Mapping[str, Any]) -> dict:
    """The student's model described in the child; cached per session (all checks share one run). A forward
    that raises is described too (``failed``, and the layers the model ``defined``)."""
    cache = session.__dict__.setdefault("_gradekit_torch", {})
    key = json.dumps([name, case], sort_keys=True)
    if key not in cache:
        r = session.call("_gk_probe", {"build": name, "args": list(case["args"]), "input": list(case["input"]),
                                       "tolerant": True},
                         timeout=float(case.get("timeout", TIMEOUT)))
        if not r.ok:
            cache[key] = {"error": r.message, "kind": r.kind}
        else:
            try:
                cache[key] = _well_formed(json.loads(bytes(r.value.astype("uint8")).decode()))
            except (ValueError, AttributeError, UnicodeDecodeError, TypeError):
                cache[key] = {"error": "the model description came back unreadable", "kind": CallKind.DATA}
    return cache[key]


def _well_formed(d: Any) -> dict:
    """The child's description, bounded before it is read (a student's file wrote it); or its failure."""
    if isinstance(d, dict) and isinstance(d.get("error"), str):
        return {"error": d["error"][:1000], "kind": str(d.get("kind", "error"))[:40]}
    ok = (isinstance(d, dict) and isinstance(d.get("layers"), list) and isinstance(d.get("params"), int)
          and isinstance(d.get("defined", []), list) and len(d["layers"]) + len(d.get("defined", [])) <= 20_000
          and all(isinstance(x, dict) and isinstance(x.get("op"), str) for x in d["layers"] + d.get("defined", []))
          and (d.get("failed") is None or isinstance(d["failed"], dict)))
    if not ok:
        raise ValueError("malformed")
    return d


def _call_text(name: str, args) -> str:
    return f"{name}({', '.join(repr(a) for a in args)})"


# layers a model's modules define, compared when its forward raises: the weightless ones (pooling,
# activations: often functional, or one module used twice) say nothing of the network the forward would run
_DEFINED = ("conv", "linear", "batchnorm", "dropout")




def _verdicts(expected: dict, got: dict, case, any_order: bool, o, output_alone: bool) -> dict:
    """Every check's verdict on one case. A forward that raised still has its defined layers and parameter
    count graded (the shapes and the output are lost, and say which layer raised). The output shape is paid
    only where another check earns credit (another year's network with the right output shape is not the
    asked one), or where the callable's ``output_alone`` says the course pays it alone."""
    failed = got.get("failed")
    if failed:
        broke = broken_forward(failed)
        defined = compare_layers(*([x for x in d.get("defined", []) if x["op"] in _DEFINED] for d in (expected, got)),
                                 any_order=True)
        out = {"layers": None if defined is None else f"{defined} (the layers the model defines; {broke})",
               "shapes": broke, "parameters": judge_parameters(expected, got, case, any_order, o), "output": broke}
    else:
        out = {name: judge(expected, got, case, any_order, o) for name, judge in _JUDGES.items()}
    earns = any(v is None or (isinstance(v, Slip) and v.credit > 0) for k, v in out.items() if k != "output")
    if out["output"] is None and not earns and not output_alone:
        out["output"] = ("the right output shape, but every other check fails: another network than the asked "
                         "one earns nothing for its output shape alone")
    return out


def _each_case(check: str):
    """The check ``check`` on each of the callable's cases (``o``: the part's options, whose ``partial``
    prices the named mistakes)."""
    def run(session, o, *, name, cases, reference, any_order, output_alone):
        for case in cases:
            got = _describe_student(session, name, case)
            if "error" in got:
                return got["error"]
            expected = describe_reference(reference, tuple(case["args"]), tuple(case["input"]))
            bad = _verdicts(expected, got, case, any_order, o, output_alone)[check]
            if bad is not None:
                if len(cases) > 1:
                    where = f"{_call_text(name, case['args'])}: {bad}"
                    return Slip(where, bad.mistake, o) if isinstance(bad, Slip) else where
                return bad
        return None
    return run


# Named mistakes (Slip ids), each named only where the part's ``partial`` prices it (gradekit.code.structure):
# "final_relu_missing" and "conv_bias", as a generated structure check names them.
_JUDGES = {"layers": judge_layers, "shapes": judge_shapes, "parameters": judge_parameters, "output": judge_output}
_WHAT = {"layers": "layer types, order and hyperparameters", "shapes": "each layer's output shape",
         "parameters": "the trainable parameter count", "output": "the output shape"}


def _cases(c: Mapping[str, Any], where: str) -> list[dict]:
    cases = c.get("cases")
    if not isinstance(cases, list) or not cases:
        raise ParamError(f"{where}.cases", "must be a non-empty list of {args = [...], input = [N, C, H, W]} tables")
    for i, case in enumerate(cases):
        shape = case.get("input") if isinstance(case, dict) else None
        if not isinstance(shape, list) or not shape or not all(isinstance(n, int) and 0 < n <= 512 for n in shape):
            raise ParamError(f"{where}.cases[{i}].input", f"is {shape!r}, but must be a shape such as [2, 3, 32, 32]")
        if not isinstance(case.get("args", []), list):
            raise ParamError(f"{where}.cases[{i}].args", "must be a list of constructor arguments")
    return [{"args": list(c.get("args", [])), "input": list(c["input"]), **({"timeout": c["timeout"]} if "timeout" in c else {})}
            for c in cases]


def model_checks(c: Mapping[str, Any], where: str) -> dict[str, Check]:
    """The checks of one model callable (its ``reference``, ``cases`` and ``any_order``), by check name."""
    reference = c.get("reference")
    if reference not in REFERENCES:
        raise ParamError(f"{where}.reference", f"is {reference!r}, but must be one of {', '.join(REFERENCES)}")
    alone = c.get("output_alone", False)
    if not isinstance(alone, bool):
        raise ParamError(f"{where}.output_alone", f"is {alone!r}, but must be true (the course pays the output "
                                                  f"shape alone, even for another network) or false")
    bound = dict(name=c["name"], cases=_cases(c, where), reference=reference, any_order=bool(c.get("any_order")),
                 output_alone=alone)
    return {k: Check(k, functools.partial(_each_case(k), **bound), _WHAT[k]) for k in _JUDGES}

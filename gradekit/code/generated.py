"""Code problems declared from a course's starter and solution: the ``code`` family, with generated checks.

A spec with a ``[code]`` table names the file students hand in, the course's ``starter`` and the instructor's
``solution`` (both beside the spec), the inputs with named sizes, and per part the steps a test runs and the
values it compares. Each check runs the same steps on the same inputs in two sandbox children, the
solution's and the student's (edge cases, then draws seeded per submission), and judges every compared value
with ``gradekit.code.diagnose``: right, a named mistake priced by the part's ``partial``, or wrong. The
grader never imports the solution, nor torch for it.

>>> spec = build_code_spec({
...     "file": "linear.py", "starter_source": "class Linear:\\n    def forward(self, A):\\n        return None\\n",
...     "solution_source": "", "dims": {"N": [1, 4], "C": 3}, "inputs": {"A": "float64[N, C]"},
...     "tests": {"forward": {"steps": ["layer = Linear()", "Z = layer.forward(A)"], "compare": ["Z"]}}})
>>> spec.file, [c.name for c in spec.callables], spec.extra["batch"]
('linear.py', ['forward'], 'N')
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence, cast

from gradekit.code.callkind import CallKind
from gradekit.code.diagnose import MISTAKES, Judgement, judge
from gradekit.code.fit import FitRunner, parse_fit
from gradekit.code.gradcheck import FD_RTOL, parse_gradcheck
from gradekit.code.standins import default_stand_ins, flatten_records
from gradekit.code.unchanged import bodies_to_write, function_bodies, starter_unchanged
from gradekit.code.props import FATAL
from gradekit.code.interface import Interface, read_interface
from gradekit.code.scenario import (EDGE_CASES, Dims, InputSpec, bound_names, draw_cases, parse_dims, parse_input,
                                    parse_path, parse_step, referenced, smallest)
from gradekit.code.spec import CallableSpec, Check, Graded, ModuleSpec
from gradekit.code.structure import STRUCTURE_MISTAKES, described_structure
from gradekit.code.swapped import name_swapped_arguments
from gradekit.code.variants import name_by_variants, parse_variants
from gradekit.core.codefields import CODE_FAMILY
from gradekit.core.errors import ParamError, did_you_mean
from gradekit.core.families import Family
from gradekit.core.records import Solution, Step

if TYPE_CHECKING:
    from gradekit.code.session import CallResult, ModuleSession

__all__ = ["FAMILY", "CodeTest", "CodePair", "build_code_spec"]

LIBRARIES = ("numpy", "torch")
DEFAULT_TIMEOUT = 10.0  # CPU seconds a call of the steps may take, in either child


class CodeSpecError(ParamError):
    """A ``[code]`` table or a code part that cannot be graded: ``code.<field> <what is wrong>``."""

    def __init__(self, field: str, message: str):
        super().__init__("", f"code.{field} {message}")


@dataclass(frozen=True)
class CodeTest:
    """One part's scenario: the steps, then the values compared (``values``), or a module's ``structure``."""

    part: str
    steps: tuple[Mapping[str, Any], ...]
    compare: tuple[tuple[str, ...], ...] = ()
    load: str | None = None  # a torch module the solution's weights are loaded into, as the steps bind it
    structure: Mapping[str, Any] | None = None  # {"model": name, "input": [sizes]}
    factors: Mapping[str, float | str] = field(default_factory=dict)  # label -> a number or a dimension's name
    train: Mapping[str, Any] | None = None  # a training part (gradekit.code.training): served data, pass mark
    stand_in: tuple[str, ...] | None = None  # other graded functions the solution's values stand in for
    gradcheck: Mapping[str, Any] | None = None  # a gradient paired with finite differences (code.gradcheck)
    edges: tuple[str, ...] | None = None  # the part's own edge cases, where the problem's do not suit it
    fit: Any = None  # a training check (code.fit.FitTest)
    variants: tuple = ()  # mistakes named by variants of the solution (code.variants.Variant)

    @property
    def text(self) -> str:
        if not self.steps and self.fit is not None:
            return self.fit.text
        steps = "; ".join(s["text"] for s in self.steps)
        if self.train is not None:
            return f"{steps}; then {self.train['model']}'s trained state, scored by the solution's class"
        if self.structure is not None:
            model = self.structure["model"]
            models = ", ".join(model) if isinstance(model, list) else model
            return f"{steps}; then {models}'s layers, parameter count and output shape"
        return f"{steps}; then compare {', '.join('.'.join(p) for p in self.compare)}"


@dataclass
class CodePair:
    """The student's module and the solution, each alive in its own sandbox child, for one submission."""

    student: ModuleSession
    reference: ModuleSession

    @property
    def import_failure(self) -> CallResult | None:
        return self.student.import_failure

    @property
    def case_seed(self) -> int:
        return self.student.case_seed

    def check_budget(self) -> Any:
        return self.student.check_budget()


# --- the spec --------------------------------------------------------------------------------
def build_code_spec(params: Mapping[str, Any]) -> ModuleSpec:
    """The ``[code]`` table (with the starter's and solution's text, and each part's test) as a ``ModuleSpec``."""
    file = params.get("file")
    if not isinstance(file, str) or not file.endswith((".py", ".ipynb")) or "/" in file:
        raise CodeSpecError("file", f"is {file!r}, but must name the Python file students hand in, e.g. 'linear.py'")
    starter = params.get("starter_source")
    if not isinstance(starter, str):
        raise CodeSpecError("starter", "is missing: the course's starter file, beside the spec")
    try:
        interface = read_interface(starter)
    except SyntaxError as e:
        raise CodeSpecError("starter", f"is not Python: line {e.lineno}: {e.msg}") from None
    library = params.get("library", "numpy")
    if library not in LIBRARIES:
        raise CodeSpecError("library", f"is {library!r}, but must be one of {', '.join(LIBRARIES)}")
    inputs_as = params.get("inputs_as", library)  # a torch function may take numpy arrays (ECE 449's train_torch)
    if inputs_as not in LIBRARIES:
        raise CodeSpecError("inputs_as", f"is {inputs_as!r}, but must be one of {', '.join(LIBRARIES)}: how the "
                                         f"inputs reach the steps")
    try:
        dims = parse_dims(params.get("dims", {}))
    except ValueError as e:
        raise CodeSpecError("dims", str(e)) from None
    inputs = _inputs(params.get("inputs", {}), dims)
    batch = params.get("batch", "N" if "N" in dims else None)
    if batch is not None and batch not in dims:
        raise CodeSpecError("batch", f"is {batch!r}, but the dims are {', '.join(dims) or 'none'}")
    random = params.get("cases", 4)
    if isinstance(random, bool) or not isinstance(random, int) or not 0 <= random <= 50:
        raise CodeSpecError("cases", f"is {random!r}, but must be a number of random draws from 0 to 50")
    edges = params.get("edges", list(EDGE_CASES))
    if not isinstance(edges, list) or any(e not in EDGE_CASES for e in edges):
        raise CodeSpecError("edges", f"is {edges!r}, but must list some of {', '.join(map(repr, EDGE_CASES))}")
    timeout = params.get("timeout", DEFAULT_TIMEOUT)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 600:
        raise CodeSpecError("timeout", f"is {timeout!r}, but must be CPU seconds per call, above 0, at most 600")
    solution = str(params.get("solution_source", ""))
    setup = {"library": library, "tensors": inputs_as == "torch", "inputs": inputs, "dims": dims, "batch": batch, "random": random,
             "edges": tuple(edges), "timeout": float(timeout),
             "starter_bodies": bodies_to_write(starter.encode(), solution.encode()),  # what students write
             "solution_key": hashlib.sha256(str(params.get("solution_source", "")).encode()).hexdigest()}
    tests = params.get("tests", {})
    if not tests:
        raise CodeSpecError("parts", "has no part with steps: each part of a code problem says what it runs")
    functions = [c.path for c in interface.callables if not c.is_method]
    parsed = [_test(name, raw, interface, inputs, dims) for name, raw in tests.items()]
    parsed = [t if t.stand_in is not None else replace(t, stand_in=default_stand_ins(_own(t), functions))
              for t in parsed]
    for t in parsed:
        _check_variants(t, str(params.get("solution_source", "")))
    callables = tuple(_callable(t.part, t, interface, setup) for t in parsed)
    extra = {**setup, "starter_source": starter, "wrap_source": _with_torch if library == "torch" else _with_numpy, "solution_source": str(params.get("solution_source", "")),
             "interface": interface, "tests": {t.part: t for t in parsed}}
    preamble = "import torch" if library == "torch" else "import numpy as np"
    handout = params.get("preamble_source")  # the handout's own earlier code: run before a .py of one cell
    if isinstance(handout, str):
        return ModuleSpec(file, callables, handout, extra, preamble_runs=True)
    return ModuleSpec(file, callables, preamble, extra)


def _with_numpy(source: bytes) -> bytes:
    """A module (the student's, or the solution) with the scenario runner appended."""
    from gradekit.code.wrap import append_child_code

    return append_child_code(source, "scenario", "standin")


def _with_torch(source: bytes) -> bytes:
    """As ``_with_numpy``, with torch's probe too (the CUDA calls kept on the CPU, said in a note)."""
    from gradekit.code.wrap import append_child_code

    return append_child_code(source, "torch_probe", "torch_train_probe", "scenario", "standin", "training")


def _inputs(raw: Any, dims: Dims) -> tuple[InputSpec, ...]:
    if not isinstance(raw, Mapping):
        raise CodeSpecError("inputs", "must be a table such as A = \"float64[N, C_in]\"")
    out = []
    for name, text in raw.items():
        try:
            spec = parse_input(name, text)
        except ValueError as e:
            raise CodeSpecError(f"inputs.{name}", str(e)) from None
        for d in (*spec.dims, spec.low, spec.high):
            if isinstance(d, str) and d not in dims:
                raise CodeSpecError(f"inputs.{name}", f"uses the size {d!r}, which [code.dims] does not declare"
                                                      f"{did_you_mean(d, dims)}")
        out.append(spec)
    return tuple(out)


def _test(name: str, raw: Mapping[str, Any], interface: Interface, inputs: Sequence[InputSpec],
          dims: Dims) -> CodeTest:
    where = f"parts.{name}"
    steps_raw = raw.get("steps")
    fit_alone = steps_raw is None and raw.get("fit") is not None  # a training checked as training, nothing else
    if not fit_alone and (not isinstance(steps_raw, list) or not steps_raw):
        raise CodeSpecError(f"{where}.steps", "must be a non-empty list of statements, e.g. "
                                             "[\"layer = Linear(C_in, C_out)\", \"Z = layer.forward(A)\"]")
    steps = []
    known = {i.name for i in inputs} | set(dims)
    if raw.get("train") is not None:
        known |= {"train_iter", "test_iter", "device"}  # what a training part's child serves its steps
    for i, text in enumerate(steps_raw or []):
        try:
            step = parse_step(text)
        except ValueError as e:
            raise CodeSpecError(f"{where}.steps[{i}]", str(e)) from None
        for ref in referenced([step]):
            if ref not in known and ref not in interface.names:
                options = sorted(known | set(interface.names))
                raise CodeSpecError(f"{where}.steps[{i}]", f"uses {ref!r}, which is no input, size, name bound "
                                                          f"before it, or name the starter defines"
                                                          f"{did_you_mean(ref, options)}")
        known |= bound_names([step])
        steps.append(step)
    structure = raw.get("structure")
    compare: list[tuple[str, ...]] = []
    train = None
    if raw.get("train") is not None:
        from gradekit.code.training import parse_train

        try:
            train = parse_train(raw["train"], known, "train")
        except ParamError as e:
            raise CodeSpecError(f"{where}.train", e.message) from None
    elif structure is not None:
        from gradekit.code.structure import parse_models

        try:
            parse_models(structure, known, "structure")
        except ParamError as e:
            raise CodeSpecError(f"{where}.structure", e.message) from None
        if isinstance(structure["model"], list) and "checks" not in structure:
            raise CodeSpecError(f"{where}.structure", "names several models: it needs its checks, "
                                                      "checks = { layers = 1, shapes = 1, parameters = 1, output = 1 }")
        if "checks" in structure:  # the described structure (gradekit.code.structure): checks and their shares
            from gradekit.code.structure import parse_checks, parse_ops

            try:
                parse_checks(structure["checks"], "checks")
                if "ops" in structure:
                    parse_ops(structure["ops"], "ops")
            except ParamError as e:
                raise CodeSpecError(f"{where}.structure.{e.field}", e.message) from None
    elif not fit_alone:
        raw_compare = raw.get("compare")
        if not isinstance(raw_compare, list) or not raw_compare:
            raise CodeSpecError(f"{where}.compare", "must list what to compare: names the steps bind, or their "
                                                   "attributes (\"layer.dLdW\")")
        for text in raw_compare:
            try:
                path = parse_path(text)
            except ValueError as e:
                raise CodeSpecError(f"{where}.compare", str(e)) from None
            if path[0] not in known:
                raise CodeSpecError(f"{where}.compare", f"names {path[0]!r}, which the steps never bind"
                                                       f"{did_you_mean(path[0], sorted(known))}")
            compare.append(tuple(path))
    load = raw.get("load")
    if load is not None and load not in known:
        raise CodeSpecError(f"{where}.load", f"is {load!r}, but must be a model the steps bind")
    factors = {}
    for f in raw.get("factors", []) or []:
        factors.update(_factor(f, dims, where))
    named = (*MISTAKES, *STRUCTURE_MISTAKES) if structure is not None and "checks" in structure else MISTAKES
    variants: tuple = ()
    if raw.get("variants") is not None:
        try:
            variants = parse_variants(raw["variants"])
        except ValueError as e:
            raise CodeSpecError(f"{where}.variants", str(e)) from None
        named = (*named, *dict.fromkeys(v.mistake for v in variants))
    stand_in = raw.get("stand_in")
    if stand_in is not None and (not isinstance(stand_in, list) or
                                 not all(n in interface.names or interface.get(n) for n in stand_in)):
        raise CodeSpecError(f"{where}.stand_in", f"is {stand_in!r}, but must list functions (or methods, "
                                                 f"Class.method) the starter defines")
    gradcheck = None
    if raw.get("gradcheck") is not None:
        try:
            gradcheck = parse_gradcheck(raw["gradcheck"], steps, known)
        except ValueError as e:
            raise CodeSpecError(f"{where}.gradcheck", str(e)) from None
    edges = raw.get("edges")
    if edges is not None and (not isinstance(edges, list) or any(e not in EDGE_CASES for e in edges)):
        raise CodeSpecError(f"{where}.edges", f"is {edges!r}, but must list some of {', '.join(map(repr, EDGE_CASES))}")
    fit = None
    if raw.get("fit") is not None:
        try:
            fit = parse_fit(raw["fit"], interface.names)
        except ValueError as e:
            raise CodeSpecError(f"{where}.fit", str(e)) from None
    for key in raw.get("partial", {}) or {}:
        if key not in named:
            raise CodeSpecError(f"{where}.partial", f"prices {key!r}, which a generated check never names "
                                                    f"(it names {', '.join(named)}){did_you_mean(key, named)}")
    return CodeTest(name, tuple(steps), tuple(compare), load, structure, factors, train=train,
                    stand_in=None if stand_in is None else tuple(stand_in), gradcheck=gradcheck,
                    edges=None if edges is None else tuple(edges), fit=fit, variants=variants)


def _check_variants(test: CodeTest, solution: str) -> None:
    """A part's variants run a function the solution's file defines, in the place of the part's own function."""
    if not test.variants:
        return
    where = f"parts.{test.part}.variants"
    if _own(test) is None or test.compare == ():
        raise CodeSpecError(where, "need a part whose steps call its own function and compare values")
    defined = dict(function_bodies(solution.encode()))
    for i, v in enumerate(test.variants):
        if v.run not in defined:
            raise CodeSpecError(f"{where}[{i}].run", f"is {v.run!r}, but the solution's file defines no such "
                                                     f"function{did_you_mean(v.run, sorted(defined))}")


def _own(test: CodeTest) -> str | None:
    """The function a part grades: the one its last call step calls, when that is a name of the module."""
    calls = [s["call"]["path"] for s in test.steps if "call" in s]
    return calls[-1][0] if calls and len(calls[-1]) == 1 else None


def _graded(steps: Sequence[Mapping[str, Any]]) -> str | None:
    """The callable whose body decides whether a part is implemented: the function its last call step calls,
    or for a method of an instance the steps built (``net = Net(...)`` or ``Net.__new__(Net)``, then
    ``net.forward(X)``), ``Net.forward``."""
    calls = [s for s in steps if "call" in s]
    if not calls:
        return None
    path = calls[-1]["call"]["path"]
    if len(path) == 1:
        return path[0]
    builders = [s["call"]["path"][0] for s in calls[:-1] if s["targets"] == [path[0]] and len(s["call"]["path"]) <= 2]
    return f"{builders[-1]}.{path[1]}" if len(path) == 2 and builders else None


def _factor(f: Any, dims: Dims, where: str) -> dict[str, float | str]:
    """``0.5``, ``2``, ``"N"`` or ``"1/N"``: a factor a wrong value may be off by, by its label."""
    if isinstance(f, (int, float)) and not isinstance(f, bool) and f:
        return {f"{f:g}": float(f)}
    if isinstance(f, str) and f.removeprefix("1/") in dims:
        return {f: f}
    raise CodeSpecError(f"{where}.factors", f"has {f!r}, but a factor is a number or a size's name (\"N\", \"1/N\")")


def _callable(name: str, test: CodeTest, interface: Interface, setup: Mapping[str, Any]) -> CallableSpec:
    steps = test.steps or test.fit.steps  # a part of a fit alone: its training steps
    heads = [s["call"]["path"] for s in steps if "call" in s]
    called = [".".join(p) for p in heads if p[0] in interface.names]
    sig = next((interface.signature(p) for p in reversed(called) if interface.signature(p)), f"{name}(...)")
    doc = next((interface.doc(p) for p in reversed(called) if interface.doc(p)), "")
    check = Check("training" if test.train is not None else "structure" if test.structure is not None else "values",
                  _Runner(test, setup),
                  test.text)
    fit = () if test.fit is None else (Check("training", FitRunner(test.fit, setup, test.stand_in or (),
                                                                   _graded(steps)), test.fit.text),)
    checks = (*((check,) if test.steps else ()), *fit)
    return CallableSpec(name, sig, doc, checks)


# --- the checks ------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Runner:
    """A part's check: ``run(pair, options)`` -> ``Graded``; the test it runs is ``test``."""

    test: CodeTest
    setup: Mapping[str, Any]

    def __call__(self, pair: Any, options: Mapping[str, Any]) -> Graded | str | None:
        if not isinstance(pair, CodePair):
            raise TypeError("a generated check needs the student's and the solution's children")
        if starter_unchanged(pair.student.student_code, self.setup, _graded(self.test.steps)):
            return Graded.missing()  # the starter's own body, placeholders and all: not implemented, not wrong
        if self.test.train is not None:
            from gradekit.code.training import trained_check

            return trained_check(pair, self.test.steps, self.test.train, smallest(self.setup["dims"]), options,
                                 float(options.get("timeout", self.setup["timeout"])), _call_failure,
                                 self.setup.get("solution_key", ""))
        if self.test.structure is not None and "checks" in self.test.structure:
            return described_structure(pair, self.test.structure, list(self.test.steps), smallest(self.setup["dims"]),
                                       options, float(options.get("timeout", self.setup["timeout"])), _call_failure)
        if self.test.structure is not None:
            return _structure(pair, self.test, self.setup, options)
        return _values(pair, self.test, self.setup, options)


def _values(pair: CodePair, test: CodeTest, setup: Mapping[str, Any], options: Mapping[str, Any]) -> Graded:
    seed = int.from_bytes(hashlib.sha256(f"{pair.case_seed}/{test.part}".encode()).digest()[:8], "big")
    cases = draw_cases(setup["inputs"], setup["dims"], seed, random=setup["random"],
                       edges=setup["edges"] if test.edges is None else test.edges, batch=setup["batch"])
    timeout = float(options.get("timeout", setup["timeout"]))
    gradcheck = test.gradcheck or {}
    labels = [".".join(p) for p in test.compare] + [f"{g} (against finite differences of {gradcheck['loss']} in {w})"
                                                    for g, w in zip(gradcheck.get("grads", []), gradcheck.get("wrt", []))]
    verdicts: list[list[tuple[str, Judgement | None]]] = [[] for _ in labels]
    # the values are judged once every case has run: near-zero is judged against the largest magnitude a value
    # reaches over all the cases (a gradient that cancels to 3e-10 on one case is zero, as a TA reads it)
    pending: list[tuple[int, int, Any, Any, dict, Mapping[str, int]]] = []
    ran: list[tuple[int, Any, dict, tuple]] = []  # the cases the student's steps ran: index, case, request, values
    wants: dict[int, tuple] = {}  # the solution's values of those cases, by index
    scale = [0.0 for _ in labels]
    batch = setup["batch"]
    for case in cases:
        if batch and case.dims.get(batch) == 1 and case.label != "a batch of one":
            case = replace(case, label=f"{case.label}{_ONE}")
        request = {"inputs": [i.name for i in setup["inputs"]], "dims": dict(case.dims), "library": setup["library"],
                   "tensors": setup["tensors"], "steps": list(test.steps), "compare": [list(p) for p in test.compare],
                   "seed": seed % 2**31}
        plain = dict(request)  # what a variant of the solution runs: the steps alone
        request.update({"stand_in": list(test.stand_in or ()), "gradcheck": test.gradcheck})
        ref = _reference_call(pair, {**request, "export": test.load} if test.load else request, case.arrays, timeout)
        replay: list = []
        if test.stand_in:
            request["replay"], replay = flatten_records(ref[-1])
            ref = ref[:-1]
        weights: tuple = ()
        if test.load:
            ref, weights = ref[:-1], tuple(ref[-1])
            request["load"] = {test.load: len(weights)}
        got = pair.student.call("_gk_scenario", request, *case.arrays, *weights, *replay, timeout=timeout)
        if not got.ok:
            failed = _call_failure(got, _own(test))
            if failed is None:
                return Graded.missing()
            failed += _encoding_note(failed, test.steps, setup["inputs"])
            for v in verdicts:
                v.append((case.label, Judgement(False, None, failed)))
            if got.kind in FATAL:
                break  # a time-out or a crash: no other case will tell more
            continue
        n = len(test.compare)
        ran.append((len(verdicts[0]), case, plain, tuple(got.value[:n])))
        wants[len(verdicts[0])] = tuple(ref[:n])
        if gradcheck:
            _solution_agrees(ref, test, case.label)
            have_grads = [got.value[test.compare.index((g,))] for g in gradcheck["grads"]]
            for i, ((gstatus, have), (fstatus, fd)) in enumerate(zip(have_grads, got.value[n:]), n):
                ok = gstatus == "ok" and fstatus == "ok"
                verdicts[i].append((case.label, judge(have, fd, rtol=FD_RTOL, dims=case.dims) if ok else
                                    Judgement(False, None, str(fd if fstatus != "ok" else have))))
        for i, (path, (_status, want), (gstatus, have)) in enumerate(zip(test.compare, ref[:n], got.value[:n])):
            if gstatus != "ok":
                mistake = "state_not_stored" if len(path) > 1 else None
                words = _UNSET[0] if str(have).endswith(" is None") else _UNSET[1]
                verdicts[i].append((case.label, Judgement(False, mistake, words)))
                continue
            factors = {k: (float(case.dims[v]) if v in case.dims else 1.0 / case.dims[v[2:]])
                       if isinstance(v, str) else v for k, v in test.factors.items()}
            if setup["batch"] and case.dims.get(setup["batch"], 1) > 1:
                b = setup["batch"]
                factors = {b: float(case.dims[b]), f"1/{b}": 1.0 / case.dims[b], **factors}
            verdicts[i].append((case.label, None))
            pending.append((i, len(verdicts[i]) - 1, have, want, factors, case.dims))
            scale[i] = max(scale[i], _magnitude(want))
    for i, k, have, want, factors, dims in pending:
        atol = options.get("atol")
        if atol is None and scale[i] > 0:
            atol = 1e-6 * scale[i]
        verdicts[i][k] = (verdicts[i][k][0], judge(have, want, rtol=options.get("rtol"), atol=atol, factors=factors,
                                                   dims=dims, batch=setup["batch"]))
    if test.variants:
        name_by_variants(pair, test.variants, str(_own(test)), ran, verdicts, options, timeout)
    declared = {i.name: (i.dtype, i.dims) for i in setup["inputs"]}
    name_swapped_arguments(pair, test.steps, declared, ran, wants, verdicts, options, timeout)
    return _score(labels, cast("list[list[tuple[str, Judgement]]]", verdicts), options)  # each judged above


def _magnitude(value: Any) -> float:
    """The largest absolute entry of a compared value (arrays, or tuples of them); 0 for anything else."""
    import numpy as np

    if isinstance(value, (tuple, list)) and not all(isinstance(v, (int, float)) for v in value):
        return max((_magnitude(v) for v in value), default=0.0)
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return 0.0
    finite = arr[np.isfinite(arr)] if arr.size else arr
    return float(np.max(np.abs(finite))) if finite.size else 0.0


def _solution_agrees(ref: Sequence[Any], test: CodeTest, label: str) -> None:
    """The solution's gradients against finite differences of its own forward: a disagreement is the grader's."""
    from gradekit.code.props import CheckFault

    gradcheck, n = test.gradcheck or {}, len(test.compare)
    for g, (status, fd) in zip(gradcheck.get("grads", []), ref[n:]):
        status_g, want = ref[test.compare.index((g,))]
        j = judge(want, fd, rtol=FD_RTOL) if status == status_g == "ok" else Judgement(False, None, str(fd))
        if not j.ok:
            raise CheckFault(f"the solution's {g} disagrees with finite differences of its own loss on {label}: "
                             f"{j.words}")


def _encoding_note(failed: str, steps: Sequence[Mapping[str, Any]], inputs: Sequence[InputSpec]) -> str:
    """Where the step that raised takes labels one-hot, the words that say so: a function written for class
    indices fails on them, and the student reads why (" (Y is one-hot: float64[N, C], a row per sample with 1
    in its class's column)")."""
    one_hot = {i.name: i for i in inputs if i.one_hot}
    step = next((s for s in steps if failed.startswith(f"`{s['text']}` raised")), None)
    if step is None or not one_hot:
        return ""
    names = [n for n in dict.fromkeys(referenced([step])) if n in one_hot]
    return "".join(f" ({n} is one-hot: {one_hot[n].dtype}[{', '.join(map(str, one_hot[n].dims))}], a row per "
                   f"sample with 1 in its class's column)" for n in names)


_ONE = " (a batch of one)"
_UNSET = ("is None: never set", "was never set")
_STEP_PREFIX = "_gk_scenario raised _GkStepError: "


def _call_failure(got: CallResult, own: str | None = None) -> str | None:
    """What a failed call of the student's child says, in the student's words (naming the part's own function
    where the steps as a whole failed: "relu called sys.exit(0)"); None for "not implemented"."""
    if got.kind == CallKind.NOT_IMPLEMENTED:
        return None
    message = got.message
    if message.startswith(_STEP_PREFIX):
        return message[len(_STEP_PREFIX):]
    if own and message.startswith("_gk_scenario ") and not message.startswith("_gk_scenario raised "):
        return own + message[len("_gk_scenario"):]
    return message.replace("_gk_scenario raised ", "raised ")


def _reference_call(pair: CodePair, request: Mapping[str, Any], arrays: Sequence[Any], timeout: float) -> tuple:
    from gradekit.code.props import CheckFault

    r = pair.reference.call("_gk_scenario", dict(request), *arrays, timeout=max(timeout, 60.0))
    if not r.ok:
        raise CheckFault(f"the solution failed on these steps ({_call_failure(r) or 'not implemented'})")
    return r.value


def _score(labels: Sequence[str], verdicts: Sequence[Sequence[tuple[str, Judgement]]],
           options: Mapping[str, Any]) -> Graded:
    """Each compared value: right on every case (1), one named mistake wherever it is wrong (the mistake's
    price), or wrong (0); the part's fraction is their mean."""
    partial = dict(options.get("partial") or {})
    if verdicts and all(cases and all(j.words in _UNSET for _, j in cases) for cases in verdicts):
        return Graded.missing()  # nothing compared was ever produced: the starter's placeholders
    credits, lines, mistakes = [], [], []
    for name, cases in zip(labels, verdicts):
        wrong = [(label, j) for label, j in cases if not j.ok]
        if not wrong:
            credits.append(1.0)
            continue
        # one sample cannot tell a missing bias (or a sum from a mean) from any other error: a batch of one
        # names the mistake only when no other case does
        telling = [(label, j) for label, j in wrong if label != "a batch of one" and not label.endswith(_ONE)] \
            or wrong
        named = {j.mistake for _, j in telling}
        label, first = telling[0]
        where = f"on {label}" + (f" and {len(wrong) - 1} other case{'s' * (len(wrong) > 2)}" if len(wrong) > 1 else "")
        if len(named) == 1 and first.mistake is not None:
            price = float(partial.get(first.mistake, 0.0))
            credits.append(price)
            mistakes.append(first.mistake)
            lines.append((name, f"{first.words} ({where}) [{first.mistake}: {price:g} of its credit]"))
        else:
            credits.append(0.0)
            lines.append((name, f"{first.words} ({where})"))
    fraction = sum(credits) / len(credits) if credits else 0.0
    return Graded(fraction, "; ".join(_merged(lines)), tuple(mistakes))


def _merged(lines: Sequence[tuple[str, str]]) -> list[str]:
    """Lines that say the same after their value's name, said once for all of those names (a step that
    raised fails every value the test compares)."""
    out: dict[str, list[str]] = {}
    for name, words in lines:
        out.setdefault(words, []).append(name)
    return [f"{', '.join(names)}: {words}" if len(names) > 1 else f"{names[0]} {words}" for words, names in out.items()]


def _structure(pair: CodePair, test: CodeTest, setup: Mapping[str, Any], options: Mapping[str, Any]) -> Graded:
    """The module's leaf layers (type and parameter shapes), parameter count and output shape, against the
    solution's: a third each. Graded even when the student's forward fails."""
    from gradekit.code.props import CheckFault

    structure = test.structure
    assert structure is not None  # a structure part's test
    dims = smallest(setup["dims"])
    request = {"steps": list(test.steps), "dims": dims, "model": structure["model"],
               "input": [dims.get(d, d) for d in structure.get("input", [])]}
    timeout = float(options.get("timeout", setup["timeout"]))
    ref = pair.reference.call("_gk_structure", request, timeout=max(timeout, 60.0))
    if not ref.ok:
        raise CheckFault(f"the solution's model could not be built ({_call_failure(ref) or 'not implemented'})")
    got = pair.student.call("_gk_structure", request, timeout=timeout)
    if not got.ok:
        failed = _call_failure(got)
        return Graded.missing() if failed is None else Graded(0.0, f"the model could not be built: {failed}")
    (want_layers, want_count, want_shape), (layers, count, shape) = ref.value, got.value
    ignored = _ignored_arguments(tuple(layers), tuple(want_layers), test, dims)
    if ignored:
        price = float(dict(options.get("partial") or {}).get("ignored_argument", 0.0))
        return Graded(price, f"{_layers_message(tuple(layers), tuple(want_layers))}: {ignored} is passed to the "
                             f"constructor, but the model does not use it [ignored_argument: {price:g} of its credit]",
                      ("ignored_argument",))
    credits, lines = [], []
    if tuple(layers) == tuple(want_layers):
        credits.append(1.0)
    else:
        credits.append(0.0)
        lines.append(_layers_message(tuple(layers), tuple(want_layers)))
    if float(count) == float(want_count):
        credits.append(1.0)
    else:
        credits.append(0.0)
        lines.append(f"{int(count):,} parameters, expected {int(want_count):,}")
    if shape == want_shape:
        credits.append(1.0)
    elif str(shape).startswith("!"):
        credits.append(0.0)
        lines.append(f"the forward pass raised {str(shape)[1:]}")
    else:
        credits.append(0.0)
        lines.append(f"output shape {shape.replace('x', '×')}, expected {str(want_shape).replace('x', '×')}")
    return Graded(sum(credits) / 3, "; ".join(lines))


def _ignored_arguments(got: tuple[str, ...], want: tuple[str, ...], test: CodeTest, dims: Mapping[str, int]) -> str:
    """``K = 3`` when the layers differ only where the solution's hold a size the steps pass to the constructor
    and the student's hold another number: the argument is ignored (a hard-coded ``10``). "" otherwise."""
    import re

    passed = {a["ref"] for s in test.steps if "call" in s for a in s["call"]["args"] if "ref" in a} & set(dims)
    if len(got) != len(want) or not passed:
        return ""
    names = set()
    for g, w in zip(got, want):
        ng, nw = re.findall(r"\d+", g), re.findall(r"\d+", w)
        if re.sub(r"\d+", "#", g) != re.sub(r"\d+", "#", w) or len(ng) != len(nw):
            return ""
        for a, b in zip(ng, nw):
            if a != b:
                hit = [n for n in sorted(passed) if dims[n] == int(b)]
                if not hit:
                    return ""
                names.add(hit[0])
    return ", ".join(f"{n} = {dims[n]}" for n in sorted(names))


def _layers_message(got: tuple[str, ...], want: tuple[str, ...]) -> str:
    for i, (g, w) in enumerate(zip(got, want)):
        if g != w:
            return f"layer {i + 1} is {g}, expected {w}"
    if len(got) < len(want):
        return f"{len(got)} layers, expected {len(want)}: {', '.join(want[len(got):])} missing"
    return f"{len(got)} layers, expected {len(want)}: {', '.join(got[len(want):])} extra"


# --- the family ------------------------------------------------------------------------------
def solve(spec: ModuleSpec) -> Solution:
    """What each part runs and compares (text: the solution's values are computed per submission, in a child)."""
    answers, steps = {}, []
    for fn in spec.callables:
        test = spec.extra["tests"][fn.name]
        answers[fn.name] = f"the solution's {test.text}"
        steps.append(Step(fn.name, answers[fn.name], values={}))
    return Solution(answers, steps)


# the engine's own family: its solve gets what its validate (build_code_spec) made, a ModuleSpec
FAMILY = Family(CODE_FAMILY, cast("Callable[[Mapping[str, Any]], Solution]", solve), validate=build_code_spec)
FAMILIES = [FAMILY]

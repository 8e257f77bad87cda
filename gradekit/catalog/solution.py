"""A written problem whose reference is the instructor's own function: ``solution = "solution.py"`` beside the spec.

``solution.py`` defines ``solve(params)``: the spec's params (as TOML gives them: numbers, lists of
numbers, strings) in, the parts' answers out, as a dict by part name, or a ``gradekit.plugin.Solution``
(answers and worked steps). A variant calls it with each student's drawn params. Two more are optional:

- ``solve(params, given)``: ``given`` holds a student's own answers to some parts (part name -> numbers,
  as the part's kind reads them); the function uses them in place of its own values for those parts and
  returns every part's answer from them, which is what ``carried_forward`` credit compares later parts with;
- ``mistakes(params)``: a list of ``gradekit.plugin.Mistake`` (id, message, the answers the mistake gives),
  named in feedback and priced by a part's ``partial``;
- ``DEPENDS = {"loss": ["softmax"], ...}``: a literal table of the earlier parts each part is computed from
  (read from the text, never run), so a carried-forward part is recomputed from those alone and its feedback
  names only them; a part it leaves out depends on every earlier part.

It is the instructor's code, so it runs without the students' sandbox, but bounded all the same
(``gradekit.core.bounded``: a forked child with CPU-time and memory limits): a bug in it (an exception, a
loop, a huge allocation) is one line naming the spec and the file, never a hung grader. Its results are
cached per file content, params and ``given``.

>>> import textwrap, tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "solution.py").write_text("def solve(p):\\n    return {'y': 2 * p['x']}\\n")
>>> family = load_solution("q1.toml", folder / "q1.toml", "solution.py")
>>> family.solve({"x": 3}).answers
{'y': 6}
"""

from __future__ import annotations

import ast
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from gradekit.core.bounded import Budget, Ending, run_bounded
from gradekit.core.errors import SpecError
from gradekit.core.families import Family, registry
from gradekit.core.plain import plain
from gradekit.core.records import Mistake, Solution, Step

__all__ = ["SOLUTION_PREFIX", "BUDGET", "SpecSolution", "load_solution", "solution_of", "MAX_SOLUTION_BYTES",
           "reference_label"]

SOLUTION_PREFIX = "solution:"  # a spec's own reference is named "solution:FILE@HASH" (of its problem and text)
MAX_SOLUTION_BYTES = 1 << 20
# Generous for arithmetic on a handful of small matrices; a loop or a runaway allocation ends here.
BUDGET = Budget(cpu_seconds=20, memory_bytes=1 << 30)
MAX_CACHED = 512


@dataclass(frozen=True)
class SpecSolution:
    """A spec's ``solution.py``: where it is, its text, what it defines."""

    where: str  # the spec, as messages name it
    problem: str  # "assignment/id": two specs sharing a file's text are still two references (and two messages)
    file: str  # the name beside the spec ("solution.py")
    source: str
    takes_given: bool  # solve(params, given): it can recompute later parts from a student's earlier answers
    has_mistakes: bool
    depends: tuple[tuple[str, tuple[str, ...]], ...] = ()  # DEPENDS, as (part, (parts, ...)) pairs

    @property
    def name(self) -> str:
        digest = hashlib.sha256(f"{self.problem}\0{self.source}".encode("utf-8")).hexdigest()[:12]
        return f"{SOLUTION_PREFIX}{self.file}@{digest}"

    def error(self, message: str) -> SpecError:
        return SpecError(self.where, f"{self.file}: {message}")


_SOLUTIONS: dict[str, SpecSolution] = {}
_CACHE: dict[str, Any] = {}


def solution_of(family_name: str) -> SpecSolution | None:
    """The ``SpecSolution`` behind a family name, or None for a family of the registry."""
    return _SOLUTIONS.get(family_name)


def reference_label(family_name: str) -> str:
    """What a reader is told a problem's reference is: the family's name, or for a solution file the file
    beside the spec (its registered name, "solution:FILE@HASH", is an internal key: the hash tells a reader
    nothing).

    >>> reference_label("backprop.mlp2")
    'backprop.mlp2'
    """
    own = solution_of(family_name)
    return family_name if own is None else f"reference: {own.file} beside the spec"


def load_solution(where: str, spec_path: Path, file: Any) -> Family:
    """Read ``file`` beside the spec, check that it defines ``solve``, and register it as the spec's family.

    Nothing in it runs here: its text is parsed (a syntax error is the spec's error, with its line)."""
    if not isinstance(file, str) or not file.endswith(".py") or "/" in file or "\\" in file:
        raise SpecError(where, f"solution is {file!r}, but must name a .py file beside the spec (solution = \"solution.py\")")
    from gradekit.core.errors import SubmissionError
    from gradekit.core.files import read_file

    path = spec_path.parent / file
    try:
        source = read_file(path, MAX_SOLUTION_BYTES, what="a problem's solution").decode("utf-8")
    except (SubmissionError, OSError, UnicodeDecodeError) as e:
        raise SpecError(where, f"solution: cannot read {file}: {e}") from None
    try:
        tree = ast.parse(source, filename=file)
    except SyntaxError as e:
        raise SpecError(where, f"{file} line {e.lineno}: {e.msg}") from None
    defs = {node.name: node for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
    if "solve" not in defs:
        raise SpecError(where, f"{file} defines no solve(params): the function of the spec's params that returns "
                               f"the parts' answers")
    args = defs["solve"].args
    positional = len(args.posonlyargs) + len(args.args)
    spec = SpecSolution(where, f"{spec_path.parent.name}/{spec_path.stem}", file, source, takes_given=positional >= 2 or args.vararg is not None,
                        has_mistakes="mistakes" in defs, depends=_depends(where, file, tree))
    _SOLUTIONS[spec.name] = spec
    family = Family(spec.name, lambda params: _solve(spec, params),
                    mistakes=(lambda params: _mistakes(spec, params)) if spec.has_mistakes else None,
                    carry=(lambda params, given: _solve(spec, params, given).answers) if spec.takes_given else None,
                    conventions=(f"the instructor's {file}: solve(params) returns the parts' answers",),
                    depends=(lambda params: dict(spec.depends)) if spec.depends else None)
    registry().add_spec_family(family)
    return family


def _depends(where: str, file: str, tree: ast.Module) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The file's ``DEPENDS``, a literal {part: [parts]} read from its text (nothing in the file runs here)."""
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "DEPENDS" for t in node.targets):
            try:
                table = ast.literal_eval(node.value)
            except ValueError:
                table = None
            if not isinstance(table, dict) or not all(
                    isinstance(k, str) and isinstance(v, (list, tuple)) and all(isinstance(x, str) for x in v)
                    for k, v in table.items()):
                raise SpecError(where, f"{file} line {node.lineno}: DEPENDS must be a literal table of part names, "
                                       f'each to a list of the earlier parts it is computed from: {{"loss": ["softmax"]}}')
            return tuple((k, tuple(v)) for k, v in table.items())
    return ()


def _solve(spec: SpecSolution, params: Mapping[str, Any], given: Mapping[str, Any] | None = None) -> Solution:
    out = _call(spec, "solve", params, given)
    answers = out.get("answers")
    if not isinstance(answers, dict):
        raise spec.error("solve returned no dict of answers")
    steps = [Step(str(s.get("title", "")), str(s.get("text", "")), str(s.get("latex", "")),
                  {str(k): _arrays(v) for k, v in dict(s.get("values") or {}).items()}) for s in out.get("steps", [])]
    return Solution({str(k): _arrays(v) for k, v in answers.items()}, steps)


def _mistakes(spec: SpecSolution, params: Mapping[str, Any]) -> list[Mistake]:
    out = _call(spec, "mistakes", params, None)
    return [Mistake(str(m["id"]), str(m["message"]), {str(k): _arrays(v) for k, v in m["answers"].items()})
            for m in out.get("mistakes", [])]


def _arrays(value: Any) -> Any:
    """A list of numbers (nested) back as an array, as a family gives it; anything else as it came."""
    if isinstance(value, list) and value:
        try:
            array = np.asarray(value)
        except ValueError:
            return value
        if array.dtype.kind in "if":
            return array
    return value


def _call(spec: SpecSolution, function: str, params: Mapping[str, Any], given: Mapping[str, Any] | None) -> dict:
    data = (function, plain(dict(params)), None if given is None else plain(dict(given)))
    key = hashlib.sha256(json.dumps([spec.name, data], sort_keys=True, default=str).encode()).hexdigest()
    if key not in _CACHE:
        done = run_bounded(_run, (spec.source, spec.file, *data), BUDGET)
        if done.ending is Ending.TIME:
            raise spec.error(f"{function} ran over {BUDGET.cpu_seconds:g} s of CPU time (a loop that never ends?)")
        if done.ending is Ending.MEMORY:
            raise spec.error(f"{function} used over {BUDGET.memory_bytes / 2**20:g} MiB of memory")
        if done.ending is Ending.FAILED:
            raise spec.error(done.detail)
        if isinstance(done.value, dict) and "error" in done.value:
            raise spec.error(done.value["error"])
        if len(_CACHE) >= MAX_CACHED:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = done.value
    return _CACHE[key]


def _run(source: str, file: str, function: str, params: dict, given: dict | None) -> dict:
    """In the bounded child: run the file, call ``function``, hand back plain data (or the error, one line)."""
    import traceback
    import types

    try:
        module = types.ModuleType(file[:-3])
        module.__file__ = file
        exec(compile(source, file, "exec"), module.__dict__)
        fn = getattr(module, function)
        result = fn(params) if given is None else fn(params, given)
        return _plain_result(function, result)
    except MemoryError:
        raise  # the bound's own ending: "used over ... of memory"
    except Exception as e:
        lines = [f.lineno for f in traceback.extract_tb(e.__traceback__) if f.filename == file]
        at = f"line {lines[-1]}: " if lines else ""
        return {"error": f"{function}: {at}{type(e).__name__}: {str(e)[:200]}"}


def _plain_result(function: str, result: Any) -> dict:
    if function == "mistakes":
        if not isinstance(result, (list, tuple)) or not all(isinstance(m, Mistake) for m in result):
            raise TypeError(f"returned {type(result).__name__}, but must return a list of gradekit.plugin.Mistake")
        return {"mistakes": [{"id": m.id, "message": m.message, "answers": plain(dict(m.answers))} for m in result]}
    steps: list[Any] = []
    if isinstance(result, Solution):
        result, steps = result.answers, result.steps
    elif isinstance(result, tuple) and len(result) == 2:
        result, steps = result
    if not isinstance(result, Mapping):
        raise TypeError(f"returned {type(result).__name__}, but must return a dict of the parts' answers "
                        f"(or a gradekit.plugin.Solution)")
    out_steps = []
    for s in steps:
        if isinstance(s, str):
            s = Step(s)
        if not isinstance(s, Step):
            raise TypeError(f"a step is {type(s).__name__}, but must be a gradekit.plugin.Step or a string")
        out_steps.append({"title": s.title, "text": s.text, "latex": s.latex, "values": plain(dict(s.values))})
    return {"answers": plain({str(k): v for k, v in result.items()}), "steps": out_steps}

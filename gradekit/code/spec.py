"""A code problem's interface: the file a student hands in, its callables, and their checks.

A module family's ``validate(params)`` returns a ``ModuleSpec`` built by
``parse_module``: ``params.file`` is the file name, each
``[[params.callables]]`` table has ``name``, ``signature``, ``doc`` and the
``checks`` to run (names the family defines). A part of kind ``function``
grades the callable of the same name.

>>> matches_file("task1_3180100111.py", "task1.py"), matches_file("task10.py", "task1.py")
(True, False)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, cast

from gradekit.core.errors import ParamError, SubmissionError
from gradekit.core.families import Param
from gradekit.core.kinds import KINDS
from gradekit.core.files import read_file

if TYPE_CHECKING:
    from gradekit.core.catalogs import ProblemSource
    from gradekit.core.records import ModuleParams, Problem

__all__ = ["Check", "Slip", "Note", "Graded", "CallableSpec", "ModuleSpec", "parse_module", "matches_file", "is_module_problem", "is_code_file", "code_problems", "code_file_hint",
           "find_code_problem", "module_params", "binds_answers", "NUMPY_PREAMBLE", "MAX_PARSED_SOURCE_BYTES",
           "MAX_SOURCE_BYTES"]


@dataclass(frozen=True)
class Check:
    """One property of a callable: ``run(session, options) -> None`` (passes) or a one-line failure."""

    name: str
    run: Callable[[Any, Mapping[str, Any]], Graded | str | None]
    description: str = ""


class Slip(str):
    """A check's failure that the part's mistake model prices: the message, the mistake's id and its credit.

    A check returns a ``Slip`` instead of a plain line when the student's answer is a named, consistent
    mistake (``H`` transposed, one aliased array for every epoch); the credit is the part's
    ``partial = { id = fraction }`` entry, 0 when the spec gives none.

    >>> s = Slip("H is transposed", "transposed", {"partial": {"transposed": 0.8}})
    >>> str(s), s.mistake, s.credit
    ('H is transposed', 'transposed', 0.8)
    """

    mistake: str
    credit: float

    def __new__(cls, message: str, mistake: str, options: Mapping[str, Any]) -> "Slip":
        self = super().__new__(cls, message)
        self.mistake = mistake
        self.credit = float(dict(options.get("partial") or {}).get(mistake, 0.0))
        return self


class Note(str):
    """A check's pass that the feedback should still mention (CUDA calls kept on the CPU, say): full credit.

    >>> n = Note("this grader has no GPU: .cuda() was called in train_cnn and kept on the CPU")
    >>> isinstance(n, str), n.startswith("this grader")
    (True, True)
    """


@dataclass(frozen=True)
class Graded:
    """A check's typed result: the fraction of the check earned, what is wrong (empty when all is right) and
    the named mistakes it priced. ``missing`` is a check of code not written yet (a starter's body).

    >>> Graded(0.5, "dLdb is the transpose of the expected value").fraction
    0.5
    """

    fraction: float
    message: str = ""
    mistakes: tuple[str, ...] = ()
    not_implemented: bool = False

    @classmethod
    def missing(cls) -> "Graded":
        return cls(0.0, "not implemented", not_implemented=True)


@dataclass(frozen=True)
class CallableSpec:
    name: str
    signature: str  # "relu(X)", as the starter file writes it
    doc: str
    checks: tuple[Check, ...]


@dataclass(frozen=True)
class ModuleSpec:
    file: str
    callables: tuple[CallableSpec, ...]
    preamble: str = "import numpy as np"
    extra: Mapping[str, Any] = field(default_factory=dict)  # the family's own validated params
    # the preamble is the handout's own code (a notebook's earlier cells): a .py that holds only the graded
    # cell runs after it, as in the notebook
    preamble_runs: bool = False

    def callable(self, name: str) -> CallableSpec:
        for c in self.callables:
            if c.name == name:
                return c
        raise KeyError(name)


NUMPY_PREAMBLE = "import numpy as np"  # a numpy module family's template imports


def module_params(preamble: str) -> tuple[Param, ...]:
    """The parameters of every module family; ``preamble`` is what the family's stubs import by default."""
    return (
        Param("file", "text", "the file students submit, e.g. 'task1.py'"),
        Param("callables", "tables", "what the file defines, [[params.callables]] each with name, signature, doc, "
                                     "checks, and the family's own keys"),
        Param("preamble", "text", "the imports at the top of the template", default=preamble),
        Param("preamble_runs", "bool", "the preamble is the handout's own code (a notebook's earlier cells): "
                                       "it runs before a .py handed in alone", default=False),
    )


def parse_module(params: Mapping[str, Any], checks: Mapping[str, Mapping[str, Check]],
                 extra: Mapping[str, Any] | None = None) -> ModuleSpec:
    """Validate ``params.file`` and ``params.callables`` against the family's ``checks`` by callable."""
    file = params.get("file")
    if not isinstance(file, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*\.(py|ipynb)", file):
        raise ParamError("file", f"is {file!r}, but must be a Python file or notebook name such as 'task1.py'")
    raw = params.get("callables")
    if not isinstance(raw, list) or not raw:
        raise ParamError("callables", "must be a non-empty list of [[params.callables]] tables")
    out = []
    for i, c in enumerate(raw):
        where = f"callables[{i}]"
        if not isinstance(c, dict) or not isinstance(c.get("name"), str):
            raise ParamError(where, "must be a table with name, signature, doc and checks")
        name = c["name"]
        if name not in checks:
            raise ParamError(f"{where}.name", f"is {name!r}, but this family checks only {', '.join(checks)}")
        sig = c.get("signature", "")
        if not isinstance(sig, str) or not sig.startswith(f"{name}(") or not sig.endswith(")"):
            raise ParamError(f"{where}.signature", f"is {sig!r}, but must look like '{name}(X, ...)'")
        wanted = c.get("checks", list(checks[name]))
        unknown = [w for w in wanted if w not in checks[name]] if isinstance(wanted, list) else [wanted]
        if unknown or not wanted:
            raise ParamError(f"{where}.checks", f"has {unknown or wanted!r}; {name} has checks {', '.join(checks[name])}")
        out.append(CallableSpec(name, sig, str(c.get("doc", "")).strip(), tuple(checks[name][w] for w in wanted)))
    preamble = params.get("preamble", NUMPY_PREAMBLE)
    return ModuleSpec(file, tuple(out), str(preamble), dict(extra or {}), params.get("preamble_runs") is True)


def matches_file(name: str, declared: str) -> bool:
    """``task1.py`` matches ``task1.py``, ``Task1.py``, ``task1_3180100111.py``, ``task1-ada.py``, ``task1 (2).py``."""
    stem, declared_stem = Path(name).stem.casefold(), Path(declared).stem.casefold()
    return Path(name).suffix == ".py" and re.fullmatch(re.escape(declared_stem) + r"([_\- ].*)?", stem) is not None


def is_module_problem(problem: Problem) -> bool:
    return any(KINDS[p.kind].runs_code for p in problem.parts)


def find_code_problem(catalog: ProblemSource, path: Path, assignment: str | None = None,
                      problem: str | None = None) -> Problem:
    """The code problem a file answers: ``problem`` when given, else by the file name its spec declares."""
    if problem is not None:
        found = catalog.resolve(problem, assignment)
        if not is_module_problem(found):
            raise SubmissionError(f"{path}: problem {found.qualified_id} is not a code problem (it takes an answers file)")
        return found
    pool = [p for p in catalog.problems(assignment) if is_module_problem(p)]
    hits = [p for p in pool if matches_file(path.name, module_file(p))]
    if len(hits) == 1:
        return hits[0]
    expected = ", ".join(f"{module_file(p)} ({p.qualified_id})" for p in pool) or "none"
    if hits:
        names = ", ".join(p.qualified_id for p in hits)
        raise SubmissionError(f"{path}: the name fits several code problems ({names}); choose one with --problem")
    raise SubmissionError(
        f"{path}: has no ANSWERS and its name matches no code problem; expected an answers file or one of: "
        f"{expected} (a suffix such as _3180100111 is fine), or pass --problem"
    )


# ast of a megabyte of source costs about 100 MB in the grader; a larger file is judged by its text
MAX_PARSED_SOURCE_BYTES = 2**20
MAX_SOURCE_BYTES = 4 * 2**20  # a module file, or a notebook's code cells in all: the most a child is given to run
_BINDS_ANSWERS = re.compile(rb"^ANSWERS\s*(?::[^=\n]*)?[+|]?=(?!=)", re.M)


def binds_answers(data: bytes) -> bool:
    """Whether a .py file binds ANSWERS at module level (by ast; by text when it does not parse, or is too
    large to parse in the grader: then a line that starts ``ANSWERS =`` decides)."""
    import ast

    if len(data) > MAX_PARSED_SOURCE_BYTES:
        return _BINDS_ANSWERS.search(data) is not None
    try:
        tree = ast.parse(data)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return b"ANSWERS" in data
    for stmt in tree.body:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else \
            [stmt.target] if isinstance(stmt, (ast.AnnAssign, ast.AugAssign)) else []
        if any(isinstance(t, ast.Name) and t.id == "ANSWERS" for t in targets):
            return True
    return False


def is_code_file(path: Path, catalog: ProblemSource, assignment: str | None, problem: str | None,
                 data: bytes | None = None) -> bool:
    """True to grade ``path`` as code: a .py named as a code problem's file that binds no ``ANSWERS``, or
    any .py when ``problem`` is given. Everything else is an answers file, read as before.

    ``data``: the file's bytes, read by the caller (else read here, never through a link).
    """
    if path.suffix != ".py":
        return False
    if problem is not None:
        return True
    if data is None:
        try:
            data = read_file(path, 16 * 2**20)  # an answers .py may be this large
        except SubmissionError:
            return False  # the answers reader says why
    data = data[:MAX_SOURCE_BYTES]
    if binds_answers(data):
        return False
    return any(matches_file(path.name, module_file(p)) for p in code_problems(catalog, assignment))


def module_file(problem: Problem) -> str:
    """The file a code problem grades (its params are its ModuleSpec once found a code problem)."""
    return cast("ModuleParams", problem.validated_params).file


def code_problems(catalog: ProblemSource, assignment: str | None) -> list[Problem]:
    return [p for p in catalog.problems(assignment) if is_module_problem(p)]


def code_file_hint(catalog: ProblemSource, assignment: str | None) -> str:
    """What to add to "binds no ANSWERS": the file names that are graded as code ("" when none)."""
    pool = code_problems(catalog, assignment)
    if not pool:
        return ""
    names = ", ".join(f"{module_file(p)} ({p.qualified_id})" for p in pool)
    return f"; or, for code, name the file one of: {names} (a suffix such as _3180100111 is fine), or pass --problem"

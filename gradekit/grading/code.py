"""Grade a module submission: one boxed child per file, each ``function`` part checked by its properties.

>>> report = grade_module("task1.py")           # doctest: +SKIP
>>> report = grade_module("my_task1.py", ModuleOptions(problem="ece449-a2/task1"))   # doctest: +SKIP
>>> [(p.name, p.score) for p in report.problems[0].parts]   # doctest: +SKIP
[('relu', 3), ('prelu', 2), ('DNNforward', 5), ('DNNbackward', 5), ('train', 5)]
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Mapping, Sequence, cast

from gradekit.core.errors import SubmissionError
from gradekit.core.extras import require_code_extra
from gradekit.core.vocab import Verdict
from gradekit.core.files import read_file
from gradekit.output.report import Report
from gradekit.code.session import DEFAULT_LIMITS, ModuleSession
from gradekit.code.environment import check_environment, preload_packages
from gradekit.code.generated import CodePair
from gradekit.code.spec import MAX_SOURCE_BYTES, ModuleSpec, find_code_problem
from gradekit.core.kinds import KINDS
from gradekit.grading.problem import grade_problem
from gradekit.catalog.catalog import load_catalog

if TYPE_CHECKING:
    from gradekit.core.records import PartResult, Problem
    from gradekit.sandbox.limits import Limits
    from gradekit.catalog.catalog import Catalog

__all__ = ["grade_module", "ModuleOptions", "MAX_SOURCE_BYTES"]



@dataclass(frozen=True)
class ModuleOptions:
    """How a module file is graded (``grade_module``): which code problem, against which catalog, within which
    limits; and, for a notebook's cells or a folder's file, where its code comes from."""

    problem: str | None = None  # default: found from the file's name
    assignment: str | None = None
    catalog: Catalog | None = None  # default: load_catalog()
    limits: Limits | None = None  # default: the session's (gradekit.code.session.DEFAULT_LIMITS)
    source: bytes | None = None  # the code, when it does not come from the file itself (a notebook's code cells)
    # a notebook's cells: the names each binds (``Notebook.module``); a failed cell is a note, and a part that
    # needs one of its names says so
    cells: Mapping[int, frozenset[str]] | None = None
    # the submission's own files (``gradekit.grading.grade.submitted_files``; else the file alone): their ``.py``
    # stems are the student's local modules, which the environment check does not count as packages
    files: Sequence[Path] | None = None
    # the code whose imports the environment check reads, when not ``source`` (a notebook's cells, one text a cell)
    imports_of: Sequence[bytes] | None = None


@dataclass(frozen=True)
class _Prepared:
    """A module file ready to run: its problem and spec, the code its child runs, the student's own code (what
    seeds the drawn cases) and what the environment check reads."""

    target: Problem
    spec: ModuleSpec
    code: bytes
    own: bytes
    imports: Sequence[bytes]
    packages: Sequence[str]


def grade_module(path: str | Path, options: ModuleOptions = ModuleOptions()) -> Report:
    """Grade a module file against its code problem (found from the file name unless ``options.problem`` says)."""
    path = Path(path)
    catalog = options.catalog or load_catalog()
    ready = _prepare(path, catalog, options)
    base = session_limits(options.limits)
    # what the child imports for the student before their code, so their memory budget is on top of it
    limits = _preloaded(base, ready.code, ready.packages)
    # property tests need hypothesis, a torch module torch: without the code extra, one line says so before any run
    require_code_extra("hypothesis", *(("torch",) if "torch" in limits.preload else ()))
    local = options.files if options.files is not None else [path]
    with ModuleSession(ready.code, ready.spec.file, limits=limits, seed_source=ready.own,
                       student_code=b"\n\n".join(ready.imports)) as session, \
            _solution_session(ready.spec, base, ready.packages) as reference:
        # the child imports its libraries (torch) while this process reads the spec and the file
        session.begin()
        # the declared packages looked for, not imported: the children import them (their own import is the check)
        env_notes = _environment_notes(ready.imports, ready.packages, ready.target.assignment, local, imported=False)
        failed = _failed_cells(session) if options.cells is not None else []
        graded = session if reference is None else CodePair(session, reference)
        given = {p.name: graded for p in ready.target.parts if KINDS[p.kind].runs_code}
        result, notes = grade_problem(catalog, ready.target, given)
        if session.import_failure is not None or failed:  # a declared package that fails to import here (a
            # torchvision built for another torch) is the grader's fault, never the student's: a GraderError
            _environment_notes(ready.imports, ready.packages, ready.target.assignment, local, imported=True)
        probed = "torch" in limits.preload and "wrap_source" in ready.spec.extra
        probe_notes = _probe_notes(session) if probed else []
    notes = [*env_notes, *notes, *probe_notes]
    if failed:
        notes[:0] = [f"cell {n} ({first}) failed: {why}; the cells after it ran" for n, first, why in failed]
        result.parts = [_needs_failed(part, failed, options.cells or {}) for part in result.parts]
    return Report(submission=str(path), problems=[result], notes=notes)


def _prepare(path: Path, catalog: Catalog, options: ModuleOptions) -> _Prepared:
    """The file's code problem and the code its child runs: read (never through a link, a FIFO or a device),
    refused in one line when it is too large or not Python, behind the handout's cells where the spec says so,
    with a family's probe code after it."""
    target = find_code_problem(catalog, path, options.assignment, options.problem)
    source = options.source
    if source is None:  # never through a link, never a FIFO or a device (gradekit.core.files)
        source = read_file(path, MAX_SOURCE_BYTES, what="module files")
    if len(source) > MAX_SOURCE_BYTES:
        raise SubmissionError(f"{path}: has {len(source)} bytes; module files are at most {MAX_SOURCE_BYTES // 2**20} MiB")
    if options.cells is None:  # a .py as the student wrote it: a file that does not parse has no function to grade
        _refuse_syntax_error(source, str(path))
    spec = cast(ModuleSpec, target.validated_params)  # find_code_problem's: a code problem
    packages = catalog.assignment(target.assignment).environment  # the default stack and the assignment's own
    imports = options.imports_of if options.imports_of is not None else [source]  # the student's own code, first
    if spec.preamble_runs and options.cells is None:  # a .py holding only the graded cell: the handout's cells first
        source = _after_preamble(spec.preamble, source, path.with_suffix(".py").name)
    own = source  # the student's file (after the handout's cells it runs behind): what seeds the drawn cases
    if "wrap_source" in spec.extra:  # a family's probe code, appended after the student's (module.torch_handout)
        wrap: Callable[[bytes], bytes] = spec.extra["wrap_source"]
        source = wrap(source)
    return _Prepared(target, spec, source, own, imports, packages)


def _probe_notes(session: ModuleSession) -> list[str]:
    """What torch_probe recorded in the student's child: CUDA calls kept on the CPU, the old ``_conv_forward``."""
    notes = []
    kept = _recorded(session, "_gk_kept_on_cpu")
    old_conv = _recorded(session, "_gk_old_conv_forward")
    if kept:
        notes.append(f"this grader has no GPU: {kept} {'was' if ', ' not in kept else 'were'} called and kept on the "
                     f"CPU (on a GPU they move the model or tensors there)")
    if old_conv:
        notes.append(f"{old_conv.replace(', ', '.forward, ')}.forward {'call' if ', ' in old_conv else 'calls'} "
                     f"_conv_forward(input, weight) as PyTorch 1.5–1.7 did: run with its bias (from PyTorch 1.8 the "
                     f"bias is required)")
    return notes


@contextmanager
def _solution_session(spec: ModuleSpec, limits: Limits, packages: Sequence[str]) -> Iterator[ModuleSession | None]:
    """A code problem's solution (``[code] solution``) alive in a sandbox child of its own, run as the student's
    file is: the reference values of its generated checks; None for a problem of a family."""
    solution = spec.extra.get("solution_source")
    if solution is None:
        yield None
        return
    source = spec.extra["wrap_source"](solution.encode())
    with ModuleSession(source, spec.file, limits=_preloaded(limits, source, packages)) as reference:
        reference.begin()
        yield reference


def _preloaded(limits: Limits, source: bytes, packages: Sequence[str]) -> Limits:
    """``limits`` with what the child imports for the module before its code (its memory budget is on top)."""
    return replace(limits, preload=tuple(dict.fromkeys((*limits.preload, *preload_packages(source, packages or None)))))


def _recorded(session: ModuleSession, attribute: str) -> str:
    """One line of what the student's child recorded while it ran (torch_probe's ``_gk_recorded``: the CUDA calls
    kept on the CPU, the old-style ``_conv_forward`` callers), "" for nothing; asked only of a child still
    running (a fresh one would have run none of the student's calls)."""
    if not session.running:
        return ""
    r = session.call("_gk_recorded", attribute, timeout=5.0)
    return r.value if r.ok and isinstance(r.value, str) else ""


def _environment_notes(sources: Sequence[bytes], packages: Sequence[str], assignment: str,
                       files: Sequence[Path], *, imported: bool = True) -> list[str]:
    """The environment check (``gradekit.code.environment``) of each text, its notes once each; the submission's
    own ``.py`` files are its local modules (never another student's, in a folder that holds a whole class)."""
    local = [Path(f).stem for f in files if Path(f).suffix.lower() == ".py"]
    notes: list[str] = []
    for text in sources:
        notes += [n for n in check_environment(text, packages, assignment, local, imported=imported)
                  if n not in notes]
    return notes


def _refuse_syntax_error(source: bytes, shown: str) -> None:
    """One ``SubmissionError`` for a module file that is not Python (as for an answers file), rather than the
    same import error once per graded function. Parsed here only up to the size the grader parses anything
    (``MAX_PARSED_SOURCE_BYTES``); a larger file, or one that fails in other ways, is left to the child."""
    import ast
    import importlib.util

    from gradekit.code.spec import MAX_PARSED_SOURCE_BYTES

    if len(source) > MAX_PARSED_SOURCE_BYTES:
        return
    try:
        ast.parse(importlib.util.decode_source(source), filename=shown)
    except SyntaxError as e:
        where = f" at line {e.lineno}" if e.lineno else ""
        raise SubmissionError(f"{shown}: SyntaxError{where}: {e.msg}") from None
    except (UnicodeDecodeError, ValueError, RecursionError, MemoryError):
        return  # bad bytes or deep nesting: the child's import says why, part by part as before


def _after_preamble(preamble: str, source: bytes, filename: str) -> bytes:
    """The handout's code (cell 0), then the student's file run as it stands (its errors fail the import, its
    line numbers are its own), through the notebook cell runner."""
    from gradekit.sandbox.child import source as child_source

    text = source.decode("utf-8", "replace")
    cells = [(0, "the handout's code", preamble, False), (1, filename, text, filename)]
    return (f"_gk_cells = {cells!r}\n_gk_cell_cpu = (60.0, 120.0)\n\n" + child_source("cells")).encode()


def _failed_cells(session: ModuleSession) -> list[tuple[int, str, str]]:
    """(number, first line, what went wrong) of each notebook cell that failed in the child."""
    r = session.call("_gk_notebook_report", timeout=session.limits.wall_seconds)
    if not r.ok or not isinstance(r.value, tuple):
        return []  # the import itself failed: every part says so
    out = []
    for line in r.value:
        number, _, rest = str(line).partition("\t")
        first, _, why = rest.partition("\t")
        if number.isdigit():
            out.append((int(number), first, why))
    return out


def _needs_failed(part: PartResult, failed: list[tuple[int, str, str]],
                  cells: Mapping[int, frozenset[str]]) -> PartResult:
    """A part that is not right and needs a name a failed cell binds: its feedback names that cell."""
    if part.verdict in (Verdict.CORRECT, Verdict.MANUAL):
        return part
    root = part.name.split(".")[0]
    for number, first, why in failed:
        names = cells.get(number, frozenset())
        wanted = [n for n in names if n == root or f"'{n}'" in part.feedback]
        if wanted:
            return replace(part, feedback=f"{part.feedback} ({wanted[0]} comes from cell {number}, {first}, "
                                          f"which failed: {why})")
    return part


def session_limits(limits: Limits | None) -> Limits:
    """The limits of a module's session: the caller's (``--time-limit`` caps each call's CPU budget), with a
    life-long RLIMIT_CPU no lower than the default session's. Each call is held to its own budget by the
    parent (``gradekit.sandbox.cputime``); RLIMIT_CPU counts every call of the child's life, so at one call's
    limit it would kill a module that merely makes many calls."""
    if limits is None:
        return DEFAULT_LIMITS
    return replace(limits, cpu_seconds=max(limits.cpu_seconds, DEFAULT_LIMITS.cpu_seconds))

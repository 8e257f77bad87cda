"""Grade a module submission: one boxed child per file, each ``function`` part checked by its properties.

>>> report = grade_module("task1.py")           # doctest: +SKIP
>>> [(p.name, p.score) for p in report.problems[0].parts]   # doctest: +SKIP
[('relu', 3), ('prelu', 2), ('DNNforward', 5), ('DNNbackward', 5), ('train', 5)]
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import replace
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
from gradekit.spec.catalog import load_catalog

if TYPE_CHECKING:
    from gradekit.core.records import PartResult
    from gradekit.sandbox.limits import Limits
    from gradekit.spec.catalog import Catalog

__all__ = ["grade_module", "MAX_SOURCE_BYTES"]



def grade_module(
    path: str | Path,
    *,
    problem: str | None = None,
    assignment: str | None = None,
    catalog: Catalog | None = None,
    limits: Limits | None = None,
    source: bytes | None = None,
    cells: Mapping[int, frozenset[str]] | None = None,
    files: Sequence[Path] | None = None,
    imports_of: Sequence[bytes] | None = None,
) -> Report:
    """Grade a module file against its code problem (found from the file name unless ``problem`` is given).

    ``source``: the module's code when it does not come from ``path`` itself (a notebook's code cells).
    ``cells``: for a notebook's cells (``Notebook.module``), the names each cell binds: a cell that failed is
    a note, and a part that needs one of its names says so.
    ``files``: the submission's own files (``gradekit.grading.grade.submitted_files``; else ``path`` alone): their
    ``.py`` stems are the student's local modules, which the environment check does not count as packages.
    ``imports_of``: the code whose imports the environment check reads, when not ``source`` (a notebook's cells,
    one text a cell: the cell runner holds them as strings).
    """
    path = Path(path)
    catalog = catalog or load_catalog()
    target = find_code_problem(catalog, path, assignment, problem)
    if source is None:  # never through a link, never a FIFO or a device (gradekit.core.files)
        source = read_file(path, MAX_SOURCE_BYTES, what="module files")
    if len(source) > MAX_SOURCE_BYTES:
        raise SubmissionError(f"{path}: has {len(source)} bytes; module files are at most {MAX_SOURCE_BYTES // 2**20} MiB")
    if cells is None:  # a .py as the student wrote it: a file that does not parse has no function to grade
        _refuse_syntax_error(source, str(path))
    spec = cast(ModuleSpec, target.validated_params)  # find_code_problem's: a code problem
    packages = catalog.assignment(target.assignment).environment  # the default stack and the assignment's own
    imports = imports_of if imports_of is not None else [source]  # the student's own code, before what is added
    if spec.preamble_runs and cells is None:  # a .py holding only the graded cell: the handout's cells first
        source = _after_preamble(spec.preamble, source, path.with_suffix(".py").name)
    own = source  # the student's file (after the handout's cells it runs behind): what seeds the drawn cases
    if "wrap_source" in spec.extra:  # a family's probe code, appended after the student's (module.torch_handout)
        wrap: Callable[[bytes], bytes] = spec.extra["wrap_source"]
        source = wrap(source)
    base = session_limits(limits)
    # what the child imports for the student before their code, so their memory budget is on top of it
    limits = _preloaded(base, source, packages)
    # property tests need hypothesis, a torch module torch: without the code extra, one line says so before any run
    require_code_extra("hypothesis", *(("torch",) if "torch" in limits.preload else ()))
    with ModuleSession(source, spec.file, limits=limits, seed_source=own,
                       student_code=b"\n\n".join(imports)) as session, \
            _solution_session(spec, base, packages) as reference:
        # the child imports its libraries (torch) while this process reads the spec and the file
        session.begin()
        local = files if files is not None else [path]
        # the declared packages looked for, not imported: the children import them (their own import is the check)
        env_notes = _environment_notes(imports, packages, target.assignment, local, imported=False)
        failed = _failed_cells(session) if cells is not None else []
        graded = session if reference is None else CodePair(session, reference)
        given = {p.name: graded for p in target.parts if KINDS[p.kind].runs_code}
        result, notes = grade_problem(catalog, target, given)
        if session.import_failure is not None or failed:  # a declared package that fails to import here (a
            # torchvision built for another torch) is the grader's fault, never the student's: a GraderError
            _environment_notes(imports, packages, target.assignment, local, imported=True)
        probed = "torch" in limits.preload and "wrap_source" in spec.extra
        kept = _recorded(session, "_gk_kept_on_cpu") if probed else ""
        old_conv = _recorded(session, "_gk_old_conv_forward") if probed else ""
    notes = [*env_notes, *notes]
    if kept:
        notes.append(f"this grader has no GPU: {kept} {'was' if ', ' not in kept else 'were'} called and kept on the "
                     f"CPU (on a GPU they move the model or tensors there)")
    if old_conv:
        notes.append(f"{old_conv.replace(', ', '.forward, ')}.forward {'call' if ', ' in old_conv else 'calls'} "
                     f"_conv_forward(input, weight) as PyTorch 1.5–1.7 did: run with its bias (from PyTorch 1.8 the "
                     f"bias is required)")
    if failed:
        notes[:0] = [f"cell {n} ({first}) failed: {why}; the cells after it ran" for n, first, why in failed]
        result.parts = [_needs_failed(part, failed, cells or {}) for part in result.parts]
    return Report(submission=str(path), problems=[result], notes=notes)


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

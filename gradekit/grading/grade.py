"""Grading a submission: the one place that decides whether a file holds answers or code.

An answers file (.json, .toml, or a .py binding ``ANSWERS``) goes to ``grading.answers``; a
.py named as a code problem's file goes to ``grading.code``; a notebook holds either or both;
a Gradescope submission folder holds one answers file and any module files. What only code
needs (the sandbox, module sessions) is imported on the paths where code may run, so checking
a file of answers never loads it.

>>> report = grade("answers.json")       # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, cast

from gradekit.core.errors import NoAnswersError, SubmissionError
from gradekit.core.extras import missing_extra
from gradekit.core.records import ModuleParams, PartResult
from gradekit.core.vocab import Verdict
from gradekit.grading.answers import grade_answers, unanswered
from gradekit.core.files import RefusedFile, Tree, walk
from gradekit.intake.submission import SUFFIXES, load_answers, read_bounded
from gradekit.output.report import Report
from gradekit.catalog.catalog import Catalog, load_catalog

if TYPE_CHECKING:
    from gradekit.sandbox.limits import Limits


def grade(
    submission: str | Path,
    *,
    assignment: str | None = None,
    catalog: Catalog | None = None,
    limits: Limits | None = None,
    student: str | None = None,
    problem: str | None = None,
    module_limits: Limits | None = None,
) -> Report:
    """Grade a submission and return its ``Report``: an answers file (.py, .json, .toml), a module
    file, a notebook, or a folder (a Gradescope submission: one answers file and module files).

    A ``.py`` file that binds no ``ANSWERS`` and is named as a code problem's
    spec declares (``task1_3180100111.py``), or any ``.py`` with ``problem``
    given, is a module submission: see ``gradekit.grading.code``.

    ``student`` (else the file's ``student``/``STUDENT``) picks the variant of
    problems whose spec draws per-student numbers.

    ``limits`` bound every kind of student code: an answers ``.py`` runs within them, and each call into a
    module file's or a notebook's code gets at most ``limits.wall_seconds`` of CPU time (its spec's budget
    when that is less). ``module_limits``: other limits for module files (default ``limits``), for a
    caller whose time limit is meant for answers files only (the Gradescope bundle's).
    """
    path = Path(submission)
    catalog = catalog or load_catalog()
    folder = path.is_dir()  # a link to a folder too: the walk refuses it
    data = None if folder else read_bounded(path)  # one read, never through a link (gradekit.core.files)
    # data (not a folder): no code runs, no sandbox is loaded
    if path.suffix.lower() in DATA_FILES and data is not None:
        return _grade_answers_file(path, data, catalog, assignment, limits, student)
    # code may run from here on (a .py, a notebook, a folder): the sandbox says how it was isolated
    try:
        report = _grade_code_or_answers(path, data, folder, catalog, assignment, limits, student, problem,
                                        module_limits)
    except ModuleNotFoundError as e:  # `pip install gradekit` without the code extra: the machine's, in one line
        raise missing_extra(e) or e from None
    from gradekit.sandbox import isolation

    used = isolation.used()
    report.isolation = used.to_dict() if used is not None else None
    return report


def _grade_code_or_answers(path: Path, data: bytes | None, folder: bool, catalog: Catalog, assignment: str | None,
                           limits: Limits | None, student: str | None, problem: str | None,
                           module_limits: Limits | None) -> Report:
    from gradekit.code.spec import is_code_file
    from gradekit.grading.code import ModuleOptions, grade_module
    from gradekit.sandbox import isolation

    isolation.reset_used()
    if folder:
        return _grade_folder(path, catalog, assignment, limits, student, module_limits or limits)
    assert data is not None  # read, as anything but a folder is
    if path.suffix.lower() == ".ipynb":
        return _grade_notebook(path, data, catalog, assignment, limits, student, problem, [path])
    if is_code_file(path, catalog, assignment, problem, data):
        return grade_module(path, ModuleOptions(problem=problem, assignment=assignment, catalog=catalog,
                            limits=module_limits or limits, source=data))
    return _grade_answers_file(path, data, catalog, assignment, limits, student)


DATA_FILES = (".json", ".toml")
MAX_FOLDER_BYTES = 64 * 2**20  # all of a submission folder's graded files, held at once
NAMED_REFUSALS = 5  # refused files a note names one by one; the rest are counted


def _grade_answers_file(path: Path, data: bytes, catalog: Catalog, assignment: str | None, limits: Limits | None,
                        student: str | None) -> Report:
    try:
        raw = load_answers(path, limits=limits, data=data)
    except NoAnswersError as e:  # say which module file names would be graded instead
        from gradekit.code.spec import code_file_hint

        raise NoAnswersError(f"{e}{code_file_hint(catalog, assignment)}") from None
    report = grade_answers(raw.answers, assignment=assignment or raw.assignment, catalog=catalog,
                           submission=str(path), student=student or raw.student)
    report.notes[:0] = raw.notes
    report.key = raw.key
    return report


def as_key(report: Report, catalog: Catalog) -> Report:
    """A key as ``solve --json`` prints it (``report.key``) checked on what it can hold: it describes each code
    problem's reference and cannot answer it, so those problems (graded from the files students hand in) are
    left out with a note. ``gradekit check`` applies it; a class's batch never does (every row keeps every problem)."""
    from gradekit.core.kinds import KINDS

    if not report.key:
        return report
    code = {result.id for result in report.problems
            if any(KINDS[part.kind].runs_code for part in catalog.resolve(f"{result.assignment}/{result.id}").parts)}
    if code:
        report.problems = [p for p in report.problems if p.id not in code]
        report.notes.append(f"not graded from a key: {', '.join(sorted(code))} "
                            f"{'is a code problem' if len(code) == 1 else 'are code problems'}, graded from "
                            f"the files students hand in")
    return report


def nothing_to_grade(catalog: Catalog | None = None, assignment: str | None = None) -> str:
    """What a submission with no file to grade lacks, naming the assignment's module files when known.

    >>> nothing_to_grade()
    'no answers file (.py, .json or .toml), notebook (.ipynb) or module file (a code problem\'s task1.py) in the submission'
    """
    files = "a code problem's task1.py"
    if catalog is not None and assignment is not None:
        from gradekit.code.spec import code_problems

        try:
            # code problems: their validated params are ModuleSpecs
            named = [cast(ModuleParams, p.validated_params).file
                     for p in code_problems(catalog, assignment)]
        except Exception:  # an unknown assignment is reported elsewhere; the message stays generic
            named = []
        if named:
            files = ", ".join(named[:4]) + (", ..." if len(named) > 4 else "")
    return f"no answers file (.py, .json or .toml), notebook (.ipynb) or module file ({files}) in the submission"


def submitted_files(folder: Path) -> Tree:
    """What a submission folder holds to grade (answers files, notebooks, module files), hidden ones aside,
    and what it holds that is refused unread (links, devices, FIFOs, sockets, hard links)."""
    return walk(folder, SUFFIXES)


def _grade_folder(folder: Path, catalog: Catalog, assignment: str | None, limits: Limits | None,
                  student: str | None, module_limits: Limits | None = None) -> Report:
    """One Report for everything in ``folder``: its answers file (or notebook) and its module files (``task1.py``)."""
    from gradekit.code.spec import is_code_file
    from gradekit.grading.code import ModuleOptions, grade_module

    tree = submitted_files(folder)
    refused = [RefusedFile(r.name, r.reason) for r in tree.refused]
    sources: dict[Path, bytes] = {}
    for p in tree.files:  # every file read once, from the folder down without following a link
        try:
            sources[p] = read_bounded(p, root=folder)
        except RefusedFile as e:  # changed into a link or a FIFO since the walk
            refused.append(RefusedFile(str(p.relative_to(folder)), e.reason))
        if sum(map(len, sources.values())) > MAX_FOLDER_BYTES:
            raise SubmissionError(f"{folder}: its files to grade hold more than {MAX_FOLDER_BYTES // 2**20} MiB")
    if not sources:
        if refused:
            raise SubmissionError(_refusals(refused))
        raise SubmissionError(nothing_to_grade(catalog, assignment))
    files = list(sources)
    modules = [p for p in files if is_code_file(p, catalog, assignment, None, sources[p])]
    answers = [p for p in files if p not in modules]
    if len(answers) > 1:
        named = [p for p in answers if p.stem.lower().startswith("answers")]
        if len(named) != 1:
            names = ", ".join(str(p.relative_to(folder)) for p in answers[:4])
            raise SubmissionError(f"{len(answers)} answers files ({names}); submit one, named answers.py/.json/.toml")
        answers = named
    if not answers:
        report = grade_answers({}, assignment=assignment, catalog=catalog, submission=str(folder), student=student)
    elif answers[0].suffix.lower() == ".ipynb":
        report = _grade_notebook(answers[0], sources[answers[0]], catalog, assignment, limits, student, None, files)
    else:
        report = _grade_answers_file(answers[0], sources[answers[0]], catalog, assignment, limits, student)
    unread: list[RefusedFile] = []
    for path in modules:  # each module file replaces its problem's (missing) result
        try:
            options = ModuleOptions(assignment=assignment, catalog=catalog, limits=module_limits,
                                    source=sources[path], files=files)
            report.replace_problems(grade_module(path, options))
        except SubmissionError as e:  # a module that does not parse costs its own problem, not the other files
            name = str(path.relative_to(folder))
            unread.append(RefusedFile(name, str(e).removeprefix(f"{path}: ") + " (not graded)"))  # a note below
    if unread and not answers and len(unread) == len(modules):  # nothing read at all: the whole submission is
        raise SubmissionError(_refusals(unread + refused))
    refused += unread
    report.refused = [str(r) for r in refused]
    if refused:  # the student and the instructor are told which files were not read, and why
        report.notes.append(_refusals(refused))
    return report


def _refusals(refused: list[RefusedFile]) -> str:
    """One line naming the first refused files, and how many more."""
    named = "; ".join(str(r) for r in refused[:NAMED_REFUSALS])
    more = len(refused) - NAMED_REFUSALS
    return named + (f"; and {more} more refused" if more > 0 else "")


def _grade_notebook(path: Path, data: bytes, catalog: Catalog, assignment: str | None, limits: Any,
                    student: str | None, problem: str | None, files: list[Path]) -> Report:
    """A notebook's answers (tagged cells, ANSWERS) and its code for the code problems it implements, in one report.
    ``files``: the submission's own files (the notebook alone, or its folder's ``submitted_files``)."""
    from gradekit.intake.notebook import answers_of, read_notebook
    from gradekit.sandbox.process import Limits

    nb = read_notebook(path, data)
    answers, named = answers_of(nb, limits or Limits())
    assignment = assignment or named
    defined = nb.defined_in()
    targets = _code_targets(path, catalog, assignment, problem, defined)
    report = _notebook_answers(path, answers, targets, catalog, assignment, student)
    if targets:
        code = _CellsModule.of(nb, limits)
        for target in targets:  # each code problem it implements replaces its (missing) result
            report.replace_problems(_grade_cells(path, target, code, defined, catalog, limits, files))
    report.notes[:0] = nb.notes
    return report


def _code_targets(path: Path, catalog: Catalog, assignment: str | None, problem: str | None,
                  defined: Mapping[str, Any]) -> list[Any]:
    """The code problems a notebook implements: ``problem`` when given, else those it is named for
    (task1.ipynb) or ``defined`` every name of."""
    from gradekit.code.spec import code_problems, matches_file

    pool = code_problems(catalog, assignment)
    if problem is not None:
        return [catalog.resolve(problem, assignment)]
    specs = [(p, cast(ModuleParams, p.validated_params)) for p in pool]  # code problems' ModuleSpecs
    return [p for p, spec in specs if matches_file(path.stem + ".py", spec.file)
            or all(c.name.split(".")[0] in defined for c in spec.callables)]


def _notebook_answers(path: Path, answers: Mapping[str, Any], targets: list[Any], catalog: Catalog,
                      assignment: str | None, student: str | None) -> Report:
    """The report of a notebook's answers (no problems yet when it holds only code); ``SubmissionError`` when it
    holds neither answers nor the code of a code problem."""
    if answers:
        return grade_answers(answers, assignment=assignment or (targets[0].assignment if targets else None),
                             catalog=catalog, submission=str(path), student=student)
    if targets:
        return Report(submission=str(path), problems=[], student=student)
    raise SubmissionError(f"{path}: answers no problem: no cell tagged answer:PROBLEM/PART, no ANSWERS, and no "
                          f"code of a code problem" + (f" of {assignment}" if assignment else ""))


@dataclass(frozen=True)
class _CellsModule:
    """A notebook's code cells as the module file a code problem grades: its source (running the cells one by
    one, each within a CPU budget), the names each cell binds, and each cell's Python (for the environment check)."""

    source: bytes
    bound: dict[int, frozenset[str]]
    cell_code: list[bytes]

    @classmethod
    def of(cls, nb: Any, limits: Any) -> _CellsModule:
        budget = limits.wall_seconds if limits is not None else _module_call_budget()
        source = nb.module(per_cell_cpu=min(20.0, budget / 2), total_cpu=budget * 0.8).encode()
        return cls(source, nb.bound_by(), [python.encode() for _, python in nb.code_cells()])


def _grade_cells(path: Path, target: Any, code: _CellsModule, defined: Mapping[str, Any], catalog: Catalog,
                 limits: Any, files: list[Path]) -> Report:
    """Code problem ``target`` graded on a notebook's cells, each failing part saying in which cell its callable is."""
    from gradekit.grading.code import ModuleOptions, grade_module

    sub = grade_module(path, ModuleOptions(problem=target.qualified_id, catalog=catalog, limits=limits,
                                           source=code.source, cells=code.bound, files=files,
                                           imports_of=code.cell_code))
    for result in sub.problems:
        result.parts = [_in_cell(part, defined) for part in result.parts]
    return sub


def _module_call_budget() -> float:
    from gradekit.code.session import DEFAULT_LIMITS

    return DEFAULT_LIMITS.wall_seconds


def _in_cell(part: PartResult, defined: Mapping[str, Any]) -> PartResult:
    cell = defined.get(part.name.split(".")[0])
    if cell is None or part.verdict in (Verdict.CORRECT, Verdict.MANUAL):
        return part
    return replace(part, feedback=f"{part.feedback} (defined in cell {cell.number}: {cell.first_line})")


def gradescope_failure(message: str, assignment: str | None, catalog: Catalog | None,
                       execution_time: float | None = None, *, grader_fault: bool = False) -> dict[str, Any]:
    """Gradescope's results.json for a submission that could not be graded: every part of the
    assignment (when known) at 0, with the reason (``check --gradescope`` and the bundle)."""
    from gradekit.output import gradescope

    empty = unanswered(assignment, catalog) if assignment is not None and catalog is not None else None
    return gradescope.failed_results(message, empty, catalog, execution_time, grader_fault=grader_fault)

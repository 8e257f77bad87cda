"""Grading a submission: the one place that decides whether a file holds answers or code.

An answers file (.json, .toml, or a .py binding ``ANSWERS``) goes to ``grading.answers``; a
.py named as a code problem's file goes to ``grading.code``; a notebook holds either or both;
a Gradescope submission folder holds one answers file and any module files. What only code
needs (the sandbox, module sessions) is imported on the paths where code may run, so checking
a file of answers never loads it.

>>> report = grade("answers.json")       # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, Mapping

from gradekit.core.errors import NoAnswersError, SubmissionError
from gradekit.core.records import PartResult
from gradekit.grading.answers import grade_answers, unanswered
from gradekit.intake.submission import SUFFIXES, load_answers
from gradekit.output.report import Report
from gradekit.spec.catalog import Catalog, load_catalog


def grade(
    submission: str | Path,
    *,
    assignment: str | None = None,
    catalog: Catalog | None = None,
    limits: Any = None,
    student: str | None = None,
    problem: str | None = None,
) -> Report:
    """Grade a submission and return its ``Report``: an answers file (.py, .json, .toml), a module
    file, a notebook, or a folder (a Gradescope submission: one answers file and module files).

    A ``.py`` file that binds no ``ANSWERS`` and is named as a code problem's
    spec declares (``task1_3180100111.py``), or any ``.py`` with ``problem``
    given, is a module submission: see ``gradekit.grading.code``.

    ``student`` (else the file's ``student``/``STUDENT``) picks the variant of
    problems whose spec draws per-student numbers.
    """
    path = Path(submission)
    catalog = catalog or load_catalog()
    if path.suffix.lower() in DATA_FILES and not path.is_dir():  # data: no code runs, no sandbox is loaded
        return _grade_answers_file(path, catalog, assignment, limits, student)
    # code may run from here on (a .py, a notebook, a folder): the sandbox says how it was isolated
    from gradekit.code.spec import is_code_file
    from gradekit.grading.code import grade_module
    from gradekit.sandbox import isolation

    isolation.reset_used()
    if path.is_dir():
        report = _grade_folder(path, catalog, assignment, limits, student)
    elif path.suffix.lower() == ".ipynb":
        report = _grade_notebook(path, catalog, assignment, limits, student, problem)
    elif is_code_file(path, catalog, assignment, problem):
        report = grade_module(path, problem=problem, assignment=assignment, catalog=catalog, limits=limits)
    else:
        report = _grade_answers_file(path, catalog, assignment, limits, student)
    used = isolation.used()
    report.isolation = used.to_dict() if used is not None else None
    return report


DATA_FILES = (".json", ".toml")


def _grade_answers_file(path: Path, catalog: Catalog, assignment: str | None, limits: Any,
                        student: str | None) -> Report:
    try:
        raw = load_answers(path, limits=limits)
    except NoAnswersError as e:  # say which module file names would be graded instead
        from gradekit.code.spec import code_file_hint

        raise NoAnswersError(f"{e}{code_file_hint(catalog, assignment)}") from None
    return grade_answers(raw.answers, assignment=assignment or raw.assignment, catalog=catalog,
                         submission=str(path), student=student or raw.student)


def submitted_files(folder: Path) -> list[Path]:
    """What a submission folder holds to grade (answers files, notebooks, module files), hidden ones aside."""
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES
                  and not any(s.startswith((".", "__")) for s in p.relative_to(folder).parts))


def _grade_folder(folder: Path, catalog: Catalog, assignment: str | None, limits: Any,
                  student: str | None) -> Report:
    """One Report for everything in ``folder``: its answers file (or notebook) and its module files (``task1.py``)."""
    from gradekit.code.spec import is_code_file
    from gradekit.grading.code import grade_module

    files = submitted_files(folder)
    if not files:
        raise SubmissionError("no answers file (.py, .json or .toml) in the submission")
    modules = [p for p in files if is_code_file(p, catalog, assignment, None)]
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
        report = _grade_notebook(answers[0], catalog, assignment, limits, student, None)
    else:
        report = _grade_answers_file(answers[0], catalog, assignment, limits, student)
    for path in modules:  # each module file replaces its problem's (missing) result
        report.replace_problems(grade_module(path, assignment=assignment, catalog=catalog))  # module limits
    return report


def _grade_notebook(path: Path, catalog: Catalog, assignment: str | None, limits: Any, student: str | None,
                    problem: str | None) -> Report:
    """A notebook's answers (tagged cells, ANSWERS) and its code for the code problems it implements, in one report."""
    from gradekit.code.spec import code_problems, matches_file
    from gradekit.grading.code import grade_module
    from gradekit.intake.notebook import answers_of, read_notebook
    from gradekit.sandbox.process import Limits
    from gradekit.intake.submission import read_bounded

    nb = read_notebook(path, read_bounded(path))
    answers, named = answers_of(nb, limits or Limits())
    assignment = assignment or named
    defined = nb.defined_in()
    pool = code_problems(catalog, assignment)
    if problem is not None:
        targets = [catalog.resolve(problem, assignment)]
    else:  # named as the code problem's file (task1.ipynb), or defining every name it asks for
        targets = [p for p in pool if matches_file(path.stem + ".py", p.validated_params.file)
                   or all(c.name.split(".")[0] in defined for c in p.validated_params.callables)]
    if answers:
        report = grade_answers(answers, assignment=assignment or (targets[0].assignment if targets else None),
                               catalog=catalog, submission=str(path), student=student)
    elif targets:
        report = Report(submission=str(path), problems=[], student=student)
    else:
        raise SubmissionError(f"{path}: answers no problem: no cell tagged answer:PROBLEM/PART, no ANSWERS, and no "
                              f"code of a code problem" + (f" of {assignment}" if assignment else ""))
    budget = limits.wall_seconds if limits is not None else _module_call_budget()
    code = nb.module(per_cell_cpu=min(20.0, budget / 2), total_cpu=budget * 0.8).encode()
    bound = nb.bound_by()
    for target in targets:  # each code problem it implements replaces its (missing) result
        sub = grade_module(path, problem=target.qualified_id, catalog=catalog, limits=limits, source=code,
                           cells=bound)
        for result in sub.problems:  # say in which cell a failing callable is
            result.parts = [_in_cell(part, defined) for part in result.parts]
        report.replace_problems(sub)
    report.notes[:0] = nb.notes
    return report


def _module_call_budget() -> float:
    from gradekit.code.session import DEFAULT_LIMITS

    return DEFAULT_LIMITS.wall_seconds


def _in_cell(part: PartResult, defined: Mapping[str, Any]) -> PartResult:
    cell = defined.get(part.name.split(".")[0])
    if cell is None or part.verdict in ("correct", "manual"):
        return part
    return replace(part, feedback=f"{part.feedback} (defined in cell {cell.number}: {cell.first_line})")


def gradescope_failure(message: str, assignment: str | None, catalog: Catalog | None,
                       execution_time: float | None = None, *, grader_fault: bool = False) -> dict[str, Any]:
    """Gradescope's results.json for a submission that could not be graded: every part of the
    assignment (when known) at 0, with the reason (``check --gradescope`` and the bundle)."""
    from gradekit.output import gradescope

    empty = unanswered(assignment, catalog) if assignment is not None and catalog is not None else None
    return gradescope.failed_results(message, empty, catalog, execution_time, grader_fault=grader_fault)

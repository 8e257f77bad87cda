"""Grade a module submission: one boxed child per file, each ``function`` part checked by its properties.

>>> report = grade_module("task1.py")           # doctest: +SKIP
>>> [(p.name, p.score) for p in report.problems[0].parts]   # doctest: +SKIP
[('relu', 3), ('prelu', 2), ('DNNforward', 5), ('DNNbackward', 5), ('train', 5)]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gradekit.check import CheckContext
from gradekit.core.errors import GraderError, SubmissionError
from gradekit.core.records import Outcome
from gradekit.grading.report import Report
from gradekit.code.session import DEFAULT_LIMITS, ModuleSession
from gradekit.code.spec import find_code_problem

__all__ = ["grade_module", "check_function", "MAX_SOURCE_BYTES"]

MAX_SOURCE_BYTES = 4 * 2**20


def check_function(expected: Any, raw: Any, ctx: CheckContext) -> Outcome:
    """The ``function`` checker: ``raw`` is the submission's ``ModuleSession``; every check must pass.

    The part's fraction is the share of its checks that pass; the feedback
    names each failing check with its smallest failing input.
    """
    if not isinstance(raw, ModuleSession):
        spec = ctx.problem.validated_params if ctx.problem else None
        file = getattr(spec, "file", "the module file")
        return Outcome.invalid(f"this part grades code: hand in {file} and run gradekit check on it")
    spec = ctx.problem.validated_params
    fn = spec.callable(ctx.part.name)
    options = dict(ctx.part.options)
    failures, faults = [], []
    for check in fn.checks:
        try:
            bad = check.run(raw, options)
        except GraderError:
            raise  # the sandbox cannot be had: nothing of this submission can be judged
        except Exception as e:  # the grader's fault (a missing dependency, a check bug): not the student's
            faults.append(f"{check.name}: {type(e).__name__}: {e}")
            continue
        if bad is not None:
            failures.append((check.name, bad))
        if raw.import_failure is not None:
            return Outcome(0.0, "invalid", raw.import_failure.message)
    if faults:  # an `error` verdict for the instructor, never a failure charged to the student
        return Outcome(0.0, "error", "grader error, not counted against you: " + "; ".join(faults))
    if not failures:
        return Outcome.correct(f"passed {', '.join(c.name for c in fn.checks)}")
    if all(msg == "not implemented" for _, msg in failures) and len(failures) == len(fn.checks):
        return Outcome(0.0, "missing", "not implemented")
    passed = 1 - len(failures) / len(fn.checks)
    text = "; ".join(f"{name}: {msg}" for name, msg in failures)
    return Outcome(passed, "partial" if passed > 0 else "wrong", text)


def grade_module(
    path: str | Path,
    *,
    problem: str | None = None,
    assignment: str | None = None,
    catalog: Any = None,
    limits: Any = None,
    source: bytes | None = None,
) -> Report:
    """Grade a module file against its code problem (found from the file name unless ``problem`` is given).

    ``source``: the module's code when it does not come from ``path`` itself (a notebook's code cells).
    """
    from gradekit.spec.catalog import load_catalog
    from gradekit.grading.grade import grade_problem

    path = Path(path)
    catalog = catalog or load_catalog()
    target = find_code_problem(catalog, path, assignment, problem)
    try:
        source = path.read_bytes() if source is None else source
    except OSError as e:
        raise SubmissionError(f"{path}: cannot be read ({e.strerror or e})") from None
    if len(source) > MAX_SOURCE_BYTES:
        raise SubmissionError(f"{path}: has {len(source)} bytes; module files are at most 4 MiB")
    spec = target.validated_params
    if "wrap_source" in spec.extra:  # a family's probe code, appended after the student's (module.torch)
        source = spec.extra["wrap_source"](source)
    with ModuleSession(source, spec.file, limits=limits or DEFAULT_LIMITS) as session:
        given = {p.name: session for p in target.parts if p.kind == "function"}
        result, notes = grade_problem(catalog, target, given)
    return Report(submission=str(path), problems=[result], notes=notes)

"""Grade a module submission: one boxed child per file, each ``function`` part checked by its properties.

>>> report = grade_module("task1.py")           # doctest: +SKIP
>>> [(p.name, p.score) for p in report.problems[0].parts]   # doctest: +SKIP
[('relu', 3), ('prelu', 2), ('DNNforward', 5), ('DNNbackward', 5), ('train', 5)]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gradekit.core.errors import SubmissionError
from gradekit.output.report import Report
from gradekit.code.session import DEFAULT_LIMITS, ModuleSession
from gradekit.code.environment import check_environment
from gradekit.code.spec import find_code_problem
from gradekit.grading.problem import grade_problem
from gradekit.spec.catalog import load_catalog

__all__ = ["grade_module", "MAX_SOURCE_BYTES"]

MAX_SOURCE_BYTES = 4 * 2**20


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
    env_notes = check_environment(source, catalog.assignment(target.assignment).packages, target.assignment,
                                  (p.stem for p in path.parent.glob("*.py")) if path.parent.is_dir() else ())
    if "wrap_source" in spec.extra:  # a family's probe code, appended after the student's (module.torch)
        source = spec.extra["wrap_source"](source)
    with ModuleSession(source, spec.file, limits=limits or DEFAULT_LIMITS) as session:
        given = {p.name: session for p in target.parts if p.kind == "function"}
        result, notes = grade_problem(catalog, target, given)
    return Report(submission=str(path), problems=[result], notes=[*env_notes, *notes])

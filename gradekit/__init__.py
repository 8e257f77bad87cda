"""gradekit: checks machine-learning homework against reference solutions.

>>> import gradekit
>>> report = gradekit.grade("answers.json")          # doctest: +SKIP
>>> report.score, report.max_score                     # doctest: +SKIP
(21.5, 40)

The top level stays light: each name is imported on first use, so
``gradekit check`` never pays for torch or sympy.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS = {
    "grade": "gradekit.grading.grade",
    "autograde": "gradekit.course.autograder",
    "grade_answers": "gradekit.grading.answers",
    "load_catalog": "gradekit.catalog.catalog",
    "Catalog": "gradekit.catalog.catalog",
    "Report": "gradekit.output.report",
    "Family": "gradekit.core.families",
    "Solution": "gradekit.core.records",
    "Step": "gradekit.core.records",
    "Mistake": "gradekit.core.records",
    "Outcome": "gradekit.core.records",
    "GradekitError": "gradekit.core.errors",
    "SpecError": "gradekit.core.errors",
    "SubmissionError": "gradekit.core.errors",
}

__all__ = sorted(_EXPORTS) + ["__version__"]  # noqa: PLE0605 - from _EXPORTS, the one list of names


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'gradekit' has no attribute {name!r}")

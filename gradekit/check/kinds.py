"""Each part kind's checker, loaded when first wanted: the kinds themselves are declared in ``gradekit.core.kinds``
(re-exported here, where the catalog and the tests have always found them).

Grading asks ``checker_for``, which imports only the checker wanted: a file of numbers never loads the
formula reader.

>>> checker_for("integer").__name__
'check_integer'
>>> sorted(KINDS["choice"].options)
['choices', 'multiple', 'synonyms']
"""

from __future__ import annotations

import importlib
from typing import Any, Mapping

from gradekit.check.context import Checker
from gradekit.core.kinds import COMMON_OPTIONS, FORMULA, KINDS, TOLERANCE, Kind

__all__ = ["Kind", "KINDS", "COMMON_OPTIONS", "TOLERANCE", "FORMULA", "checker_for", "validate_options"]


def _load(ref: str) -> Any:
    module, _, name = ref.partition(":")
    return getattr(importlib.import_module(f"gradekit.check.{module}"), name)


def checker_for(kind: str) -> Checker:
    """The checker of an answer kind (not one that ``runs_code``: see ``gradekit.grading.functions``)."""
    ref = KINDS[kind].checker
    if not ref:
        raise KeyError(f"{str(kind)!r} parts are judged by running the student's code, not by a checker")
    return _load(ref)


def validate_options(kind: str, options: Mapping[str, Any]) -> None:
    """Raise ``ValueError`` (one line) when a part's kind-specific options are malformed."""
    if KINDS[kind].validate:
        _load(KINDS[kind].validate)(options)

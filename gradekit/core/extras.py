"""What ``pip install gradekit`` leaves out, and the one line that says how to get it.

``pip install gradekit`` is what checking answers files needs; module checks (students' ``.py`` files and
notebooks run against the reference) need the ``code`` extra: torch, hypothesis, scikit-learn. A check that
reaches for one of them where it is missing is the machine's fault, said in one line naming the extra.

>>> str(missing_extra(ModuleNotFoundError("No module named 'torch'", name="torch")))
"this check runs code and needs torch, which is not installed here: pip install 'gradekit[code]'"
>>> missing_extra(ModuleNotFoundError("No module named 'pandas'", name="pandas")) is None
True
"""

from __future__ import annotations

import importlib.util

from gradekit.core.errors import GraderError

__all__ = ["CODE_EXTRA", "CODE_EXTRA_MODULES", "missing_extra", "require_code_extra"]

CODE_EXTRA = "code"
# import names the `code` extra installs (pyproject.toml's [project.optional-dependencies] code)
CODE_EXTRA_MODULES = frozenset({"torch", "hypothesis", "sklearn"})


def missing_extra(error: ModuleNotFoundError) -> GraderError | None:
    """The grader error for a module of the ``code`` extra that is not installed; None for any other module."""
    root = (error.name or "").split(".")[0]
    if root not in CODE_EXTRA_MODULES:
        return None
    return GraderError(f"this check runs code and needs {root}, which is not installed here: "
                       f"pip install 'gradekit[{CODE_EXTRA}]'")


def require_code_extra(*modules: str) -> None:
    """Raise the one-line grader error unless each of ``modules`` (of the code extra) can be found here; found,
    not imported: the check itself imports them when it needs them."""
    for name in modules:
        try:
            found = importlib.util.find_spec(name) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            raise missing_extra(ModuleNotFoundError(f"No module named {name!r}", name=name)) or GraderError(name)

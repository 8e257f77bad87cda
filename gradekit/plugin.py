"""What a family plug-in imports: the one surface the built-in families in ``reference/families/`` use too.

A family module defines ``FAMILIES = [Family(name, solve, validate=..., mistakes=..., params=(Param(...),))]``
and registers through the entry-point group ``gradekit.families`` (docs/authoring.md, "Writing a family").
Everything it needs to build the answers, the steps and the mistake models is here:

>>> from gradekit.plugin import Family, Param, Solution, Step, ParamError, matrix, tex
>>> Family.__module__, Solution.__module__
('gradekit.core.families', 'gradekit.core.records')

The names are those of ``gradekit.core.*``, re-exported (``x is gradekit.core.….x``). Two have the same
name in two core modules: ``text`` here is the formatter (``gradekit.core.texfmt.text``), and the
parameter reader ``gradekit.core.params.text`` is ``text_param``. Module problems (students' code)
also use the code layer, ``gradekit.code.*``, which imports numpy and the sandbox's glue.
"""

from __future__ import annotations

from gradekit.core.errors import GraderError, GradekitError, ParamError
from gradekit.core.families import OPTIONAL, Family, Param, changed, differs
from gradekit.core.params import array, boolean, choice, integer, matrix, number, require, table, vector
from gradekit.core.params import text as text_param
from gradekit.core.records import Mistake, Outcome, Solution, Step
from gradekit.core.texfmt import fmt, tex, text
from gradekit.core.vocab import Verdict

__all__ = [
    # declaring a family
    "Family", "Param", "OPTIONAL",
    # what solve() and mistakes() return
    "Solution", "Step", "Mistake", "Outcome", "Verdict", "changed", "differs",
    # reading and checking params in validate()
    "require", "array", "vector", "matrix", "integer", "number", "choice", "boolean", "table", "text_param",
    "ParamError", "GradekitError", "GraderError",
    # writing the steps: numbers, LaTeX, plain text
    "fmt", "tex", "text",
]

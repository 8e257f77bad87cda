"""What the layers below ``gradekit.catalog`` read of a catalog, as a Protocol that ``spec.catalog.Catalog`` meets.

``gradekit.code`` and ``gradekit.intake`` find a file's code problem and write a template from the catalog
they are handed, but sit below ``gradekit.catalog`` and may not import it, not even for a type: they name it by
the four methods they call. Layers above ``spec`` name ``Catalog`` itself.

>>> from gradekit.catalog.catalog import load_catalog
>>> isinstance(load_catalog(), ProblemSource)
True
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from gradekit.core.records import Assignment, Problem, Solution

__all__ = ["ProblemSource"]


@runtime_checkable
class ProblemSource(Protocol):
    """The problems of validated assignments, and their answers."""

    def assignment(self, name: str) -> Assignment: ...

    def problems(self, assignment: str | None = None) -> list[Problem]: ...

    def resolve(self, ident: str, assignment: str | None = None) -> Problem: ...

    def solve(self, problem: Problem) -> Solution: ...

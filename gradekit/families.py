"""The family registry: every exercise family plugs in the same way.

A family module (built-in under ``gradekit/reference/families/`` or an
instructor's own, exposed through the entry-point group ``gradekit.families``)
defines ``FAMILIES = [Family(...), ...]``. The registry imports the built-in
modules and the entry points alike and indexes the families by name.

Example of a family module::

    def solve(params):
        ...
        return Solution(answers={"L": L}, steps=[Step("Loss", f"L = {L}")])

    FAMILIES = [Family("backprop.mlp2", solve, validate=validate)]
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Callable, Mapping

import numpy as np

from .model import Mistake, Outcome, Solution

ENTRY_POINT_GROUP = "gradekit.families"
BUILTIN_PACKAGE = "gradekit.reference.families"

Params = Mapping[str, Any]


@dataclass(frozen=True)
class Family:
    """An exercise family.

    Args:
        name: the spec's ``family`` value, e.g. ``"backprop.mlp2"``.
        solve: ``solve(params) -> Solution`` on validated params.
        validate: ``validate(params) -> params`` returns the params the solver
            wants (arrays, defaults filled in) or raises ``ParamError``.
        mistakes: ``mistakes(params) -> list[Mistake]``: typical wrong
            solutions, each computed by an alternative solver, so a checker can
            name the mistake a wrong answer matches.
        verify: ``verify(params, part, answers) -> Outcome`` for ``verified``
            parts: judges a part by the family's property (``answers`` is the
            student's whole raw answer dict for the problem, for cross-part
            checks such as an s table computed from the student's own weights).
        accept: ``accept(params) -> bool`` on validated params: whether a drawn
            per-student variant is a fair exercise (see ``gradekit.variants``).
    """

    name: str
    solve: Callable[[Params], Solution]
    validate: Callable[[Params], Params] | None = None
    mistakes: Callable[[Params], list[Mistake]] | None = None
    verify: Callable[[Params, str, Mapping[str, Any]], Outcome] | None = None
    # accept(validated params) -> bool: False rejects a drawn variant (a singular matrix,
    # a ReLU unit exactly at 0) and gradekit.variants draws again, deterministically.
    accept: Callable[[Params], bool] | None = None


def differs(a: Any, b: Any) -> bool:
    """True when two answers differ: in shape, or in value beyond float noise.

    >>> differs([1.0, 2.0], [1.0, 2.0 + 1e-15]), differs((5, 6), (6, 5)), differs("OR", "AND")
    (False, True, True)
    """
    try:
        x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    except (TypeError, ValueError):
        return a != b
    return x.shape != y.shape or not np.allclose(x, y, rtol=1e-9, atol=1e-12)


def changed(mistake_id: str, message: str, answers: Mapping[str, Any], right: Mapping[str, Any]) -> Mistake | None:
    """The mistake restricted to the parts whose answer it changes; None when it changes none.

    A family computes every answer under an alternative solver and keeps what
    differs, so a checker never names a "mistake" that gives the right value.
    """
    diff = {k: v for k, v in answers.items() if differs(v, right[k])}
    return Mistake(mistake_id, message, diff) if diff else None


_registry: dict[str, Family] | None = None


def register_module(module: ModuleType, into: dict[str, Family]) -> None:
    families = getattr(module, "FAMILIES", None)
    if not isinstance(families, (list, tuple)):
        raise TypeError(f"family module {module.__name__} defines no FAMILIES list")
    for fam in families:
        if fam.name in into and into[fam.name] is not fam:
            raise ValueError(f"family {fam.name!r} is defined twice ({module.__name__})")
        into[fam.name] = fam


def _entry_point_modules() -> list[ModuleType]:
    from importlib.metadata import entry_points

    return [ep.load() for ep in entry_points(group=ENTRY_POINT_GROUP)]


def registry() -> dict[str, Family]:
    """All families by name, loaded once."""
    global _registry
    if _registry is None:
        found: dict[str, Family] = {}
        package = importlib.import_module(BUILTIN_PACKAGE)
        for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
            if not info.name.startswith("_"):
                register_module(importlib.import_module(f"{BUILTIN_PACKAGE}.{info.name}"), found)
        for module in _entry_point_modules():
            register_module(module, found)
        _registry = found
    return _registry


def get_family(name: str) -> Family:
    return registry()[name]

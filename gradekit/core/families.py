"""The family registry: every exercise family plugs in the same way.

A family module (built-in under ``gradekit/reference/families/`` or an
instructor's own, exposed through the entry-point group ``gradekit.core.families``)
defines ``FAMILIES = [Family(...), ...]``. The registry imports the built-in
modules and the entry points alike and indexes the families by name.

Example of a family module::

    def solve(params):
        ...
        return Solution(answers={"L": L}, steps=[Step("Loss", f"L = {L}")])

    FAMILIES = [Family("backprop.mlp2", solve, validate=validate, params=(
        Param("x1", "vector", "the input", shape="d"),
        Param("activation", "choice", "the hidden layer's activation", options=("sigmoid", "relu")),
    ))]

A family's ``params`` declaration is its parameters' one description: the loader
checks every spec against it (unknown names, missing ones, types, defaults) before
the family's own ``validate`` checks how they fit together, and ``gradekit family``
prints it.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Callable, Iterator, Mapping, cast

import numpy as np

from gradekit.core import params as param_checks
from gradekit.core.errors import ParamError, did_you_mean
from gradekit.core.records import Mistake, ModuleParams, Outcome, Problem, Solution

ENTRY_POINT_GROUP = "gradekit.families"
BUILTIN_PACKAGE = "gradekit.reference.families"
# families that are part of the engine itself, not math: a spec's [code] table is graded by the family "code"
ENGINE_FAMILIES = {"code": "gradekit.code.generated"}

Params = Mapping[str, Any]


class _Marker:
    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return self.name


REQUIRED = _Marker("REQUIRED")   # a spec must give it
OPTIONAL = _Marker("OPTIONAL")   # may be left out; the family decides what that means (see ``default_note``)

# what a spec may write for each type, checked before the family's own validate
PARAM_TYPES = {
    "number": "a number",
    "integer": "an integer",
    "sizes": "an integer, or one per axis",
    "vector": "a list of numbers",
    "matrix": "a list of rows of numbers",
    "tensor": "nested lists of numbers, 3 or more axes (channels × rows × columns)",
    "choice": "one of the options",
    "text": "a string",
    "bool": "true or false",
    "tables": "a list of tables",
}


@dataclass(frozen=True)
class Param:
    """One parameter of a family, as a spec writes it under ``[params]``.

    Args:
        name: the key under ``[params]``.
        type: one of ``PARAM_TYPES``.
        meaning: one line for ``gradekit family``.
        shape: the shape in the family's symbols ("H×d"), for arrays.
        default: ``REQUIRED``, ``OPTIONAL`` or the value used when a spec leaves it out.
        default_note: what leaving it out means when that is not one value ("ones, one per row of Z").
        options: a ``choice``'s valid values.
    """

    name: str
    type: str
    meaning: str
    shape: str = ""
    default: Any = REQUIRED
    default_note: str = ""
    options: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.type not in PARAM_TYPES:
            raise ValueError(f"parameter {self.name!r}: type {self.type!r} is none of {', '.join(PARAM_TYPES)}")

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def check(self, value: Any) -> None:
        """Raise ``ParamError`` when ``value`` is not of this parameter's type."""
        p = param_checks
        one = {self.name: value}
        if self.type == "number":
            p.number(one, self.name)
        elif self.type == "integer":
            p.integer(one, self.name)
        elif self.type == "sizes":
            sizes = value if isinstance(value, list) else [value]
            if not sizes or any(isinstance(v, bool) or not isinstance(v, int) for v in sizes):
                raise ParamError(self.name, f"is {value!r}, but must be {PARAM_TYPES['sizes']}")
        elif self.type == "vector":
            p.vector(one, self.name)
        elif self.type == "matrix":
            p.matrix(one, self.name)
        elif self.type == "tensor":
            if p.array(one, self.name).ndim < 3:
                raise ParamError(self.name, f"is {value!r}, but must be {PARAM_TYPES['tensor']}")
        elif self.type == "choice" and self.options:
            p.choice(one, self.name, self.options)
        elif self.type in ("text", "choice"):
            p.text(one, self.name)
        elif self.type == "bool":
            p.boolean(one, self.name)
        elif self.type == "tables":
            p.table(one, self.name)


def check_declared(family: str, declared: tuple[Param, ...], params: Params) -> dict[str, Any]:
    """``params`` checked against the declaration, constant defaults filled in.

    >>> decl = (Param("stride", "integer", "the step", default=1), Param("input", "matrix", "X"))
    >>> check_declared("f", decl, {"input": [[1]]})["stride"]
    1
    >>> check_declared("f", decl, {"input": [[1]], "strid": 2})
    Traceback (most recent call last):
    ...
    gradekit.core.errors.ParamError: params.strid is not a parameter of family f (it takes input, stride); did you mean 'stride'?
    """
    names = {d.name: d for d in declared}
    for key in params:
        if key not in names:
            takes = ", ".join(sorted(names)) or "no parameters"
            raise ParamError(key, f"is not a parameter of family {family} (it takes {takes}){did_you_mean(key, names)}")
    out = dict(params)
    for d in declared:
        if d.name in params:
            d.check(params[d.name])
        elif d.required:
            raise ParamError(d.name, f"is missing ({d.meaning})")
        elif d.default is not OPTIONAL:
            out[d.name] = d.default
    return out


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
            per-student variant is a fair exercise (see ``gradekit.catalog.variants``).
        params: the ``Param`` declarations of what a spec gives under ``[params]``.
        carry: ``carry(params, given) -> answers``: the parts' answers recomputed with the student's own
            answers ``given`` (part name -> numbers) in place of the family's for those parts (forward
            values -> loss -> gradients): what ``carried_forward`` credit compares a later part with.
        mistake_ids: every id ``mistakes`` can name, for a model that names one only where it changes an
            answer on the params at hand (``gradekit validate`` checks a spec's ``partial`` keys against them).
        conventions: one line per convention the family's params choose (rows or columns as examples, a
            weight's layout, per image or per batch), printed by ``gradekit family NAME``.
        depends: ``depends(params) -> {part: (parts, ...)}``: the parts each part is computed from directly
            (the softmax from Z, the loss from the softmax), so carried-forward credit recomputes a part from
            the student's own answers to those alone and the feedback names only them; a part it leaves out
            depends on every earlier part.
    """

    name: str
    solve: Callable[[Params], Solution]
    validate: Callable[[Params], Params | ModuleParams] | None = None  # a module family: a code.spec.ModuleSpec
    mistakes: Callable[[Params], list[Mistake]] | None = None
    verify: Callable[[Params, str, Mapping[str, Any]], Outcome] | None = None
    # accept(validated params) -> bool: False rejects a drawn variant (a singular matrix,
    # a ReLU unit exactly at 0) and gradekit.catalog.variants draws again, deterministically.
    accept: Callable[[Params], bool] | None = None
    # the parameters a spec may give; None (a plug-in that declares none) skips the generic check
    params: tuple[Param, ...] | None = None
    carry: Callable[[Params, Mapping[str, Any]], Mapping[str, Any]] | None = None
    conventions: tuple[str, ...] = ()
    mistake_ids: tuple[str, ...] = ()
    depends: Callable[[Params], Mapping[str, tuple[str, ...]]] | None = None

    def check(self, params: Params) -> Params | ModuleParams:
        """A spec's ``params`` as the solver wants them: the declaration's checks, then the family's own."""
        if self.params is not None:
            params = check_declared(self.name, self.params, params)
        return self.validate(params) if self.validate else params


def family_params(problem: Problem) -> Params:
    """What ``problem``'s family's ``validate`` made of its params, handed back to the same family's
    ``solve``, ``mistakes``, ``verify``, ``carry`` or ``depends``.

    ``Family`` types those by the math families' ``Params``; a module family's validate makes a
    ``ModuleParams`` (a ModuleSpec) that its own callables take: the cast says each family gets back
    what it made itself. None (params not checked) passes through as before: a spec's own ``depends``
    reads no params at all.
    """
    return cast(Params, problem.validated_params)


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


class Registry(Mapping[str, Family]):
    """Every family by name, each module imported when one of its families is first wanted.

    A built-in family is found through the package's ``INDEX`` (its module alone is imported);
    any other name, and listing them all, loads every built-in module and the plug-ins of the
    entry-point group, checking that no name is defined twice.
    """

    def __init__(self) -> None:
        self._found: dict[str, Family] = {}
        self._engine: dict[str, Family] = {}
        self._specs: dict[str, Family] = {}  # a spec's own reference (solution.py): named by the spec, never listed
        self._complete = False

    def add_spec_family(self, family: Family) -> None:
        """A reference a spec carries itself (its ``solution.py``), found by its name like any family but not
        listed among those a spec may name."""
        self._specs[family.name] = family

    def __getitem__(self, name: str) -> Family:
        if name in self._specs:
            return self._specs[name]
        if name in ENGINE_FAMILIES:  # not listed among the families a spec names: a [code] table names it
            if name not in self._engine:
                register_module(importlib.import_module(ENGINE_FAMILIES[name]), self._engine)
            return self._engine[name]
        if name not in self._found:
            module = importlib.import_module(BUILTIN_PACKAGE).INDEX.get(name)
            if module is not None and not self._complete:
                register_module(importlib.import_module(f"{BUILTIN_PACKAGE}.{module}"), self._found)
            else:
                self._load_all()
        return self._found[name]

    def __contains__(self, name: object) -> bool:
        if name in self._found or name in importlib.import_module(BUILTIN_PACKAGE).INDEX:
            return True  # a built-in: known without importing its module
        self._load_all()
        return name in self._found

    def __iter__(self) -> Iterator[str]:
        self._load_all()
        return iter(self._found)

    def __len__(self) -> int:
        self._load_all()
        return len(self._found)

    def _load_all(self) -> None:
        if self._complete:
            return
        found: dict[str, Family] = {}
        package = importlib.import_module(BUILTIN_PACKAGE)
        for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
            if not info.name.startswith("_"):
                register_module(importlib.import_module(f"{BUILTIN_PACKAGE}.{info.name}"), found)
        for module in _entry_point_modules():
            register_module(module, found)
        self._found, self._complete = found, True


_registry = Registry()


def registry() -> Registry:
    """All families by name (a mapping that imports a family's module when it is first wanted)."""
    return _registry


def get_family(name: str) -> Family:
    return registry()[name]

"""The catalog: every problem spec under ``problems/``, validated when loaded.

>>> cat = load_catalog()
>>> cat.resolve("q3.2").qualified_id
'ece661-hw1/q3.2'
>>> sorted(cat.solve(cat.resolve("q3.2")).answers)[:2]
['L', 'dL/dW1']
"""

from __future__ import annotations

import os

import tomllib
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping

from gradekit.check.kinds import COMMON_OPTIONS, KINDS, validate_options
from gradekit.core.codefields import CODE_FAMILY, CODE_FIELDS, MAX_CODE_FILE_BYTES, TEST_OPTIONS
from gradekit.core.errors import ParamError, SpecError, UnknownAssignmentError, UnknownProblemError, did_you_mean
from gradekit.core.families import Family, family_params, registry
from gradekit.core.records import Assignment, Mistake, Part, Problem, Solution
from gradekit.core.vocab import PartKind
from gradekit.catalog.datafiles import resolve_data
from gradekit.catalog.variants import default_draw, has_generators

PROBLEM_FIELDS = {"id", "title", "family", "solution", "statement", "params", "parts", "code"}
ASSIGNMENT_FIELDS = {"name", "title", "source", "points", "description", "visibility", "students"}
# Gradescope's test visibilities (results.json), per part or as the assignment default.
VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")


def _display(path: Path) -> str:
    """The path as a user reads it: relative to the catalog's parent when possible."""
    try:
        return str(path.relative_to(path.parents[2]))
    except (ValueError, IndexError):
        return str(path)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise SpecError(_display(path), f"invalid TOML: {e}") from None
    except OSError as e:
        raise SpecError(_display(path), f"cannot read: {e.strerror}") from None


def _parse_part(where: str, index: int, raw: Any) -> Part:
    """One ``[[parts]]`` table as a ``Part``; ``SpecError`` naming the file and the field (``parts[2].rtol``)
    at the first thing wrong, checked in the order a spec is read: the table, its name and kind, its points,
    then its options."""
    field = f"parts[{index}]"
    name, kind = _name_and_kind(where, field, raw)
    points = _points(where, field, raw.get("points", 1))
    options = _options(where, field, kind, {k: v for k, v in raw.items()
                                            if k not in {"name", "kind", "points", "description"}})
    return Part(name=name, kind=PartKind(kind), points=float(points), description=str(raw.get("description", "")), options=options)


def _name_and_kind(where: str, field: str, raw: Any) -> tuple[str, str]:
    if not isinstance(raw, dict):
        raise SpecError(where, f"{field} must be a table with name, kind and points")
    for key in ("name", "kind"):
        if key not in raw:
            raise SpecError(where, f"{field}.{key} is missing")
    name, kind = raw["name"], raw["kind"]
    if not isinstance(name, str) or not name:
        raise SpecError(where, f"{field}.name must be a non-empty string, got {name!r}")
    if kind not in KINDS:
        raise SpecError(
            where,
            f"{field}.kind is {kind!r}, but only {', '.join(KINDS)} are valid{did_you_mean(str(kind), KINDS)}",
        )
    return name, kind


def _points(where: str, field: str, points: Any) -> int | float:
    if isinstance(points, bool) or not isinstance(points, (int, float)) or points < 0:
        raise SpecError(where, f"{field}.points must be a number >= 0, got {points!r}")
    return points


def _options(where: str, field: str, kind: str, options: dict[str, Any]) -> dict[str, Any]:
    """A part's options, each one its kind (or every kind) accepts, the common ones well-formed."""
    _check_allowed(where, field, kind, options)
    _check_partial(where, field, options.get("partial", {}))
    for key in ("rtol", "atol"):
        if key in options and (not isinstance(options[key], (int, float)) or options[key] < 0):
            raise SpecError(where, f"{field}.{key} must be a number >= 0, got {options[key]!r}")
    if "visibility" in options and options["visibility"] not in VISIBILITIES:
        raise SpecError(where, f"{field}.visibility is {options['visibility']!r}, but only {', '.join(VISIBILITIES)} are valid")
    if kind == "choice" and "choices" in options:
        _check_choices(where, field, options["choices"])
    return options


def _check_allowed(where: str, field: str, kind: str, options: dict[str, Any]) -> None:
    allowed = KINDS[kind].options | COMMON_OPTIONS
    for key in options:
        if key not in allowed:
            hint = did_you_mean(key, allowed)
            raise SpecError(where, f"{field}.{key} is not an option of kind {kind!r} (valid: {', '.join(sorted(allowed))}){hint}")


def _check_partial(where: str, field: str, partial: Any) -> None:
    if not isinstance(partial, dict) or not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 1 for v in partial.values()
    ):
        raise SpecError(where, f"{field}.partial must map mistake ids to credit fractions in [0, 1], got {partial!r}")


def _check_choices(where: str, field: str, choices: Any) -> None:
    if not isinstance(choices, list) or not choices or not all(isinstance(c, str) for c in choices):
        raise SpecError(where, f"{field}.choices must be a non-empty list of strings, got {choices!r}")


def load_problem(path: Path, assignment: str, families: Mapping[str, Family] | None = None, *,
                 check_params: bool = True) -> Problem:
    """Read and validate one spec file; raises ``SpecError`` naming the file and field.

    ``check_params=False`` checks everything but the params, which need the family's module:
    the catalog checks those when the assignment is first used (``Catalog.assignment``).
    """
    families = registry() if families is None else families
    where = _display(path)
    raw = _read_toml(path)
    is_code = "code" in raw  # a code problem from the course's starter and solution: the engine's family "code"
    if is_code:
        raw = _code_problem(where, path, raw)
    own = None  # the spec's own reference (solution = "solution.py") in place of a family
    if "solution" in raw and is_code:
        raise SpecError(where, "a spec with a [code] table names its solution in the table: [code] solution = ...")
    if "solution" in raw and not is_code:
        if "family" in raw:
            raise SpecError(where, "gives both family and solution: the reference is one or the other")
        from gradekit.catalog.solution import load_solution

        own = load_solution(where, path, raw["solution"])
        raw = {**{k: v for k, v in raw.items() if k != "solution"}, "family": own.name}
    for key in ("id", "title", "family", "statement", "parts"):
        if key not in raw:
            extra = " (or solution = \"solution.py\", the instructor's function beside the spec)" if key == "family" else ""
            raise SpecError(where, f"field {key!r} is missing{extra}")
    for key in raw:
        if key not in PROBLEM_FIELDS:
            raise SpecError(where, f"unknown field {key!r}{did_you_mean(key, PROBLEM_FIELDS)}")
    pid = raw["id"]
    if not isinstance(pid, str) or pid != path.stem:
        raise SpecError(where, f"id is {pid!r}, but must match the file name {path.stem!r}")
    family_name = raw["family"]
    if family_name == CODE_FAMILY and not is_code:
        raise SpecError(where, "family 'code' is written as a [code] table (docs/authoring.md, code problems)")
    if not is_code and own is None and family_name not in families:  # a [code] spec's family is the engine's
        hint = did_you_mean(str(family_name), families)
        raise SpecError(where, f"family {family_name!r} is unknown{hint}")
    if not isinstance(raw["parts"], list) or not raw["parts"]:
        raise SpecError(where, "parts must be a non-empty list of [[parts]] tables")
    parts = tuple(_parse_part(where, i, p) for i, p in enumerate(raw["parts"]))
    if family_name != CODE_FAMILY:
        for i, p in enumerate(parts):
            stray = sorted(set(p.options) & TEST_OPTIONS)
            if stray:
                raise SpecError(where, f"parts[{i}].{stray[0]} belongs to a code problem's part: this spec has no "
                                       f"[code] table (docs/authoring.md, code problems)")
    names = [p.name for p in parts]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise SpecError(where, f"part names must be unique, but {dupes} appear twice")
    try:  # { file = "dataset.mat", key = "X" }: numbers from a data file beside the spec
        params = resolve_data(raw.get("params", {}), path.parent) if isinstance(raw.get("params"), Mapping) \
            else raw.get("params", {})
    except ParamError as e:
        raise SpecError.of_params(where, family_name, e) from None
    problem = Problem(
        id=pid,
        assignment=assignment,
        title=str(raw["title"]),
        family=family_name,
        statement=str(raw["statement"]).strip(),
        params=params,
        parts=parts,
        source=where,
        validated_params=None,
    )
    if not check_params:
        return problem
    return check_params_of(problem, registry()[CODE_FAMILY] if is_code else own or families[family_name])


def _code_problem(where: str, path: Path, raw: dict[str, Any]) -> dict[str, Any]:
    """A spec with a ``[code]`` table, as the family ``code`` takes it: the table, the starter's and the
    solution's text (files beside the spec), and each part's test (its steps and what it compares)."""
    from gradekit.core.errors import SubmissionError
    from gradekit.core.files import read_file

    code = raw["code"]
    if "family" in raw or "params" in raw:
        raise SpecError(where, "a spec with a [code] table takes no family and no [params]: the starter and the "
                               "solution are its reference")
    if not isinstance(code, dict):
        raise SpecError(where, "code must be a table: [code] file = ..., starter = ..., solution = ...")
    for key in code:
        if key not in CODE_FIELDS:
            raise SpecError(where, f"code.{key} is not a field of [code] (valid: {', '.join(sorted(CODE_FIELDS))})"
                                   f"{did_you_mean(key, CODE_FIELDS)}")
    params = dict(code)
    for key in ("starter", "solution", *(("preamble",) if "preamble" in code else ())):
        name = code.get(key)
        if not isinstance(name, str) or not name.endswith(".py"):
            raise SpecError(where, f"code.{key} is {name!r}, but must name a .py file beside the spec")
        file = (path.parent / name)
        try:
            if file.resolve().parent != path.parent.resolve():
                raise SubmissionError(f"{name} is not in the spec's folder")
            params[f"{key}_source"] = read_file(file, MAX_CODE_FILE_BYTES, what=f"a code problem's {key}").decode()
        except (SubmissionError, OSError, UnicodeDecodeError) as e:
            raise SpecError(where, f"code.{key}: cannot read {name}: {e}") from None
    parts = raw.get("parts")
    if isinstance(parts, list):
        params["tests"] = {p["name"]: {k: v for k, v in p.items() if k in TEST_OPTIONS or k == "partial"}
                           for p in parts if isinstance(p, dict) and isinstance(p.get("name"), str)
                           and p.get("kind") == PartKind.FUNCTION}
    return {**{k: v for k, v in raw.items() if k != "code"}, "family": CODE_FAMILY, "params": params}

def check_params_of(problem: Problem, family: Family) -> Problem:
    """``problem`` with its params checked by its family, and its formula parts' symbols by the formula
    reader (``SpecError`` naming the file and field): the checks that need code beyond the spec's own."""
    for i, part in enumerate(problem.parts):
        if KINDS[part.kind].validate:
            try:
                validate_options(part.kind, part.options)
            except ValueError as e:
                raise SpecError(problem.source, f"parts[{i}]: {e}") from None
    if any(p.kind == PartKind.VERIFIED for p in problem.parts) and family.verify is None:
        raise SpecError(problem.source, f"family {problem.family!r} cannot check 'verified' parts (it has no verify)")
    params = problem.params
    # A spec with generators ({ random = ... }) is validated on its default draw (student id "").
    drawn = default_draw(problem.source, problem.id, problem.assignment, params, family) \
        if has_generators(params) else params
    try:
        validated = family.check(drawn)
    except ParamError as e:
        raise SpecError.of_params(problem.source, problem.family, e) from None
    return replace(problem, validated_params=validated)


def _environment_file(where: str, folder: Path, name: object) -> list[str]:
    """The import names a course's environment file beside assignment.toml lists (gradekit.core.studentenv)."""
    from gradekit.core.studentenv import MAX_ENVIRONMENT_BYTES, environment_packages

    if not isinstance(name, str) or Path(name).is_absolute() or ".." in Path(name).parts \
            or not (path := folder / name).is_file():
        raise SpecError(where, f"students.environment is {name!r}, but must name a file beside assignment.toml "
                               f"(a conda environment.yml or a requirements.txt)")
    data = path.read_bytes()[:MAX_ENVIRONMENT_BYTES + 1]
    if len(data) > MAX_ENVIRONMENT_BYTES:
        raise SpecError(where, f"students.environment: {name} is over {MAX_ENVIRONMENT_BYTES // 1024} KiB")
    try:
        return environment_packages(data.decode("utf-8"), path.name)
    except (ValueError, UnicodeDecodeError) as e:
        raise SpecError(where, f"students.environment: {name} {e}") from None


def load_assignment(folder: Path, families: Mapping[str, Family] | None = None, *,
                    check_params: bool = True) -> Assignment:
    meta_path = folder / "assignment.toml"
    if not meta_path.exists():
        raise SpecError(_display(meta_path), "is missing: every assignment folder needs one (name and title; "
                                             "source, points, visibility optional)")
    meta = _read_toml(meta_path)
    where = _display(meta_path)
    for key in ("name", "title"):
        if key not in meta:
            raise SpecError(where, f"field {key!r} is missing")
    for key in meta:
        if key not in ASSIGNMENT_FIELDS:
            raise SpecError(where, f"unknown field {key!r}{did_you_mean(key, ASSIGNMENT_FIELDS)}")
    if meta["name"] != folder.name:
        raise SpecError(where, f"name is {meta['name']!r}, but must match the folder {folder.name!r}")
    problems = tuple(
        load_problem(p, folder.name, families, check_params=check_params) for p in sorted(folder.glob("*.toml"), key=_natural) if p.name != "assignment.toml"
    )
    students = meta.get("students", {})
    packages = students.get("packages", []) if isinstance(students, dict) else None
    if not isinstance(packages, list) or not all(isinstance(p, str) and p for p in packages) or \
            set(students) - {"packages", "environment"}:
        raise SpecError(where, f"students is {students!r}, but must be a table such as "
                               f"[students] packages = [\"torch\", \"numpy\"] (and environment = \"environment.yml\")")
    if "environment" in students:
        packages = [*packages, *_environment_file(where, folder, students["environment"])]
    assignment = Assignment(
        name=folder.name, title=meta["title"], source=meta.get("source", ""), problems=problems,
        declared_points=meta.get("points"),
        visibility=meta.get("visibility", "visible"), folder=str(folder), packages=tuple(packages),
    )
    if assignment.visibility not in VISIBILITIES:
        raise SpecError(where, f"visibility is {assignment.visibility!r}, but only {', '.join(VISIBILITIES)} are valid")
    total = sum(part.points for prob in problems for part in prob.parts)
    if assignment.declared_points is not None and abs(total - assignment.declared_points) > 1e-9:
        raise SpecError(where, f"points is {assignment.declared_points}, but the parts of its problems add up to {total:g}")
    return assignment


def _natural(path: Path) -> list[Any]:
    """Sort q2.10 after q2.9 and lab1 after q4.1."""
    import re

    stem = path.stem
    return [(0, int(t), "") if t.isdigit() else (1, 0, t) for t in re.split(r"(\d+)", stem) if t]


class Catalog:
    """Assignments by name, with id resolution and cached solutions.

    ``broken`` holds the assignments whose specs failed to load (name -> the error): asking for
    one raises its error, and every other assignment works as usual. ``notes`` say what an
    instructor's folder shadowed.

    Problems read with ``check_params=False`` (``validated_params`` None) have their params checked
    when first used (that needs each family's module), so grading one assignment imports only its
    families. ``broken`` lists what has been found broken so far;
    ``assignments`` (and ``problems()`` of the whole catalog) check everything first.
    """

    def __init__(self, assignments: Iterable[Assignment], broken: Mapping[str, SpecError] | None = None,
                 notes: Iterable[str] = ()):
        self._assignments: dict[str, Assignment] = {a.name: a for a in assignments}
        self.broken: dict[str, SpecError] = dict(broken or {})
        self.notes: list[str] = list(notes)
        self._checked: dict[str, Problem] = {}  # problems checked one by one (grading a few answers)
        self._solutions: dict[str, Solution] = {}
        self._mistakes: dict[str, list[Mistake]] = {}
        self._carried: dict[str, Mapping[str, Any]] = {}

    @property
    def assignments(self) -> dict[str, Assignment]:
        """Every good assignment by name, all params checked (a failing one moves to ``broken``)."""
        for name in sorted(self._assignments):
            try:
                self._check(name)
            except SpecError:
                pass
        return dict(self._assignments)

    def problems(self, assignment: str | None = None) -> list[Problem]:
        if assignment is not None:
            return list(self.assignment(assignment).problems)
        return [p for a in self.assignments.values() for p in a.problems]

    def index(self, assignment: str | None = None) -> list[Problem]:
        """Problems as their specs name them (id, title, parts, points), params not checked: what
        resolving an answers file's keys and reporting unanswered problems need, without importing
        a family. ``checked`` gives one ready to solve."""
        if assignment is not None:
            return list(self._known(assignment).problems)
        return [p for a in self._assignments.values() for p in a.problems]

    def checked(self, problem: Problem) -> Problem:
        """``problem`` with its params checked by its family (whose module alone is imported)."""
        if problem.validated_params is not None:
            return problem
        if problem.qualified_id not in self._checked:
            self._checked[problem.qualified_id] = check_params_of(problem, registry()[problem.family])
        return self._checked[problem.qualified_id]

    def assignment(self, name: str) -> Assignment:
        self._known(name)
        self._check(name)
        return self._assignments[name]

    def _known(self, name: str) -> Assignment:
        if name in self.broken:
            raise self.broken[name]
        if name not in self._assignments:
            known = ", ".join(self._assignments)
            raise UnknownAssignmentError(f"unknown assignment {name!r}{did_you_mean(name, self._assignments)} "
                                         f"(known: {known})")
        return self._assignments[name]

    def _check(self, name: str) -> None:
        """Check the params of assignment ``name`` once; a failure makes it broken (and is raised)."""
        a = self._assignments[name]
        if all(p.validated_params is not None for p in a.problems):
            return
        try:
            problems = tuple(self.checked(p) for p in a.problems)
        except SpecError as e:
            self.broken[name] = e
            del self._assignments[name]
            raise
        self._assignments[name] = replace(a, problems=problems)

    def resolve(self, ident: str, assignment: str | None = None) -> Problem:
        """``a/q1`` always; a bare ``q1`` when unique (in the catalog, or within ``assignment``)."""
        if "/" in ident:
            name, _, pid = ident.partition("/")
            pool = self.problems(name)
        elif assignment is not None:
            pid, pool = ident, self.problems(assignment)
        else:
            pid, pool = ident, self.index()
        found = [p for p in pool if p.id == pid]
        if len(found) == 1:
            problem = found[0]
            return problem if problem.validated_params is not None else self.resolve(problem.qualified_id)
        if found:
            names = ", ".join(p.qualified_id for p in found)
            raise UnknownProblemError(f"problem id {ident!r} is ambiguous; use one of {names}")
        ids = [p.id for p in pool] + [p.qualified_id for p in pool]
        where = f" in {assignment}" if assignment and "/" not in ident else ""
        raise UnknownProblemError(f"unknown problem {ident!r}{where}{did_you_mean(ident, ids)}")

    def solve(self, problem: Problem) -> Solution:
        key = f"{problem.qualified_id}#{problem.variant}"
        if key not in self._solutions:
            family = registry()[problem.family]
            self._solutions[key] = family.solve(family_params(problem))
        return self._solutions[key]

    def carry(self, problem: Problem, given: Mapping[str, Any]) -> Mapping[str, Any]:
        """Every part's answer recomputed from a student's own answers ``given`` to some parts (the family's
        ``carry``), cached per problem variant and ``given``."""
        import json

        from gradekit.core.plain import plain

        key = f"{problem.qualified_id}#{problem.variant}#" + json.dumps(plain(dict(given)), sort_keys=True)
        if key not in self._carried:
            if len(self._carried) >= 1024:
                self._carried.pop(next(iter(self._carried)))
            family = registry()[problem.family]
            self._carried[key] = dict(family.carry(family_params(problem), given)) if family.carry else {}
        return self._carried[key]

    def mistakes(self, problem: Problem) -> list[Mistake]:
        key = f"{problem.qualified_id}#{problem.variant}"
        if key not in self._mistakes:
            family = registry()[problem.family]
            self._mistakes[key] = list(family.mistakes(family_params(problem))) if family.mistakes else []
        return self._mistakes[key]

    def with_params(self, problem: Problem, params: Mapping[str, Any], variant: str | None = None) -> Problem:
        """The same problem on other params (a student's variant), validated.

        ``variant`` names it in the solution cache; by default a hash of the params.
        """
        if variant is None:
            import hashlib
            import json

            from gradekit.core.plain import plain

            variant = hashlib.sha256(json.dumps(plain(dict(params)), sort_keys=True, default=str).encode()).hexdigest()[:16]
        family = registry()[problem.family]
        try:
            validated = family.check(params)
        except ParamError as e:
            raise SpecError.of_params(problem.source, problem.family, e) from None
        return replace(problem, params=params, validated_params=validated, variant=variant)


def default_root() -> Path:
    import gradekit.problems  # a package of data: its folder is the built-in catalog

    return Path(gradekit.problems.__file__).parent


PROBLEMS_ENV = "GRADEKIT_PROBLEMS"


def problem_folders() -> list[Path]:
    """The instructor's folders from ``GRADEKIT_PROBLEMS`` (a path list, like PATH), in order."""
    return [Path(p) for p in os.environ.get(PROBLEMS_ENV, "").split(os.pathsep) if p.strip()]


def load_catalog(root: Path | str | None = None, *, extra: Iterable[Path | str] | None = None) -> Catalog:
    """Every assignment under ``root`` (the built-in catalog by default) and under each ``extra`` folder
    (by default, ``GRADEKIT_PROBLEMS``), validated; a later folder's assignment shadows an earlier one.

    A folder is one assignment (it holds ``assignment.toml``) or a folder of assignments. A broken
    assignment is kept aside (``Catalog.broken``) and hurts no other.

    >>> load_catalog(extra=["my-course/"]).problems("my-hw1")   # doctest: +SKIP
    """
    return _load(_roots(root, extra))


def read_catalog(root: Path | str | None = None, *, extra: Iterable[Path | str] | None = None) -> Catalog:
    """As ``load_catalog``, but read from disk now, whatever this process read before (``gradekit validate``
    runs on save)."""
    return _load.__wrapped__(_roots(root, extra))


def _roots(root: Path | str | None = None, extra: Iterable[Path | str] | None = None) -> tuple[str, ...]:
    roots = [default_root() if root is None else Path(root)]
    roots += [Path(p) for p in (problem_folders() if extra is None else extra)]
    return tuple(str(r.resolve()) for r in roots)


def assignment_folders(root: Path) -> list[Path]:
    """``root`` itself when it is one assignment, else its assignment sub-folders."""
    if (root / "assignment.toml").exists():
        return [root]
    if not root.is_dir():
        raise SpecError(str(root), "is not a folder of assignments (one folder per assignment, as in problems/)")
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")) and any(p.glob("*.toml")))


@lru_cache(maxsize=8)
def _load(roots: tuple[str, ...]) -> Catalog:
    families = registry()
    assignments: dict[str, Assignment] = {}
    broken: dict[str, SpecError] = {}
    notes: list[str] = []
    for i, root in enumerate(roots):
        for folder in assignment_folders(Path(root)):
            if i and (folder.name in assignments or folder.name in broken):
                notes.append(f"{folder}: assignment {folder.name} shadows the one already in the catalog")
            try:
                assignment = load_assignment(folder, families, check_params=False)
            except SpecError as e:
                broken[folder.name] = e
                assignments.pop(folder.name, None)
                continue
            broken.pop(folder.name, None)
            assignments[folder.name] = assignment
    catalog = Catalog(assignments.values(), broken, notes)
    _LOADED[roots] = catalog
    return catalog


_LOADED: dict[tuple[str, ...], Catalog] = {}


def loaded() -> Catalog | None:
    """The default catalog (built-in and ``GRADEKIT_PROBLEMS``) if this process has loaded it, else None:
    the CLI mentions its broken assignments after a command."""
    return _LOADED.get(_roots())

"""What each family takes and gives, read from the code and the catalog: never a second, hand-kept copy.

For a family, its module's docstring says what it is and its ``params`` declaration what
it takes (the same declaration the loader checks every spec with); a spec of the catalog
that uses it (every built-in family has one) gives the parts its solution produces and its
mistake models (the ids ``partial`` gives credit for), computed now from that spec — so
this cannot go stale. ``gradekit new problem FAMILY`` writes that spec again under the
declaration's comments.

>>> doc = family_doc(load_catalog(), "batchnorm.forward")          # doctest: +SKIP
>>> [m["id"] for m in doc["mistakes"]]                              # doctest: +SKIP
['sample_variance', ...]
"""

from __future__ import annotations

import inspect
import re
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from gradekit.catalog.catalog import Catalog
from gradekit.core.errors import GradekitError, did_you_mean
from gradekit.catalog import tomlout
from gradekit.core.families import OPTIONAL, REQUIRED, Family, Param, registry

if TYPE_CHECKING:
    from gradekit.core.records import Problem

__all__ = ["families_table", "family_doc", "example_spec", "new_assignment", "new_problem"]


def _examples(catalog: Catalog) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for problem in catalog.problems():
        found.setdefault(problem.family, problem)
    return found


def _about(family) -> str:
    doc = inspect.getmodule(family.solve).__doc__ or ""
    return " ".join(doc.strip().split("\n\n")[0].split())


def families_table(catalog: Catalog) -> list[dict[str, str]]:
    """One row per registered family: name, what it is (its module's first line), an example problem."""
    examples = _examples(catalog)
    rows = []
    for name, family in sorted(registry().items()):
        about = _about(family)
        example = examples.get(name)
        rows.append({"family": name, "about": about.split(". ")[0].rstrip("."),
                     "example": example.qualified_id if example else ""})
    return rows


def _written(value: Any) -> str:
    """A value as a spec writes it, on one line."""
    return " ".join(tomlout.value(value).split())


def _default(param: Param) -> str:
    if param.required:
        return "required"
    if param.default is OPTIONAL:
        return param.default_note or "optional"
    return f"default {_written(param.default)}"


def _type(param: Param) -> str:
    if param.type == "choice" and param.options:
        return "one of " + ", ".join(param.options)
    return param.type


def _param_rows(family: Family, example: Problem | None) -> list[dict[str, Any]]:
    """One row per declared parameter: name, type, shape, default, meaning, and the example's value."""
    given = example.params if example is not None else {}
    return [{"name": d.name, "type": _type(d), "shape": d.shape, "default": _default(d), "meaning": d.meaning,
             "example": given.get(d.name)} for d in family.params or ()]


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, np.integer)):
        return "integer"
    if isinstance(value, str):
        return "choice or expr (text)"
    try:
        shape = np.shape(value)
        np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return "verified or symbolic_matrix"
    return {0: "number", 1: "vector"}.get(len(shape), "matrix")


def spec_path(catalog: Catalog, problem) -> Path:
    return Path(catalog.assignment(problem.assignment).folder) / f"{problem.id}.toml"


def _family_and_example(catalog: Catalog, name: str) -> tuple[Family, Problem | None]:
    """The family called ``name`` and the first catalog problem of it (None when there is none)."""
    families = registry()
    if name not in families:
        raise GradekitError(f"unknown family {name!r}{did_you_mean(name, families)}; `gradekit families` lists them")
    return families[name], _examples(catalog).get(name)


def family_doc(catalog: Catalog, name: str) -> dict[str, Any]:
    """A family's description, parameters, parts, mistakes and example spec (see the module docstring)."""
    family, example = _family_and_example(catalog, name)
    doc: dict[str, Any] = {"family": name, "about": _about(family), "example": None,
                           "params": _param_rows(family, example), "parts": [], "mistakes": [], "spec": "",
                           "conventions": conventions(family), "carries_forward": family.carry is not None}
    if example is None:
        return doc
    solution = catalog.solve(example)
    spec_kinds = {p.name: p.kind for p in example.parts}
    doc["example"] = example.qualified_id
    doc["parts"] = [{"name": k, "kind": spec_kinds.get(k, _kind_of(v))} for k, v in solution.answers.items()]
    doc["mistakes"] = [{"id": m.id, "message": m.message, "parts": sorted(m.answers)}
                       for m in catalog.mistakes(example)]
    doc["spec"] = spec_text(family, spec_path(catalog, example))
    return doc


def conventions(family: Family) -> list[str]:
    """The conventions the family follows, each a parameter a spec may set: its stated lines, then every
    ``choice`` parameter with its default and the other options.

    >>> from gradekit.core.families import registry
    >>> conventions(registry()["batchnorm.forward"])[0]
    "examples = 'columns' (or 'rows'): whether each example of the batch is a column or a row of Z"
    """
    lines = list(family.conventions)
    for p in family.params or ():
        if p.type == "choice" and p.options and p.default not in (REQUIRED, OPTIONAL):
            others = " or ".join(repr(o) for o in p.options if o != p.default)
            lines.append(f"{p.name} = {p.default!r} (or {others}): {p.meaning}")
    return lines


def _comment(param: Param) -> str:
    shape = f", {param.shape}" if param.shape else ""
    return f"# {param.meaning} ({_type(param)}{shape}; {_default(param)})"


def spec_text(family: Family, path: Path) -> str:
    """The spec at ``path`` written again, each parameter under the comment its declaration gives.

    Parameters the spec leaves out are shown commented out with their default, so a new
    problem lists everything the family takes.
    """
    with open(path, "rb") as f:
        raw = tomllib.load(f)
    head = {k: raw[k] for k in ("id", "title", "family", "statement") if k in raw}
    lines = tomlout.assignments(head)
    given = dict(raw.get("params", {}))
    declared = list(family.params) if family.params is not None else []
    names = [d.name for d in declared] + [k for k in given if k not in {d.name for d in declared}]
    by_name = {d.name: d for d in declared}
    tables = [n for n in names if n in given and _is_tables(given[n])]
    if names or "params" in raw:
        lines += ["", "[params]"]
    for n in names:
        if n in tables:
            continue
        if n in by_name:
            lines.append(_comment(by_name[n]))
        if n in given:
            lines.append(tomlout.line(n, given[n]))
        elif by_name[n].default not in (REQUIRED, OPTIONAL):
            lines.append("# " + tomlout.line(n, by_name[n].default))
    for n in tables:
        lines += [""] + ([_comment(by_name[n])] if n in by_name else [])
        for i, entry in enumerate(given[n]):
            lines += ([""] if i else []) + [f"[[params.{tomlout.key(n)}]]"] + tomlout.assignments(entry)
    for part in raw.get("parts", []):
        lines += ["", "[[parts]]"] + tomlout.assignments(part)
    return "\n".join(lines) + "\n"


def _is_tables(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def example_spec(catalog: Catalog, family: str, pid: str) -> str:
    """The family's example spec as a new problem ``pid``: a starting file that validates as written."""
    declared, example = _family_and_example(catalog, family)  # no solving: only the spec is written
    if example is None:
        raise GradekitError(f"family {family!r} has no example spec in the catalog to start from")
    spec = spec_text(declared, spec_path(catalog, example))
    text = re.sub(r'^id = ".*"$', f'id = "{pid}"', spec, count=1, flags=re.M)
    head = (f"# A new problem of family {family}, started from {example.qualified_id} (gradekit family {family} "
            f"says what\n# each parameter and part is). Edit the statement, params and parts; `gradekit validate` "
            f"checks it.\n")
    return head + text


def new_assignment(folder: Path, name: str, title: str | None = None) -> Path:
    """``folder/name/assignment.toml``, commented; refuses to overwrite."""
    target = folder / name
    path = target / "assignment.toml"
    if path.exists():
        raise GradekitError(f"{path} exists; remove it or choose another name")
    target.mkdir(parents=True, exist_ok=True)
    path.write_text(f'# An assignment: this folder holds one TOML file per problem (gradekit new problem FAMILY).\n'
                    f'name = "{name}"                 # the folder\'s name\n'
                    f'title = "{title or name}"\n'
                    f'# points = 100                  # optional: checked against the parts when given\n'
                    f'# visibility = "visible"        # Gradescope default: visible, hidden, after_due_date, '
                    f'after_published\n')
    return path


def new_problem(catalog: Catalog, folder: Path, family: str, pid: str) -> Path:
    """``folder/pid.toml`` (``folder`` is an assignment folder) from the family's example; refuses to overwrite."""
    path = folder / f"{pid}.toml"
    if path.exists():
        raise GradekitError(f"{path} exists; remove it or choose another id")
    if not (folder / "assignment.toml").exists():
        raise GradekitError(f"{folder} has no assignment.toml; start with gradekit new assignment NAME")
    path.write_text(example_spec(catalog, family, pid))
    return path

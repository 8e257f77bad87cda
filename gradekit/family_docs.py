"""What each family takes and gives, read from the code and the catalog: never a second, hand-kept copy.

For a family, its module's docstring says what it is; a spec of the catalog that uses
it (every built-in family has one) shows its parameters as a spec writes them, the
parts its solution produces, and its mistake models (the ids ``partial`` gives credit
for), all computed now from that spec — so this cannot go stale. ``gradekit new
problem FAMILY`` starts from the same spec.

>>> doc = family_doc(load_catalog(), "batchnorm.forward")          # doctest: +SKIP
>>> [m["id"] for m in doc["mistakes"]]                              # doctest: +SKIP
['sample_variance', ...]
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

import numpy as np

from .catalog import Catalog
from .errors import GradekitError
from .families import registry

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


def _type(value: Any) -> tuple[str, str]:
    """(type, shape) of a spec value as written."""
    if isinstance(value, dict) and "random" in value:
        shape = value.get("shape")
        return f"drawn per student ({value['random']})", "×".join(map(str, shape)) if shape else ""
    if isinstance(value, bool):
        return "bool", ""
    if isinstance(value, (int, float)):
        return "number", ""
    if isinstance(value, str):
        return "text", ""
    if isinstance(value, dict):
        return "table", ""
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return f"list of tables ({', '.join(sorted({k for v in value for k in v}))})", str(len(value))
    try:
        shape = np.shape(value)
        np.asarray(value, dtype=float)
        return ("vector" if len(shape) == 1 else "matrix"), "×".join(map(str, shape))
    except (TypeError, ValueError):
        return "list", str(len(value)) if isinstance(value, list) else ""


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


def family_doc(catalog: Catalog, name: str) -> dict[str, Any]:
    """A family's description, parameters, parts, mistakes and example spec (see the module docstring)."""
    families = registry()
    if name not in families:
        from .catalog import _did_you_mean

        raise GradekitError(f"unknown family {name!r}{_did_you_mean(name, families)}; `gradekit families` lists them")
    family = families[name]
    example = _examples(catalog).get(name)
    doc: dict[str, Any] = {"family": name, "about": _about(family), "example": None, "params": [], "parts": [],
                           "mistakes": [], "spec": ""}
    if example is None:
        return doc
    solution = catalog.solve(example)
    spec_kinds = {p.name: p.kind for p in example.parts}
    doc["example"] = example.qualified_id
    doc["params"] = [{"name": k, "type": t, "shape": s, "example": v if not isinstance(v, dict) else v}
                     for k, v in example.params.items() for t, s in [_type(v)]]
    doc["parts"] = [{"name": k, "kind": spec_kinds.get(k, _kind_of(v))} for k, v in solution.answers.items()]
    doc["mistakes"] = [{"id": m.id, "message": m.message, "parts": sorted(m.answers)}
                       for m in catalog.mistakes(example)]
    doc["spec"] = spec_path(catalog, example).read_text(encoding="utf-8")
    return doc


def example_spec(catalog: Catalog, family: str, pid: str) -> str:
    """The family's example spec as a new problem ``pid``: a starting file that validates as written."""
    doc = family_doc(catalog, family)
    if not doc["spec"]:
        raise GradekitError(f"family {family!r} has no example spec in the catalog to start from")
    text = re.sub(r'^id = ".*"$', f'id = "{pid}"', doc["spec"], count=1, flags=re.M)
    head = (f"# A new problem of family {family}, started from {doc['example']} (gradekit family {family} says what\n"
            f"# each parameter and part is). Edit the statement, params and parts; `gradekit validate` checks it.\n")
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

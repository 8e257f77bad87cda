"""Starter files for code problems: each callable's signature and docstring, ``raise NotImplementedError``;
for a ``[code]`` problem, the course's starter file beside its spec.

Graded as it is, a starter scores 0 with "not implemented" on every part.

>>> from gradekit.catalog.catalog import load_catalog
>>> text = starter(load_catalog().resolve("ece449-a2/task1"))
>>> "def relu(X):" in text and "raise NotImplementedError" in text
True
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from gradekit.code.spec import is_module_problem


def starter(problem) -> str:
    spec = problem.validated_params
    if isinstance(spec.extra.get("starter_source"), str):  # a [code] problem: the course's own starter, as it is
        return spec.extra["starter_source"]
    lines = [f'"""{problem.title} ({problem.qualified_id}).', "",
             f"Implement each function below, keep its name and arguments, then: gradekit check {spec.file}",
             '"""', "", spec.preamble, ""]
    for fn in spec.callables:
        stubs = spec.extra.get("stubs", {})  # a class's starter, written by its family ("" for its other methods)
        if fn.name in stubs:
            lines += ["", stubs[fn.name]] if stubs[fn.name] else []
            continue
        doc = textwrap.indent(fn.doc.replace('"""', "'''"), "    ")
        lines += ["", f"def {fn.signature}:", f'    """{doc.strip()}', '    """', "    raise NotImplementedError", ""]
    return "\n".join(lines).rstrip() + "\n"


def write_starters(catalog, assignment: str, folder: Path) -> list[tuple[Path, bool]]:
    """Write each code problem's starter into ``folder``; (path, written) — an existing file is kept."""
    out = []
    for problem in catalog.problems(assignment):
        if not is_module_problem(problem):
            continue
        path = folder / problem.validated_params.file
        if path.exists():
            out.append((path, False))
            continue
        path.write_text(starter(problem))
        out.append((path, True))
    return out

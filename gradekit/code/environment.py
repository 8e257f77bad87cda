"""The packages an assignment's students may import, and what a module file's top-level imports ask of them.

An assignment declares its students' environment in ``assignment.toml``:

    [students]
    packages = ["torch", "torchvision", "numpy", "matplotlib"]

A declared package that the grading machine cannot find is the grader's fault (``GraderError``: exit 3,
never points lost); a top-level import of a package neither declared nor in the standard library is the
student's, said in one line.

>>> top_level_imports(b"import numpy as np\\nfrom torch import nn\\nimport os.path\\ndef f():\\n    import pandas\\n")
['numpy', 'torch', 'os']
"""

from __future__ import annotations

import ast
import functools
import importlib
import importlib.util
import re
import sys
from typing import Iterable, Sequence

from gradekit.core.errors import GraderError
from gradekit.core.extras import CODE_EXTRA, CODE_EXTRA_MODULES

__all__ = ["top_level_imports", "check_environment", "HEAVY_PACKAGES", "preload_packages"]

# Libraries whose import maps more address space than a student's memory budget should pay for (a CUDA build of
# torch maps 3.2 GB): the child imports them before the student's code and counts the budget from there
# (``gradekit.sandbox.limits.Limits.preload``). In import order: torchvision brings torch, the harness numpy.
HEAVY_PACKAGES = ("numpy", "torch", "torchvision")
_IMPORT = re.compile(rb"\b(?:import|from)\s+(numpy|torch|torchvision)\b")


def top_level_imports(source: bytes) -> list[str]:
    """The root package of every import the module runs when imported (module level, in order, no repeats);
    imports inside functions run only when called and are not counted. [] when the file does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    out: list[str] = []
    for stmt in tree.body:
        names = [a.name for a in stmt.names] if isinstance(stmt, ast.Import) else \
            [stmt.module] if isinstance(stmt, ast.ImportFrom) and stmt.module and stmt.level == 0 else []
        for name in names:
            root = name.split(".")[0]
            if root not in out:
                out.append(root)
    return out


@functools.lru_cache(maxsize=None)
def _unimportable(root: str) -> str | None:
    """Why a declared package cannot be imported here (None when it can). Imported, not only found: a
    torchvision built for another torch is found but fails to import ('operator torchvision::nms does not
    exist'), and the student must not pay for that."""
    if importlib.util.find_spec(root) is None:
        return "is not installed"
    try:
        importlib.import_module(root)
    except Exception as e:  # any failure of a package's own import is the machine's, not the student's
        return f"fails to import ({type(e).__name__}: {str(e).splitlines()[0][:120] if str(e) else ''})"
    return None


def check_environment(source: bytes, packages: Sequence[str], assignment: str, siblings: Iterable[str] = (),
                      *, imported: bool = True) -> list[str]:
    """Raise ``GraderError`` when a declared package the file imports is missing here; return notes for the
    file's undeclared imports (none when the assignment declares no environment). ``imported=False`` only
    looks for the packages, without importing them (torch: a second and a half of a check): a caller whose
    children import them anyway asks again, imported, where the student's file then failed to import."""
    if not packages:
        return []
    notes = []
    local = set(siblings)
    for root in top_level_imports(source):
        if root in packages:
            why = _unimportable(root) if imported else \
                ("is not installed" if importlib.util.find_spec(root) is None else None)
            if why is not None:
                how = (f"pip install 'gradekit[{CODE_EXTRA}]'" if root in CODE_EXTRA_MODULES
                       else "make install, or the autograder's setup.sh")
                raise GraderError(f"{root} is declared by {assignment}'s students' environment but {why} "
                                  f"where grading runs: install it ({how})")
        elif root not in sys.stdlib_module_names and root not in local:
            notes.append(f"the file imports {root}, which {assignment}'s students' environment does not declare "
                         f"(declared: {', '.join(packages)}); the graders may not have it")
    return notes


def preload_packages(source: bytes, packages: Sequence[str] | None = None) -> tuple[str, ...]:
    """The heavy libraries to import before the student's code: those ``source`` imports anywhere (a function's
    import too, and the text of a notebook's cells, which the cell runner holds as strings), among
    ``packages`` when an assignment declares them; numpy first whenever any is (the harness imports it anyway).

    >>> preload_packages(b"import torchvision\\nfrom torch import nn\\n", ["torch", "torchvision", "numpy"])
    ('numpy', 'torch', 'torchvision')
    >>> preload_packages(b"import numpy as np\\n", ["numpy"]), preload_packages(b"x = 1\\n", ["torch"])
    (('numpy',), ())
    """
    found = {m.group(1).decode() for m in _IMPORT.finditer(source)}
    if "torchvision" in found:
        found.add("torch")
    if packages is not None:
        found &= set(packages) | ({"torch"} if "torchvision" in packages else set())
    if not found:
        return ()
    return tuple(p for p in HEAVY_PACKAGES if p in found or p == "numpy")

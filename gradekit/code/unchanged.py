"""A graded function still as the starter wrote it is not implemented: its placeholders (``return
np.zeros(X.shape)``, a loop without its update) are the course's, not a wrong answer of the student's."""

from __future__ import annotations

import functools
from typing import Any, Mapping

__all__ = ["function_bodies", "starter_unchanged", "bodies_to_write"]


def starter_unchanged(source: bytes, setup: Mapping[str, Any], own: str | None) -> bool:
    """Whether the function ``own`` of the student's ``source`` has the starter's body (``setup["starter_bodies"]``);
    for a method (``Net.forward``), whether it or its whole class does. ``starter_bodies`` holds only the
    methods students write: a method the starter pre-fills (a loss) is graded as it stands."""
    starter = dict(setup.get("starter_bodies", ()))
    if own is None:
        return False
    bodies = dict(function_bodies(source))
    return any(name in starter and bodies.get(name) == starter[name] for name in {own, own.split(".")[0]})


def bodies_to_write(starter: bytes, solution: bytes) -> tuple[tuple[str, str], ...]:
    """The starter's bodies (:func:`function_bodies`) less the methods it pre-fills: those whose body the
    solution keeps as it is."""
    solved = dict(function_bodies(solution))
    return tuple((name, body) for name, body in function_bodies(starter) if "." not in name or solved.get(name) != body)


@functools.lru_cache(maxsize=64)
def function_bodies(source: bytes) -> tuple[tuple[str, str], ...]:
    """``(name, its arguments and body)`` of each top-level function of a file, ``(name, its bases and
    body)`` of each top-level class (its methods' docstrings left out too) and ``(Class.method, its arguments
    and body)`` of each of its methods, docstrings left out: a graded
    function or class whose body is still the starter's is not implemented. The file was parsed before it was
    graded (a file that does not parse is refused), within the module files' size bound."""
    import ast

    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return ()
    out = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out.append((node.name, ast.dump(node.args) + _dump(_undocumented(node.body))))
        elif isinstance(node, ast.ClassDef):
            body = [ast.FunctionDef(m.name, m.args, _undocumented(m.body), [], None, None)
                    if isinstance(m, ast.FunctionDef) else m for m in _undocumented(node.body)]
            out.append((node.name, "".join(ast.dump(b) for b in node.bases) + _dump(body)))
            out += [(f"{node.name}.{m.name}", ast.dump(m.args) + _dump(m.body)) for m in body
                    if isinstance(m, ast.FunctionDef)]
    return tuple(out)


def _undocumented(body: list) -> list:
    """A body without its docstring."""
    import ast

    return body[1:] if (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                        and isinstance(body[0].value.value, str)) else body


def _dump(body: list) -> str:
    import ast

    return ast.dump(ast.Module(body=body, type_ignores=[]))

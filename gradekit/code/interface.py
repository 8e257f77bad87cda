"""What a course's starter file defines: its classes, methods and functions, with signatures and docstrings.

Read with ``ast`` only (the starter is never run in the grader). ``to_fill`` compares the starter with the
instructor's solution: the callables whose bodies differ are what students write.

>>> i = read_interface('class Linear:\\n    def forward(self, A):\\n        \"\"\"Z = A W^T + b.\"\"\"\\n        return None\\n')
>>> i.names, i.signature("Linear.forward"), i.doc("Linear.forward")
(('Linear',), 'Linear.forward(A)', 'Z = A W^T + b.')
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

__all__ = ["Interface", "Callable_", "read_interface", "to_fill"]


@dataclass(frozen=True)
class Callable_:
    """One function or method of the starter: ``Linear.backward``, its arguments (``self`` left out) and doc."""

    path: str
    args: tuple[str, ...]
    doc: str
    body: str = field(default="", compare=False, repr=False)  # the body's source, to compare with the solution

    @property
    def signature(self) -> str:
        return f"{self.path}({', '.join(self.args)})"

    @property
    def is_method(self) -> bool:
        return "." in self.path


@dataclass(frozen=True)
class Interface:
    names: tuple[str, ...]  # top-level classes and functions
    callables: tuple[Callable_, ...]

    def get(self, path: str) -> Callable_ | None:
        return next((c for c in self.callables if c.path == path), None)

    def signature(self, path: str) -> str:
        """``path``'s signature; a class is called as its ``__init__`` says (``LeNet(n_classes=None)``)."""
        c = self.get(path)
        if c is None and path in self.names and self.get(f"{path}.__init__") is not None:
            return f"{path}({', '.join(self.get(f'{path}.__init__').args)})"  # type: ignore[union-attr]
        return c.signature if c else ""

    def doc(self, path: str) -> str:
        c = self.get(path)
        return c.doc if c else ""

    def classes(self) -> list[str]:
        return [n for n in self.names if any(c.path.startswith(n + ".") for c in self.callables)]


def read_interface(source: str) -> Interface:
    """The starter's top-level classes and functions; ``SyntaxError`` when it is not Python."""
    tree = ast.parse(source)
    names, out = [], []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.append(node.name)
            out.append(_callable(node.name, node, source, method=False))
        elif isinstance(node, ast.ClassDef):
            names.append(node.name)
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    out.append(_callable(f"{node.name}.{item.name}", item, source, method=True))
    return Interface(tuple(names), tuple(out))


def _callable(path: str, node: ast.FunctionDef | ast.AsyncFunctionDef, source: str, method: bool) -> Callable_:
    a = node.args
    positional = [x.arg for x in (*a.posonlyargs, *a.args)]
    defaults = [None] * (len(positional) - len(a.defaults)) + [ast.unparse(d) for d in a.defaults]
    args = [f"{n}={d}" if d is not None else n for n, d in zip(positional, defaults)]
    if method and args and positional[0] in ("self", "cls"):
        args = args[1:]
    if a.vararg:
        args.append(f"*{a.vararg.arg}")
    args += [f"{k.arg}={ast.unparse(d)}" if d is not None else k.arg for k, d in zip(a.kwonlyargs, a.kw_defaults)]
    if a.kwarg:
        args.append(f"**{a.kwarg.arg}")
    doc = ast.get_docstring(node) or ""
    body = node.body[1:] if doc else node.body
    return Callable_(path, tuple(args), doc, "\n".join(ast.unparse(s) for s in body))


def to_fill(starter: Interface, solution: Interface) -> list[Callable_]:
    """The starter's callables whose bodies the solution fills in (what a student writes), in order."""
    out = []
    for c in starter.callables:
        s = solution.get(c.path)
        if s is not None and s.body != c.body:
            out.append(c)
    return out

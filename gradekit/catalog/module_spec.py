"""``gradekit new module``: a code problem's spec written from the course's starter and the instructor's solution.

What the two files say is written for the instructor: the callables the solution fills in (their bodies
differ from the starter's), one part each, with steps that call them as a notebook would (a class built, its
earlier methods called first; a function fed what an earlier one returned, such as a ``cache``) and what to
compare (the return, and the attributes the starter's method sets). What they cannot say is left as a
marked guess to edit: each input's dtype and shape (``float64[N, D]``) and the sizes' ranges.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from gradekit.code.interface import Callable_, Interface, read_interface, to_fill
from gradekit.core.errors import GradekitError
from gradekit.catalog.tomlout import value as toml_value

__all__ = ["module_spec_text", "new_module"]


@dataclass
class _Draft:
    dims: dict[str, list[int]] = field(default_factory=lambda: {"N": [1, 6]})
    inputs: dict[str, str] = field(default_factory=dict)
    parts: list[dict] = field(default_factory=list)


def module_spec_text(pid: str, file: str, starter_name: str, solution_name: str, starter: str, solution: str,
                     title: str | None = None) -> str:
    """The spec's TOML text; ``GradekitError`` when the files are not Python or the solution fills nothing."""
    try:
        s_iface, sol_iface = read_interface(starter), read_interface(solution)
    except SyntaxError as e:
        raise GradekitError(f"the starter or the solution is not Python: line {e.lineno}: {e.msg}") from None
    filled = to_fill(s_iface, sol_iface)
    if not filled:
        raise GradekitError("the solution fills in no callable of the starter: every body is the same")
    draft = _Draft()
    for c in filled:
        draft.parts.append(_part(c, filled, s_iface, sol_iface, _Sources(starter, solution), draft))
    lines = [f"id = {toml_value(pid)}", f"title = {toml_value(title or pid)}",
             "statement = '''", f"Implement {', '.join(c.path for c in filled)} in {file}.", "'''", "",
             "[code]", f"file = {toml_value(file)}", f"starter = {toml_value(starter_name)}",
             f"solution = {toml_value(solution_name)}",
             f"library = {toml_value('torch' if _imports_torch(solution) else 'numpy')}", "",
             "# The sizes a test draws (inclusive ranges), and each input's dtype and shape in those sizes:",
             "# the files cannot say them. Edit these guesses: N is the batch.", "[code.dims]"]
    lines += [f"{n} = {toml_value(v)}" for n, v in draft.dims.items()]
    lines += ["", "[code.inputs]"] + [f"{n} = {toml_value(t)}" for n, t in draft.inputs.items()]
    for p in draft.parts:
        lines += ["", "[[parts]]", f"name = {toml_value(p['name'])}", 'kind = "function"', "points = 1",
                  f"steps = {toml_value(p['steps'])}", f"compare = {toml_value(p['compare'])}"]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class _Sources:
    """The two files' text: what a callable returns is named by the starter where it says (``return dx, dw,
    db``), else by the solution."""

    starter: str
    solution: str

    def returned(self, path: str) -> list[str]:
        named = _returned(self.starter, path)
        return named if named and named != ["out"] else _returned(self.solution, path)


def _part(c: Callable_, filled: list[Callable_], starter: Interface, solution: Interface, source: _Sources,
          draft: _Draft) -> dict:
    steps: list[str] = []
    compare: list[str] = []
    if c.is_method:
        cls, method = c.path.split(".", 1)
        init = solution.get(f"{cls}.__init__")
        ctor = [_dim(a, draft) for a in (init.args if init else ()) if "=" not in a and not a.startswith("*")]
        obj = cls.lower()[:1] if cls.lower()[:1] not in draft.inputs else "obj"
        steps.append(f"{obj} = {cls}({', '.join(ctor)})")
        earlier = [f for f in filled if f.path.startswith(cls + ".") and f.path != c.path
                   and filled.index(f) < filled.index(c) and not f.path.endswith(".__init__")]
        for f in [*earlier, c] if method != "__init__" else []:
            out = source.returned(f.path)
            call = f"{obj}.{f.path.split('.', 1)[1]}({', '.join(_input(a, draft) for a in _plain(f.args))})"
            steps.append(f"{', '.join(out)} = {call}" if out else call)
            if f is c:
                compare += out
        attrs = _set_by(source.solution, c.path) & _set_by_starter(starter, c)
        compare += [f"{obj}.{a}" for a in sorted(attrs)]
    else:
        producer: dict[str, Callable_] = {}  # each name an earlier function returns, by its latest
        for f in filled[:filled.index(c)]:
            if not f.is_method:
                producer.update({name: f for name in source.returned(f.path)})
        chain = list(dict.fromkeys(producer[a] for a in _plain(c.args) if a in producer))
        for f in [*chain, c]:
            out = source.returned(f.path) or ["out"]
            made = {o for g in chain for o in source.returned(g.path)}
            args = [a if a in made else _input(a, draft) for a in _plain(f.args)]
            steps.append(f"{', '.join(out)} = {f.path}({', '.join(args)})")
            if f is c:
                compare += [o for o in out if o != "cache"]
    return {"name": c.path, "steps": steps, "compare": compare or ["out"]}


def _imports_torch(source: str) -> bool:
    tree = ast.parse(source)
    names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    names += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    return any(name.split(".")[0] == "torch" for name in names)


def _plain(args: tuple[str, ...]) -> list[str]:
    return [a for a in args if "=" not in a and not a.startswith("*")]


def _dim(arg: str, draft: _Draft) -> str:
    draft.dims.setdefault(arg, [1, 5])
    return arg


def _input(arg: str, draft: _Draft) -> str:
    draft.inputs.setdefault(arg, "float64[N, D]")
    draft.dims.setdefault("D", [1, 5])
    return arg


def _function(source: str, path: str) -> ast.FunctionDef | None:
    tree = ast.parse(source)
    head, _, method = path.partition(".")
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == path:
            return node
        if isinstance(node, ast.ClassDef) and node.name == head:
            return next((f for f in node.body if isinstance(f, ast.FunctionDef) and f.name == method), None)
    return None


def _returned(source: str, path: str) -> list[str]:
    """The names of what the callable returns (``out, cache``), or ``[out]`` for one unnamed value, or []."""
    fn = _function(source, path)
    values = [n.value for n in ast.walk(fn) if isinstance(n, ast.Return) and n.value is not None] if fn else []
    if not values or (isinstance(values[-1], ast.Constant) and values[-1].value is None):
        return []
    last = values[-1]
    if isinstance(last, ast.Tuple) and all(isinstance(e, ast.Name) for e in last.elts):
        return [e.id for e in last.elts]  # type: ignore[attr-defined]
    if isinstance(last, ast.Name):
        return [last.id]
    if isinstance(last, ast.Attribute) and isinstance(last.value, ast.Name) and last.value.id == "self":
        return [last.attr]
    return ["out"]


def _self_attributes(tree: ast.AST | None) -> set[str]:
    """The ``self.NAME = ...`` names assigned anywhere in ``tree``."""
    return {t.attr for n in ast.walk(tree) if isinstance(n, ast.Assign) for t in n.targets
            if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self"} if tree else set()


def _set_by(source: str, path: str) -> set[str]:
    return _self_attributes(_function(source, path))


def _set_by_starter(starter: Interface, c: Callable_) -> set[str]:
    """The attributes the starter's method sets (its ``self.dLdW = None  # TODO`` lines): what it asks for."""
    try:
        return _self_attributes(ast.parse(c.body) if c.body else None)
    except SyntaxError:
        return set()


def new_module(folder: Path, pid: str, starter: Path, solution: Path, file: str | None = None) -> Path:
    """``folder/pid.toml`` with the starter and the solution copied beside it (``pid_starter.py``,
    ``pid_solution.py``) unless they are there already; refuses to overwrite."""
    if not (folder / "assignment.toml").exists():
        raise GradekitError(f"{folder} has no assignment.toml; start with gradekit new assignment NAME")
    path = folder / f"{pid}.toml"
    if path.exists():
        raise GradekitError(f"{path} exists; remove it or choose another id")
    texts = {}
    for role, src in (("starter", starter), ("solution", solution)):
        try:
            texts[role] = src.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise GradekitError(f"cannot read the {role} {src}: {e}") from None
    names = {}
    for role, src in (("starter", starter), ("solution", solution)):
        if src.resolve().parent == folder.resolve():
            names[role] = src.name
        else:
            names[role] = f"{pid}_{role}.py"
            (folder / names[role]).write_text(texts[role], encoding="utf-8")
    text = module_spec_text(pid, file or starter.name, names["starter"], names["solution"], texts["starter"],
                            texts["solution"])
    path.write_text(text, encoding="utf-8")
    return path

"""gradekit's layout: layer sub-packages, imports flowing one way, no cycles.

The graph is read from the source — every import statement, inside functions too, so
a cycle cannot hide in a function body (only ``if TYPE_CHECKING:`` imports, which never
run, are left out) — and checked two ways: no module-level cycle,
and no import from a layer to one listed after it in ``LAYERS`` (docs/development.md, "Layout").
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import gradekit

ROOT = Path(gradekit.__file__).parent
# lowest first: a layer may import itself and the layers before it
LAYERS = ("core", "sandbox", "code", "intake", "check", "catalog", "output", "grading", "course", "cli")
# the top level beside the layers: gradekit.plugin, the surface a family plug-in imports (core names only);
# nothing inside gradekit imports it
PLUGIN_SURFACE = "plugin"


def _name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """gradekit module -> the gradekit modules it imports (anywhere in its text)."""
    paths = {_name(root, p): p for p in root.rglob("*.py") if "__pycache__" not in p.parts}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        found: set[str] = set()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_only = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If)
                       and ast.unparse(block.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")
                       for stmt in block.body for n in ast.walk(stmt)}
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            if isinstance(node, ast.Import):
                wanted = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(up + ([node.module] if node.module else []))
                # `from pkg import mod` imports pkg.mod; `from mod import name` imports mod
                wanted = [f"{base}.{a.name}" if f"{base}.{a.name}" in paths else base for a in node.names]
            else:
                continue
            for target in wanted:
                while target and target not in paths:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    found.add(target)
        graph[name] = found
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def back_arrows(graph: dict[str, set[str]]) -> list[str]:
    out = []
    for a, targets in graph.items():
        for b in targets:
            la, lb = layer(a), layer(b)
            if la in LAYERS and lb in LAYERS and LAYERS.index(lb) > LAYERS.index(la):
                out.append(f"{a} -> {b}")
    return sorted(out)


GRAPH = import_graph()


def test_no_import_cycles():
    assert cycles(GRAPH) == []


def test_no_import_points_back_up_the_layers():
    assert back_arrows(GRAPH) == []


def test_every_module_lives_in_a_layer_and_only_plugins_read_the_top_level_names():
    top = {m for m in GRAPH if m.count(".") == 1 and layer(m) not in LAYERS}
    # reference/ and problems/ install beside the engine as gradekit.reference and gradekit.problems
    assert top == {f"gradekit.{PLUGIN_SURFACE}"}
    assert GRAPH[f"gradekit.{PLUGIN_SURFACE}"] <= {m for m in GRAPH if layer(m) == "core"}
    assert not [m for m, targets in GRAPH.items() if f"gradekit.{PLUGIN_SURFACE}" in targets]


def test_every_layer_says_what_lives_there_and_what_it_may_import():
    for name in LAYERS:
        doc = ast.get_docstring(ast.parse((ROOT / name / "__init__.py").read_text(encoding="utf-8")))
        assert doc and len(doc.split()) > 8, name


def test_the_child_programs_import_nothing_of_gradekit():
    """What the child runs is read as text; the jail hides gradekit from it."""
    for path in (ROOT / "sandbox" / "child").glob("*.py"):
        if path.name != "__init__.py":
            assert not re.search(r"^\s*(from|import) gradekit", path.read_text(encoding="utf-8"), re.M), path.name


def test_the_graph_reader_sees_imports_inside_functions(tmp_path):
    pkg = tmp_path / "gradekit"
    (pkg / "core").mkdir(parents=True)
    (pkg / "cli").mkdir()
    for f in ("__init__.py", "core/__init__.py", "cli/__init__.py"):
        (pkg / f).write_text("")
    (pkg / "core" / "a.py").write_text("def f():\n    from gradekit.cli import b\n")
    (pkg / "cli" / "b.py").write_text("from ..core import a\n")
    graph = import_graph(pkg)
    assert cycles(graph) == [["gradekit.cli.b", "gradekit.core.a"]]
    assert back_arrows(graph) == ["gradekit.core.a -> gradekit.cli.b"]


@pytest.mark.parametrize("name", ["grade", "grade_answers", "load_catalog", "Report", "Family"])
def test_the_public_surface_is_where_it_was(name):
    assert getattr(gradekit, name) is not None and name in gradekit.__all__


def test_the_math_imports_only_what_a_plug_in_may():
    """reference/ (the built-in families and models) uses gradekit as any family plug-in would: the core,
    the code problems' interface, the child programs it appends to a student's file, and the answer
    reader a ``verify`` reads a student's raw answer with."""
    allowed = ("gradekit.plugin", "gradekit.core", "gradekit.code", "gradekit.sandbox.child", "gradekit.intake.values", "gradekit.reference")
    reference = Path(__file__).parents[2] / "reference"
    found = {}
    for path in reference.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            for name in names:
                if name.startswith("gradekit") and not name.startswith(allowed):
                    found.setdefault(path.name, []).append(name)
    assert found == {}

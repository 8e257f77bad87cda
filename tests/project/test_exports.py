"""Every ``__all__`` in gradekit names what other modules import from it, and the plug-in surface is one module.

``__all__`` is a module's statement of its public names; a name that another module imports but the list
leaves out is a public name nobody declared (and ``from m import *`` would drop it). Names with a leading
underscore are private by convention and may be imported by a sibling on purpose; submodules are not
names of the package's ``__all__``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# where each installed package's files live (reference/ installs as gradekit.reference)
PACKAGES = {"gradekit": REPO / "gradekit", "gradekit.reference": REPO / "reference",
            "gradekit.problems": REPO / "problems"}


def modules() -> dict[str, Path]:
    found = {}
    for prefix, folder in PACKAGES.items():
        for path in folder.rglob("*.py"):
            parts = list(path.relative_to(folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join([prefix, *parts])] = path
    return found


MODULES = modules()


def declared_all(path: Path) -> list[str] | None:
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
                value = ast.literal_eval(node.value) if not isinstance(node.value, ast.BinOp) else None
                return list(value) if value is not None else None
    return None


def imports_from(path: Path, module: str) -> list[tuple[str, str]]:
    """(module imported from, name) for each ``from M import name`` in the file, relative imports resolved."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                source = f"{base}.{node.module}" if node.module else base
            else:
                source = node.module or ""
            found += [(source, alias.name) for alias in node.names]
    return found


def undeclared() -> dict[str, set[str]]:
    missing: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        for source, name in imports_from(path, module):
            if source == module or source not in MODULES or name.startswith("_") or name == "*":
                continue
            if f"{source}.{name}" in MODULES:
                continue  # a submodule, not a name of the package
            names = declared_all(MODULES[source])
            if names is not None and name not in names:
                missing.setdefault(source, set()).add(name)
    return missing


def test_every_all_names_what_other_modules_import_from_it():
    assert undeclared() == {}


def test_the_reader_resolves_relative_imports_and_skips_submodules(tmp_path):
    path = tmp_path / "mod.py"
    path.write_text("from .records import Step\nfrom ..core import records\nfrom gradekit.core.errors import _private\n")
    assert imports_from(path, "gradekit.core.mod") == [("gradekit.core.records", "Step"),
                                                        ("gradekit.core", "records"),
                                                        ("gradekit.core.errors", "_private")]
    assert declared_all(MODULES["gradekit.plugin"]) and "gradekit.core.records" in MODULES


def test_the_plugin_surface_is_what_the_built_in_families_import():
    import gradekit.plugin as plugin

    used = {name for module, path in MODULES.items() if module.startswith("gradekit.reference.families")
            for source, name in imports_from(path, module) if source == "gradekit.plugin"}
    assert used and used <= set(plugin.__all__)
    core = {module: path for module, path in MODULES.items() if module.startswith("gradekit.reference.families")
            and any(source.startswith("gradekit.core") for source, _ in imports_from(path, module))}
    assert core == {}, "the built-in families import gradekit.core.* directly instead of gradekit.plugin"
    for name in plugin.__all__:  # re-exports, not copies: a plug-in's Family is the registry's
        assert getattr(plugin, name).__module__.startswith("gradekit.core."), name


@pytest.mark.parametrize("old", ["families", "model", "params", "errors", "texfmt"])
def test_the_plugin_surface_is_the_only_top_level_module_for_plug_ins(old):
    """The root aliases of gradekit.core.* that gradekit.plugin replaced are gone: a plug-in imports gradekit.plugin."""
    assert not (REPO / "gradekit" / f"{old}.py").exists()


def test_every_name_of_every_all_exists():
    import importlib

    for module, path in MODULES.items():
        names = declared_all(path)
        if names:
            loaded = importlib.import_module(module)
            assert [n for n in names if not hasattr(loaded, n)] == [], module

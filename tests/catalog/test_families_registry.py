"""The family registry: the built-in index is the modules' own FAMILIES, and a family's module is
imported only when one of its families is wanted."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

from gradekit.core.families import BUILTIN_PACKAGE, registry


def test_the_index_names_every_built_in_family_with_the_module_that_defines_it():
    package = importlib.import_module(BUILTIN_PACKAGE)
    found = {}
    for info in pkgutil.iter_modules(package.__path__):
        if not info.name.startswith("_"):
            for family in importlib.import_module(f"{BUILTIN_PACKAGE}.{info.name}").FAMILIES:
                found[family.name] = info.name
    assert package.INDEX == found


def test_asking_for_one_family_imports_its_module_alone():
    code = ("import sys\nfrom gradekit.core.families import registry\n"
            "assert registry()['conv2d.output'].name == 'conv2d.output'\n"
            "print(sorted(m for m in sys.modules if m.startswith('gradekit.reference.families.')))\n"
            "print('importlib.metadata' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == "['gradekit.reference.families._layers', 'gradekit.reference.families.conv']"
    assert out[1] == "False"  # plug-ins' entry points are read only for a name no built-in has


def test_an_unknown_name_loads_everything_and_is_still_unknown():
    assert "backprop.mpl2" not in registry() and "backprop.mlp2" in registry()
    assert len(registry()) == len(importlib.import_module(BUILTIN_PACKAGE).INDEX)

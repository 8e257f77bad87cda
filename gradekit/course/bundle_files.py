"""What an autograder bundle carries besides gradekit: an instructor's own assignment folder and plug-in families.

An instructor's folder goes in whole as the image's catalog reads it: the specs, each ``[code]`` problem's starter
and solution, the data files a spec's params name (``{ file = "dataset.mat" }``) and the students' environment file
(``[students] environment``). A family that is neither built in nor the engine's comes from a plug-in
(``gradekit.families`` entry points), which the image must install: ``--family`` gives it as a project folder (built
into a wheel here) or a wheel. What the bundle cannot include is refused, in one line, before anything is written:
the image's setup would fail on it later, where the instructor sees less.

>>> files = instructor_files(load_catalog(), "my-hw")       # doctest: +SKIP
>>> sorted(files)[:2]                                        # doctest: +SKIP
['problems/my-hw/assignment.toml', 'problems/my-hw/data.mat']
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

from gradekit.core.errors import GradekitError
from gradekit.catalog.datafiles import is_data_ref

if TYPE_CHECKING:
    from gradekit.catalog.catalog import Catalog

__all__ = ["instructor_files", "plugin_wheels", "BundleRefused"]


class BundleRefused(GradekitError):
    """A bundle that would fail in the image: a family or a file it cannot include (exit 2, one line)."""


def instructor_files(catalog: Catalog, assignment: str) -> dict[str, Path]:
    """``{name in the zip: file here}`` of an instructor's assignment folder ({} for a built-in assignment, which
    the gradekit wheel carries)."""
    from gradekit.catalog.catalog import default_root

    own = Path(catalog.assignment(assignment).folder)
    if not own.is_dir() or own.resolve().parent == default_root().resolve():
        return {}
    base = f"problems/{assignment}"
    files = {f"{base}/{spec.name}": spec for spec in sorted(own.glob("*.toml"))}
    for spec in sorted(own.glob("*.toml")):
        for name in _named_files(spec):
            files[f"{base}/{name}"] = _beside(own, spec, name)
    return files


def _named_files(spec: Path) -> Iterable[str]:
    """The files a spec (or assignment.toml) names beside it: data files, a [code] problem's starter, solution and
    preamble, a written problem's solution.py, an environment."""
    try:
        raw = tomllib.loads(spec.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return []  # the catalog loaded it: cannot happen, and the catalog says why
    names = [v["file"] for v in (raw.get("params") or {}).values() if is_data_ref(v)] \
        if isinstance(raw.get("params"), dict) else []
    code = raw.get("code")
    if isinstance(code, dict):
        names += [code[k] for k in ("starter", "solution", "preamble") if isinstance(code.get(k), str)]
    if isinstance(raw.get("solution"), str):  # a written problem's reference without a family
        names.append(raw["solution"])
    students = raw.get("students")
    if isinstance(students, dict) and isinstance(students.get("environment"), str):
        names.append(students["environment"])
    return names


def _beside(own: Path, spec: Path, name: str) -> Path:
    path = (own / name)
    where = f"{spec.parent.name}/{spec.name}"
    if Path(name).is_absolute() or not path.resolve().is_relative_to(own.resolve()):
        raise BundleRefused(f"{where} names the file {name!r} outside its folder: the bundle carries the assignment's "
                            f"folder only; put the file beside the spec and name it relative to it")
    if not path.is_file():
        raise BundleRefused(f"{where} names the file {name!r}, which is missing from {own}: the image could not "
                            f"load the assignment")
    return path


def plugin_wheels(catalog: Catalog, assignment: str, given: Sequence[Path], tmp: Path) -> list[Path]:
    """The wheels of the plug-in families ``given`` (folders built here, wheels as they are); refuses a family of
    ``assignment`` that is neither built in nor provided by one of them."""
    wheels = [_wheel(Path(p), tmp) for p in given]
    provided = {top for w in wheels for top in _top_level(w)}
    for problem in catalog.problems(assignment):
        module = _plugin_module(catalog, problem.family, f"{assignment}/{problem.id}")
        if module is not None and module.split(".")[0] not in provided:
            raise BundleRefused(f"{assignment}/{problem.id} uses the family {problem.family!r} of the plug-in "
                                f"{module.split('.')[0]!r}, which the bundle cannot include unless given: "
                                f"--family its project folder or wheel")
    return wheels


def _plugin_module(catalog: Catalog, family: str, where: str) -> str | None:
    """The module of a plug-in family (None for a built-in or the engine's)."""
    import importlib

    from gradekit.core.families import BUILTIN_PACKAGE, ENGINE_FAMILIES, registry

    if family in ENGINE_FAMILIES or family in importlib.import_module(BUILTIN_PACKAGE).INDEX:
        return None
    try:
        module = registry()[family].solve.__module__
    except KeyError:
        raise BundleRefused(f"{where} uses the family {family!r}, which no plug-in here provides: install it "
                            f"(pip install) and give it with --family") from None
    return None if module.startswith(("gradekit.", BUILTIN_PACKAGE)) else module


def _wheel(path: Path, tmp: Path) -> Path:
    if path.is_file() and path.name.endswith(".whl"):
        return path
    if path.is_dir() and ((path / "pyproject.toml").is_file() or (path / "setup.py").is_file()):
        out = tmp / f"plugin-{len(list(tmp.glob('plugin-*')))}"
        done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                               str(out), str(path)], capture_output=True, text=True, timeout=600)
        built = sorted(out.glob("*.whl"))
        if done.returncode != 0 or not built:
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no wheel written"]
            raise BundleRefused(f"--family {path}: building its wheel failed: {tail[0]}")
        return built[0]
    raise BundleRefused(f"--family {path}: give a plug-in's project folder (with pyproject.toml) or its wheel (.whl)")


def _top_level(wheel: Path) -> set[str]:
    """The packages a wheel installs (its top-level folders and modules, not its .dist-info)."""
    try:
        with zipfile.ZipFile(wheel) as z:
            names = z.namelist()
    except (OSError, zipfile.BadZipFile) as e:
        raise BundleRefused(f"--family {wheel}: not a wheel ({e})") from None
    tops = {n.split("/", 1)[0] for n in names}
    return {t[:-3] if t.endswith(".py") else t for t in tops if not t.endswith((".dist-info", ".data"))}

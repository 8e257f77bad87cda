"""Gradescope autograder bundles: ``build`` writes the zip, ``run`` grades one submission inside it.

Gradescope unpacks the zip into ``/autograder/source``, runs ``setup.sh`` once
(as root) when it builds the image, then for every submission copies
``run_autograder`` to ``/autograder/run_autograder`` and runs it in
``/autograder``, with the student's files in ``/autograder/submission`` and
``/autograder/submission_metadata.json`` (``users[0]`` holds ``id``, ``email``,
``name``). ``results/results.json`` is what the student sees.

The bundle::

    setup.sh                    # python >= 3.11 venv in /autograder/gradekit-venv; installs the
                                # gradekit wheel OFFLINE (--no-index), then requirements.txt from PyPI
    run_autograder              # stdlib-only wrapper: gradekit.course.autograder.run, else a zero results.json
    gradekit-autograder.json    # assignment, time limit, student key, pins (read by run)
    requirements.txt            # the dependencies, pinned to the versions of the building machine
    wheels/gradekit-*.whl       # gradekit itself, catalog and reference math included

>>> info = build("ece661-hw1", "autograder.zip")        # doctest: +SKIP
>>> run("/tmp/fake-autograder")["score"]                 # doctest: +SKIP
40
"""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from gradekit.core.errors import GradekitError, GraderError, SubmissionError
from gradekit.core.untrusted import printable
from gradekit.course.students import TORCH_PAIR, cpu_pair, requirement
from gradekit.output.gradescope import HAND_GRADED

if TYPE_CHECKING:
    from gradekit.output.report import Report
    from gradekit.catalog.catalog import Catalog

__all__ = ["autograde", "build", "run", "student_from_metadata", "grade_submission", "BuildInfo", "CONFIG", "ROOT_ENV", "STUDENT_KEYS"]

CONFIG = "gradekit-autograder.json"
ROOT_ENV = "GRADEKIT_AUTOGRADER_ROOT"
STUDENT_KEYS = ("email", "id", "sid", "name")
TORCH_INDEX = "https://download.pytorch.org/whl/cpu"
# what grading needs at run time (matplotlib is only for `train` and batch plots)
CORE = ("numpy", "sympy", "click", "rich", "hypothesis", "nbformat")
SOURCES = ("pyproject.toml", "README.md", "gradekit", "problems", "reference")


@dataclass(frozen=True)
class BuildInfo:
    """What ``build`` wrote: the zip, its size in bytes, the pinned requirements, whether torch is installed."""

    path: Path
    size: int
    requirements: tuple[str, ...]
    torch: bool


# -- building --------------------------------------------------------------------------


def build(assignment: str, output: str | Path, *, catalog: Catalog | None = None, time_limit: float = 60.0,
          student_key: str = "email", torch: bool | None = None, wheel: str | Path | None = None,
          require_isolation: bool = True, hand_graded: str = "omit", families: Sequence[str | Path] = ()) -> BuildInfo:
    """Write ``output`` (a zip) that grades ``assignment`` on Gradescope.

    ``time_limit``: seconds a student's ``.py`` may run (answers files that
    compute; each module call has its own). ``student_key``: which field of
    ``users[0]`` picks the variant (``email``, ``id``, ``sid``, ``name``).
    ``torch``: install CPU torch in setup.sh (default: when a code problem of the
    assignment uses torch). ``wheel``: a prebuilt gradekit wheel instead of
    building one from the source tree. ``require_isolation``: refuse to grade code
    where the image gives only weak isolation (``gradekit doctor`` in setup.sh fails
    the image build then); False grades on, marked "isolation: weak" in results.json.
    ``hand_graded``: parts graded by hand are never in the autograder's total (Gradescope grades them as
    questions of their own); "omit" leaves them out of results.json, "note" keeps each as a 0-point test.
    ``families``: plug-in families the assignment uses, each a project folder or a wheel (installed by setup.sh).
    An instructor's folder goes in with its specs and the files they name; what the bundle cannot include (a
    plug-in family not given, a missing file) is refused before anything is written (``BundleRefused``, exit 2).
    """
    from gradekit.course.bundle_files import instructor_files, plugin_wheels

    from gradekit.catalog.catalog import load_catalog

    catalog = catalog or load_catalog()
    catalog.assignment(assignment)  # an unknown name fails here, with the list of known ones
    if student_key not in STUDENT_KEYS:
        raise GradekitError(f"student key {student_key!r}: use one of {', '.join(STUDENT_KEYS)}")
    if hand_graded not in HAND_GRADED:
        raise GradekitError(f"hand-graded parts {hand_graded!r}: use one of {', '.join(HAND_GRADED)}")
    if not time_limit > 0:
        raise GradekitError(f"time limit {time_limit!r}: give a positive number of seconds")
    students = student_environment(catalog, assignment)  # what its students may import, installed for them too
    needs_torch = (_uses_torch(catalog, assignment) or "torch" in students or "torchvision" in students) \
        if torch is None else torch
    requirements = pinned_requirements(catalog, assignment)
    torch_pin = _pin("torch") if needs_torch else None
    # torchvision only as the CPU build made for this torch, from the same index (PyPI's links CUDA's libraries)
    vision_pin = cpu_pair(_version("torch"))[1] if needs_torch and "torchvision" in students else None
    output = Path(output)
    own_files = instructor_files(catalog, assignment)  # refused here, before the wheel is built
    with tempfile.TemporaryDirectory(prefix="gradekit-ag-") as tmp:
        plugins = plugin_wheels(catalog, assignment, [Path(f) for f in families], Path(tmp))
        whl = Path(wheel) if wheel else _build_wheel(Path(tmp))
        if not whl.is_file() or not whl.name.endswith(".whl"):
            raise GradekitError(f"{whl}: not a wheel file (--wheel takes gradekit-*.whl)")
        config = {"assignment": assignment, "time_limit": time_limit, "student_key": student_key,
                  "wheel": f"wheels/{whl.name}", "torch": torch_pin, "torchvision": vision_pin,
                  "gradekit": _version("gradekit"),
                  "require_isolation": require_isolation, "hand_graded": hand_graded}
        output.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as z:
            _add(z, "setup.sh", setup_script(whl.name, torch_pin, assignment, require_isolation, vision_pin,
                                             [w.name for w in plugins]), 0o755)
            _add(z, "run_autograder", RUN_AUTOGRADER, 0o755)
            _add(z, CONFIG, json.dumps(config, indent=2) + "\n", 0o644)
            _add(z, "requirements.txt", _requirements_text(requirements), 0o644)
            z.write(whl, f"wheels/{whl.name}")
            for plugin in plugins:
                z.write(plugin, f"wheels/{plugin.name}")
            for name, path in own_files.items():  # an instructor's folder: specs and the files they name
                _add(z, name, path.read_bytes(), 0o644)
    return BuildInfo(output, output.stat().st_size, tuple(requirements), torch_pin is not None)


def _add(z: zipfile.ZipFile, name: str, text: str | bytes, mode: int) -> None:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.external_attr = (0o100000 | mode) << 16  # a regular file, executable where it must be
    info.compress_type = zipfile.ZIP_DEFLATED
    z.writestr(info, text)


def _version(dist: str) -> str:
    return metadata.version(dist).split("+")[0]  # "2.13.0+cpu" -> "2.13.0": the index picks the build


def _pin(dist: str) -> str:
    return f"{dist}=={_version(dist)}"


def pinned_requirements(catalog: Catalog, assignment: str) -> list[str]:
    """gradekit's run-time dependencies for ``assignment``, pinned to this machine's versions.

    scikit-learn only when a code problem exists (the training check's digits);
    torch never here (setup.sh installs it from the CPU index when needed).
    """
    from gradekit.code.spec import is_module_problem

    names = list(CORE)
    if any(is_module_problem(p) for p in catalog.problems(assignment)):
        names.append("scikit-learn")
    pins = [_pin(n) for n in names]
    for package in student_environment(catalog, assignment):  # the students' (torch's pair: the CPU index)
        dist = requirement(package)
        if package not in TORCH_PAIR and dist not in names:
            names.append(dist)
            pins.append(_pin(dist) if _installed(dist) else dist)
    return pins


def student_environment(catalog: Catalog, assignment: str) -> tuple[str, ...]:
    """What the bundle installs for students' code: with a code problem, the default stack and the assignment's
    own packages (gradekit.core.studentenv); an answers-only assignment's own packages alone (its students hand
    in no module, and an answers .py computes with numpy, which gradekit needs anyway)."""
    from gradekit.code.spec import is_module_problem

    meta = catalog.assignment(assignment)
    return meta.environment if any(is_module_problem(p) for p in catalog.problems(assignment)) else meta.packages


def _installed(dist: str) -> bool:
    try:
        metadata.version(dist)
    except metadata.PackageNotFoundError:
        return False
    return True


def _requirements_text(requirements: list[str]) -> str:
    head = ("# Installed by setup.sh from PyPI (pip resolves their own dependencies, e.g. mpmath for sympy).\n"
            "# Pinned to the versions on the machine that ran `gradekit autograder build`.\n")
    return head + "".join(r + "\n" for r in requirements)


def _uses_torch(catalog: Catalog, assignment: str) -> bool:
    """Whether a code problem of ``assignment`` runs torch: its preamble or its family's module imports it."""
    import inspect

    from gradekit.core.families import registry
    from gradekit.code.spec import is_module_problem

    for p in catalog.problems(assignment):
        if not is_module_problem(p):
            continue
        if "torch" in getattr(p.validated_params, "preamble", ""):
            return True
        module = sys.modules.get(registry()[p.family].solve.__module__)
        try:
            if module is not None and "import torch" in inspect.getsource(module):
                return True
        except (OSError, TypeError):
            pass
    return False


def _source_root() -> Path | None:
    """The source tree this gradekit runs from (a checkout, ``pip install -e``), or None (``pip install gradekit``)."""
    root = Path(__file__).resolve().parents[2]  # gradekit/course/autograder.py -> the source tree
    if not (root / "pyproject.toml").is_file() or not (root / "problems").is_dir():
        return None
    return root


def _build_wheel(tmp: Path) -> Path:
    """``pip wheel --no-deps --no-build-isolation`` on a copy of the source (no build/ races in the tree); from a
    pip-installed gradekit, which has no source tree, the installed files packed again as the wheel they came from."""
    root = _source_root()
    if root is None:
        from gradekit.course.repack import repack_installed

        return repack_installed("gradekit", tmp)
    src, dist = tmp / "src", tmp / "dist"
    src.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in SOURCES:
        path = root / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=ignore)
        elif path.is_file():
            shutil.copy2(path, src / name)
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                           "-w", str(dist), str(src)], capture_output=True, text=True, timeout=600)
    wheels = sorted(dist.glob("gradekit-*.whl"))
    if proc.returncode != 0 or not wheels:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no wheel written"]
        raise GradekitError(f"pip wheel {root} failed: {tail[0]}")
    return wheels[0]


def setup_script(wheel: str, torch_pin: str | None, assignment: str, require_isolation: bool = True,
                 vision_pin: str | None = None, plugins: Sequence[str] = ()) -> str:
    """setup.sh: what it downloads is exactly requirements.txt (PyPI) and, if pinned, torch (CPU index), with
    the torchvision built for it when the students may import torchvision (the same index: PyTorch's CPU
    wheel index is where an image gets a CPU pair; PyPI's torchvision for a CPU torch cannot import).

    It ends by closing gradekit's files to other users (defence in depth beside the jail: a sandbox
    uid cannot read the engine or the bundle even where namespaces are missing) and by running
    ``gradekit doctor``, which fails the image build when isolation is required and weak.
    """
    pair = f'"{torch_pin}"' + (f' "{vision_pin}"' if vision_pin else "")
    torch_line = (f'"$PY" -m pip install --no-cache-dir --index-url {TORCH_INDEX} {pair}\n'
                  if torch_pin else "# no code problem uses torch: torch is not installed\n")
    if torch_pin and vision_pin:
        torch_pin = f"{torch_pin} and {vision_pin}"  # as the header names them
    return f"""#!/usr/bin/env bash
# Written by `gradekit autograder build`. Gradescope runs it once, as root, when it builds the image.
# Offline: gradekit itself (wheels/{wheel}, --no-index). Downloaded: requirements.txt from PyPI{
    " and " + torch_pin + " from " + TORCH_INDEX if torch_pin else ""}.
set -euo pipefail
SRC="$(cd "$(dirname "${{BASH_SOURCE[0]}}")" && pwd)"
ROOT="${{{ROOT_ENV}:-/autograder}}"
VENV="$ROOT/gradekit-venv"
cd "$SRC"  # python -c puts the working folder first on sys.path: here nothing there shadows the installed gradekit

# gradekit needs Python >= 3.11; older images (Ubuntu 22.04: 3.10) get python3.11 from apt
BASE=""
for c in python3.13 python3.12 python3.11 python3; do
  if command -v "$c" >/dev/null && "$c" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then BASE="$c"; break; fi
done
if [ -z "$BASE" ]; then
  apt-get update && apt-get install -y python3.11 python3.11-venv
  BASE=python3.11
fi
"$BASE" -m venv "$VENV" || {{ apt-get update && apt-get install -y "$(basename "$BASE")-venv" && "$BASE" -m venv "$VENV"; }}
PY="$VENV/bin/python"
"$PY" -m pip install --no-cache-dir -r "$SRC/requirements.txt"
{torch_line}# gradekit last and without its dependencies: what it imports to grade is above (torch only when a
# graded part runs it), and pip, asked for no dependencies, checks none, so the build ends without an error
"$PY" -m pip install --no-cache-dir --no-index --no-deps "$SRC/wheels/{wheel}"
{"".join(f'"$PY" -m pip install --no-cache-dir "$SRC/wheels/{p}"  # a plug-in family (and what it needs)' + chr(10)
         for p in plugins)}# fail the image build now, not at the first submission (an instructor's own assignment is in problems/)
if [ -d "$SRC/problems" ]; then export GRADEKIT_PROBLEMS="$SRC/problems"; fi
"$PY" -c "from gradekit.catalog.catalog import load_catalog; load_catalog().assignment('{assignment}')"
# the engine, the reference and this bundle are the grader's alone; the interpreter and libraries stay readable
chmod -R go-rwx "$SRC" "$("$PY" -c 'import gradekit, os; print(os.path.dirname(gradekit.__file__))')"
# doctor --require: a jail, or the confined level (checked: the sandbox uid reaches none of gradekit, the bundle)
GRADEKIT_PROTECT="$SRC" "$VENV/bin/gradekit" doctor{" --require" if require_isolation else ""}
"""


# -- the run_autograder wrapper (stdlib only: it must write a results.json even without gradekit) ----

RUN_AUTOGRADER = '''#!/usr/bin/env python3
"""Written by `gradekit autograder build`; Gradescope runs it for every submission."""
import json
import os
import sys

ROOT = os.environ.get("GRADEKIT_AUTOGRADER_ROOT", "/autograder")


def zero(reason):
    path = os.path.join(ROOT, "results", "results.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    data = {"score": 0, "output": "The autograder could not grade this submission: " + reason,
            "visibility": "visible", "stdout_visibility": "hidden", "tests": []}
    with open(path, "w") as f:
        json.dump(data, f, indent=2)
    print(reason, file=sys.stderr)


try:
    from gradekit.course.autograder import run
except Exception as e:  # not installed in this python: try setup.sh's venv once
    venv = os.path.join(ROOT, "gradekit-venv", "bin", "python")
    if os.path.exists(venv) and not os.environ.get("GRADEKIT_AUTOGRADER_REEXEC"):
        os.environ["GRADEKIT_AUTOGRADER_REEXEC"] = "1"
        os.execv(venv, [venv, os.path.abspath(__file__)])
    zero("gradekit is not installed (%s: %s); did setup.sh run?" % (type(e).__name__, e))
    sys.exit(0)
try:
    run(ROOT)
except BaseException as e:  # run() writes its own zero on failure; this is the last resort
    zero("%s: %s" % (type(e).__name__, e))
sys.exit(0)
'''


# -- running, inside Gradescope ----------------------------------------------------------------


def _close_to_the_child(root: Path) -> None:
    """The bundle and the results folder are the grader's: closed to other users (results.json is written by
    root and read by Gradescope as root), and checked at every confined launch (gradekit.sandbox.confine)."""
    from gradekit.sandbox.confine import protect

    results = root / "results"
    results.mkdir(parents=True, exist_ok=True)
    os.chmod(results, 0o700)
    protect(root / "source", results)


class _OutOfTime(BaseException):
    """The whole run went over its budget (BaseException: no ``except Exception`` swallows it)."""


def run(root: str | Path | None = None) -> dict[str, Any]:
    """The bundle's entry: ``autograde`` with what ``root/source/gradekit-autograder.json`` says.

    ``root`` defaults to ``$GRADEKIT_AUTOGRADER_ROOT``, else ``/autograder``. A config that cannot
    be read is the bundle's fault: results.json says so (score 0), nothing is raised.
    """
    root = _root(root)
    try:
        config = json.loads((root / "source" / CONFIG).read_text())
        assignment = config["assignment"]
        options = {"time_limit": float(config["time_limit"]), "student_key": config.get("student_key", "email"),
                   "require_isolation": config.get("require_isolation", True),
                   "hand_graded": config.get("hand_graded", "omit")}
    except (OSError, ValueError, KeyError, TypeError) as e:
        print(f"grader error: {printable(e)}", file=sys.stderr, flush=True)
        data = _failure(f"{CONFIG} unreadable ({_reason(e)}); rebuild the bundle", None, None, 0.0, grader_fault=True)
        _write(data, root)
        return data
    return autograde(assignment, root, **options)


def autograde(assignment: str, root: str | Path | None = "/autograder", *, time_limit: float = 60.0,
              student_key: str = "email", require_isolation: bool = True, catalog: Catalog | None = None,
              hand_graded: str = "omit") -> dict[str, Any]:
    """Grade a Gradescope submission of ``assignment`` and write ``root/results/results.json``.

    The one call a ``run_autograder`` makes. It reads ``root/submission`` (an
    answers file, module files, a notebook) and ``root/submission_metadata.json``,
    whose first user's ``student_key`` (``email``, ``id``, ``sid``, ``name``) picks
    the per-student variant; each student ``.py`` runs in the sandbox for at most
    ``time_limit`` seconds. ``require_isolation``: refuse to run student code where
    the machine gives only weak isolation. ``catalog``: default ``load_catalog()``,
    with ``root/source/problems`` (an instructor's own assignment) when it exists. ``hand_graded``: parts
    graded by hand are never in the score or its total (Gradescope grades them as questions of their own);
    "omit" leaves them out of the tests, "note" keeps each as a 0-point test saying so.

    It returns the results.json object and never raises for a failure: a
    submission it cannot grade (unreadable, crashing, hanging) scores 0 with the
    reason in the student's words ("Your submission could not be graded: ..."),
    and a grader fault (the machine, gradekit, an unknown assignment) scores 0
    saying the autograder failed, with the cause in ``extra_data.grader_error``.
    """
    root = _root(root)
    start = time.monotonic()
    budget = previous = None
    with _environment():
        try:
            catalog, student = _prepare(assignment, root, student_key, require_isolation, catalog)
            if hand_graded not in HAND_GRADED:  # the bundle's or the caller's setting: not the student's fault
                raise GraderError(f"hand_graded {hand_graded!r}: use one of {', '.join(HAND_GRADED)}")
            # a whole-run budget: every .py gets its own limit, but many module calls could add up
            budget = max(60, math.ceil(float(time_limit) * 4 + 120))
            if threading.current_thread() is threading.main_thread():  # signals work only there
                previous = signal.signal(signal.SIGALRM, _alarm)
                signal.alarm(budget)
            report = grade_submission(root / "submission", {"assignment": assignment, "time_limit": time_limit},
                                      catalog, student)
            data = _results(report, catalog, time.monotonic() - start, student, hand_graded)
        except GraderError as e:  # the machine or gradekit failed: the student is not judged, the instructor is told
            print(f"grader error: {printable(e)}", file=sys.stderr, flush=True)  # the instructor's log: escapes shown
            data = _failure(str(e), assignment, catalog, time.monotonic() - start, grader_fault=True)
        except (GradekitError, OSError, ValueError, KeyError) as e:
            reason = _reason(e).replace(f"{root / 'submission'}{os.sep}", "")  # the student's names, not our paths
            data = _failure(reason, assignment, catalog, time.monotonic() - start)
        except _OutOfTime:
            data = _failure(f"grading took more than {budget} s in all", assignment, catalog,
                            time.monotonic() - start)
        except Exception as e:  # a grader bug must still give the student a results.json
            print(f"grader error: {type(e).__name__}: {printable(e)}", file=sys.stderr, flush=True)
            data = _failure(f"internal error ({type(e).__name__}: {e})", assignment, catalog,
                            time.monotonic() - start, grader_fault=True)
        finally:
            if previous is not None:
                signal.alarm(0)
                signal.signal(signal.SIGALRM, previous)
    _write(data, root)
    return data


def _root(root: str | Path | None) -> Path:
    return Path(root) if root else Path(os.environ.get(ROOT_ENV, "/autograder"))


class _environment:
    """Restores the variables ``autograde`` sets (isolation, protected paths, problem folders) when it ends,
    so a library caller's process is left as it was."""

    NAMES = ("GRADEKIT_REQUIRE_ISOLATION", "GRADEKIT_PROBLEMS", "GRADEKIT_PROTECT")

    def __enter__(self) -> None:
        self.saved = {n: os.environ.get(n) for n in self.NAMES}

    def __exit__(self, *exc: object) -> None:
        for name, value in self.saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _prepare(assignment: str, root: Path, student_key: str, require_isolation: bool,
             catalog: Catalog | None) -> tuple[Catalog, str | None]:
    """The catalog (the assignment checked to exist) and the student; raises what ``autograde`` reports."""
    if student_key not in STUDENT_KEYS:
        raise GraderError(f"student key {student_key!r}: use one of {', '.join(STUDENT_KEYS)}")
    if require_isolation:  # refuse weak isolation unless told to allow it
        os.environ.setdefault("GRADEKIT_REQUIRE_ISOLATION", "1")
    _close_to_the_child(root)
    if catalog is None:
        if (root / "source" / "problems").is_dir():  # the instructor's own assignment travels in the bundle
            os.environ["GRADEKIT_PROBLEMS"] = str(root / "source" / "problems")
        from gradekit.catalog.catalog import load_catalog

        catalog = load_catalog()
    try:
        catalog.assignment(assignment)
    except GradekitError as e:  # the autograder names an assignment that is not there: not the student's fault
        raise GraderError(str(e)) from None
    student = student_from_metadata(root / "submission_metadata.json", student_key)
    print(f"gradekit {_version('gradekit')} from {Path(__file__).parents[1]}: {assignment}, "
          f"student {student!r}", flush=True)
    return catalog, student


def _results(report: Report, catalog: Catalog, elapsed: float, student: str | None,
             hand_graded: str = "omit") -> dict[str, Any]:
    from gradekit.output import gradescope as gs

    return gs.results(report, catalog, execution_time=elapsed,
                      message=f"Graded as student {student}." if student else None,
                      hand_graded=hand_graded)


def _failure(message: str, assignment: str | None, catalog: Catalog | None, elapsed: float, *,
             grader_fault: bool = False) -> dict[str, Any]:
    from gradekit.grading.grade import gradescope_failure

    try:
        return gradescope_failure(message, assignment, catalog, elapsed, grader_fault=grader_fault)
    except Exception as e:  # the assignment cannot even be listed: the reason alone, every part unknown
        from gradekit.output import gradescope as gs

        print(f"grader error: listing {assignment}: {type(e).__name__}: {printable(e)}", file=sys.stderr, flush=True)
        return gs.failed_results(message, None, None, elapsed, grader_fault=True)


def _write(data: dict[str, Any], root: Path) -> None:
    from gradekit.output import gradescope as gs

    out = root / "results" / "results.json"
    gs.write(data, out)
    print(f"score {data['score']}; wrote {out}", flush=True)


def _alarm(signum: int, frame: Any) -> None:
    raise _OutOfTime()


def _reason(e: BaseException) -> str:
    if isinstance(e, KeyError):
        return f"{CONFIG} lacks {e}; rebuild the bundle"
    if isinstance(e, (GradekitError, OSError)):
        return str(e)
    return f"{type(e).__name__}: {e}"


def student_from_metadata(path: Path, key: str = "email") -> str | None:
    """The first user's ``key`` (falling back to the other fields) from submission_metadata.json; None if absent."""
    try:
        users = json.loads(path.read_text()).get("users") or []
    except FileNotFoundError:
        return None
    except (OSError, ValueError, AttributeError) as e:
        raise SubmissionError(f"{path.name}: unreadable ({e})") from None
    first = users[0] if isinstance(users, list) and users and isinstance(users[0], dict) else {}
    for k in (key,) + tuple(k for k in STUDENT_KEYS if k != key):
        if first.get(k) not in (None, ""):
            return str(first[k])
    return None


def grade_submission(folder: Path, config: dict[str, Any], catalog: Catalog, student: str | None) -> Report:
    """One Report for everything in ``folder`` (``gradekit.grading.grade`` decides what each file is),
    each file under the bundle's time limit."""
    from gradekit.grading.grade import grade
    from gradekit.sandbox.process import Limits

    from gradekit.code.session import DEFAULT_LIMITS

    t = float(config["time_limit"])
    limits = Limits(wall_seconds=t, cpu_seconds=max(1, math.ceil(t)))
    # the bundle's time limit is an answers file's (build's docs): module calls keep their specs' budgets
    return grade(folder, assignment=config["assignment"], catalog=catalog, limits=limits, student=student,
                 module_limits=DEFAULT_LIMITS)

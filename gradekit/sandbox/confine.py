"""The confined level: strong isolation without namespaces, for containers that forbid them.

Docker's default seccomp profile refuses ``unshare``, ``mount`` and ``pivot_root`` to a
container without CAP_SYS_ADMIN, so no jail (``gradekit.sandbox.jail``) can be built there.
A root grader can still confine a child with what needs no namespace; the launcher
(``gradekit/sandbox/child/confine_launcher.py``) does it to itself before it execs the child:

- a dedicated sandbox uid, no groups, no new privileges;
- Landlock where the kernel offers it: read and execute the interpreter, its libraries,
  ``/usr``, ``/lib*`` and a few ``/etc`` files; read and write the child's own folder and
  private tmp; nothing else of the file system (``GRADEKIT_SANDBOX_LANDLOCK=off`` skips it);
- a seccomp filter: no sockets but AF_UNIX (no network), no ptrace, no namespaces or mounts,
  no keyrings, bpf, perf, io_uring, kernel modules, SysV IPC;
- a check, every launch, that the paths this module protects cannot be read, listed or
  written as the child: gradekit's package, the reference, the specs, and whatever the
  caller registered with ``protect`` (the bundle, the results folder). A path that answers
  stops the launch and is named: the level is then not ``confined``;
- the same check for the class being graded (``protect_class``): its folder and every entry in
  it (each student's submission), so one student's code cannot read or run a classmate's. A
  folder the uid cannot search (``chmod o-rwx``), or one Landlock leaves out, covers its entries.

The grader then kills every process of the uid before it reads a result
(``gradekit.sandbox.box.kill_uid``), so a daemon outlives nothing.

>>> plan = confined_plan("/tmp/gradekit-run-x/work", "/tmp/gradekit-run-x/tmp", 2000000001, {"PATH": "/usr/bin"})
>>> plan["uid"], "/usr" in plan["read"]                                          # doctest: +SKIP
(2000000001, True)
"""

from __future__ import annotations

import functools
import importlib.util
import os
import sys
from collections.abc import Iterable
from pathlib import Path

from gradekit.sandbox import jail
from gradekit.sandbox.child import source as child_source

__all__ = ["confined_plan", "launcher_command", "protected_paths", "protect", "protect_class", "class_paths",
           "landlock_wanted", "landlock_abi"]

_PROTECT_ENV = "GRADEKIT_PROTECT"  # a path list: batch workers and children of children protect the same
_CLASS_ENV = "GRADEKIT_PROTECT_CLASS"  # the class folders being graded: each entry of one is checked, not 64
_CLASS_NAME_BYTES = 64 * 1024  # a plan is one argument of the launcher (128 KiB at most): names past this are
# left out, and the launcher then requires the class folder itself to be closed to the uid
_ENTRIES_PER_FOLDER = 64  # a folder closed to listing may still open its files by name: those are tried too
_DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")
_PROC = ("/proc/cpuinfo", "/proc/meminfo", "/proc/stat")  # what BLAS and torch read to size themselves


def protect(*paths: str | os.PathLike) -> None:
    """Add ``paths`` (the bundle, a results folder) to what a confined child must be unable to reach."""
    _add_paths(_PROTECT_ENV, paths)


def protect_class(*folders: str | os.PathLike) -> None:
    """Add the folders of a class being graded: each, and every submission in it, closed to a confined child."""
    _add_paths(_CLASS_ENV, folders)


def _add_paths(variable: str, paths: Iterable[str | os.PathLike]) -> None:
    """Each of ``paths``, resolved, added once to the ``os.pathsep`` list in the environment ``variable`` (the
    environment carries it to the grading processes a batch starts)."""
    known = [p for p in os.environ.get(variable, "").split(os.pathsep) if p]
    for path in paths:
        real = os.path.realpath(path)
        if real not in known:
            known.append(real)
    os.environ[variable] = os.pathsep.join(known)


def class_paths() -> list[str]:
    """The plan's ``protect_class``: each class folder (absolute), then its entries' names; an empty name
    after them says that some were left out (a name with a tab or newline, or past the plan's budget)."""
    out: list[str] = []
    left = _CLASS_NAME_BYTES
    for root in dict.fromkeys(p for p in os.environ.get(_CLASS_ENV, "").split(os.pathsep) if p):
        if not os.path.isdir(root):
            continue
        out.append(root)
        names = _listed(root)
        complete = True
        for name in names:
            if not name.isprintable() or len(name) + 1 > left:  # a tab or newline would break the plan
                complete = False
                continue
            out.append(name)
            left -= len(name) + 1
        if not complete:
            out.append("")
    return out


_listings: dict[str, tuple[int, list[str]]] = {}  # a class folder's names, listed again when it changes


def _listed(folder: str) -> list[str]:
    """The names in ``folder``, sorted; remembered while its modification time stays (not a listing a child),
    unless that time is recent: a change within the file system's clock tick would leave it as it was."""
    import time

    try:
        changed = os.stat(folder).st_mtime_ns
        if _listings.get(folder, (None,))[0] != changed or time.time_ns() - changed < 2_000_000_000:
            _listings[folder] = (changed, sorted(os.listdir(folder)))
    except OSError:  # the grader (root) lists it: a folder it cannot list is not one it grades
        return []
    return _listings[folder][1]


def _engine_paths() -> list[str]:
    """gradekit's package, its reference and its specs, wherever they are installed (editable or not)."""
    found = [str(Path(__file__).resolve().parents[1])]
    for name in ("gradekit.reference", "gradekit.problems"):
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        if spec is not None:
            found += [os.path.realpath(p) for p in (spec.submodule_search_locations or [])]
    found += [p for p in os.environ.get("GRADEKIT_PROBLEMS", "").split(os.pathsep) if p]
    return found


def protected_paths() -> list[str]:
    """What a confined child is checked against: each protected folder, and its first entries by name."""
    out: list[str] = []
    roots = _engine_paths() + [p for p in os.environ.get(_PROTECT_ENV, "").split(os.pathsep) if p]
    for root in dict.fromkeys(os.path.realpath(p) for p in roots):
        if not os.path.exists(root):
            continue
        out.append(root)
        if os.path.isdir(root):
            try:
                names = sorted(os.listdir(root))[:_ENTRIES_PER_FOLDER]
            except OSError:
                names = []
            out += [os.path.join(root, n) for n in names]
    return out


def landlock_wanted() -> bool:
    return os.environ.get("GRADEKIT_SANDBOX_LANDLOCK", "on").strip().lower() not in ("off", "0", "no")


@functools.lru_cache(maxsize=1)
def landlock_abi() -> int:
    """The kernel's Landlock ABI version (0: none, off, or refused by a seccomp filter)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.syscall.restype = ctypes.c_long
        v = libc.syscall(ctypes.c_long(444), None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    except (OSError, AttributeError):
        return 0
    return int(v) if v > 0 else 0


def confined_plan(work: str, tmp: str, uid: int, env: dict[str, str], landlock: bool | None = None) -> dict:
    """What the launcher does for one child: ``work`` and ``tmp`` are its folders, owned by ``uid``."""
    binds, _ = jail._library_paths()  # the interpreter and its libraries, as the jail shows them
    if landlock is None:
        landlock = landlock_wanted() and landlock_abi() > 0
    read = [b for b in binds if not os.path.islink(b)] + [os.path.realpath(b) for b in binds if os.path.islink(b)]
    read += [p for p in _PROC if os.path.exists(p)]
    devices = [p for p in _DEVICES if os.path.exists(p)]  # written too: subprocess.DEVNULL, > /dev/null
    return {"uid": uid, "work": work, "read": list(dict.fromkeys(read)), "write": [work, tmp, *devices],
            "protect": protected_paths(), "protect_class": class_paths(), "landlock": int(bool(landlock)),
            "env": env}


def launcher_command(plan: dict, status_fd: int, argv: list[str]) -> list[str]:
    """``argv`` as run through the confining launcher (``python -I -S``: no site, nothing of the grader's)."""
    return [sys.executable, "-I", "-S", "-c", child_source("confine_launcher"), jail.encode_plan(plan),
            str(status_fd), "--", *argv]

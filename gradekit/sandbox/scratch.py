"""Scratch folders that name their owner, and the sweep that removes those whose owner is dead.

A grading process removes its folders in ``finally``; one that is killed (a Dask worker
SIGKILLed, a module check's parent killed) never runs it, and its folders, some holding
students' files, would stay in TMPDIR for ever. So each folder gradekit makes for its work
is named ``gradekit-KIND-oPID.START.PIDNS-RANDOM``: the owner's pid, its start time (a pid
used again by another process is not the owner) and its pid namespace (a process of another
container sharing /tmp is not judged by a pid of ours). The first folder a process makes
sweeps the temporary folders first: every folder of that form whose owner, in our pid
namespace, is gone, is removed. So every start of a grading process, a worker or a batch
removes what killed ones left.

>>> folder = make("run")                            # doctest: +SKIP
>>> os.path.basename(folder)                       # doctest: +SKIP
'gradekit-run-o4242.1234567.4026531836-k2j3h4'
"""

from __future__ import annotations

import os
import re
import tempfile

from gradekit.sandbox.cleanup import rmtree

__all__ = ["make", "owner_tag", "sweep"]

_NAME = re.compile(r"^gradekit-[a-z]+-o(\d+)\.(\d+)\.(\d+)-")
_swept: set[int] = set()  # pids of this process (after a fork, the child sweeps again)


def _start_time(pid: int) -> int | None:
    """The process's start time (clock ticks after boot), None when there is no such process."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read()
        return int(raw[raw.rfind(b")") + 2:].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def _pid_namespace() -> int:
    try:
        return os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return 0


def owner_tag() -> str:
    """This process as a folder name names its owner: ``PID.START.PIDNS``."""
    pid = os.getpid()
    return f"{pid}.{_start_time(pid) or 0}.{_pid_namespace()}"


def make(kind: str, dir: str | None = None) -> str:
    """A fresh 0700 folder ``gradekit-KIND-oOWNER-…`` in ``dir`` (TMPDIR by default); the process's first one
    sweeps the temporary folders of dead owners before it."""
    if os.getpid() not in _swept:
        _swept.add(os.getpid())
        sweep()
    return tempfile.mkdtemp(prefix=f"gradekit-{kind}-o{owner_tag()}-", dir=dir)


def _dead(pid: int, start: int, namespace: int) -> bool:
    if namespace != _pid_namespace():
        return False  # another container's, sharing this folder: its pids are not ours to judge
    now = _start_time(pid)
    return now is None or now != start


def sweep(folders: list[str] | None = None) -> list[str]:
    """Remove every owner-named gradekit folder in ``folders`` (TMPDIR and /tmp) whose owner is dead and which
    this user owns; the paths removed."""
    removed = []
    for top in dict.fromkeys(folders or [tempfile.gettempdir(), "/tmp"]):
        try:
            entries = list(os.scandir(top))
        except OSError:
            continue
        for entry in entries:
            m = _NAME.match(entry.name)
            if m is None:
                continue
            try:
                if not entry.is_dir(follow_symlinks=False) or entry.stat(follow_symlinks=False).st_uid != os.geteuid():
                    continue
            except OSError:
                continue
            if _dead(*(int(g) for g in m.groups())):
                rmtree(entry.path)
                removed.append(entry.path)
    return removed

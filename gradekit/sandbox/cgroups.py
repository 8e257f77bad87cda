"""The cgroups a sandbox child's process tree is held in, where this machine lets the grader make them.

- cgroup v2, where it has ``cgroup.kill`` (Linux 5.14): the whole tree ended in one write;
  ``pids.max`` and ``memory.max`` where its parent enables those controllers;
- the v1 ``pids`` controller: ``pids.max`` stops a fork bomb even as root;
- the v1 ``memory`` controller: ``memory.limit_in_bytes`` (and the same with swap) for the tree.

The memory of a submission is then counted for all its processes together, not per process
(``RLIMIT_AS`` is per process). Where no memory cgroup can be had (a container whose
/sys/fs/cgroup is read-only: Docker's default) the child's limits are split among a few
processes instead (``gradekit.sandbox.limits.split_among_processes``). The child joins its
cgroups in ``preexec`` before it execs, so nothing it starts is outside.
"""

from __future__ import annotations

import itertools
import logging
import os
import signal
from dataclasses import dataclass, field

__all__ = ["Cgroups", "make", "OFF_ENV"]

log = logging.getLogger("gradekit.sandbox.process")
OFF_ENV = "GRADEKIT_SANDBOX_CGROUP"  # "off": no cgroups at all (the split limits then hold memory and processes)
_counter = itertools.count()
_no_cgroup: set[str] = set()  # kinds this process could not make (not writable now means not writable later)
_no_memory: set[str] = set()  # kinds whose cgroups this process made but could not limit memory in


@dataclass
class Cgroups:
    """The cgroups made for one child, and whether one of them holds its memory."""

    paths: list[str] = field(default_factory=list)
    memory: bool = False

    @property
    def procs_files(self) -> list[str]:
        return [os.path.join(c, "cgroup.procs") for c in self.paths]

    def set_memory(self, memory_bytes: int) -> bool:
        """Set the memory limit of every cgroup that holds memory (a fork server's, between two children)."""
        ok = bool(self.paths)
        for path in self.paths:
            kind = "v2" if os.path.exists(os.path.join(path, "memory.max")) else "memory"
            ok = _limit_memory(kind, path, memory_bytes) and ok
        return ok

    def usage(self) -> int:
        """The bytes its memory cgroups hold now (the largest, 0 when unknown)."""
        found = 0
        for path in self.paths:
            for name in ("memory.current", "memory.usage_in_bytes"):
                try:
                    with open(os.path.join(path, name)) as f:
                        found = max(found, int(f.read()))
                    break
                except (OSError, ValueError):
                    continue
        return found

    def kill(self) -> None:
        for path in self.paths:
            _kill(path)

    def remove(self) -> None:
        """Kill, then remove them (rmdir fails while an exiting task is still being torn down: retried)."""
        import time

        self.kill()
        for cg in self.paths:
            for _ in range(50):
                try:
                    os.rmdir(cg)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.002)
        self.paths, self.memory = [], False


def _off() -> bool:
    return os.environ.get(OFF_ENV, "on").lower() in ("off", "0", "no")


def _roots() -> list[tuple[str, str]]:
    """(kind, mount point) of a cgroup2 hierarchy and the v1 ``pids`` and ``memory`` ones, from /proc/self/mounts."""
    found: dict[str, str] = {}
    try:
        with open("/proc/self/mounts") as f:
            for line in f:
                parts = line.split()
                if len(parts) < 4:
                    continue
                if parts[2] == "cgroup2" and "v2" not in found:
                    found["v2"] = parts[1]
                elif parts[2] == "cgroup":
                    for kind in ("pids", "memory"):
                        if kind in parts[3].split(",") and kind not in found:
                            found[kind] = parts[1]
    except OSError:
        return []
    return sorted(found.items())


def _own(kind: str) -> str:
    """Our process's path in that hierarchy (children go below it, where we may write)."""
    try:
        with open("/proc/self/cgroup") as f:
            for line in f:
                _, controllers, path = line.rstrip("\n").split(":", 2)
                if (kind == "v2" and controllers == "") or (kind != "v2" and kind in controllers.split(",")):
                    return path.lstrip("/")
    except (OSError, ValueError):
        pass
    return ""


def _write(path: str, value: str) -> bool:
    try:
        with open(path, "w") as f:
            f.write(value)
        return True
    except OSError as e:
        log.debug("cgroup: cannot write %s to %s (%s)", value, path, e)
        return False


def make(processes: int, memory_bytes: int, memory_only: bool = False) -> Cgroups:
    """Cgroups for one child: at most ``processes + 1`` tasks and ``memory_bytes`` of memory for them all
    (``memory_only``: only a cgroup that holds the memory, none for the rest)."""
    made = Cgroups()
    if _off():
        return made
    name = f"gradekit-{os.getpid()}-{next(_counter)}"
    for kind, mount in _roots():
        if kind in _no_cgroup or (memory_only and (kind == "pids" or kind in _no_memory)):
            continue
        path = os.path.join(mount, _own(kind), name)
        try:
            os.mkdir(path, 0o755)
        except OSError as e:
            _no_cgroup.add(kind)
            log.debug("no %s cgroup for the children: cannot make %s (%s)", kind, path, e)
            continue
        if kind == "v2" and not os.path.exists(os.path.join(path, "cgroup.kill")):
            os.rmdir(path)  # a kernel before 5.14: the pids cgroup and the uid sweep must do
            continue
        if os.path.exists(os.path.join(path, "pids.max")):
            _write(os.path.join(path, "pids.max"), str(processes + 1))
        if _limit_memory(kind, path, memory_bytes):
            made.memory = True
        elif kind == "memory" or memory_only:
            _no_memory.add(kind)  # its parent gives no memory controller: not asked again
            os.rmdir(path)  # a memory cgroup that does not limit is no use
            continue
        made.paths.append(path)
    return made


def _limit_memory(kind: str, path: str, memory_bytes: int) -> bool:
    """Whether ``path`` now holds its tree to ``memory_bytes`` (swap included, where swap is counted)."""
    if kind == "v2":
        if not os.path.exists(os.path.join(path, "memory.max")):
            return False  # the parent does not enable the memory controller for us
        ok = _write(os.path.join(path, "memory.max"), str(memory_bytes))
        if ok and os.path.exists(os.path.join(path, "memory.swap.max")):
            ok = _write(os.path.join(path, "memory.swap.max"), "0")
        return ok
    if kind == "memory":
        # memsw (memory and swap) may never be below the memory limit: raised first, lowered last
        limit, memsw = os.path.join(path, "memory.limit_in_bytes"), os.path.join(path, "memory.memsw.limit_in_bytes")
        if not os.path.exists(memsw):
            return _write(limit, str(memory_bytes))
        with open(limit) as f:
            raising = int(f.read()) < memory_bytes
        order = (memsw, limit) if raising else (limit, memsw)
        return all(_write(p, str(memory_bytes)) for p in order)
    return False


def _kill(path: str) -> None:
    try:
        with open(os.path.join(path, "cgroup.kill"), "w") as f:
            f.write("1")
        return
    except FileNotFoundError:
        pass  # v1: kill what is listed until nothing is (pids.max bounds a fork bomb's refills)
    except OSError:
        return
    for _ in range(100):
        try:
            with open(os.path.join(path, "cgroup.procs")) as f:
                pids = [int(p) for p in f.read().split()]
        except OSError:
            return
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

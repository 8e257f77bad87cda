"""What a sandbox child may use, and the rlimits that hold it to that."""

from __future__ import annotations

import math
import os
import resource
from dataclasses import dataclass, replace
from typing import Callable

WRITABLE_BYTES = 64 * 2**20  # all the child may write, where one tmpfs holds its folders (a jail)
LIBRARY_RESIDENT_BYTES = 2**30  # what preloaded libraries keep resident (torch on the CPU: ~220 MB; CUDA builds more)
SPLIT_PROCESSES = 4  # without a memory cgroup: processes a child may start, each with its share of the memory


@dataclass(frozen=True)
class Limits:
    """What a child may use. Sizes are bytes, times seconds.

    ``processes`` is how many processes (threads count on Linux) the child may
    start beyond those its user already runs; ``output_bytes`` is what is kept
    of stdout and of stderr (head and tail); ``result_bytes`` caps result.json.

    ``preload``: heavy libraries (numpy, torch, torchvision) the child imports before any of the student's
    code; ``memory_bytes`` then counts what the student's code maps on top of them. The child starts under
    ``memory_bytes + library_bytes`` of address space and lowers its own cap once they are imported
    (``gradekit.sandbox.child.preload``; ``preload_prelude`` writes the lines that do it).
    """

    cpu_seconds: int = 10
    wall_seconds: float = 10.0
    memory_bytes: int = 2 * 2**30
    file_bytes: int = 16 * 2**20
    processes: int = 64
    output_bytes: int = 64 * 2**10
    result_bytes: int = 32 * 2**20
    preload: tuple[str, ...] = ()
    library_bytes: int = 8 * 2**30  # a CUDA build of torch + torchvision maps 3.6 GB to import (VmPeak, x86_64)

    @property
    def tmp_bytes(self) -> int:
        """The size of each private tmpfs a jailed child gets (/tmp, /var/tmp, /dev/shm)."""
        return min(self.file_bytes * 4, 256 * 2**20)

    def __post_init__(self) -> None:
        for name in ("cpu_seconds", "wall_seconds", "memory_bytes", "file_bytes",
                     "output_bytes", "result_bytes", "library_bytes"):
            if not getattr(self, name) > 0:
                raise ValueError(f"Limits.{name}={getattr(self, name)!r}, but it must be > 0")
        if self.processes < 0:
            raise ValueError(f"Limits.processes={self.processes!r}, but it must be >= 0")
        if isinstance(self.preload, str) or not all(isinstance(p, str) and p.isidentifier() for p in self.preload):
            raise ValueError(f"Limits.preload={self.preload!r}, but it must be a tuple of package names")

    @property
    def resident_bytes(self) -> int:
        """What a memory cgroup lets the child's processes hold together: its budget, the libraries it preloads
        (resident), and what it writes to tmpfs (charged to the same memory)."""
        return self.memory_bytes + (LIBRARY_RESIDENT_BYTES if self.preload else 0) + WRITABLE_BYTES

    @property
    def start_address_space(self) -> int:
        """RLIMIT_AS as the child starts: its budget, and room for the libraries it lowers it from once imported."""
        return self.memory_bytes + (self.library_bytes if self.preload else 0)


def split_among_processes(limits: Limits) -> Limits:
    """The limits of a child no memory cgroup holds: RLIMIT_AS is per process, so the submission's memory is
    bounded by allowing few processes (``SPLIT_PROCESSES`` at most, threads count) and giving each its share
    of the budget: the child and its processes together hold no more than ``limits.memory_bytes``."""
    processes = min(limits.processes, SPLIT_PROCESSES)
    return replace(limits, processes=processes, memory_bytes=max(1, limits.memory_bytes // (processes + 1)))


def preload_prelude(limits: Limits) -> str:
    """The lines a child's program starts with when ``limits.preload`` names libraries ('' when it names none):
    they import them, then lower RLIMIT_AS to what the child maps then plus ``limits.memory_bytes``."""
    if not limits.preload:
        return ""
    from gradekit.sandbox.child import source as child_source

    return (f"_gk_preload = {tuple(limits.preload)!r}\n_gk_memory = {int(limits.memory_bytes)}\n"
            + child_source("preload") + "\n")


def rlimit_setter(limits: Limits, nproc: int | None = None) -> Callable[[], None]:
    """A preexec_fn that only calls setrlimit: every value is computed here, before fork.

    ``nproc`` is the RLIMIT_NPROC to set as is (a child that gets a uid of its own,
    see ``gradekit.sandbox.box``); without it, ``limits.processes`` beyond the user's tasks.
    """
    hard = rlimit_values(limits)
    nproc_limit = (_nproc_limit(limits.processes) if nproc is None
                   else _clamp(resource.RLIMIT_NPROC, nproc))

    def preexec() -> None:
        os.umask(0o077)
        for res, value in hard:
            resource.setrlimit(res, value)
        if nproc_limit is not None:
            try:
                resource.setrlimit(resource.RLIMIT_NPROC, nproc_limit)
            except (OSError, ValueError):
                pass  # best effort, see the module docstring

    return preexec


def rlimit_values(limits: Limits) -> list[tuple[int, tuple[int, int]]]:
    """(resource, (soft, hard)) for CPU, memory, file size and core dumps, within this process's own hard limits."""
    cpu = math.ceil(limits.cpu_seconds)
    return [
        # SIGXCPU at the soft limit, SIGKILL one second later if it is ignored.
        (resource.RLIMIT_CPU, _clamp(resource.RLIMIT_CPU, cpu, cpu + 1)),
        (resource.RLIMIT_AS, _clamp(resource.RLIMIT_AS, limits.start_address_space)),
        (resource.RLIMIT_FSIZE, _clamp(resource.RLIMIT_FSIZE, limits.file_bytes)),
        (resource.RLIMIT_CORE, (0, 0)),
    ]


def _clamp(res: int, soft: int, hard: int | None = None) -> tuple[int, int]:
    """(soft, hard) no higher than the current hard limit, which a child cannot raise."""
    hard = soft if hard is None else hard
    _, current = resource.getrlimit(res)
    if current != resource.RLIM_INFINITY:
        soft, hard = min(soft, current), min(hard, current)
    return soft, hard


def _nproc_limit(extra: int) -> tuple[int, int] | None:
    """RLIMIT_NPROC counts all tasks of the real user, so allow ``extra`` beyond today's."""
    if os.getuid() == 0:
        return None  # root ignores RLIMIT_NPROC
    uid, tasks = os.getuid(), 0
    try:
        pids = [p for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return None
    for pid in pids:
        try:
            if os.stat(f"/proc/{pid}").st_uid == uid:
                tasks += len(os.listdir(f"/proc/{pid}/task"))
        except OSError:
            continue  # exited meanwhile
    return _clamp(resource.RLIMIT_NPROC, tasks + extra + 1)

"""What a sandbox child may use, and the rlimits that hold it to that."""

from __future__ import annotations

import math
import os
import resource
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """What a child may use. Sizes are bytes, times seconds.

    ``processes`` is how many processes (threads count on Linux) the child may
    start beyond those its user already runs; ``output_bytes`` is what is kept
    of stdout and of stderr (head and tail); ``result_bytes`` caps result.json.
    """

    cpu_seconds: int = 10
    wall_seconds: float = 10.0
    memory_bytes: int = 2 * 2**30
    file_bytes: int = 16 * 2**20
    processes: int = 64
    output_bytes: int = 64 * 2**10
    result_bytes: int = 32 * 2**20

    @property
    def tmp_bytes(self) -> int:
        """The size of each private tmpfs a jailed child gets (/tmp, /var/tmp, /dev/shm)."""
        return min(self.file_bytes * 4, 256 * 2**20)

    def __post_init__(self) -> None:
        for name in ("cpu_seconds", "wall_seconds", "memory_bytes", "file_bytes",
                     "output_bytes", "result_bytes"):
            if not getattr(self, name) > 0:
                raise ValueError(f"Limits.{name}={getattr(self, name)!r}, but it must be > 0")
        if self.processes < 0:
            raise ValueError(f"Limits.processes={self.processes!r}, but it must be >= 0")


def rlimit_setter(limits: Limits, nproc: int | None = None):
    """A preexec_fn that only calls setrlimit: every value is computed here, before fork.

    ``nproc`` is the RLIMIT_NPROC to set as is (a child that gets a uid of its own,
    see ``gradekit.sandbox.box``); without it, ``limits.processes`` beyond the user's tasks.
    """
    hard = rlimit_values(limits)
    nproc = _nproc_limit(limits.processes) if nproc is None else _clamp(resource.RLIMIT_NPROC, nproc)

    def preexec() -> None:
        os.umask(0o077)
        for res, value in hard:
            resource.setrlimit(res, value)
        if nproc is not None:
            try:
                resource.setrlimit(resource.RLIMIT_NPROC, nproc)
            except (OSError, ValueError):
                pass  # best effort, see the module docstring

    return preexec


def rlimit_values(limits: Limits) -> list[tuple[int, tuple[int, int]]]:
    """(resource, (soft, hard)) for CPU, memory, file size and core dumps, within this process's own hard limits."""
    cpu = math.ceil(limits.cpu_seconds)
    return [
        # SIGXCPU at the soft limit, SIGKILL one second later if it is ignored.
        (resource.RLIMIT_CPU, _clamp(resource.RLIMIT_CPU, cpu, cpu + 1)),
        (resource.RLIMIT_AS, _clamp(resource.RLIMIT_AS, limits.memory_bytes)),
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

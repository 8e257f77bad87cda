"""Grader work on student input that may cost what the input makes it cost, done in a forked child under a bound.

sympy's proof that two formulas are equal, or reading a notebook with nbformat, can
take minutes and gigabytes for a few dozen hostile characters or a file of stored
outputs, and no count of operations made in advance bounds it. Such work runs in a
child forked from the grader: it starts in milliseconds (it inherits every module
already imported), sets its own CPU-time and address-space limits, and writes its
answer (JSON) to a pipe. A child over its CPU time gets SIGXCPU; one over its memory
gets MemoryError; one that stalls anyway is killed at a generous wall-clock guard.
The caller gets a ``Bounded`` that says which, and decides what that costs (a part's
zero with the reason, or a proof that gave up): never a hang, never a grader fault.

The child runs the grader's own code on data, never the student's code: it needs no
jail, only the bound. CPU time, not wall time, is the limit, so the outcome does not
depend on how busy the machine is.

>>> run_bounded(sum, ([1, 2, 3],), Budget(cpu_seconds=5, memory_bytes=2**28)).value  # doctest: +SKIP
6
"""

from __future__ import annotations

import enum
import json
import math
import os
import resource
import select
import signal
import time
from dataclasses import dataclass
from typing import Any, Callable

__all__ = ["Budget", "Bounded", "Ending", "run_bounded"]


@dataclass(frozen=True)
class Budget:
    """What one bounded task may use: CPU seconds, and memory beyond what the grader process already maps.

    ``wall_factor`` sets the wall-clock guard (``wall_factor`` × CPU seconds + 10 s): it only catches
    a child that stopped making progress, so that a loaded machine does not change the outcome."""

    cpu_seconds: float
    memory_bytes: int
    wall_factor: float = 10.0

    @property
    def wall_seconds(self) -> float:
        return self.cpu_seconds * self.wall_factor + 10.0


class Ending(str, enum.Enum):
    DONE = "done"
    TIME = "time"  # over its CPU time (or stalled past the wall-clock guard)
    MEMORY = "memory"
    FAILED = "failed"  # the task raised, or the child died another way


@dataclass(frozen=True)
class Bounded:
    ending: Ending
    value: Any = None
    detail: str = ""

    @property
    def done(self) -> bool:
        return self.ending is Ending.DONE


MAX_ANSWER_BYTES = 64 * 2**20  # what the child may write back


def run_bounded(task: Callable[..., Any], args: tuple, budget: Budget) -> Bounded:
    """``task(*args)`` in a forked child under ``budget``; its JSON-able return value comes back.

    Where the platform cannot fork (Windows) the task runs here, unbounded.
    """
    if not hasattr(os, "fork"):
        try:
            return Bounded(Ending.DONE, task(*args))
        except MemoryError:
            return Bounded(Ending.MEMORY)
    memory_cap = _mapped_bytes() + budget.memory_bytes
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into the grader's code
        status = 1
        try:
            os.close(read_end)
            _limit_self(budget.cpu_seconds, memory_cap)
            try:
                answer = json.dumps({"value": task(*args)})
            except MemoryError:
                answer = '{"memory": true}'
            except RecursionError:
                answer = '{"error": "RecursionError: nested too deeply"}'
            except Exception as e:  # the caller decides what a failed task means
                answer = json.dumps({"error": f"{type(e).__name__}: {str(e)[:200]}"})
            _write_all(write_end, answer.encode())
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    try:
        data, stalled = _read_until_eof(read_end, time.monotonic() + budget.wall_seconds)
    finally:
        os.close(read_end)
    if stalled:
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    return _ending(data, status, stalled, budget)


def _ending(data: bytes, status: int, stalled: bool, budget: Budget) -> Bounded:
    if stalled or (os.WIFSIGNALED(status) and os.WTERMSIG(status) in (signal.SIGXCPU, signal.SIGKILL)):
        return Bounded(Ending.TIME, detail=f"over {budget.cpu_seconds:g} s of CPU time")
    try:
        answer = json.loads(data) if data else None
    except ValueError:
        answer = None
    if isinstance(answer, dict) and "value" in answer:
        return Bounded(Ending.DONE, answer["value"])
    if isinstance(answer, dict) and answer.get("memory") or _signal_of(status) in (signal.SIGSEGV, signal.SIGABRT):
        # a C extension that cannot allocate under RLIMIT_AS aborts instead of raising MemoryError
        return Bounded(Ending.MEMORY, detail=f"over {budget.memory_bytes / 2**20:g} MiB of memory")
    if isinstance(answer, dict) and "error" in answer:
        return Bounded(Ending.FAILED, detail=str(answer["error"]))
    return Bounded(Ending.FAILED, detail=f"the bounded task ended with status {status}")


def _signal_of(status: int) -> int | None:
    return os.WTERMSIG(status) if os.WIFSIGNALED(status) else None


def _limit_self(cpu_seconds: float, memory_cap: int) -> None:
    cpu = max(1, math.ceil(cpu_seconds))  # a forked child's CPU time starts at zero
    for res, value in ((resource.RLIMIT_CPU, (cpu, cpu + 1)), (resource.RLIMIT_AS, (memory_cap, memory_cap)),
                       (resource.RLIMIT_CORE, (0, 0))):
        soft, hard = resource.getrlimit(res)
        if hard != resource.RLIM_INFINITY:
            value = (min(value[0], hard), min(value[1], hard))
        try:
            resource.setrlimit(res, value)
        except (OSError, ValueError):
            pass  # macOS does not enforce RLIMIT_AS; the CPU limit still holds


def _mapped_bytes() -> int:
    """The address space this process maps now (RLIMIT_AS counts it, so the child's budget is on top)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data[:MAX_ANSWER_BYTES])
    while view:
        view = view[os.write(fd, view):]


def _read_until_eof(fd: int, deadline: float) -> tuple[bytes, bool]:
    """The child's answer, and whether it stalled past ``deadline``."""
    chunks: list[bytes] = []
    size = 0
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return b"", True
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            continue
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks), False
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            return b"", True
        chunks.append(chunk)

"""CPU time of a child's process tree, and the budget clock a call is held to.

A grade must not depend on how busy the machine is. The same work costs about the
same CPU seconds on an idle laptop and on a server at load average 8, while its
wall-clock time grows with the load. So a call's budget counts the CPU time of the
child's whole process tree (threads included, and children it reaped), read from
``/proc`` by the parent: the student's code cannot under-report it. The wall clock
stays only as a generous backstop for a child that blocks without computing
(``time.sleep``, a read that never returns): ``WALL_FACTOR`` times the budget, scaled
up again by the machine's load.

>>> clock = BudgetClock(cpu_seconds=2.0, pid=None)
>>> clock.wall_seconds >= 20.0
True
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

__all__ = ["tree_cpu_seconds", "load_factor", "BudgetClock", "WALL_FACTOR"]

WALL_FACTOR = 10.0  # the wall-clock backstop, in multiples of the CPU budget (before the load scaling)
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: str) -> tuple[int, float] | None:
    """(parent pid, CPU seconds of the process and its reaped children) from /proc/PID/stat."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read()
    except OSError:
        return None  # gone meanwhile, or not ours to read
    # the command name is in parentheses and may hold spaces or parentheses: split after the last ')'
    fields = raw[raw.rfind(b")") + 2:].split()
    try:
        ppid = int(fields[1])
        utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
    except (IndexError, ValueError):
        return None
    return ppid, (utime + stime + cutime + cstime) / _TICKS


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds used so far by ``pid`` and every process descended from it (0.0 when it is gone)."""
    try:
        entries = [p for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return 0.0
    parent, cpu = {}, {}
    for p in entries:
        st = _stat(p)
        if st is not None:
            parent[int(p)], cpu[int(p)] = st
    children: dict[int, list[int]] = {}
    for p, pp in parent.items():
        children.setdefault(pp, []).append(p)
    total, todo, seen = 0.0, [pid], set()
    while todo:
        p = todo.pop()
        if p in seen or p not in cpu:
            continue
        seen.add(p)
        total += cpu[p]
        todo.extend(children.get(p, ()))
    return total


def load_factor() -> float:
    """How much slower than idle the wall clock runs now: the 1-minute load average per CPU, at least 1."""
    try:
        load = os.getloadavg()[0]
    except OSError:
        return 1.0
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1.0, load / max(cpus, 1))


@dataclass
class BudgetClock:
    """A call's budget: ``cpu_seconds`` of the tree under ``pid`` (counted from ``since``), and a wall backstop.

    ``since`` is the tree's CPU time when the call began (0 for a call that also pays for starting the child).
    """

    cpu_seconds: float
    pid: int | None
    since: float = 0.0
    start: float = field(default_factory=time.monotonic)
    wall_seconds: float = 0.0

    def __post_init__(self) -> None:
        if not self.wall_seconds:
            self.wall_seconds = max(WALL_FACTOR * self.cpu_seconds, self.cpu_seconds + 10.0) * load_factor()

    def used(self) -> float:
        """CPU seconds the tree has used since the call began."""
        return 0.0 if self.pid is None else max(0.0, tree_cpu_seconds(self.pid) - self.since)

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def over(self) -> str | None:
        """None while within budget; else "cpu" or "wall", whichever ran out."""
        if self.elapsed() >= self.wall_seconds:
            return "wall"
        if self.used() >= self.cpu_seconds:
            return "cpu"
        return None

    def next_wait(self) -> float:
        """How long to wait for the reply before looking at the clocks again (seconds)."""
        left_wall = self.wall_seconds - self.elapsed()
        return max(0.0, min(0.1 + self.cpu_seconds / 20, left_wall, 0.5))

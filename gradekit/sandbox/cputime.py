"""CPU time of a child's process tree, and the budget clock a call is held to.

A grade must not depend on how busy the machine is. The same work costs about the
same CPU seconds on an idle laptop and on a server at load average 8, while its
wall-clock time grows with the load. So a call's budget counts the CPU time of the
child's whole process tree (threads included, and children it reaped), read from
``/proc`` by the parent: the student's code cannot under-report it. The wall clock
stays only as a generous backstop: ``WALL_FACTOR`` times the budget, scaled up again
by the machine's load. A child that blocks without computing (``time.sleep``, a read
that never returns) is neither runnable nor gaining CPU, which a starved child is:
blocked for longer than its budget, it is stopped without waiting for the backstop.

>>> clock = BudgetClock(cpu_seconds=2.0, pid=None)
>>> clock.wall_seconds >= 20.0
True
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

__all__ = ["tree_cpu_seconds", "tree_usage", "load_factor", "BudgetClock", "WALL_FACTOR"]

WALL_FACTOR = 10.0  # the wall-clock backstop, in multiples of the CPU budget (before the load scaling)
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: str) -> tuple[int, float, bytes] | None:
    """(parent pid, CPU seconds of the process and its reaped children, state) from /proc/PID/stat."""
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
    return ppid, (utime + stime + cutime + cstime) / _TICKS, fields[0]


def tree_cpu_seconds(pid: int, uid: int | None = None) -> float:
    """CPU seconds used so far by ``pid`` and every process descended from it (0.0 when it is gone), and with
    ``uid`` every process of that uid this process adopted (see ``tree_usage``)."""
    return tree_usage(pid, uid)[0]


def tree_usage(pid: int, uid: int | None = None) -> tuple[float, bool]:
    """(CPU seconds of the tree under ``pid``, whether any process of it is running or runnable now).

    Walks the tree through ``/proc/PID/task/TID/children``, reading only the tree's own processes: a call is
    timed with this at its start and on each poll, and scanning all of ``/proc`` cost milliseconds a call.
    Where the kernel lists no children, every process's parent is read instead.

    ``uid``: the child's sandbox uid, its alone. A daemon it starts (double fork, setsid) leaves the tree and
    is adopted by the grader, a subreaper (``gradekit.sandbox.reaper``): every child of this process whose
    uid that is, live or a zombie not yet reaped, is counted with its own tree.
    """
    roots = [pid] + (_adopted(uid, pid) if uid is not None else [])
    total, running, todo, seen = 0.0, False, roots, set()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        st = _stat(str(p))
        if st is None:
            continue
        total += st[1]
        running = running or st[2] == b"R"
        kids = _children(p)
        if kids is None:
            return _usage_by_scan(pid, roots)
        todo.extend(kids)
    return total, running


def _children(pid: int) -> list[int] | None:
    """The children of every thread of ``pid``; None where the kernel does not list them."""
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []  # gone meanwhile
    kids: list[int] = []
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/children", "rb") as f:
                kids += [int(x) for x in f.read().split()]
        except FileNotFoundError:
            if os.path.exists(f"/proc/{pid}/task/{tid}"):
                return None  # a kernel without CONFIG_PROC_CHILDREN
        except (OSError, ValueError):
            continue  # the thread ended meanwhile
    return kids


def _adopted(uid: int, pid: int) -> list[int]:
    """This process's children (other than ``pid``) whose real uid is ``uid``."""
    kids = _children(os.getpid()) or []
    out = []
    for kid in kids:
        if kid == pid:
            continue
        try:
            with open(f"/proc/{kid}/status", "rb") as f:
                for line in f:
                    if line.startswith(b"Uid:"):
                        if line.split()[1:2] == [str(uid).encode()]:
                            out.append(kid)
                        break
        except OSError:
            continue
    return out


def _usage_by_scan(pid: int, roots: list[int] | None = None) -> tuple[float, bool]:
    try:
        entries = [p for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return 0.0, False
    parent: dict[int, int] = {}
    cpu: dict[int, float] = {}
    state: dict[int, bytes] = {}
    for name in entries:
        st = _stat(name)
        if st is not None:
            parent[int(name)], cpu[int(name)], state[int(name)] = st
    children: dict[int, list[int]] = {}
    for p, pp in parent.items():
        children.setdefault(pp, []).append(p)
    total, running, todo = 0.0, False, list(roots or [pid])
    seen: set[int] = set()
    while todo:
        p = todo.pop()
        if p in seen or p not in cpu:
            continue
        seen.add(p)
        total += cpu[p]
        running = running or state[p] == b"R"
        todo.extend(children.get(p, ()))
    return total, running


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
    uid: int | None = None  # the child's sandbox uid: what it orphaned and this process adopted counts too
    start: float = field(default_factory=time.monotonic)
    wall_seconds: float = 0.0
    idle: float = 0.0  # seconds in a row the tree neither computed nor was runnable (asleep, blocked)
    _last: tuple[float, float] = (0.0, 0.0)  # (wall, CPU) at the last look

    def __post_init__(self) -> None:
        if not self.wall_seconds:
            self.wall_seconds = max(WALL_FACTOR * self.cpu_seconds, self.cpu_seconds + 10.0) * load_factor()
        self._last = (self.start, 0.0)

    def used(self) -> float:
        """CPU seconds the tree has used since the call began."""
        return 0.0 if self.pid is None else max(0.0, tree_cpu_seconds(self.pid, self.uid) - self.since)

    def _look(self) -> float:
        """CPU used so far; counts the time the tree spent blocked, not starved, since the last look."""
        if self.pid is None:
            return 0.0
        total, running = tree_usage(self.pid, self.uid)
        used, now = max(0.0, total - self.since), time.monotonic()
        # a starved child is runnable ("R") and still gains some CPU; a sleeping one does neither
        if used - self._last[1] < 0.01 and not running:
            self.idle += now - self._last[0]
        else:
            self.idle = 0.0
        self._last = (now, used)
        return used

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def over(self) -> str | None:
        """None while within budget; else "cpu", "idle" (blocked longer than the budget plus a second, so the
        load cannot be why) or "wall", whichever ran out."""
        if self.elapsed() >= self.wall_seconds:
            return "wall"
        if self._look() >= self.cpu_seconds:
            return "cpu"
        if self.idle >= self.cpu_seconds + 1.0:
            return "idle"
        return None

    def next_wait(self) -> float:
        """How long to wait for the reply before looking at the clocks again (seconds)."""
        left_wall = self.wall_seconds - self.elapsed()
        return max(0.0, min(0.1 + self.cpu_seconds / 20, left_wall, 0.5))

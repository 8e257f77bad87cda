"""Time budgets that do not depend on the machine's load: a call is held to the CPU time of the child's tree.

The load is made here, not hoped for: the test pins itself (and so the child it starts) to one CPU and
starts busy processes pinned to the same CPU, so the child gets a fraction of it and its wall clock
stretches while its CPU time does not.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import contextmanager

import pytest

from gradekit.code.session import ModuleSession
from gradekit.sandbox.cputime import BudgetClock, WALL_FACTOR, load_factor, tree_cpu_seconds
from gradekit.sandbox.process import Limits

WORK = '''
import time

def work(seconds):
    """Spin for ``seconds`` of this process's CPU time (not of the wall clock)."""
    end = time.process_time() + float(seconds)
    while time.process_time() < end:
        pass
    return float(seconds)

def spin():
    while True:
        pass

def spawn_and_wait():
    import subprocess, sys, time
    subprocess.Popen([sys.executable, "-c", "while True: pass"])
    time.sleep(600)
'''


@contextmanager
def one_busy_cpu(competitors: int):
    """This process pinned to one CPU that ``competitors`` busy processes share with it."""
    if not hasattr(os, "sched_setaffinity"):
        pytest.skip("needs sched_setaffinity")
    old = os.sched_getaffinity(0)
    cpu = min(old)
    procs = [subprocess.Popen([sys.executable, "-c", f"import os; os.sched_setaffinity(0, {{{cpu}}})\nwhile True: pass"])
             for _ in range(competitors)]
    os.sched_setaffinity(0, {cpu})
    try:
        time.sleep(0.3)  # the competitors are spinning
        yield
    finally:
        os.sched_setaffinity(0, old)
        for p in procs:
            p.kill()
            p.wait()


def test_a_call_under_load_is_held_to_its_cpu_time_not_the_wall_clock():
    # 0.6 s of work on a CPU shared with 4 spinners takes about 3 s of wall clock: a 1.5 s wall budget failed it
    with one_busy_cpu(4), ModuleSession(WORK.encode(), "m.py", limits=Limits(cpu_seconds=60, wall_seconds=1.5)) as s:
        s.call("work", 0.01, timeout=1.5)  # the child is up (its start is counted on its own call)
        r = s.call("work", 0.6, timeout=1.5)
    # within its CPU budget however long the wall clock ran (about 3 s when the child shares the pinned CPU;
    # a jail may place it elsewhere, so the wall time itself is not asserted)
    assert r.ok, r.message
    assert 0.5 < r.cpu < 1.5, (r.elapsed, r.cpu)


def test_a_spinning_call_stops_at_its_cpu_budget():
    with ModuleSession(WORK.encode(), "m.py", limits=Limits(cpu_seconds=60, wall_seconds=30)) as s:
        start = time.monotonic()
        r = s.call("spin", timeout=1.0)
    assert r.kind == "timeout" and r.message == "did not return within 1 s of CPU time"
    assert 1.0 <= r.cpu < 3 and time.monotonic() - start < 1.0 * WALL_FACTOR


def test_the_cpu_of_the_childs_own_children_counts():
    # the call sleeps while a process it started spins: the tree's CPU, not the wall clock, ends it
    with ModuleSession(WORK.encode(), "m.py", limits=Limits(cpu_seconds=60, wall_seconds=30)) as s:
        r = s.call("spawn_and_wait", timeout=1.0)
    assert r.kind == "timeout" and "of CPU time" in r.message and "wall-clock" not in r.message, r.message


def test_an_overrun_is_retried_once_and_says_so():
    with ModuleSession(WORK.encode(), "m.py", limits=Limits(cpu_seconds=60, wall_seconds=30)) as s:
        r = s.call("spin", timeout=0.5, retry=True)
        assert r.kind == "timeout" and r.retried and r.message.endswith("(tried twice)"), r
        ok = s.call("work", 0.05, timeout=2, retry=True)  # a fresh child serves the next call
    assert ok.ok and not ok.retried


def test_the_wall_backstop_is_generous_and_grows_with_the_load():
    clock = BudgetClock(2.0, pid=None)
    assert clock.wall_seconds >= 2.0 * WALL_FACTOR * load_factor() - 1e-9
    assert BudgetClock(0.1, pid=None).wall_seconds >= 10  # a short budget still waits out a slow start
    assert tree_cpu_seconds(os.getpid()) > 0 and tree_cpu_seconds(2**22 + 12345) == 0.0


def test_a_sleeping_call_is_stopped_after_its_budget_not_the_backstop():
    src = WORK + "\ndef nap():\n    import time\n    time.sleep(600)\n"
    with ModuleSession(src.encode(), "m.py", limits=Limits(cpu_seconds=60, wall_seconds=30)) as s:
        start = time.monotonic()
        r = s.call("nap", timeout=1.0)
    assert r.kind == "timeout" and "without computing (asleep or blocked)" in r.message, r.message
    assert time.monotonic() - start < 1.0 * WALL_FACTOR

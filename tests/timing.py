"""The test suite's time limits, derived from a start-up measured on this machine in this run.

Call budgets are CPU seconds of the child's tree (``gradekit.sandbox.cputime``), so a limit here is a
multiple of what starting a child that imports the same libraries costs in CPU time, measured once per
run: the same on an idle laptop and at load average 8, and never a constant tuned to one machine.
"""

from __future__ import annotations

import functools
import resource
import subprocess
import sys


@functools.lru_cache(maxsize=None)
def startup_cpu(imports: str = "numpy") -> float:
    """CPU seconds a fresh ``python -I`` takes to import ``imports`` (the largest of two runs)."""
    worst = 0.0
    for _ in range(2):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([sys.executable, "-I", "-c", f"import {imports}"], check=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        worst = max(worst, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return worst


def call_budget(imports: str = "numpy", floor: float = 1.5) -> float:
    """A per-call CPU budget that a child importing ``imports`` meets with a wide margin."""
    return max(floor, 3 * startup_cpu(imports) + 0.5)

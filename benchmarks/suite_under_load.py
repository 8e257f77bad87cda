"""Run the whole test suite while the machine is held at a load average (default 8), and report both.

    python benchmarks/suite_under_load.py            # load 8, the suite as `make test` runs it
    python benchmarks/suite_under_load.py --load 8 -- tests/course/test_batch.py

Grades and tests must not depend on how busy the machine is (CPU-time budgets, limits
calibrated in the run: docs/notebooks-and-budgets.md). This is how that claim is measured:
busy loops at normal priority (they compete with the tests for the CPU; a niced loop would
not) are started or stopped every few seconds so the 1-minute load average stays at or above
``--load`` for the suite's whole run, and the load seen during the run is printed beside the
suite's result.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def spin() -> None:
    while True:
        pass


def load1() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--load", type=float, default=8.0, help="1-minute load average to hold (default 8)")
    ap.add_argument("--warm", type=float, default=90.0, help="seconds to reach the load before the suite starts")
    ap.add_argument("pytest_args", nargs="*", help="after --: what pytest runs (default: the whole suite, -n 2)")
    args = ap.parse_args()
    spinners: list[multiprocessing.Process] = []
    samples: list[float] = []

    def hold() -> None:  # one busy loop more while below the target, one fewer while well above it
        now = load1()
        samples.append(now)
        if now < args.load:
            p = multiprocessing.Process(target=spin, daemon=True)
            p.start()
            spinners.append(p)
        elif now > args.load + 2 and spinners:
            spinners.pop().kill()

    deadline = time.monotonic() + args.warm
    while time.monotonic() < deadline and load1() < args.load:
        hold()
        time.sleep(5)
    samples.clear()
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
           *(args.pytest_args or ["-n", "2"])]
    start = time.monotonic()
    suite = subprocess.Popen(cmd, cwd=ROOT)
    while suite.poll() is None:
        hold()
        time.sleep(5)
    took = time.monotonic() - start
    for p in spinners:
        p.kill()
    samples.sort()
    median = samples[len(samples) // 2] if samples else float("nan")
    print(f"suite exit code {suite.returncode} in {took / 60:.1f} min on {os.cpu_count()} cores; "
          f"1-minute load average during it: min {samples[0] if samples else float('nan'):.1f}, "
          f"median {median:.1f}, max {samples[-1] if samples else float('nan'):.1f} "
          f"({len(samples)} samples, target {args.load:g})")
    return suite.returncode


if __name__ == "__main__":
    sys.exit(main())

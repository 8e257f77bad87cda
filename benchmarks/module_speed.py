"""How long grading a module submission takes: a correct ECE 449 task1.py, and the child's per-call overhead.

Targets: grading a correct task1 file end to end (every property test) under 3 s, and the
LeNet (task3) and ResNet (task4) files under 10 s (issue 22); the sandbox's per-check overhead under
50 ms median once the child is up. Prints wall-clock medians and spreads, and the machine.

    python benchmarks/module_speed.py [--runs 5] [--calls 200] [--only task3 ...]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gradekit.code.session import ModuleSession  # noqa: E402
from tests.module_task1 import CORRECT  # noqa: E402


def spread(xs: list[float], unit: str = "s", scale: float = 1.0) -> str:
    xs = [x * scale for x in xs]
    return f"median {statistics.median(xs):.3g} {unit} (min {min(xs):.3g}, max {max(xs):.3g}, n={len(xs)})"


def _time_check(name: str, source: str, runs: int) -> list[float]:
    """`gradekit check NAME` on a correct file, as a student runs it: a fresh process each time.

    Wall-clock seconds: the sandboxed children are not the grader's waited-for children, so their CPU
    time is not in its rusage; measure on an idle machine."""
    times = []
    with tempfile.TemporaryDirectory() as d:
        path = Path(d, name)
        path.write_text(source)
        exe = Path(sys.executable).with_name("gradekit")
        for _ in range(runs):
            start = time.perf_counter()
            r = subprocess.run([str(exe), "check", str(path)], capture_output=True, text=True, cwd=d)
            times.append(time.perf_counter() - start)
            if r.returncode != 0:
                raise SystemExit(f"grading the correct {name} did not give full marks:\n{r.stdout}{r.stderr}")
    return times


def grade_end_to_end(runs: int) -> list[float]:
    """A correct ECE 449 task1 file (NumPy functions, all property tests)."""
    return _time_check("task1_3180100111.py", CORRECT, runs)


def grade_torch_end_to_end(runs: int) -> list[float]:
    """A correct COM S 573 LeNet: the child imports torch, the parent too."""
    from tests.test_module_torch import LENET, VARIANTS

    return _time_check("solution.py", LENET.format(**VARIANTS["correct"]), runs)


def grade_resnet_end_to_end(runs: int) -> list[float]:
    """A correct ECE 449 task4 file, filled in as the course's template is (Residual, get_resnet on 1×96×96)."""
    from tests.test_module_torch import RESNET, RESNET_BODY

    return _time_check("task4_3180100111.py", RESNET.format(body=RESNET_BODY), runs)


def grade_lenet_task3_end_to_end(runs: int) -> list[float]:
    """A correct ECE 449 task3 file, filled in as the course's template is: get_lenet, and train_cnn on the
    grader's data loaders. The reference's training, which sets the pass mark, is kept per machine in the
    grader's cache folder: the first run pays for it (about one training more), the later ones do not."""
    from tests.module_task23 import task3

    return _time_check("task3_3180100111.py", task3(), runs)


def call_overhead(calls: int) -> tuple[float, list[float]]:
    """Start-up of the child, then the round trip of a call that does nearly nothing on a 10×3 array."""
    src = b"import numpy as np\ndef f(X):\n    return X\n"
    x = np.random.default_rng(0).normal(size=(10, 3))
    with ModuleSession(src, "task1.py") as s:
        start = time.perf_counter()
        s.call("f", x)  # imports the module: the child is up after this
        startup = time.perf_counter() - start
        times = []
        for _ in range(calls):
            t = time.perf_counter()
            r = s.call("f", x)
            times.append(time.perf_counter() - t)
            assert r.ok
    return startup, times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--only", choices=["task1", "lenet", "resnet", "task3", "calls"], action="append",
                    help="measure only these (repeatable); all by default")
    args = ap.parse_args()
    wanted = set(args.only or ["task1", "lenet", "resnet", "task3", "calls"])
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f}")
    if "task1" in wanted:
        e2e = grade_end_to_end(args.runs)
        print(f"gradekit check task1.py (correct, all checks): {spread(e2e)}  target < 3 s")
    if "lenet" in wanted:
        torch_e2e = grade_torch_end_to_end(args.runs)
        print(f"gradekit check solution.py (coms573-hw5/q4 LeNet, correct, torch): {spread(torch_e2e)}")
    if "resnet" in wanted:
        resnet = grade_resnet_end_to_end(args.runs)
        print(f"gradekit check task4.py (ece449-a2 ResNet-18, correct, torch): "
              f"{spread(resnet)}  target < 10 s")
    if "task3" in wanted:
        task3 = grade_lenet_task3_end_to_end(args.runs)
        print(f"gradekit check task3.py (ece449-a2 LeNet and train_cnn, correct, torch; the reference's training "
              f"cached after the first run): {spread(task3)}  target < 10 s")
    if "calls" in wanted:
        startup, calls = call_overhead(args.calls)
        print(f"child start-up and import: {startup * 1000:.0f} ms")
        print(f"per-call overhead after start-up: {spread(calls, 'ms', 1000)}  target < 50 ms")


if __name__ == "__main__":
    main()

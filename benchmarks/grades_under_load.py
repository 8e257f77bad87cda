"""Grades of real-course module files, idle and under a held load: the points must not move.

    python benchmarks/grades_under_load.py [--runs 5] [--load 8]

Grades the catalog tests' module files as the courses' students fill in their starters (ECE 449 task1 and
task3, COM S 573's LeNet, CS 37300's NumpyANN, PyTorchANN and PyTorchCNN) and two slow-but-correct ones
(a task3 train_cnn that also measures its training accuracy every epoch, the CNN whose handout train
evaluates the whole training set every epoch), each by `gradekit check FILE -a ASSIGNMENT --json` in a
fresh process: ``--runs`` times on the idle machine, then ``--runs`` times while busy loops at normal
priority hold the 1-minute load average at ``--load`` or above (benchmarks/suite_under_load.py's way).
Prints the points of every part of every run, whether they are identical, and the CPU seconds each run
took (the grader and its sandboxed children together, from a cpuacct cgroup where the machine has one;
the children are not the grader's waited-for children, so its rusage misses them).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from suite_under_load import load1, spin  # noqa: E402

CPUACCT = Path("/sys/fs/cgroup/cpuacct")


def submissions() -> list[tuple[str, str, str]]:
    """(assignment, file name, source) of each graded file."""
    from tests.module_task1 import CORRECT as TASK1
    from tests.module_task23 import task3
    from tests.test_module_numpy_ann import CORRECT as NUMPY_ANN
    from tests.test_module_torch import LENET, VARIANTS
    from tests.test_module_torch_handout import ANN_SOURCE, CNN_SOURCE

    each_epoch = "        test_acc = evaluate_accuracy_try_gpu(net, test_iter)"
    slow_task3 = task3().replace(each_epoch, "        train_acc = evaluate_accuracy_try_gpu(net, train_iter)\n"
                                 + each_epoch)
    assert slow_task3 != task3()
    return [("ece449-a2", "task1.py", TASK1), ("ece449-a2", "task3.py", task3()),
            ("ece449-a2", "task3.py", slow_task3), ("coms573-hw5", "solution.py", LENET.format(**VARIANTS["correct"])),
            ("cs37300-hw4", "numpy_ann.py", NUMPY_ANN), ("cs37300-hw4", "pytorch_ann.py", ANN_SOURCE),
            ("cs37300-hw4", "pytorch_cnn.py", CNN_SOURCE)]


class CpuCounter:
    """CPU seconds of a process tree: a cpuacct cgroup of its own (cgroup v1, or v2's cpu.stat) as root."""

    def __init__(self) -> None:
        self.path: Path | None = None
        for base, usage in ((CPUACCT, "cpuacct.usage"), (Path("/sys/fs/cgroup"), "cpu.stat")):
            try:
                if (base / usage).exists() or (base / "cgroup.procs").exists():
                    path = base / f"gradekit-bench-{os.getpid()}"
                    path.mkdir(exist_ok=True)
                    if (path / usage).exists():
                        self.path, self.usage = path, usage
                        return
            except OSError:
                continue

    def join(self) -> None:  # preexec: the child and all it starts are counted
        if self.path is not None:
            (self.path / "cgroup.procs").write_text(str(os.getpid()))

    def seconds(self) -> float | None:
        if self.path is None:
            return None
        text = (self.path / self.usage).read_text()
        if self.usage == "cpu.stat":
            return int(dict(line.split() for line in text.splitlines())["usage_usec"]) / 1e6
        return int(text) / 1e9

    def close(self) -> None:
        if self.path is not None:
            try:
                self.path.rmdir()
            except OSError:
                pass


def grade_all(folder: Path, subs, counter: CpuCounter) -> tuple[dict[str, float], float | None, float]:
    """Points of every part of every file, CPU seconds and wall seconds of the whole run."""
    exe = Path(sys.executable).with_name("gradekit")
    points: dict[str, float] = {}
    cpu0, start = counter.seconds(), time.perf_counter()
    for i, (assignment, name, source) in enumerate(subs):
        d = folder / str(i)
        d.mkdir(parents=True, exist_ok=True)
        (d / name).write_text(source)
        r = subprocess.run([str(exe), "check", name, "-a", assignment, "--json"], capture_output=True, text=True,
                           cwd=d, preexec_fn=counter.join)
        report = json.loads(r.stdout)
        if "problems" not in report:
            raise SystemExit(f"{assignment} {name}: {r.stdout[-500:]}{r.stderr[-500:]}")
        for q in report["problems"]:
            for p in q["parts"]:
                points[f"{i}:{q['id']}/{p['name']}"] = p["score"]
    cpu1 = counter.seconds()
    return points, None if cpu0 is None or cpu1 is None else cpu1 - cpu0, time.perf_counter() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--load", type=float, default=8.0)
    ap.add_argument("--warm", type=float, default=90.0, help="seconds to reach the load before the loaded runs")
    args = ap.parse_args()
    subs = submissions()
    counter = CpuCounter()
    print(f"{platform.node()}: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {len(subs)} files; CPU counted: "
          f"{'yes (' + str(counter.path) + ')' if counter.path else 'no (no cpuacct cgroup can be made)'}")
    runs: list[tuple[str, dict[str, float], float | None, float, float]] = []
    spinners: list[multiprocessing.Process] = []
    samples: list[float] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for mode in ("idle", "loaded"):
                if mode == "idle":  # a load left by what ran before settles first
                    deadline = time.monotonic() + 300
                    while time.monotonic() < deadline and load1() > 1.5:
                        time.sleep(5)
                if mode == "loaded":
                    deadline = time.monotonic() + args.warm
                    while time.monotonic() < deadline and load1() < args.load:
                        p = multiprocessing.Process(target=spin, daemon=True)
                        p.start()
                        spinners.append(p)
                        time.sleep(5)
                for k in range(args.runs):
                    if mode == "loaded":  # hold the load: one loop more while below the target
                        while load1() > args.load + 4 and spinners:  # and one fewer well above it
                            spinners.pop().kill()
                            time.sleep(5)
                        while load1() < args.load:
                            p = multiprocessing.Process(target=spin, daemon=True)
                            p.start()
                            spinners.append(p)
                            time.sleep(2)
                        samples.append(load1())
                    before = load1()
                    points, cpu, wall = grade_all(Path(tmp, f"{mode}{k}"), subs, counter)
                    runs.append((mode, points, cpu, wall, max(before, load1())))
                    total = sum(points.values())
                    print(f"{mode} run {k + 1}: {total:g} points of {len(points)} parts, CPU "
                          f"{'%.1f s' % cpu if cpu is not None else 'not counted'}, wall {wall:.1f} s, "
                          f"load {before:.1f} → {load1():.1f}", flush=True)
    finally:
        for p in spinners:
            p.kill()
        counter.close()
    first = runs[0][1]
    moved = sorted({part for _, points, *_ in runs for part in points if points.get(part) != first.get(part)})
    print("\nPoints per part (every run):")
    for part, score in first.items():
        print(f"  {part}: {score:g}" + (" MOVED: " + ", ".join(f"{p.get(part)}" for _, p, *_ in runs)
                                        if part in moved else ""))
    for mode in ("idle", "loaded"):
        cpus = [c for m, _, c, _, _ in runs if m == mode and c is not None]
        walls = [w for m, _, _, w, _ in runs if m == mode]
        loads = [ld for m, _, _, _, ld in runs if m == mode]
        print(f"{mode}: CPU median {statistics.median(cpus):.1f} s" if cpus else f"{mode}: CPU not counted", end="")
        print(f" (runs {', '.join(f'{c:.1f}' for c in cpus)}); wall median {statistics.median(walls):.1f} s; "
              f"load {min(loads):.1f}–{max(loads):.1f}")
    print(f"points identical in all {len(runs)} runs: {'yes' if not moved else 'NO: ' + ', '.join(moved)}")
    return 0 if not moved else 1


if __name__ == "__main__":
    sys.exit(main())

"""A rerun of `gradekit grade` on an unchanged class against a fresh run (the resume cache, issue 24).

The class: ``--n`` students of ece449-a2, each a folder with a module file (task1.py, a correct one)
and an answers file: what a real class of that assignment costs. A fresh run grades every one into
its own output folder; a rerun into the same folder finds every row in OUT/.gradekit-cache and
grades none. Both are the whole command (`python -m gradekit.cli grade`), interpreter start and
outputs included. Prints the median of ``--runs`` runs of each.

    python benchmarks/resume_speed.py [--n 20] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.module_task1 import CORRECT  # noqa: E402  (a correct task1.py)


def make_class(folder: Path, n: int) -> None:
    for k in range(n):
        d = folder / f"s{k:03d}"
        d.mkdir(parents=True)
        (d / "task1.py").write_text(CORRECT)
        (d / "answers.json").write_text(json.dumps({"p5": {"q": [0.5, 0.5]}}))


def grade(folder: Path, out: Path) -> tuple[float, str]:
    start = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "gradekit.cli", "grade", str(folder), "-a", "ece449-a2", "-o", str(out)],
                       capture_output=True, text=True)
    took = time.perf_counter() - start
    if r.returncode not in (0, 1):
        raise SystemExit(f"gradekit grade failed ({r.returncode}): {r.stderr[-2000:]}")
    line = next((s for s in r.stdout.splitlines() if "unchanged (from the last run)" in s), "?")
    return took, line


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        subs = Path(tmp) / "subs"
        make_class(subs, args.n)
        fresh, rerun = [], []
        for k in range(args.runs):
            out = Path(tmp) / f"out{k}"
            took, line = grade(subs, out)
            fresh.append(took)
            print(f"fresh {k + 1}: {took:.2f} s  ({line.strip()})", flush=True)
            took, line = grade(subs, out)
            rerun.append(took)
            print(f"rerun {k + 1}: {took:.2f} s  ({line.strip()})", flush=True)
    f, r = statistics.median(fresh), statistics.median(rerun)
    load = os.getloadavg()[0]
    print(f"{args.n} students of ece449-a2 (task1.py + answers.json), {os.cpu_count()} cores, "
          f"{platform.machine()}, load {load:.1f}")
    print(f"fresh run {f:.2f} s, rerun unchanged {r:.2f} s (median of {args.runs}): {f / r:.1f}x")


if __name__ == "__main__":
    main()

"""Throughput of `gradekit grade` on a class of generated .py answers files for ece661-hw1.

Targets (issue 5): at least 20 submissions/s on this 2-core machine, and at least
half the throughput of the same grading done in-process without a sandbox (one
process; files that compute are exec'd directly, literal files read with ast).

The class: 40% right and 25% wrong literal ANSWERS (read with ast, no child),
15% broken (syntax errors, no ANSWERS), 20% that compute (loops, numpy) and so
run in the sandbox. Prints the median of N runs of each.

    python benchmarks/batch_speed.py [--n 500] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from gradekit.course.batch import BatchOptions, grade_folder
from gradekit.catalog.catalog import load_catalog
from gradekit.grading.answers import grade_answers
from gradekit.core.plain import plain, solution_dict
from gradekit.intake.submission import load_answers
from gradekit.core.errors import GradekitError

ASSIGNMENT = "ece661-hw1"


def key(catalog) -> dict:
    return {p.id: solution_dict(p, catalog.solve(p))["answers"] for p in catalog.problems(ASSIGNMENT)}


def perturb(value, rng: random.Random):
    if isinstance(value, float) or (isinstance(value, int) and not isinstance(value, bool)):
        return value + rng.choice([-1, 1]) * (abs(value) * 0.1 + 1)
    if isinstance(value, list):
        return [perturb(v, rng) for v in value]
    return value


def make_class(folder: Path, n: int, catalog) -> None:
    rng = random.Random(661)  # the class is the same on every run
    right = key(catalog)
    for i in range(n):
        r = i % 20
        if r < 8:
            body = f"ANSWERS = {right!r}\n"
        elif r < 13:
            wrong = {pid: {k: perturb(v, rng) if rng.random() < 0.5 else v for k, v in parts.items()}
                     for pid, parts in right.items()}
            body = f"ANSWERS = {wrong!r}\n"
        elif r < 15:
            body = f"ANSWERS = {right!r}\nx = (\n"  # a syntax error
        elif r == 15:
            body = "answers = {}\n"  # no ANSWERS
        elif r < 18:  # computes in pure Python: runs in the sandbox without numpy
            body = (f"K = {right['q3.2']!r}\nL = 0\nfor _ in range(1000):\n    L = K['L']\n"
                    f"ANSWERS = {{'q3.2': dict(K, L=L), 'q4.1': {right['q4.1']!r}}}\n")
        else:  # computes with numpy
            body = ("import numpy as np\nW1 = np.array([[0, 0, 0], [34, 34, -34]], dtype=float)\n"
                    "ANSWERS = {'q3.2': {'L': np.float64(116.0), 'dL/dW1': W1}}\n")
        (folder / f"s{i:04d}.py").write_text(body)


def in_process(folder: Path, catalog) -> int:
    """The same grading with no child process: literal files via ast, the rest exec'd here."""
    graded = 0
    for path in sorted(folder.glob("*.py")):
        src = path.read_text()
        try:
            if "import" in src or "for " in src:  # computes: exec in this process (no sandbox)
                ns: dict = {}
                exec(compile(src, str(path), "exec"), ns)
                raw = plain(ns["ANSWERS"])
            else:
                raw = load_answers(path).answers
            # the student id is the file's stem, as `gradekit grade` uses it (q3.2v is drawn per student)
            grade_answers(raw, assignment=ASSIGNMENT, catalog=catalog, submission=str(path), student=path.stem)
        except (GradekitError, SyntaxError, KeyError):
            pass
        graded += 1
    return graded


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    catalog = load_catalog()
    for p in catalog.problems(ASSIGNMENT):
        catalog.solve(p)
        catalog.mistakes(p)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make_class(folder, args.n, catalog)
        batch, inproc = [], []
        for _ in range(args.runs):
            t = time.perf_counter()
            res = grade_folder(folder, ASSIGNMENT, BatchOptions(catalog=catalog, progress=False))
            batch.append(len(res.rows) / (time.perf_counter() - t))
            t = time.perf_counter()
            k = in_process(folder, catalog)
            inproc.append(k / (time.perf_counter() - t))
        errors = sum(1 for r in res.rows if r["error"])
    b, i = statistics.median(batch), statistics.median(inproc)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(f"{args.n} submissions ({errors} could not be graded), median of {args.runs} runs")
    print(f"gradekit grade (sandbox, {os.cpu_count()} processes): {b:7.1f} submissions/s  runs: "
          + ", ".join(f"{x:.1f}" for x in batch))
    print(f"in-process, no sandbox (1 process):   {i:7.1f} submissions/s  runs: " + ", ".join(f"{x:.1f}" for x in inproc))
    print(f"ratio grade / in-process: {b / i:.2f}  (targets: >= 20/s and >= 0.7)")


if __name__ == "__main__":
    main()

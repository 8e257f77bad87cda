"""How long formula parts take to check (issue 3: symbolic answers).

Targets: a typical matrix_expr part (a mistake to diagnose, the slow path)
under 0.3 s median; the whole symbolic part of ece661-hw1 (q3.1, four parts,
a mix of right and wrong answers) under 2 s. Each run starts from cold caches
(the parsed reference, its mistakes and the drawn instances are cached per
process), so the figures are what one student's check costs.

    python benchmarks/expr_speed.py [--runs 9]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

from gradekit.catalog import load_catalog
from gradekit.expr import compare
from gradekit.grading import grade_problem

ANSWERS = {
    "dL/dW1": r"\left( W_2^\top (t - x_3) \odot x_2 \odot (1 - x_2) \right) x_1^T",  # sign flipped: diagnosed
    "dL/dW2": "(x3 - t) @ x2.T",
    "dL/db1": "W2ᵀ(x3 − t)",  # activation derivative missing: diagnosed
    "dL/db2": "x3 - t",
}


def _cold() -> None:
    for f in (compare._declare, compare._reference, compare._instances):
        f.cache_clear()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=9)
    runs = ap.parse_args().runs
    catalog = load_catalog()
    problem = catalog.resolve("ece661-hw1/q3.1")
    catalog.solve(problem)
    one, whole = [], []
    for _ in range(runs):
        _cold()
        t0 = time.perf_counter()
        grade_problem(catalog, problem, {"dL/dW1": ANSWERS["dL/dW1"]})
        one.append(time.perf_counter() - t0)
        _cold()
        t0 = time.perf_counter()
        result, _ = grade_problem(catalog, problem, ANSWERS)
        whole.append(time.perf_counter() - t0)
    assert [p.score for p in result.parts] == [0.5, 1.0, 0.5, 1.0], result
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"one matrix_expr part (dL/dW1, diagnosed): median {statistics.median(one) * 1000:.1f} ms "
          f"(min {min(one) * 1000:.1f}, max {max(one) * 1000:.1f}; target < 300 ms)")
    print(f"ece661-hw1 symbolic parts (q3.1, 4 parts): median {statistics.median(whole) * 1000:.1f} ms "
          f"(min {min(whole) * 1000:.1f}, max {max(whole) * 1000:.1f}; target < 2000 ms)")


if __name__ == "__main__":
    main()

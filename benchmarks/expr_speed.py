"""How long formula parts take to check (issue 3: symbolic answers).

Targets: a typical matrix_expr part (a mistake to diagnose, the slow path)
under 0.3 s median; the whole symbolic part of ece661-hw1 and coms573-hw5 (q3.1's
four formulas, q3a's 4×8 symbol matrix, q3b's Aᵀ, q3c's kernels; right and wrong answers
mixed) under 2 s. Each run starts from cold caches
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

from gradekit.catalog.catalog import load_catalog
from gradekit.check.expr import compare
from gradekit.check.expr import symmatrix
from gradekit.grading.problem import grade_problem

ANSWERS = {
    "dL/dW1": r"\left( W_2^\top (t - x_3) \odot x_2 \odot (1 - x_2) \right) x_1^T",  # sign flipped: diagnosed
    "dL/dW2": "(x3 - t) @ x2.T",
    "dL/db1": "W2ᵀ(x3 − t)",  # activation derivative missing: diagnosed
    "dL/db2": "x3 - t",
}


# coms573-hw5 q3: the seed's own answers (its second backward kernel is unflipped: diagnosed)
A = (r"\begin{bmatrix} w_1^{11} & w_2^{11} & w_3^{11} & 0 & w_1^{21} & w_2^{21} & w_3^{21} & 0 \\ 0 & w_1^{11} & "
     r"w_2^{11} & w_3^{11} & 0 & w_1^{21} & w_2^{21} & w_3^{21} \\ w_1^{12} & w_2^{12} & w_3^{12} & 0 & w_1^{22} & "
     r"w_2^{22} & w_3^{22} & 0 \\ 0 & w_1^{12} & w_2^{12} & w_3^{12} & 0 & w_1^{22} & w_2^{22} & w_3^{22} \end{bmatrix}")
CONV = {
    "coms573-hw5/q3a": {"A": A},
    "coms573-hw5/q3b": {"B": "A^T"},
    "coms573-hw5/q3c": {"is_convolution": "yes", "padding": 2,
                        "kernel1": [["w_3^{11}", "w_2^{11}", "w_1^{11}"], ["w_3^{12}", "w_2^{12}", "w_1^{12}"]],
                        "kernel2": [["w_1^{21}", "w_2^{21}", "w_3^{21}"], ["w_1^{22}", "w_2^{22}", "w_3^{22}"]]},
}


def _cold() -> None:
    for f in (compare._declare, compare._reference, compare._instances, symmatrix._reference, symmatrix._envs):
        f.cache_clear()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=9)
    runs = ap.parse_args().runs
    catalog = load_catalog()
    problem = catalog.resolve("ece661-hw1/q3.1")
    catalog.solve(problem)
    conv = [catalog.resolve(q) for q in CONV]
    for prob in conv:
        catalog.solve(prob)
    one, whole, both = [], [], []
    for _ in range(runs):
        _cold()
        t0 = time.perf_counter()
        grade_problem(catalog, problem, {"dL/dW1": ANSWERS["dL/dW1"]})
        one.append(time.perf_counter() - t0)
        _cold()
        t0 = time.perf_counter()
        result, _ = grade_problem(catalog, problem, ANSWERS)
        whole.append(time.perf_counter() - t0)
        _cold()
        t0 = time.perf_counter()
        scores = [p.score for p in grade_problem(catalog, problem, ANSWERS)[0].parts]
        for prob in conv:
            scores += [p.score for p in grade_problem(catalog, prob, CONV[prob.qualified_id])[0].parts]
        both.append(time.perf_counter() - t0)
    assert scores == [0.5, 1.0, 0.5, 1.0, 5, 5, 2, 2, 3, 0.75], scores
    assert [p.score for p in result.parts] == [0.5, 1.0, 0.5, 1.0], result
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"one matrix_expr part (dL/dW1, diagnosed): median {statistics.median(one) * 1000:.1f} ms "
          f"(min {min(one) * 1000:.1f}, max {max(one) * 1000:.1f}; target < 300 ms)")
    print(f"ece661-hw1 symbolic parts (q3.1, 4 parts): median {statistics.median(whole) * 1000:.1f} ms "
          f"(min {min(whole) * 1000:.1f}, max {max(whole) * 1000:.1f}; target < 2000 ms)")
    print(f"ece661-hw1 + coms573-hw5 symbolic parts (q3.1, q3a, q3b, q3c; 10 parts): median "
          f"{statistics.median(both) * 1000:.1f} ms (min {min(both) * 1000:.1f}, max {max(both) * 1000:.1f}; target < 2000 ms)")


if __name__ == "__main__":
    main()

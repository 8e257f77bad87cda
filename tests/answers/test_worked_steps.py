"""Worked steps read like a solution: each step once, Unicode math, matrices as grids; their numbers are the answers."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from gradekit.catalog.catalog import load_catalog
from gradekit.cli.commands import main
from gradekit.output.terminal import grid, step_lines

CAT = load_catalog()
NUMERIC = {"number", "vector", "matrix", "integer", "shape"}


def _numbers(value) -> list[float]:
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return []
    return arr.ravel().tolist()


@pytest.mark.parametrize("problem", [p for p in CAT.problems() if CAT.solve(p).steps],
                         ids=lambda p: p.qualified_id)
def test_every_answer_is_recomputed_in_the_steps(problem):
    """Each numeric answer's numbers appear among the family's own step values (not templated text)."""
    sol = CAT.solve(problem)
    shown = np.array([x for step in sol.steps for v in dict(step.values).values() for x in _numbers(v)] or [np.nan])
    for part in problem.parts:
        if part.kind not in NUMERIC or part.name not in sol.answers:
            continue
        for x in _numbers(sol.answers[part.name]):
            assert np.any(np.isclose(shown, x, rtol=1e-9, atol=1e-12)), (part.name, x)


def test_a_matrix_is_an_aligned_grid():
    assert grid([[0, 0, 0], [34, 34, -34]]) == "⎡ 0   0    0⎤\n⎣34  34  -34⎦"
    assert grid([[1, 2], [3, 4], [5, 6]]).splitlines()[1] == "⎢3  4⎥"
    assert grid([1, 2, 3]) is None and grid(5) is None


def test_each_step_prints_once_without_latex_or_repeated_values():
    r = CliRunner().invoke(main, ["solve", "q3.2", "--show-steps"])
    assert r.exit_code == 0
    assert "\\frac" not in r.output and "\\begin" not in r.output  # LaTeX is for markdown, latex and JSON
    assert r.output.count("dL/dW1 = dL/dz x1ᵀ") == 1
    assert "⎣34  34  -34⎦" in r.output
    # a value the formula already shows is not printed again under it
    step = next(s for s in CAT.solve(CAT.resolve("ece661-hw1/q3.2")).steps if s.title == "Loss")
    assert step_lines(step).count("116") == 1


def test_no_count_with_bias_shown_when_no_layer_has_one():
    sol = CAT.solve(CAT.resolve("coms573-hw5/q1"))
    assert all("params_with_bias" not in dict(s.values) for s in sol.steps)
    r = CliRunner().invoke(main, ["solve", "coms573-hw5/q1", "--show-steps"])
    assert "params_with_bias" not in r.output and "1474560" in r.output

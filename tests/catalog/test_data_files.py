"""Params from a data file beside the spec: ECE 661 Lab 1 graded against an instructor's own dataset.mat."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from scipy.io import savemat

from gradekit.core.errors import ParamError, SpecError
from gradekit.grading.answers import grade_answers
from gradekit.catalog.catalog import load_catalog, load_problem
from gradekit.catalog.datafiles import MAX_BYTES, resolve_data

PROBLEMS = Path(__file__).resolve().parents[2] / "problems"


def _course_data(n=100, seed=5):
    """A dataset.mat as the course's (X 100×3 with a column of ones, D 100×1), from numbers not the stand-in's."""
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.uniform(-1, 1, (n, 2))])
    D = (X @ np.array([0.5, -1.5, 2.0]) + 0.05 * rng.standard_normal(n)).reshape(n, 1)
    return X, D


@pytest.fixture()
def course_catalog(tmp_path):
    """The catalog with ece661-hw1/lab1 pointing at dataset.mat beside its spec."""
    root = tmp_path / "problems"
    shutil.copytree(PROBLEMS / "ece661-hw1", root / "ece661-hw1", ignore=shutil.ignore_patterns("__pycache__"))
    X, D = _course_data()
    savemat(root / "ece661-hw1" / "dataset.mat", {"X": X, "D": D})
    lab = root / "ece661-hw1" / "lab1.toml"
    text = lab.read_text()
    start, end = text.index("[params]\n"), text.index("rate = 0.005")
    lab.write_text(text[:start] + '[params]\nX = { file = "dataset.mat", key = "X" }\n'
                   'D = { file = "dataset.mat", key = "D" }\n' + text[end:])
    return load_catalog(root), X, D.reshape(-1)


def test_lab1_grades_against_the_instructors_dataset_mat(course_catalog):
    catalog, X, D = course_catalog
    problem = catalog.resolve("ece661-hw1/lab1")
    w_star = np.linalg.solve(X.T @ X, X.T @ D)  # worked out here, independently of the family
    assert np.allclose(catalog.solve(problem).answers["W_star"], w_star, rtol=1e-10)
    answer = {"ece661-hw1/lab1": {"W_star": w_star.tolist()}}
    report = grade_answers(answer, catalog=catalog)
    part = next(p for prob in report.problems if prob.id == "lab1" for p in prob.parts if p.name == "W_star")
    assert part.verdict == "correct" and part.score == 1.5
    # the seeded stand-in's answer is now wrong: the course's file is what is graded
    stand_in = load_catalog().solve(load_catalog().resolve("ece661-hw1/lab1")).answers["W_star"]
    report = grade_answers({"ece661-hw1/lab1": {"W_star": np.asarray(stand_in).tolist()}}, catalog=catalog)
    part = next(p for prob in report.problems if prob.id == "lab1" for p in prob.parts if p.name == "W_star")
    assert part.score == 0


def test_npy_and_csv_files_and_what_goes_wrong(tmp_path):
    np.save(tmp_path / "w.npy", np.arange(6.0).reshape(2, 3))
    (tmp_path / "t.csv").write_text("1,2,3\n4,5,6\n")
    got = resolve_data({"W": {"file": "w.npy"}, "T": {"file": "t.csv"}, "n": 3}, tmp_path)
    assert got == {"W": [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]], "T": [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], "n": 3}
    savemat(tmp_path / "d.mat", {"X": np.ones((2, 2))})
    for ref, says in (({"file": "nope.mat", "key": "X"}, "no such file beside the spec"),
                      ({"file": "d.mat", "key": "Y"}, "names variable 'Y' of 'd.mat', which holds X"),
                      ({"file": "d.mat"}, "say which variable with key"),
                      ({"file": "w.npy", "key": "X"}, "only a .mat file holds named variables"),
                      ({"file": "w.txt"}, "a data file is one of .mat, .npy, .csv")):
        with pytest.raises(ParamError, match=says):
            resolve_data({"X": ref}, tmp_path)
    (tmp_path / "big.npy").write_bytes(b"\0" * (MAX_BYTES + 1))
    with pytest.raises(ParamError, match="bytes; at most"):
        resolve_data({"X": {"file": "big.npy"}}, tmp_path)
    pickled = tmp_path / "obj.npy"
    np.save(pickled, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ParamError, match="cannot read obj.npy"):  # no pickles from a data file
        resolve_data({"X": {"file": "obj.npy"}}, tmp_path)


def test_a_bad_data_file_is_a_spec_error_naming_the_param(course_catalog, tmp_path):
    lab = tmp_path / "lab1.toml"
    lab.write_text((PROBLEMS / "ece661-hw1" / "lab1.toml").read_text().replace(
        "[params]\n", '[params]\nX = { file = "missing.mat", key = "X" }\nD = { file = "missing.mat", key = "D" }\n'))
    with pytest.raises(SpecError, match="X.*missing.mat"):
        load_problem(lab, "ece661-hw1")

"""Code problems declared from a course's own starter and solution (``[code]`` specs), graded as a TA would.

Two courses no family was written for (tests/courses/): CMU 11-785 HW1P1's MyTorch ``Linear`` and
``BatchNorm1d``, and Stanford CS231n assignment 2's ``layers.py`` and PyTorch ``ThreeLayerConvNet``. Their
starters are the courses' own files; the solutions are ours (cross-checked against torch autograd below);
students' files are real ones from public repositories (tests/courses/students/, each named after its
repository) and slips written as students write them.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from gradekit.core.errors import SpecError
from gradekit.grading.code import ModuleOptions, grade_module
from gradekit.catalog.catalog import load_assignment, read_catalog

COURSES = Path(__file__).parents[1] / "courses"
STUDENTS = COURSES / "students"


@pytest.fixture(scope="module")
def catalog():
    return read_catalog(extra=[COURSES])


def points(catalog, path: Path, problem: str) -> dict[str, float]:
    report = grade_module(path, ModuleOptions(problem=problem, catalog=catalog))
    return {p.name: p.score for p in report.problems[0].parts}


def feedback(catalog, path: Path, problem: str) -> dict[str, str]:
    report = grade_module(path, ModuleOptions(problem=problem, catalog=catalog))
    return {p.name: p.feedback for p in report.problems[0].parts}


def slip(tmp_path: Path, course: str, name: str, *edits: tuple[str, str]) -> Path:
    """The course's solution with ``edits`` (old, new) made, saved as a student's ``name``."""
    text = (COURSES / course / f"{name.split('.')[0]}_solution.py").read_text()
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / name
    path.write_text(text)
    return path


# --- real students' files, graded as submitted --------------------------------------------------
@pytest.mark.parametrize("file, problem, expected", [
    # correct, as the course's autograder judged them
    ("linear_rutvikjoshi63.py", "cmu11785-hw1p1/linear", 6),
    ("linear_joshianirudh.py", "cmu11785-hw1p1/linear", 6),  # prints Z and dLdA: output, not an error
    # backward returns self.dLdA, set only with debug=True, which the course's autograder (and the spec) uses
    ("linear_rutvikjoshi63_e2a5b67.py", "cmu11785-hw1p1/linear", 6),
    ("batchnorm_rutvikjoshi63.py", "cmu11785-hw1p1/batchnorm", 6),
    # dLdBW, dLdBb of shape (C,): the course's np.allclose broadcasts them; the spec prices `reshaped` at 1
    ("batchnorm_joshianirudh.py", "cmu11785-hw1p1/batchnorm", 6),
    ("layers_AgainstEntropy.py", "cs231n-a2/layers", 8),
    ("layers_7forz.py", "cs231n-a2/layers", 8),  # the 2019 handout's file
])
def test_real_students_files_get_the_courses_marks(catalog, file, problem, expected):
    assert sum(points(catalog, STUDENTS / problem.split("/")[0] / file, problem).values()) == expected


def test_real_convnets_structure_and_forward(catalog):
    folder = STUDENTS / "cs231n-a2"
    assert points(catalog, folder / "convnet_0suh.py", "cs231n-a2/convnet") == {
        "ThreeLayerConvNet.__init__": 2, "ThreeLayerConvNet.forward": 2}
    # nn.Flatten() and padding='same': layers without weights are not structure, the same convolution is
    assert points(catalog, folder / "convnet_AnirudhM1.py", "cs231n-a2/convnet") == {
        "ThreeLayerConvNet.__init__": 2, "ThreeLayerConvNet.forward": 2}
    # nn.Linear(channel_2 * 32 * 32, 10): num_classes ignored, named and priced; its forward is right
    said = feedback(catalog, folder / "convnet_AgainstEntropy.py", "cs231n-a2/convnet")
    assert "K = 3 is passed to the constructor, but the model does not use it" in said["ThreeLayerConvNet.__init__"]
    assert points(catalog, folder / "convnet_AgainstEntropy.py", "cs231n-a2/convnet") == {
        "ThreeLayerConvNet.__init__": 1, "ThreeLayerConvNet.forward": 2}


@pytest.mark.parametrize("problem, total", [("cmu11785-hw1p1/linear", 6), ("cmu11785-hw1p1/batchnorm", 6),
                                            ("cs231n-a2/layers", 8)])
def test_the_courses_own_starters_score_zero_as_not_implemented(catalog, problem, total):
    course, pid = problem.split("/")
    report = grade_module(COURSES / course / f"{pid}_starter.py", ModuleOptions(problem=problem, catalog=catalog))
    parts = report.problems[0].parts
    assert [p.verdict for p in parts] == ["missing"] * len(parts)
    assert sum(p.max_score for p in parts) == total


# --- slips as students write them, priced as the specs say -----------------------------------------
LINEAR = "cmu11785-hw1p1"


@pytest.mark.parametrize("edits, expected, words", [
    ((), {"Linear.__init__": 1, "Linear.forward": 2, "Linear.backward": 3}, ""),
    # dLdW as Aᵀ dLdZ: transposed, half its third
    ((("self.dLdW = dLdZ.T @ self.A", "self.dLdW = self.A.T @ dLdZ"),),
     {"Linear.__init__": 1, "Linear.forward": 2, "Linear.backward": 2.5}, "layer.dLdW is the transpose"),
    # a 1/N where the course sums over the batch
    ((("self.dLdb = dLdZ.T @ self.ones", "self.dLdb = dLdZ.T @ self.ones / self.N"),),
     {"Linear.__init__": 1, "Linear.forward": 2, "Linear.backward": 2.5}, "a mean where the sum is asked"),
    # the bias left out of Z
    ((("Z = self.A @ self.W.T + self.ones @ self.b.T", "Z = self.A @ self.W.T"),),
     {"Linear.__init__": 1, "Linear.forward": 1, "Linear.backward": 3}, "a bias left out"),
    # the gradient computed but not stored
    ((("self.dLdW = dLdZ.T @ self.A", "dLdW = dLdZ.T @ self.A"),),
     {"Linear.__init__": 1, "Linear.forward": 2, "Linear.backward": 2}, "layer.dLdW was never set"),
    # a constructor that ignores an argument: W square in_features × in_features
    ((("self.W = np.zeros((out_features, in_features))", "self.W = np.zeros((in_features, in_features))"),),
     {"Linear.__init__": 0.5, "Linear.forward": 2, "Linear.backward": 3}, "layer.W has shape"),
    # the sign of dLdA flipped
    ((("dLdA = dLdZ @ self.W", "dLdA = -(dLdZ @ self.W)"),),
     {"Linear.__init__": 1, "Linear.forward": 2, "Linear.backward": 2}, "the opposite sign"),
])
def test_linear_slips_cost_what_the_spec_prices(catalog, tmp_path, edits, expected, words):
    path = slip(tmp_path, LINEAR, "linear.py", *edits)
    report = grade_module(path, ModuleOptions(problem=f"{LINEAR}/linear", catalog=catalog))
    parts = report.problems[0].parts
    assert {p.name: p.score for p in parts} == expected
    assert words in " ".join(p.feedback for p in parts)


def test_a_wrong_axis_costs_that_value_and_says_both_shapes(catalog, tmp_path):
    path = slip(tmp_path, "cs231n-a2", "layers.py", ("db = dout.sum(axis=0)", "db = dout.sum(axis=1)"))
    report = grade_module(path, ModuleOptions(problem="cs231n-a2/layers", catalog=catalog))
    back = next(p for p in report.problems[0].parts if p.name == "affine_backward")
    assert back.score == pytest.approx(2 * 2 / 3)
    # the sizes are named where the case's sizes tell them apart (the draws change with every byte of the file)
    assert re.search(r"db has shape (\(N,\) = )?\(\d+,\), expected (\(M,\) = )?\(\d+,\)", back.feedback), back.feedback


def test_one_function_wrong_keeps_the_others_points(catalog, tmp_path):
    # batchnorm's backward with the mean of dbeta: forward untouched keeps its points
    path = slip(tmp_path, "cs231n-a2", "layers.py", ("dbeta = dout.sum(axis=0)", "dbeta = dout.mean(axis=0)"))
    got = points(catalog, path, "cs231n-a2/layers")
    assert got == {"affine_forward": 1, "affine_backward": 2, "batchnorm_forward": 2, "batchnorm_backward": 2.5}


def test_the_draws_change_with_the_file_and_a_table_of_answers_fails(catalog, tmp_path):
    # a file that returns the right Z for the cases it was told about cannot know the next file's cases
    first = feedback(catalog, slip(tmp_path, LINEAR, "linear.py", ("Z = self.A", "Z = 2 * self.A")), f"{LINEAR}/linear")
    again = feedback(catalog, slip(tmp_path, LINEAR, "linear.py", ("Z = self.A", "Z = 2.0 * self.A")), f"{LINEAR}/linear")
    assert first["Linear.forward"] != again["Linear.forward"]


# --- the solutions are right: cross-checked against torch autograd --------------------------------
def _module(path: Path):
    import importlib.util

    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_our_solutions_agree_with_torch_autograd():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    lin = _module(COURSES / LINEAR / "linear_solution.py").Linear(4, 3)
    lin.W, lin.b = rng.normal(size=(3, 4)), rng.normal(size=(3, 1))
    A, dLdZ = rng.normal(size=(5, 4)), rng.normal(size=(5, 3))
    Z = lin.forward(A)
    dLdA = lin.backward(dLdZ)
    At, Wt, bt = (torch.tensor(v, requires_grad=True) for v in (A, lin.W, lin.b))
    Zt = At @ Wt.T + bt.T
    Zt.backward(torch.tensor(dLdZ))
    for ours, theirs in ((Z, Zt), (dLdA, At.grad), (lin.dLdW, Wt.grad), (lin.dLdb, bt.grad)):
        np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-10, atol=1e-12)

    bn = _module(COURSES / LINEAR / "batchnorm_solution.py").BatchNorm1d(3)
    bn.BW, bn.Bb = rng.normal(size=(1, 3)), rng.normal(size=(1, 3))
    Zin, dLdBZ = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    out = bn.forward(Zin)
    dLdZ_bn = bn.backward(dLdBZ)
    Zt, gt, bt = (torch.tensor(v, requires_grad=True) for v in (Zin, bn.BW[0], bn.Bb[0]))
    ref = torch.nn.functional.batch_norm(Zt, None, None, gt, bt, training=True, eps=1e-8)
    ref.backward(torch.tensor(dLdBZ))
    for ours, theirs in ((out, ref), (dLdZ_bn, Zt.grad), (bn.dLdBW[0], gt.grad), (bn.dLdBb[0], bt.grad)):
        np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-6, atol=1e-8)


# --- specs that cannot be graded are refused, with the field and a did-you-mean ---------------------
def _course_copy(tmp_path: Path, course: str, spec: str, old: str, new: str) -> Path:
    folder = tmp_path / course
    folder.mkdir()
    for f in (COURSES / course).iterdir():
        text = f.read_text()
        (folder / f.name).write_text(text.replace(old, new) if f.name == spec else text)
    return folder


@pytest.mark.parametrize("old, new, message", [
    ("compare = [\"Z\"]", "compare = [\"ZZ\"]", "code.parts.Linear.forward.compare names 'ZZ', which the steps never "
                                                "bind; did you mean 'Z'?"),
    ("\"Z = layer.forward(A)\"]", "\"Z = layer.forwrd(AA)\"]", "uses 'AA', which is no input"),
    ("partial = { missing_bias = 0.5 }", "partial = { missing_bais = 0.5 }",
     "prices 'missing_bais', which a generated check never names"),
    ("A = \"float64[N, C0]\"", "A = \"float64[N, Cin]\"", "code.inputs.A uses the size 'Cin', which [code.dims] does "
                                                          "not declare"),
    ("starter = \"linear_starter.py\"", "starter = \"linear_startr.py\"", "code.starter: cannot read linear_startr.py"),
    ("[code]", "[code]\nlibary = \"numpy\"", "code.libary is not a field of [code]"),
])
def test_a_code_spec_mistake_is_one_line_with_the_field(tmp_path, old, new, message):
    folder = _course_copy(tmp_path, LINEAR, "linear.toml", old, new)
    with pytest.raises(SpecError) as e:
        load_assignment(folder)
    assert message in str(e.value) and "\n" not in str(e.value)


@pytest.mark.parametrize("course, starter, parts", [
    ("cmu11785-hw1p1", "linear", ["Linear.__init__", "Linear.forward", "Linear.backward"]),
    ("cs231n-a2", "layers", ["affine_forward", "affine_backward", "batchnorm_forward", "batchnorm_backward"]),
])
def test_new_module_reads_the_parts_from_the_courses_files_and_validates_as_written(tmp_path, course, starter, parts):
    import tomllib

    from click.testing import CliRunner

    from gradekit.cli import main

    folder = tmp_path / "hw"
    folder.mkdir()
    (folder / "assignment.toml").write_text('name = "hw"\ntitle = "HW"\n')
    r = CliRunner().invoke(main, ["new", "module", "--starter", str(COURSES / course / f"{starter}_starter.py"),
                                  "--solution", str(COURSES / course / f"{starter}_solution.py"), "--id", starter,
                                  "--file", f"{starter}.py", "--dir", str(folder)])
    assert r.exit_code == 0, r.output
    spec = tomllib.loads((folder / f"{starter}.toml").read_text())
    assert [p["name"] for p in spec["parts"]] == parts
    assert (folder / f"{starter}_starter.py").read_text() == (COURSES / course / f"{starter}_starter.py").read_text()
    assert {p.name for p in load_assignment(folder).problems[0].parts} == set(parts)
    if course == "cs231n-a2":  # the backward is fed its own forward's cache, by the names the starter returns
        back = next(p for p in spec["parts"] if p["name"] == "batchnorm_backward")
        assert back["steps"] == ["out, cache = batchnorm_forward(x, gamma, beta, bn_param)",
                                 "dx, dgamma, dbeta = batchnorm_backward(dout, cache)"]
        assert back["compare"] == ["dx", "dgamma", "dbeta"]

"""A written problem whose reference is the instructor's solution.py, and what validate catches (issue 34).

solution.py runs bounded (a forked child with CPU and memory limits): an exception, a loop or a runaway
allocation in it is one line naming the spec and the file, never a hung grader. Its results are cached per
file, params and the student's given answers. validate refuses parts a reference never produces and partial
keys nothing names, with a did-you-mean.
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from gradekit.cli.commands import main
from gradekit.core.bounded import Budget
from gradekit.core.errors import SpecError
from gradekit.grading.problem import grade_problem
from gradekit.catalog import solution as solution_module
from gradekit.catalog.catalog import read_catalog
from gradekit.catalog.validate import validate

COURSE = Path(__file__).parents[1] / "courses" / "cmu11785-hw1-written-py"


def course(tmp_path: Path, solution: str, spec_extra: str = "", params: str = "x = 3") -> Path:
    folder = tmp_path / "hw9"
    folder.mkdir()
    (folder / "assignment.toml").write_text('name = "hw9"\ntitle = "nine"\n')
    (folder / "q1.toml").write_text(textwrap.dedent(f'''\
        id = "q1"
        title = "double and count"
        solution = "solution.py"
        statement = "x = {{{{x}}}}"
        {spec_extra}
        [params]
        {params}

        [[parts]]
        name = "y"
        kind = "number"

        [[parts]]
        name = "n"
        kind = "integer"
        partial = {{ carried_forward = 0.5 }}
        '''))
    (folder / "solution.py").write_text(textwrap.dedent(solution))
    return tmp_path


DOUBLE = '''
    from gradekit.plugin import Solution, Step

    def solve(params, given={}):
        y = given.get("y", 2 * params["x"])
        return Solution({"y": y, "n": int(round(float(y))) + 1}, [Step("Double", f"y = 2x = {y}")])
    '''


def test_a_solution_file_grades_shows_and_solves_like_a_family(tmp_path):
    catalog = read_catalog(course(tmp_path, DOUBLE))
    problem = catalog.resolve("hw9/q1")
    assert catalog.solve(problem).answers == {"y": 6, "n": 7}
    assert catalog.solve(problem).steps[0].text == "y = 2x = 6"
    result, _ = grade_problem(catalog, problem, {"y": "6.0", "n": "7"})
    assert [p.verdict.value for p in result.parts] == ["correct", "correct"]
    # n right for the student's own y: carried forward at the spec's price
    result, _ = grade_problem(catalog, problem, {"y": "5", "n": "6"})
    assert [(p.verdict.value, p.score, p.diagnosis) for p in result.parts] == [
        ("wrong", 0.0, None), ("partial", 0.5, "carried_forward")]
    cli = CliRunner().invoke(main, ["solve", "hw9/q1", "--json"], env={"GRADEKIT_PROBLEMS": str(tmp_path)})
    assert cli.exit_code == 0 and '"y": 6' in cli.output and "y = 2x = 6" in cli.output
    shown = CliRunner().invoke(main, ["show", "hw9/q1"], env={"GRADEKIT_PROBLEMS": str(tmp_path)})
    assert shown.exit_code == 0 and "double and count" in shown.output


def test_each_students_variant_calls_the_solution_with_its_params(tmp_path):
    from gradekit.catalog.variants import variant

    catalog = read_catalog(course(tmp_path, DOUBLE, params='x = { random = "int", low = 1, high = 9 }'))
    problem = catalog.resolve("hw9/q1")
    for student in ("1001", "1002", "1003"):
        drawn = variant(catalog, problem, student)
        x = drawn.validated_params["x"]
        assert catalog.solve(drawn).answers == {"y": 2 * x, "n": 2 * x + 1}


def test_results_are_cached_per_file_params_and_given(tmp_path, monkeypatch):
    runs = []
    real = solution_module.run_bounded
    monkeypatch.setattr(solution_module, "run_bounded", lambda *a: runs.append(a[1][2:]) or real(*a))
    family = solution_module.load_solution("q.toml", course(tmp_path, DOUBLE) / "hw9" / "q1.toml", "solution.py")
    for _ in range(3):
        assert family.solve({"x": 4}).answers["y"] == 8
        assert family.carry({"x": 4}, {"y": 7})["n"] == 8
    assert family.solve({"x": 5}).answers["y"] == 10
    assert len(runs) == 3  # x = 4; x = 4 given y = 7; x = 5


@pytest.mark.parametrize("solution, says", [
    ("def solve(params):\n    return {'y': 1 / 0}\n", "solution.py: solve: line 2: ZeroDivisionError: division by zero"),
    ("def solve(params):\n    return [1, 2]\n", "solution.py: solve: TypeError: returned list, but must return a dict"),
    ("def solve(params):\n    while True:\n        pass\n", "solution.py: solve ran over 1 s of CPU time"),
    ("def solve(params):\n    return {'y': bytearray(2 << 30)}\n", "solution.py: solve used over 256 MiB of memory"),
])
def test_a_bug_in_the_solution_is_one_line_naming_the_spec(tmp_path, monkeypatch, solution, says):
    monkeypatch.setattr(solution_module, "BUDGET", Budget(cpu_seconds=1, memory_bytes=256 << 20))
    catalog = read_catalog(course(tmp_path, solution))
    with pytest.raises(SpecError) as e:
        catalog.solve(catalog.resolve("hw9/q1"))
    assert "/hw9/q1.toml: " in str(e.value) and says in str(e.value) and "\n" not in str(e.value)


@pytest.mark.parametrize("solution, extra, says", [
    ("def solv(params):\n    return {}\n", "", "solution.py defines no solve(params)"),
    ("def solve(params):\n    return {\n", "", "solution.py line 2: '{' was never closed"),
    (DOUBLE, 'family = "lms"', "gives both family and solution"),
])
def test_a_solution_file_that_cannot_be_one_is_refused_at_load(tmp_path, solution, extra, says):
    catalog = read_catalog(course(tmp_path, solution, spec_extra=extra))
    assert says in str(catalog.broken["hw9"])


def test_the_bundle_carries_the_solution_files_beside_the_specs(tmp_path):
    import zipfile

    from gradekit.course.bundle_files import instructor_files

    files = instructor_files(read_catalog(COURSE), "cmu11785-hw1-written-py")
    assert sorted(n for n in files if n.endswith(".py")) == [
        f"problems/cmu11785-hw1-written-py/{n}"
        for n in ("bn_backward_solution.py", "ce_batch_solution.py", "linear_backward_solution.py")]
    bundle = tmp_path / "ag.zip"
    r = CliRunner().invoke(main, ["--problems", str(COURSE), "autograder", "build", "cmu11785-hw1-written-py",
                                  "-o", str(bundle)])
    assert r.exit_code == 0, r.output
    names = zipfile.ZipFile(bundle).namelist()
    assert {f"problems/cmu11785-hw1-written-py/{n}" for n in ("ce_batch.toml", "ce_batch_solution.py")} <= set(names)


# -- validate -------------------------------------------------------------------------------------------------

def _validate_copy(tmp_path, edit) -> list[str]:
    folder = tmp_path / "cmu11785-hw1-written-py"
    shutil.copytree(COURSE, folder)
    edit(folder)
    return validate([tmp_path])[1]


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_validate_names_a_part_the_solution_never_gives(tmp_path):
    errors = _validate_copy(tmp_path, lambda f: _replace(f / "linear_backward.toml", 'name = "dLdW"', 'name = "dLdw"'))
    assert len(errors) == 1
    assert errors[0].endswith("cmu11785-hw1-written-py/linear_backward.toml: parts[2].name is 'dLdw', but "
                              "linear_backward_solution.py gives no such answer; did you mean 'dLdW'? "
                              "(it gives: Z, dLdA, dLdW, dLdb)")


def test_validate_names_a_partial_key_nothing_names(tmp_path):
    errors = _validate_copy(tmp_path, lambda f: _replace(f / "ce_batch.toml", "scope = 0.5, too_few_digits",
                                                         "scope = 0.5, too_few_digit"))
    assert len(errors) == 1
    assert "ce_batch.toml: parts[1].partial prices 'too_few_digit', which nothing names for a number part; " \
           "did you mean 'too_few_digits'?" in errors[0]


def test_validate_refuses_carried_forward_where_nothing_recomputes(tmp_path):
    errors = _validate_copy(tmp_path, lambda f: _replace(f / "linear_backward.toml", "partial = { per_entry = 0.5 }",
                                                         "partial = { carried_forward = 1.0 }"))
    assert len(errors) == 1 and "cannot recompute a part from a student's earlier answers" in errors[0]


def test_validate_catches_a_family_specs_typos_too(tmp_path):
    folder = tmp_path / "hw8"
    shutil.copytree(Path(__file__).parents[2] / "problems" / "cmu11785-hw1-written", folder)
    (folder / "assignment.toml").write_text('name = "hw8"\ntitle = "eight"\n')
    _replace(folder / "ce_batch.toml", 'name = "loss"', 'name = "Loss"')
    _replace(folder / "bn_backward.toml", "sample_variance = 0.5", "transposd = 0.5")
    errors = validate([tmp_path])[1]
    assert any("parts[1].name is 'Loss', but family softmax_ce.batch gives no such answer; did you mean 'loss'?" in e
               for e in errors)
    assert any("prices 'transposd', which nothing names for a matrix part; did you mean 'transposed'?" in e
               for e in errors)


def test_a_1d_input_to_a_2d_counting_family_is_refused_until_dims_says(tmp_path):
    from gradekit.core.errors import ParamError
    from gradekit.core.families import registry

    fam = registry()["counting.layers"]
    layers = [{"type": "conv", "out": 32, "kernel": 3, "padding": 1}]
    with pytest.raises(ParamError, match=r"looks like a 1-D batch \[N, C, L\]; say which with dims"):
        fam.check({"input": [1, 24, 128], "layers": layers})
    one_d = fam.solve(fam.check({"input": [1, 24, 128], "layers": layers, "dims": "1d"})).answers
    assert one_d["conv1.output_shape"] == (1, 32, 128) and one_d["conv1.weight_shape"] == (32, 24, 3)
    assert one_d["conv1.macs"] == 128 * 3 * 24 * 32  # L_out · k · C_in · C_out
    image = fam.solve(fam.check({"input": [1, 24, 128], "layers": layers, "dims": "2d"})).answers
    assert image["conv1.output_shape"] == (32, 24, 128)


def test_macs_per_batch_and_the_other_scope_named():
    from gradekit.core.families import registry

    fam = registry()["counting.block"]
    raw = {"input": [2, 3, 8, 8], "layers": [{"type": "conv", "out": 4, "kernel": 3, "padding": 1}]}
    per_image = fam.solve(fam.check(raw)).answers["macs"]
    assert per_image == 8 * 8 * 3 * 3 * 3 * 4
    p = fam.check({**raw, "macs": "per_batch"})
    assert fam.solve(p).answers["macs"] == 2 * per_image
    scope = [m for m in fam.mistakes(p) if m.id == "scope"]
    assert scope and scope[0].answers["macs"] == per_image


def test_family_name_states_its_conventions():
    out = CliRunner().invoke(main, ["family", "linear.backward"]).output
    assert "Conventions (each set by a parameter):" in out
    assert "weight = 'out_in' (or 'in_out'): the weight's layout" in out
    assert "examples = 'rows' (or 'columns')" in out
    assert "Carries forward" in CliRunner().invoke(main, ["family", "softmax_ce.batch"]).output


def test_the_guide_states_the_plugin_api_and_the_generic_credit():
    import dataclasses
    import re

    from gradekit.check.credit import GENERIC_CREDIT
    from gradekit.core.families import PARAM_TYPES
    from gradekit.plugin import Family, Mistake, Param, Solution, Step

    guide = (Path(__file__).parents[2] / "docs" / "authoring.md").read_text(encoding="utf-8")
    api = guide.split("### The plug-in API", 1)[1]
    for cls in (Family, Param, Solution, Step, Mistake):
        signature = re.search(rf"^{cls.__name__}\((.*?)\)$", api, re.S | re.M).group(1)
        assert [f.name for f in dataclasses.fields(cls)] == re.findall(r"(\w+):", signature), cls.__name__
    assert all(f"`{t}`" in api for t in PARAM_TYPES)
    table = guide.split("### Credit beyond right and wrong", 1)[1].split("\n\n")[2]
    keys = re.findall(r"^\| `(\w+)` \|", table, re.M)
    assert set(keys) <= set(GENERIC_CREDIT) | {"scope"}
    assert {"carried_forward", "too_few_digits", "per_entry", "scope", "transposed"} <= set(keys)


def test_the_single_example_softmax_step_can_ask_its_loss():
    import numpy as np

    from gradekit.core.families import registry

    fam = registry()["softmax_ce.sgd_step"]
    p = fam.check({"W": [[1, 0], [0, -1]], "B": [0, 0], "X": [1, 1], "P": [0.3, 0.7], "alpha": 0.02})
    z = np.array([1.0, -1.0])
    q = np.exp(z) / np.exp(z).sum()
    assert abs(fam.solve(p).answers["E"] - -(0.3 * np.log(q[0]) + 0.7 * np.log(q[1]))) < 1e-12


def layers_course(tmp_path, parts: str) -> None:
    """hw7/q1 under ``tmp_path``: a stride-2 conv, a conv and a linear layer (counting.layers), its first part
    conv1.output_shape, then ``parts`` (TOML [[parts]] tables)."""
    folder = tmp_path / "hw7"
    folder.mkdir()
    (folder / "assignment.toml").write_text('name = "hw7"\ntitle = "seven"\n')
    (folder / "q1.toml").write_text(textwrap.dedent('''\
        id = "q1"
        title = "shapes"
        family = "counting.layers"
        statement = "A stride-2 conv, a conv, a linear layer."
        [params]
        input = [1, 3, 17, 17]
        [[params.layers]]
        type = "conv"
        out = 8
        kernel = 3
        stride = 2
        [[params.layers]]
        type = "conv"
        out = 16
        kernel = 3
        [[params.layers]]
        type = "flatten"
        [[params.layers]]
        type = "linear"
        out = 10

        [[parts]]
        name = "conv1.output_shape"
        kind = "shape"
        ''') + parts)


def test_shapes_carry_forward_from_one_layer_to_the_next(tmp_path):
    layers_course(tmp_path, "".join(f'\n[[parts]]\nname = "{name}"\nkind = "{kind}"\npartial = {{ carried_forward = 0.5 }}\n'
                                    for name, kind in (("conv2.output_shape", "shape"), ("fc1.weight_shape", "shape"),
                                                       ("fc1.params", "integer"))))
    assert validate([tmp_path])[1] == []
    catalog = read_catalog(tmp_path)
    problem = catalog.resolve("hw7/q1")
    # the stride ignored in conv1 only: 15×15, and every later shape right for it
    result, _ = grade_problem(catalog, problem, {"conv1.output_shape": "(1, 8, 15, 15)",
                                                 "conv2.output_shape": "1x16x13x13", "fc1.weight_shape": "[10, 2704]",
                                                 "fc1.params": "10*2704"})
    assert [(p.verdict.value, p.score, p.diagnosis) for p in result.parts] == [
        ("wrong", 0.0, "stride_ignored"), ("partial", 0.5, "carried_forward"), ("partial", 0.5, "carried_forward"),
        ("partial", 0.5, "carried_forward")]


def test_a_mistake_a_family_names_only_on_some_params_is_still_a_key_it_knows():
    from gradekit.core.families import registry

    fam = registry()["softmax_ce.sgd_step"]
    p = fam.check({"W": [[1, 0, 2], [0, -1, 1]], "B": [0, 0], "X": [1, 1, 0], "P": [0.3, 0.7], "alpha": 0.02})
    assert "gradient_outer_product_reversed" not in {m.id for m in fam.mistakes(p)}  # W is not square here
    assert "gradient_outer_product_reversed" in fam.mistake_ids

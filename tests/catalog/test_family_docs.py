"""`gradekit families`, `gradekit family NAME` and `gradekit new`: documented from the code, starting files that validate."""

from __future__ import annotations

import json
import re
import tomllib

import numpy as np
import pytest
from click.testing import CliRunner

from gradekit.catalog.catalog import load_catalog
from gradekit.cli.commands import main
from gradekit.core.errors import ParamError
from gradekit.core.families import OPTIONAL, REQUIRED, registry
from gradekit.catalog.family_docs import spec_path, spec_text
from gradekit.core.plain import plain
from gradekit.catalog.variants import default_draw, has_generators

FAMILIES = sorted(registry())


def run(*args):
    return CliRunner().invoke(main, list(args))


def test_every_registered_family_is_listed_with_what_it_is_and_an_example():
    rows = json.loads(run("families", "--json").output)
    assert [r["family"] for r in rows] == FAMILIES
    assert all(r["about"] and r["example"] for r in rows)


def test_a_familys_parameters_parts_and_mistakes_are_computed_from_its_example():
    doc = json.loads(run("family", "batchnorm.forward", "--json").output)
    assert [(p["name"], p["type"], p["shape"], p["default"]) for p in doc["params"]] == [
        ("Z", "matrix", "units×m", "required"), ("gamma", "vector", "units", "1 for every unit"),
        ("beta", "vector", "units", "0 for every unit"), ("eps", "number", "", "default 0.0"),
        ("examples", "one of columns, rows", "", 'default "columns"')]
    assert doc["conventions"] == ["examples = 'columns' (or 'rows'): whether each example of the batch is a "
                                  "column or a row of Z"]
    assert doc["params"][3]["meaning"].startswith("ε added to the variance")
    assert {p["name"]: p["kind"] for p in doc["parts"]} == {"mu": "vector", "var": "vector", "z_hat": "matrix",
                                                           "z_tilde": "matrix"}
    assert "sample_variance" in [m["id"] for m in doc["mistakes"]]  # the key `partial` gives credit for
    assert doc["spec"].startswith('id = "q2a"')
    drawn = json.loads(run("family", "backprop.mlp2", "--json").output)
    assert drawn["example"] == "ece661-hw1/q3.2"
    r = run("family", "backprop.mpl2")
    assert r.exit_code == 2 and "did you mean 'backprop.mlp2'" in r.output


@pytest.mark.parametrize("family", FAMILIES)
def test_new_files_validate_as_written_for_every_family(tmp_path, family):
    assert run("new", "assignment", "my-hw", "--dir", str(tmp_path)).exit_code == 0
    r = run("new", "problem", family, "--id", "p1", "--dir", str(tmp_path / "my-hw"))
    assert r.exit_code == 0, r.output
    text = (tmp_path / "my-hw" / "p1.toml").read_text()
    assert text.startswith(f"# A new problem of family {family}") and 'id = "p1"' in text
    r = run("validate", str(tmp_path))
    assert r.exit_code == 0, r.output


def test_new_refuses_to_overwrite(tmp_path):
    assert run("new", "assignment", "hw", "--dir", str(tmp_path)).exit_code == 0
    r = run("new", "assignment", "hw", "--dir", str(tmp_path))
    assert r.exit_code == 2 and "exists" in r.output
    assert run("new", "problem", "lms", "--id", "x", "--dir", str(tmp_path / "hw")).exit_code == 0
    assert run("new", "problem", "lms", "--id", "x", "--dir", str(tmp_path / "hw")).exit_code == 2
    assert "no assignment.toml" in run("new", "problem", "lms", "--id", "x", "--dir", str(tmp_path)).output


CATALOG = load_catalog()
EXAMPLES = {}
for _problem in CATALOG.problems():
    EXAMPLES.setdefault(_problem.family, _problem)


@pytest.mark.parametrize("family", FAMILIES)
def test_every_built_in_family_declares_its_parameters_and_every_spec_keeps_to_them(family):
    declared = registry()[family].params
    assert declared is not None
    names = [d.name for d in declared]
    assert len(set(names)) == len(names) and all(d.meaning for d in declared)
    for problem in CATALOG.problems():
        if problem.family == family:
            assert set(problem.params) <= set(names), problem.qualified_id


@pytest.mark.parametrize("family", FAMILIES)
def test_the_written_example_spec_reads_back_as_the_catalogs(family):
    example = EXAMPLES[family]
    path = spec_path(CATALOG, example)
    with open(path, "rb") as f:
        original = tomllib.load(f)
    text = spec_text(registry()[family], path)
    assert tomllib.loads(text) == original
    for d in registry()[family].params:  # each parameter under its declaration's comment
        assert f"# {d.meaning} (" in text


def _same(a, b) -> bool:
    """Equal as written out, functions' addresses aside (a module family's checks are closures)."""
    def text(x):
        return re.sub(r" at 0x[0-9a-f]+", "", json.dumps(plain(x), sort_keys=True, default=str))

    return text(a) == text(b)


@pytest.mark.parametrize("family", FAMILIES)
def test_a_declared_default_is_what_the_familys_own_validate_assumes(family):
    """Leave a defaulted parameter out of the example: the family's validate, on its own, must
    give what it gives with the declared default written in; a required one left out is refused."""
    fam, example = registry()[family], EXAMPLES[family]
    params = dict(example.params)
    if has_generators(params):
        params = default_draw("", example.id, example.assignment, params, fam)
    checked = 0
    for d in fam.params:
        rest = {k: v for k, v in params.items() if k != d.name}
        if d.required:
            with pytest.raises(ParamError, match=rf"params.{d.name} is missing"):
                fam.check(rest)
            continue
        if d.default is OPTIONAL or fam.validate is None:
            continue
        try:
            without = fam.validate(rest)
        except ParamError as e:
            without = e.message
        try:
            written = fam.validate({**rest, d.name: d.default})
        except ParamError as e:
            written = e.message
        assert _same(without, written), d.name
        checked += 1
    assert checked == sum(1 for d in fam.params if d.default not in (REQUIRED, OPTIONAL))


def test_a_misspelt_or_mistyped_parameter_is_refused_with_the_declared_names(tmp_path):
    folder = tmp_path / "hw"
    assert run("new", "assignment", "hw", "--dir", str(tmp_path)).exit_code == 0
    assert run("new", "problem", "conv2d.output", "--id", "p1", "--dir", str(folder)).exit_code == 0
    spec = folder / "p1.toml"
    good = spec.read_text()
    spec.write_text(good.replace("stride = 1", "strides = 2"))
    r = run("validate", str(tmp_path))
    assert r.exit_code == 2
    assert ("params.strides is not a parameter of family conv2d.output (it takes input, kernel, mode, padding, "
            "stride); did you mean 'stride'?") in " ".join(r.output.split())
    spec.write_text(good.replace('mode = "convolution"', 'mode = "correlation"'))
    assert "params.mode is 'correlation', but only 'convolution', 'cross_correlation' are valid" in run(
        "validate", str(tmp_path)).output
    spec.write_text(good.replace("padding = 1", "padding = 1.5"))
    assert "params.padding is 1.5, but must be an integer, or one per axis" in run("validate", str(tmp_path)).output


def test_family_prints_each_parameters_type_shape_default_and_meaning():
    out = run("family", "lms").output
    assert "  seed: integer; required unless data_file — the seed of the drawn data" in out
    assert "  true_w: vector, 3; default [1.0, 1.0, -2.0] — the weights the drawn D follows" in out
    assert "  (none)" in run("family", "activations.chain").output.split("Parts")[0]
    new = run("family", "batchnorm.forward").output
    assert "# eps = 0.0" not in new and "eps = " in new  # the example gives eps; nothing commented out twice


def test_check_declared_fills_constant_defaults_only():
    fam = registry()["conv2d.output"]
    out = fam.check({"input": [[1, 2], [3, 4]], "kernel": [[1]]})
    assert out["padding"] == (0, 0) and out["stride"] == (1, 1) and out["mode"] == "convolution"
    assert np.array_equal(out["input"], [[1, 2], [3, 4]])

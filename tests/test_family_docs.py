"""`gradekit families`, `gradekit family NAME` and `gradekit new`: documented from the code, starting files that validate."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from gradekit.cli import main
from gradekit.families import registry

FAMILIES = sorted(registry())


def run(*args):
    return CliRunner().invoke(main, list(args))


def test_every_registered_family_is_listed_with_what_it_is_and_an_example():
    rows = json.loads(run("families", "--json").output)
    assert [r["family"] for r in rows] == FAMILIES
    assert all(r["about"] and r["example"] for r in rows)


def test_a_familys_parameters_parts_and_mistakes_are_computed_from_its_example():
    doc = json.loads(run("family", "batchnorm.forward", "--json").output)
    assert [p["name"] for p in doc["params"]] == ["Z", "eps", "gamma", "beta"]
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

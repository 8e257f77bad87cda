"""A solution.py problem says where its reference is in words a reader understands, never its internal key."""

from __future__ import annotations

import json

from click.testing import CliRunner

from gradekit.cli.commands import main
from tests.catalog.test_solution_file import DOUBLE, course


def test_show_and_list_name_the_solution_file_beside_the_spec(tmp_path):
    env = {"GRADEKIT_PROBLEMS": str(course(tmp_path, DOUBLE)), "COLUMNS": "200"}
    shown = CliRunner().invoke(main, ["show", "hw9/q1"], env=env)
    assert shown.exit_code == 0, shown.output
    assert "reference: solution.py beside the spec" in shown.output
    assert "solution:" not in shown.output and "@" not in shown.output
    as_json = json.loads(CliRunner().invoke(main, ["show", "hw9/q1", "--json"], env=env).output)
    assert as_json["family"] == "reference: solution.py beside the spec"
    listed = CliRunner().invoke(main, ["list", "hw9", "--json"], env=env)
    assert json.loads(listed.output)[0]["family"] == "reference: solution.py beside the spec"
    table = CliRunner().invoke(main, ["list", "hw9"], env=env)
    assert "solution.py beside the spec" in table.output and "solution:" not in table.output


def test_a_family_problem_still_shows_its_family_name():
    shown = CliRunner().invoke(main, ["show", "--json", "cmu11785-hw1-written/linear_backward"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["family"] == "linear.backward"

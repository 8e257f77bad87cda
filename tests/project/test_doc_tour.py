"""README's tour works as a newcomer types it after `make demo`: it names the venv that holds `gradekit`, and each
of its commands runs (exit 0, or 1 for the empty template it grades)."""

import re
import shlex
from pathlib import Path

from click.testing import CliRunner

from gradekit.cli.commands import main

ROOT = Path(__file__).resolve().parents[2]


def _tour() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"## A tour\n(.*?)```\n(.*?)```", text, re.S)
    assert block, "README has a tour block"
    return [line.split("#", 1)[0].strip() for line in block.group(2).splitlines() if line.strip()]


def test_the_tour_activates_the_venv_make_creates_before_calling_gradekit():
    venv = re.search(r"^VENV := (\S+)", (ROOT / "Makefile").read_text(), re.M).group(1)
    lines = _tour()
    assert lines[0] == f"source {venv}/bin/activate"
    assert all(line.startswith("gradekit ") for line in lines[1:])


def test_every_command_of_the_tour_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for line in _tour()[1:]:
        result = CliRunner().invoke(main, shlex.split(line)[1:], catch_exceptions=False)
        assert result.exit_code in (0, 1), (line, result.output[-500:])
        assert result.exit_code == 0 or line.startswith("gradekit check"), line

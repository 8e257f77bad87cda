"""The verdicts, call-result kinds and part kinds are enums now: what a student and a grader read is unchanged.

``tests/golden/`` holds fixed submissions and, under ``expected/``, what ``gradekit check`` printed for them
(``--json``, the terminal table, ``--gradescope``) before the vocabularies were enums: generated once, from
commit 77154ce (main at 4b39eaa plus a batch-only change), by running that commit's CLI, never by the code
under test. Each output must come back byte for byte; so must ``template --json`` and ``show --json``, where
the part kinds are (every kind between them). Between them they meet every verdict a fixed file can
earn (correct, partial, wrong, missing, invalid, manual; ``error`` is a grader fault, see
tests/project/test_vocab.py) and the call kinds not_implemented, error, exit, missing, data and import.

Two fields depend on the machine: a module's ``isolation`` (the sandbox this machine builds) and Gradescope's
``execution_time``; the expected ones are swapped for those this run reports before the bytes are compared.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GOLDEN = Path("tests") / "golden"  # relative: the report names the submission as it was given
EXPECTED = REPO / GOLDEN / "expected"


def gradekit(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "100"}  # the terminal table's width, as when the fixtures were written
    env.pop("FORCE_COLOR", None)
    return subprocess.run([sys.executable, "-m", "gradekit.cli", *args], capture_output=True, text=True,
                          cwd=REPO, env=env, timeout=600)


def check(*args: str) -> subprocess.CompletedProcess:
    return gradekit("check", *args)


def _with_isolation_of(expected: str, actual: str) -> str:
    """The expected text with this machine's isolation in place of the one recorded (json.dumps(indent=2))."""
    want, got = json.loads(expected), json.loads(actual)
    if want.get("isolation") is None:
        return expected
    assert got["isolation"] is not None and got["isolation"]["level"] in ("strong", "weak")
    assert json.dumps(want, indent=2) + "\n" == expected  # the fixture is what the CLI's json.dumps writes
    want["isolation"] = got["isolation"]
    return json.dumps(want, indent=2) + "\n"


@pytest.mark.parametrize("name", ["ece661-hw1-mixed.json", "cs37300-hw4-mixed.json", "task1.py",
                                  "task1_unimportable.py"])
def test_check_json_is_byte_for_byte_what_it_was(name):
    out = check(str(GOLDEN / name), "--json")
    assert out.returncode == 1, out.stderr  # graded, not full marks
    expected = (EXPECTED / f"{name}.check.json").read_text(encoding="utf-8")
    assert out.stdout == _with_isolation_of(expected, out.stdout)


def test_the_fixtures_meet_every_verdict_a_file_can_earn():
    verdicts = {part["verdict"] for path in EXPECTED.glob("*.check.json")
                for problem in json.loads(path.read_text(encoding="utf-8"))["problems"] for part in problem["parts"]}
    assert verdicts == {"correct", "partial", "wrong", "missing", "invalid", "manual"}


def test_check_text_and_gradescope_are_byte_for_byte_what_they_were(tmp_path):
    results = tmp_path / "results.json"
    out = check(str(GOLDEN / "ece661-hw1-mixed.json"), "--gradescope", str(results))
    assert out.returncode == 1, out.stderr
    assert out.stdout == (EXPECTED / "ece661-hw1-mixed.json.check.txt").read_text(encoding="utf-8")
    expected, got = (EXPECTED / "ece661-hw1-mixed.json.gradescope.json").read_text(encoding="utf-8"), \
        results.read_text(encoding="utf-8")
    want = json.loads(expected)
    assert json.dumps(want, indent=2) + "\n" == expected
    want["execution_time"] = json.loads(got)["execution_time"]  # how long this run took
    assert got == json.dumps(want, indent=2) + "\n"
    out = check(str(GOLDEN / "task1.py"))
    assert out.returncode == 1, out.stderr
    assert out.stdout == (EXPECTED / "task1.py.check.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("command", [("template", "ece661-hw1"), ("template", "coms573-hw5"), ("template", "cs37300-hw4"),
                                     ("template", "ece449-a2"), ("show", "ece449-a2/task1"), ("show", "cs37300-hw4/q2.3")])
def test_the_part_kinds_read_as_they_did(command):
    verb, what = command
    out = gradekit(verb, what, "--json")
    assert out.returncode == 0, out.stderr
    name = f"{verb}-{what.replace('/', '_')}.json"
    assert out.stdout == (EXPECTED / name).read_text(encoding="utf-8")


def test_the_fixtures_meet_every_part_kind():
    from gradekit.core.vocab import PartKind

    def kinds(value):
        if isinstance(value, dict):
            return ({value["kind"]} if isinstance(value.get("kind"), str) and "name" in value else set()) | \
                set().union(*map(kinds, value.values()))
        return set().union(*map(kinds, value)) if isinstance(value, list) else set()

    found = set().union(*(kinds(json.loads(p.read_text(encoding="utf-8"))) for p in EXPECTED.glob("*.json")
                          if p.name.startswith(("template-", "show-"))))
    assert {k.value for k in PartKind} <= found

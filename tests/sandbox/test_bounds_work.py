"""Work the grader does on student input is bounded in time and memory, and a bound hit is the student's.

Each attack runs `gradekit check` (or `grade`) in a subprocess of its own, under a wall-clock guard
so that a regression fails the test instead of hanging it, and under an address-space cap that
keeps a regression from taking the machine's memory. The memory figures asserted are the
subprocess's own peak (VmHWM: the grader) and its children's (the bounded readers and proofs; sandbox
children are bounded by their own rlimits).
"""

from __future__ import annotations

import csv
import json
import os
import resource
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from nbformat import v4

from gradekit.check.expr import declare
from gradekit.core.reader.parser import parse
from gradekit.check.expr.prove import Proof, prove_equal
from gradekit.core.bounded import Budget, Ending, run_bounded
from gradekit.intake.submission import MAX_LITERAL_VALUES, load_answers

GUARD = 150  # seconds: far above what the bounded work takes on a loaded 2-core machine
MEMORY_CAP = 6 * 2**30  # a regression fails with MemoryError instead of taking the machine
# The grader's own peak for `check` of a small file is about 100-150 MiB (numpy, rich, sympy when used).
GRADER_MB = 400

PROBE = """
import json, resource, sys
from gradekit.cli.commands import main
code = 0
try:
    main(sys.argv[1:])
except SystemExit as e:
    code = e.code if isinstance(e.code, int) else 1
sys.stdout.flush()
# VmHWM is this program's own peak: ru_maxrss would count the test process it was forked from
peak = [line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:")]
print("\\nPROBE " + json.dumps({"rc": code, "self_mb": int(peak[0]) / 1024,
      "children_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}), file=sys.stderr)
"""


@dataclass
class Run:
    rc: int
    stdout: str
    stderr: str
    self_mb: float
    children_mb: float
    seconds: float

    @property
    def said(self) -> str:
        """What it told the user (with --json, an error is {"error": ...} on stdout)."""
        return self.stdout + self.stderr

    def report(self) -> dict:
        return json.loads(self.stdout)

    def part(self, problem: str, name: str) -> dict:
        found = [p for prob in self.report()["problems"] if prob["id"].endswith("/" + problem)
                 for p in prob["parts"] if p["name"] == name]
        assert len(found) == 1, (problem, name)
        return found[0]


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def run_gradekit(*args: str, guard: float = GUARD) -> Run:
    """``gradekit ARGS`` in a subprocess of its own session; fails the test past ``guard`` seconds."""
    start = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-c", PROBE, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True, preexec_fn=_cap_memory)
    try:
        out, err = proc.communicate(timeout=guard)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"gradekit {' '.join(args)[:80]} still ran after {guard} s")
    seconds = time.monotonic() - start
    probe = [line for line in err.splitlines() if line.startswith("PROBE ")]
    assert probe, err[-2000:]
    figures = json.loads(probe[-1][len("PROBE "):])
    return Run(figures["rc"], out, err, figures["self_mb"], figures["children_mb"], seconds)


# -- names inside names in a literal answers .py ("billion laughs") --------------------------------


def billion_laughs() -> str:
    lines = ["a = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    for prev, name in zip("abcdefghi", "bcdefghij"):
        lines.append(f"{name} = [{', '.join([prev] * 10)}]")
    lines.append('ANSWERS = {"q3.2": {"L": j, "dL/db2": [14, 6]}}')
    return "\n".join(lines) + "\n"


def test_names_inside_names_are_counted_not_expanded(tmp_path):
    path = tmp_path / "answers.py"
    path.write_text(billion_laughs())
    assert path.stat().st_size < 800  # the was 721 bytes: 10^10 values once expanded
    run = run_gradekit("check", str(path), "--json")
    assert run.rc == 2, run.stderr[-1500:]  # the student's unreadable file, never a grader fault
    assert f"builds more than {MAX_LITERAL_VALUES:,} values" in run.said
    assert run.self_mb < GRADER_MB and run.seconds < 60, (run.self_mb, run.seconds)


def test_a_name_used_twice_is_read_as_its_value_each_time(tmp_path):
    path = tmp_path / "answers.py"
    path.write_text("b = [14, 6]\nW = [[0, 0, 0], [34, 34, -34]]\nANSWERS = {'q3.2': {'L': 116, 'dL/db2': b, "
                    "'dL/dW1': W}, 'q3.3': {'x': W}}\n")
    answers = load_answers(path).answers
    assert answers == {"q3.2": {"L": 116, "dL/db2": [14, 6], "dL/dW1": [[0, 0, 0], [34, 34, -34]]},
                       "q3.3": {"x": [[0, 0, 0], [34, 34, -34]]}}


# -- notebooks ------------------------------------------------------------------------------------


def _notebook(path: Path, cells: list) -> Path:
    nb = v4.new_notebook(cells=cells, metadata={"gradekit": {"assignment": "ece661-hw1"}})
    path.write_text(nbformat.writes(nb))
    return path


def _tagged(text: str, tag: str):
    cell = v4.new_code_cell(text)
    cell.metadata["tags"] = [tag]
    return cell


def test_a_notebook_with_14_mb_of_outputs_is_read_without_them(tmp_path):
    noisy = v4.new_code_cell("show(x)")
    noisy.outputs = [{"output_type": "display_data", "metadata": {},
                      "data": {"application/json": [{"a": [1]} for _ in range(1_300_000)]}}]
    cells = [_tagged("116", "answer:q3.2/L"), noisy]
    path = tmp_path / "hw.ipynb"
    path.write_text(json.dumps(v4.new_notebook(cells=cells, metadata={"gradekit": {"assignment": "ece661-hw1"}})))
    assert 14 * 2**20 < path.stat().st_size < 16 * 2**20
    run = run_gradekit("check", str(path), "--json")
    assert run.rc == 1, run.stderr[-1500:]
    assert run.part("q3.2", "L")["verdict"] == "correct"
    # in the grader it cost 30 s and 1.3 GB (the notebook: 7.7 GB); the bounded reader drops them
    assert run.self_mb < GRADER_MB and run.children_mb < 1500, (run.self_mb, run.children_mb)


def test_a_notebook_of_15_mb_of_code_is_refused_with_the_reason(tmp_path):
    cells = [_tagged("116", "answer:q3.2/L")]
    cells += [v4.new_code_cell(f"x{i} = '" + "A" * 990_000 + "'") for i in range(16)]
    path = _notebook(tmp_path / "hw.ipynb", cells)
    assert path.stat().st_size > 15 * 2**20
    run = run_gradekit("check", str(path), "--json")
    assert run.rc == 2, run.stderr[-1500:]
    assert "its code cells hold more than 4194304 characters" in run.said
    assert run.self_mb < GRADER_MB and run.children_mb < 1500, (run.self_mb, run.children_mb)


def test_a_notebook_of_3_mb_of_code_is_not_parsed_in_the_grader(tmp_path):
    cells = [_tagged("116", "answer:q3.2/L"), v4.new_code_cell("def helper():\n    return 1\n")]
    cells += [v4.new_code_cell("\n".join(f"y{i}_{k} = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]" for k in range(20_000)))
              for i in range(4)]
    path = _notebook(tmp_path / "hw.ipynb", cells)
    run = run_gradekit("check", str(path), "--json")
    assert run.rc == 1, run.stderr[-1500:]
    assert run.part("q3.2", "L")["verdict"] == "correct"
    assert run.self_mb < GRADER_MB, run.self_mb


# -- module files and child results -------------------------------------------------------------


def test_a_4_mib_module_file_is_not_parsed_in_the_grader(tmp_path):
    code = ("import numpy as np\n\ndef relu(X):\n    return np.maximum(X, 0)\n\n"
            + "".join(f"z{i} = {i}\n" for i in range(440_000)))
    path = tmp_path / "task1.py"
    path.write_text(code[: 4 * 2**20 - 1000])
    probe = ("import sys\nfrom gradekit.code.spec import binds_answers\n"
             "assert not binds_answers(open(sys.argv[1], 'rb').read())\n"
             "print([int(l.split()[1]) / 1024 for l in open('/proc/self/status') if l.startswith('VmHWM:')][0])\n")
    done = subprocess.run([sys.executable, "-c", probe, str(path)], capture_output=True, text=True, timeout=GUARD,
                          preexec_fn=_cap_memory)
    assert done.returncode == 0, done.stderr[-1500:]
    assert float(done.stdout) < 150, done.stdout  # ast of it cost 388 MB


def test_a_child_result_of_a_million_tables_is_refused_before_it_is_parsed(tmp_path):
    path = tmp_path / "answers.py"
    # a million tables in one part: the child refuses that part alone (at most 200,000 values a part)
    path.write_text("ANSWERS = {'q3.2': {'L': 116, 'dL/db2': [{} for _ in range(1_000_000)]}}\n")
    run = run_gradekit("check", str(path), "--json")
    assert run.rc == 1, run.stderr[-1500:]
    assert run.part("q3.2", "L")["verdict"] == "correct"
    assert run.part("q3.2", "dL/db2")["verdict"] == "invalid" and "too many to read" in run.part("q3.2", "dL/db2")["feedback"]
    assert run.self_mb < GRADER_MB, run.self_mb
    # a million problems of one table each: more than the child may hand back, refused before it is parsed
    path.write_text("ANSWERS = {f'q{i}': {'L': 1} for i in range(1_000_000)}\n")
    run = run_gradekit("check", str(path), "--json")
    assert run.rc == 2, run.stderr[-1500:]
    assert "cannot be returned" in run.said or "JSON objects" in run.said, run.said
    assert run.self_mb < GRADER_MB, run.self_mb


# -- sympy's proof ------------------------------------------------------------------------------

SLOW_PROOF = "q_x - p_x + (σ(q_x)+σ(p_x))^8 - (2-σ(-q_x)-σ(-p_x))^8"


def test_a_proof_that_runs_away_gives_up_and_the_random_instances_decide(tmp_path):
    path = tmp_path / "answers.json"
    path.write_text(json.dumps({"assignment": "ece449-a2", "p4": {"dE/dz_x": SLOW_PROOF}}))
    assert len(SLOW_PROOF) <= 60
    run = run_gradekit("check", str(path), "--json")
    assert run.rc == 1, run.stderr[-1500:]
    part = run.part("p4", "dE/dz_x")
    assert part["verdict"] == "correct" and part["score"] == part["max_score"]
    assert "6 random instances" in part["feedback"] and "sympy's proof did not finish" in part["feedback"]
    assert run.self_mb < GRADER_MB and run.children_mb < 1200, (run.self_mb, run.children_mb)


def test_prove_equal_says_proved_not_proved_or_gave_up():
    table = declare(["q_x", "p_x"])
    ref = parse("q_x - p_x", table)
    assert prove_equal(parse("-(p_x - q_x)", table), ref, table) is Proof.PROVED
    assert prove_equal(parse("q_x + p_x", table), ref, table) is Proof.NOT_PROVED
    assert prove_equal(parse(SLOW_PROOF, table), ref, table, Budget(cpu_seconds=1, memory_bytes=2**29)) \
        is Proof.GAVE_UP


def _spin() -> None:
    while True:
        pass


def _hoard() -> list:
    return [bytearray(2**20) for _ in range(10_000)]


def test_run_bounded_returns_the_value_or_names_the_bound():
    assert run_bounded(sum, ([1, 2, 3],), Budget(1, 2**28)).value == 6
    assert run_bounded(_spin, (), Budget(1, 2**28)).ending is Ending.TIME
    assert run_bounded(_hoard, (), Budget(5, 2**28)).ending is Ending.MEMORY
    failed = run_bounded(int, ("x",), Budget(1, 2**28))
    assert failed.ending is Ending.FAILED and "ValueError" in failed.detail


# -- numbers the student writes ------------------------------------------------------------------


def test_hostile_numbers_are_their_parts_zero_with_the_reason(tmp_path):
    path = tmp_path / "answers.json"
    path.write_text(json.dumps({"q3.2": {
        "L": "(1e-30000000000000000000)",  # arithmetic: sympy would build 10**(3e19)
        "dL/db2": ["1e-30000000000000000000", 6],
        "dL/db1": "1" * 5000,
        "dL/dW2": [[int("9" * 4000), 1], [1, 1]],
        "dL/dW1": [[0, 0, 0], [34, 34, -34]],  # right: the rest of the file is graded
    }}))
    run = run_gradekit("check", str(path), "--json")
    assert run.rc == 1, run.stderr[-1500:]
    reasons = {name: run.part("q3.2", name) for name in ("L", "dL/db2", "dL/db1", "dL/dW2")}
    assert {name: p["verdict"] for name, p in reasons.items()} == dict.fromkeys(reasons, "invalid")
    assert "exponent too large" in reasons["L"]["feedback"]
    assert "exponent too large" in reasons["dL/db2"]["feedback"]
    assert "integer with 5000 digits" in reasons["dL/db1"]["feedback"]
    assert "integer with 4000 digits" in reasons["dL/dW2"]["feedback"]
    assert run.part("q3.2", "dL/dW1")["verdict"] == "correct"


def test_a_5000_digit_toml_integer_is_its_parts_zero(tmp_path):
    path = tmp_path / "answers.toml"
    path.write_text(f'assignment = "ece661-hw1"\n["q3.2"]\nL = {"1" * 5000}\n"dL/db2" = [14, 6]\n')
    run = run_gradekit("check", str(path), "--json")
    assert run.rc == 1, run.stderr[-1500:]
    assert run.part("q3.2", "L")["verdict"] == "invalid"
    assert "integer with 5000 digits" in run.part("q3.2", "L")["feedback"]
    assert run.part("q3.2", "dL/db2")["verdict"] == "correct"


def test_a_5000_digit_json_integer_is_its_parts_zero(tmp_path):
    path = tmp_path / "answers.json"
    path.write_text('{"q3.2": {"L": ' + "1" * 5000 + ', "dL/db2": [14, 6]}}')
    run = run_gradekit("check", str(path), "--json")
    assert run.rc == 1, run.stderr[-1500:]
    assert "integer with 5000 digits" in run.part("q3.2", "L")["feedback"]
    assert run.part("q3.2", "dL/db2")["verdict"] == "correct"


# -- the batch: every such row is the student's -------------------------------------------------


def test_the_batch_gives_each_attacker_its_own_row_and_no_grader_error(tmp_path):
    klass = tmp_path / "class"
    klass.mkdir()
    (klass / "ada.json").write_text(json.dumps({"q3.2": {"L": 116, "dL/db2": [14, 6]}}))
    (klass / "laughs.py").write_text(billion_laughs())
    (klass / "digits.toml").write_text(f'["q3.2"]\nL = {"1" * 5000}\n"dL/db2" = [14, 6]\n')
    (klass / "exponent.json").write_text(json.dumps({"q3.2": {"L": "(1e-30000000000000000000)",
                                                              "dL/db2": [14, 6]}}))
    out = tmp_path / "grades"
    run = run_gradekit("grade", str(klass), "-a", "ece661-hw1", "-j", "2", "-o", str(out))
    assert run.rc != 3, run.stderr[-2000:]
    with open(out / "grades.csv", newline="") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    assert {s: rows[s]["total"] for s in rows} == {"ada": "2", "laughs": "0", "digits": "1", "exponent": "1"}
    assert "grader error" not in " ".join(r["error"] for r in rows.values())
    assert "builds more than" in rows["laughs"]["error"]

"""gradekit.intake.submission: every layout reads to the same plain data; bad files fail in one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import gradekit.intake.submission as submission
from gradekit.core.errors import SubmissionError
from gradekit.sandbox.process import Limits
from gradekit.intake.submission import RawSubmission, load_answers

Q32 = {"L": 116, "dL/dW1": [[0, 0, 0], [34, 34, -34]], "eta": "1.00", "g": "-0.0116"}


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def fails(path: Path, match: str, limits: Limits | None = None) -> str:
    """Loading fails with a one-line message that names the file and matches."""
    with pytest.raises(SubmissionError) as info:
        load_answers(path, limits=limits)
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"{path}: "), message
    assert match in message, message
    return message


@pytest.fixture
def no_child(monkeypatch):
    """Prove a file is read without running anything."""

    def refuse(*args, **kwargs):
        raise AssertionError("a child process was started")

    from gradekit.sandbox import process

    monkeypatch.setattr(process, "run_child", refuse)  # where _run_py finds it when a file must run


# -- JSON ---------------------------------------------------------------------------


def test_json_problem_layout_keeps_float_text(tmp_path):
    path = write(tmp_path, "a.json", """
        {"assignment": "ece661-hw1", "student": "ada",
         "q3.2": {"L": 116, "dL/dW1": [[0, 0, 0], [34, 34, -34]], "eta": 1.00, "g": -0.0116},
         "q1": {"s": "x @ y", "b": true, "n": null, "e": 1e-3, "nan": NaN, "inf": -Infinity,
                "t": {"a": 1.50}}}
    """)
    sub = load_answers(path)
    assert sub == RawSubmission(path, {
        "q3.2": Q32,
        "q1": {"s": "x @ y", "b": True, "n": None, "e": "1e-3", "nan": "nan", "inf": "-inf",
               "t": {"a": "1.50"}},
    }, "ece661-hw1", "ada")


def test_json_solve_output_single_and_list(tmp_path):
    one = {"id": "ece661-hw1/q3.2", "title": "t", "answers": {"L": 116, "eta": 1.00},
           "steps": [{"title": "forward", "values": {"z": 1.5}}]}
    other = {"id": "ece661-hw1/q1", "answers": {"a": [1, 2.50]}, "steps": []}
    sub = load_answers(write(tmp_path, "one.json", json.dumps(one).replace("1.0", "1.00")))
    assert sub.answers == {"ece661-hw1/q3.2": {"L": 116, "eta": "1.00"}}
    assert sub.assignment is None
    sub = load_answers(write(tmp_path, "list.json", json.dumps([one, other])))
    assert sub.answers == {"ece661-hw1/q3.2": {"L": 116, "eta": "1.0"},
                           "ece661-hw1/q1": {"a": [1, "2.5"]}}


@pytest.mark.parametrize("text, match", [
    ('{"q1": {"a": 1,}\n}', "invalid JSON at line 1, column 16"),
    ('{\n"q1": {"a": 1}\n"q2": {}}', "invalid JSON at line 3"),
    ('{"q1": {"a": 1}, "q1": {"a": 2}}', 'duplicate key "q1"'),
    ('[1, 2]', "[0] should be an object like"),
    ('"hello"', "the top level is a string"),
    ('{"q1": [1, 2]}', '["q1"] is a list, but it should map part names'),
    ('{"q1": 5}', '["q1"] is a number'),
    ('{"assignment": 3, "q1": {}}', "assignment is a number, but it should be a string"),
    ('[{"id": "q1", "answers": {}}, {"id": "q1", "answers": {}}]', 'repeats the id "q1"'),
    ('{"id": "q1", "answers": [1]}', '["answers"] is a list'),
])
def test_json_errors(tmp_path, text, match):
    fails(write(tmp_path, "a.json", text), match)


def test_json_not_utf8(tmp_path):
    path = tmp_path / "a.json"
    path.write_bytes(b'{"q1": {"a": "\xff"}}')
    fails(path, "is not UTF-8 text (byte 0xff at offset 14)")


def test_json_byte_order_mark_is_fine(tmp_path):
    path = tmp_path / "a.json"
    path.write_bytes(b'\xef\xbb\xbf{"q1": {"a": 1}}')
    assert load_answers(path).answers == {"q1": {"a": 1}}


# -- TOML ---------------------------------------------------------------------------


def test_toml_problem_layout(tmp_path):
    path = write(tmp_path, "a.toml", """
        assignment = "ece661-hw1"
        student = "ada"

        ["q3.2"]
        L = 116
        "dL/dW1" = [[0, 0, 0], [34, 34, -34]]
        eta = 1.00
        g = -0.0116

        [q1]
        nan = nan
        inf = -inf
    """)
    sub = load_answers(path)
    assert sub.answers == {"q3.2": Q32, "q1": {"nan": "nan", "inf": "-inf"}}
    assert (sub.assignment, sub.student) == ("ece661-hw1", "ada")


def test_toml_solve_layout(tmp_path):
    path = write(tmp_path, "a.toml", """
        id = "ece661-hw1/q3.2"
        [answers]
        L = 116.0
    """)
    assert load_answers(path).answers == {"ece661-hw1/q3.2": {"L": "116.0"}}


@pytest.mark.parametrize("text, match", [
    ('assignment = "a"\n["q1"]\na = \n', "invalid TOML: Invalid value (at line 3, column 5)"),
    ('["q1"]\na = 1\na = 2\n', "at line 3"),
    ('q1 = 3\n', '["q1"] is a number'),
    ('[q1]\nwhen = 2024-01-01\n', '["q1"]["when"] is a date/time (2024-01-01)'),
])
def test_toml_errors(tmp_path, text, match):
    fails(write(tmp_path, "a.toml", text), match)


# -- files ----------------------------------------------------------------------------


def test_file_errors(tmp_path):
    fails(tmp_path / "missing.json", "no such file")
    (tmp_path / "dir.json").mkdir()
    fails(tmp_path / "dir.json", "is a directory")
    os.mkfifo(tmp_path / "fifo.json")
    fails(tmp_path / "fifo.json", "is not a regular file")
    fails(write(tmp_path, "a.txt", "{}"), "unknown suffix '.txt'; answers files end in .json")
    big = tmp_path / "big.json"
    with open(big, "wb") as f:
        f.truncate(submission.MAX_FILE_BYTES + 1)
    fails(big, "answers files are at most 16 MiB")


def test_suffix_case_is_ignored(tmp_path):
    assert load_answers(write(tmp_path, "A.JSON", '{"q1": {"a": 1}}')).answers == {"q1": {"a": 1}}


# -- .py read without running -----------------------------------------------------------


LITERAL_PY = '''
    """Homework 1 answers."""
    import numpy as np
    import numpy
    ASSIGNMENT = "ece661-hw1"
    STUDENT: str = "ada"
    W1_GRAD = np.array([[0, 0, 0], (34, 34, -34)])
    ANSWERS = {
        "q3.2": {"L": 116, "dL/dW1": W1_GRAD, "eta": 1.00, "g": -0.0116},
        "q1": {"e": 1e-3, "p": +2.50, "neg": -(-1.5), "i": -3, "big": 1_000.5,
               "s": "x @ y", "b": False, "n": None, "v": numpy.array((1, 2.0)),
               "nested": {"k": [(), [1]]}},
    }
'''
LITERAL_ANSWERS = {
    "q3.2": Q32,
    "q1": {"e": "1e-3", "p": "2.50", "neg": "1.5", "i": -3, "big": "1000.5", "s": "x @ y",
           "b": False, "n": None, "v": [1, "2.0"], "nested": {"k": [[], [1]]}},
}


def test_literal_py_is_read_without_running(tmp_path, no_child):
    sub = load_answers(write(tmp_path, "answers.py", LITERAL_PY))
    assert sub.answers == LITERAL_ANSWERS
    assert (sub.assignment, sub.student) == ("ece661-hw1", "ada")


def test_literal_py_in_problem_layout_with_assignment_key(tmp_path, no_child):
    path = write(tmp_path, "answers.py", 'ANSWERS = {"assignment": "hw", "q1": {"a": 1.0}}')
    sub = load_answers(path)
    assert (sub.answers, sub.assignment) == ({"q1": {"a": "1.0"}}, "hw")


@pytest.mark.parametrize("text, match", [
    ("x = 1\nANSWER = {}\n", "no ANSWERS; define ANSWERS = {"),
    ('"""only a docstring"""\n', "no ANSWERS"),
    ("ANSWERS = [1, 2]\n", "ANSWERS[0] should be an object like"),
    ('ANSWERS = {"q1": 3}\n', 'ANSWERS["q1"] is a number, but it should map part names'),
    ('ANSWERS = {"q1": {}}\nASSIGNMENT = ["hw"]\n', "assignment is a list"),
    ("ANSWERS = {\n  'q1': {'a': 1,\n}\n", "SyntaxError at line"),
    ("ANSWERS = {'q1': {'a': 1}}\n  x = 2\n", "SyntaxError at line 2: unexpected indent"),
])
def test_literal_py_errors(tmp_path, no_child, text, match):
    fails(write(tmp_path, "answers.py", text), match)


def test_py_with_a_coding_cookie(tmp_path, no_child):
    path = tmp_path / "answers.py"
    path.write_bytes(b'# -*- coding: latin-1 -*-\nANSWERS = {"q1": {"a": "caf\xe9", "x": 1.50}}\n')
    assert load_answers(path).answers == {"q1": {"a": "café", "x": "1.50"}}


# -- .py that computes: the sandbox ---------------------------------------------------------


COMPUTING_PY = '''
    """Homework 1 answers, computed."""
    import numpy as np
    from fractions import Fraction
    ASSIGNMENT = "ece661-hw1"
    W2 = np.array([[0, 2], [1, 1]])
    total = 0
    for i in range(5):
        total += i
    print("debugging output")
    ANSWERS = {
        "q3.2": {"L": int(W2.sum()) * 29, "dL/dW1": np.array([[0, 0, 0], [34, 34, -34]]),
                 "eta": "1.00", "g": "-0.0116"},
        "q1": {"half": 1 / 2, "pow": 2**3, "loop": total, "mat": W2 @ W2.T / 4,
               "f32": np.float32(0.1), "frac": Fraction(1, 3), "nan": float("nan"),
               "inf": np.inf, "b": np.bool_(True), "t": (1, [2, None]), "i": np.int64(7),
               "s": np.str_("x")},
    }
'''


def test_computing_py_runs_in_the_child(tmp_path):
    start = time.monotonic()
    sub = load_answers(write(tmp_path, "answers.py", COMPUTING_PY))
    elapsed = time.monotonic() - start
    assert sub.assignment == "ece661-hw1"
    assert sub.answers == {
        "q3.2": Q32,
        "q1": {"half": "0.5", "pow": 8, "loop": 10, "mat": [["1.0", "0.5"], ["0.5", "0.5"]],
               "f32": "0.1", "frac": "1/3", "nan": "nan", "inf": "inf", "b": True,
               "t": [1, [2, None]], "i": 7, "s": "x"},
    }
    assert elapsed < 3, f"a computing answers file took {elapsed:.2f} s"


def test_literal_and_computing_give_the_same_structure(tmp_path):
    computed = LITERAL_PY.replace("-(-1.5)", "float('1.5')")  # a call: it must run
    a = load_answers(write(tmp_path, "a.py", LITERAL_PY))
    b = load_answers(write(tmp_path, "b.py", computed))
    assert a.answers["q3.2"] == Q32
    assert b.answers["q3.2"] == {**Q32, "eta": "1.0"}  # run, 1.00 is a float: its repr
    assert b.answers["q1"]["v"] == ["1.0", "2.0"]  # numpy made them floats
    assert (b.assignment, b.student) == (a.assignment, a.student)


def test_torch_tensors_are_converted(tmp_path):
    path = write(tmp_path, "answers.py", """
        import torch
        w = torch.tensor([[1.5, -2.0]], requires_grad=True)
        (w ** 2).sum().backward()
        ANSWERS = {"q1": {"grad": w.grad, "w": w, "n": torch.tensor(3), "h": w.to(torch.bfloat16)}}
    """)
    assert load_answers(path).answers == {"q1": {
        "grad": [["3.0", "-4.0"]], "w": [["1.5", "-2.0"]], "n": 3, "h": [["1.5", "-2.0"]]}}


def test_sys_exit_after_answers_is_fine(tmp_path):
    path = write(tmp_path, "answers.py", """
        import sys
        ANSWERS = {"q1": {"a": 1 + 1}}
        sys.exit()
    """)
    assert load_answers(path).answers == {"q1": {"a": 2}}


def test_print_output_is_harmless(tmp_path):
    path = write(tmp_path, "answers.py", """
        print("x" * 100_000_000)
        for i in range(100_000):
            print("y" * 100)
        ANSWERS = {"q1": {"a": 2 * 3}}
    """)
    start = time.monotonic()
    assert load_answers(path).answers == {"q1": {"a": 6}}
    assert time.monotonic() - start < 8


HOSTILE = {
    "error_line": ("x = 1\n\ny = 1 / 0\nANSWERS = {}\n", "line 3: ZeroDivisionError: division by zero"),
    "no_answers": ("x = 1 + 1\n", "no ANSWERS; define ANSWERS"),
    "bytearray_50gb": ("x = bytearray(50 * 2**30)\nANSWERS = {}\n", "line 1: ran out of memory"),
    "numpy_50gb": ("import numpy as np\nx = np.ones(7 * 10**9)\nANSWERS = {}\n",
                   "line 2: ran out of memory (the limit is 2 GiB)"),
    "sys_exit": ("import sys\nsys.exit(0)\nANSWERS = {'q1': {'a': 1}}\n",
                 "called sys.exit(0) before setting ANSWERS"),
    "sys_exit_1": ("import sys\nANSWERS = {'q1': {'a': 1}}\nsys.exit(1)\n", "called sys.exit(1)"),
    "os_exit": ("import os\nos._exit(0)\nANSWERS = {'q1': {'a': 1}}\n",
                "stopped (exit code 0) before returning ANSWERS"),
    "os_exit_3": ("import os\nos._exit(3)\n", "crashed (exit code 3)"),
    "segfault": ("import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n",
                 "crashed (signal SIGSEGV)"),
    "write_fd_100mb": ("import os\nfor i in range(100):\n    os.write(1, b'x' * 2**20)\nANSWERS = {}\n",
                       "line 3: OSError: [Errno 27] File too large"),
    "import_missing": ("import nonexistent_pkg\nANSWERS = {}\n",
                       "line 1: ModuleNotFoundError: No module named 'nonexistent_pkg'"),
    "import_gradekit": ("from gradekit.reference import families\nANSWERS = {}\n",
                        "answers files cannot import gradekit"),
    "int_key": ("ANSWERS = {'q1': {1: 2}}\n", """ANSWERS["q1"] has the key 1"""),
    "problem_object": ("class A: pass\nANSWERS = {'q1': A()}\n", 'ANSWERS["q1"] is an object of type answers.A'),
    "bad_assignment": ("ANSWERS = {}\nASSIGNMENT = 1.5j\n", "ASSIGNMENT is a complex number"),
}


# an answer that is not plain data costs its part only (graded invalid with the reason); the rest is read
NOT_DATA = {
    "lambda": ("lambda x: x", 'ANSWERS["q1"]["f"] is a function, which is not plain data'),
    "object": ("[1, A()]", 'ANSWERS["q1"]["f"][1] is an object of type answers.A, which is not plain data'),
    "complex": ("1j", 'ANSWERS["q1"]["f"] is a complex number'),
    "set": ("{1, 2}", 'ANSWERS["q1"]["f"] is a set, which is not plain data'),
    "self_loop": ("x", "nested more than 32"),
}


@pytest.mark.parametrize("name", sorted(NOT_DATA))
def test_a_part_that_is_not_data_costs_only_that_part(tmp_path, name):
    from gradekit.intake.submission import Unreadable

    value, reason = NOT_DATA[name]
    text = f"class A: pass\nx = []\nx.append(x)\nANSWERS = {{'q1': {{'f': {value}, 'a': 2}}}}\n"
    raw = load_answers(write(tmp_path, "answers.py", text)).answers
    assert raw["q1"]["a"] == 2 and isinstance(raw["q1"]["f"], Unreadable), raw
    assert reason in raw["q1"]["f"].reason


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_or_broken_py(tmp_path, name):
    text, match = HOSTILE[name]
    start = time.monotonic()
    fails(write(tmp_path, "answers.py", text), match)
    assert time.monotonic() - start < 10


def test_infinite_loop_times_out(tmp_path):
    path = write(tmp_path, "answers.py", "while True:\n    pass\nANSWERS = {}\n")
    start = time.monotonic()
    fails(path, "did not finish within 2 s of CPU time", Limits(wall_seconds=2))
    # CPU time: on a loaded machine the loop gets a share of a CPU, so its 2 s take longer on the wall clock
    from gradekit.sandbox.cputime import load_factor

    assert time.monotonic() - start < 5 * load_factor()


def test_the_time_limit_of_a_computing_file_is_cpu_time_not_the_wall_clock(tmp_path):
    """A file that waits 1.5 s (as it would on a busy machine, starved of CPU) and computes little is within a
    1 s limit: the limit is its CPU time. One that waits without end is stopped by the wall-clock backstop."""
    path = write(tmp_path, "answers.py", "import time\ntime.sleep(1.5)\nANSWERS = {'q3.2': {'L': 116}}\n")
    assert load_answers(path, limits=Limits(wall_seconds=1)).answers == {"q3.2": {"L": 116}}
    path = write(tmp_path, "answers.py", "import time\ntime.sleep(600)\nANSWERS = {}\n")
    start = time.monotonic()
    fails(path, "did not finish within 1 s: it waited", Limits(wall_seconds=1))
    from gradekit.sandbox.cputime import load_factor

    assert time.monotonic() - start < 10 * load_factor()


def test_cpu_limit(tmp_path):
    path = write(tmp_path, "answers.py", "while True:\n    pass\n")
    fails(path, "did not finish within 1 s of CPU time", Limits(cpu_seconds=1, wall_seconds=8))


def test_writes_do_not_reach_the_graders_directory(tmp_path, monkeypatch):
    grader = tmp_path / "grader"
    grader.mkdir()
    (grader / "keep.txt").write_text("x")
    monkeypatch.chdir(grader)
    path = write(tmp_path, "answers.py", """
        open("mine.txt", "w").write("x")
        try:
            open("../mine2.txt", "w").write("x")  # the child's parent: a temp dir, or a read-only jail
        except OSError:
            pass
        ANSWERS = {"q1": {"a": 1 + 1}}
    """)
    assert load_answers(path).answers == {"q1": {"a": 2}}
    assert sorted(os.listdir(grader)) == ["keep.txt"]


def test_a_background_process_is_dead_afterwards(tmp_path):
    from tests.proctools import live_with_cmdline, unique_sleep, wait_until_none

    sleeper = unique_sleep()  # found by its command line: under bwrap its pid is another namespace's
    path = write(tmp_path, "answers.py", f"""
        import subprocess
        p = subprocess.Popen({sleeper!r})
        ANSWERS = {{"q1": {{"pid": p.pid}}}}
    """)
    assert load_answers(path).answers["q1"]["pid"] > 0
    assert wait_until_none(lambda: live_with_cmdline(sleeper)) == [], "the background sleep is still running"


# -- speed ------------------------------------------------------------------------------


def test_loading_data_files_does_not_import_torch_or_sympy(tmp_path):
    files = [
        write(tmp_path, "a.json", '{"q1": {"a": 1.00}}'),
        write(tmp_path, "a.toml", '[q1]\na = 1.00\n'),
        write(tmp_path, "a.py", LITERAL_PY),
    ]
    code = textwrap.dedent(f"""
        import sys
        from gradekit.intake.submission import load_answers
        for path in {[str(f) for f in files]!r}:
            load_answers(path)
        heavy = sorted(m for m in ("torch", "sympy") if m in sys.modules)
        assert not heavy, heavy
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr

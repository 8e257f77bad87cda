"""Hostile task1.py files: each cheat or crash zeroes its own part with a clear message, the rest is graded.

The child hands back only .npy bytes (``allow_pickle=False``) that the parent loads
as plain arrays, and the parent does every comparison, so objects that lie about
equality, ndarray subclasses and a patched numpy in the child come back as data.
Every case also checks that nothing appeared in the grader's working directory.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from gradekit.code.session import ModuleSession
from tests.module_task1 import FAST, POINTS, grade_source, with_override
from tests.proctools import alive, descendants, wait_until_none


def relu_as(body: str) -> str:
    return "def relu(X):\n" + "".join(f"    {line}\n" for line in body.splitlines())


CASES = {
    # name: (file, the part that must score 0, words its feedback must contain)
    "eq_always_true": (with_override(x=relu_as(
        "class Liar:\n    def __eq__(self, other):\n        return True\n    __hash__ = None\nreturn Liar()")),
        "relu", "returned an object of type"),
    "lying_ndarray_subclass": (with_override(x=relu_as(
        "class Lie(np.ndarray):\n"
        "    def __eq__(self, other):\n        return np.ones(np.shape(other), bool)\n"
        "    def tolist(self):\n        return np.maximum(np.asarray(self), 0).tolist()\n"
        "return np.asarray(X).view(Lie)")),  # the values are X itself: wrong on negatives
        "relu", "expected 0"),
    "patched_allclose_and_builtins": (with_override(
        "import numpy, builtins\nnumpy.allclose = lambda *a, **k: True\nnumpy.isclose = lambda a, b, **k: True\n"
        "numpy.testing.assert_allclose = lambda *a, **k: None\nbuiltins.abs = lambda x: 0\n",
        x=relu_as("return X")), "relu", "expected 0"),
    "sys_exit_in_function": (with_override(x=relu_as("import sys\nsys.exit(0)")), "relu", "relu called sys.exit(0)"),
    "os_exit_in_function": (with_override(x=relu_as("import os\nos._exit(0)")), "relu",
                            "the process exited (exit code 0)"),
    "returns_nan": (with_override(x=relu_as("return X * np.nan")), "relu", "is NaN at"),
    "returns_input": (with_override(x=relu_as("return X")), "relu", "expected 0"),
    "object_array": (with_override(x=relu_as("return np.array([object()] * X.size, dtype=object)")),
                     "relu", "dtype object"),
    "infinite_loop": (with_override(x=relu_as("while True:\n    pass")), "relu", f"did not return within {FAST.wall_seconds:g} s of CPU time"),
    "sleeps_past_timeout": (with_override(x=relu_as("import time\ntime.sleep(60)")), "relu", "did not return within"),
    "ignores_sigterm_and_sigxcpu": (with_override(
        "import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nsignal.signal(signal.SIGXCPU, signal.SIG_IGN)\n",
        x=relu_as("while True:\n    pass")), "relu", "did not return within"),
    "allocates_50_gb": (with_override(x=relu_as("big = np.ones(50 * 2**30 // 8)\nreturn big")), "relu",
                        "relu ran out of memory"),
    "missing_package_in_function": (with_override(x=relu_as("import surely_not_a_package\nreturn X")), "relu",
                                    "ModuleNotFoundError"),
    "imports_gradekit_reference": (with_override(x=relu_as(
        "from gradekit.reference.mlp_numpy import relu as r\nreturn r(X)")), "relu", "cannot import gradekit"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_cheat_or_crash_zeroes_its_part_only(tmp_path, monkeypatch, name):
    source, part, says = CASES[name]
    grader_cwd = tmp_path / "grader"
    grader_cwd.mkdir()
    monkeypatch.chdir(grader_cwd)
    _, parts = grade_source(tmp_path, source)
    assert parts[part].score == 0 and says in parts[part].feedback, parts[part].feedback
    others = {n: p.score for n, p in parts.items() if n != part}
    assert others == {n: v for n, v in POINTS.items() if n != part}, [p.feedback for p in parts.values()]
    assert os.listdir(grader_cwd) == []


@pytest.mark.parametrize("header, says", [
    ("import sys\nsys.exit(0)\n", "importing the file called sys.exit(0)"),
    ("import os\nos._exit(0)\n", "the process exited (exit code 0)"),
    ("import surely_not_a_package\n", "No module named 'surely_not_a_package'"),
    ("def broken(:\n", "SyntaxError at line 1"),
    ("while True:\n    pass\n", "did not return within"),
])
def test_a_file_that_cannot_be_imported_scores_zero_everywhere_with_the_reason(tmp_path, header, says):
    report, parts = grade_source(tmp_path, with_override(header))
    assert report.score == 0
    assert all(says in p.feedback for p in parts.values()), [p.feedback for p in parts.values()]


def test_writing_results_json_in_its_directory_changes_nothing(tmp_path, monkeypatch):
    grader_cwd = tmp_path / "grader"
    grader_cwd.mkdir()
    monkeypatch.chdir(grader_cwd)
    source = with_override("open('results.json', 'w').write('{\"score\": 100}')\n", x=relu_as(
        "open('results.json', 'w').write('{\"score\": 100}')\nreturn X"))
    report, parts = grade_source(tmp_path, source)
    assert parts["relu"].score == 0 and report.score == 20 - POINTS["relu"]
    assert os.listdir(grader_cwd) == [] and sorted(os.listdir(tmp_path)) == ["grader", "task1.py"]


def test_printing_100_mb_is_cut_and_grading_goes_on(tmp_path):
    source = with_override(x=relu_as("print('x' * 100 * 2**20)\nreturn np.maximum(X, 0)"))
    report, parts = grade_source(tmp_path, source)
    assert report.full_marks


def test_a_background_thread_neither_blocks_grading_nor_outlives_it(tmp_path):
    header = ("import threading\n"
              "def _spin():\n    while True:\n        sum(range(1000))\n"
              "threading.Thread(target=_spin, daemon=False).start()\n")
    report, _ = grade_source(tmp_path, with_override(header))
    assert report.full_marks
    src = (header + "import os\ndef pid():\n    return os.getpid()\n").encode()
    with ModuleSession(src, "m.py", limits=FAST) as s:
        assert int(s.call("pid").value) > 0
        tree = descendants(s._proc.pid)  # host pids: the child's own may be in a pid namespace (bwrap)
        assert any(alive(p) for p in tree)
    assert wait_until_none(lambda: [p for p in tree if alive(p)]) == []


def test_the_child_holds_no_gradekit_module_and_no_reference_in_its_argv_or_environment():
    src = (b"import sys, os\n"
           b"def probe():\n"
           b"    mods = [m for m in sys.modules if m.split('.')[0] in ('gradekit', 'reference')]\n"
           b"    text = ' '.join(sys.argv) + ' '.join(os.environ.values()) + ' '.join(os.listdir('.'))\n"
           b"    return float(len(mods)), float('mlp_numpy' in text or 'reference' in text)\n")
    with ModuleSession(src, "m.py", limits=FAST) as s:
        r = s.call("probe")
        assert r.ok and [float(v) for v in r.value] == [0.0, 0.0]


def test_arrays_come_back_as_plain_data_whatever_the_child_sent():
    src = (b"import numpy as np\n"
           b"class Lie(np.ndarray):\n    def __eq__(self, o):\n        return True\n"
           b"def f():\n    return np.arange(3.0).view(Lie)\n"
           b"def g():\n    return (np.float32(1.5), 2, True, None, 'text')\n")
    with ModuleSession(src, "m.py", limits=FAST) as s:
        v = s.call("f").value
        assert type(v) is np.ndarray and v.tolist() == [0.0, 1.0, 2.0] and not np.array_equal(v, np.zeros(3))
        got = s.call("g").value
        assert [type(x) for x in got[:3]] == [np.ndarray] * 3 and got[3:] == (None, "text")

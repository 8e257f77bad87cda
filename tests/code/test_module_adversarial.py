"""Hostile task1.py files: each cheat or crash zeroes its own part with a clear message, the rest is graded.

The child hands back only .npy bytes (``allow_pickle=False``) that the parent loads
as plain arrays, and the parent does every comparison, so objects that lie about
equality, ndarray subclasses and a patched numpy in the child come back as data.
Every case also checks that nothing appeared in the grader's working directory.
"""

from __future__ import annotations

import os
import re
import time

import numpy as np
import pytest

from gradekit.code.session import ModuleSession
from gradekit.core.errors import SubmissionError
from gradekit.sandbox.process import Limits
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
        "relu", "expected about 0"),
    "patched_allclose_and_builtins": (with_override(
        "import numpy, builtins\nnumpy.allclose = lambda *a, **k: True\nnumpy.isclose = lambda a, b, **k: True\n"
        "numpy.testing.assert_allclose = lambda *a, **k: None\nbuiltins.abs = lambda x: 0\n",
        x=relu_as("return X")), "relu", "expected about 0"),
    "sys_exit_in_function": (with_override(x=relu_as("import sys\nsys.exit(0)")), "relu", "relu called sys.exit(0)"),
    "os_exit_in_function": (with_override(x=relu_as("import os\nos._exit(0)")), "relu",
                            "the process exited (exit code 0)"),
    "returns_nan": (with_override(x=relu_as("return X * np.nan")), "relu", "is nan, expected about 0"),
    "returns_input": (with_override(x=relu_as("return X")), "relu", "expected about 0"),
    "object_array": (with_override(x=relu_as("return np.array([object()] * X.size, dtype=object)")),
                     "relu", "dtype object"),
    "infinite_loop": (with_override(x=relu_as("while True:\n    pass")), "relu", f"did not return within {FAST.wall_seconds:g} s of CPU time"),
    # it sleeps for good: only the wall-clock backstop (many times the CPU budget, more under load) ends it
    "sleeps_past_timeout": (with_override(x=relu_as("import time\ntime.sleep(10**6)")), "relu", "did not return within"),
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
    ("while True:\n    pass\n", "did not return within"),
])
def test_a_file_that_cannot_be_imported_scores_zero_everywhere_with_the_reason(tmp_path, header, says):
    report, parts = grade_source(tmp_path, with_override(header))
    assert report.score == 0
    assert all(says in p.feedback for p in parts.values()), [p.feedback for p in parts.values()]


def test_a_file_that_is_not_python_is_refused_once_not_part_by_part(tmp_path):
    # no function of it can be imported: one SubmissionError (check exits 2 with one line), as for an answers file
    with pytest.raises(SubmissionError, match=r"task1\.py: SyntaxError at line 1"):
        grade_source(tmp_path, with_override("def broken(:\n"))


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
    assert _probe(src) == [0.0, 0.0]


def _probe(src: bytes) -> list[float]:
    """What the module's ``probe()`` returns, called in a child as the grader calls it."""
    with ModuleSession(src, "m.py", limits=FAST) as s:
        r = s.call("probe")
        assert r.ok, r
        return [float(v) for v in r.value]


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


# --- round 2: a poisoned property search, forged replies, feedback that could be learned, slow code ----------

# The edge inputs relu/prelu are tried on (named in today's feedback), recognised by the attacker's file.
_KNOWS_THE_EDGES = '''
import numpy as _np
_EDGES = [_np.zeros((3, 4)), -_np.arange(1.0, 7.0).reshape(2, 3), _np.array([[-1e300, 1e300, -1e-300, 1e-300]]),
          _np.array([[0.5, -2.0, 3.0]]), _np.array([-1.0, 0.0, 2.5])]
def _is_edge(X):
    return any(X.shape == e.shape and _np.array_equal(X, e) for e in _EDGES)
'''

# Rebinds the harness's reply function, as it was a global of __main__: a reply it marks goes out with a
# malformed header, which made the grader's decoder raise inside hypothesis, which counted as "no failure".
_POISON = '''
import __main__, os as _os, struct as _struct
_real_send = getattr(__main__, "_send", None)
_armed = [False]
def _poisoned_send(header, blobs=()):
    if _armed[0]:
        _armed[0] = False
        _os.write(__main__._RESP, _struct.pack(">I", 3) + b"[1]")
        return
    _real_send(header, blobs)
if _real_send is not None:
    __main__._send = _poisoned_send
'''


def _every_other(name: str, right: str) -> str:
    return (f"_n_{name} = [0]\n"
            f"def {name}(X):\n"
            f"    if _is_edge(X):\n        return {right}\n"
            f"    _n_{name}[0] += 1\n"
            f"    if _n_{name}[0] % 2:\n        _armed[0] = True\n        return X * 0 + 7.0\n"
            f"    return {right}\n")


def test_rebinding_the_harness_send_cannot_hide_relu_and_prelu_wrong_on_every_other_input(tmp_path):
    source = with_override(_KNOWS_THE_EDGES + _POISON, a=_every_other("relu", "_np.maximum(X, 0)"),
                           b=_every_other("prelu", "(X > 0).astype(float)"))
    _, parts = grade_source(tmp_path, source)
    for name in ("relu", "prelu"):
        assert parts[name].score == 0 and parts[name].verdict == "wrong", parts[name].feedback
        assert "expected about" in parts[name].feedback or "malformed or forged reply" in parts[name].feedback
    assert {n: p.score for n, p in parts.items() if n not in ("relu", "prelu")} == \
        {"DNNforward": 5, "DNNbackward": 5, "train": 5}


# Writes a frame of its own to every pipe it can write to (the reply channel among them), then returns
# the right value: the grader must read the forged frame as this call's failure, the student's.
_FORGE = '''
import os as _os, struct as _struct, json as _json
def _forge(header):
    raw = header if isinstance(header, bytes) else _json.dumps(header).encode()
    for fd in sorted(int(f) for f in _os.listdir("/proc/self/fd")):
        if fd < 3:
            continue
        try:
            if _os.readlink("/proc/self/fd/%d" % fd).startswith("pipe:"):
                _os.write(fd, _struct.pack(">I", len(raw)) + raw)
        except OSError:
            pass
'''


@pytest.mark.parametrize("header", [
    b"[1]",  # not an object: the decoder raised AttributeError
    {"ok": True, "bytes": 0},  # a success with no value, for no request in particular
    {"ok": False, "kind": "crash", "error": "the sandbox could not be built", "bytes": 0},  # a kind only the parent names
    {"ok": True, "bytes": -5},
], ids=["list", "bare_success", "forged_crash", "negative_bytes"])
def test_a_forged_reply_on_the_channel_is_this_call_failing_never_a_grader_error(header):
    src = (_FORGE + f"\ndef f(x):\n    _forge({header!r})\n    return x\n"
           "def g(x):\n    return x\n").encode()
    with ModuleSession(src, "m.py", limits=FAST) as s:
        r = s.call("f", np.arange(3.0))
        assert not r.ok and r.kind == "garbled" and "malformed or forged reply" in r.message, r
        again = s.call("g", np.arange(3.0))  # a fresh child: the session is in step again
        assert again.ok and again.value.tolist() == [0.0, 1.0, 2.0]


def test_a_forged_reply_zeroes_the_part_with_the_reason(tmp_path):
    source = with_override(_FORGE, x=relu_as("_forge(b'[1]')\nreturn np.maximum(X, 0)"))
    _, parts = grade_source(tmp_path, source)
    relu = parts["relu"]
    assert relu.score == 0 and relu.verdict == "wrong" and "malformed or forged reply" in relu.feedback, relu.feedback
    assert {n: p.score for n, p in parts.items() if n != "relu"} == {n: v for n, v in POINTS.items() if n != "relu"}


def test_the_channel_is_no_name_in_the_harness_and_not_inherited_by_programs_the_student_starts():
    src = (b"import __main__, os, subprocess, sys\n"
           b"def probe():\n"
           b"    names = [n for n in ('_send', '_RESP', '_REQ', '_exact') if hasattr(__main__, n)]\n"
           b"    mine = set(os.listdir('/proc/self/fd'))\n"
           b"    theirs = subprocess.run([sys.executable, '-c', 'import os; print(len(os.listdir(\"/proc/self/fd\")))'],\n"
           b"                            capture_output=True, text=True).stdout\n"
           b"    return float(len(names)), float(int(theirs)), float(len(mine))\n")
    names, theirs, mine = _probe(src)
    assert names == 0 and theirs < mine, (names, theirs, mine)  # the two pipes stay behind in the harness


def _fixed_backward_cases():
    """Every fixed case DNNbackward was checked on: the edge networks and the finite-difference cases as
    they were drawn before they depended on the file, with the reference's exact gradients: the most a
    file could have learned from feedback that gave expected values to 6 digits and the error to 3."""
    from gradekit.catalog.catalog import load_catalog

    ref: dict = {}  # task1's solution, the reference the file's values were compared with
    exec(load_catalog().resolve("ece449-a2/task1").validated_params.extra["solution_source"], ref)
    rng = np.random.default_rng(449)  # the edge networks task1's former family drew
    W, K, X = rng.normal(size=(2, 3)), rng.normal(size=2), rng.normal(size=(6, 3))
    y = np.where(rng.random(6) < 0.5, -1.0, 1.0)
    cases = [(X[:1], y[:1], W, K), (np.zeros((4, 3)), y[:4], W, K), (-np.abs(X), y, -np.abs(W), -np.abs(K)),
             (X * 1e6, y, W * 1e3, K)]
    rng = np.random.default_rng(4490)
    while len(cases) < 4 + 4:
        n = len(cases) - 3
        X, W, K = rng.normal(size=(n, 3)), rng.normal(size=(2, 3)), rng.normal(size=2)
        if np.min(np.abs(W @ X.T)) > 0.05:
            cases.append((X, np.where(rng.random(n) < 0.5, -1.0, 1.0), W, K))
    table = []
    for X, y, W, K in cases:
        H, A, O = ref["DNNforward"](X, W, K)
        gW, gK = ref["DNNbackward"](X, y, W, K, H, A, O)
        table.append(tuple(np.asarray(v, float).tolist() for v in (X, W, gW, gK)))
    return table


def test_a_dnnbackward_that_only_recalls_the_fixed_cases_scores_zero(tmp_path):
    memoriser = (f"_TABLE = {_fixed_backward_cases()!r}\n"
                 "def DNNbackward(X, y, W, K, H, A, O):\n"
                 "    for tX, tW, gW, gK in _TABLE:\n"
                 "        if np.shape(X) == np.shape(tX) and np.allclose(X, tX) and np.allclose(W, tW):\n"
                 "            return np.array(gW), np.array(gK)\n"
                 "    _armed[0] = True  # an input it cannot answer: poison the reply\n"
                 "    return np.zeros((2, 3)), np.zeros(2)\n")
    _, parts = grade_source(tmp_path, with_override(_POISON, x=memoriser))
    back = parts["DNNbackward"]
    assert back.score == 0 and back.verdict == "wrong", back.feedback
    assert "values: " in back.feedback and "(against finite differences of L in W)" in back.feedback


def test_feedback_gives_expected_gradients_to_two_significant_digits(tmp_path):
    _, parts = grade_source(tmp_path, with_override(x="def DNNbackward(X, y, W, K, H, A, O):\n"
                                                      "    return np.zeros((2, 3)), np.zeros(2)\n"))
    text = parts["DNNbackward"].feedback
    shown = re.findall(r"expected (about )?(-?[0-9][0-9.e+-]*)", text)
    assert shown and all(about for about, _ in shown), text  # never an unqualified expected number
    for _, number in shown:
        mantissa = number.split("e")[0].lstrip("-").replace(".", "").lstrip("0")
        assert len(mantissa) <= 2, (number, text)
    assert all(len(e.split("e")[0].lstrip("-").replace(".", "").lstrip("0")) <= 1
               for e in re.findall(r"off by about ([0-9.e+-]+)", text)), text


def test_reveal_exact_is_a_spec_option_and_nothing_else_is():
    from gradekit.check.kinds import validate_options

    validate_options("function", {"reveal": "exact"})
    validate_options("function", {"reveal": "rough"})
    with pytest.raises(ValueError, match="reveal is 'all'"):
        validate_options("function", {"reveal": "all"})


def test_an_exception_inside_the_search_is_never_a_pass():
    """The grader's own fault in a check (here a judge that fails whatever it is given) is an error for
    the instructor; a judge that fails only on the student's value is the part's failure."""
    from hypothesis import strategies as st

    from gradekit.code.props import CheckFault, run_property
    from gradekit.code.session import CallResult

    arrays = st.just((np.arange(3.0),))
    ok = lambda inp: CallResult(True, np.arange(3.0))  # noqa: E731

    def broken(inp, got):
        raise ZeroDivisionError("a bug in the reference")

    with pytest.raises(CheckFault, match="a bug in the reference"):
        run_property(ok, broken, arrays, [("edge", (np.zeros(3),))], examples=3)

    def picky(inp, got):
        if got is not None:
            raise TypeError("cannot compare this")
        return None

    msg = run_property(ok, picky, arrays, [], examples=3)
    assert msg is not None and "cannot be compared with the reference" in msg

    def raises_in_call(inp):
        raise RuntimeError("the session broke")

    with pytest.raises(CheckFault, match="the session broke"):
        run_property(raises_in_call, lambda i, g: None, arrays, [], examples=3)


def test_a_correct_relu_that_is_slow_times_out_its_part_only_as_the_students(tmp_path):
    """Each call within its limit (1.2 s of 1.5 s), but 25 of them: the check's budget (8 × 1.5 s) ends it."""
    source = with_override(x=relu_as("import time\ntime.sleep(1.2)\nreturn np.maximum(X, 0)"))
    start = time.monotonic()
    report, parts = grade_source(tmp_path, source)
    relu = parts["relu"]
    assert relu.score == 0 and relu.verdict == "wrong", relu.feedback
    assert "your code took longer than 12 s in all on this check" in relu.feedback
    assert report.grader_errors == [] and {n: p.score for n, p in parts.items() if n != "relu"} == \
        {n: v for n, v in POINTS.items() if n != "relu"}
    assert time.monotonic() - start < 40


def test_a_slow_submission_in_a_batch_is_the_students_time_out_not_a_stalled_worker(tmp_path):
    """The case as reported: a correct relu that sleeps 4.5 s a call (each call within its 5 s). The
    supervisor gives up on a worker with no progress for 20 s; this one keeps finishing calls, so its row is
    graded: relu's check spends its budget (8 calls at the 5 s per-call limit, 40 s), a time-out that zeroes
    relu only. Before, the worker was "stalled" and the row a grader error."""
    from gradekit.course.batch import BatchOptions, grade_folder

    (tmp_path / "subs" / "slow").mkdir(parents=True)
    (tmp_path / "subs" / "slow" / "task1.py").write_text(
        with_override(x=relu_as("import time\ntime.sleep(4.5)\nreturn np.maximum(X, 0)")))
    # the batch's default --time-limit (10 s): each call keeps relu's own 5 s (a folder's module files get it too)
    res = grade_folder(tmp_path / "subs", "ece449-a2", BatchOptions(limits=Limits(cpu_seconds=10, wall_seconds=10.0), jobs=1,
                       progress=False, stall_seconds=20))
    (row,) = res.rows
    assert not row.get("grader_error") and row["score"] is not None, row["error"]
    assert row["parts"]["task1:relu"] == 0
    assert {k: v for k, v in row["parts"].items() if k.startswith("task1:") and k != "task1:relu"} == \
        {f"task1:{n}": v for n, v in POINTS.items() if n != "relu"}
    task1 = next(p for p in row["report"]["problems"] if p["id"] == "ece449-a2/task1")
    relu = next(p for p in task1["parts"] if p["name"] == "relu")
    assert "your code took longer than 40 s in all on this check" in relu["feedback"], relu["feedback"]

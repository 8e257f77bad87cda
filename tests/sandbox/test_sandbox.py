"""gradekit.sandbox.process: the child runs boxed, and whatever it does, the parent gets an answer."""

from __future__ import annotations

import json
import os
import signal
import tempfile
import time

import pytest

from gradekit.sandbox import process as sandbox
from gradekit.sandbox.box import describe
from gradekit.sandbox.process import ChildResult, Limits, run_child
from tests.proctools import live_with_cmdline, unique_sleep, wait_until_none


def run(script: str, files: dict[str, bytes] | None = None, **limits) -> ChildResult:
    return run_child(script, files or {}, Limits(**limits))


def result(r: ChildResult):
    assert r.result is not None, (r.stderr, r.result_error)
    return json.loads(r.result)


def test_result_output_and_exit_code():
    r = run("import sys; print('out'); print('err', file=sys.stderr);"
            "open('result.json', 'w').write('[1, 2]'); sys.exit(3)")
    assert (r.returncode, r.stdout, r.stderr, r.result) == (3, "out\n", "err\n", b"[1, 2]")
    assert not r.timed_out and r.killed_by_signal is None and r.result_error is None
    assert r.elapsed < 5


def test_no_result_file_is_none():
    r = run("pass")
    assert r.returncode == 0 and r.result is None and r.result_error is None


def test_scrubbed_environment_own_directory_and_session(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where the child's folder is made
    r = run(
        "import json, os, stat, sys\n"
        "json.dump({'env': dict(os.environ), 'cwd': os.getcwd(), 'files': sorted(os.listdir()),\n"
        "           'mode': stat.S_IMODE(os.stat('.').st_mode), 'sid': os.getsid(0) == os.getpid(),\n"
        "           'data': open('sub/data.txt').read(), 'isolated': sys.flags.isolated,\n"
        "           'stdin': sys.stdin.read()}, open('result.json', 'w'))",
        {"answers.py": b"x = 1", "sub/data.txt": b"hello"},
    )
    got = result(r)
    cwd = got["cwd"]
    jailed = describe()["jail"]
    assert cwd == "/sandbox" if jailed else cwd.startswith(tempfile.gettempdir())
    assert got["env"] == {
        "PATH": "/usr/bin:/bin", "HOME": cwd, "TMPDIR": "/tmp" if jailed else cwd, "LANG": "C.UTF-8",
        "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "NUMEXPR_NUM_THREADS": "1", "VECLIB_MAXIMUM_THREADS": "1",
        "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1",
    }
    # stdout and stderr are not files in the child's directory
    assert got["files"] == ["answers.py", "sub"]
    # In a jail the session leader is the launcher outside the pid namespace; it is killed with its group.
    assert got["mode"] == 0o700 and (got["sid"] or jailed) and got["isolated"] == 1
    assert got["data"] == "hello" and got["stdin"] == ""
    assert os.listdir(tmp_path) == [], "the child's folder is removed"


def test_rlimits_are_set():
    r = run(
        "import json, resource as r\n"
        "json.dump([r.getrlimit(x) for x in (r.RLIMIT_CPU, r.RLIMIT_AS, r.RLIMIT_FSIZE,"
        " r.RLIMIT_CORE)], open('result.json', 'w'))",
        cpu_seconds=7, memory_bytes=2**30, file_bytes=2**20,
    )
    assert result(r) == [[7, 8], [2**30, 2**30], [2**20, 2**20], [0, 0]]


def test_wall_timeout_kills_the_child():
    start = time.monotonic()
    r = run("while True: pass", wall_seconds=1)
    assert r.timed_out and r.killed_by_signal == signal.SIGKILL
    assert time.monotonic() - start < 4


def test_cpu_limit_signals_the_child():
    r = run("while True: pass", cpu_seconds=1, wall_seconds=8)
    assert not r.timed_out and r.killed_by_signal == signal.SIGXCPU


def test_a_background_process_dies_with_the_child():
    sleeper = unique_sleep()  # found by its command line: its pid may be in another pid namespace
    r = run(
        "import subprocess, json\n"
        f"p = subprocess.Popen({sleeper!r})\n"
        "json.dump(p.pid, open('result.json', 'w'))"
    )
    assert result(r) > 0
    assert wait_until_none(lambda: live_with_cmdline(sleeper)) == []


def test_a_background_process_dies_on_timeout_too():
    sleeper = unique_sleep()
    r = run(
        "import subprocess, json\n"
        f"p = subprocess.Popen({sleeper!r})\n"
        "print(p.pid, flush=True)\n"  # a killed child's result.json is not read (a jail's is never copied back)
        "while True: pass", wall_seconds=1,
    )
    assert r.timed_out and int(r.stdout) > 0
    assert wait_until_none(lambda: live_with_cmdline(sleeper)) == []


def test_output_is_truncated_head_and_tail():
    r = run("import sys; sys.stdout.write('A' * 10**6 + 'END'); sys.stderr.write('x' * 5000)",
            output_bytes=1000)
    assert r.stdout.startswith("A" * 400) and r.stdout.endswith("END")
    assert "bytes cut" in r.stdout and len(r.stdout) < 1100
    assert len(r.stderr) < 1100


def test_memory_limit():
    r = run("bytearray(3 * 2**30)", memory_bytes=2**30)
    assert r.returncode == 1 and "MemoryError" in r.stderr


def test_file_size_limit():
    # Python ignores SIGXFSZ, so the write fails with EFBIG instead of killing it
    r = run("open('big', 'wb').write(b'x' * 2**21)", file_bytes=2**20)
    assert r.returncode == 1 and "File too large" in r.stderr
    r = run("import signal, os\nsignal.signal(signal.SIGXFSZ, signal.SIG_DFL)\n"
            "while True: os.write(1, b'x' * 65536)", file_bytes=2**20)
    assert r.killed_by_signal == signal.SIGXFSZ


def test_result_over_the_cap_is_an_error():
    r = run("open('result.json', 'w').write('1' * 100)", result_bytes=10)
    assert r.result is None and "over the limit" in r.result_error


@pytest.mark.parametrize("make", [
    "os.symlink('/etc/passwd', 'result.json')",
    "os.mkfifo('result.json')",
    "os.mkdir('result.json')",
])
def test_result_must_be_a_regular_file(make):
    r = run(f"import os; {make}")
    assert r.result is None and r.result_error, r


def test_directory_is_removed_even_when_locked():
    r = run("import os, json; os.makedirs('a/b'); open('a/b/f', 'w').write('x');"
            "os.chmod('a/b', 0); os.chmod('a', 0); json.dump(os.getcwd(), open('result.json', 'w'))")
    assert not os.path.exists(result(r))


def test_relative_writes_stay_in_the_child_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = run("open('mine.txt', 'w').write('x')")
    assert r.returncode == 0 and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["", "/etc/x", "../x", "a/../../x", "result.json"])
def test_bad_file_names(name):
    with pytest.raises(ValueError, match="relative path"):
        run("pass", {name: b""})


def test_no_directories_leak(tmp_path, monkeypatch):
    # A private temp root: other test workers' children must not show up here.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    run("open('x', 'w').write('1')")
    run("while True: pass", wall_seconds=0.5)
    assert not [n for n in os.listdir(tmp_path) if n.startswith("gradekit-run-")]


@pytest.mark.parametrize("field, value", [("wall_seconds", 0), ("memory_bytes", -1),
                                          ("processes", -1)])
def test_limits_are_checked(field, value):
    with pytest.raises(ValueError, match=field):
        Limits(**{field: value})


def test_process_limit_counts_from_the_users_tasks(monkeypatch):
    from gradekit.sandbox import limits

    monkeypatch.setattr(limits.os, "getuid", lambda: 2**31 - 7)  # a user with no processes
    assert limits._nproc_limit(64) == (65, 65)
    monkeypatch.setattr(limits.os, "getuid", lambda: 0)
    assert limits._nproc_limit(64) is None  # root ignores RLIMIT_NPROC


class _Interrupted(Exception):
    pass


def test_an_interrupted_wait_kills_the_child_and_its_group(monkeypatch):
    # the autograder's whole-run SIGALRM raises inside run_child's wait: nothing may outlive it
    sleeper = unique_sleep()
    started = []

    class Recording(sandbox.subprocess.Popen):
        def __init__(self, *a, **kw):
            super().__init__(*a, **kw)
            started.append(self)

    monkeypatch.setattr(sandbox.subprocess, "Popen", Recording)

    def interrupt(signum, frame):
        raise _Interrupted

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 1.5)
    try:
        with pytest.raises(_Interrupted):
            run(f"import subprocess\nsubprocess.Popen({sleeper!r})\nwhile True: pass", wall_seconds=30)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert wait_until_none(lambda: live_with_cmdline(sleeper)) == []
    assert len(started) == 1 and started[0].returncode is not None  # killed and reaped, not left running

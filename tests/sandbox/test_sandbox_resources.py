"""Resources counted per submission, and nothing of a submission outliving it (issue 39, items 4-7 and 10).

Each test is an attack a student (or a killed grader) makes, written as a child, a module or a grading
process, and asserts what it got. tests/sandbox/test_confined.py runs this module again under a filter that refuses
namespaces, as Docker's default profile does, with and without Landlock: every attack must hold there too.
The sandbox uids these tests take are a range of their own (``GRADEKIT_SANDBOX_UIDS``), so that zombies or
leftovers another test run makes cannot touch them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from gradekit.sandbox import box

ROOT = Path(__file__).resolve().parents[2]
AS_ROOT = os.geteuid() == 0
FEATURES = box.describe()
KIND = FEATURES.get("kind")
root_only = pytest.mark.skipif(not AS_ROOT or FEATURES["level"] != "strong",
                               reason="sandbox uids are a root grader's (strong isolation)")


def own_uids(count: int) -> str:
    """A range of sandbox uids no other test run uses at the same time (its base from this pid)."""
    base = 2_100_000_000 + (os.getpid() % 50_000) * 16
    return f"{base}:{count}"


def python(code: str, *, env: dict | None = None, timeout: float = 300, under: list[str] | None = None):
    """``code`` run by this interpreter as a grading process would be, from the repository root."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    full_env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    full_env.update(env or {})
    return subprocess.run([*(under or []), sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, env=full_env,
                          capture_output=True, text=True, timeout=timeout)


# A container's pid 1 that never reaps what it adopts (gradekit or `dask worker` as the entrypoint), stood in
# for by a subreaper above the grader: it waits for its own child only. Before it ends it says which zombies it
# was left with (uid of each), then reaps them, so that the test leaves none behind.
NON_REAPING_PID_1 = textwrap.dedent("""
    import ctypes, json, os, subprocess, sys
    ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    p = subprocess.Popen(sys.argv[1:])
    os.waitpid(p.pid, 0)
    left = []
    for name in os.listdir("/proc"):
        try:
            status = dict(l.split(":", 1) for l in open("/proc/%s/status" % name).read().splitlines() if ":" in l)
        except (OSError, ValueError):
            continue
        if status["PPid"].strip() == str(os.getpid()) and status["State"].strip().startswith("Z"):
            left.append(int(status["Uid"].split()[0]))
    while True:
        try:
            if os.waitpid(-1, os.WNOHANG)[0] == 0:
                break
        except ChildProcessError:
            break
    print("ADOPTED", json.dumps(sorted(left)))
""")


def under_non_reaping_pid_1(code: str, env: dict) -> tuple[subprocess.CompletedProcess, list[int]]:
    r = python(code, env=env, under=[sys.executable, "-c", NON_REAPING_PID_1])
    adopted = [json.loads(line.split(" ", 1)[1]) for line in r.stdout.splitlines() if line.startswith("ADOPTED ")]
    assert adopted, r.stdout[-2000:] + r.stderr[-3000:]
    return r, adopted[-1]


# Each child starts a daemon (double fork, setsid) and then outlives the wall clock: in the confined level the
# daemon is orphaned; in the jail the launcher is killed with its init, which is orphaned as the sandbox uid.
ORPHANING_CHILD = """
import os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(300)
    os._exit(0)
time.sleep(300)
"""


@root_only
@pytest.mark.parametrize("server", [False, True], ids=["own-box", "fork-server"])
def test_a_non_reaping_pid_1_cannot_use_the_sandbox_uids_up(server):
    """Six orphaning children on three uids, under a pid 1 that never reaps: every one still runs, and no
    zombie of a sandbox uid is left to that pid 1."""
    uids = own_uids(3)
    r, adopted = under_non_reaping_pid_1(f"""
        import json
        from gradekit.sandbox import process
        from gradekit.sandbox.limits import Limits
        process.use_fork_server({server})
        got = []
        for _ in range(6):
            r = process.run_child({ORPHANING_CHILD!r}, {{}}, Limits(wall_seconds=1.0, cpu_seconds=1))
            got.append(r.timed_out)
        process.use_fork_server(False)
        print("RAN", json.dumps(got))
    """, env={"GRADEKIT_SANDBOX_UIDS": uids})
    assert "RAN [true, true, true, true, true, true]" in r.stdout, r.stdout[-2000:] + r.stderr[-3000:]
    base, count = (int(x) for x in uids.split(":"))
    assert [u for u in adopted if base <= u < base + count] == []


@root_only
def test_a_uid_only_zombies_hold_is_still_taken_with_its_process_count_raised(monkeypatch):
    """Zombies left by a grader before this one (a non-reaping pid 1 adopted them) run nothing: the uid is
    still given to a child, whose process count is raised by their number."""
    uids = own_uids(1)
    base = int(uids.split(":")[0])
    r, _ = under_non_reaping_pid_1(f"""
        import os, time
        pid = os.fork()
        if pid == 0:
            os.setgroups([]); os.setgid({base}); os.setuid({base})
            if os.fork() == 0:
                os._exit(0)       # orphaned at once: a zombie of the uid that pid 1 never reaps
            time.sleep(0.2)
            os._exit(0)
        os.waitpid(pid, 0)
        time.sleep(0.3)
        import json
        from gradekit.sandbox.process import run_child
        from gradekit.sandbox.limits import Limits
        r = run_child("import json, resource, os; json.dump([os.getuid(), resource.getrlimit(resource.RLIMIT_NPROC)[0]],"
                      " open('result.json', 'w'))", {{}}, Limits(processes=4))
        print("CHILD", r.result.decode() if r.result else r.stderr)
    """, env={"GRADEKIT_SANDBOX_UIDS": uids})
    line = [x for x in r.stdout.splitlines() if x.startswith("CHILD ")]
    assert line, r.stdout[-2000:] + r.stderr[-3000:]
    uid, nproc = json.loads(line[0].split(" ", 1)[1])
    assert uid == base and nproc == 4 + 1 + 1  # its processes, the launcher's own, and the one zombie


def test_doctor_names_a_pid_1_that_does_not_reap():
    r, _ = under_non_reaping_pid_1("""
        import json
        from gradekit.sandbox.box import describe
        print("DOCTOR", json.dumps(describe()["orphans"]))
    """, env={})
    line = [x for x in r.stdout.splitlines() if x.startswith("DOCTOR ")]
    assert line, r.stdout[-2000:] + r.stderr[-3000:]
    said = json.loads(line[0].split(" ", 1)[1])
    assert said and "does not reap" in said and "python" in said, said


# -- memory and processes: the submission's, all its processes together ----------------------------------

# Six processes of one child each try to hold 200 MiB (touched). Each says on a pipe how much it holds once it
# has it all, or could get no more; the parent waits for every one, then counts what the living ones hold
# together at that moment.
SIX_HOGS = """
import json, os, time
CHUNK = 8 << 20
kids = []
for _ in range(6):
    r, w = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(r); os.close(w)
        break
    if pid == 0:
        os.close(r)
        held, n = [], 0
        try:
            while n < (200 << 20):
                held.append(b"\\x01" * CHUNK)
                n += CHUNK
        except MemoryError:
            pass
        os.write(w, b"%d\\n" % n)
        time.sleep(60)
        os._exit(0)
    os.close(w)
    kids.append((pid, r))
said = {}
for pid, r in kids:
    line = os.read(r, 64)
    if line:
        said[pid] = int(line)
time.sleep(0.2)
alive = [pid for pid in said if os.waitpid(pid, os.WNOHANG) == (0, 0)]
json.dump({"forked": len(kids), "held": sum(said[p] for p in alive)}, open("result.json", "w"))
"""
BUDGET = 256 * 2**20


@pytest.mark.parametrize("setting", ["cgroup-where-possible", "no-cgroup", "fork-server"])
def test_six_processes_of_one_child_hold_no_more_than_its_memory_budget(setting, monkeypatch):
    from gradekit.sandbox import process
    from gradekit.sandbox.limits import WRITABLE_BYTES, Limits

    if setting == "no-cgroup":
        monkeypatch.setenv("GRADEKIT_SANDBOX_CGROUP", "off")
    if setting == "fork-server":
        if not AS_ROOT:
            pytest.skip("the fork server serves root graders only")
        process.use_fork_server(True)
    try:
        r = process.run_child(SIX_HOGS, {}, Limits(memory_bytes=BUDGET, cpu_seconds=30, wall_seconds=60))
    finally:
        process.use_fork_server(False)
    assert r.result is not None, (r.returncode, r.stderr)
    got = json.loads(r.result)
    # a memory cgroup counts what the child writes to its tmpfs with the rest: the budget and that
    assert got["held"] <= BUDGET + WRITABLE_BYTES, got
    assert got["held"] >= 16 << 20, got  # it could hold something: the budget is spent, not refused


# -- CPU: every process of the submission charged to it ----------------------------------------------------

# A function that has a daemon (double fork, setsid: adopted by whoever reaps orphans) do its work, and waits
# for it asleep: the daemon's CPU time is the call's.
DAEMON_WORKER = b"""
import os, select, time

def f():
    r, w = os.pipe()
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            start = time.process_time()
            x = 0
            while time.process_time() - start < 1.5:
                x += 1
            os.write(w, b"%f" % (time.process_time() - start))
            os._exit(0)
        os._exit(0)
    os.close(w)
    while not select.select([r], [], [], 0.05)[0]:
        pass
    return float(os.read(r, 64))
"""


def test_the_cpu_of_a_daemon_a_function_starts_is_charged_to_its_call():
    from gradekit.code.session import ModuleSession
    from gradekit.sandbox.limits import Limits

    with ModuleSession(DAEMON_WORKER, "m.py", limits=Limits(cpu_seconds=60, wall_seconds=60)) as s:
        r = s.call("f", timeout=30)
    assert r.ok, r.message
    assert r.value >= 1.5 and r.cpu >= 0.9 * r.value, (r.value, r.cpu)  # the daemon's CPU, counted


# -- disk: all a child writes, bounded ------------------------------------------------------------------------

# Files just under RLIMIT_FSIZE, in every folder a child may write, until 200 MiB are written or none takes more.
FILL_THE_DISK = """
import json, os
block = b"x" * (1 << 20)
total, n, full = 0, 0, set()
places = sorted({".", "/tmp", "/var/tmp", "/dev/shm", os.environ.get("TMPDIR", "/tmp")})
while total < (200 << 20) and len(full) < len(places):
    for place in places:
        if place in full:
            continue
        try:
            with open(os.path.join(place, "fill%d" % n), "wb") as f:
                for _ in range(15):
                    f.write(block)
                    f.flush()
                    total += len(block)
        except OSError:
            full.add(place)
        n += 1
json.dump(total, open("result.json", "w")) if total < (200 << 20) else None
try:
    for name in os.listdir("."):
        if name.startswith("fill"):
            os.unlink(name)
    json.dump(total, open("result.json", "w"))
except OSError:
    pass
"""


@pytest.mark.skipif(KIND != "jail", reason="only a jail can give the child a tmpfs of its own (the confined level "
                                           "cannot mount: docs/security.md says what bounds it there)")
@pytest.mark.parametrize("server", [False, True], ids=["own-box", "fork-server"])
def test_all_a_jailed_child_writes_is_bounded_by_one_tmpfs(server):
    from gradekit.sandbox import process
    from gradekit.sandbox.limits import Limits

    if server and not AS_ROOT:
        pytest.skip("the fork server serves root graders only")
    limits = Limits(cpu_seconds=30, wall_seconds=60)
    process.use_fork_server(server)
    try:
        r = process.run_child(FILL_THE_DISK, {"data.bin": b"d" * (3 << 20)}, limits)
    finally:
        process.use_fork_server(False)
    assert r.result is not None, (r.returncode, r.stderr[-2000:])
    written = json.loads(r.result)
    assert (15 << 20) <= written <= limits.tmp_bytes, written  # one budget for /sandbox, /tmp, /var/tmp, /dev/shm


# -- no student file outlives its grading ------------------------------------------------------------------

def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("gradekit-"))


@pytest.mark.parametrize("kind", ["module-check", "batch-worker"])
def test_what_a_killed_grading_process_left_is_removed_by_the_next_one_to_start(kind, tmp_path):
    """A grading process SIGKILLed mid-grading (a module check's parent, a batch worker) runs no ``finally``:
    its folders, a student's file in them, stay. The next grading process to start removes them."""
    import shutil
    import tempfile

    # a TMPDIR the sandbox uid may enter (else a root grader makes the child's folders in /tmp)
    tmp = Path(tempfile.mkdtemp(prefix="gk-test-tmpdir-", dir="/tmp"))
    os.chmod(tmp, 0o1777)
    env = {"TMPDIR": str(tmp)}
    try:
        _kill_and_start_again(kind, tmp, env)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _kill_and_start_again(kind: str, tmp: Path, env: dict) -> None:
    if kind == "module-check":
        grading = """
            from gradekit.code.session import ModuleSession
            with ModuleSession(b"import time\\ndef f():\\n    time.sleep(300)\\n", "task1.py") as s:
                s.begin()
                print("GRADING", flush=True)
                s.call("f", timeout=300)
        """
    else:
        grading = """
            import socket, threading
            from multiprocessing.connection import Connection
            from gradekit.course import grading_process
            mine, theirs = socket.socketpair()
            threading.Thread(target=grading_process.serve, args=(Connection(theirs.detach()),), daemon=True).start()
            conn = Connection(mine.detach())
            conn.recv()  # "ready": its scratch folder is made
            open(__import__("tempfile").gettempdir() + "/zed.py", "w").write("x = 1")  # a student's file in it
            print("GRADING", flush=True)
            __import__("time").sleep(300)
        """
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    full_env.update(env, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(grading)], cwd=ROOT, env=full_env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.strip() == "GRADING", line + proc.stderr.read()[-3000:]
    finally:
        proc.kill()  # SIGKILL: no finally runs
        proc.wait()
    left = _leftovers(tmp)
    assert left, ("the killed grading process left nothing: the attack proves nothing", str(tmp),
                  os.listdir(tmp), proc.stderr.read()[-2000:])
    r = python("""
        from gradekit.sandbox.process import Limits, run_child
        assert run_child("open('result.json', 'w').write('1')", {}, Limits()).result == b"1"
    """, env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    assert _leftovers(tmp) == [], _leftovers(tmp)


# -- one intra-op thread: CPU time is the work ------------------------------------------------------------

THREADS = b"""
import os
import torch

def f():
    return [float(torch.get_num_threads()), float(torch.get_num_interop_threads()),
            float(all(os.environ.get(v) == "1" for v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                                          "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")))]
"""


def test_student_code_and_the_reference_run_torch_and_blas_on_one_thread():
    pytest.importorskip("torch")
    from gradekit.code.session import ModuleSession
    from gradekit.grading.code import _preloaded
    from gradekit.sandbox.limits import Limits

    limits = _preloaded(Limits(cpu_seconds=60, wall_seconds=60), THREADS, None)  # as both children are started
    assert "torch" in limits.preload
    with ModuleSession(THREADS, "m.py", limits=limits) as s:
        r = s.call("f", timeout=30)
    assert r.ok, r.message
    assert list(r.value) == [1.0, 1.0, 1.0], r.value

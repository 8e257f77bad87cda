"""Attacks on the sandbox, as a hostile student would write them; each must get nothing.

CI runs as root, like a Gradescope image, with the venv's interpreter under a 0700
``/root`` (pyenv): the setting where children used to stay root. There these tests
*fail* when the jail is missing, never skip. As a normal user they run in the user
namespace the machine gives; where it gives none, the weak-mode tests still run.
Each attack runs as an answers file that computes (``load_answers``), as a bare
child (``run_child``) or as a module (``ModuleSession``), and asserts what the
attacker got (nothing), that nothing was written outside its folder, and that the
grader and honest children beside it carry on.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import textwrap
import time
from pathlib import Path

import pytest

import gradekit
from gradekit.sandbox import box
from gradekit.sandbox import isolation
from gradekit.core.errors import IsolationError, SubmissionError
from gradekit.grading.grade import grade
from gradekit.code.session import ModuleSession
from gradekit.sandbox.process import Limits, run_child
from gradekit.intake.submission import load_answers
from tests.module_task1 import FAST
from tests.proctools import alive, live_with_cmdline, unique_sleep, wait_until_none

ROOT = Path(__file__).resolve().parents[2]
AS_ROOT = os.geteuid() == 0
FEATURES = box.describe()
# tests/sandbox/test_confined.py runs this module again under a filter that refuses namespaces, as Docker's default
# profile does: there the level must be "confined" (and every attack below must still get nothing).
EXPECTED = os.environ.get("GRADEKIT_TEST_EXPECT_ISOLATION", "jail")
KIND = FEATURES.get("kind")
# The engine's own files, as the grader sees them: none of them may be readable by a child.
SECRETS = [Path(gradekit.__file__).resolve(), ROOT / "reference" / "families" / "backprop.py",
           ROOT / "problems" / "ece661-hw1" / "q3.2.toml"]


def result(r):
    assert r.result is not None, (r.returncode, r.stderr, r.result_error)
    return json.loads(r.result)


def jailed_child(code: str, **limits) -> object:
    return result(run_child(textwrap.dedent(code), {}, Limits(**limits)))


@pytest.fixture
def fresh_decision(monkeypatch):
    """Forget this process's isolation decision, so an environment variable set by the test takes effect."""
    monkeypatch.setattr(box, "_decided", {})
    monkeypatch.setattr(isolation, "_used", [])


def test_root_and_namespaces_give_strong_isolation():
    """As root (CI, Gradescope, Docker) a jail must be had: the tests below would otherwise prove nothing."""
    if not AS_ROOT and FEATURES["level"] != "strong":
        pytest.skip(f"a normal user without user namespaces here: {FEATURES.get('line') or FEATURES.get('why')}")
    assert FEATURES["level"] == "strong" and KIND == EXPECTED, FEATURES
    if AS_ROOT:
        assert FEATURES["uid"] in box.sandbox_uids()


strong_only = pytest.mark.skipif(FEATURES["level"] != "strong" and not AS_ROOT,
                                 reason="a normal user without user namespaces: weak mode, tested below")


@strong_only
def test_identity_is_not_the_graders_and_has_no_privileges():
    uid, gid, groups, nnp, caps = jailed_child("""
        import json, os
        status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines() if ":" in line)
        json.dump([os.getuid(), os.getgid(), os.getgroups(), status["NoNewPrivs"].strip(),
                   int(status["CapEff"].strip(), 16)], open("result.json", "w"))
    """)
    assert uid != 0 and gid != 0 and caps == 0 and nnp == "1"
    if AS_ROOT:
        assert uid in box.sandbox_uids() and groups == []
    else:
        assert uid == os.getuid()


@strong_only
def test_the_engine_the_reference_and_the_specs_are_not_in_view_even_without_the_import_guard(tmp_path):
    """The answers child's meta_path guard is removed first; then the file system is searched by hand."""
    path = tmp_path / "answers.py"
    path.write_text(textwrap.dedent(f"""
        import os, sys
        sys.meta_path[:] = [f for f in sys.meta_path if "NoGradekit" not in repr(f)]
        found = []
        try:
            import gradekit
            found.append("import gradekit: " + gradekit.__file__)
        except (ImportError, OSError):  # confined: the finder sees the path, and reading it is refused
            pass
        for secret in {[str(p) for p in SECRETS]!r}:
            try:
                found.append(secret + ": " + open(secret).read(40))
            except OSError:
                pass
        for top in sys.path + ["/", "/work", "/root", "/home", "/autograder", "/tmp", "/var/tmp"]:
            for dirpath, dirnames, filenames in os.walk(top):
                dirnames[:] = [d for d in dirnames if d not in ("proc", "dev", "sys")]
                if os.path.basename(dirpath) in ("gradekit", "families", "problems") and filenames:
                    found.append(dirpath + ": " + ", ".join(sorted(filenames)[:3]))
                if dirpath.count("/") > 12:
                    dirnames[:] = []
        ANSWERS = {{"q3.2": {{"L": 116, "found": found[:20]}}}}
    """))
    got = load_answers(path).answers["q3.2"]
    assert got["found"] == [], got["found"]
    for secret in SECRETS:
        assert secret.exists()  # they are there for the grader, and were searched for


@strong_only
def test_a_module_that_loads_the_reference_by_path_gets_nothing():
    src = ("import importlib.util, os\n"
           "def relu(x):\n"
           "    for path in %r:\n"
           "        try:\n"
           "            spec = importlib.util.spec_from_file_location('ref', path)\n"
           "            m = importlib.util.module_from_spec(spec)\n"
           "            spec.loader.exec_module(m)\n"
           "            return m.relu(x)\n"
           "        except OSError:\n"
           "            pass\n"
           "    return x * 0 - 12345.0\n" % [str(ROOT / "problems" / "ece449-a2" / "task1_solution.py"), str(SECRETS[1])])
    import numpy as np

    with ModuleSession(src.encode(), "task1.py", limits=FAST) as s:
        r = s.call("relu", np.array([-1.0, 2.0]))
    assert r.ok and r.value.tolist() == [-12345.0, -12345.0], r


@strong_only
def test_writes_outside_the_childs_folder_do_not_reach_the_machine(tmp_path):
    marker = f"gradekit-attack-{os.getpid()}-{time.monotonic_ns()}"
    out = tmp_path / "out"
    out.mkdir(mode=0o777)  # even a world-writable output folder is out of view
    targets = [f"/tmp/{marker}", f"/var/tmp/{marker}", f"/dev/shm/{marker}", f"{Path.home()}/{marker}",
               f"/root/{marker}", str(out / "results.json"), str(ROOT / marker), f"/usr/{marker}"]
    got = jailed_child(f"""
        import json, os
        done = []
        for t in {targets!r}:
            try:
                with open(t, "w") as f:
                    f.write("forged")
                done.append(t)
            except OSError:
                pass
        os.system("touch /tmp/{marker}-system 2>/dev/null")
        json.dump(done, open("result.json", "w"))
    """)
    assert set(got) <= {f"/tmp/{marker}", f"/var/tmp/{marker}", f"/dev/shm/{marker}"}  # its private tmpfs
    for t in targets + [f"/tmp/{marker}-system"]:
        assert not os.path.exists(t), t
    assert list(out.iterdir()) == []


@strong_only
def test_the_grader_is_invisible_cannot_be_signalled_and_its_command_line_cannot_be_read():
    stand_in = subprocess.Popen(unique_sleep())  # a process of the grader's user, as the grader is
    try:
        got = jailed_child(f"""
            import json, os, signal
            seen = {{}}
            for name in ("cmdline", "environ", "status"):
                try:
                    seen[name] = open("/proc/%d/%s" % ({os.getpid()}, name)).read(100)
                except OSError as e:
                    seen[name] = type(e).__name__
            for pid in ({stand_in.pid}, {os.getpid()}, {os.getppid()}):
                try:
                    os.kill(pid, 0)
                    seen[pid] = "can signal"
                except OSError as e:
                    seen[pid] = type(e).__name__
            try:
                os.kill({stand_in.pid}, signal.SIGKILL)
            except OSError:
                pass
            try:
                seen["pids"] = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
            except OSError:  # confined with Landlock: only its own /proc/self
                seen["pids"] = []
            json.dump(seen, open("result.json", "w"))
        """)
        assert alive(stand_in.pid) and alive(os.getpid())
        assert all(v in ("FileNotFoundError", "ProcessLookupError", "PermissionError") for k, v in got.items()
                   if k != "pids"), got
        if KIND == "jail":
            assert max(got["pids"]) < 10, got["pids"]  # its own pid namespace: the reaper, itself, its children
        elif FEATURES["landlock"]:
            assert got["pids"] == []  # other processes exist, out of its view
    finally:
        stand_in.kill()
        stand_in.wait()


@strong_only
def test_no_network_not_even_to_the_graders_loopback():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        got = jailed_child(f"""
            import json, socket
            try:
                socket.create_connection(("127.0.0.1", {port}), timeout=2).close()
                got = "connected"
            except OSError as e:
                got = type(e).__name__
            json.dump(got, open("result.json", "w"))
        """)
    assert got != "connected"


def test_a_setsid_daemon_and_a_fork_bomb_end_with_the_child():
    if not AS_ROOT and FEATURES["level"] != "strong" and not any("pids" in c for c in FEATURES["cgroups"]):
        pytest.skip("weak mode without a pids cgroup: a fork bomb is bounded only by RLIMIT_NPROC, best effort")
    sleeper = unique_sleep()
    r = run_child("import subprocess\n"
                  f"p = subprocess.Popen({sleeper!r}, start_new_session=True)\n"
                  "open('result.json', 'w').write(str(p.pid))\n", {}, Limits())
    assert r.returncode == 0 and result(r) > 0
    assert live_with_cmdline(sleeper) == []  # gone when run_child returns: before anything is read
    start = time.monotonic()
    r = run_child("import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
                  {}, Limits(wall_seconds=1.5, processes=32))
    assert r.timed_out and time.monotonic() - start < 15
    assert result(run_child("open('result.json', 'w').write('[1]')", {}, Limits())) == [1]


def test_a_setsid_daemon_started_by_a_module_outlives_the_call_but_not_the_session():
    sleeper = unique_sleep()
    src = (b"import os, subprocess\n"
           b"def spawn():\n"
           b"    p = subprocess.Popen(%r, start_new_session=True)\n"
           b"    return float(os.getsid(p.pid) == p.pid)\n" % sleeper)
    with ModuleSession(src, "m.py", limits=FAST) as s:
        r = s.call("spawn")
        assert r.ok and r.value == 1.0, r.message  # its own session: killpg cannot reach it
        assert wait_until_none(lambda: [] if live_with_cmdline(sleeper) else [0]) == []  # running
    assert wait_until_none(lambda: live_with_cmdline(sleeper)) == []


@strong_only
def test_a_forged_gradescope_result_and_a_killed_grader_change_nothing(tmp_path):
    """The child writes the results.json path and signals every process it can find; the grade stands."""
    results = tmp_path / "results"
    results.mkdir(mode=0o777)
    path = tmp_path / "answers.py"
    path.write_text(textwrap.dedent(f"""
        import os, signal
        for pid in range(1, 4000):
            if pid != os.getpid():
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        try:
            open({str(results / 'results.json')!r}, "w").write('{{"score": 108}}')
        except OSError:
            pass
        ANSWERS = {{"q3.2": {{"L": 1}}}}
    """))
    report = grade(path, assignment="ece661-hw1")
    report.write_gradescope(results / "results.json")
    data = json.loads((results / "results.json").read_text())
    assert data["score"] == report.score == 0


def test_a_root_grader_never_runs_student_code_as_root(fresh_decision, monkeypatch):
    if not AS_ROOT:
        pytest.skip("not root: the child runs as the grader's own user by construction")
    monkeypatch.setenv("GRADEKIT_SANDBOX_UIDS", "off")
    with pytest.raises(IsolationError, match="refusing to run student code as root"):
        run_child("open('result.json', 'w').write('1')", {}, Limits())


def test_weak_isolation_is_declared_and_refused_when_required(fresh_decision, monkeypatch, tmp_path):
    """No jail (as on macOS): the child still runs, never as root, and the weakness is said wherever results go."""
    monkeypatch.setenv("GRADEKIT_SANDBOX_JAIL", "off")
    monkeypatch.setenv("GRADEKIT_SANDBOX_CONFINED", "off")
    try:
        got = jailed_child("import json, os; json.dump(os.getuid(), open('result.json', 'w'))")
    except IsolationError as e:  # root whose interpreter a sandbox uid cannot start (pyenv under /root)
        assert AS_ROOT and "refusing to run student code as root" in str(e)
    else:
        assert got != 0 and (got in box.sandbox_uids() if AS_ROOT else got == os.getuid())
        used = isolation.used()
        assert used is not None and not used.strong and used.line().startswith("isolation: weak")
    monkeypatch.setenv("GRADEKIT_REQUIRE_ISOLATION", "1")
    with pytest.raises(IsolationError):
        run_child("pass", {}, Limits())
    path = tmp_path / "answers.py"
    path.write_text("ANSWERS = {'q3.2': {'L': 100 + 16}}\n")
    with pytest.raises(IsolationError):
        load_answers(path)


def test_a_normal_user_gets_a_user_namespace_jail_or_a_declared_weak_mode(request):
    """Setting 3: a normal Linux user. Run as an unprivileged uid with the system python and a copy of gradekit."""
    if not AS_ROOT:
        pytest.skip("needs root to become another user for the test")
    python = "/usr/bin/python3"
    if not os.path.exists(python):
        pytest.skip("no system python3 for the unprivileged user")
    import shutil
    import tempfile

    home = Path(tempfile.mkdtemp(prefix="gradekit-user-", dir="/tmp"))  # tmp_path's parents are 0700
    request.addfinalizer(lambda: shutil.rmtree(home, ignore_errors=True))
    shutil.copytree(ROOT / "gradekit", home / "gradekit", ignore=shutil.ignore_patterns("__pycache__"), dirs_exist_ok=True)
    os.chmod(home, 0o755)
    uid = 2000000999 if 2000000999 not in (box.sandbox_uids() or ()) else 1999999999
    for p in [home, *home.rglob("*")]:
        os.chown(p, uid, uid)
    script = textwrap.dedent("""
        import json, os, sys
        from gradekit.sandbox import box
        from gradekit.sandbox.process import Limits, run_child
        d = box.describe()
        r = run_child("import json, os\\n"
                      "try:\\n    open(%r).read(); seen = 'read'\\nexcept OSError: seen = 'hidden'\\n"
                      "json.dump([os.getuid(), os.getcwd(), seen], open('result.json', 'w'))"
                      % os.path.abspath("gradekit/__init__.py"), {}, Limits())
        print(json.dumps([d["level"], json.loads(r.result)]))
    """)

    def become():
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)

    proc = subprocess.run([python, "-I", "-c", f"import sys; sys.path.insert(0, {str(home)!r}); " + script],
                          cwd=home, env={"PATH": "/usr/bin:/bin", "HOME": str(home), "TMPDIR": str(home)},
                          preexec_fn=become, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    level, (child_uid, cwd, seen) = json.loads(proc.stdout.strip().splitlines()[-1])
    assert child_uid == uid
    if level == "strong":
        assert cwd == "/sandbox" and seen == "hidden"
    else:
        assert level == "weak" and "isolation: weak" in proc.stderr  # said loudly, once


def test_honest_children_beside_attackers_are_graded_as_before(tmp_path):
    honest = tmp_path / "honest.py"
    honest.write_text("import math\nANSWERS = {'q3.2': {'L': 4 * 29, 'dL/db2': [14, 2 * 3]}}\n")
    attacker = tmp_path / "attacker.py"
    attacker.write_text("import os\nfor i in range(100):\n    os.fork() if i < 3 else None\nwhile True: pass\n")
    with pytest.raises(SubmissionError, match="did not finish"):
        load_answers(attacker, limits=Limits(wall_seconds=1, cpu_seconds=2))
    assert load_answers(honest).answers["q3.2"] == {"L": 116, "dL/db2": [14, 6]}


def test_nothing_is_left_in_tmpdir_after_a_killed_child(tmp_path, monkeypatch):
    monkeypatch.setattr(__import__("tempfile"), "tempdir", str(tmp_path))
    r = run_child("import os, signal\nopen('x', 'w').write('x' * 1000)\nos.kill(os.getpid(), signal.SIGKILL)\n",
                  {"sub/a.txt": b"a"}, Limits())
    assert r.killed_by_signal == signal.SIGKILL
    r = run_child("while True: pass", {}, Limits(wall_seconds=0.5))
    assert r.timed_out
    with ModuleSession(b"import os\ndef f():\n    os._exit(3)\n", "m.py", limits=FAST) as s:
        assert not s.call("f").ok
    assert os.listdir(tmp_path) == []


# -- the batch's fork server: the same attacks, and one student against the next ----------------------------

server_only = pytest.mark.skipif(not AS_ROOT, reason="the fork server serves root graders only (a uid per child)")


@pytest.fixture
def fork_server():
    from gradekit.sandbox import process as sandbox

    sandbox.use_fork_server(True)
    yield
    sandbox.use_fork_server(False)


@server_only
def test_the_fork_server_gives_each_child_its_own_uid_view_and_nothing_of_the_grader(fork_server, tmp_path):
    got = jailed_child(f"""
        import json, os, sys
        sys.meta_path[:] = [f for f in sys.meta_path if "NoGradekit" not in repr(f)]
        seen = {{"uid": os.getuid(), "cwd": os.getcwd(), "files": sorted(os.listdir("."))}}
        try:
            import gradekit
            seen["gradekit"] = gradekit.__file__
        except (ImportError, OSError):  # confined: the finder sees the path, and reading it is refused
            pass
        for secret in {[str(p) for p in SECRETS]!r}:
            try:
                seen.setdefault("secrets", []).append(open(secret).read(40))
            except OSError:
                pass
        if not seen.get("secrets"):
            seen.pop("secrets", None)
        try:
            os.kill({os.getpid()}, 0)
            seen["grader"] = "reachable"
        except OSError:
            pass
        json.dump(seen, open("result.json", "w"))
    """)
    assert got["uid"] in box.sandbox_uids() and got["files"] == []
    assert got["cwd"] == "/sandbox" if KIND == "jail" else got["cwd"].endswith("/work")  # confined: its run folder
    from gradekit.sandbox import process

    # where namespaces are forbidden the batch's server is a plain root process whose children confine themselves
    assert type(process._server.server).__name__ == {"jail": "ForkServer", "confined": "ConfinedServer"}[KIND]
    assert process._server.state is process.Serving.RUNNING
    assert "gradekit" not in got and "secrets" not in got and "grader" not in got


# Scans this process's readable memory for MARK + a token whose sha256 is given: the needle itself is never
# in memory (only its hash), so the scan cannot find its own search term.
MEMORY_SCAN = """
import ctypes, hashlib
def seen_in_memory(digest, size):
    hits = 0
    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split()
            lo, hi = (int(x, 16) for x in fields[0].split("-"))
            if not fields[1].startswith("r") or fields[-1] in ("[vvar]", "[vsyscall]", "[vvar_vclock]") \\
                    or hi - lo > 1 << 28:
                continue
            block = ctypes.string_at(lo, hi - lo)
            at = block.find(b"ZQXJ")
            while at >= 0:
                if hashlib.sha256(block[at + 4:at + 4 + size]).hexdigest() == digest:
                    hits += 1
                at = block.find(b"ZQXJ", at + 1)
    return hits
"""


@server_only
def test_nothing_of_one_student_reaches_the_next_through_the_fork_server(fork_server, tmp_path):
    """Student A leaves its answers in every place it can write, in a daemon and in memory; student B, forked
    from the same server next, looks in all of them (the scan finds A's token in A itself: it works)."""
    import hashlib
    import secrets

    token = secrets.token_hex(16)
    digest = hashlib.sha256(token.encode()).hexdigest()
    marked = "ZQXJ" + token
    from gradekit.sandbox.jail import under_private_tmp

    libraries = under_private_tmp()  # a venv in a clone under /tmp is bound back, read-only: not A's
    sleeper = unique_sleep()
    a = run_child(MEMORY_SCAN + textwrap.dedent(f"""
        import json, os, subprocess
        wrote = []
        for d in ("/sandbox", os.getcwd(), os.environ["TMPDIR"], "/tmp", "/var/tmp", "/dev/shm"):
            try:
                with open(d + "/a.txt", "w") as f:
                    f.write({marked!r})
                os.chmod(d + "/a.txt", 0o666)  # for anyone to read, would anyone find it
                wrote.append(d + "/a.txt")
            except OSError:
                pass
        subprocess.Popen({sleeper!r}, start_new_session=True)
        json.dump([seen_in_memory({digest!r}, 32), wrote], open("result.json", "w"))
    """), {"answers.py": marked.encode()}, Limits())
    hits, wrote = json.loads(a.result)
    assert hits >= 1 and len(wrote) >= 2, a.stderr  # the scan sees A's own answers; A wrote its folders
    assert live_with_cmdline(sleeper) == []  # its daemon is gone before B starts
    b = run_child(MEMORY_SCAN + textwrap.dedent(f"""
        import json, os
        found = []
        for path in {wrote!r}:  # by the token's hash: B's own memory must not hold it
            try:
                text = open(path).read()
            except OSError:
                continue
            if hashlib.sha256(text[4:36].encode()).hexdigest() == {digest!r}:
                found.append(path)
        if {KIND == "jail"!r}:  # its own tmpfs everywhere: nothing at all in them
            for d in ("/sandbox", "/tmp", "/var/tmp", "/dev/shm"):
                found += [d + "/" + n for n in os.listdir(d)
                          if not any(lib == d + "/" + n or lib.startswith(d + "/" + n + "/") for lib in {libraries!r})]
        found.append(seen_in_memory({digest!r}, 32))
        json.dump(found, open("result.json", "w"))
    """), {}, Limits())
    assert json.loads(b.result) == [0], (b.result, b.stderr)


@server_only
def test_the_fork_server_keeps_limits_timeouts_and_exit_codes(fork_server):
    r = run_child("while True: pass", {}, Limits(wall_seconds=1))
    assert r.timed_out and r.killed_by_signal == signal.SIGKILL
    r = run_child("import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)", {}, Limits())
    assert r.killed_by_signal == signal.SIGSEGV
    r = run_child("print('out')\nimport sys\nprint('err', file=sys.stderr)\nraise SystemExit(3)", {}, Limits())
    assert (r.returncode, r.stdout, r.stderr) == (3, "out\n", "err\n")
    r = run_child("import resource, json\njson.dump(resource.getrlimit(resource.RLIMIT_CPU), open('result.json', 'w'))",
                  {}, Limits(cpu_seconds=7))
    assert json.loads(r.result) == [7, 8]
    r = run_child("import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
                  {}, Limits(wall_seconds=1.5, processes=32))
    assert r.timed_out
    assert json.loads(run_child("open('result.json', 'w').write('[1]')", {}, Limits()).result) == [1]


@server_only
def test_a_batch_grades_through_the_fork_server_as_check_does(tmp_path):
    from gradekit.course.batch import grade_entry, BatchOptions, grade_folder, discover

    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "ada.py").write_text("import numpy as np\nANSWERS = {'q3.2': {'L': float(np.float64(116.0))}}\n")
    (subs / "bob.py").write_text("import gradekit\nANSWERS = {}\n")
    # its tmp: the jail's private /tmp, the confined child's private TMPDIR
    (subs / "cy.py").write_text("import tempfile\nopen(tempfile.gettempdir() + '/x', 'w').write('x')\n"
                                "ANSWERS = {'q3.2': {'L': 4 * 29}}\n")
    res = grade_folder(subs, "ece661-hw1", BatchOptions(progress=False, jobs=1))
    by = {r["student"]: r for r in res.rows}
    assert by["ada"]["score"] == by["cy"]["score"] == 1 and "gradekit" in by["bob"]["error"]
    assert by["ada"]["report"]["isolation"]["level"] == "strong"
    from gradekit.catalog.catalog import load_catalog

    assert by["cy"]["score"] == grade_entry(discover(subs)[2], "ece661-hw1", load_catalog())["score"]


# -- the memory budget counts the student's code, not the libraries imported for it (Limits.preload) ---------
# The project's CPU torch maps ~640 MB to import; a CUDA build 3.2 GB. A 400 MiB budget holds neither, so the
# budget must be counted from after the libraries are in, and still hold the student's own allocations.
_BUDGET = 400 * 2**20
_MEMORY_PROBE = """
import json, resource
import numpy as np
import torch

def grab(mib):
    return float(np.ones(int(mib) * 2**20 // 8)[-1])

def raise_cap():
    got = []
    for soft, hard in ((resource.RLIM_INFINITY, resource.RLIM_INFINITY), (8 * 2**30, 8 * 2**30)):
        try:
            resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
            got.append("raised")
        except (OSError, ValueError):
            got.append("refused")
    return " ".join(got)

def mapped():
    return int(open("/proc/self/statm").read().split()[0]) * resource.getpagesize()

def cap():
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    return float(soft), float(hard), float(mapped())
"""


def _memory_limits(**kw):
    return Limits(cpu_seconds=120, wall_seconds=120, memory_bytes=_BUDGET, **kw)


def test_a_module_gets_its_memory_budget_on_top_of_the_libraries_and_cannot_raise_it_back():
    src = (_MEMORY_PROBE + "\ndef f():\n    return float(torch.ones(3).sum())\n").encode()
    with ModuleSession(src, "m.py", limits=_memory_limits()) as s:  # as before: the budget holds torch too
        r = s.call("f", timeout=60)
        assert r.kind == "import" and not r.ok, r
    with ModuleSession(src, "m.py", limits=_memory_limits(preload=("numpy", "torch"))) as s:
        assert s.call("f", timeout=60).value == 3.0
        soft, hard, mapped = s.call("cap", timeout=10).value
        assert soft == hard and 0 < hard - mapped <= _BUDGET, (soft, hard, mapped)
        assert s.call("grab", 150, timeout=30).ok  # well within the student's own 400 MiB
        assert s.call("raise_cap", timeout=10).value == "refused refused"
        over = s.call("grab", 600, timeout=30)  # more than the budget: the student's failure, the child lives on
        assert (over.ok, over.kind) == (False, "memory"), over
        assert s.call("f", timeout=60).value == 3.0


def _child_memory_report():
    code = _MEMORY_PROBE + textwrap.dedent("""
        out = {"raise": raise_cap(), "small": grab(150)}
        try:
            grab(600)
            out["big"] = "allocated"
        except MemoryError:
            out["big"] = "MemoryError"
        out["cap"] = cap()
        json.dump(out, open("result.json", "w"))
    """)
    return result(run_child(code, {}, _memory_limits(preload=("torch",))))


def _assert_child_budget(got):
    soft, hard, mapped = got["cap"]
    assert (got["raise"], got["small"], got["big"]) == ("refused refused", 1.0, "MemoryError"), got
    assert soft == hard and 0 < hard - mapped <= _BUDGET, got


def test_a_child_gets_its_memory_budget_on_top_of_the_libraries():
    r = run_child("import torch", {}, _memory_limits())  # as before: torch alone is over the budget
    # the failure is the loader's or Python's ("failed to map segment", MemoryError, glibc's "cannot allocate
    # memory for thread-local data"), whichever allocation comes first
    assert r.returncode != 0 and ("Error" in r.stderr or "cannot allocate" in r.stderr or r.killed_by_signal), \
        (r.returncode, r.stderr[-300:])
    _assert_child_budget(_child_memory_report())


@server_only
def test_the_fork_server_gives_the_memory_budget_on_top_of_the_libraries(fork_server):
    _assert_child_budget(_child_memory_report())

"""gradekit.confine: a root grader's child gets its own uid, a cgroup, and nothing it starts outlives it.

What applies depends on the machine (``confine.describe()``): the uid drop needs
root and an interpreter other uids can run; a fork bomb needs that uid's
RLIMIT_NPROC or a ``pids`` cgroup to be contained; a ``setsid`` daemon needs the
uid sweep or a cgroup v2 to be killed. Tests of what a machine cannot do skip
with the reason. Where the grader's own interpreter is out of other uids' reach
(pyenv under a 0700 /root), the uid tests run the stdlib-only child under the
system python3 instead, which exercises the same drop.
"""

from __future__ import annotations

import json
import os
import re
import socket
import sys
import time
from pathlib import Path

import pytest

from gradekit import confine
from gradekit.modules.child import ModuleSession
from gradekit.sandbox import Limits, run_child
from gradekit.submission import load_answers
from tests.module_task1 import FAST
from tests.proctools import alive, live_with_cmdline, unique_sleep, wait_until_none

ROOT = Path(__file__).resolve().parent.parent
FEATURES = confine.describe()
HAS_PIDS_CGROUP = any("pids" in c for c in FEATURES["cgroups"])
HAS_V2_CGROUP = any("pids" not in c for c in FEATURES["cgroups"])


def result(r):
    assert r.result is not None, (r.stderr, r.result_error)
    return json.loads(r.result)


@pytest.fixture
def dropped(monkeypatch):
    """A machine where children run as a sandbox uid: as root, with an interpreter that uid can run."""
    if os.geteuid() != 0:
        pytest.skip("not root: children run as the grader's user (rlimits and the process group only)")
    if confine.describe()["uid"] is None:
        for exe in ("/usr/bin/python3", "/usr/local/bin/python3"):
            if os.path.exists(exe):
                monkeypatch.setattr(sys, "executable", exe)
                if confine.describe()["uid"] is not None:
                    break
        else:
            pytest.skip("no interpreter here that a sandbox uid can run")
    if confine.describe()["uid"] is None:
        pytest.skip("the sandbox uid cannot run python3 here")


def test_a_root_graders_child_runs_as_its_own_uid_without_groups_or_new_privileges(dropped):
    r = run_child("import json, os, resource\n"
                  "status = open('/proc/self/status').read()\n"
                  "json.dump([os.getuid(), os.geteuid(), os.getgid(), os.getgroups(),\n"
                  "           resource.getrlimit(resource.RLIMIT_NPROC)[0],\n"
                  "           status.split('NoNewPrivs:')[1].split()[0], os.access('.', os.W_OK)],\n"
                  "          open('result.json', 'w'))", {"a.txt": b"x"}, Limits(processes=16))
    uid, euid, gid, groups, nproc, nnp, writable = result(r)
    assert uid == euid == gid and uid in confine.sandbox_uids() and uid != 0
    assert groups == [] and nproc == 17 and nnp == "1" and writable


def test_a_dropped_child_cannot_write_into_the_graders_directory_or_read_its_environment(dropped, tmp_path,
                                                                                         monkeypatch):
    monkeypatch.setenv("GRADEKIT_TEST_SECRET", "s3cret-answers")
    grader = tmp_path / "grader"
    grader.mkdir(mode=0o755)
    (grader / "secret.txt").write_text("reference answers")
    os.chmod(grader / "secret.txt", 0o600)
    r = run_child("import json, os\n"
                  "def attempt(f):\n"
                  "    try:\n        f()\n        return 'done'\n"
                  "    except OSError as e:\n        return type(e).__name__\n"
                  f"g = {str(grader)!r}\n"
                  "json.dump([attempt(lambda: open(g + '/results.json', 'w').write('{}')),\n"
                  "           attempt(lambda: open(g + '/secret.txt').read()),\n"
                  "           attempt(lambda: open('/proc/%d/environ' % os.getppid()).read())],\n"
                  "          open('result.json', 'w'))\n"
                  "try:\n"
                  "    open('environ.txt', 'w').write(open('/proc/%d/environ' % os.getppid()).read())\n"
                  "except OSError:\n"
                  "    pass\n"
                  "for pid in filter(str.isdigit, os.listdir('/proc')):\n"
                  "    try:\n"
                  "        assert 's3cret' not in open('/proc/%s/environ' % pid).read(), pid\n"
                  "    except OSError:\n"
                  "        pass\n", {}, Limits())
    # PermissionError as the sandbox uid; FileNotFoundError under bwrap, whose /tmp is its own.
    # Under bwrap the parent the child sees is bwrap's reaper, whose environment is the child's own.
    got = result(r)
    assert got[:2] in (["PermissionError"] * 2, ["FileNotFoundError"] * 2), got
    # Judge bwrap by what this child saw: the fixture may have switched interpreters, and bwrap
    # serves one it can see (a venv under /tmp is hidden by bwrap's private /tmp, so not that one).
    under_bwrap = got[:2] == ["FileNotFoundError"] * 2
    assert got[2] == "PermissionError" or (under_bwrap and got[2] == "done"), got
    assert r.returncode == 0, r.stderr  # no process it can see holds the grader's environment
    assert sorted(os.listdir(grader)) == ["secret.txt"]


@pytest.mark.skipif(not (HAS_PIDS_CGROUP or os.geteuid() == 0), reason="no pids cgroup and no uid drop here: "
                    "a fork bomb is bounded only by the user's RLIMIT_NPROC, best effort")
def test_a_fork_bomb_is_contained_killed_and_the_grader_keeps_working():
    if not HAS_PIDS_CGROUP and FEATURES["uid"] is None:
        pytest.skip("root without a pids cgroup or a uid drop: RLIMIT_NPROC does not apply")
    start = time.monotonic()
    r = run_child("import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
                  {}, Limits(wall_seconds=1.5, processes=32))
    assert r.timed_out and time.monotonic() - start < 10
    def leftovers() -> list[int]:
        out = []
        for p in os.listdir("/proc"):
            try:
                if p.isdigit() and b"import os\nwhile True" in Path(f"/proc/{p}/cmdline").read_bytes() and alive(int(p)):
                    out.append(int(p))
            except OSError:
                pass
        return out

    assert wait_until_none(leftovers) == []
    assert result(run_child("open('result.json', 'w').write('[1]')", {}, Limits())) == [1]


def daemon(sleeper: list[str]) -> str:
    return ("import subprocess\n"
            f"p = subprocess.Popen({sleeper!r}, start_new_session=True)\n"
            "open('result.json', 'w').write(str(p.pid))\n")


KILLS_DAEMONS = HAS_V2_CGROUP or FEATURES["uid"] is not None or FEATURES["bwrap"]
needs_daemon_killer = pytest.mark.skipif(not KILLS_DAEMONS, reason="no cgroup v2, uid drop or bwrap here: a setsid "
                                         "daemon outlives the process group (documented in gradekit.sandbox)")


@needs_daemon_killer
def test_a_setsid_daemon_of_a_run_child_is_gone_after_it():
    sleeper = unique_sleep()  # found by its command line: under bwrap its pid is another namespace's
    r = run_child(daemon(sleeper), {}, Limits())
    assert r.returncode == 0 and result(r) > 0
    assert wait_until_none(lambda: live_with_cmdline(sleeper)) == []


def test_a_setsid_daemon_of_a_dropped_child_is_killed_by_the_uid_sweep(dropped, monkeypatch):
    monkeypatch.setenv("GRADEKIT_SANDBOX_CGROUP", "off")  # the uid sweep alone
    monkeypatch.setenv("GRADEKIT_SANDBOX_BWRAP", "off")
    sleeper = unique_sleep()
    r = run_child(daemon(sleeper), {}, Limits())
    assert r.returncode == 0 and result(r) > 0
    assert live_with_cmdline(sleeper) == []  # the sweep is synchronous: gone when run_child returns


@needs_daemon_killer
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


def test_an_answers_file_runs_under_the_same_box(tmp_path):
    path = tmp_path / "answers.py"
    sleeper = unique_sleep()
    path.write_text("import os, subprocess\n"
                    f"p = subprocess.Popen({sleeper!r}, start_new_session=True)\n"
                    "ANSWERS = {'assignment': 'hw', 'q1': {'uid': os.getuid(), 'daemon': p.pid}}\n")
    got = load_answers(path).answers["q1"]
    if FEATURES["uid"] is None:
        assert got["uid"] == os.getuid()
    else:
        assert got["uid"] in confine.sandbox_uids()
    if KILLS_DAEMONS:
        assert wait_until_none(lambda: live_with_cmdline(sleeper)) == []


def test_the_child_sees_no_reference_data_in_its_argv_environment_or_its_parents():
    """The parent's argv/environ are pytest's here; what matters is that gradekit adds no answers to them."""
    src = (b"import os, sys\nimport numpy as np\n"
           b"def probe():\n"
           b"    seen = [open('/proc/self/cmdline', 'rb').read()]\n"
           b"    for name in ('cmdline', 'environ'):\n"
           b"        try:\n"
           b"            seen.append(open('/proc/%d/%s' % (os.getppid(), name), 'rb').read())\n"
           b"        except OSError:\n"
           b"            seen.append(b'')\n"
           b"    return tuple(np.frombuffer(x, np.uint8) for x in seen)\n")  # arrays: no 1000-char cap
    with ModuleSession(src, "m.py", limits=FAST) as s:
        r = s.call("probe")
        own, parent_cmdline, parent_environ = (a.tobytes().decode("utf-8", "replace") for a in r.value)
    args = own.split("\0")
    assert args[:3] == [sys.executable, "-I", "-c"] and args[-4:-1] == ["m.py", "m", str(FAST.output_bytes)]
    assert "import io, json, os, struct, sys, types" in args[3]  # the harness, and nothing after it but fds
    for text in (own, parent_cmdline, parent_environ):
        assert not re.search(r"reference[/.]|mlp_numpy|expected|GRADEKIT_KEY", text)


def test_a_returned_object_with_reduce_is_refused_and_nothing_is_ever_unpickled():
    src = (b"import os\n"
           b"class Evil:\n"
           b"    def __reduce__(self):\n"
           b"        return (os.system, ('touch /tmp/gradekit-pwned',))\n"
           b"def f():\n    return Evil()\n"
           b"def g():\n    return [Evil()]\n")
    with ModuleSession(src, "m.py", limits=FAST) as s:
        for name in ("f", "g"):
            r = s.call(name)
            assert not r.ok and r.kind == "data" and "returned an object of type m.Evil" in r.message
    code = {p: p.read_text() for p in (ROOT / "gradekit").rglob("*.py")}
    assert not [p for p, t in code.items() if re.search(r"^\s*(import|from)\s+(c?pickle|marshal|shelve|dill)\b",
                                                        t, re.M)]
    assert not [p for p, t in code.items() if "allow_pickle=True" in t]
    loads = [(p, line) for p, t in code.items() for line in t.splitlines()
             if re.search(r"\b(np|numpy)\.load\(|_load\(io\.BytesIO", line)]  # the harness binds np.load as _load
    assert loads and all("allow_pickle=False" in line for _, line in loads), loads
    torch_loads = [line for t in code.values() for line in t.splitlines() if "torch.load(" in line]
    assert all("weights_only=True" in line for line in torch_loads), torch_loads  # torch.load unpickles


def test_a_network_socket_connects_only_without_network_isolation():
    """No bubblewrap: the child shares the grader's network (documented); under bwrap it has none."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        r = run_child("import json, socket\n"
                      "try:\n"
                      f"    socket.create_connection(('127.0.0.1', {port}), timeout=2).close()\n"
                      "    got = 'connected'\n"
                      "except OSError as e:\n"
                      "    got = type(e).__name__\n"
                      "json.dump(got, open('result.json', 'w'))", {}, Limits())
    got = result(r)
    assert got == "connected" if not FEATURES.get("bwrap") else got != "connected"


@pytest.mark.skipif(not FEATURES["bwrap"], reason="no working bwrap here (optional: apt-get install bubblewrap)")
def test_under_bwrap_the_child_has_a_read_only_root_a_private_tmp_and_its_own_pids(tmp_path):
    (tmp_path / "grader.txt").write_text("x")
    r = run_child("import json, os\n"
                  "def attempt(f):\n"
                  "    try:\n        f()\n        return 'done'\n"
                  "    except OSError as e:\n        return type(e).__name__\n"
                  "json.dump([attempt(lambda: open('/usr/gradekit-was-here', 'w')),\n"
                  f"           os.path.exists({str(tmp_path / 'grader.txt')!r}), sorted(os.listdir('/tmp')),\n"
                  "           os.getpid(), os.path.basename(os.getcwd()) in os.listdir('/tmp')],\n"
                  "          open('result.json', 'w'))", {}, Limits())
    wrote, sees_grader_file, tmp, pid, cwd_in_tmp = result(r)
    assert wrote in ("OSError", "PermissionError") and not os.path.exists("/usr/gradekit-was-here")
    assert not sees_grader_file and len(tmp) == 1 and cwd_in_tmp and pid < 10


def test_a_broken_bwrap_falls_back_with_a_debug_line(monkeypatch, caplog):
    from gradekit import bwrap

    monkeypatch.setattr(bwrap, "_bwrap_cache", {})
    monkeypatch.setattr(bwrap.shutil, "which", lambda name: "/bin/false" if name == "bwrap" else None)
    monkeypatch.delenv("GRADEKIT_SANDBOX_BWRAP", raising=False)
    with caplog.at_level("DEBUG", logger="gradekit.sandbox"):
        r = run_child("open('result.json', 'w').write('[2]')", {}, Limits())
    assert result(r) == [2]
    assert any("not using bubblewrap: /bin/false" in m for m in caplog.messages), caplog.messages

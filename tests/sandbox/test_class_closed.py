"""The class being graded is closed to the sandbox uid: a student's code cannot run a classmate's file.

Issue 39, item 2: where Docker refuses Landlock (an older Docker, a kernel without it) the confined
level held gradekit, the reference and the output folder from the sandbox uid, but not the batch's
own submissions folder, which is usually open to every user: a student's answers file walked
``/tmp``, found a classmate's submission and returned its answers, for the classmate's marks.

Run as root under ``tests/docker_seccomp.py --no-landlock`` with gradekit installed where other users
cannot read it (as the bundle's setup.sh leaves it), so the level is ``confined`` and only the class
is at stake. ``grade`` closes the class folder (``chmod o-rwx``) and the launcher checks every
submission in it at each launch; where it cannot be closed (a read-only mount), ``grade`` refuses
to start, in one line.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest

from tests.sandbox.test_confined import (FILTER, GRADEKIT, ROOT, install_copy, pytestmark, system_python,  # noqa: F401
                                 system_python_without_gradekit)

# looks where class folders are unpacked for another student's answers file, and returns its answers
def thief(prefix: str) -> str:
    """alice's file: the answers of the first classmate's file it can read in a class folder named ``prefix…``
    (this test's own class only: the suite's other class folders in /tmp, open while their runs begin, are no
    classmates of hers)."""
    return f"""\
import glob, os
ANSWERS = {{}}
for path in glob.glob('/tmp/{prefix}*/*/answers.py') + glob.glob('/tmp/{prefix}*/*/*/answers.py'):
    if os.path.realpath(path) == os.path.realpath('answers.py'):
        continue
    try:
        found = {{}}
        exec(open(path).read(), found)
        ANSWERS = found['ANSWERS']
        break
    except Exception:
        pass
"""


def class_folder() -> tuple[Path, str]:
    """A new class folder in /tmp, and the thief that looks for classmates in it alone."""
    prefix = f"gradekit-class-{uuid.uuid4().hex[:12]}-"
    return Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp")), thief(prefix)


HONEST = "import numpy as np\nANSWERS = {'q3.2': {'L': float(np.float64(4 * 29))}}\n"  # runs in the sandbox


@pytest.fixture
def installed(tmp_path):
    """gradekit installed where the sandbox uid cannot read it (0700), as after the bundle's setup.sh."""
    private = Path(tempfile.mkdtemp(prefix="gradekit-installed-", dir="/tmp"))
    install_copy(private)
    yield private
    shutil.rmtree(private, ignore_errors=True)


@pytest.fixture
def klass():
    """A class folder open to every user (0755, files 0644), as an export unpacked by an instructor."""
    folder, alice = class_folder()
    for student, text in (("alice", alice), ("bob", HONEST)):
        (folder / student).mkdir()
        (folder / student / "answers.py").write_text(text)
        os.chmod(folder / student, 0o755)
        os.chmod(folder / student / "answers.py", 0o644)
    os.chmod(folder, 0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def grade_without_landlock(python: str, installed: Path, folder: Path, out: Path, *, wrap: list[str] | None = None):
    """``gradekit --require-isolation grade FOLDER`` as root under the Docker-like filter with Landlock refused."""
    command = [*(wrap or []), sys.executable, str(FILTER), "--no-landlock", "--", python, *GRADEKIT,
               "--require-isolation", "grade", str(folder), "-a", "ece661-hw1", "-o", str(out), "-j", "1", "--json"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRADEKIT_", "PYTEST_"))}
    env["PYTHONPATH"] = str(installed)
    return subprocess.run(command, cwd=installed, env=env, capture_output=True, text=True, timeout=600)


def scores(out: Path) -> dict[str, float]:
    data = json.loads((out / "grades.json").read_text())
    return {s["student"]: s["score"] for s in data["students"]}


def test_a_students_code_cannot_read_a_classmates_submission_without_landlock(
        system_python_without_gradekit, installed, klass, tmp_path):
    """Before: alice's file returned bob's answers, and alice got bob's marks for them (confined, no Landlock)."""
    out = tmp_path / "grades"
    r = grade_without_landlock(system_python_without_gradekit, installed, klass, out)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    summary = json.loads(r.stdout)
    assert summary["isolation"]["kind"] == "confined" and summary["grader_errors"] == 0, summary
    got = scores(out)
    assert got["bob"] > 0, got  # the honest answer scores: L = 4 * 29
    assert got["alice"] == 0, got  # the thief found nothing to copy
    assert stat.S_IMODE(os.stat(klass).st_mode) & 0o007 == 0  # closed to other users, and said so
    notes = json.loads((out / "grades.json").read_text())["notes"]
    assert any(f"{klass} was open to other users" in n and "chmod o-rwx" in n for n in notes), notes


def test_the_default_output_folder_beside_the_class_is_closed_too(system_python_without_gradekit, installed):
    """``grade course/subs`` writes course/grades (grades, and students' unpacked archives): open to every user
    as made, it is closed with the class, and every child still launches."""
    course, alice = class_folder()
    try:
        os.chmod(course, 0o755)
        subs = course / "subs"
        for student, text in (("alice", alice), ("bob", HONEST)):
            (subs / student).mkdir(parents=True)
            (subs / student / "answers.py").write_text(text)
        for p in (subs, subs / "alice", subs / "bob"):
            os.chmod(p, 0o755)
        command = [sys.executable, str(FILTER), "--no-landlock", "--", system_python_without_gradekit, *GRADEKIT,
                   "--require-isolation", "grade", str(subs), "-a", "ece661-hw1", "-j", "1", "--json"]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GRADEKIT_", "PYTEST_"))}
        r = subprocess.run(command, cwd=installed, env={**env, "PYTHONPATH": str(installed)}, capture_output=True,
                           text=True, timeout=600)
        assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
        assert json.loads(r.stdout)["grader_errors"] == 0
        assert scores(course / "grades") == {"alice": 0, "bob": 1}
        assert all(stat.S_IMODE(os.stat(p).st_mode) & 0o007 == 0 for p in (subs, course / "grades"))
    finally:
        shutil.rmtree(course, ignore_errors=True)


def test_a_class_that_cannot_be_closed_is_refused_in_one_line(system_python_without_gradekit, installed, klass,
                                                              tmp_path):
    """A read-only mount (a class given to a container with ``-v subs:/subs:ro``): nothing is graded."""
    if shutil.which("unshare") is None or subprocess.run(
            ["unshare", "-m", "true"], capture_output=True).returncode != 0:
        pytest.skip("no mount namespace here to make a read-only mount in")
    out = tmp_path / "grades"
    # a read-only bind of the class onto itself, in a mount namespace of this test's own
    wrap = ["unshare", "-m", "sh", "-c", f"mount --bind {klass} {klass} && mount -o remount,ro,bind {klass} && "
            'exec "$@"', "sh"]
    r = grade_without_landlock(system_python_without_gradekit, installed, klass, out, wrap=wrap)
    assert r.returncode == 3, r.stdout[-3000:] + r.stderr[-3000:]
    said = json.loads(r.stdout)["error"]
    assert "\n" not in said and f"the sandbox uid can still reach {klass}" in said, said
    assert "could not be closed" in said and "Read-only file system" in said, said
    assert not (out / "grades.json").exists()  # nothing graded


def test_with_landlock_the_class_stays_as_it_was_and_is_still_out_of_reach(system_python, klass, tmp_path):
    """Confined with Landlock: the class folder is outside what the child may open; its modes are left alone."""
    out = tmp_path / "grades"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRADEKIT_", "PYTEST_"))}
    r = subprocess.run([sys.executable, str(FILTER), "--", system_python, *GRADEKIT, "--require-isolation", "grade",
                        str(klass), "-a", "ece661-hw1", "-o", str(out), "-j", "1", "--json"],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert json.loads(r.stdout)["isolation"]["kind"] == "confined"
    assert scores(out) == {"alice": 0, "bob": 1}
    assert stat.S_IMODE(os.stat(klass).st_mode) == 0o755


def test_in_the_jail_the_class_is_not_in_the_view(klass, tmp_path):
    from gradekit.sandbox.box import describe

    if describe()["kind"] != "jail":
        pytest.skip("no jail on this machine")
    out = tmp_path / "grades"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRADEKIT_", "PYTEST_"))}
    r = subprocess.run([sys.executable, *GRADEKIT, "--require-isolation", "grade", str(klass), "-a", "ece661-hw1",
                        "-o", str(out), "-j", "1", "--json"], cwd=ROOT, env=env, capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert scores(out) == {"alice": 0, "bob": 1}
    assert stat.S_IMODE(os.stat(klass).st_mode) == 0o755


CHECK_AS_UID = """
import json, os, sys
launcher = {"__name__": "confine_launcher"}
exec(compile(open(sys.argv[1]).read(), "confine_launcher", "exec"), launcher)
os.setgroups([]); os.setgid(2000000063); os.setuid(2000000063)
try:
    launcher["check_class"](json.loads(sys.argv[2]), [], False)
    print("closed")
except launcher["Stop"] as e:
    print(e)
"""


@pytest.mark.parametrize("root_mode, entry_mode, names, says", [
    (0o755, 0o700, ["alice", "bob"], "the sandbox uid can still reach {root} (listed)"),  # the folder itself: listed
    (0o750, 0o755, ["alice", "bob"], "closed"),  # not searchable: covers every entry
    (0o711, 0o700, ["alice", "bob"], "closed"),  # searched, not listed; each entry closed
    (0o711, 0o755, ["alice", "bob"], "the sandbox uid can still reach {root}/alice (listed)"),  # a guessable name, open
    (0o711, 0o700, ["alice", ""],  # names were left out of the plan, and the folder does not cover them
     "the sandbox uid can still reach {root} (searched), and not every entry in it is checked"),
])
def test_the_launch_check_probes_every_submission_unless_the_folder_covers_them(tmp_path, root_mode, entry_mode,
                                                                                names, says):
    root = Path(tempfile.mkdtemp(prefix="gradekit-class-", dir="/tmp"))
    try:
        for n in ("alice", "bob"):
            (root / n).mkdir()
            os.chmod(root / n, entry_mode)
        os.chmod(root, root_mode)
        launcher = ROOT / "gradekit" / "sandbox" / "child" / "confine_launcher.py"
        r = subprocess.run([sys.executable, "-I", "-S", "-c", CHECK_AS_UID, str(launcher),
                            json.dumps([str(root), *names])], capture_output=True, text=True, timeout=60)
        assert r.stdout.strip() == says.format(root=root), r.stderr
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_the_plan_names_every_submission_and_says_when_some_are_left_out(tmp_path, monkeypatch):
    from gradekit.sandbox import confine

    monkeypatch.delenv("GRADEKIT_PROTECT_CLASS", raising=False)
    for n in ("bob", "alice", "bad\tname"):
        (tmp_path / n).mkdir()
    confine.protect_class(tmp_path)
    assert confine.class_paths() == [str(tmp_path), "alice", "bob", ""]  # the tab would break the plan's line
    monkeypatch.setattr(confine, "_CLASS_NAME_BYTES", 6)
    (tmp_path / "bad\tname").rmdir()
    assert confine.class_paths() == [str(tmp_path), "alice", ""]


def test_a_folder_the_machine_or_the_sandbox_needs_is_never_closed(tmp_path):
    """``grade /tmp`` must not take /tmp from every user, nor a folder holding the interpreter from the child."""
    from gradekit.course.classfolder import _shared

    assert "sticky" in _shared("/tmp", os.stat("/tmp").st_mode & 0o7777)
    prefix = os.path.realpath(sys.prefix)
    assert f"it holds {prefix}" in _shared(os.path.dirname(prefix), 0o755)
    assert _shared(str(tmp_path), 0o755) == ""

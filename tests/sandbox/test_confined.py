"""Where namespaces are forbidden (Docker's default seccomp profile without CAP_SYS_ADMIN): the confined level.

The grader runs as root under ``tests/docker_seccomp.py``, a filter that refuses unshare, mount,
pivot_root, setns and the rest of that profile's list with EPERM, with a system-wide Python the
sandbox uid can run (a venv of /usr/bin/python3.X that reaches this venv's packages). There
``gradekit doctor`` must say ``confined`` and ``--require`` pass, and the whole adversarial suite
(tests/sandbox/test_isolation.py) must hold as it does in the jail.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import sysconfig
import tempfile
import textwrap
from pathlib import Path

import pytest

import gradekit

ROOT = Path(__file__).resolve().parents[2]
FILTER = ROOT / "tests" / "docker_seccomp.py"
ENGINE = str(Path(gradekit.__file__).resolve().parent)
IN_CI = os.environ.get("GRADEKIT_CI") == "1"

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or sys.platform != "linux" or
                                os.uname().machine not in ("x86_64", "aarch64"),
                                reason="the confined level is a root grader's, on Linux x86_64 or aarch64")


def _open_to_others(path: str) -> bool:
    p = os.path.realpath(path)
    while p != "/":
        if os.stat(p).st_mode & 0o005 != 0o005:
            return False
        p = os.path.dirname(p)
    return True


def _system_venv(editable: bool):
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    base = f"/usr/bin/python{version}"
    if not os.path.exists(base):
        if IN_CI and not os.path.exists("/usr/bin/python3"):
            pytest.fail("no /usr/bin/python3: .ci/run installs Debian's python3")
        pytest.skip(f"no {base} (this venv's version) for the sandbox uid to run")
    site = sysconfig.get_paths()["purelib"]
    if not _open_to_others(site):
        pytest.skip(f"{site} is closed to other users: a sandbox uid could not import numpy from it")
    venv = tempfile.mkdtemp(prefix="gradekit-syspy-", dir="/tmp")
    os.chmod(venv, 0o755)
    subprocess.run([base, "-m", "venv", "--without-pip", venv], check=True, capture_output=True, timeout=120)
    own_site = Path(venv, "lib", f"python{version}", "site-packages")
    # addsitedir also runs that folder's .pth files: the editable install's finder, which imports this checkout
    (own_site / "gradekit-test-deps.pth").write_text(f"import site; site.addsitedir({site!r})\n" if editable
                                                     else site + "\n")
    return venv


@pytest.fixture(scope="module")
def system_python():
    """A Python the sandbox uid can run, with this venv's packages (numpy, gradekit editable) on its path."""
    venv = _system_venv(editable=True)
    yield os.path.join(venv, "bin", "python")
    shutil.rmtree(venv, ignore_errors=True)


@pytest.fixture(scope="module")
def system_python_without_gradekit():
    """The same, with numpy and the rest but without this checkout's gradekit: PYTHONPATH says which."""
    venv = _system_venv(editable=False)
    yield os.path.join(venv, "bin", "python")
    shutil.rmtree(venv, ignore_errors=True)


def install_copy(folder: Path) -> None:
    """This checkout's gradekit copied into ``folder`` as a wheel installs it (reference/ and problems/ inside);
    a checkout's links gradekit/reference and gradekit/problems to the top-level folders are not followed."""
    top = ROOT / "gradekit"
    shutil.copytree(top, folder / "gradekit", ignore=lambda d, names: [
        n for n in names if n == "__pycache__" or (Path(d) == top and n in ("reference", "problems"))])
    for data in ("reference", "problems"):
        shutil.copytree(ROOT / data, folder / "gradekit" / data, ignore=shutil.ignore_patterns("__pycache__"))


def under_docker(python: str, *args: str, landlock: bool = True, env: dict | None = None, timeout: float = 600,
                 cwd: Path = ROOT):
    """``python ARGS`` as root under the Docker-like filter, from the repository root (or ``cwd``)."""
    command = [sys.executable, str(FILTER), *([] if landlock else ["--no-landlock"]), "--", python, *args]
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("GRADEKIT_", "PYTEST_"))}
    full_env.update(env or {})
    return subprocess.run(command, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout)


GRADEKIT = ["-c", "import sys; from gradekit.cli.commands import main; sys.argv[0] = 'gradekit'; main()"]


def test_the_filter_refuses_namespaces_as_dockers_profile_does(system_python):
    r = under_docker(system_python, "-c", textwrap.dedent("""
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        print(libc.unshare(0x00020000), ctypes.get_errno(), libc.mount(b"x", b"/mnt", b"tmpfs", 0, None),
              ctypes.get_errno())
    """))
    assert r.stdout.split() == ["-1", "1", "-1", "1"], r.stderr  # EPERM for both


def test_doctor_says_confined_and_require_passes_under_dockers_default_profile(system_python):
    r = under_docker(system_python, *GRADEKIT, "doctor", "--json")
    d = json.loads(r.stdout)
    assert (d["level"], d["kind"], d["landlock"]) == ("strong", "confined", True), d
    assert "no jail (unshare: Operation not permitted)" in d["line"]
    r = under_docker(system_python, *GRADEKIT, "doctor", "--require")
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith("isolation: strong (confined)"), r.stdout


def test_a_computing_answers_file_is_graded_confined_with_isolation_required(system_python, tmp_path):
    answers = tmp_path / "answers.py"
    # what honest code does: a temporary file, a subprocess, output thrown away to /dev/null
    answers.write_text("import subprocess, tempfile\nimport numpy as np\n"
                       "with tempfile.NamedTemporaryFile('w') as f:\n    f.write('x')\n"
                       "subprocess.run(['/bin/sh', '-c', 'echo hi > /dev/null'], check=True, stdout=subprocess.DEVNULL)\n"
                       "print('noise', file=open('/dev/null', 'w'))\n"
                       "ANSWERS = {'q3.2': {'L': float(np.float64(4 * 29))}}\n")
    os.chmod(tmp_path, 0o755)
    r = under_docker(system_python, *GRADEKIT, "--require-isolation", "check", str(answers), "-a", "ece661-hw1",
                     "--json")
    assert r.returncode == 1, r.stdout[-2000:] + r.stderr[-2000:]  # graded, not full marks (one part answered)
    report = json.loads(r.stdout)
    assert report["isolation"]["kind"] == "confined"
    scored = [p for q in report["problems"] for p in q["parts"] if p["name"] == "L" and q["id"] == "ece661-hw1/q3.2"]
    assert scored and scored[0]["score"] == scored[0]["max_score"] > 0, scored


def test_without_landlock_an_engine_open_to_others_is_not_confined_and_the_path_is_named(system_python):
    """An older Docker refuses Landlock too; this checkout is readable by everyone: the check must find it."""
    r = under_docker(system_python, *GRADEKIT, "doctor", "--json", landlock=False)
    d = json.loads(r.stdout)
    assert (d["level"], d["kind"]) == ("weak", "weak"), d
    assert f"the sandbox uid can still reach {ENGINE}" in d["line"] and "chmod -R go-rwx" in d["line"]
    r = under_docker(system_python, *GRADEKIT, "doctor", "--require", landlock=False)
    assert r.returncode == 3 and r.stdout.startswith("isolation: weak"), r.stdout


def test_the_adversarial_suite_holds_under_dockers_default_profile(system_python):
    """tests/sandbox/test_isolation.py, every attack, run again by a grader that cannot have a jail."""
    r = under_docker(system_python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
                     "tests/sandbox/test_isolation.py", env={"GRADEKIT_TEST_EXPECT_ISOLATION": "confined"})
    tail = r.stdout[-4000:] + r.stderr[-2000:]
    assert r.returncode == 0, tail
    passed = re.search(r"(\d+) passed", r.stdout)
    assert passed and int(passed.group(1)) >= 17 and "failed" not in r.stdout.splitlines()[-1], tail


def test_without_landlock_an_engine_closed_to_others_is_confined_and_what_the_child_leaves_in_tmp_is_swept(
        system_python_without_gradekit):
    """As the bundle's setup.sh leaves a Gradescope image: gradekit installed, closed to other users (go-rwx);
    an older Docker refuses Landlock. The level holds on the uid, the filter and the check; /tmp is shared, so
    what the child's uid leaves there is removed before the next child runs."""
    private = Path(tempfile.mkdtemp(prefix="gradekit-installed-", dir="/tmp"))  # 0700: as after setup.sh's chmod
    try:
        install_copy(private)
        marker = f"gradekit-confined-{os.getpid()}"
        script = textwrap.dedent(f"""
            import json, os
            from gradekit.sandbox import box
            from gradekit.sandbox.process import Limits, run_child
            d = box.describe()
            assert box.__file__.startswith({str(private)!r}), box.__file__
            secret = {str(private / "gradekit" / "reference" / "families" / "backprop.py")!r}
            a = run_child("import json, os\\n"
                          "got = []\\n"
                          "try:\\n    got.append(open(%r).read(20))\\nexcept OSError: pass\\n"
                          "open('/tmp/{marker}', 'w').write('A')\\nos.chmod('/tmp/{marker}', 0o666)\\n"
                          "json.dump(got, open('result.json', 'w'))" % secret, {{}}, Limits())
            left = os.path.exists("/tmp/{marker}")
            print(json.dumps([d["kind"], d["landlock"], json.loads(a.result), left]))
        """)
        r = under_docker(system_python_without_gradekit, "-c", script, landlock=False,
                         env={"PYTHONPATH": str(private)}, cwd=private)
        assert r.returncode == 0, r.stderr[-3000:]
        kind, landlock, read, left = json.loads(r.stdout.strip().splitlines()[-1])
        assert (kind, landlock, read, left) == ("confined", False, [], False)
    finally:
        shutil.rmtree(private, ignore_errors=True)


def test_weak_root_mode_grades_an_honest_computing_answers_file(system_python, tmp_path):
    """GRADEKIT_SANDBOX_JAIL=off (and no confinement) as root: the sandbox uid reaches its own work folder."""
    answers = tmp_path / "answers.py"
    answers.write_text("import numpy as np\nANSWERS = {'q3.2': {'L': float(np.float64(4 * 29))}}\n")
    r = subprocess.run([system_python, *GRADEKIT, "check", str(answers), "-a", "ece661-hw1", "--json"], cwd=ROOT,
                       env={**{k: v for k, v in os.environ.items() if not k.startswith(("GRADEKIT_", "PYTEST_"))},
                            "GRADEKIT_SANDBOX_JAIL": "off", "GRADEKIT_SANDBOX_CONFINED": "off"},
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 1, r.stdout[-2000:] + r.stderr[-2000:]
    report = json.loads(r.stdout)
    assert report["isolation"]["kind"] == "weak" and "isolation: weak" in r.stderr  # still said loudly
    scored = [p for q in report["problems"] for p in q["parts"] if p["name"] == "L" and q["id"] == "ece661-hw1/q3.2"]
    assert scored and scored[0]["verdict"] == "correct" and scored[0]["score"] == scored[0]["max_score"], scored


def test_the_run_folder_is_entered_by_the_sandbox_uid_and_no_one_else():
    from gradekit.sandbox.box import Box, make_run_dir
    from gradekit.sandbox.limits import Limits
    from gradekit.sandbox.cleanup import rmtree

    run = make_run_dir("gradekit-test-")
    try:
        work, root = os.path.join(run, "work"), os.path.join(run, "root")
        os.mkdir(work, 0o700)
        os.mkdir(root, 0o700)
        box = Box.open(Limits(), work, root)
        try:
            st, wt = os.stat(run), os.stat(work)
            assert (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid) == (0o710, 0, box.uid)
            assert (stat.S_IMODE(wt.st_mode), wt.st_uid) == (0o700, box.uid)
        finally:
            box.close()
    finally:
        rmtree(run)


def test_resources_are_counted_per_submission_under_dockers_default_profile(system_python):
    """tests/sandbox/test_sandbox_resources.py, every attack, by a grader that cannot have a jail (Landlock on)."""
    r = under_docker(system_python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
                     "tests/sandbox/test_sandbox_resources.py", env={"GRADEKIT_TEST_EXPECT_ISOLATION": "confined"})
    tail = r.stdout[-4000:] + r.stderr[-2000:]
    assert r.returncode == 0, tail
    assert re.search(r"\b1[0-9] passed", r.stdout) and "failed" not in r.stdout.splitlines()[-1], tail


def test_resources_are_counted_per_submission_confined_without_landlock(system_python_without_gradekit):
    """The same attacks where an older Docker refuses Landlock too: gradekit and the tests installed closed to
    other users (as setup.sh leaves them), so that the level is still confined."""
    private = Path(tempfile.mkdtemp(prefix="gradekit-installed-", dir="/tmp"))  # 0700
    try:
        for part in ("gradekit", "reference", "problems", "tests"):
            shutil.copytree(ROOT / part, private / part, ignore=shutil.ignore_patterns("__pycache__"))
        r = under_docker(system_python_without_gradekit, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p",
                         "no:xdist", "tests/sandbox/test_sandbox_resources.py", landlock=False, cwd=private,
                         env={"PYTHONPATH": str(private), "GRADEKIT_TEST_EXPECT_ISOLATION": "confined"})
        tail = r.stdout[-4000:] + r.stderr[-2000:]
        assert r.returncode == 0, tail
        assert re.search(r"\b1[0-9] passed", r.stdout) and "failed" not in r.stdout.splitlines()[-1], tail
    finally:
        shutil.rmtree(private, ignore_errors=True)

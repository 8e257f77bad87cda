"""The sandbox child's view of the machine: what it may see, and whether this machine can give it.

A child runs in a *jail* when namespaces can be had (``gradekit/sandbox/child/jail_launcher.py``
builds it): a private mount namespace showing only the interpreter and the
libraries a submission may import, read-only, with gradekit itself covered;
its working folder at ``/sandbox``; private ``/tmp``, ``/var/tmp`` and
``/dev/shm``; its own pid namespace (pid 1: when it ends, all it started ends)
and a network namespace with no interface up. As root the launcher then drops
to a sandbox uid; as a normal user it runs in a user namespace that maps only
that user, so it holds no privilege after exec.

>>> plan = jail_plan("/tmp/gradekit-run-x/work", "/tmp/gradekit-run-x/root", 2000000001, {"PATH": "/usr/bin"})
>>> "/usr" in plan["binds"], plan["uid"]                                        # doctest: +SKIP
(True, 2000000001)

What is *not* in the view: gradekit's engine and ``reference/`` (its package
folder is covered by an empty tmpfs), the problem specs, the grader's own files,
other submissions, the output folder, results.json, ``/root``, ``/home``, the
rest of ``/etc``, ``/sys``, and every other process.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Callable

from gradekit.core.errors import IsolationError
from gradekit.sandbox.child import source as child_source

__all__ = ["child_env", "jail_plan", "read_status", "launcher_command", "jail_probe", "run_probe", "SANDBOX_DIR",
           "LAUNCH_FAILED", "PROBE_SECONDS"]

SANDBOX_DIR = "/sandbox"  # where the child's working folder appears inside the jail
LAUNCH_FAILED = 125  # the launcher's exit status when a step failed (the reason is on its status pipe)
PROBE_SECONDS = 30  # how long a probe's launcher and interpreter may take to start and answer
_SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32")
# What the dynamic loader and Python's start-up read from /etc; nothing else of it is shown.
_ETC = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime", "/etc/alternatives",
        "/etc/nsswitch.conf", "/etc/mime.types")


@functools.lru_cache(maxsize=1)
def _library_paths() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(paths to bind read-only, paths inside them to cover): the interpreter, its libraries, not gradekit."""
    wanted = [*_SYSTEM, *_ETC, sys.base_prefix, sys.base_exec_prefix, sys.prefix, sys.exec_prefix,
              os.path.dirname(os.path.realpath(sys.executable))]
    for key in ("purelib", "platlib", "stdlib", "platstdlib"):
        wanted.append(sysconfig.get_paths().get(key, ""))
    wanted += [p for p in sys.path if p.endswith(("site-packages", "dist-packages"))]
    binds: list[str] = []
    for p in sorted({os.path.abspath(p) for p in wanted if p and os.path.lexists(p)}, key=len):
        if not any(p == b or p.startswith(b + "/") for b in binds if not os.path.islink(b)):
            binds.append(p)
    hidden = []
    # gradekit/ (this file's grandparent), which holds reference/ and problems/ when installed
    engine = str(Path(__file__).resolve().parents[1])
    for p in {engine, os.path.dirname(os.path.dirname(os.path.abspath(__file__)))}:
        if any(p == b or p.startswith(b + "/") for b in binds):
            hidden.append(p)
    return tuple(binds), tuple(sorted(hidden))


def child_env(home: str, tmp: str) -> dict[str, str]:
    """A child's whole environment: nothing of the grader's, one thread per BLAS, a fixed hash seed."""
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": home,
        "TMPDIR": tmp,
        "LANG": "C.UTF-8",
        # one intra-op thread (BLAS, OpenMP, torch, numexpr): CPU time measures the work, not threads spinning
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "NUMEXPR_NUM_THREADS": "1",
        "VECLIB_MAXIMUM_THREADS": "1",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def under_private_tmp() -> list[str]:
    """The bound library folders that lie under /tmp, /var/tmp or /dev/shm (a clone with its venv in /tmp):
    a fresh tmpfs there must bind them back."""
    binds, _ = _library_paths()
    return [b for b in binds if b.startswith(("/tmp/", "/var/tmp/", "/dev/shm/"))]


def jail_plan(work: str, root: str, uid: int, env: dict[str, str], tmp_bytes: int = 64 * 2**20) -> dict:
    """What the launcher builds for one child: ``work`` becomes /sandbox, ``root`` is an empty mount point."""
    binds, hidden = _library_paths()
    return {"binds": list(binds), "hidden": list(hidden), "work": work, "root": root, "uid": uid,
            "env": env, "tmp_bytes": tmp_bytes}


def launcher_command(plan: dict, status_fd: int, argv: list[str]) -> list[str]:
    """``argv`` as run through the launcher (``python -I -S``: no site, nothing of the grader's imported)."""
    return [sys.executable, "-I", "-S", "-c", child_source("jail_launcher"), encode_plan(plan), str(status_fd), "--", *argv]


def encode_plan(plan: dict) -> str:
    """A line per field, values split by tabs: what the launcher reads without importing json (7 ms a child).

    >>> encode_plan({"binds": ["/usr", "/lib"], "uid": 5, "env": {"HOME": "/sandbox"}})
    'binds\t/usr\t/lib\nuid\t5\nenv\tHOME=/sandbox'
    """
    lines = []
    for key, value in plan.items():
        if isinstance(value, dict):
            values = [f"{k}={v}" for k, v in value.items()]
        elif isinstance(value, (list, tuple)):
            values = [str(v) for v in value]
        else:
            values = [str(value)]
        for v in values:
            if "\t" in v or "\n" in v or "\0" in v:
                raise IsolationError(f"the sandbox cannot be planned: {key} holds {v!r}, with a tab or newline")
        lines.append("\t".join([key, *values]))
    return "\n".join(lines)


def jail_probe(uid: int) -> str | None:
    """None when a jail can be built here for ``uid`` and the interpreter runs in it; else why not (cached)."""
    return _probe_cached(uid if os.geteuid() == 0 else os.getuid(), sys.executable)


@functools.lru_cache(maxsize=8)
def _probe_cached(uid: int, executable: str) -> str | None:
    from gradekit.sandbox import scratch

    run = scratch.make("probe")
    try:
        work, root = os.path.join(run, "work"), os.path.join(run, "root")
        os.mkdir(work)
        os.mkdir(root)
        if os.geteuid() == 0:
            os.chown(work, uid, uid)
        env = {"PATH": "/usr/bin:/bin", "HOME": SANDBOX_DIR, "LANG": "C.UTF-8"}
        proc, why = run_probe(lambda status_w: launcher_command(
            jail_plan(work, root, uid, env), status_w,
            [executable, "-I", "-c", "import os; print(os.getuid(), os.getcwd())"]), cwd="/", env=env)
        if proc is None:
            return f"the jail did not start within {PROBE_SECONDS} s"
        if why:
            return why
        out, err = proc.stdout, proc.stderr
        if proc.returncode != 0 or out.split() != [str(uid).encode(), SANDBOX_DIR.encode()]:
            return (f"{executable} did not run in it (exit {proc.returncode}: "
                    f"{err.decode(errors='replace').strip()[-200:]})")
        return None
    except OSError as e:
        return f"cannot start the launcher ({e})"
    finally:
        import shutil

        shutil.rmtree(run, ignore_errors=True)


def read_status(fd: int) -> str:
    """What the launcher wrote on its status pipe (a launch error), closing the pipe; '' when it launched."""
    try:
        chunks: list[bytes] = []
        while True:
            chunk = os.read(fd, 4096)
            if not chunk or sum(map(len, chunks)) > 4096:
                break
            chunks.append(chunk)
        return b"".join(chunks).decode("utf-8", "replace").strip()
    finally:
        os.close(fd)


def run_probe(command: Callable[[int], list[str]], *, cwd: str, env: dict[str, str],
              after: Callable[[], None] = lambda: None) -> tuple[subprocess.CompletedProcess | None, str]:
    """Run a probe's launcher (``command(status_fd)`` gives its argv) to its end: what it printed, or None
    when it ran past ``PROBE_SECONDS`` (then it is killed), and the launcher's status (empty when every step
    held). ``after`` runs once the probe is over either way, before the status is read back."""
    status_r, status_w = os.pipe()
    try:
        proc = subprocess.Popen(command(status_w), cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, pass_fds=(status_w,),
                                start_new_session=True)
    except BaseException:
        os.close(status_r)
        raise
    finally:
        os.close(status_w)
    try:
        out, err = proc.communicate(timeout=PROBE_SECONDS)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return None, _read_status_after(status_r, after)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err), _read_status_after(status_r, after)


def _read_status_after(status_r: int, after: Callable[[], None]) -> str:
    try:
        return read_status(status_r)
    finally:
        after()

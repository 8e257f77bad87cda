"""Run untrusted Python in a child process, boxed by rlimits and a wall clock.

The child is ``python -I -c SCRIPT`` in a fresh 0700 temporary directory that
holds the ``files`` it was given, with a scrubbed environment, no stdin, and
its own session (so one ``killpg`` ends it and whatever it started). It hands
data back by writing ``result.json`` in its working directory; the parent
reads that file with a size cap and never unpickles or imports anything from
the child.

>>> r = run_child("open('result.json', 'w').write('[1, 2]')", {}, Limits())  # doctest: +SKIP
>>> r.returncode, r.result                                                  # doctest: +SKIP
(0, b'[1, 2]')

What boxes the child beyond rlimits is ``gradekit.sandbox.box``: a jail (private
mount, pid and network namespaces, gradekit out of view) and a sandbox uid when
the grader is root, cgroups where they can be made, and a sweep of everything
the child started before its result is read. Isolation never fails open: see
``gradekit.sandbox.isolation`` for strong, weak and refused.

rlimits are set in ``preexec_fn``, which Python documents as unsafe with
threads in the parent; it only calls ``setrlimit``/``umask`` on values computed
before the fork, so it takes no locks, but a parent that grades in threads
should prefer processes.
"""

from __future__ import annotations

import math
import os
import resource
import select
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from gradekit.sandbox.box import Box
from gradekit.core.errors import IsolationError

__all__ = ["Limits", "ChildResult", "run_child", "RESULT_FILE", "kill_group", "rmtree", "rlimit_values"]

RESULT_FILE = "result.json"


@dataclass(frozen=True)
class Limits:
    """What a child may use. Sizes are bytes, times seconds.

    ``processes`` is how many processes (threads count on Linux) the child may
    start beyond those its user already runs; ``output_bytes`` is what is kept
    of stdout and of stderr (head and tail); ``result_bytes`` caps result.json.
    """

    cpu_seconds: int = 10
    wall_seconds: float = 10.0
    memory_bytes: int = 2 * 2**30
    file_bytes: int = 16 * 2**20
    processes: int = 64
    output_bytes: int = 64 * 2**10
    result_bytes: int = 32 * 2**20

    @property
    def tmp_bytes(self) -> int:
        """The size of each private tmpfs a jailed child gets (/tmp, /var/tmp, /dev/shm)."""
        return min(self.file_bytes * 4, 256 * 2**20)

    def __post_init__(self) -> None:
        for name in ("cpu_seconds", "wall_seconds", "memory_bytes", "file_bytes",
                     "output_bytes", "result_bytes"):
            if not getattr(self, name) > 0:
                raise ValueError(f"Limits.{name}={getattr(self, name)!r}, but it must be > 0")
        if self.processes < 0:
            raise ValueError(f"Limits.processes={self.processes!r}, but it must be >= 0")


@dataclass(frozen=True)
class ChildResult:
    """How a child ended and what it left.

    ``killed_by_signal`` is the signal number when the child died of a signal
    (SIGKILL after a timeout, SIGXCPU past the CPU limit, SIGXFSZ past the file
    size limit ...). ``result`` is the bytes of result.json, or None when the
    child wrote none or it was unusable, in which case ``result_error`` says why.
    """

    returncode: int
    stdout: str
    stderr: str
    timed_out: bool
    killed_by_signal: int | None
    result: bytes | None
    elapsed: float
    result_error: str | None = None


_server: list = []  # this process's fork server (gradekit.sandbox.fork_server), once use_fork_server(True) asked for one


def use_fork_server(on: bool = True) -> None:
    """Serve this process's children from one jailed fork server (a batch worker's many answers files).

    Used only by a root grader with strong isolation; elsewhere each child gets a fresh jail as usual.
    """
    while _server and not on:
        _server.pop().close()
    if on and not _server:
        _server.append(None)  # started on first use


def run_child(script: str, files: dict[str, bytes], limits: Limits) -> ChildResult:
    """Run ``script`` with ``python -I -c`` in a fresh directory holding ``files``.

    Raises ``IsolationError`` (a grader fault, not the submission's) when the child
    cannot be run with the isolation this machine must give it.
    """
    for name in files:
        _check_name(name)
    if _server and os.geteuid() == 0:
        from gradekit.sandbox import box as confine
        from gradekit.sandbox import isolation

        iso = confine.isolation()
        if iso.strong:
            if _server[0] is None:
                from gradekit.sandbox.fork_server import ForkServer

                _server[0] = ForkServer()
            isolation.note_used(iso)
            return _server[0].run(script, files, limits)
    run = tempfile.mkdtemp(prefix="gradekit-run-")  # mkdtemp makes it 0700
    workdir, mount_point = os.path.join(run, "work"), os.path.join(run, "root")
    box = None
    try:
        os.mkdir(workdir, 0o700)
        os.mkdir(mount_point, 0o700)
        for name, data in files.items():
            target = Path(workdir, name)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        box = Box.open(limits, workdir, mount_point)  # its jail, uid and cgroup
        # Unnamed files (unlinked at creation): the child gets the descriptors,
        # but no path in its directory, or anywhere else, names them.
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            start = time.monotonic()
            try:
                proc = subprocess.Popen(
                    box.command([sys.executable, "-I", "-c", script]),
                    cwd=workdir,
                    env=box.env(),
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=err,
                    start_new_session=True,
                    preexec_fn=box.preexec,
                    pass_fds=box.pass_fds,
                )
            finally:
                box.started()
            try:
                exited = _wait_exit(proc.pid, limits.wall_seconds)
            except BaseException:  # interrupted (the autograder's whole-run alarm): the child dies with the wait
                kill_group(proc.pid)
                proc.wait()
                raise
            # The child is still a zombie here (not reaped), so its pid, which is
            # also its process group id, cannot be reused: killpg is safe.
            kill_group(proc.pid)
            box.close_children()  # what left the group (setsid daemons): before result.json is read
            returncode = proc.wait()
            why = box.launch_error(returncode)
            if why is not None:
                raise IsolationError(f"the sandbox could not be built: {why}")
            elapsed = time.monotonic() - start
            result, result_error = _read_result(Path(workdir, RESULT_FILE), limits.result_bytes)
            return ChildResult(
                returncode=returncode,
                stdout=_read_capped(out, limits.output_bytes),
                stderr=_read_capped(err, limits.output_bytes),
                timed_out=not exited,
                killed_by_signal=-returncode if returncode < 0 else None,
                result=result,
                elapsed=elapsed,
                result_error=result_error,
            )
    finally:
        if box is not None:
            box.close()
        rmtree(run)


def _check_name(name: str) -> None:
    p = PurePosixPath(name)
    if not name or p.is_absolute() or ".." in p.parts or name in (".", RESULT_FILE):
        raise ValueError(f"file name {name!r} must be a relative path inside the child's "
                         f"directory, without '..', and not {RESULT_FILE!r}")


def _rlimit_setter(limits: Limits, nproc: int | None = None):
    """A preexec_fn that only calls setrlimit: every value is computed here, before fork.

    ``nproc`` is the RLIMIT_NPROC to set as is (a child that gets a uid of its own,
    see ``gradekit.sandbox.box``); without it, ``limits.processes`` beyond the user's tasks.
    """
    hard = rlimit_values(limits)
    nproc = _nproc_limit(limits.processes) if nproc is None else _clamp(resource.RLIMIT_NPROC, nproc)

    def preexec() -> None:
        os.umask(0o077)
        for res, value in hard:
            resource.setrlimit(res, value)
        if nproc is not None:
            try:
                resource.setrlimit(resource.RLIMIT_NPROC, nproc)
            except (OSError, ValueError):
                pass  # best effort, see the module docstring

    return preexec


def rlimit_values(limits: Limits) -> list[tuple[int, tuple[int, int]]]:
    """(resource, (soft, hard)) for CPU, memory, file size and core dumps, within this process's own hard limits."""
    cpu = math.ceil(limits.cpu_seconds)
    return [
        # SIGXCPU at the soft limit, SIGKILL one second later if it is ignored.
        (resource.RLIMIT_CPU, _clamp(resource.RLIMIT_CPU, cpu, cpu + 1)),
        (resource.RLIMIT_AS, _clamp(resource.RLIMIT_AS, limits.memory_bytes)),
        (resource.RLIMIT_FSIZE, _clamp(resource.RLIMIT_FSIZE, limits.file_bytes)),
        (resource.RLIMIT_CORE, (0, 0)),
    ]


def _clamp(res: int, soft: int, hard: int | None = None) -> tuple[int, int]:
    """(soft, hard) no higher than the current hard limit, which a child cannot raise."""
    hard = soft if hard is None else hard
    _, current = resource.getrlimit(res)
    if current != resource.RLIM_INFINITY:
        soft, hard = min(soft, current), min(hard, current)
    return soft, hard


def _nproc_limit(extra: int) -> tuple[int, int] | None:
    """RLIMIT_NPROC counts all tasks of the real user, so allow ``extra`` beyond today's."""
    if os.getuid() == 0:
        return None  # root ignores RLIMIT_NPROC
    uid, tasks = os.getuid(), 0
    try:
        pids = [p for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return None
    for pid in pids:
        try:
            if os.stat(f"/proc/{pid}").st_uid == uid:
                tasks += len(os.listdir(f"/proc/{pid}/task"))
        except OSError:
            continue  # exited meanwhile
    return _clamp(resource.RLIMIT_NPROC, tasks + extra + 1)


def _wait_exit(pid: int, timeout: float) -> bool:
    """Wait until ``pid`` exits, without reaping it; False on timeout."""
    try:
        fd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        fd = None
    if fd is not None:
        try:
            poller = select.poll()  # not select(): a descriptor may be over FD_SETSIZE
            poller.register(fd, select.POLLIN)
            return bool(poller.poll(max(0, math.ceil(timeout * 1000))))
        finally:
            os.close(fd)
    deadline, delay = time.monotonic() + timeout, 0.001
    while True:  # no pidfd (old kernel, not Linux): poll
        if os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
            return True
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        time.sleep(min(delay, left))
        delay = min(delay * 2, 0.05)


def kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass  # nothing left in the group


def _read_capped(f, cap: int) -> str:
    """The stream's text, or its head and tail around a note when it is over ``cap``."""
    fd = f.fileno()
    size = os.fstat(fd).st_size
    if size <= cap:
        data = os.pread(fd, size, 0)
    else:
        head = cap // 2
        tail = cap - head
        data = (os.pread(fd, head, 0)
                + f"\n[... {size - cap} bytes cut ...]\n".encode()
                + os.pread(fd, tail, size - tail))
    return data.decode("utf-8", errors="replace")


def _read_result(path: Path, cap: int) -> tuple[bytes | None, str | None]:
    try:
        # No symlinks (to /dev/zero, to secrets), no blocking on a FIFO.
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return None, None
    except OSError as e:
        return None, f"{RESULT_FILE} cannot be opened ({e.strerror})"
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return None, f"{RESULT_FILE} is not a regular file"
        if st.st_size > cap:
            return None, f"{RESULT_FILE} has {st.st_size} bytes, over the limit of {cap}"
        chunks, left = [], cap + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        if len(data) > cap:  # grew after fstat (an escaped process still writing)
            return None, f"{RESULT_FILE} is over the limit of {cap} bytes"
        return data, None
    finally:
        os.close(fd)


def rmtree(root: str) -> None:
    """Remove the child's directory even where it chmod-ed parts of it to 000."""
    retried: set[str] = set()

    def on_error(p: str, exc: BaseException) -> None:
        if isinstance(exc, FileNotFoundError) or p in retried:
            return
        retried.add(p)
        try:
            parent = os.path.dirname(p)
            if p != root and parent.startswith(root):  # never chmod outside root
                os.chmod(parent, 0o700)
            if os.path.isdir(p) and not os.path.islink(p):
                os.chmod(p, 0o700)
                _rm(p)
            else:
                os.unlink(p)
        except OSError:
            pass

    def _rm(p: str) -> None:
        if sys.version_info >= (3, 12):
            shutil.rmtree(p, onexc=lambda func, path, exc: on_error(path, exc))
        else:
            shutil.rmtree(p, onerror=lambda func, path, info: on_error(path, info[1]))

    _rm(root)

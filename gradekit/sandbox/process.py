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

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from enum import Enum
from pathlib import Path, PurePosixPath
from typing import IO, TYPE_CHECKING

from gradekit.sandbox import isolation
from gradekit.sandbox.box import Box, make_run_dir, write_files
from gradekit.sandbox.box import isolation as machine_isolation
from gradekit.sandbox.cleanup import wait_exit, kill_group, rmtree
from gradekit.sandbox.limits import Limits, preload_prelude, rlimit_values
from gradekit.sandbox.result import RESULT_FILE, ChildResult, child_result, read_result
from gradekit.core.errors import IsolationError

if TYPE_CHECKING:
    from gradekit.sandbox.server import ForkServerBase

__all__ = ["Limits", "ChildResult", "run_child", "RESULT_FILE", "kill_group", "rmtree", "rlimit_values", "use_fork_server"]



class Serving(Enum):
    """Where this process's children come from (``_server.state``)."""

    OFF = "off"  # each child gets a fresh jail (or uid) of its own
    WANTED = "wanted"  # use_fork_server(True) asked for a fork server: it starts with the first child that can use it
    RUNNING = "running"  # ``_server.server`` forks the children


@dataclass
class _ForkServerSlot:
    """This process's fork server (``gradekit.sandbox.fork_server``): off, wanted, or running."""

    state: Serving = Serving.OFF
    server: ForkServerBase | None = None  # set exactly when RUNNING

    def want(self) -> None:
        if self.state is Serving.OFF:
            self.state = Serving.WANTED

    def stop(self) -> None:
        server, self.state, self.server = self.server, Serving.OFF, None  # off even if closing it fails
        if server is not None:  # a WANTED one never started (a machine with no jail to serve from)
            server.close()

    def started(self, kind: str) -> ForkServerBase:
        """The running server, started now for an isolation of ``kind`` ("jail" or "confined") if it is not yet."""
        if self.server is None:
            if kind == "jail":  # the server is a jail itself
                from gradekit.sandbox.fork_server import ForkServer
                self.server = ForkServer()
            else:  # no namespaces: each child confines itself after the fork
                from gradekit.sandbox.confined_server import ConfinedServer
                self.server = ConfinedServer()
            self.state = Serving.RUNNING
        return self.server


_server = _ForkServerSlot()


def use_fork_server(on: bool = True) -> None:
    """Serve this process's children from one jailed fork server (a batch worker's many answers files).

    Used only by a root grader with strong isolation (a jailed server, or a confined one where namespaces are
    forbidden); elsewhere each child gets a fresh jail as usual.
    """
    if on:
        _server.want()  # started on first use
    else:
        _server.stop()


def run_child(script: str, files: dict[str, bytes], limits: Limits) -> ChildResult:
    """Run ``script`` with ``python -I -c`` in a fresh directory holding ``files``.

    Raises ``IsolationError`` (a grader fault, not the submission's) when the child
    cannot be run with the isolation this machine must give it.
    """
    for name in files:
        _check_name(name)
    server = _fork_server()
    if server is not None:
        # the server's memory cgroup, set to this child's budget, or else few processes with a share each
        return server.run(preload_prelude(server.child_limits(limits)) + script, files, limits)
    return _run_boxed(script, files, limits)


def _fork_server() -> ForkServerBase | None:
    """This process's fork server, started on first use, when one serves its children (``use_fork_server``
    asked for one, the grader is root and the machine's isolation is strong); None when each child gets its
    own jail."""
    if _server.state is Serving.OFF or os.geteuid() != 0:
        return None
    iso = machine_isolation()
    if iso.kind not in ("jail", "confined"):
        return None
    server = _server.started(iso.kind)
    isolation.note_used(iso)
    return server


def _run_boxed(script: str, files: dict[str, bytes], limits: Limits) -> ChildResult:
    """One child in a box of its own (jail, uid, cgroup), in a run folder removed after it, whatever happens."""
    run = make_run_dir("gradekit-run-")  # 0700; Box.open lets the sandbox uid in, and no one else
    workdir, mount_point = os.path.join(run, "work"), os.path.join(run, "root")
    box = None
    try:
        os.mkdir(workdir, 0o700)
        os.mkdir(mount_point, 0o700)
        write_files(workdir, files)
        box = Box.open(limits, workdir, mount_point)  # its jail, uid and cgroup
        # Unnamed files (unlinked at creation): the child gets the descriptors,
        # but no path in its directory, or anywhere else, names them.
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            start = time.monotonic()
            # the libraries first, then the cap lowered (Limits.preload) to what the box gives the child
            proc = _start(box, preload_prelude(box.limits) + script, workdir, out, err)
            exited = _wait_and_end(proc, limits.wall_seconds)
            box.close_children()  # what left the group (setsid daemons): before result.json is read
            returncode = proc.wait()
            why = box.launch_error(returncode)
            if why is not None:
                raise IsolationError(f"the sandbox could not be built: {why}")
            elapsed = time.monotonic() - start
            result, result_error = read_result(Path(workdir, RESULT_FILE), limits.result_bytes)
            return child_result(returncode, out, err, limits, timed_out=not exited, elapsed=elapsed, result=result,
                                result_error=result_error)
    finally:
        if box is not None:
            box.close()
        rmtree(run)


def _start(box: Box, script: str, workdir: str, out: IO[bytes], err: IO[bytes]) -> subprocess.Popen:
    """The child started in ``box``: its own session, no stdin, its output to ``out`` and ``err``."""
    try:
        return subprocess.Popen(
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


def _wait_and_end(proc: subprocess.Popen, wall_seconds: float) -> bool:
    """Whether the child exited within ``wall_seconds``; either way its process group is killed after."""
    try:
        exited = wait_exit(proc.pid, wall_seconds)
    except BaseException:  # interrupted (the autograder's whole-run alarm): the child dies with the wait
        kill_group(proc.pid)
        proc.wait()
        raise
    # The child is still a zombie here (not reaped), so its pid, which is
    # also its process group id, cannot be reused: killpg is safe.
    kill_group(proc.pid)
    return exited


def _check_name(name: str) -> None:
    p = PurePosixPath(name)
    if not name or p.is_absolute() or ".." in p.parts or name in (".", RESULT_FILE):
        raise ValueError(f"file name {name!r} must be a relative path inside the child's "
                         f"directory, without '..', and not {RESULT_FILE!r}")



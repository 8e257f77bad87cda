"""A batch worker's fork server where no jail can be had: numpy imported once, each child confined on its own.

The confined level's fresh interpreter and numpy import cost ~130 ms of CPU a child; a
batch worker pays it once instead (``gradekit/sandbox/child/confine_server.py``, a root
process with no namespaces to build). For each child the grader does what ``run_child``
does: a run folder the child's uid alone may enter, its files written and handed to that
uid, a uid locked for this child alone; the server forks a runner that confines itself
exactly as the launcher does (uid, Landlock, seccomp, the protected-path check) and runs
the script. The server never sees a submission, a result or an output. Past the wall
clock every process of the uid is killed; it is killed again, and what it left in shared
temporary folders swept, before the result is read.

>>> with ConfinedServer() as server:                                    # doctest: +SKIP
...     server.run("open('result.json', 'w').write('[1]')", {}, Limits()).result
b'[1]'
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gradekit.core.errors import IsolationError
from gradekit.sandbox import confine, jail
from gradekit.sandbox.box import Box, isolation, kill_uid, make_run_dir, write_files, _chown_tree, _let_in
from gradekit.sandbox.child import server_source, source as child_source
from gradekit.sandbox.cleanup import rmtree
from gradekit.sandbox.result import RESULT_FILE, ChildResult, child_result, read_result
from gradekit.sandbox.server import PRELOAD, ForkServerBase, ServerLost, rlimits_request

__all__ = ["ConfinedServer"]

_GRACE = 10.0  # seconds past the wall clock for the server to report once the child's uid is killed


class ConfinedServer(ForkServerBase):
    """One confined fork server; ``run`` has ``run_child``'s contract. Use as a context manager, or ``close``."""

    _name = "confined fork server"

    def _start(self) -> None:
        parent, child = socket.socketpair()
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-I", "-c", server_source("confine_server"), str(child.fileno()),
                 child_source("confine_launcher"), *PRELOAD],
                cwd="/", env=jail.child_env("/", "/tmp"), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, start_new_session=True, pass_fds=(child.fileno(),),
                preexec_fn=self._open_memory_cgroup())
        except OSError as e:
            parent.close()
            self._close_memory_cgroup()
            raise IsolationError(f"the confined fork server cannot start ({e})") from None
        finally:
            child.close()
        self._sock = parent

    def _run(self, script: str, files: dict[str, bytes], limits) -> ChildResult:
        iso = isolation()
        run = make_run_dir("gradekit-run-")
        box = Box(iso=iso)
        status_r = status_w = -1
        try:
            box.take_uid()  # this child's alone
            work, tmp = os.path.join(run, "work"), os.path.join(run, "tmp")
            os.mkdir(work, 0o700)
            os.mkdir(tmp, 0o700)
            write_files(work, files)
            _chown_tree(work, box.sandbox_uid)
            _chown_tree(tmp, box.sandbox_uid)
            _let_in(run, box.sandbox_uid)
            plan = confine.confined_plan(work, tmp, box.sandbox_uid, jail.child_env(work, tmp),
                                         landlock=iso.landlock)
            request = {"plan": plan, "rlimits": rlimits_request(self.child_limits(limits), box.zombies)}
            status_r, status_w = os.pipe()
            with tempfile.TemporaryFile() as job, tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
                job.write(script.encode())  # on a descriptor only the forked runner reads: never in the server
                job.flush()
                job.seek(0)
                start = time.monotonic()
                try:
                    self._send(request, [out.fileno(), err.fileno(), status_w, job.fileno()])
                finally:
                    os.close(status_w)
                    status_w = -1
                status, timed_out = self._wait(start + limits.wall_seconds, box.sandbox_uid)
                box.close_children()  # whatever of its uid is left, before the result is read
                elapsed = time.monotonic() - start
                code = os.waitstatus_to_exitcode(status)
                if code == jail.LAUNCH_FAILED:
                    why = jail.read_status(status_r)
                    status_r = -1
                    if why:
                        raise IsolationError(f"the sandbox could not be built: {why}")
                result, result_error = read_result(Path(work, RESULT_FILE), limits.result_bytes)
                return child_result(code, out, err, limits, timed_out=timed_out, elapsed=elapsed, result=result,
                                    result_error=result_error)
        finally:
            for fd in (status_r, status_w):
                if fd >= 0:
                    os.close(fd)
            box.close()
            rmtree(run)

    def _wait(self, deadline: float, uid: int) -> tuple[int, bool]:
        """The runner's wait status, and whether the wall clock ran out (then every process of ``uid`` is killed)."""
        timed_out = False

        def past_deadline() -> float:
            nonlocal timed_out
            if timed_out:
                raise ServerLost("it did not report its child")
            timed_out = True
            kill_uid(uid)
            return time.monotonic() + _GRACE

        got = self._read_line(deadline, past_deadline)
        try:
            return int(got), timed_out
        except ValueError:
            raise ServerLost(f"it answered {got[:40]!r}") from None

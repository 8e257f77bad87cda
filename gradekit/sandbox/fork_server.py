"""A fork server for a batch: one root jail per worker, numpy imported once, a fresh view per submission.

Starting a jailed interpreter and importing numpy costs ~90 ms a child; a class
of computing answers files pays it per student. A batch worker starts one
``ForkServer`` instead (``gradekit/sandbox/child/jail_server.py`` inside the same jail as any
child: the interpreter and libraries read-only, gradekit out of view, no
network, its own pid namespace). For each submission the server forks a child
that gets a mount and an IPC namespace of its own (no SysV segment an earlier
child left), fresh ``/sandbox``, ``/tmp``, ``/var/tmp`` and ``/dev/shm``, drops
to a sandbox uid the grader locked for this child alone, and runs the same script ``run_child`` would. The server never
reads a submission, a result or any output: those travel on descriptors passed
straight to the child, so no later child can find an earlier one's data in the
memory it was forked from. Every process of the child's uid is killed before
its result is read, by the server's keeper and again by the grader.

Only a root grader with strong isolation uses it (a normal user could not give
each child a uid of its own); ``run_child`` falls back to a fresh jail otherwise.

>>> with ForkServer() as server:                                        # doctest: +SKIP
...     server.run("open('result.json', 'w').write('[1]')", {}, Limits()).result
b'[1]'
"""

from __future__ import annotations

import json
import os
import select
import socket
import subprocess
import sys
import tempfile
import time

from gradekit.sandbox import jail, scratch
from gradekit.sandbox.box import Box, kill_uid
from gradekit.sandbox.cleanup import rmtree
from gradekit.sandbox.result import ChildResult, child_result
from gradekit.sandbox.server import PRELOAD, ForkServerBase, ServerLost, rlimits_request
from gradekit.sandbox.child import server_source
from gradekit.core.errors import IsolationError

__all__ = ["ForkServer"]

_GRACE = 10.0  # seconds past the wall clock for the keeper to report once the child's uid is killed


class ForkServer(ForkServerBase):
    """One jailed fork server; ``run`` has ``run_child``'s contract. Use as a context manager, or ``close``."""

    def __init__(self) -> None:
        super().__init__()
        self._box: Box | None = None
        self._run_dir: str | None = None

    def _start(self) -> None:
        self._box = Box()
        self._box.take_uid()  # the reaper's uid, for the server's life
        self._run_dir = scratch.make("server")
        work, root = os.path.join(self._run_dir, "work"), os.path.join(self._run_dir, "root")
        os.mkdir(work)
        os.mkdir(root)
        plan = jail.jail_plan(work, root, self._box.sandbox_uid,
                              jail.child_env(jail.SANDBOX_DIR, "/tmp"))
        plan["keep_root"] = "1"
        parent, child = socket.socketpair()
        status_r, status_w = os.pipe()
        code = server_source("jail_server")
        try:
            self._proc = subprocess.Popen(
                jail.launcher_command(plan, status_w, [sys.executable, "-I", "-c", code, str(child.fileno()),
                                                       *PRELOAD]),
                cwd=work, env=plan["env"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, start_new_session=True, pass_fds=(child.fileno(), status_w),
                preexec_fn=self._open_memory_cgroup())
        except OSError as e:
            rmtree(self._run_dir)
            self._close_memory_cgroup()
            raise IsolationError(f"the fork server cannot start ({e})") from None
        finally:
            child.close()
            os.close(status_w)
        self._sock = parent
        self._status_r = status_r

    def close(self) -> None:
        had_server = self._proc is not None
        super().close()
        if had_server:
            os.close(self._status_r)
        if self._box is not None:
            self._box.close()
            self._box = None
        if self._run_dir is not None:
            rmtree(self._run_dir)
            self._run_dir = None

    def _why_lost(self, lost: ServerLost) -> str:
        return self._launch_error() or str(lost)

    def _launch_error(self) -> str:
        if self._proc is None or self._proc.poll() is None:
            return ""
        return jail.read_status(os.dup(self._status_r)) if self._proc.returncode == jail.LAUNCH_FAILED else ""

    def _run(self, script: str, files: dict[str, bytes], limits) -> ChildResult:
        box = Box()
        box.take_uid()  # this child's alone
        given = self.child_limits(limits)
        res_r, res_w = os.pipe()
        try:
            with tempfile.TemporaryFile() as job, tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
                names = [[name, len(data)] for name, data in files.items()]
                job.write(json.dumps({"script": script, "files": names}).encode() + b"\n")
                for data in files.values():
                    job.write(data)
                job.flush()
                job.seek(0)
                request = {"uid": box.uid, "result_bytes": limits.result_bytes,
                           "env": jail.child_env(jail.SANDBOX_DIR, "/tmp"),
                           "tmp_bytes": limits.tmp_bytes, "rlimits": rlimits_request(given, box.zombies),
                           "keep": jail.under_private_tmp()}
                start = time.monotonic()
                try:
                    self._send(request, [job.fileno(), res_w, out.fileno(), err.fileno()])
                finally:
                    os.close(res_w)
                    res_w = -1
                data, timed_out = _read_until_eof(res_r, start + limits.wall_seconds, box.sandbox_uid,
                                                  limits.result_bytes + 64)
                self._expect_done(start + limits.wall_seconds + _GRACE)
                box.close_children()  # whatever of its uid is left, before the result is used
                elapsed = time.monotonic() - start
                head, _, body = data.partition(b"\n")
                try:
                    status, size = (int(x) for x in head.split())
                except ValueError:
                    raise ServerLost("its child reported nothing") from None
                if status == -1:
                    raise IsolationError(f"the fork server could not build a child: "
                                         f"{body.decode('utf-8', 'replace')[:300]}")
                code = os.waitstatus_to_exitcode(status)
                result, result_error = (None, None) if size < 0 else _result(body, limits.result_bytes)
                return child_result(code, out, err, limits, timed_out=timed_out, elapsed=elapsed, result=result,
                                    result_error=result_error)
        finally:
            if res_w >= 0:
                os.close(res_w)
            os.close(res_r)
            box.close()

    def _expect_done(self, deadline: float) -> None:
        def lost() -> float:
            raise ServerLost("it did not answer")

        self._read_line(deadline, lost)


def _read_until_eof(fd: int, deadline: float, uid: int, cap: int) -> tuple[bytes, bool]:
    """The keeper's report; past ``deadline`` every process of ``uid`` is killed (the keeper then reports)."""
    chunks: list[bytes] = []
    size, timed_out = 0, False
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    while True:
        left = deadline - time.monotonic()
        if left <= 0 and not timed_out:
            timed_out = True
            kill_uid(uid)
            deadline = time.monotonic() + _GRACE
            continue
        if left <= 0:
            raise ServerLost("its child's keeper did not report")
        if not poller.poll(max(1, int(left * 1000))):
            continue
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks), timed_out
        size += len(chunk)
        if size <= cap:
            chunks.append(chunk)


def _result(body: bytes, cap: int) -> tuple[bytes | None, str | None]:
    if body.startswith(b"\0"):
        return None, f"result.json {body[1:].decode('utf-8', 'replace')}"
    if len(body) > cap:
        return None, f"result.json is over the limit of {cap} bytes"
    return body, None

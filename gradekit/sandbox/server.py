"""What the two batch fork servers (``ForkServer``, ``ConfinedServer``) do alike.

Each keeps one server process and the socket it is asked on; a request goes as JSON with
the descriptors the forked child uses, and a server that ends or answers nonsense is
closed and started afresh once before the run is a grader fault (``IsolationError``).
What differs, how the server is started and how one child is run and read back, is the
subclass's ``_start`` and ``_run``.
"""

from __future__ import annotations

import json
import os
import resource
import socket
import select
import subprocess
import time
from typing import Callable

from gradekit.core.errors import IsolationError
from gradekit.sandbox import cgroups
from gradekit.sandbox.cleanup import kill_group
from gradekit.sandbox.limits import rlimit_values, split_among_processes
from gradekit.sandbox.result import ChildResult

__all__ = ["ForkServerBase", "ServerLost", "PRELOAD", "rlimits_request"]

PRELOAD = ("numpy",)  # imported once by the server, before any fork


class ServerLost(Exception):
    """The server ended, could not be reached, or answered what it should not: start a fresh one."""


class ForkServerBase:
    """A server process and its socket; ``run`` has ``run_child``'s contract. Use as a context manager."""

    _name = "fork server"  # as the grader's error names it

    def __init__(self) -> None:
        self._proc: subprocess.Popen | None = None
        self._sock: socket.socket | None = None
        self._memory = cgroups.Cgroups()  # the server's memory cgroup: its children, one at a time, are in it
        self._memory_set: int | None = None  # the child budget its limit is set for now
        self._memory_base = 0  # what the server itself holds there (its interpreter, numpy)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _start(self) -> None:
        raise NotImplementedError

    def _run(self, script: str, files: dict[str, bytes], limits) -> ChildResult:
        raise NotImplementedError

    def _why_lost(self, lost: ServerLost) -> str:
        """What the grader's error says of a lost server (a subclass may know better than the socket)."""
        return str(lost)

    def _open_memory_cgroup(self):
        """Make the server's memory cgroup, where one can be had; the ``preexec_fn`` that puts the server in it
        (and so, forked from it, each child, with no cgroup migration per child)."""
        self._memory, self._memory_set = cgroups.make(0, 2**62, memory_only=True), None
        procs = self._memory.procs_files

        def join() -> None:
            for path in procs:
                fd = os.open(path, os.O_WRONLY)
                try:
                    os.write(fd, b"0")
                finally:
                    os.close(fd)

        return join

    def _close_memory_cgroup(self) -> None:
        self._memory.remove()

    def child_limits(self, limits):
        """The limits a child of this server gets: where the server's memory cgroup holds it, the caller's (the
        cgroup's limit set to the child's budget on top of what the server holds); else split among few
        processes, each with its share of the budget."""
        if self._proc is None:
            self._start()
        if self._memory.memory:
            if self._memory_set is None:
                self._memory_base = self._memory.usage()  # the server at rest, before its first child
            if self._memory_set == limits.resident_bytes or self._memory.set_memory(
                    limits.resident_bytes + self._memory_base):
                self._memory_set = limits.resident_bytes  # the same budget child after child: written once
                return limits
        self._memory_set = None
        return split_among_processes(limits)

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if self._proc is not None:
            kill_group(self._proc.pid)
            self._proc.wait()
            self._proc = None
        self._close_memory_cgroup()

    def run(self, script: str, files: dict[str, bytes], limits) -> ChildResult:
        """Run ``script`` in a fresh child of the server, as ``run_child`` would; one retry on a fresh server."""
        for attempt in (1, 2):
            if self._proc is None:
                self._start()
            try:
                return self._run(script, files, limits)
            except ServerLost as e:
                why = self._why_lost(e)
                self.close()
                if attempt == 2:
                    raise IsolationError(f"the {self._name} failed: {why}") from None
        raise AssertionError("unreachable")

    def _send(self, request: dict, fds: list[int]) -> None:
        """Hand the server one request and the descriptors its child works on."""
        assert self._sock is not None  # _start makes it with the server, before any request
        try:
            socket.send_fds(self._sock, [json.dumps(request).encode()], fds)
        except OSError as e:
            raise ServerLost(f"cannot reach it ({e})") from None

    def _read_line(self, deadline: float, past_deadline: Callable[[], float]) -> bytes:
        """The server's next answer, a line; each time ``deadline`` passes, ``past_deadline`` gives the next one
        (or raises ``ServerLost``)."""
        sock = self._sock
        assert sock is not None  # _start makes it with the server, before any request
        got = b""
        while not got.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0:
                deadline = past_deadline()
                continue
            if not select.select([sock], [], [], left)[0]:
                continue
            chunk = sock.recv(64)
            if not chunk:
                raise ServerLost("it ended")
            got += chunk
        return got


def rlimits_request(limits, zombies: int = 0) -> list[list[int]]:
    """The child's rlimits as run_child sets them, and RLIMIT_NPROC for its uid alone (as data for the server),
    raised by the ``zombies`` of that uid no one reaps (``Box.zombies``)."""
    nproc = limits.processes + 1 + zombies
    return [[res, soft, hard] for res, (soft, hard) in rlimit_values(limits)] + [[resource.RLIMIT_NPROC, nproc, nproc]]

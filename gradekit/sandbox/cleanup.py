"""Ending a child and everything it started, and removing what it left."""

from __future__ import annotations

import math
import os
import select
import shutil
import signal
import sys
import time


def wait_exit(pid: int, timeout: float) -> bool:
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

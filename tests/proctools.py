"""Find a sandbox child's processes as the host sees them, whatever pid namespace the child is in.

Under bubblewrap (``--unshare-pid``) a child's ``os.getpid()`` means nothing to the
grader, so tests find processes by a unique command line, or as descendants of
the child's host pid.

>>> sleeper = unique_sleep()          # e.g. ['sleep', '1000.482913']
>>> live_with_cmdline(sleeper)
[]
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path


def unique_sleep() -> list[str]:
    """A ``sleep`` command line no other test runs at the same time."""
    return ["sleep", f"{1000 + random.random():.6f}"]


def _state(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None


def alive(pid: int) -> bool:
    """Running: neither gone nor a zombie waiting to be reaped."""
    return _state(pid) not in (None, "Z", "X")


def live_with_cmdline(argv: list[str]) -> list[int]:
    want = ("\0".join(argv) + "\0").encode()
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                if Path(f"/proc/{name}/cmdline").read_bytes() == want and alive(int(name)):
                    out.append(int(name))
            except OSError:
                continue
    return out


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it, by parent links (host pids)."""
    parents: dict[int, int] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                parents[int(name)] = int(Path(f"/proc/{name}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = [pid], [pid]
    while frontier:
        frontier = [c for c, p in parents.items() if p in frontier]
        found += frontier
    return found


def wait_until_none(pids_now, timeout: float = 2.0) -> list:
    """Poll ``pids_now()`` until it is empty or ``timeout`` passes; its last value."""
    deadline = time.monotonic() + timeout
    while (left := pids_now()) and time.monotonic() < deadline:
        time.sleep(0.01)
    return left

"""Bubblewrap for a sandbox child, when ``bwrap`` is on PATH and works here; nothing otherwise.

``bwrap_prefix(workdir, uid)`` is the command line to put before the child's
``python -I -c ...`` (see ``gradekit.confine.Box.command``), or ``[]``:

>>> bwrap_prefix("/tmp/gradekit-run-x", None)[:3]     # doctest: +SKIP
['/usr/bin/bwrap', '--ro-bind', '/']

Whether it works is probed once per process (a ``python -I -c pass`` under the
same flags and identity); ``GRADEKIT_SANDBOX_BWRAP=off`` turns it off. When it is
absent or fails, a ``debug`` line on the ``gradekit.sandbox`` logger says so and
the child runs without it. Under bwrap the child exits 128+N when it dies of
signal N (``Box.returncode`` maps that back) and its pids are its own namespace's.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys

__all__ = ["bwrap_prefix"]

log = logging.getLogger("gradekit.sandbox")
_bwrap_cache: dict[tuple[str, bool], str | None] = {}


def bwrap_prefix(workdir: str, uid: int | None) -> list[str]:
    """The bubblewrap command line for a child in ``workdir``, or [] when bwrap is absent, off or broken.

    Read-only root, its own /dev, /proc and pid namespace (so it sees no other
    process, and everything in it dies with it), no network, an empty private
    /tmp, and ``workdir`` writable at its own path. Not root (or dropped to a
    sandbox uid): in a user namespace too, which is what lets bwrap mount.
    """
    if os.environ.get("GRADEKIT_SANDBOX_BWRAP", "auto").lower() in ("off", "0", "no"):
        return []
    exe = shutil.which("bwrap")
    if exe is None:
        if ("", False) not in _bwrap_cache:  # say it once per process
            _bwrap_cache[("", False)] = "absent"
            log.debug("not using bubblewrap: no bwrap on PATH (rlimits, process group, uid and cgroup only)")
        return []
    user = os.geteuid() != 0 or uid is not None
    key = (sys.executable, user)
    prefix = [exe, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
              "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--die-with-parent",
              *(["--unshare-user"] if user else [])]
    if key not in _bwrap_cache:
        def drop() -> None:
            if uid is not None:
                os.setgroups([])
                os.setgid(uid)
                os.setuid(uid)

        try:
            r = subprocess.run([*prefix, "--", sys.executable, "-I", "-c", "pass"], cwd="/",
                               env={"PATH": "/usr/bin:/bin"}, stdin=subprocess.DEVNULL, capture_output=True,
                               preexec_fn=drop, timeout=20)
            _bwrap_cache[key] = None if r.returncode == 0 else (
                f"exit {r.returncode}: {r.stderr.decode(errors='replace').strip()[-200:]}")
        except (OSError, subprocess.SubprocessError) as e:
            _bwrap_cache[key] = str(e)
        if _bwrap_cache[key] is not None:
            log.debug("not using bubblewrap: %s %s fails (%s)", exe, " ".join(prefix[1:]), _bwrap_cache[key])
    if _bwrap_cache[key] is not None:
        return []
    return [*prefix, "--bind", workdir, workdir, "--chdir", workdir]  # bwrap adds PWD=workdir

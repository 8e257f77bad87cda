"""What boxes a sandbox child beyond rlimits: its own uid, a cgroup, and a sweep at the end.

``Box`` is opened per child after its files are written and closed after it ends::

    box = Box.open(limits, workdir)
    proc = subprocess.Popen(..., start_new_session=True, preexec_fn=box.preexec)
    ...
    box.close()   # kills everything the child started, setsid daemons included

What it adds, each where the machine allows it and silently (a ``debug`` line
on the ``gradekit.sandbox`` logger says why) where it does not:

- **A dedicated uid** when the grader runs as root (Gradescope does): the child
  runs as a uid (and gid) of its own, taken from ``GRADEKIT_SANDBOX_UIDS``
  (``BASE:COUNT``, default ``2000000000:64``; ``off`` disables it). These uids
  are in no passwd file and must be used by nothing else on the machine: the
  box takes one under a lock file so that concurrent graders never share one,
  and at the end kills *every* process of that uid. With a uid of its own,
  ``RLIMIT_NPROC`` is enforced (root ignores it) and counts only the child's
  processes, and the child can only write where the world can (its directory
  is chowned to it). The drop is used only when that uid can start the
  interpreter: a Python under a 0700 ``/root`` (pyenv as root) cannot be, and
  then the child stays root.
- **A cgroup** where one can be made: cgroup v2 (``cgroup.kill`` ends the whole
  tree in one write) and the v1 ``pids`` controller (``pids.max`` stops a fork
  bomb even as root). The child joins them in ``preexec`` before it execs, so
  nothing it starts is outside.
- **Bubblewrap** when ``bwrap`` works here (``gradekit.bwrap``): read-only root,
  private /tmp, its own /proc and pid namespace, no network.
- **The end**: the process group is killed by the caller; ``close`` then kills
  the cgroups and the uid's processes, which catches ``setsid`` daemons.

Without root, a writable cgroup or bwrap (a laptop), ``Box`` adds nothing and
the child relies on rlimits and its process group, as before. Left as is: a
dropped child without bwrap can still write world-writable places (/tmp,
/dev/shm) and open network sockets; files it leaves there are not removed.
"""

from __future__ import annotations

import fcntl
import itertools
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

from .bwrap import bwrap_prefix

__all__ = ["Box", "describe", "sandbox_uids"]

log = logging.getLogger("gradekit.sandbox")
_counter = itertools.count()
_probe_cache: dict[str, str | None] = {}
_no_cgroup: set[str] = set()


def sandbox_uids() -> range | None:
    """The uids a root grader may give children, from ``GRADEKIT_SANDBOX_UIDS``; None when off or not root.

    >>> sandbox_uids() if os.geteuid() else None is None   # doctest: +SKIP
    """
    if os.geteuid() != 0:
        return None
    text = os.environ.get("GRADEKIT_SANDBOX_UIDS", "2000000000:64").strip()
    if text.lower() in ("off", "0", "no", ""):
        return None
    try:
        base, count = (int(x) for x in text.split(":"))
    except ValueError:
        raise ValueError(f"GRADEKIT_SANDBOX_UIDS={text!r}, but it must be BASE:COUNT (e.g. 2000000000:64) "
                         f"or 'off'") from None
    if not (0 < base and 0 < count and base + count < 2**32 - 1):
        raise ValueError(f"GRADEKIT_SANDBOX_UIDS={text!r}, but BASE and COUNT must be > 0 and below 2**32-1")
    return range(base, base + count)


@dataclass
class Box:
    """One child's uid and cgroups; see the module docstring."""

    uid: int | None = None
    cgroups: list[str] = field(default_factory=list)
    _lock_fd: int = -1
    bwrap: list[str] = field(default_factory=list)  # the bubblewrap prefix, or [] to run the child directly
    _rlimits: object = None
    _prctl: object = None

    @classmethod
    def open(cls, limits, workdir: str, **rlimit_options) -> "Box":
        """Take a uid and cgroups for a child about to run in ``workdir`` (its files already written).

        ``rlimit_options`` go to ``sandbox._rlimit_setter``, which sets the rlimits in ``preexec``.
        """
        from .sandbox import _rlimit_setter  # the rlimits themselves stay in sandbox.py

        box = cls()
        uids = sandbox_uids()
        if uids is not None:
            box._take_uid(uids)
        if box.uid is not None:
            _chown_tree(workdir, box.uid)
            box._prctl = _libc_prctl()
        box.cgroups = _make_cgroups(limits.processes)
        nproc = limits.processes + 1 if box.uid is not None else None  # the uid runs nothing else
        box.bwrap = bwrap_prefix(workdir, box.uid)
        box._rlimits = _rlimit_setter(limits, nproc=nproc, **rlimit_options)
        return box

    # -- in the child, after fork and before exec: plain syscalls on values computed before the fork
    def preexec(self) -> None:
        for procs in self._procs_files:
            try:
                fd = os.open(procs, os.O_WRONLY)
                try:
                    os.write(fd, b"0")  # 0: the writing process itself
                finally:
                    os.close(fd)
            except OSError:
                pass  # the cgroup is a bonus; killpg and the uid sweep still apply
        self._rlimits()
        if self._prctl is not None:
            self._prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)  # no setuid binary gives it root back
        if self.uid is not None:
            os.setgroups([])
            os.setgid(self.uid)
            os.setuid(self.uid)  # last: needs root for everything above

    def command(self, argv: list[str]) -> list[str]:
        """``argv`` as the child runs it: under bubblewrap when it works here."""
        return [*self.bwrap, "--", *argv] if self.bwrap else argv

    def returncode(self, code: int) -> int:
        """bubblewrap exits 128+N when the child dies of signal N: give Popen's -N back."""
        if self.bwrap and 128 < code < 128 + 65:
            return -(code - 128)
        return code

    @property
    def _procs_files(self) -> list[str]:
        return [os.path.join(c, "cgroup.procs") for c in self.cgroups]

    def close(self) -> None:
        """Kill whatever the child left running (its cgroups, its uid), then free them."""
        for cg in self.cgroups:
            _kill_cgroup(cg)
        if self.uid is not None:
            _kill_uid(self.uid)
        for cg in self.cgroups:
            for _ in range(50):  # rmdir fails while an exiting task is still being torn down
                try:
                    os.rmdir(cg)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.002)
        self.cgroups = []
        if self._lock_fd >= 0:
            os.close(self._lock_fd)  # releases the flock: the uid is free again
            self._lock_fd = -1
        self.uid = None

    def _take_uid(self, uids: range) -> None:
        lockdir = os.path.join(tempfile.gettempdir(), "gradekit-uids-0")
        try:
            os.makedirs(lockdir, mode=0o700, exist_ok=True)
            st = os.lstat(lockdir)
            if st.st_uid != 0 or st.st_mode & 0o077 or not os.path.isdir(lockdir) or os.path.islink(lockdir):
                log.debug("not dropping privileges: %s is not a private root-owned directory", lockdir)
                return
        except OSError as e:
            log.debug("not dropping privileges: cannot make %s (%s)", lockdir, e)
            return
        # Spread concurrent graders over the range, and take a different uid each time:
        # the last child's killed processes may still count for its uid until reaped.
        start = os.getpid() + next(_counter)
        for i in range(len(uids)):
            uid = uids[(start + i) % len(uids)]
            fd = os.open(os.path.join(lockdir, f"{uid}.lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                continue
            known = sys.executable in _probe_cache
            why = _probe(uid)
            if why is not None:
                os.close(fd)
                if not known:  # once per process is enough
                    log.debug("not dropping privileges: uid %d %s", uid, why)
                return
            if _pids_of(uid, zombies=True):  # leftovers: of a grader that died, or not yet reaped
                _kill_uid(uid)
                os.close(fd)
                continue
            self.uid, self._lock_fd = uid, fd
            return
        log.debug("not dropping privileges: all %d sandbox uids are in use", len(uids))


def describe() -> dict[str, object]:
    """What a child gets on this machine now, for tests and ``--debug``: uid drop, cgroups."""
    from .sandbox import Limits

    with tempfile.TemporaryDirectory(prefix="gradekit-probe-") as d:
        box = Box.open(Limits(), d)
        try:
            return {"uid": box.uid, "cgroups": [c.split("/gradekit-")[0] for c in box.cgroups],
                    "bwrap": bool(box.bwrap)}
        finally:
            box.close()


def _probe(uid: int) -> str | None:
    """None when ``uid`` can start this interpreter, else why not; cached per process."""
    key = sys.executable  # what decides is whether the interpreter's directories are open to others
    if key not in _probe_cache:
        def drop() -> None:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)

        try:
            r = subprocess.run([sys.executable, "-I", "-c", "import os; print(os.getuid())"], cwd="/",
                               env={"PATH": "/usr/bin:/bin"}, stdin=subprocess.DEVNULL, capture_output=True,
                               preexec_fn=drop, timeout=20)
            ok = r.returncode == 0 and r.stdout.strip() == str(uid).encode()
            _probe_cache[key] = None if ok else (
                f"cannot start {sys.executable} (exit {r.returncode}: "
                f"{r.stderr.decode(errors='replace').strip()[-200:]})")
        except (OSError, subprocess.SubprocessError) as e:
            _probe_cache[key] = f"cannot start {sys.executable} ({e})"
    return _probe_cache[key]


_PR_SET_NO_NEW_PRIVS = 38
def _libc_prctl():
    """libc's prctl, looked up before the fork (ctypes may allocate; calling it does not)."""
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


def _chown_tree(root: str, uid: int) -> None:
    os.chown(root, uid, uid)
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            os.chown(os.path.join(dirpath, name), uid, uid, follow_symlinks=False)


def _cgroup_roots() -> list[tuple[str, str]]:
    """(kind, mount point) of a cgroup2 hierarchy and a v1 ``pids`` one, from /proc/self/mounts."""
    found: dict[str, str] = {}
    try:
        with open("/proc/self/mounts") as f:
            for line in f:
                parts = line.split()
                if len(parts) < 4:
                    continue
                if parts[2] == "cgroup2" and "v2" not in found:
                    found["v2"] = parts[1]
                elif parts[2] == "cgroup" and "pids" in parts[3].split(",") and "pids" not in found:
                    found["pids"] = parts[1]
    except OSError:
        return []
    return sorted(found.items())


def _own_cgroup(kind: str) -> str:
    """Our process's path in that hierarchy (children go below it, where we may write)."""
    try:
        with open("/proc/self/cgroup") as f:
            for line in f:
                _, controllers, path = line.rstrip("\n").split(":", 2)
                if (kind == "v2" and controllers == "") or (kind == "pids" and "pids" in controllers.split(",")):
                    return path.lstrip("/")
    except (OSError, ValueError):
        pass
    return ""


def _make_cgroups(processes: int) -> list[str]:
    made = []
    if os.environ.get("GRADEKIT_SANDBOX_CGROUP", "on").lower() in ("off", "0", "no"):
        return made
    name = f"gradekit-{os.getpid()}-{next(_counter)}"
    for kind, mount in _cgroup_roots():
        if kind in _no_cgroup:
            continue
        path = os.path.join(mount, _own_cgroup(kind), name)
        try:
            os.mkdir(path, 0o755)
        except OSError as e:
            _no_cgroup.add(kind)  # not writable now means not writable later: ask once per process
            log.debug("no %s cgroup for the children: cannot make %s (%s)", kind, path, e)
            continue
        if kind == "v2" and not os.path.exists(os.path.join(path, "cgroup.kill")):
            os.rmdir(path)  # a kernel before 5.14: the pids cgroup and the uid sweep must do
            continue
        pids_max = os.path.join(path, "pids.max")
        if os.path.exists(pids_max):
            try:
                with open(pids_max, "w") as f:
                    f.write(str(processes + 1))
            except OSError as e:
                log.debug("cgroup %s: cannot set pids.max (%s)", path, e)
        made.append(path)
    return made


def _kill_cgroup(path: str) -> None:
    try:
        with open(os.path.join(path, "cgroup.kill"), "w") as f:
            f.write("1")
        return
    except FileNotFoundError:
        pass  # v1: kill what is listed until nothing is (pids.max bounds a fork bomb's refills)
    except OSError:
        return
    for _ in range(100):
        try:
            with open(os.path.join(path, "cgroup.procs")) as f:
                pids = [int(p) for p in f.read().split()]
        except OSError:
            return
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def _kill_uid(uid: int) -> None:
    """SIGKILL every process of ``uid`` (dedicated to the sandbox), until none is left alive."""
    for _ in range(100):
        alive = 0
        for pid in _pids_of(uid):
            try:
                os.kill(pid, signal.SIGKILL)
                alive += 1
            except (ProcessLookupError, PermissionError):
                pass
        if not alive:
            return


def _pids_of(uid: int, zombies: bool = False) -> list[int]:
    """Processes whose real uid is ``uid``: live ones, and zombies too if asked."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            if os.stat(f"/proc/{name}").st_uid != uid:  # the effective uid: a cheap first sieve
                continue
            with open(f"/proc/{name}/status", "rb") as f:
                status = f.read(2048)
        except OSError:
            continue
        fields = dict(line.split(b":", 1) for line in status.splitlines() if b":" in line)
        if fields.get(b"Uid", b"").split()[:1] == [str(uid).encode()] and (
                zombies or not fields.get(b"State", b"").strip().startswith((b"Z", b"X"))):
            out.append(int(name))
    return out


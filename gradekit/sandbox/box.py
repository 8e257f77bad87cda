"""What boxes a sandbox child beyond rlimits: a jail or a uid of its own, a cgroup, and a sweep at the end.

``Box`` is opened per child after its files are written and closed after it ends::

    box = Box.open(limits, workdir, mount_point)
    proc = subprocess.Popen(box.command(argv), env=box.env(), cwd=workdir, start_new_session=True,
                            preexec_fn=box.preexec, pass_fds=box.pass_fds)
    box.started()
    ...
    box.close()   # kills everything the child started, setsid daemons included

The isolation a child gets is decided once per process (``gradekit.sandbox.isolation``
says what each level means) and never fails open:

- **A jail** (``gradekit.sandbox.jail``) wherever namespaces can be had: as root and as
  a normal user (through a user namespace). Strong isolation.
- **A dedicated uid** when the grader is root: the child runs as a uid (and gid)
  of its own, taken from ``GRADEKIT_SANDBOX_UIDS`` (``BASE:COUNT``, default
  ``2000000000:64``). These uids are in no passwd file and must be used by
  nothing else on the machine: the box takes one under a lock file so that
  concurrent graders never share one, and at the end kills *every* process of
  that uid. With a uid of its own, ``RLIMIT_NPROC`` is enforced (root ignores it)
  and counts only the child's processes. In a jail the launcher drops to it after
  building the view; without namespaces ``preexec`` drops to it, which is weak
  isolation (the child sees the machine as that uid does). A root grader that has
  neither a jail nor a uid that can start the interpreter refuses to run the
  child (``IsolationError``): untrusted code never runs as root.
- **Cgroups** where they can be made (``gradekit.sandbox.cgroups``): cgroup v2
  (``cgroup.kill`` ends the whole tree in one write), the v1 ``pids`` controller
  (``pids.max`` stops a fork bomb even as root), and a memory cgroup that holds
  all the child's processes to its budget together. A root jail gets the memory
  one only (its pid namespace and its uid's ``RLIMIT_NPROC`` do the rest). Where
  no memory cgroup can be had, the child's limits are split among a few processes
  (``Box.limits``). The child joins them in ``preexec`` before it execs, so
  nothing it starts is outside.
- **Orphans**: a root grader is a subreaper (``gradekit.sandbox.reaper``): what
  a child orphans comes to it, is counted with the child's CPU time, and is
  reaped here, whatever pid 1 does.
- **The end**: the process group is killed by the caller; ``close`` then kills
  the cgroups and the uid's processes, which catches ``setsid`` daemons (in a jail
  the pid namespace already ended them with its pid 1).

``GRADEKIT_SANDBOX_JAIL=off`` disables the jail (to see weak mode on a machine
that has namespaces); ``GRADEKIT_SANDBOX_CGROUP=off`` the cgroups.
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, NotRequired, TypedDict

from gradekit.sandbox import cgroups, confine, jail, reaper, scratch
from gradekit.sandbox.cleanup import rmtree
from gradekit.sandbox.limits import Limits, rlimit_setter, split_among_processes
from gradekit.core.errors import IsolationError
from gradekit.sandbox.isolation import Isolation, check_allowed, note_used

__all__ = ["Box", "describe", "sandbox_uids", "isolation", "kill_uid", "make_run_dir", "write_files"]

log = logging.getLogger("gradekit.sandbox.process")
_counter = itertools.count()
_probe_cache: dict[str, str | None] = {}  # interpreter -> why a sandbox uid cannot start it


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


_decided: dict[str, Isolation] = {}  # per interpreter: what children of this process get


def _jail_wanted() -> bool:
    return os.environ.get("GRADEKIT_SANDBOX_JAIL", "on").strip().lower() not in ("off", "0", "no")


def _confined_wanted() -> bool:
    return os.environ.get("GRADEKIT_SANDBOX_CONFINED", "on").strip().lower() not in ("off", "0", "no")


def write_files(folder: str, files: dict[str, bytes]) -> None:
    """Write each of ``files`` (names relative to ``folder``, checked by the caller) with its subfolders."""
    for name, data in files.items():
        target = Path(folder, name)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def make_run_dir(prefix: str) -> str:
    """A fresh folder for one child's files, 0700, where a sandbox uid can be let in; its name says its owner,
    so that a later grading process removes it if this one is killed (``gradekit.sandbox.scratch``).

    A root grader whose TMPDIR lies under a folder other users cannot enter (pytest's
    ``/tmp/pytest-of-root``, a private home) makes it in /tmp instead: without a jail the
    child reaches its own folder by the machine's paths.
    """
    base = tempfile.gettempdir()
    if os.geteuid() == 0 and not _enterable_by_others(base):
        base = "/tmp"
    return scratch.make(prefix.removeprefix("gradekit-").strip("-"), dir=base)  # named for its owner


def _enterable_by_others(path: str) -> bool:
    p = os.path.realpath(path)
    while True:
        try:
            if not os.stat(p).st_mode & 0o001:
                return False
        except OSError:
            return False
        if p == "/":
            return True
        p = os.path.dirname(p)


@dataclass
class Box:
    """One child's isolation, uid and cgroups; see the module docstring."""

    iso: Isolation | None = None
    uid: int | None = None
    cgroups: cgroups.Cgroups = field(default_factory=cgroups.Cgroups)
    # what the child gets: the caller's, or split among its processes (``open``); a bare Box, which
    # only takes a uid (a fork server's), keeps the defaults and never reads them
    limits: Limits = field(default_factory=Limits)
    _lock_fd: int = -1
    plan: dict | None = None  # what the launcher (jail or confined) does, or None to run the child directly
    _status: tuple[int, int] = (-1, -1)  # the launcher's status pipe (read, write)
    _rlimits: Callable[[], None] | None = None
    _prctl: Callable[[int, int, int, int, int], int] | None = None
    _workdir: str = ""
    zombies: int = 0  # zombies of ``uid`` that no one reaps (a non-reaping pid 1 adopted them): RLIMIT_NPROC counts them

    @classmethod
    def open(cls, limits, workdir: str, mount_point: str) -> "Box":
        """Take a uid, a jail and cgroups for a child about to run in ``workdir`` (its files already written).

        ``mount_point`` is an empty folder the jail's root is mounted on (in the child's own mount namespace).
        Raises ``IsolationError`` when the child cannot run with the isolation this machine must give it.
        """

        box = cls(_workdir=workdir)
        try:
            box._decide(limits, mount_point)
            # A root jail needs no cgroup to end its tree or bound a fork bomb: its pid namespace ends every
            # process with the child, and RLIMIT_NPROC on a uid of its own bounds the processes. It gets the
            # memory one alone (joining cgroups costs milliseconds a child).
            root_jail = box.iso is not None and box.iso.kind == "jail" and box.uid is not None
            box.cgroups = cgroups.make(limits.processes, limits.resident_bytes, memory_only=root_jail)
        except BaseException:
            box.close()
            raise
        # Memory is the submission's, all its processes together: a memory cgroup holds it, or else each
        # of a few processes gets its share of the budget.
        box.limits = limits if box.cgroups.memory else split_among_processes(limits)
        if box.uid is not None:
            _chown_tree(workdir, box.uid)
            _let_in(os.path.dirname(workdir), box.uid)
            if box.plan is not None and box.iso is not None and box.iso.kind == "confined":
                _chown_tree(box.plan["write"][1], box.uid)
        nproc = box.limits.processes + 1 + box.zombies if box.uid is not None else None  # the uid runs nothing else
        box._rlimits = rlimit_setter(box.limits, nproc=nproc)
        return box

    @property
    def sandbox_uid(self) -> int:
        """``uid`` where only a root grader comes (the fork servers): take_uid locked one, or raised."""
        assert self.uid is not None, "no sandbox uid: take_uid first, as root"
        return self.uid

    def take_uid(self) -> None:
        """As root, lock a sandbox uid for this child alone (``self.uid``), or raise ``IsolationError``."""
        if os.geteuid() != 0:
            return
        # What the child orphans (a double fork; the jail's init when its launcher dies first) comes to this
        # process, which reaps it (``close``), instead of to a pid 1 that may never reap: zombies of a uid
        # would keep it counted as in use.
        reaper.become_subreaper()
        uids = sandbox_uids()
        if uids is None:
            raise IsolationError("refusing to run student code as root: GRADEKIT_SANDBOX_UIDS is off "
                                 "(a root grader needs sandbox uids, e.g. 2000000000:64)")
        why = self._take_uid(uids)
        if self.uid is None:
            raise IsolationError(f"refusing to run student code as root: no sandbox uid ({why})")

    def _decide(self, limits, mount_point: str) -> None:
        self.take_uid()
        self.iso = _decision(self.uid)
        check_allowed(self.iso)
        # as root, take_uid locked a sandbox uid (or raised); else the child runs as the grader's user
        runs_as = self.uid if self.uid is not None else os.getuid()
        if self.iso.kind == "jail":
            env = jail.child_env(jail.SANDBOX_DIR, "/tmp")
            self.plan = jail.jail_plan(self._workdir, mount_point, runs_as, env,
                                       tmp_bytes=limits.tmp_bytes)
            self._status = os.pipe()
        elif self.iso.kind == "confined":
            tmp = os.path.join(os.path.dirname(self._workdir), "tmp")  # beside work, in the run folder
            os.mkdir(tmp, 0o700)
            self.plan = confine.confined_plan(self._workdir, tmp, runs_as,
                                              jail.child_env(self._workdir, tmp),
                                              landlock=self.iso.landlock)
            self._status = os.pipe()
        elif self.uid is not None:
            self._prctl = _libc_prctl()
        note_used(self.iso)

    # -- in the child, after fork and before exec: plain syscalls on values computed before the fork
    def preexec(self) -> None:
        for procs in self.cgroups.procs_files:
            try:
                fd = os.open(procs, os.O_WRONLY)
                try:
                    os.write(fd, b"0")  # 0: the writing process itself
                finally:
                    os.close(fd)
            except OSError:
                pass  # the cgroup is a bonus; killpg and the uid sweep still apply
        assert self._rlimits is not None  # set by open, before any fork
        self._rlimits()
        if self.plan is not None:
            return  # the launcher builds the jail or the confinement, and drops the uid itself
        if self._prctl is not None:
            self._prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)  # no setuid binary gives it root back
        if self.uid is not None:
            os.setgroups([])
            os.setgid(self.uid)
            os.setuid(self.uid)  # last: needs root for everything above

    def command(self, argv: list[str]) -> list[str]:
        """``argv`` as the child runs it: through the jail launcher when there is a jail."""
        if self.plan is None:
            return argv
        assert self.iso is not None  # a plan is made from the isolation decided (_decide)
        if self.iso.kind == "confined":
            return confine.launcher_command(self.plan, self._status[1], argv)
        return jail.launcher_command(self.plan, self._status[1], argv)

    def env(self) -> dict[str, str]:
        """The child's whole environment (nothing of the grader's)."""
        return dict(self.plan["env"]) if self.plan is not None else jail.child_env(self._workdir, self._workdir)

    @property
    def pass_fds(self) -> tuple[int, ...]:
        return (self._status[1],) if self.plan is not None else ()

    def started(self) -> None:
        """After Popen: the parent's copy of the launcher's status pipe is closed."""
        if self._status[1] >= 0:
            os.close(self._status[1])
            self._status = (self._status[0], -1)

    def launch_error(self, code: int | None) -> str | None:
        """Why the jail could not be built, when the child ended with the launcher's status (else None)."""
        if self.plan is None or code != jail.LAUNCH_FAILED or self._status[0] < 0:
            return None
        fd, self._status = self._status[0], (-1, self._status[1])
        return jail.read_status(fd) or None

    def close_children(self) -> None:
        """Kill whatever the child left running: its cgroups, every process of its uid; and, where it saw the
        machine's shared temporary folders (no jail, no Landlock), remove what its uid left in them."""
        self.cgroups.kill()
        if self.uid is not None:
            kill_uid(self.uid)
            if self.iso is not None and self.iso.kind != "jail" and not self.iso.landlock:
                sweep_shared_tmp(self.uid)

    def close(self) -> None:
        """Kill whatever the child left running, then free its cgroups, status pipe and uid."""
        self.close_children()
        self.cgroups.remove()
        for fd in self._status:
            if fd >= 0:
                os.close(fd)
        self._status = (-1, -1)
        if self.uid is not None:
            reaper.reap_sandbox_zombies((self.uid,))  # adopted by this process (a subreaper), now dead
        if self._lock_fd >= 0:
            os.close(self._lock_fd)  # releases the flock: the uid is free again
            self._lock_fd = -1
        self.uid, self.zombies = None, 0

    def _take_uid(self, uids: range) -> str | None:
        """Lock a free uid of ``uids`` for this child (``self.uid``); else say why not."""
        lockdir = _uid_lock_dir()
        try:
            os.makedirs(lockdir, mode=0o700, exist_ok=True)
            st = os.lstat(lockdir)
            if st.st_uid != 0 or st.st_mode & 0o077 or not os.path.isdir(lockdir) or os.path.islink(lockdir):
                return f"{lockdir} is not a private root-owned directory"
        except OSError as e:
            return f"cannot make {lockdir} ({e})"
        # Spread concurrent graders over the range, and take a different uid each time:
        # the last child's killed processes may still count for its uid until reaped.
        start = os.getpid() + next(_counter)
        fallback: tuple[int, int, int] | None = None  # (zombies, uid, lock fd): a uid only zombies hold
        for i in range(len(uids)):
            uid = uids[(start + i) % len(uids)]
            fd = os.open(os.path.join(lockdir, f"{uid}.lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                continue
            live, zombies = _procs_of(uid)
            if live:  # leftovers of a grader that died
                kill_uid(uid)
            if live or zombies:
                reaper.reap_sandbox_zombies((uid,))  # ours, adopted as a subreaper
                live, zombies = _procs_of(uid)
                if live:
                    os.close(fd)
                    continue
            if not zombies:
                if fallback is not None:
                    os.close(fallback[2])
                self.uid, self._lock_fd = uid, fd
                return None
            # Zombies another process adopted and does not reap (a pid 1 that never reaps): they run nothing,
            # so the uid is still free; RLIMIT_NPROC is raised by their count (``zombies``). Taken only when
            # no uid is clean, so that a non-reaping pid 1 can never use the range up.
            if fallback is None or len(zombies) < fallback[0]:
                if fallback is not None:
                    os.close(fallback[2])
                fallback = (len(zombies), uid, fd)
            else:
                os.close(fd)
        if fallback is not None:
            self.zombies, self.uid, self._lock_fd = fallback
            return None
        return f"all {len(uids)} sandbox uids are in use"


def _uid_lock_dir() -> str:
    """One folder for every root grader on the machine, whatever its TMPDIR: graders must see each other's locks."""
    return "/run/gradekit-uids" if os.path.isdir("/run") and os.access("/run", os.W_OK) else "/tmp/gradekit-uids-0"


def _decide_isolation(uid: int | None) -> Isolation:
    """A jail where one starts the interpreter here; else, for a root grader, the confined level where its
    launcher starts it and every protected path refuses the sandbox uid; else weak, or refused as root."""
    root = os.geteuid() == 0
    # as root, the caller locked a sandbox uid first (Box.take_uid raises without); else the grader's
    runs_as = uid if uid is not None else os.getuid()
    why_jail = jail.jail_probe(runs_as) if _jail_wanted() else "GRADEKIT_SANDBOX_JAIL is off"
    if why_jail is None:
        return Isolation("strong", "a sandbox uid" if root else f"uid {os.getuid()} in a user namespace of its own",
                         kind="jail")
    missing = [f"no jail ({why_jail})"]
    if root:
        why_confined = (_confined_probe(runs_as) if _confined_wanted()
                        else "GRADEKIT_SANDBOX_CONFINED is off")
        if why_confined is None:
            landlock = confine.landlock_wanted() and confine.landlock_abi() > 0
            if not landlock:
                missing.append("no Landlock (" + ("GRADEKIT_SANDBOX_LANDLOCK is off" if not confine.landlock_wanted()
                                                  else "this kernel offers none") + ")")
            return Isolation("strong", "a sandbox uid", tuple(missing), kind="confined", landlock=landlock)
        missing.append(f"not confined ({why_confined})")
    missing.append("it has the network")
    if root:
        why_uid = _probe(runs_as)
        if why_uid is not None:
            raise IsolationError(
                f"refusing to run student code as root: no jail ({why_jail}), and the sandbox uid "
                f"{why_uid}; allow mount namespaces (root, or CAP_SYS_ADMIN in the container), or install "
                f"Python where other users can run it")
        log.warning("isolation: weak: %s", "; ".join(missing[:-1]))
        return Isolation("weak", "a sandbox uid", tuple(missing), kind="weak")
    log.warning("isolation: weak: no jail (%s)", why_jail)
    return Isolation("weak", f"uid {os.getuid()} (the grader's own user)", tuple(missing), kind="weak")


def _confined_probe(uid: int) -> str | None:
    """None when the confining launcher starts this interpreter as ``uid`` with every protected path closed to
    it; else why not. Not cached across processes: a chmod between runs is seen by the next one."""
    run = make_run_dir("gradekit-probe-")
    try:
        work, tmp = os.path.join(run, "work"), os.path.join(run, "tmp")
        os.mkdir(work, 0o700)
        os.mkdir(tmp, 0o700)
        for p in (work, tmp):
            os.chown(p, uid, uid)
        _let_in(run, uid)
        plan = confine.confined_plan(work, tmp, uid, jail.child_env(work, tmp))
        proc, why = jail.run_probe(lambda status_w: confine.launcher_command(
            plan, status_w, [sys.executable, "-I", "-c", "import os; print(os.getuid())"]),
            cwd=work, env=plan["env"], after=lambda: kill_uid(uid))
        if proc is None:
            return f"the confined child did not start within {jail.PROBE_SECONDS} s"
        out, err = proc.stdout, proc.stderr
        if why and "can still reach" in why:
            return why + ": close it to other users (chmod -R go-rwx), or grade where the kernel offers Landlock"
        if why:
            return why
        if proc.returncode != 0 or out.strip() != str(uid).encode():
            return (f"{sys.executable} did not run confined (exit {proc.returncode}: "
                    f"{err.decode(errors='replace').strip()[-200:]})")
        return None
    except OSError as e:
        return f"cannot start the confining launcher ({e})"
    finally:
        rmtree(run)


def _let_in(run: str, uid: int) -> None:
    """The run folder: entered by the sandbox uid (through its group, which is its alone) and by no one else."""
    os.chown(run, 0, uid)
    os.chmod(run, 0o710)


def _decision(uid: int | None) -> Isolation:
    """This process's isolation decision, made once (with ``uid`` when the grader is root)."""
    if sys.executable not in _decided:
        _decided[sys.executable] = _decide_isolation(uid)
    return _decided[sys.executable]


def isolation() -> Isolation:
    """What a child started now would get (strong, weak), or ``IsolationError``: for ``gradekit doctor``."""
    if sys.executable in _decided:
        return _decided[sys.executable]
    box = Box()
    try:
        box.take_uid()
        return _decision(box.uid)
    finally:
        box.close()


class Description(TypedDict):
    """What ``describe`` says (``gradekit doctor --json`` prints it)."""

    level: str  # strong, weak, or refused
    kind: str  # jail, confined, weak, or refused
    uid: int | None
    cgroups: list[str]
    jail: bool
    landlock: bool
    orphans: str | None
    why: NotRequired[str]  # refused only: why
    line: NotRequired[str]  # not refused: the isolation in one line, and what holds the memory
    memory: NotRequired[str]


def describe() -> Description:
    """What a child gets on this machine now, for tests and ``gradekit doctor``: isolation, uid, cgroups, and
    ``orphans``: None, or who leaves orphaned processes unreaped here (a risk a root grader meets by reaping
    its own sandbox children as a subreaper)."""

    orphans = _orphans_risk()
    try:
        iso = isolation()
    except IsolationError as e:
        return {"level": "refused", "kind": "refused", "why": str(e), "uid": None, "cgroups": [], "jail": False,
                "landlock": False, "orphans": orphans}
    d = make_run_dir("gradekit-probe-")
    try:
        os.mkdir(os.path.join(d, "work"))
        os.mkdir(os.path.join(d, "root"))
        box = Box.open(Limits(), os.path.join(d, "work"), os.path.join(d, "root"))
        try:
            return {"level": iso.level, "kind": iso.kind, "line": iso.line(), "uid": box.uid,
                    "jail": iso.kind == "jail", "landlock": iso.landlock, "orphans": orphans,
                    "cgroups": [c.split("/gradekit-")[0] for c in box.cgroups.paths],
                    "memory": "a memory cgroup for the child's processes together" if box.cgroups.memory else
                    f"no memory cgroup: at most {box.limits.processes} processes beside the child, each with "
                    f"its share of the budget"}
        finally:
            box.close()
    finally:
        rmtree(d)


def _orphans_risk() -> str | None:
    """None when orphans are reaped here; else a line naming who does not reap them, and what it costs."""
    who = reaper.orphans_reaped()
    if who is None:
        return None
    return (f"{who} does not reap orphaned processes: each is left a zombie. A root grader reaps what its "
            f"sandbox children orphan itself (a subreaper), so sandbox uids are not used up; other programs' "
            f"orphans still pile up: run the grader under an init that reaps (docker run --init, tini)")


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
def _libc_prctl() -> Callable[[int, int, int, int, int], int] | None:
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


def kill_uid(uid: int) -> None:
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


SHARED_TMP = ("/tmp", "/var/tmp", "/dev/shm")


def sweep_shared_tmp(uid: int) -> None:
    """Remove what ``uid`` (dedicated, its processes dead) left in the machine's shared temporary folders, so
    that the next student finds nothing there: entries it owns, at the top and one world-writable level down."""
    import shutil

    for top in SHARED_TMP:
        try:
            entries = list(os.scandir(top))
        except OSError:
            continue
        for entry in entries:
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if st.st_uid == uid:
                if entry.is_dir(follow_symlinks=False):
                    rmtree(entry.path)
                else:
                    _unlink(entry.path)
            elif entry.is_dir(follow_symlinks=False) and st.st_mode & 0o002:  # /tmp/.X11-unix and the like
                try:
                    inner = [e for e in os.scandir(entry.path) if e.stat(follow_symlinks=False).st_uid == uid]
                except OSError:
                    continue
                for e in inner:
                    if e.is_dir(follow_symlinks=False):
                        shutil.rmtree(e.path, ignore_errors=True)
                    else:
                        _unlink(e.path)


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _procs_of(uid: int) -> tuple[list[int], list[int]]:
    """(live pids, zombie pids) whose real uid is ``uid``, in one pass over /proc."""
    everything = _pids_of(uid, zombies=True)
    live = set(_pids_of(uid)) if everything else set()
    return sorted(live), [p for p in everything if p not in live]


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


"""The grader reaps its sandbox children itself, whatever pid 1 does.

A process orphaned by its parent (a student's double fork, the jail's init when its launcher
is killed first) is adopted by the nearest *subreaper* above it, else by pid 1. A container's
pid 1 is often a program that never reaps (gradekit itself, ``dask worker``, a supervisor
without an init): every adopted process that ends stays a zombie, and a zombie of a sandbox
uid keeps that uid counted as in use (``RLIMIT_NPROC`` counts it until it is reaped). So a
root grader makes itself a subreaper before its first child: what its children orphan comes
to it, and ``reap_sandbox_zombies`` reaps those of the sandbox uids (never another child of
the grader's, whose status a ``subprocess.Popen`` may still want).

``orphans_reaped`` is ``gradekit doctor``'s probe: it orphans a process and watches whether
anyone reaps it.
"""

from __future__ import annotations

import os
import time

__all__ = ["become_subreaper", "reap_sandbox_zombies", "zombies_of", "orphans_reaped"]

_PR_SET_CHILD_SUBREAPER = 36
_state = {"subreaper": False}


def become_subreaper() -> bool:
    """Make this process adopt what its descendants orphan (once; Linux only). Whether it is one now."""
    if _state["subreaper"]:
        return True
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        _state["subreaper"] = libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        pass
    return _state["subreaper"]


def _status(pid: int) -> dict[bytes, bytes] | None:
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            text = f.read(2048)
    except OSError:
        return None
    return dict((k, v.strip()) for k, _, v in (line.partition(b":") for line in text.splitlines()))


def _own_children() -> list[int]:
    """This process's children, from every thread's list (the kernel's), else by a scan of /proc."""
    me, kids = os.getpid(), []
    try:
        for tid in os.listdir(f"/proc/{me}/task"):
            with open(f"/proc/{me}/task/{tid}/children", "rb") as f:
                kids += [int(x) for x in f.read().split()]
        return kids
    except (OSError, ValueError):
        pass
    for name in os.listdir("/proc"):
        st = _status(int(name)) if name.isdigit() else None
        if st is not None and st.get(b"PPid") == str(me).encode():
            kids.append(int(name))
    return kids


def reap_sandbox_zombies(uids) -> int:
    """Reap this process's children that are zombies of a uid in ``uids``; how many were reaped."""
    reaped = 0
    for pid in _own_children():
        st = _status(pid)
        if st is None or not st.get(b"State", b"").startswith(b"Z"):
            continue
        try:
            uid = int(st.get(b"Uid", b"").split()[0])
        except (IndexError, ValueError):
            continue
        if uid in uids:
            try:
                if os.waitpid(pid, os.WNOHANG)[0] == pid:
                    reaped += 1
            except ChildProcessError:
                pass
    return reaped


def zombies_of(uid: int) -> list[tuple[int, int]]:
    """(pid, parent pid) of every zombie whose real uid is ``uid``."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            if os.stat(f"/proc/{name}").st_uid != uid:
                continue
        except OSError:
            continue
        st = _status(int(name))
        if st is None or not st.get(b"State", b"").startswith(b"Z"):
            continue
        if st.get(b"Uid", b"").split()[:1] == [str(uid).encode()]:
            out.append((int(name), int(st.get(b"PPid", b"0") or 0)))
    return out


def orphans_reaped(wait: float = 1.0) -> str | None:
    """None when an orphan of this process is reaped by whoever adopts it; else who left it a zombie.

    A child forks a grandchild and exits; the grandchild exits at once, adopted by the nearest subreaper
    above this process, or pid 1. Run before this process makes itself a subreaper.
    """
    r, w = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - in the forked child
        try:
            os.close(r)
            grandchild = os.fork()
            if grandchild == 0:
                os.close(w)
                time.sleep(0.05)  # until its parent is gone: then it is an orphan
                os._exit(0)
            os.write(w, str(grandchild).encode())
        finally:
            os._exit(0)
    os.close(w)
    try:
        grandchild = int(os.read(r, 32) or b"0")
    finally:
        os.close(r)
        os.waitpid(child, 0)
    if not grandchild:
        return None
    deadline, zombie_since = time.monotonic() + wait, None
    while time.monotonic() < deadline:
        st = _status(grandchild)
        if st is None:
            return None  # reaped
        if st.get(b"State", b"").startswith(b"Z"):
            zombie_since = zombie_since or time.monotonic()
            if time.monotonic() - zombie_since > 0.2:  # an init that reaps does so within milliseconds
                break
        time.sleep(0.01)
    st = _status(grandchild)
    if st is None or not st.get(b"State", b"").startswith(b"Z"):
        return None
    adopter = int(st.get(b"PPid", b"0") or 0)
    if adopter == os.getpid():  # this process is a subreaper already: it reaps its own
        os.waitpid(grandchild, 0)
        return None
    try:
        with open(f"/proc/{adopter}/comm") as f:
            name = f.read().strip()
    except OSError:
        name = "?"
    return f"pid {adopter} ({name})" + ("" if adopter == 1 else ", a subreaper above the grader,")

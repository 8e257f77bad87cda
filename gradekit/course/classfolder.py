"""The class being graded, closed to the sandbox uid: one student's code must not read or run a classmate's file.

A jail shows the child nothing of the grader's files, and Landlock leaves the class folder out of
what a confined child may open. Without either (the confined level under an older Docker or a
kernel without Landlock, or weak isolation as root) only file modes keep the sandbox uid out, and a
class folder is usually open to every user. So, before a batch runs its first child:

1. the folder is registered (``gradekit.sandbox.confine.protect_class``): every confined launch
   checks, as the sandbox uid, the folder and every submission in it;
2. a root grader without Landlock closes the folder to other users (``chmod o-rwx``: the owner and
   the group keep their access, the sandbox uids are neither) and says so in the batch's notes;
3. where the folder stays open to the sandbox uid all the same (a read-only mount, an ACL that names
   it), the batch refuses to start, in one line: ``IsolationError``, exit 3.

A normal user's grader gives its child a jail (a user namespace) or weak isolation as that user,
who owns the class: nothing here changes that (``docs/security.md``).
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from pathlib import Path

from gradekit.core.errors import IsolationError
from gradekit.core.untrusted import printable

__all__ = ["close_class"]


def close_class(folder: str | Path, out: str | Path | None = None) -> list[str]:
    """Protect the class in ``folder`` from the sandbox uid; the notes for the batch (what was closed).

    ``out``: the batch's output folder (already protected: grades, and the students' unpacked archives),
    closed the same way. Raises ``IsolationError`` where student code would run confined or as a sandbox
    uid and could still reach either.
    """
    from gradekit.sandbox import confine

    root = os.path.realpath(folder)
    confine.protect_class(root)
    if os.geteuid() != 0:
        return []
    folders = [root] + ([os.path.realpath(out)] if out is not None and os.path.isdir(out) else [])
    notes: list[str] = []
    failed: dict[str, str] = {}
    if not (confine.landlock_wanted() and confine.landlock_abi() > 0):  # file modes are what keep the uid out
        for f in folders:
            mode = stat.S_IMODE(os.stat(f).st_mode)
            if not mode & 0o007 or not _searchable_above(f):  # closed already, or behind a closed folder
                continue
            failed[f] = _shared(f, mode)
            if failed[f]:
                continue
            try:
                os.chmod(f, mode & ~0o007)
                notes.append(f"{printable(f)} was open to other users ({mode:04o}): closed (chmod o-rwx) so no "
                             "student's code can read a classmate's submission")
            except OSError as e:
                failed[f] = f"chmod o-rwx: {e.strerror or e}"
    from gradekit.sandbox.box import isolation

    try:
        iso = isolation()  # decided now, with the class among the checked paths (forked workers inherit it)
    except IsolationError:  # no sandbox at all here: each row says so, as before any class was checked
        return notes
    for f in folders:
        if iso.kind == "weak" and any(f"can still reach {f}" in m for m in iso.missing):
            what = "the class being graded" if f == root else "the output folder (grades, students' archives)"
            raise IsolationError(
                f"the sandbox uid can still reach {printable(f)}, {what}, and it could not be closed "
                f"({failed.get(f) or 'it stays open after chmod o-rwx: an ACL or the owner?'}): make it unreadable "
                "to other users, or grade where a jail or Landlock can be had (gradekit doctor)")
    return notes


def _searchable_above(folder: str) -> bool:
    """Whether other users may pass every folder above ``folder`` (a folder under /root, 0700, is not reached)."""
    above = os.path.dirname(folder)
    while True:
        if not os.stat(above).st_mode & 0o001:
            return False
        if above == os.path.dirname(above):
            return True
        above = os.path.dirname(above)


def _shared(root: str, mode: int) -> str:
    """Why ``root`` must not be closed to other users (the machine's /tmp, a folder holding the interpreter
    the sandbox uid runs), or "" when it may be."""
    if mode & stat.S_ISVTX:
        return "a folder every user writes in (sticky, like /tmp): grade a folder of the class's own"
    for needed in (sys.prefix, sys.base_prefix, os.path.dirname(sys.executable), tempfile.gettempdir()):
        real = os.path.realpath(needed)
        if real == root or real.startswith(root.rstrip("/") + "/"):
            return f"it holds {printable(real)}, which student code needs: grade a folder of the class's own"
    return ""

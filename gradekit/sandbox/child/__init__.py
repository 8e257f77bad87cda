"""Every program a sandbox child runs, and nothing else: read as text and handed to a fresh
interpreter (``python -I -c``), never imported by the grader to run there. The jail hides
gradekit's package from the child, so these files use only the standard library (and numpy,
torch where the student's code needs them).

- ``jail_launcher``: builds the child's world (namespaces, mounts, the drop to a sandbox uid).
- ``confine_launcher``: confines a child without namespaces (uid, Landlock, seccomp, a check), then execs it.
- ``confine_server``: a batch's fork server where no jail can be had; each child confines itself.
- ``jail_server``: a batch's fork server, inside the same jail.
- ``answers``: runs an answers ``.py`` file and sends back ``ANSWERS``.
- ``harness``: imports a student's module and serves the grader's calls.
- ``torch_probe``, ``torch_train_probe``, ``class_glue``: appended to a student's file (``torch_train_probe``: the
  guards a torch code problem's training runs under).
- ``scenario``: appended to a student's file and to the course's solution alike: runs a code problem's steps.
- ``training``: appended after it for a torch code problem: trains the model the steps build, on served data.
- ``standin``: appended after ``scenario``: the solution's values standing in for the other graded functions,
  and finite differences of the forward the steps run.
- ``cells``: runs a notebook's code cells one by one, as Jupyter does (after the cells' text).
- ``preload``: put before a child's program: imports the heavy libraries, then lowers the memory cap to the
  student's budget on top of them.
"""

from __future__ import annotations

import functools
from pathlib import Path

PROGRAMS = ("jail_launcher", "confine_launcher", "confine_server", "jail_server", "fork_common", "answers", "harness",
            "torch_probe", "torch_train_probe", "class_glue", "scenario", "standin", "training", "cells",
            "preload")


@functools.lru_cache(maxsize=None)
def source(name: str) -> str:
    """The text of the child program ``name`` (one of ``PROGRAMS``)."""
    if name not in PROGRAMS:
        raise ValueError(f"no child program {name!r}; there are {', '.join(PROGRAMS)}")
    return (Path(__file__).parent / f"{name}.py").read_text(encoding="utf-8")


def server_source(name: str) -> str:
    """A fork server's program (``jail_server`` or ``confine_server``) with the helpers both run their children
    with (``fork_common``) before it."""
    return source("fork_common") + "\n\n" + source(name)

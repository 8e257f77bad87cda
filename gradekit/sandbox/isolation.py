"""How strongly untrusted code is isolated on this machine, and the rule that it never runs as root.

Three outcomes, decided once per process by trying (``gradekit.sandbox.box`` asks):

- **strong**, of two kinds:
  - ``jail`` (``gradekit.sandbox.jail``): private mount, pid and network
    namespaces, gradekit and the reference out of view, and an identity that owns
    nothing of the grader's (a sandbox uid when the grader is root; a user
    namespace mapping only the grader's user otherwise);
  - ``confined`` (``gradekit.sandbox.confine``), a root grader where namespaces are
    forbidden (Docker's default seccomp profile): a sandbox uid that is checked, at
    every launch, to reach none of gradekit, the reference, the specs and the results;
    a seccomp filter (no network, namespaces, tracing); Landlock where the kernel has it;
- **weak** (kind ``weak``): neither (macOS, a normal user without user namespaces). A
  root grader still drops the child to a sandbox uid; a normal user's child runs
  as that user. The child can read whatever that identity can, gradekit's files
  included, and has the network. Grading goes on, and says so loudly wherever
  results go, unless isolation is required (``--require-isolation``,
  ``GRADEKIT_REQUIRE_ISOLATION=1``, the Gradescope bundle), which refuses;
- **refused**: a root grader that can give the child neither a jail nor a
  sandbox uid that starts the interpreter. Untrusted code never runs as root.

>>> Isolation("weak", "uid 1000 (the grader's user)", ("no user namespaces",)).line()
"isolation: weak — the child runs as uid 1000 (the grader's user) and can read what it can: no user namespaces"
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from gradekit.core.errors import IsolationError

__all__ = ["Isolation", "IsolationError", "required", "note_used", "used", "check_allowed"]

_used: list["Isolation"] = []


@dataclass(frozen=True)
class Isolation:
    """What a sandbox child got: ``level`` strong or weak, who it runs as, and what is missing (weak only)."""

    level: str
    identity: str
    missing: tuple[str, ...] = field(default_factory=tuple)
    kind: str = ""  # jail, confined or weak: how the level is had (see the module docstring)
    landlock: bool = False  # confined only: whether Landlock also narrows its view of the file system

    def __post_init__(self) -> None:
        if not self.kind:
            object.__setattr__(self, "kind", "jail" if self.level == "strong" else "weak")

    @property
    def strong(self) -> bool:
        return self.level == "strong"

    def line(self) -> str:
        if self.kind == "jail":
            return (f"isolation: strong (jail) — the child runs as {self.identity} in its own mount, pid and "
                    f"network namespaces; gradekit and the reference are not in its view")
        if self.kind == "confined":
            view = ("Landlock shows it only the interpreter, its libraries and its own folders" if self.landlock
                    else "without Landlock it sees the rest of the machine as that uid may")
            return (f"isolation: strong (confined) — the child runs as {self.identity} that cannot read gradekit, "
                    f"the reference, the specs or the results (checked at each launch), under a seccomp filter "
                    f"(no network, no namespaces, no tracing); {view}; "
                    + "; ".join(self.missing))
        return (f"isolation: weak — the child runs as {self.identity} and can read what it can: "
                + "; ".join(self.missing))

    def to_dict(self) -> dict[str, object]:
        return {"level": self.level, "kind": self.kind, "identity": self.identity, "missing": list(self.missing),
                "landlock": self.landlock, "line": self.line()}


def required() -> bool:
    """Whether weak isolation must be refused: ``GRADEKIT_REQUIRE_ISOLATION`` (set by ``--require-isolation``)."""
    return os.environ.get("GRADEKIT_REQUIRE_ISOLATION", "").strip().lower() in ("1", "yes", "on", "true")


def check_allowed(iso: Isolation) -> None:
    """Raise ``IsolationError`` when ``iso`` is weak and strong isolation is required."""
    if not iso.strong and required():
        raise IsolationError(f"refusing to run student code: {iso.line()} "
                             f"(isolation is required here; run `gradekit doctor` for what is missing)")


def note_used(iso: Isolation) -> None:
    """Record that a child ran with ``iso`` (reports say how code was isolated)."""
    if iso not in _used:
        _used.append(iso)


def used() -> Isolation | None:
    """The weakest isolation a child of this process ran with, or None when no code ran."""
    if not _used:
        return None
    return next((i for i in _used if not i.strong), _used[0])


def reset_used() -> None:
    _used.clear()

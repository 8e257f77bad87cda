"""How strongly untrusted code is isolated on this machine, and the rule that it never runs as root.

Three outcomes, decided once per process by trying (``gradekit.sandbox.box`` asks):

- **strong**: a jail (``gradekit.sandbox.jail``): private mount, pid and network
  namespaces, gradekit and the reference out of view, and an identity that owns
  nothing of the grader's (a sandbox uid when the grader is root; a user
  namespace mapping only the grader's user otherwise);
- **weak**: no namespaces here (macOS, a locked-down kernel or container). A
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

    @property
    def strong(self) -> bool:
        return self.level == "strong"

    def line(self) -> str:
        if self.strong:
            return (f"isolation: strong — the child runs as {self.identity} in its own mount, pid and "
                    f"network namespaces; gradekit and the reference are not in its view")
        return (f"isolation: weak — the child runs as {self.identity} and can read what it can: "
                + "; ".join(self.missing))

    def to_dict(self) -> dict[str, object]:
        return {"level": self.level, "identity": self.identity, "missing": list(self.missing), "line": self.line()}


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

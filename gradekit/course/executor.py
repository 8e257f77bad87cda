"""Where a batch's submissions are graded: this machine's worker pool, or a cluster.

``grade_folder`` decides *what* to grade (``discover``, the resume cache) and writes
what comes back; an executor decides only *where*: it runs ``grade_entry`` for each
entry in an isolated grading process and hands each row back as it finishes. The
two kinds are the local pool (``gradekit.course.pool``, the default and the fastest
on one machine) and a Dask cluster (``gradekit.course.cluster``, ``--scheduler``).

The contract both keep:

- ``run(work, done)`` grades every ``(index, entry)`` of ``work`` and calls
  ``done(index, row)`` in the calling process exactly once per index, in any order,
  as each row arrives; it returns when every index has its row. Rows are plain
  data (``grade_entry``'s dict), never an object a submission could shape.
- A submission never makes ``run`` raise: a worker that dies or stalls costs that
  submission a grader-error row (after the executor's retries), never the batch.
- ``KeyboardInterrupt`` (Ctrl-C) stops the workers, leaves no temporary folder with
  a student's file behind, and propagates; rows already handed to ``done`` stand.
- ``close()`` ends the workers; ``stats()`` says, per worker, how many submissions
  it graded and in how many seconds (``gradekit grade --json``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from gradekit.course.batch import Entry
    from gradekit.sandbox.process import Limits
    from gradekit.catalog.catalog import Catalog

Row = dict[str, Any]
RowSink = Callable[[int, Row], None]


@dataclass(frozen=True)
class BatchJob:
    """What every grading process of one batch needs besides the entries themselves."""

    assignment: str
    catalog: Catalog
    limits: Limits
    stall_seconds: float  # a worker silent this long (scaled by the machine's load) is lost


def default_stall_seconds(limits: Limits) -> float:
    """How long a worker may show no progress before it is lost, when the caller names no limit: twice the
    time limit plus a minute (every call into student code ends within its own limit)."""
    return limits.wall_seconds * 2 + 60


@dataclass(frozen=True)
class WorkerStats:
    """One worker's share of a batch: ``gradekit grade --json`` reports these."""

    worker: str  # "local-1", or a Dask worker's address
    graded: int
    seconds: float


class Executor(Protocol):
    def run(self, work: Sequence[tuple[int, Entry]], done: RowSink) -> None:
        """Grade each ``(index, entry)``; ``done(index, row)`` once per index as rows arrive."""

    def stats(self) -> list[WorkerStats]:
        """Per worker: submissions graded and seconds spent, for the batch's JSON."""

    def close(self) -> None:
        """End the workers (idempotent)."""

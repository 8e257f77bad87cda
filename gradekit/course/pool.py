"""This machine's worker pool: the default ``Executor`` of a batch (``gradekit.course.executor``).

Each submission is graded in a worker *process* (``fork``, so workers inherit the
loaded catalog and its solved problems): the sandbox sets rlimits in a
``preexec_fn``, which must not run in a process with other threads. Each worker
holds one submission at a time and one jailed fork server for all of its
submissions. A worker that dies or stalls costs only the submission it held (a
grader error, graded again later), and is replaced, so ``run`` always returns a
row for every submission.

Every worker's temporary folders (its fork server's, its module sessions' with a
student's file) go under one scratch folder of the pool, removed by ``close``
even where a killed worker left a student's file behind.

Ctrl-C reaches the whole process group of a terminal: the workers ignore it and
the parent decides. On ``KeyboardInterrupt`` (and on any other exception from
``done``) the pool asks each busy worker to stop (SIGTERM: the worker unwinds,
its module sessions and fork server end with their children), kills what has
not ended after ``STOP_GRACE`` seconds, removes the scratch folder and re-raises.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from gradekit.course.entry import Entry, grade_entry, lost_row
from gradekit.course.executor import BatchJob, Row, RowSink, WorkerStats

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from gradekit.sandbox.limits import Limits
    from gradekit.catalog.catalog import Catalog

GradeFunction = Callable[[Entry, str, "Catalog", "Limits | None"], Row]  # grade_entry's signature

STOP_GRACE = 10.0  # seconds a busy worker has to unwind after SIGTERM before it is killed
_POLL = 0.5  # seconds between looks at stalled workers


def _stop_on_term(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)  # not an Exception: grade_entry does not catch it, every `finally` runs


def _worker_loop(conn: Connection, grade: GradeFunction, job: BatchJob, scratch: str, beat: Any) -> None:
    """In a forked worker: grade each entry the parent sends, send its row back, until told to stop.

    Its temporary folders (the fork server's, module sessions' with a student's file) go under the batch's
    ``scratch`` folder, which the parent removes when the batch ends, whether this worker ended or was killed.
    ``beat`` (a shared double) gets the time of every call a module session begins or ends: a slow
    submission, call after call, is progress the supervisor can see, not a stall.
    """
    import tempfile

    from gradekit.code.session import on_progress
    from gradekit.sandbox.process import use_fork_server

    # A terminal's Ctrl-C goes to the whole foreground group, this worker too: the parent alone decides
    # (a no-op handler, not SIG_IGN, so the programs this worker starts get the default action back at exec).
    signal.signal(signal.SIGINT, lambda signum, frame: None)
    signal.signal(signal.SIGTERM, _stop_on_term)  # the parent's "stop now": unwind, closing what is open
    tempfile.tempdir = scratch
    use_fork_server(True)  # one jailed fork server per worker: numpy imported once, a fresh view per child

    def progressed() -> None:
        beat.value = time.monotonic()  # CLOCK_MONOTONIC: one clock for every process of the machine

    on_progress(progressed)
    try:
        while True:
            try:
                entry = conn.recv()
            except EOFError:
                return
            if entry is None:
                return
            conn.send(grade(entry, job.assignment, job.catalog, job.limits))
    finally:
        use_fork_server(False)  # the server ends and its folder goes (multiprocessing ends with os._exit)


class _Worker:
    """One forked worker process and the task it holds (index, start time), if any."""

    def __init__(self, ctx: Any, grade: GradeFunction, job: BatchJob, scratch: str):
        self.conn, child = ctx.Pipe()
        self.beat = ctx.RawValue("d", 0.0)  # when the worker last began or ended a call into student code
        self.proc = ctx.Process(target=_worker_loop, args=(child, grade, job, scratch, self.beat), daemon=True)
        self.proc.start()
        child.close()
        self.task: tuple[int, float] | None = None

    def give(self, i: int, entry: Entry) -> None:
        self.conn.send(entry)
        self.task = (i, time.monotonic())

    def idle_for(self) -> float:
        """Seconds since the worker last showed progress on its task: taking it, or a call beginning or ending."""
        assert self.task is not None
        return time.monotonic() - max(self.task[1], self.beat.value)

    def ask_to_stop(self) -> None:
        """An idle worker is told to end; a busy one gets SIGTERM and unwinds (``_stop_on_term``)."""
        if self.task is None:
            try:
                self.conn.send(None)
                return
            except OSError:
                pass
        if self.proc.is_alive():
            self.proc.terminate()

    def reap(self, deadline: float) -> None:
        """Wait for the worker to end until ``deadline`` (monotonic), then kill it."""
        self.proc.join(max(0.0, deadline - time.monotonic()))
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()
        self.conn.close()

    def kill(self) -> None:
        self.proc.kill()
        self.reap(time.monotonic() + 5)


class LocalPool:
    """``jobs`` forked worker processes on this machine (all cores by default), started by the first ``run``.

    A worker silent for ``job.stall_seconds`` (scaled by the machine's load: a busy machine stretches the
    wall clock) is lost: its submission's row is a grader error and the worker is replaced. ``grade`` is
    what a worker runs for each entry (``grade_entry``; a test may hand in another).
    """

    def __init__(self, job: BatchJob, jobs: int | None = None, *, grade: GradeFunction | None = None):
        self.job = job
        self.jobs = max(1, jobs or os.cpu_count() or 1)
        self._grade = grade or grade_entry
        self._workers: list[_Worker] = []
        self._scratch: str | None = None
        self._graded: list[int] = []
        self._seconds: list[float] = []

    def _start(self, wanted: int) -> None:
        import multiprocessing

        from gradekit.sandbox import scratch

        if self._scratch is None:
            self._scratch = scratch.make("batch")  # named for its owner: removed by the next batch if this one is killed
            # entered, not listed, by a sandbox uid: each folder in it is 0700 and its child's
            os.chmod(self._scratch, 0o711)
        ctx = multiprocessing.get_context("fork")  # workers inherit the catalog, never pickled
        while len(self._workers) < min(self.jobs, wanted):  # one by one: a Ctrl-C meanwhile leaves none unknown
            self._workers.append(self._new_worker(ctx))
            self._graded.append(0)
            self._seconds.append(0.0)

    def _new_worker(self, ctx: Any = None) -> _Worker:
        import multiprocessing

        assert self._scratch is not None
        return _Worker(ctx or multiprocessing.get_context("fork"), self._grade, self.job, self._scratch)

    def run(self, work: Sequence[tuple[int, Entry]], done: RowSink) -> None:
        from multiprocessing.connection import wait

        from gradekit.sandbox.cputime import load_factor

        todo = list(work)[::-1]
        if not todo:
            return
        stall = self.job.stall_seconds
        left = len(todo)
        try:
            self._start(len(todo))
            workers = self._workers
            entries = dict(work)
            while left:
                for w in workers:
                    if w.task is None and todo:
                        i, entry = todo.pop()
                        w.give(i, entry)
                busy = [w for w in workers if w.task is not None]
                ready = wait([x for w in busy for x in (w.conn, w.proc.sentinel)], timeout=_POLL)
                for k, w in enumerate(workers):
                    if w.task is None:
                        continue
                    i, began = w.task
                    if w.conn in ready:
                        try:
                            row = w.conn.recv()
                        except (EOFError, OSError):
                            pass
                        else:
                            w.task = None
                            self._graded[k] += 1
                            self._seconds[k] += time.monotonic() - began
                            left -= 1
                            done(i, row)
                            continue
                    if w.conn in ready or w.proc.sentinel in ready:
                        w.proc.join(1)
                        why = f"died (exit code {w.proc.exitcode})"
                    elif w.idle_for() > stall * load_factor():
                        why = f"made no progress for {stall:g} s"
                    else:
                        continue
                    w.kill()
                    workers[k] = self._new_worker()
                    self._seconds[k] += time.monotonic() - began
                    left -= 1
                    done(i, lost_row(entries[i], why))
        except BaseException:  # Ctrl-C, or `done` failed: no worker, child or student's file outlives the batch
            self.close()
            raise

    def stats(self) -> list[WorkerStats]:
        return [WorkerStats(f"local-{k + 1}", n, round(s, 3))
                for k, (n, s) in enumerate(zip(self._graded, self._seconds))]

    def close(self) -> None:
        from gradekit.sandbox.process import rmtree

        with _shielded():  # a second Ctrl-C must not leave a worker or a student's file behind
            workers, self._workers = self._workers, []
            for w in workers:
                w.ask_to_stop()
            deadline = time.monotonic() + STOP_GRACE
            for w in workers:
                w.reap(deadline)
            if self._scratch is not None:
                rmtree(self._scratch)
                self._scratch = None


@contextmanager
def _shielded():
    """SIGINT and SIGTERM held off while the pool cleans up (bounded by ``STOP_GRACE``), then restored."""
    import threading

    if threading.current_thread() is not threading.main_thread():  # only the main thread may set handlers
        yield
        return
    held = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in held.items():
            if handler is not None:  # None: set outside Python, and not ours to restore
                signal.signal(s, handler)

"""A class graded on a Dask cluster: ``gradekit grade FOLDER -a A --scheduler tls://host:8786`` (docs/cluster.md).

``DaskExecutor`` keeps ``gradekit.course.executor``'s contract on a cluster of Dask workers
(``pip install 'gradekit[cluster]'``): the instructor's machine reads each submission with
gradekit's safe reader (``grading_process.pack``), sends it as ``{relative path: bytes}`` (no shared
file system), and gets back each row as JSON text, the very row a local run gives. Nothing a
submission controls is ever unpickled here or by the scheduler: a task's arguments are the
client's own plain data, and what comes back is ``{"worker": str, "rows": [[int, str, float]]}``.

On each worker, ``GradingPlugin`` (a ``distributed.WorkerPlugin``; also set up at start by
``dask worker --preload gradekit.course.cluster``) starts one plain grading process
(``gradekit.course.grading_process``, exec'd: the Dask worker has threads and is never forked for
the sandbox) that checks ``gradekit doctor``'s verdict, holds the jailed fork server, and grades.
A worker whose isolation is weak, whose gradekit version or catalog differs from the client's,
refuses the batch: ``run`` raises ``ClusterRefused`` with the worker's reason.

Faults: the grading process dying or stalling on a submission is retried once in a fresh one,
then that submission is a grader-error row; a Dask worker dying mid-batch has its tasks rerun
elsewhere by the scheduler (``distributed.scheduler.allowed-failures`` times), after which a
task of several submissions is split and retried one by one, and a single one is a grader-error
row. A lost scheduler ends the run: every row done was handed to ``done``, the rest become
grader-error rows ("grade them again"), and the batch writes its outputs as usual.

A cluster is never open by default: its scheduler runs whatever any client that reaches it sends,
as the workers' user (root, for the sandbox), so ``DaskExecutor`` refuses an address that is not
``tls://`` (``cluster_security.InsecureCluster``) unless told ``insecure=True`` (``gradekit grade
--insecure-cluster``).
Every row a worker sends back is checked as the resume cache checks its own
(``gradekit.course.cache.row_fault``): it answers the task that was sent (its token, each of its
submissions once), it is that submission's row, within each part's points, and its total adds up.
A row that is not is a grader-error row, never points.

Answers files go 25 to a task (a task costs a few milliseconds of scheduling); module files,
notebooks and folders with them one to a task. A task whose submission trains a model (a torch code
problem's file with a training part, or a training checked as training: ECE 449's task2 and task3) asks for a worker
resource ``GPU=1`` when the cluster has such workers (``dask worker --resources GPU=1``), and runs on any
worker otherwise.
"""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, cast

from distributed import WorkerPlugin

from gradekit.core.errors import GraderError
from gradekit.core.records import ModuleParams
from gradekit.course.cluster_security import insecure_refusal, secure_address
from gradekit.course.entry import graded_columns
from gradekit.course.executor import BatchJob, RowSink, WorkerStats
from gradekit.course.grading_process import Unreadable, header, pack, row_from_text

__all__ = ["DaskExecutor", "GradingPlugin", "ClusterRefused", "ClusterLost", "dask_setup", "grade_task"]

PLUGIN_NAME = "gradekit-grading"
ANSWERS_PER_TASK = 25  # measured: ~8 ms of scheduling a task against ~13 ms to grade an answers file
MAX_ROW_BYTES = 32 * 2**20  # a row as JSON text from a worker: the resume cache's bound on one entry
READY_SECONDS = 300  # a fresh grading process imports gradekit and probes the sandbox; a loaded machine is slow
log = logging.getLogger("gradekit.cluster")


class ClusterRefused(GraderError):
    """A worker refused the batch: another gradekit or catalog, or isolation too weak (its reason, named)."""


class ClusterLost(GraderError):
    """The scheduler could not be reached (at the start: nothing was graded)."""


class WorkerRefused(Exception):
    """Raised in a task on a worker that will not grade this client's batch; carried to the client as is."""


# -- on each worker --------------------------------------------------------------------------------


class _Lost(Exception):
    """The grading process died or stalled on a submission."""


class GradingProcess:
    """One worker's grading process (``gradekit.course.grading_process``), and the submission it holds.

    One submission at a time (a lock): a worker started with ``--nthreads 1`` never waits on it.
    ``argv`` is the command that starts it (tests start one that fails on purpose).
    """

    def __init__(self, argv: Sequence[str] | None = None):
        self.argv = list(argv or [sys.executable, "-m", "gradekit.course.grading_process"])
        self.lock = threading.Lock()
        self.proc: subprocess.Popen | None = None
        self.conn: Connection | None = None
        self.facts: dict[str, Any] | None = None

    def start(self) -> None:
        mine, theirs = socket.socketpair()
        try:
            # exec'd, not forked from this threaded process: the sandbox's preexec_fn needs a one-thread parent
            self.proc = subprocess.Popen([*self.argv, str(theirs.fileno())], pass_fds=(theirs.fileno(),),
                                         stdin=subprocess.DEVNULL)
        finally:
            theirs.close()
        self.conn = Connection(mine.detach())
        self.facts = None

    def ready(self) -> dict[str, Any]:
        """Its start-up facts (version, isolation verdict), waiting for them once."""
        if self.proc is None:
            self.start()
        if self.facts is None:
            assert self.conn is not None and self.proc is not None  # start() made both
            if not self.conn.poll(READY_SECONDS):
                raise _Lost(f"did not start within {READY_SECONDS} s")
            try:
                kind, facts = self.conn.recv()
            except (EOFError, OSError):
                raise _Lost(f"died at start (exit code {self.proc.wait()})") from None
            self.facts = facts
        return self.facts

    def grade(self, head: dict[str, Any], item: dict[str, Any]) -> str:
        """The row of ``item`` as JSON: retried once in a fresh process if this one dies or stalls."""
        with self.lock:
            why = ""
            for _ in range(2):
                try:
                    self.ready()
                    return self._one(head, item)
                except _Lost as e:
                    why = str(e)
                    log.warning("gradekit: the grading process %s on %s; starting another", why, item["shown"])
                    self.stop(kill=True)
            return _fault_row(item, f"its grading process {why}, twice; grade it again (gradekit check)")

    def _one(self, head: dict[str, Any], item: dict[str, Any]) -> str:
        from gradekit.sandbox.cputime import load_factor

        assert self.conn is not None and self.proc is not None
        try:
            self.conn.send(("grade", head, item))
        except OSError:
            raise _Lost(f"died (exit code {self.proc.wait()})") from None
        stall = float(head["stall_seconds"])
        last = time.monotonic()
        while True:
            if self.conn.poll(1.0):
                try:
                    msg = self.conn.recv()
                except (EOFError, OSError):
                    raise _Lost(f"died (exit code {self.proc.wait()})") from None
                if msg[0] == "beat":
                    last = time.monotonic()
                elif msg[0] == "row":
                    return msg[1]
                else:  # "refused": this worker must not grade the batch, and says why
                    raise WorkerRefused(msg[1])
            elif self.proc.poll() is not None:
                raise _Lost(f"died (exit code {self.proc.returncode})")
            elif time.monotonic() - last > stall * load_factor():  # a busy machine stretches the wall clock
                raise _Lost(f"made no progress for {stall:g} s")

    def stop(self, kill: bool = False) -> None:
        if self.proc is None:
            return
        if not kill and self.conn is not None:
            try:
                self.conn.send(None)
            except OSError:
                kill = True
        if kill:
            self.proc.kill()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.conn is not None:
            self.conn.close()
        self.proc = self.conn = self.facts = None


def _fault_row(item: dict[str, Any], why: str) -> str:
    import json

    return json.dumps(_fault(item["student"], item["name"], item["shown"], why))


def _fault(student: str, name: str, shown: str | None, why: str) -> dict[str, Any]:
    """A grader-error row (no score), as the local pool writes one for a worker it lost."""
    return {"student": student, "name": name, "file": shown, "score": None, "error": f"grader error: {why}",
            "grader_error": True, "parts": {}, "diagnoses": [], "report": None}


class GradingPlugin(WorkerPlugin):
    """Starts a worker's grading process as the worker starts, and ends it with the worker.

    Its verdict (version, isolation) is logged as soon as the process is up: a worker that can only
    weakly isolate says so in its log at start, and refuses every batch that does not allow it.
    """

    idempotent = True  # registered again by a second client: the running process stays

    def __init__(self, argv: Sequence[str] | None = None):
        self.argv = list(argv) if argv else None
        self.process: GradingProcess | None = None

    def setup(self, worker: Any) -> None:
        self.process = GradingProcess(self.argv)
        self.process.start()
        threading.Thread(target=self._announce, name="gradekit-ready", daemon=True).start()

    def _announce(self) -> None:
        proc = self.process
        assert proc is not None
        try:
            with proc.lock:
                iso = proc.ready()["isolation"]
        except _Lost as e:
            log.error("gradekit: the grading process %s", e)
            return
        if iso["level"] == "strong":
            log.info("gradekit: grading process ready; %s", iso.get("line"))
        else:
            log.error("gradekit: this worker gives student code only %s isolation (%s): it refuses every batch "
                      "that does not allow weak isolation", iso["level"], iso.get("line") or iso.get("why"))

    def teardown(self, worker: Any) -> None:
        if self.process is not None:
            self.process.stop()


_install = threading.Lock()


def _plugin(worker: Any) -> GradingPlugin:
    """This worker's plugin: the one set up at start (``--preload``), else one set up now."""
    with _install:
        plugin = worker.plugins.get(PLUGIN_NAME)
        if plugin is None:
            plugin = GradingPlugin()
            plugin.setup(worker)
            worker.plugins[PLUGIN_NAME] = plugin  # torn down with the worker
        return plugin


def dask_setup(worker: Any) -> None:
    """``dask worker --preload gradekit.course.cluster``: the grading process starts with the worker."""
    _plugin(worker)


def grade_task(head: dict[str, Any], items: list[dict[str, Any]], token: str = "") -> dict[str, Any]:
    """A Dask task: grade ``items`` on this worker's grading process; plain data back, with the task's ``token``."""
    from distributed import get_worker

    worker = get_worker()
    process = _plugin(worker).process
    assert process is not None
    rows = []
    for item in items:
        start = time.monotonic()
        rows.append([item["index"], process.grade(head, item), time.monotonic() - start])
    return {"task": token, "worker": worker.address, "rows": rows}


# -- on the instructor's machine -------------------------------------------------------------------


class DaskExecutor:
    """An ``Executor`` on the Dask cluster at ``address`` (``tcp://`` or ``tls://``, ``security``: Dask's ``Security``).

    ``allow_weak``: grade on workers that give student code only weak isolation (refused otherwise).
    ``insecure``: accept an address without TLS (``cluster_security.InsecureCluster`` otherwise): anyone who
    reaches such a scheduler runs code on its workers.
    ``lost_after``: seconds without a scheduler before the run ends with the rows it has;
    ``workers_after``: seconds with a scheduler but no worker at all (an adaptive cluster waiting for
    its jobs may need more) before it ends so too.
    """

    def __init__(self, job: BatchJob, address: str, security: Any = None, *, allow_weak: bool = False,
                 insecure: bool = False,
                 answers_per_task: int = ANSWERS_PER_TASK, lost_after: float = 30.0, workers_after: float = 300.0,
                 connect_timeout: float = 30.0):
        from distributed import Client

        if not secure_address(address) and not insecure:
            raise insecure_refusal(address)
        self.job = job
        self.per_task = max(1, answers_per_task)
        self.lost_after = lost_after
        self.workers_after = workers_after
        self.head = {**header(job.catalog, job.assignment, job.limits, allow_weak),
                     "stall_seconds": job.stall_seconds}
        failed = ""
        try:
            self.client = Client(address, security=security, timeout=connect_timeout, set_as_default=False)
        except (OSError, TimeoutError, TypeError, ValueError) as e:  # Dask's TypeError: tls:// without a Security
            failed = str(e)
        if failed:
            # the half-made Client closes itself when collected; collected later, inside the next Client's start,
            # its close waits on the loop that start holds: close it now, while nothing else starts
            import gc

            gc.collect()
            raise ClusterLost(f"cannot reach the Dask scheduler at {address}: {failed}")
        self._graded: dict[str, int] = defaultdict(int)
        self._seconds: dict[str, float] = defaultdict(float)
        self._trains = _training_files(job)
        self._maxima = graded_columns(job.catalog.problems(job.assignment))
        self._max_score = sum(p.max_score for p in job.catalog.problems(job.assignment))
        self._entries: dict[int, Any] = {}  # each index sent, its entry: what a row coming back must be of
        self._gpus = False  # whether any worker offers a GPU resource: read as each run starts

    # what goes in one task, and where it may run

    def _heavy(self, item: dict[str, Any]) -> bool:
        """Whether the submission runs module code or a notebook (one to a task), not only an answers file."""
        from gradekit.code.spec import is_code_file

        for rel, data in item["files"].items():
            name = Path(rel)
            if name.suffix.lower() == ".ipynb" or is_code_file(name, self.job.catalog, self.job.assignment,
                                                                None, data):
                return True
        return False

    def _resources(self, batch: list[dict[str, Any]]) -> dict[str, float] | None:
        from gradekit.code.spec import matches_file

        if not self._gpus or not self._trains:
            return None
        for item in batch:
            for rel in item["files"]:
                name = Path(rel).name
                if name.lower().endswith(".ipynb") or any(matches_file(name, f) for f in self._trains):
                    return {"GPU": 1}
        return None

    def _tasks(self, work: Sequence[tuple[int, Any]], give: RowSink) -> list[list[dict[str, Any]]]:
        from gradekit.course.entry import zero_row as _zero

        light: list[dict[str, Any]] = []
        heavy: list[dict[str, Any]] = []
        for i, entry in work:
            if entry.path is None:  # nothing to grade: the row discover's note gives
                give(i, _zero(entry, entry.problem))
                continue
            self._entries[i] = entry
            try:
                item = pack(i, entry)
            except Unreadable as e:  # the message a local run gives, before any code would run
                give(i, _zero(entry, str(e)))
                continue
            (heavy if self._heavy(item) else light).append(item)
        return [[h] for h in heavy] + [light[k:k + self.per_task] for k in range(0, len(light), self.per_task)]

    def run(self, work: Sequence[tuple[int, Any]], done: RowSink) -> None:
        from concurrent.futures import CancelledError

        from distributed.scheduler import KilledWorker

        given: set[int] = set()

        def give(i: int, row: dict[str, Any]) -> None:
            if i not in given:  # a task rerun after its result was lost must not give a row twice
                given.add(i)
                done(i, row)

        info = self.client.scheduler_info()
        workers = info.get("workers", {})
        self._gpus = any(w.get("resources", {}).get("GPU") for w in workers.values())
        threads = sum(w.get("nthreads", 1) for w in workers.values()) or 1
        todo = self._tasks(work, give)[::-1]  # heavy ones first: the long tasks start early
        window = max(8, 4 * threads)  # tasks in flight: the scheduler holds their bytes, so not the whole class
        pending: dict[Any, list[dict[str, Any]]] = {}
        tokens: dict[Any, str] = {}  # each future's token: its result must carry it
        unreachable_since: float | None = None
        no_workers_since: float | None = None
        trouble = False  # a result could not be fetched: the scheduler may be going
        why_lost = "the Dask scheduler was lost before it was graded; grade it again"
        arrived = threading.Event()  # set as any task ends (a future's callback, on the client's thread)
        try:
            while todo or pending:
                while todo and len(pending) < window:
                    batch = todo.pop()
                    token = uuid.uuid4().hex
                    future = self.client.submit(grade_task, self.head, batch, token, key=f"gradekit-{token}",
                                                pure=False, resources=self._resources(batch))
                    pending[future] = batch
                    tokens[future] = token
                    future.add_done_callback(lambda _: arrived.set())
                arrived.wait(1.0)
                arrived.clear()
                if self.client.status != "running" or trouble:
                    unreachable_since = unreachable_since or time.monotonic()
                    if time.monotonic() - unreachable_since > self.lost_after or self.client.status == "closed":
                        break
                else:
                    unreachable_since = None
                    if self.client.scheduler_info().get("workers"):
                        no_workers_since = None
                    else:  # every worker gone: its tasks would wait for a new one forever
                        no_workers_since = no_workers_since or time.monotonic()
                        if time.monotonic() - no_workers_since > self.workers_after:
                            why_lost = (f"no Dask worker was left for {self.workers_after:g} s before it was "
                                        "graded; grade it again")
                            break
                for future in [f for f in pending if f.done()]:
                    batch = pending.pop(future)
                    token = tokens.pop(future, "")
                    try:
                        res = future.result() if future.status == "finished" else None
                        exc = future.exception() if future.status == "error" else None
                    except (OSError, CancelledError, TimeoutError):  # CommClosedError too: gone while fetched
                        todo.append(batch)
                        trouble = True
                        unreachable_since = unreachable_since or time.monotonic()
                        continue
                    if res is not None:
                        trouble = False
                        for i, row, worker, seconds in self._checked(res, batch, token):
                            give(i, row)
                            if worker is not None:
                                self._graded[worker] += 1
                                self._seconds[worker] += seconds
                        continue
                    if future.status == "cancelled":  # the scheduler forgot it: it is gone
                        todo.append(batch)
                        unreachable_since = unreachable_since or time.monotonic()
                        continue
                    if isinstance(exc, WorkerRefused):
                        raise ClusterRefused(f"a worker refused the batch: {exc}")
                    if isinstance(exc, KilledWorker):
                        if len(batch) > 1:  # one of them may be the cause: each on its own now
                            todo.extend([item] for item in batch)
                        else:
                            item = batch[0]
                            give(item["index"], _fault(item["student"], item["name"], item["shown"],
                                                       "the Dask workers that held it died each time; "
                                                       "grade it again (gradekit check)"))
                        continue
                    for item in batch:  # a fault of the grader on the worker, never the student's
                        give(item["index"], _fault(item["student"], item["name"], item["shown"],
                                                   f"{type(exc).__name__}: {exc}"))
        except KeyboardInterrupt:
            self._cancel(pending)
            raise
        if todo or pending:  # the cluster is gone: what was not graded is said so, the rest stands
            log.error("gradekit: %d tasks not graded: %s", len(todo) + len(pending), why_lost)
            for batch in [*todo, *pending.values()]:
                for item in batch:
                    give(item["index"], _fault(item["student"], item["name"], item["shown"], why_lost))
            self._cancel(pending)

    def _checked(self, res: Any, batch: list[dict[str, Any]],
                 token: str) -> list[tuple[int, dict, str | None, float]]:
        """The rows of a task's result, each checked as the resume cache checks its own: the result answers
        this task (``token``), each row is of a submission the task held (once), is that submission's row and
        adds up. A submission without such a row gets a grader-error row saying why (never points)."""
        import math

        from gradekit.course.cache import row_fault

        sent = {item["index"]: item for item in batch}
        out: list[tuple[int, dict, str | None, float]] = []  # worker None: a fault row, not counted as graded
        why = "the worker's answer was not a result of the task sent"
        worker = res.get("worker") if isinstance(res, dict) else None
        if isinstance(res, dict) and res.get("task") == token and isinstance(worker, str) and len(worker) <= 300 \
                and isinstance(res.get("rows"), list) and len(res["rows"]) <= len(batch):
            why = "the worker sent back no row for it"
            for got in res["rows"]:
                if not (isinstance(got, list) and len(got) == 3 and type(got[0]) is int and got[0] in sent
                        and isinstance(got[1], str) and isinstance(got[2], (int, float)) and math.isfinite(got[2])):
                    continue  # not a row of this task's: its submissions get the message below
                i, text, seconds = got
                item = sent.pop(i)
                fault = "a row larger than any row" if len(text) > MAX_ROW_BYTES else None
                row: Any = None
                if fault is None:
                    try:
                        row = row_from_text(text)
                        row["diagnoses"] = [list(d) for d in row["diagnoses"]]
                    except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
                        fault = "a row that is not JSON"
                if fault is None:
                    fault = row_fault(self._entries[i], row, self._maxima, self._max_score, grader_error=True)
                if fault is not None:
                    log.error("gradekit: worker %s sent back a bad row for %s: %s", worker, item["shown"], fault)
                    out.append((i, _fault(item["student"], item["name"], item["shown"],
                                          f"the row its worker sent back is not one it could have graded ({fault}); "
                                          "grade it again (gradekit check)"), None, 0.0))
                    continue
                row["diagnoses"] = [tuple(d) for d in row["diagnoses"]]
                out.append((i, row, worker, float(seconds)))
        else:
            log.error("gradekit: a worker's answer to task %s is not a result of it", token)
        for item in sent.values():
            out.append((item["index"], _fault(item["student"], item["name"], item["shown"],
                                              f"{why}; grade it again (gradekit check)"), None, 0.0))
        return out

    def _cancel(self, pending: dict[Any, Any]) -> None:
        try:
            self.client.cancel(list(pending))
        except Exception:  # the scheduler may be gone already: nothing to cancel there
            pass

    def stats(self) -> list[WorkerStats]:
        return [WorkerStats(w, self._graded[w], round(self._seconds[w], 3)) for w in sorted(self._graded)]

    def close(self) -> None:
        try:
            self.client.close(timeout=10)
        except Exception:  # a lost scheduler: nothing to close there
            pass

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _training_files(job: BatchJob) -> list[str]:
    """The file names of the assignment's problems that train a student's model (they may use a GPU)."""
    from gradekit.code.spec import code_problems

    try:
        return [cast(ModuleParams, p.validated_params).file  # a code problem's params are its ModuleSpec
                for p in code_problems(job.catalog, job.assignment) if _trains_torch(p)]
    except Exception:  # an assignment without code problems
        return []


def _trains_torch(problem: Any) -> bool:
    """A [code] torch problem with a training part, or a part whose training is checked as training (fit)."""
    extra = problem.validated_params.extra
    return extra.get("library") == "torch" and any(
        getattr(t, "train", None) is not None or getattr(t, "fit", None) is not None
        for t in (extra.get("tests") or {}).values())

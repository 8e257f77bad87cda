"""A class graded on a real Dask cluster (a scheduler and two one-thread workers on 127.0.0.1, separate processes).

Every row must be the row a local run gives for the same file (``grade_entry``, what ``gradekit
check`` grades), byte for byte as JSON; a worker killed mid-run costs nothing; a worker of another
gradekit version refuses the client, and says why.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

IN_CI = os.environ.get("GRADEKIT_CI") == "1"
try:
    import distributed  # noqa: F401
except ImportError:  # the optional extra: skipped where it is not installed, never in CI
    if IN_CI:
        raise
    pytest.skip("distributed is not installed (pip install 'gradekit[cluster]')", allow_module_level=True)

from nbformat import v4, writes

from gradekit.course.batch import discover, grade_entry, grade_folder
from gradekit.course.executor import BatchJob
from gradekit.sandbox.process import Limits
from gradekit.spec.catalog import load_catalog

from .module_task1 import CORRECT
from .timing import call_budget

CAT = load_catalog()
ASSIGNMENT = "ece449-a2"
LIMITS = Limits(cpu_seconds=2, wall_seconds=call_budget("numpy"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A scheduler and workers, each its own process (and process group), stopped by pid."""

    def __init__(self, tmp: Path, workers: int = 2, env: dict[str, str] | None = None):
        self.tmp = tmp
        self.port = free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.procs: list[subprocess.Popen] = []
        self.env = {**os.environ, **(env or {})}
        self.scheduler = self._start("scheduler", [sys.executable, "-m", "distributed.cli.dask_scheduler",
                                                   "--host", "127.0.0.1", "--port", str(self.port),
                                                   "--no-dashboard"])
        self.workers = [self.add_worker() for _ in range(workers)]

    def _start(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
        log = open(self.tmp / f"{name}-{len(self.procs)}.log", "wb")
        p = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env or self.env,
                             start_new_session=True, cwd=self.tmp)
        self.procs.append(p)
        return p

    def add_worker(self, env: dict[str, str] | None = None) -> subprocess.Popen:
        return self._start("worker", [sys.executable, "-m", "distributed.cli.dask_worker", self.address,
                                      "--nthreads", "1", "--no-nanny", "--no-dashboard", "--host", "127.0.0.1",
                                      "--preload", "gradekit.course.cluster"], {**self.env, **(env or {})})

    def wait_for(self, n: int, timeout: float = 120) -> None:
        from distributed import Client

        with Client(self.address, timeout=60, set_as_default=False) as c:
            c.wait_for_workers(n, timeout=timeout)

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in sorted(self.tmp.glob("*.log")))

    def stop(self) -> None:
        for p in reversed(self.procs):  # by pid, the whole group: a worker's grading process goes with it
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait(30)


@pytest.fixture
def cluster(tmp_path):
    c = Cluster(tmp_path)
    try:
        c.wait_for(2)
        yield c
    finally:
        c.stop()


@pytest.fixture
def klass(tmp_path):
    """Answers files, module files (ECE 449 task1), a notebook, a refused link, and hostile files."""
    d = tmp_path / "subs"
    d.mkdir()
    (d / "ada.json").write_text(json.dumps({"p5": {"q": [0.5, 0.5]}}))
    (d / "bob.py").write_text("import numpy as np\nANSWERS = {'p5': {'q': np.ones(2) / 2}}\n")  # runs in the sandbox
    (d / "carl.py").write_text("while True:\n    pass\n")  # hangs: its CPU limit ends it
    (d / "dan.py").write_text("import os\nos._exit(3)\n")  # the child dies: a zero, never the worker
    (d / "task1_3180100111.py").write_text(CORRECT)  # a module file on its own
    (d / "eve").mkdir()  # a folder: an answers file and a module file
    (d / "eve" / "answers.json").write_text(json.dumps({"p5": {"q": [1, 0]}}))
    (d / "eve" / "task1.py").write_text(CORRECT.replace("np.maximum(X, 0)", "X", 1))
    (d / "fay").mkdir()  # a notebook
    nb = v4.new_notebook()
    nb.cells = [v4.new_code_cell("ANSWERS = {'p5': {'q': [0.25, 0.75]}}")]
    (d / "fay" / "hw.ipynb").write_text(writes(nb))
    (d / "gus").mkdir()  # a link to a classmate's file is refused, named, unread
    (d / "gus" / "answers.json").write_text("{}")
    os.symlink("../eve/task1.py", d / "gus" / "task1.py")
    return d


def local_rows(folder: Path) -> dict[str, str]:
    return {e.student: json.dumps(grade_entry(e, ASSIGNMENT, CAT, LIMITS)) for e in discover(folder)}


def executor(address: str, **kw):
    from gradekit.course.cluster import DaskExecutor

    return DaskExecutor(BatchJob(ASSIGNMENT, CAT, LIMITS, stall_seconds=120), address, **kw)


def test_a_mixed_class_on_two_workers_gives_the_local_rows(cluster, klass):
    with executor(cluster.address) as ex:
        res = grade_folder(klass, ASSIGNMENT, catalog=CAT, limits=LIMITS, progress=False, executor=ex)
        stats = ex.stats()
    got = {r["student"]: json.dumps(r) for r in res.rows}
    want = local_rows(klass)
    assert list(got) == list(want)
    for student in want:
        assert got[student] == want[student], student
    by = {r["student"]: r for r in res.rows}
    assert by["carl"]["score"] == 0 and by["dan"]["score"] == 0 and not by["dan"]["grader_error"]
    assert by["task1_3180100111"]["parts"]["task1:relu"] > 0 and by["eve"]["parts"]["task1:relu"] == 0
    assert by["gus"]["file"] == str(klass / "gus") and "is a symbolic link" in by["gus"]["error"]
    assert not any(r["grader_error"] for r in res.rows)
    # both workers graded, the counts add up to the class, and every worker is named by its address
    assert len(stats) == 2 and sum(s.graded for s in stats) == len(want) and all(s.worker.startswith("tcp://127.0.0.1:") for s in stats)


def answers_class(tmp_path: Path, n: int) -> Path:
    """``n`` answers files that compute in the sandbox (each a child importing numpy): tasks that take a while."""
    d = tmp_path / "many"
    d.mkdir()
    for k in range(n):
        (d / f"s{k:03d}.py").write_text(f"import numpy as np\nANSWERS = {{'p5': {{'q': np.array([{k % 3}, 0.5])}}}}\n")
    return d


def run_in_thread(ex, entries):
    """``ex.run`` on a thread; the rows handed to ``done``, each index's rows in a list (exactly one expected)."""
    import threading

    rows: dict[int, list] = {}
    errors: list[BaseException] = []

    def go():
        try:
            ex.run(list(enumerate(entries)), lambda i, row: rows.setdefault(i, []).append(row))
        except BaseException as e:  # the test thread asserts on it
            errors.append(e)

    t = threading.Thread(target=go)
    t.start()
    return t, rows, errors


def test_a_worker_killed_mid_run_costs_nothing(cluster, tmp_path):
    from distributed import Client

    folder = answers_class(tmp_path, 24)
    entries = discover(folder)
    with executor(cluster.address, answers_per_task=3) as ex, \
            Client(cluster.address, timeout=60, set_as_default=False) as watch:
        pids = watch.run(os.getpid)  # worker address -> its pid
        assert sorted(pids.values()) == sorted(w.pid for w in cluster.workers)
        t, rows, errors = run_in_thread(ex, entries)
        killed, deadline = None, time.monotonic() + 120
        while killed is None and time.monotonic() < deadline and t.is_alive():
            held = {w: ks for w, ks in watch.processing().items() if ks}
            if rows and held:  # some rows are in, and a worker holds a task: SIGKILL it, by pid
                addr = next(iter(held))
                os.kill(pids[addr], signal.SIGKILL)
                killed = addr
            time.sleep(0.05)
        t.join(300)
        assert killed is not None, "no worker was seen holding a task"
        assert not t.is_alive() and not errors, (errors, cluster.logs())
        stats = {s.worker: s.graded for s in ex.stats()}
    assert sorted(rows) == list(range(len(entries))) and all(len(v) == 1 for v in rows.values())
    want = local_rows(folder)
    for i, e in enumerate(entries):
        assert json.dumps(rows[i][0]) == want[e.student], e.student
    assert sum(stats.values()) == len(entries) and len(stats) == 2  # the survivor graded the killed worker's tasks


def test_a_grading_process_that_dies_twice_on_a_submission_is_a_grader_error_row(tmp_path):
    from gradekit.course.cluster import GradingProcess
    from gradekit.course.grading_process import header, pack, row_from_text

    # a grading process that dies on one student's file, as a grader bug would: the next is graded as usual
    argv = [sys.executable, "-c", "import os, sys; import gradekit.course.grading_process as g; real = g.grade_item; "
            "g.grade_item = lambda item, *a: os._exit(7) if item['student'] == 'ada' else real(item, *a); "
            "g.main(sys.argv)"]
    d = tmp_path / "two"
    d.mkdir()
    (d / "ada.json").write_text(json.dumps({"p5": {"q": [0.5, 0.5]}}))
    (d / "bob.json").write_text(json.dumps({"p5": {"q": [0.5, 0.5]}}))
    ada, bob = discover(d)
    head = {**header(CAT, ASSIGNMENT, LIMITS, False), "stall_seconds": 60}
    proc = GradingProcess(argv)
    try:
        row = row_from_text(proc.grade(head, pack(0, ada)))
        assert row["grader_error"] and row["score"] is None and row["file"] == str(ada.path)
        assert row["error"] == ("grader error: its grading process died (exit code 7), twice; "
                                "grade it again (gradekit check)")
        assert json.dumps(row_from_text(proc.grade(head, pack(1, bob)))) == json.dumps(
            grade_entry(bob, ASSIGNMENT, CAT, LIMITS))
    finally:
        proc.stop()


@pytest.mark.parametrize("field, says", [
    ("version", "this worker runs gradekit 0.1.0 (protocol 1), the client 9.9.9 (protocol 1): install the same"),
    ("catalog", "this worker's catalog differs from the client's for ece449-a2"),
])
def test_a_worker_refuses_a_client_of_another_version_or_catalog(cluster, tmp_path, field, says):
    from gradekit.course.cluster import ClusterRefused

    d = tmp_path / "one"
    d.mkdir()
    (d / "ada.json").write_text(json.dumps({"p5": {"q": [0.5, 0.5]}}))
    with executor(cluster.address) as ex:
        ex.head[field] = {"version": "9.9.9", "catalog": "0" * 64}[field]
        with pytest.raises(ClusterRefused) as err:
            ex.run(list(enumerate(discover(d))), lambda i, row: pytest.fail(f"a row came back: {row}"))
    assert says in str(err.value)


def test_weak_isolation_is_refused_unless_the_run_allows_it():
    import gradekit
    from gradekit.course.grading_process import _Jobs, _Refused, header

    weak = {"version": gradekit.__version__, "isolation": {"level": "weak", "line": "isolation: weak — no namespaces"}}
    with pytest.raises(_Refused, match=r"only weak isolation \(isolation: weak — no namespaces\)"):
        _Jobs(weak).get(header(CAT, ASSIGNMENT, LIMITS, allow_weak=False))
    catalog, limits = _Jobs(weak).get(header(CAT, ASSIGNMENT, LIMITS, allow_weak=True))
    assert limits == LIMITS and catalog.problems(ASSIGNMENT)


def test_a_lost_scheduler_ends_the_run_with_the_rows_done(cluster, tmp_path):
    folder = answers_class(tmp_path, 16)
    entries = discover(folder)
    with executor(cluster.address, answers_per_task=2, lost_after=5) as ex:
        t, rows, errors = run_in_thread(ex, entries)
        deadline = time.monotonic() + 120
        while not rows and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(cluster.scheduler.pid, signal.SIGKILL)
        t.join(120)
        assert not t.is_alive() and not errors
    assert sorted(rows) == list(range(len(entries))) and all(len(v) == 1 for v in rows.values())
    want = local_rows(folder)
    lost = [i for i, (row,) in rows.items() if row["grader_error"]]
    assert lost and len(lost) < len(entries)  # graded rows kept, the rest said so
    for i, (row,) in rows.items():
        if i in lost:
            assert row["error"] == "grader error: the Dask scheduler was lost before it was graded; grade it again"
        else:
            assert json.dumps(row) == want[entries[i].student]

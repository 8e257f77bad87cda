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

from gradekit.course.batch import discover, grade_entry, BatchOptions, grade_folder
from gradekit.course.executor import BatchJob
from gradekit.sandbox.process import Limits
from gradekit.catalog.catalog import load_catalog

from tests.module_task1 import CORRECT
from tests.timing import call_budget

CAT = load_catalog()
ASSIGNMENT = "ece449-a2"
LIMITS = Limits(cpu_seconds=2, wall_seconds=call_budget("numpy"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A scheduler and workers, each its own process (and process group), stopped by pid."""

    def __init__(self, tmp: Path, workers: int = 2, env: dict[str, str] | None = None, tls: Path | None = None):
        self.tmp = tmp
        self.port = free_port()
        self.address = f"{'tls' if tls else 'tcp'}://127.0.0.1:{self.port}"
        # tls: a folder with ca.pem, cert.pem, key.pem (one self-signed certificate for all, as a test's CA)
        self.tls = [] if tls is None else ["--tls-ca-file", str(tls / "ca.pem"), "--tls-cert", str(tls / "cert.pem"),
                                           "--tls-key", str(tls / "key.pem")]
        self.procs: list[subprocess.Popen] = []
        self.env = {**os.environ, **(env or {})}
        self.scheduler = self._start("scheduler", [sys.executable, "-m", "distributed.cli.dask_scheduler",
                                                   "--host", "127.0.0.1", "--port", str(self.port),
                                                   "--no-dashboard", *self.tls])
        self.workers = [self.add_worker() for _ in range(workers)]

    def _start(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
        log = open(self.tmp / f"{name}-{len(self.procs)}.log", "wb")
        p = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env or self.env,
                             start_new_session=True, cwd=self.tmp)
        self.procs.append(p)
        return p

    def add_worker(self, env: dict[str, str] | None = None, *args: str) -> subprocess.Popen:
        return self._start("worker", [sys.executable, "-m", "distributed.cli.dask_worker", self.address,
                                      "--nthreads", "1", "--no-nanny", "--no-dashboard", "--host", "127.0.0.1",
                                      "--preload", "gradekit.course.cluster", *self.tls, *args],
                           {**self.env, **(env or {})})

    def security(self):
        from distributed.security import Security

        if not self.tls:
            return None
        ca, cert, key = self.tls[1::2]
        return Security(tls_ca_file=ca, tls_client_cert=cert, tls_client_key=key, require_encryption=True)

    def wait_for(self, n: int, timeout: float = 120) -> None:
        from distributed import Client

        with Client(self.address, timeout=60, set_as_default=False, security=self.security()) as c:
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

    kw.setdefault("insecure", address.startswith("tcp://"))  # the tests' clusters on 127.0.0.1 (most without TLS)
    return DaskExecutor(BatchJob(ASSIGNMENT, CAT, LIMITS, stall_seconds=120), address, **kw)


def test_a_mixed_class_on_two_workers_gives_the_local_rows(cluster, klass):
    with executor(cluster.address) as ex:
        res = grade_folder(klass, ASSIGNMENT, BatchOptions(catalog=CAT, limits=LIMITS, progress=False, executor=ex))
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


def answers_class(tmp_path: Path, n: int, spin: float = 0.0) -> Path:
    """``n`` answers files that compute in the sandbox (each a child importing numpy): tasks that take a while;
    ``spin``: CPU seconds each file burns first, so a task is still held when a test looks (however loaded)."""
    d = tmp_path / "many"
    d.mkdir()
    burn = f"import time\nt0 = time.process_time()\nwhile time.process_time() - t0 < {spin}:\n    pass\n" if spin else ""
    for k in range(n):
        (d / f"s{k:03d}.py").write_text(f"{burn}import numpy as np\nANSWERS = {{'p5': {{'q': np.array([{k % 3}, 0.5])}}}}\n")
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

    folder = answers_class(tmp_path, 24, spin=0.25)
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
    # every row counted once, on the workers there were; the survivor graded what the killed one held
    survivor = next(a for a in pids if a != killed)
    assert sum(stats.values()) == len(entries) and set(stats) <= set(pids) and stats[survivor] > 0


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
    folder = answers_class(tmp_path, 16, spin=0.25)  # tasks still to grade when the scheduler goes
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


def small_class(tmp_path: Path) -> Path:
    d = tmp_path / "small"
    d.mkdir()
    (d / "ada.json").write_text(json.dumps({"p5": {"q": [0.5, 0.5]}}))
    (d / "bob.json").write_text(json.dumps({"p5": {"q": [1, 0], "W_new": [[1, 0], [0, 1]]}}))
    (d / "cy.py").write_text("import numpy as np\nANSWERS = {'p5': {'q': np.ones(2) / 2}}\n")
    return d


def outputs(folder: Path) -> dict[str, bytes]:
    """Every output file but the plot (matplotlib's PNG is not byte-stable run to run), by relative name."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.suffix != ".png"}


def cli(*args: str, env: dict[str, str] | None = None):
    from click.testing import CliRunner

    from gradekit.cli.commands import main

    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_cli_grade_on_the_cluster_writes_the_local_outputs_and_reports_workers(cluster, tmp_path):
    d = small_class(tmp_path)
    local = cli("grade", str(d), "-a", ASSIGNMENT, "-o", str(tmp_path / "local"), "-j", "1", "--time-limit", "3")
    assert local.exit_code == 0, local.output
    # the address from the environment, as a course's scripts set it
    r = cli("grade", str(d), "-a", ASSIGNMENT, "-o", str(tmp_path / "remote"), "--time-limit", "3", "--json",
            "--insecure-cluster", env={"GRADEKIT_SCHEDULER": cluster.address})
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)  # the warning is on stderr
    assert data["scheduler"] == cluster.address and data["students"] == 3 and data["grader_errors"] == 0
    assert sum(w["graded"] for w in data["workers"]) == 3 and all(w["seconds"] > 0 for w in data["workers"])
    remote, local = outputs(tmp_path / "remote"), outputs(tmp_path / "local")
    # the same but for the note a cluster without TLS leaves in grades.json (tests/course/test_cluster_security.py)
    remote_json, local_json = json.loads(remote.pop("grades.json")), json.loads(local.pop("grades.json"))
    assert remote_json.pop("notes")[0].startswith(f"graded on the cluster at {cluster.address} without TLS")
    local_json.pop("notes")
    assert remote == local and remote_json == local_json
    assert "grades.json" in outputs(tmp_path / "local") and "feedback/ada.md" in outputs(tmp_path / "local")


def test_cli_tls_options_go_with_a_tls_address(tmp_path):
    d = small_class(tmp_path)
    r = cli("grade", str(d), "-a", ASSIGNMENT, "--scheduler", "tcp://127.0.0.1:1", "--tls-ca", str(d / "ada.json"),
            "--tls-cert", str(d / "ada.json"), "--tls-key", str(d / "ada.json"))
    assert r.exit_code == 2 and "a tls:// address needs all of --tls-ca, --tls-cert and --tls-key" in r.output
    r = cli("grade", str(d), "-a", ASSIGNMENT, "--scheduler", "tls://127.0.0.1:1")
    assert r.exit_code == 2 and "needs all of --tls-ca" in r.output
    r = cli("grade", str(d), "-a", ASSIGNMENT, "--tls-ca", str(d / "ada.json"))
    assert r.exit_code == 2 and "need --scheduler tls://" in r.output


@pytest.fixture
def certificates(tmp_path):
    import shutil

    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make the test's certificate")
    tls = tmp_path / "tls"
    tls.mkdir()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(tls / "key.pem"),
                    "-out", str(tls / "cert.pem"), "-days", "2", "-subj", "/CN=gradekit-test",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    shutil.copy(tls / "cert.pem", tls / "ca.pem")
    return tls


def test_a_tls_cluster_grades_with_the_certificates_and_refuses_a_client_without(tmp_path, certificates):
    c = Cluster(tmp_path, workers=1, tls=certificates)
    try:
        c.wait_for(1)
        d = small_class(tmp_path)
        r = cli("grade", str(d), "-a", ASSIGNMENT, "-o", str(tmp_path / "out"), "--json", "--time-limit", "3",
                "--scheduler", c.address, "--tls-ca", str(certificates / "ca.pem"),
                "--tls-cert", str(certificates / "cert.pem"), "--tls-key", str(certificates / "key.pem"))
        assert r.exit_code == 0, r.output + c.logs()
        data = json.loads(r.output)
        assert data["students"] == 3 and data["grader_errors"] == 0
        assert [w["worker"].split(":")[0] for w in data["workers"]] == ["tls"]
        from gradekit.course.cluster import ClusterLost, DaskExecutor

        job = BatchJob(ASSIGNMENT, CAT, LIMITS, 60)
        with pytest.raises(ClusterLost, match="cannot reach the Dask scheduler at tls://"):  # no certificate
            DaskExecutor(job, c.address, connect_timeout=5)
        from distributed.security import Security

        other = tmp_path / "other"  # a certificate the cluster's CA did not sign
        other.mkdir()
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(other / "key.pem"),
                        "-out", str(other / "cert.pem"), "-days", "2", "-subj", "/CN=intruder"],
                       check=True, capture_output=True)
        stranger = Security(tls_ca_file=str(certificates / "ca.pem"), tls_client_cert=str(other / "cert.pem"),
                            tls_client_key=str(other / "key.pem"), require_encryption=True)
        with pytest.raises(ClusterLost, match="cannot reach the Dask scheduler"):
            DaskExecutor(job, c.address, stranger, connect_timeout=5)
    finally:
        c.stop()


def test_a_submission_that_trains_a_model_asks_for_a_gpu_worker(tmp_path):
    from distributed import Client

    c = Cluster(tmp_path, workers=1)  # one CPU worker, and one that offers a GPU
    c.add_worker(None, "--resources", "GPU=1")
    try:
        c.wait_for(2)
        d = tmp_path / "gpu"
        d.mkdir()
        for who in ("ada", "bob", "cy"):  # task3 trains LeNet; this one does not parse: graded quickly, still asks
            (d / who).mkdir()
            (d / who / "task3.py").write_text("def get_lenet(:\n")
        with Client(c.address, timeout=60, set_as_default=False) as watch:
            gpu = [a for a, w in watch.scheduler_info()["workers"].items() if w.get("resources", {}).get("GPU")]
        with executor(c.address) as ex:
            res = grade_folder(d, ASSIGNMENT, BatchOptions(catalog=CAT, limits=LIMITS, progress=False, executor=ex))
            stats = ex.stats()
        assert [(s.worker, s.graded) for s in stats] == [(gpu[0], 3)]
        want = local_rows(d)
        assert {r["student"]: json.dumps(r) for r in res.rows} == want
        assert "not graded" in json.dumps(want["ada"])
    finally:
        c.stop()


def kill_a_worker_holding(watch, pids: dict, thread) -> str:
    """SIGKILL, by pid, the first worker seen holding a task."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and thread.is_alive():
        held = [w for w, keys in watch.processing().items() if keys]
        if held:
            os.kill(pids[held[0]], signal.SIGKILL)
            return held[0]
        time.sleep(0.02)
    raise AssertionError("no worker was seen holding a task")


def test_a_task_whose_workers_die_is_split_then_a_grader_error_row(tmp_path):
    from distributed import Client

    # the scheduler gives up on a task at its first lost worker: what the executor does then is what is tested
    c = Cluster(tmp_path, env={"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "0"})
    try:
        c.wait_for(2)
        folder = answers_class(tmp_path, 6)
        entries = discover(folder)
        slow = tmp_path / "slow"  # a file that computes for a CPU second: its worker is killed while it holds it
        slow.mkdir()
        (slow / "zed.py").write_text("import time\nt = time.process_time()\nwhile time.process_time() - t < 1:\n"
                                     "    pass\nANSWERS = {}\n")
        with executor(c.address, answers_per_task=6, workers_after=5) as ex, \
                Client(c.address, timeout=60, set_as_default=False) as watch:
            pids = watch.run(os.getpid)
            # one task of six: its worker is killed, the task split, each file graded alone on the other worker
            t, rows, errors = run_in_thread(ex, entries)
            first = kill_a_worker_holding(watch, pids, t)
            t.join(300)
            assert not t.is_alive() and not errors, errors
            want = local_rows(folder)
            assert sorted(rows) == list(range(6)) and all(len(v) == 1 for v in rows.values())
            assert [json.dumps(rows[i][0]) for i in range(6)] == [want[e.student] for e in entries]
            # a task of one whose worker dies too: a grader-error row, and the run ends
            zed = discover(slow)
            t, rows, errors = run_in_thread(ex, zed)
            second = kill_a_worker_holding(watch, pids, t)
            t.join(120)
            assert not t.is_alive() and not errors and first != second
        (row,) = rows[0]
        assert row["grader_error"] and row["score"] is None and row["file"] == str(zed[0].path)
        assert row["error"] == "grader error: the Dask workers that held it died each time; grade it again (gradekit check)"

    finally:
        c.stop()


def test_a_cluster_left_without_workers_ends_the_run(cluster, tmp_path):
    folder = answers_class(tmp_path, 2)
    for w in cluster.workers:  # every worker gone before the batch: no row may wait for one forever
        os.kill(w.pid, signal.SIGKILL)
        w.wait(30)
    time.sleep(1)
    with executor(cluster.address, workers_after=3) as ex:
        t, rows, errors = run_in_thread(ex, discover(folder))
        t.join(120)
        assert not t.is_alive() and not errors
    assert sorted(rows) == [0, 1] and all(
        r["error"] == "grader error: no Dask worker was left for 3 s before it was graded; grade it again"
        for (r,) in rows.values())

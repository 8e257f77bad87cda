"""Throughput of a 2-worker Dask cluster on this machine against the local pool, on the same classes.

Issue 25's goals: at least 0.9 of the local pool's throughput on a module class, at least 0.8 on
1,000 answers files (25 to a task). The cluster is a scheduler and two one-thread workers on
127.0.0.1, each its own process (``dask worker --preload gradekit.course.cluster``), warmed with a
small batch first, as a course's cluster stays up between batches; the local pool is
``grade_folder(..., BatchOptions(jobs=2))``. A ratio is local wall time / cluster wall time (above 1: the cluster is faster).

Then a projection: a 1,000-student ECE 449 course on N workers, from the per-student worker time
measured on the module class (task1 files), and from the whole A2 submission's cost (four module
files, ``--a2-seconds``; issue 25 measured about 10 CPU-seconds a student on this machine).

    python benchmarks/cluster_speed.py [--answers 1000] [--modules 8] [--single]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from batch_speed import make_class  # noqa: E402  the same generated ece661-hw1 class

from gradekit.course.batch import BatchOptions, grade_folder  # noqa: E402
from gradekit.course.cluster import DaskExecutor  # noqa: E402
from gradekit.course.executor import BatchJob  # noqa: E402
from gradekit.sandbox.process import Limits  # noqa: E402
from gradekit.catalog.catalog import load_catalog  # noqa: E402


def start_cluster(tmp: Path, workers: int = 2) -> tuple[str, list[subprocess.Popen]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    log = open(tmp / "cluster.log", "wb")
    procs = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                               "--port", str(port), "--no-dashboard"], stdout=log, stderr=log, start_new_session=True)]
    for _ in range(workers):
        procs.append(subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
                                       "--no-nanny", "--no-dashboard", "--host", "127.0.0.1",
                                       "--preload", "gradekit.course.cluster"], stdout=log, stderr=log,
                                      start_new_session=True))
    from distributed import Client

    with Client(address, timeout=60, set_as_default=False) as c:
        c.wait_for_workers(workers, timeout=180)
    return address, procs


def module_class(folder: Path, n: int) -> None:
    from tests.module_task1 import CORRECT

    folder.mkdir()
    for i in range(n):
        (folder / f"s{i:03d}").mkdir()
        (folder / f"s{i:03d}" / "task1.py").write_text(CORRECT)


def timed(folder: Path, assignment: str, catalog, limits, executor=None) -> float:
    start = time.monotonic()
    res = grade_folder(folder, assignment, BatchOptions(jobs=2, limits=limits, catalog=catalog, progress=False, executor=executor))
    took = time.monotonic() - start
    faults = sum(1 for r in res.rows if r.get("grader_error"))
    if faults:
        raise SystemExit(f"{faults} grader errors in {folder.name}: the figures would mean nothing")
    return took


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--answers", type=int, default=1000)
    ap.add_argument("--modules", type=int, default=8)
    ap.add_argument("--single", action="store_true", help="also time the answers class at one file a task")
    ap.add_argument("--a2-seconds", type=float, default=10.0,
                    help="worker seconds a whole ECE 449 A2 submission costs (issue 25: ~10 on this machine)")
    args = ap.parse_args()
    catalog = load_catalog()
    limits = Limits()
    tmp = Path(tempfile.mkdtemp(prefix="gradekit-cluster-bench-"))
    print(f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC; {platform.machine()}, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}, load average {os.getloadavg()[0]:.1f}")
    address, procs = start_cluster(tmp)
    try:
        answers = tmp / "answers"
        answers.mkdir()
        make_class(answers, args.answers, catalog)
        modules = tmp / "modules"
        module_class(modules, args.modules)
        warm = tmp / "warm"
        module_class(warm, 2)
        for i in range(10):
            (warm / f"a{i}.py").write_text((answers / sorted(os.listdir(answers))[i]).read_text())

        def job(assignment: str) -> BatchJob:
            return BatchJob(assignment, catalog, limits, stall_seconds=limits.wall_seconds * 2 + 60)

        rows = []
        for name, folder, assignment, per_task in (
                ("module class (task1)", modules, "ece449-a2", 25),
                (f"{args.answers} answers files, 25 a task", answers, "ece661-hw1", 25),
                *([(f"{args.answers} answers files, 1 a task", answers, "ece661-hw1", 1)] if args.single else [])):
            with DaskExecutor(job(assignment), address, answers_per_task=per_task, insecure=True) as ex:
                timed(warm, assignment, catalog, limits, ex)
            local = timed(folder, assignment, catalog, limits)
            with DaskExecutor(job(assignment), address, answers_per_task=per_task, insecure=True) as ex:
                remote = timed(folder, assignment, catalog, limits, ex)
                stats = ex.stats()
            n = len(os.listdir(folder))
            per_student = sum(s.seconds for s in stats) / n
            rows.append((name, local, remote, per_student))
            print(f"{name}: local pool {local:.1f} s, cluster {remote:.1f} s, throughput ratio {local / remote:.2f} "
                  f"(workers: {', '.join(f'{s.graded} in {s.seconds:.1f} s' for s in stats)}; "
                  f"{per_student * 1000:.0f} ms a submission on a worker)")
        task1 = rows[0][3]
        print("projection, a 1,000-student ECE 449 course (worker time only; add ~8 ms a task of scheduling):")
        for label, seconds in ((f"task1 only ({task1:.2f} s a student, measured)", task1),
                               (f"a whole A2 submission ({args.a2_seconds:g} s a student)", args.a2_seconds)):
            cells = ", ".join(f"{n} workers {1000 * seconds / n / 60:.1f} min" for n in (2, 8, 32, 128))
            print(f"  {label}: {cells}")
        print(f"load average at the end {os.getloadavg()[0]:.1f}")
    finally:
        for p in reversed(procs):
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait(30)
        subprocess.run(["rm", "-rf", str(tmp)], check=False)


if __name__ == "__main__":
    main()

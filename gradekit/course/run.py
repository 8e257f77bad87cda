"""`gradekit grade` as the library runs it: one record of what was asked (``ClassRun``), one function that reads
the class, grades it and writes the outputs (``grade_class``). The CLI turns its flags into a ``ClassRun`` and
prints what comes back; a script does the same without the CLI.

>>> run = ClassRun(out=Path("grades"), jobs=2, roster=Path("roster.csv"))
>>> run.gradebook, run.attempt, run.cluster is None
('csv', 'latest', True)
>>> graded = grade_class(Path("submissions"), "ece661-hw1", run)   # doctest: +SKIP
"""

from __future__ import annotations

import math
import signal
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from gradekit.core.errors import GradekitError, GraderError

if TYPE_CHECKING:
    from gradekit.course.batch import BatchResult
    from gradekit.course.cluster import DaskExecutor
    from gradekit.sandbox.process import Limits

__all__ = ["ClassGraded", "ClassRun", "ClassStopped", "Cluster", "cluster_warnings", "grade_class",
           "tls_mismatch"]


@dataclass(frozen=True)
class Cluster:
    """Grading on a Dask cluster (``--scheduler``): its address, the TLS files (CA, certificate, key) that a
    ``tls://`` address needs, and what the instructor accepts beyond the default."""

    scheduler: str
    tls: tuple[Path, Path, Path] | None = None
    allow_weak_isolation: bool = False
    insecure: bool = False


@dataclass(frozen=True)
class ClassRun:
    """What a class's grading is asked: where the outputs go, how wide and how long, how the folder is read
    (roster, attempt), the term's inputs (overrides, due time, late policy, hand grades), and where it runs."""

    out: Path | None = None  # default: FOLDER/../grades
    jobs: int | None = None  # default: all cores
    time_limit: float | None = None  # default: 10 s, or the assignment's largest time_budget
    gradebook: str = "csv"
    lms_column: str | None = None
    roster: Path | None = None
    attempt: str = "latest"
    overrides: Path | None = None
    due: str | None = None
    late_policy: str | None = None
    manual: Path | None = None
    force: bool = False
    cluster: Cluster | None = None
    progress: bool = True


@dataclass
class ClassGraded:
    """A class graded: its rows, the output files written, the notes of the run, and where the outputs are."""

    result: BatchResult
    paths: dict[str, Path]
    out: Path
    notes: list[str] = field(default_factory=list)


class ClassStopped(KeyboardInterrupt):
    """Ctrl-C or SIGTERM stopped the run: ``graded`` holds the rows done, their outputs written (None when it
    stopped before grading began: nothing was written)."""

    def __init__(self, graded: ClassGraded | None):
        super().__init__("stopped" if graded is None else f"stopped at {len(graded.result.rows)}/"
                                                          f"{graded.result.submissions}")
        self.graded = graded


def tls_mismatch(scheduler: str) -> GradekitError:
    """A ``tls://`` address without all three TLS files, or TLS files with another address."""
    return GradekitError(f"--scheduler {scheduler}: a tls:// address needs all of --tls-ca, --tls-cert and "
                         "--tls-key, and they need a tls:// address")


def cluster_warnings(cluster: Cluster | None) -> list[str]:
    """The run's cluster checked before anything is read or written (an address without TLS is refused unless
    accepted), and the warning an accepted insecure one leaves."""
    from gradekit.course.cluster_security import insecure_refusal, secure_address

    if cluster is None:
        return []
    if cluster.scheduler.startswith("tls://") != (cluster.tls is not None):
        raise tls_mismatch(cluster.scheduler)
    if secure_address(cluster.scheduler):
        return []
    if not cluster.insecure:
        raise insecure_refusal(cluster.scheduler)
    return [f"graded on the cluster at {cluster.scheduler} without TLS (--insecure-cluster): anyone who could "
            "reach its scheduler could run code on its workers and change these grades"]


def grade_class(folder: Path, assignment: str, run: ClassRun = ClassRun()) -> ClassGraded:
    """Read the class in ``folder``, grade it as ``run`` asks and write its outputs (grades, feedback, gradebook).

    Bad input (a roster, hand grades, overrides, a late policy, the cluster's options) stops the run before any
    grading. Ctrl-C or SIGTERM raises ``ClassStopped`` with the outputs of the rows done written."""
    from gradekit.course.batch import BatchInterrupted, BatchOptions, default_time_limit, discover, grade_folder, \
        prepare_output, write_outputs
    from gradekit.course.cache import CACHE_FOLDER
    from gradekit.course.collect import ClassOptions
    from gradekit.course.lms import AttemptChoice
    from gradekit.course.manual import read_hand_grades
    from gradekit.course.roster import read_roster
    from gradekit.course.term import apply_term, read_term
    from gradekit.sandbox.confine import protect
    from gradekit.sandbox.process import Limits
    from gradekit.catalog.catalog import load_catalog

    notes = cluster_warnings(run.cluster)  # checked before all
    out = run.out or folder.resolve().parent / "grades"
    protect(out)  # a confined child must not read last run's grades there (checked at each launch)
    collect = ClassOptions(roster=read_roster(run.roster) if run.roster else None, attempts=AttemptChoice(run.attempt))
    students = [e.student for e in discover(folder, out, options=collect)]
    hand = read_hand_grades(run.manual, assignment, students, folder) if run.manual else None
    term = read_term(load_catalog(), assignment, students, out, hand=hand, overrides=run.overrides, due=run.due,
                     late_policy=run.late_policy)
    prepare_output(out)
    if run.cluster is None:  # here student code runs on this machine: the class is closed to it, or nothing runs
        from gradekit.course.classfolder import close_class

        notes += close_class(folder, out)
    time_limit = run.time_limit or default_time_limit(assignment)  # no spec's budget cut unless asked
    limits = Limits(wall_seconds=time_limit, cpu_seconds=max(1, math.ceil(time_limit)))
    executor = _executor(run.cluster, assignment, limits)
    term_was = signal.signal(signal.SIGTERM, signal.default_int_handler)  # a scheduler's or kill's stop: as Ctrl-C
    batch = BatchOptions(jobs=run.jobs, limits=limits, skip=out, cache=out / CACHE_FOLDER, force=run.force,
                         executor=executor, collect=collect, catalog=executor.job.catalog if executor else None,
                         progress=run.progress)
    try:
        result = grade_folder(folder, assignment, batch)
    except BatchInterrupted as stop:  # the rows done are kept: write what they make
        stop.result.notes[:0] = notes
        apply_term(stop.result, term)
        raise ClassStopped(ClassGraded(stop.result, write_outputs(stop.result, out, run.gradebook, run.lms_column),
                                       out, notes)) from None
    except KeyboardInterrupt:  # before any grading began
        raise ClassStopped(None) from None
    finally:
        signal.signal(signal.SIGTERM, term_was if term_was is not None else signal.SIG_DFL)
        if executor:
            executor.close()
    result.notes[:0] = notes
    apply_term(result, term)
    return ClassGraded(result, write_outputs(result, out, run.gradebook, run.lms_column), out, notes)


def _executor(cluster: Cluster | None, assignment: str, limits: Limits) -> DaskExecutor | None:
    """The Dask executor for a cluster run (None: the local pool); its options checked already."""
    if cluster is None:
        return None
    try:
        from distributed.security import Security

        from gradekit.course.cluster import DaskExecutor
    except ImportError as e:
        raise GraderError(f"--scheduler needs Dask's distributed ({e}): pip install 'gradekit[cluster]'") from None
    from gradekit.course.executor import BatchJob, default_stall_seconds
    from gradekit.catalog.catalog import load_catalog

    security = None
    if cluster.tls is not None:
        ca, cert, key = cluster.tls
        security = Security(tls_ca_file=str(ca), tls_client_cert=str(cert), tls_client_key=str(key),
                            require_encryption=True)
    job = BatchJob(assignment, load_catalog(), limits, stall_seconds=default_stall_seconds(limits))
    return DaskExecutor(job, cluster.scheduler, security, allow_weak=cluster.allow_weak_isolation,
                        insecure=cluster.insecure)

"""Grade a whole class: every submission of a folder, in parallel, into grades.csv / .json / report.png.

Layouts (``discover``): one answers file per student (``ada.py``, ``bob.json``:
the student id is the file's stem), one sub-folder per student (``ada/answers.py``),
or Gradescope's "Export Submissions" folder (``submission_123/`` folders and a
``submission_metadata.yml`` that maps each to its submitters: ``gradekit.course.export``;
the id is the SID, else the email, else the submission's id, never the name a student typed).

Each submission is graded in a worker *process* (``fork``, so workers inherit the
loaded catalog and its solved problems): the sandbox sets rlimits in a
``preexec_fn``, which must not run in a process with other threads. A submission
that crashes, hangs or cheats gets zero and its message. A worker that dies or
stalls costs only the submission it held (a grader error, graded again later),
and is replaced, so the batch always finishes and always writes its outputs.

>>> res = grade_folder("submissions/", "ece661-hw1", progress=False)   # doctest: +SKIP
>>> write_outputs(res, "out/")                                          # doctest: +SKIP
"""

from __future__ import annotations

import csv
import json
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gradekit.core.untrusted import spreadsheet_cell
from gradekit.course.export import METADATA, read_metadata
from gradekit.course.feedback import feedback_file_names, feedback_markdown, is_feedback_name
from gradekit.course.manual import MANUAL_FILE, holds_grades, template_text
from gradekit.grading.grade import nothing_to_grade, submitted_files
from gradekit.intake.submission import SUFFIXES


@dataclass(frozen=True)
class Entry:
    """One student's submission, a file or a folder; ``path`` is None when the folder held nothing to grade."""

    student: str  # the identity grades are filed under (a Gradescope export: SID, else email, else submission id)
    path: Path | None
    problem: str | None = None  # why there is no path
    name: str = ""  # the name a Gradescope export gives, for people to read; it decides nothing


@dataclass
class BatchResult:
    assignment: str
    columns: list[str]  # "q3.2:L" for every graded part, in catalog order
    max_score: float
    maxima: dict[str, float] = field(default_factory=dict)  # points of each column
    rows: list[dict[str, Any]] = field(default_factory=list)
    visibility: dict[str, str] = field(default_factory=dict)  # Gradescope visibility of each column ("visible" if absent)
    notes: list[str] = field(default_factory=list)  # for the instructor: what discover had to decide
    manual: dict[str, float] = field(default_factory=dict)  # points of each part graded by hand ("q1:1.1 why")
    manual_source: Path | None = None  # the hand-grades file merged in (gradekit.course.manual), if any
    removed_feedback: list[str] = field(default_factory=list)  # write_outputs: students whose stale feedback went
    kept_files: list[str] = field(default_factory=list)  # write_outputs: files in feedback/ gradekit did not write

    @property
    def graded(self) -> list[dict[str, Any]]:
        """The rows the grader could judge (a grader error has no score to count)."""
        return [r for r in self.rows if not r.get("grader_error")]

    @property
    def isolation(self) -> dict[str, Any] | None:
        """The weakest isolation any submission's code ran with, or None when no code ran."""
        seen = [r["report"]["isolation"] for r in self.rows if r.get("report") and r["report"].get("isolation")]
        return next((i for i in seen if i.get("level") != "strong"), seen[0] if seen else None)

    @property
    def unreadable(self) -> list[dict[str, Any]]:
        """The submissions that could not be read at all (an error and no part graded): listed apart, never
        counted as zeros in the statistics."""
        return [r for r in self.graded if r["error"] and not r["parts"]]

    @property
    def scored(self) -> list[dict[str, Any]]:
        """The rows the statistics count: judged by the grader, and read."""
        return [r for r in self.graded if not (r["error"] and not r["parts"])]

    def answered_columns(self) -> list[str]:
        """The columns of problems that some counted submission answered (any part of it not "missing"):
        a problem nobody submitted is not a part everyone missed."""
        answered = {prob["id"].split("/", 1)[-1] for r in self.scored if r.get("report")
                    for prob in r["report"]["problems"]
                    if any(part["verdict"] not in ("missing", "manual") for part in prob["parts"])}
        return [c for c in self.columns if c.split(":", 1)[0] in answered]

    def part_table(self) -> list[tuple[str, float, float, float]]:
        """(column, points, mean fraction of its points, share of students with full credit) per part,
        over the submissions that could be read."""
        rows = self.scored
        out = []
        for col in self.columns:
            points = self.maxima[col]
            got = [r["parts"].get(col, 0) for r in rows]
            mean = sum(got) / (len(got) * points) if got and points else 0.0
            full = sum(g >= points - 1e-9 for g in got) / len(got) if got else 0.0
            out.append((col, points, mean, full))
        return out

    def most_missed(self, n: int = 5) -> list[tuple[str, float]]:
        """Parts of answered problems most students did not get full credit on: (column, fraction of the
        submissions that could be read); unreadable submissions and unanswered problems are not counted."""
        rows = self.scored
        if not rows:
            return []
        answered = self.answered_columns()
        missed = Counter(c for r in rows for c in answered
                         if r["parts"].get(c, 0) < self.maxima[c] - 1e-9)
        return [(c, k / len(rows)) for c, k in missed.most_common(n)]

    def diagnoses(self, n: int = 5) -> list[tuple[str, str, int]]:
        """Mistakes most often diagnosed: (column, mistake id, students)."""
        count = Counter((c, d) for r in self.rows for c, d in r["diagnoses"])
        return [(c, d, k) for (c, d), k in count.most_common(n)]


# -- finding submissions ----------------------------------------------------------------


def discover(folder: str | Path, skip: Path | None = None, notes: list[str] | None = None) -> list[Entry]:
    """Every submission in ``folder``, sorted by student id (``skip``: an output folder inside it).

    Two submissions with the same id are both kept, each named by its file or folder, and ``notes``
    (when given) says so: the instructor decides whose is whose.
    """
    folder = Path(folder)
    submitters = read_metadata(folder)
    entries: list[Entry] = []
    for child in sorted(folder.iterdir()):
        if child.name.startswith((".", "__")) or child.name == METADATA or (skip and child.resolve() == skip.resolve()):
            continue
        if child.is_dir():  # a Gradescope export's submission folder: its answers file and module files
            who = submitters.get(child.name)
            student, name = (who.identity(child.name), who.name) if who else (child.name, "")
            # a link to a folder, or a folder of links, goes to grading too, which refuses it and says why
            tree = None if child.is_symlink() else submitted_files(child)
            has = tree is None or bool(tree.files or tree.refused)
            entries.append(Entry(student, child, name=name) if has else
                           Entry(student, None, f"{child.name}: {nothing_to_grade()}", name))
        elif child.suffix.lower() in SUFFIXES:
            entries.append(Entry(child.stem, child))
    seen = Counter(e.student for e in entries)
    for student in sorted(s for s, k in seen.items() if k > 1):
        where = ", ".join(e.path.name for e in entries if e.student == student and e.path)
        if notes is not None:
            notes.append(f"{seen[student]} submissions give the same student id {student!r} ({where}): "
                         "each is graded under its own name; decide whose is whose")
    entries = [Entry(f"{e.student} ({e.path.name})", e.path, e.problem, e.name) if seen[e.student] > 1 and e.path
               else e for e in entries]
    return sorted(entries, key=lambda e: e.student)


# -- grading ------------------------------------------------------------------------------

DEFAULT_TIME_LIMIT = 10.0  # seconds an answers .py may run in a batch, and each call when no spec asks more


def declared_budget(problems: list[Any]) -> float:
    """The largest ``time_budget`` a part of ``problems`` declares (0 when none does)."""
    return max((float(part.options.get("time_budget", 0)) for p in problems for part in p.parts), default=0.0)


def default_time_limit(assignment: str, catalog: Any = None) -> float:
    """A batch's time limit when none is given: DEFAULT_TIME_LIMIT, or the assignment's largest declared
    ``time_budget`` when that is more, so that no check is cut below its own budget by default."""
    from gradekit.spec.catalog import load_catalog

    return max(DEFAULT_TIME_LIMIT, declared_budget((catalog or load_catalog()).problems(assignment)))


def capped_budgets(problems: list[Any], seconds: float) -> list[str]:
    """A note per problem whose spec gives checks more time (``time_budget``) than each call gets here: the
    time limit caps every call into student code, and an instructor should know before points are lost."""
    notes = []
    for p in problems:
        asked = declared_budget([p])
        if asked > seconds:
            notes.append(f"{p.id}'s checks have time budgets up to {asked:g} s, but each call into student code "
                         f"gets at most {seconds:g} s here (--time-limit); give --time-limit {asked:g} to grade "
                         f"them on their own budgets")
    return notes


def _zero(entry: Entry, error: str | None) -> dict[str, Any]:
    """A row that scores nothing (every part missed), with the reason."""
    return {"student": entry.student, "name": entry.name, "file": str(entry.path) if entry.path else None, "score": 0,
            "error": error, "grader_error": False, "parts": {}, "diagnoses": [], "report": None}


def grade_entry(entry: Entry, assignment: str, catalog: Any, limits: Any = None) -> dict[str, Any]:
    """One row of the batch; never raises (a crash is a zero with its message)."""
    from gradekit.core.errors import GradekitError, GraderError
    from gradekit.grading.grade import grade
    from gradekit.core.records import tidy

    row = _zero(entry, entry.problem)
    if entry.path is None:
        return row
    try:
        rep = grade(entry.path, assignment=assignment, catalog=catalog, limits=limits, student=entry.student)
    except GraderError as e:  # the grader failed, not the student: no score, the cause for the instructor
        row.update(score=None, error=f"grader error: {e}", grader_error=True)
        return row
    except GradekitError as e:
        row["error"] = str(e)
        return row
    except Exception as e:  # a grader bug on one submission must not stop the class, nor cost it points
        row.update(score=None, error=f"grader error: {type(e).__name__}: {e}", grader_error=True)
        return row
    for prob in rep.problems:
        for part in prob.parts:
            if part.verdict == "manual":
                continue
            col = f"{prob.id}:{part.name}"
            row["parts"][col] = tidy(part.score)
            if part.diagnosis:
                row["diagnoses"].append((col, part.diagnosis))
    row["score"] = tidy(rep.score)
    row["report"] = rep.to_dict()
    if rep.refused:  # graded without the files it could not read: the row says which and why
        row["error"] = "; ".join(rep.refused)
    if rep.grader_errors:  # not judged whole: no total, the parts named for the instructor
        row.update(score=None, grader_error=True,
                   error=f"grader error on {', '.join(rep.grader_errors)}: grade again once fixed")
    return row


def _worker_loop(conn: Any, assignment: str, catalog: Any, limits: Any, scratch: str, beat: Any) -> None:
    """In a forked worker: grade each entry the parent sends, send its row back, until told to stop.

    Its temporary folders (the fork server's, module sessions' with a student's file) go under the batch's
    ``scratch`` folder, which the parent removes when the batch ends, whether this worker ended or was killed.
    ``beat`` (a shared double) gets the time of every call a module session begins or ends: a slow
    submission, call after call, is progress the supervisor can see, not a stall.
    """
    import tempfile

    from gradekit.code.session import on_progress
    from gradekit.sandbox.process import use_fork_server

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
            conn.send(grade_entry(entry, assignment, catalog, limits))
    finally:
        use_fork_server(False)  # the server ends and its folder goes (multiprocessing ends with os._exit)


class _Worker:
    """One forked worker process and the task it holds (index, start time), if any."""

    def __init__(self, ctx: Any, assignment: str, catalog: Any, limits: Any, scratch: str):
        self.conn, child = ctx.Pipe()
        self.beat = ctx.RawValue("d", 0.0)  # when the worker last began or ended a call into student code
        self.proc = ctx.Process(target=_worker_loop, args=(child, assignment, catalog, limits, scratch, self.beat),
                                daemon=True)
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

    def stop(self, kill: bool = False) -> None:
        if not kill:
            try:
                self.conn.send(None)
            except OSError:
                kill = True
        if kill:
            self.proc.kill()
        self.proc.join(5)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()
        self.conn.close()


def grade_folder(folder: str | Path, assignment: str, *, jobs: int | None = None, limits: Any = None,
                 catalog: Any = None, progress: bool = True, skip: Path | None = None,
                 stall_seconds: float | None = None) -> BatchResult:
    """Grade every submission under ``folder`` on ``jobs`` processes (all cores by default).

    Each worker holds one submission at a time. A worker that dies (however) or
    shows no progress for ``stall_seconds`` (default: twice the time limit plus a
    minute) costs that submission only: its row is a grader error, the worker is
    replaced, and every other row is graded as ``gradekit check`` would. Progress
    is every call into the student's code that returns: each call is bounded by its
    time limit and each check by its budget (``gradekit.code.session``), so a slow
    submission ends in its own time-outs, zero for the parts that ran out, and
    only a grader that hangs outside the student's code is a stall.
    """
    import multiprocessing
    import tempfile
    from multiprocessing.connection import wait

    from gradekit.course.manual import manual_columns
    from gradekit.output.gradescope import part_visibility
    from gradekit.spec.catalog import load_catalog
    from gradekit.sandbox.cputime import load_factor
    from gradekit.sandbox.process import Limits, rmtree

    catalog = catalog or load_catalog()
    limits = limits or Limits()
    problems = catalog.problems(assignment)
    for p in problems:  # solve once here; forked workers inherit the cache
        catalog.solve(p)
        catalog.mistakes(p)
    maxima = {f"{p.id}:{part.name}": part.points for p in problems for part in p.parts if part.kind != "manual"}
    shown = {f"{p.id}:{part.name}": part_visibility(catalog, p.assignment, p.id, part.name)
             for p in problems for part in p.parts}
    result = BatchResult(assignment, list(maxima), sum(p.max_score for p in problems), maxima, visibility=shown,
                         manual=manual_columns(problems))
    result.notes += capped_budgets(problems, limits.wall_seconds)
    entries = discover(folder, skip, result.notes)
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(entries) or 1))
    stall = stall_seconds or (limits.wall_seconds * 2 + 60)
    ctx = multiprocessing.get_context("fork")  # workers inherit the catalog, never pickled
    rows: dict[int, dict[str, Any]] = {}
    todo = list(range(len(entries)))[::-1]
    bar = _progress(progress, len(entries))
    # every worker's temporary folders, removed at the end even where a killed worker left a student's file
    scratch = tempfile.mkdtemp(prefix="gradekit-batch-")
    os.chmod(scratch, 0o711)  # entered, not listed, by a sandbox uid: each folder in it is 0700 and its child's
    workers = [_Worker(ctx, assignment, catalog, limits, scratch) for _ in range(jobs)]

    def lost(w: _Worker, why: str) -> _Worker:
        i, _ = w.task
        rows[i] = {**_zero(entries[i], None), "score": None, "grader_error": True,
                   "error": f"grader error: its worker {why}; grade it again (gradekit check)"}
        bar.advance()
        w.stop(kill=True)
        return _Worker(ctx, assignment, catalog, limits, scratch)

    try:
        while len(rows) < len(entries):
            for w in workers:
                if w.task is None and todo:
                    i = todo.pop()
                    w.give(i, entries[i])
            busy = [w for w in workers if w.task is not None]
            ready = wait([x for w in busy for x in (w.conn, w.proc.sentinel)], timeout=0.5)
            for k, w in enumerate(workers):
                if w.task is None:
                    continue
                if w.conn in ready:
                    try:
                        rows[w.task[0]] = w.conn.recv()
                        w.task = None
                        bar.advance()
                        continue
                    except (EOFError, OSError):
                        pass
                if w.conn in ready or w.proc.sentinel in ready:
                    w.proc.join(1)
                    workers[k] = lost(w, f"died (exit code {w.proc.exitcode})")
                elif w.idle_for() > stall * load_factor():  # a busy machine stretches the wall clock
                    workers[k] = lost(w, f"made no progress for {stall:g} s")
    finally:
        for w in workers:
            w.stop(kill=w.task is not None)
        bar.close()
        rmtree(scratch)
    result.rows = [rows[i] for i in range(len(entries))]
    return result


class _NoBar:
    def advance(self) -> None:
        pass

    def close(self) -> None:
        pass


class _Bar:
    def __init__(self, total: int):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self._p = Progress(TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        self._p.start()
        self._task = self._p.add_task("grading", total=total)

    def advance(self) -> None:
        self._p.advance(self._task)

    def close(self) -> None:
        self._p.stop()


def _progress(show: bool, total: int):
    return _Bar(total) if show else _NoBar()


# -- outputs ------------------------------------------------------------------------------


GRADEBOOKS = {  # --gradebook: the columns a course's gradebook imports (student id, total)
    "csv": ("student", "total"),
    "canvas": ("SIS User ID", "{assignment}"),
    "gradescope": ("SID", "Total Score"),
}


def prepare_output(out: str | Path) -> Path:
    """Make ``out`` (and its feedback/) ready for ``write_outputs``, before anything is graded; an output
    path that cannot be a folder (a file, a folder it cannot make) is the caller's bad input."""
    from gradekit.core.errors import GradekitError

    out = Path(out)
    for folder in (out, out / "feedback"):
        if folder.exists() and not folder.is_dir():
            raise GradekitError(f"{folder}: exists and is not a folder; choose another output folder with -o")
    try:
        (out / "feedback").mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise GradekitError(f"{out}: cannot be made the output folder ({e.strerror or e})") from None
    return out


def write_outputs(result: BatchResult, out: str | Path, gradebook: str = "csv") -> dict[str, Path]:
    """Everything a course uses, under ``out``; returns the paths.

    grades.csv (a column per part, those graded by hand blank until a TA's scores are merged),
    grades.json, parts.csv (per part: points, mean fraction of its points, share of students with full
    credit), gradebook.csv (the ``gradebook`` format's columns; the plain "csv" one adds the parts graded
    by hand), report.png (the grade histogram and each part's mean as a fraction of its points),
    feedback/STUDENT.md per student (what ``gradekit check`` prints of the parts students may see now,
    ready to send back), and manual.csv (the hand grades to fill in: ``gradekit.course.manual``).

    A feedback file of a student no longer in the batch is removed (``result.removed_feedback`` says
    whose); a file in feedback/ that gradekit did not write is left (``result.kept_files``). A manual.csv
    that holds hand grades this run did not merge is left as it is (a note says so).

    No CSV cell starts what a spreadsheet runs (``spreadsheet_cell``); a feedback file is
    named by the student's id, or, where that is no safe unique file name, by its slug and hash.

    A file that cannot be written there (a full disk, a folder made read-only mid-run) is the machine's
    fault: ``GraderError`` with the path, never a traceback.
    """
    from gradekit.core.errors import GraderError

    try:
        return _write_outputs(result, out, gradebook)
    except OSError as e:
        raise GraderError(f"writing the outputs to {out}: {e.filename or ''}: {e.strerror or e}") from None


def _write_outputs(result: BatchResult, out: str | Path, gradebook: str = "csv") -> dict[str, Path]:
    """``write_outputs`` itself; an OSError goes up to it."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"csv": out / "grades.csv", "json": out / "grades.json", "parts": out / "parts.csv",
             "gradebook": out / "gradebook.csv", "png": out / "report.png", "feedback": out / "feedback"}
    if gradebook not in GRADEBOOKS:
        raise ValueError(f"gradebook={gradebook!r}, but only {', '.join(GRADEBOOKS)} are known")
    manual_path = _manual_output(result, out)
    if manual_path is not None:
        paths["manual"] = manual_path
    rows = []
    for r in result.rows:
        hand = [r.get("manual", {}).get(c, "") for c in result.manual]  # blank: not graded by hand yet
        if r.get("grader_error"):  # no grade: blank cells, the cause in "error"
            rows.append([r["student"], "", *("" for _ in result.columns), *hand, r["error"]])
        else:
            rows.append([r["student"], r["score"], *(r["parts"].get(c, 0) for c in result.columns), *hand,
                         r["error"] or ""])
    _write_csv(paths["csv"], ["student", "total", *result.columns, *result.manual, "error"], rows)
    _write_csv(paths["parts"], ["part", "points", "mean fraction", "full credit"],
               [[col, f"{points:g}", f"{mean:.4f}", f"{full:.4f}"] for col, points, mean, full in result.part_table()])
    by_hand = list(result.manual) if gradebook == "csv" else []  # an LMS import takes its own two columns only
    _write_csv(paths["gradebook"], [c.format(assignment=result.assignment) for c in GRADEBOOKS[gradebook]] + by_hand,
               [[r["student"], "" if r["score"] is None else r["score"],
                 *(r.get("manual", {}).get(c, "") for c in by_hand)] for r in result.rows])
    data = {
        "assignment": result.assignment,
        "max_score": result.max_score,
        "most_missed": [{"part": c, "fraction": round(f, 4)} for c, f in result.most_missed(len(result.columns))],
        "diagnoses": [{"part": c, "mistake": d, "students": k} for c, d, k in result.diagnoses(50)],
        "isolation": result.isolation,
        "grader_errors": sum(1 for r in result.rows if r.get("grader_error")),
        "notes": list(result.notes),
        "manual_parts": dict(result.manual),
        "students": [{**{k: r.get(k) for k in ("student", "name", "file", "score", "error", "grader_error")},
                      "manual": {c: r.get("manual", {}).get(c) for c in result.manual}, "report": r.get("report")}
                     for r in result.rows],
    }
    paths["json"].write_text(json.dumps(data, indent=1) + "\n")
    _plot(result, paths["png"])
    paths["feedback"].mkdir(exist_ok=True)
    names = feedback_file_names([r["student"] for r in result.rows])
    for r in result.rows:
        target = paths["feedback"] / names[r["student"]]
        if target.is_symlink():  # written in place, never through a link someone left there
            target.unlink()
        target.write_text(feedback_markdown(r, result))
    result.removed_feedback, result.kept_files = remove_stale_feedback(paths["feedback"], set(names.values()),
                                                                       result.assignment)
    return paths


def _manual_output(result: BatchResult, out: Path) -> Path | None:
    """Write manual.csv (every student, hand grades merged or blank), unless the assignment has no part graded
    by hand, or the one there holds hand grades this run did not merge: a TA's work is never overwritten."""
    if not result.manual:
        return None
    path = out / MANUAL_FILE
    merged = result.manual_source is not None and path.exists() and result.manual_source.resolve() == path.resolve()
    if path.exists() and not merged and holds_grades(path):
        result.notes.append(f"kept {path}: it holds hand grades this run did not merge "
                            f"(merge them with --manual {path})")
        return None
    if path.is_symlink():
        path.unlink()
    path.write_text(template_text(result))
    return path


def remove_stale_feedback(folder: Path, written: set[str], assignment: str) -> tuple[list[str], list[str]]:
    """Remove the feedback files in ``folder`` that gradekit wrote for students not among ``written`` (a name
    of the shape ``feedback_file_names`` gives, whose first line is this assignment's feedback heading);
    return (whose feedback went, by file stem; the files left that gradekit did not write, by name)."""
    removed, kept = [], []
    heading = f"# {assignment}: feedback for ".encode()
    for path in sorted(folder.iterdir()):
        if path.name in written:
            continue
        if path.is_symlink() or not path.is_file() or not is_feedback_name(path.name) \
                or not _starts_with(path, heading):
            kept.append(path.name)
            continue
        path.unlink()
        removed.append(path.stem)
    return removed, kept


def _starts_with(path: Path, prefix: bytes) -> bool:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return False
    with os.fdopen(fd, "rb") as f:
        return f.read(len(prefix)) == prefix


def _write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> None:
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        for row in [header, *rows]:
            w.writerow([spreadsheet_cell(c) for c in row])


def _plot(result: BatchResult, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # no display on a grading server
    import matplotlib.pyplot as plt

    rows = result.scored
    totals = [r["score"] for r in rows]
    table = result.part_table()
    fig, (a, b) = plt.subplots(1, 2, figsize=(12, 4.5), gridspec_kw={"width_ratios": [1, 2]})
    a.hist(totals, bins=min(20, max(5, len(set(totals)))), range=(0, result.max_score or 1), color="#4477aa")
    a.set(title=f"{result.assignment}: totals (n = {len(totals)})", xlabel=f"score / {result.max_score:g}",
          ylabel="students")
    b.bar(range(len(table)), [mean for _, _, mean, _ in table], color="#66ccee")
    b.set_xticks(range(len(table)), [col for col, *_ in table], rotation=90, fontsize=6)
    b.set_ylim(0, 1)
    b.set(title="mean score per part, as a fraction of its points", ylabel="fraction of the part's points")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)

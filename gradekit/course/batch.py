"""Grade a whole class: every submission of a folder, in parallel, into grades.csv / .json / report.png.

Layouts (``discover``): one answers file per student (``ada.py``, ``bob.json``:
the student id is the file's stem), one sub-folder per student (``ada/answers.py``),
or Gradescope's "Export Submissions" folder (``submission_123/`` folders and a
``submission_metadata.yml`` that maps each to its submitters: ``gradekit.course.export``;
the id is the SID, else the email, else the submission's id, never the name a student typed).

Each submission is graded in an isolated grading process by an executor
(``gradekit.course.executor``): this machine's worker pool (``gradekit.course.pool``)
unless another is given. A submission that crashes, hangs or cheats gets zero and
its message. A worker that dies or stalls costs only the submission it held (a
grader error, graded again later), and is replaced, so the batch always finishes
and always writes its outputs. With a resume cache (``gradekit.course.cache``) each
row is kept as it arrives: a rerun grades only what changed, and a batch stopped by
Ctrl-C (``BatchInterrupted``) loses nothing it graded.

>>> res = grade_folder("submissions/", "ece661-hw1", BatchOptions(progress=False))   # doctest: +SKIP
>>> write_outputs(res, "out/")                                          # doctest: +SKIP
"""

from __future__ import annotations

import csv
import json
import os
import statistics
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gradekit.core.records import tidy
from gradekit.core.untrusted import spreadsheet_cell
from gradekit.core.vocab import Verdict
from gradekit.course.collect import UNPACKED_FOLDER, ClassOptions, collect
from gradekit.course.entry import Entry, grade_entry, graded_columns
from gradekit.course.export import METADATA, read_metadata
from gradekit.course.lms_export import LMS_GRADEBOOKS, lms_gradebook
from gradekit.course.feedback import feedback_file_names, feedback_markdown, is_feedback_name
from gradekit.course.manual import MANUAL_FILE, holds_unmerged, template_text
from gradekit.course.plot import write_report_png

if TYPE_CHECKING:
    from gradekit.course.executor import Executor, WorkerStats
    from gradekit.sandbox.limits import Limits
    from gradekit.catalog.catalog import Catalog


@dataclass
class BatchResult:
    assignment: str
    columns: list[str]  # "q3.2:L" for every graded part, in catalog order
    max_score: float
    maxima: dict[str, float] = field(default_factory=dict)  # points of each column
    rows: list[dict[str, Any]] = field(default_factory=list)
    visibility: dict[str, str] = field(default_factory=dict)  # Gradescope visibility of each column ("visible" if absent)
    notes: list[str] = field(default_factory=list)  # for the instructor: what discover had to decide
    submissions: int = 0  # found in the folder; ``rows`` holds fewer when the batch was stopped
    reused: int = 0  # rows kept from the last run (the resume cache), not graded again
    stopped: bool = False  # Ctrl-C: ``rows`` holds the submissions graded until then
    workers: list[WorkerStats] = field(default_factory=list)  # per worker: submissions graded, seconds
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

    @property
    def median(self) -> float | None:
        """The median total of the rows the statistics count (None when none): of an even class, the mean of
        its two middle totals."""
        totals = [r["score"] for r in self.scored]
        return tidy(statistics.median(totals)) if totals else None

    def answered_columns(self) -> list[str]:
        """The columns of problems that some counted submission answered (any part of it not "missing"):
        a problem nobody submitted is not a part everyone missed."""
        answered = {prob["id"].split("/", 1)[-1] for r in self.scored if r.get("report")
                    for prob in r["report"]["problems"]
                    if any(part["verdict"] not in (Verdict.MISSING, Verdict.MANUAL) for part in prob["parts"])}
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


def discover(folder: str | Path, skip: Path | None = None, notes: list[str] | None = None,
             options: ClassOptions | None = None) -> list[Entry]:
    """Every submission in ``folder``, sorted by student id (``skip``: an output folder inside it); every
    file handed in and not graded is in its entry's ``skipped``, with the reason (``gradekit.course.collect``:
    archives, LMS downloads, a roster; ``options.unpack_to`` defaults to ``skip``'s ``.gradekit-unpacked``).

    Two submissions with the same id are both kept, each named by its file or folder, and ``notes``
    (when given) says so: the instructor decides whose is whose.
    """
    folder = Path(folder)
    notes = notes if notes is not None else []
    options = options or ClassOptions()
    if options.unpack_to is None and skip is not None:
        options = replace(options, unpack_to=Path(skip) / UNPACKED_FOLDER)
    submitters = read_metadata(folder)
    children = [child for child in sorted(folder.iterdir())
                if not (child.name.startswith((".", "__")) or child.name == METADATA
                        or (skip and child.resolve() == Path(skip).resolve()))]
    entries = collect(folder, children, submitters, options, notes)
    seen = Counter(e.student for e in entries)
    for student in sorted(s for s, k in seen.items() if k > 1):
        where = ", ".join(e.path.name for e in entries if e.student == student and e.path)
        notes.append(f"{seen[student]} submissions give the same student id {student!r} ({where}): "
                     "each is graded under its own name; decide whose is whose")
    entries = [replace(e, student=f"{e.student} ({e.path.name})") if seen[e.student] > 1 and e.path
               else e for e in entries]
    return sorted(entries, key=lambda e: e.student)


# -- grading ------------------------------------------------------------------------------

DEFAULT_TIME_LIMIT = 10.0  # seconds an answers .py may run in a batch, and each call when no spec asks more


def declared_budget(problems: list[Any]) -> float:
    """The largest ``time_budget`` a part of ``problems`` declares (0 when none does)."""
    return max((float(part.options.get("time_budget", 0)) for p in problems for part in p.parts), default=0.0)


def default_time_limit(assignment: str, catalog: Catalog | None = None) -> float:
    """A batch's time limit when none is given: DEFAULT_TIME_LIMIT, or the assignment's largest declared
    ``time_budget`` when that is more, so that no check is cut below its own budget by default."""
    from gradekit.catalog.catalog import load_catalog

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


class BatchInterrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM) stopped the batch: ``result`` holds the rows graded until then (``result.stopped``)."""

    def __init__(self, result: BatchResult):
        super().__init__(f"stopped at {len(result.rows)}/{result.submissions}")
        self.result = result


@dataclass(frozen=True)
class BatchOptions:
    """How a class folder is graded (``grade_folder``): how wide, within which limits, on which executor, what
    is kept between runs, and how the folder is read."""

    jobs: int | None = None  # worker processes (default: all cores)
    limits: Limits | None = None  # each call into student code (default: Limits())
    catalog: Catalog | None = None  # default: load_catalog()
    progress: bool = True  # a progress bar on the terminal
    skip: Path | None = None  # a folder inside the class folder that is not a submission (the outputs)
    stall_seconds: float | None = None  # default: twice the time limit plus a minute
    executor: Executor | None = None  # default: a LocalPool of ``jobs`` workers on this machine
    cache: str | Path | None = None  # OUT/.gradekit-cache: rows kept as they arrive, reused on a rerun
    force: bool = False  # grade every submission again, cached or not
    collect: ClassOptions | None = None  # a roster, which attempt counts, where archives are unpacked


def grade_folder(folder: str | Path, assignment: str, options: BatchOptions = BatchOptions()) -> BatchResult:
    """Grade every submission under ``folder`` on ``options.jobs`` processes (all cores by default).

    Each worker holds one submission at a time. A worker that dies (however) or
    shows no progress for ``stall_seconds`` (default: twice the time limit plus a
    minute) costs that submission only: its row is a grader error, the worker is
    replaced, and every other row is graded as ``gradekit check`` would. Progress
    is every call into the student's code that returns: each call is bounded by its
    time limit and each check by its budget (``gradekit.code.session``), so a slow
    submission ends in its own time-outs, zero for the parts that ran out, and
    only a grader that hangs outside the student's code is a stall.

    ``options.executor`` says where the submissions are graded (``gradekit.course.executor``;
    default: a ``LocalPool`` of ``jobs`` workers on this machine, closed at the end).
    ``options.cache``: a folder (``OUT/.gradekit-cache``) where each row is kept as it arrives
    (``gradekit.course.cache``); a submission whose row is there, for the same files,
    specs, limits and gradekit, is not graded again (``force``: every one is), and
    ``result.reused`` counts those. Ctrl-C (``KeyboardInterrupt``) stops the workers
    and raises ``BatchInterrupted``, whose ``result`` holds the rows done.

    ``options.collect``: how the folder is read (a roster, which attempt counts, where archives are unpacked:
    ``gradekit.course.collect``); each row says what was handed in and not graded (``skipped``), and the
    roster's name, e-mail and section.
    """
    from gradekit.course.manual import manual_columns
    from gradekit.output.gradescope import part_visibility
    from gradekit.catalog.catalog import load_catalog
    from gradekit.sandbox.process import Limits

    jobs, stall_seconds, executor, cache, force = (options.jobs, options.stall_seconds, options.executor,
                                                   options.cache, options.force)
    catalog = options.catalog or load_catalog()
    limits = options.limits or Limits()
    problems = catalog.problems(assignment)
    for p in problems:  # solve once here; forked workers inherit the cache
        catalog.solve(p)
        catalog.mistakes(p)
    maxima = graded_columns(problems)
    shown = {f"{p.id}:{part.name}": part_visibility(catalog, p.assignment, p.id, part.name)
             for p in problems for part in p.parts}
    result = BatchResult(assignment, list(maxima), sum(p.max_score for p in problems), maxima, visibility=shown,
                         manual=manual_columns(problems))
    result.notes += capped_budgets(problems, limits.wall_seconds)
    entries = discover(folder, options.skip, result.notes, options.collect)
    result.submissions = len(entries)
    kept = None
    if cache is not None:
        from gradekit.course.cache import ResultCache, batch_digest

        kept = ResultCache(Path(cache), batch_digest(catalog, assignment, limits), maxima, result.max_score)
    rows: dict[int, dict[str, Any]] = {}
    for i, entry in enumerate(entries):
        row = kept.get(entry) if kept is not None and not force else None
        if row is not None:
            rows[i] = row
    result.reused = len(rows)
    work = [(i, e) for i, e in enumerate(entries) if i not in rows]
    bar = _progress(options.progress, len(entries), len(rows))

    unsaved: list[str] = []

    def done(i: int, row: dict[str, Any]) -> None:
        rows[i] = row
        if kept is not None and not unsaved:
            try:
                kept.put(entries[i], row)  # now, not at the end: a batch stopped later keeps it
            except OSError as e:  # a full disk costs the resume, not the batch: its rows stand
                unsaved.append(f"the resume cache {kept.folder} could not be written ({e.strerror or e}): "
                               "a rerun grades every submission again")
        bar.advance()

    pool = executor
    if pool is None and work:
        from gradekit.course.executor import BatchJob, default_stall_seconds
        from gradekit.course.pool import LocalPool

        job = BatchJob(assignment, catalog, limits, stall_seconds or default_stall_seconds(limits))
        # grade_entry as this module has it now (a test may patch it; forked workers inherit the patch)
        pool = LocalPool(job, min(jobs or os.cpu_count() or 1, len(work)), grade=grade_entry)
    try:
        if work and pool is not None:  # work: the caller's executor, or the pool made above
            pool.run(work, done)
    except KeyboardInterrupt:
        result.stopped = True
    finally:
        if pool is not None:
            if executor is None:
                pool.close()
            result.workers = pool.stats()
        bar.close()
    result.rows = [accounted(rows[i], entries[i]) for i in sorted(rows)]
    result.notes += unsaved
    if result.stopped:
        result.notes.append(f"stopped at {len(rows)}/{len(entries)}: outputs hold the {len(rows)} graded; "
                            "run again to finish")
        raise BatchInterrupted(result)
    if kept is not None and not unsaved:
        kept.keep_only(entries)  # entries of students gone or files changed: the cache holds this class only
    return result


def accounted(row: dict[str, Any], entry: Entry) -> dict[str, Any]:
    """``row`` with what its entry knows beyond grading, where it knows something: the roster's e-mail, section
    and login, the files handed in and not graded (each with why), when it was submitted, what it was submitted
    as. A row of a plain class folder stays as its executor gave it."""
    known = {"email": entry.email, "section": entry.section, "login": entry.login,
             "skipped": [{"file": f, "reason": why} for f, why in entry.skipped], "submitted": entry.submitted,
             "late_mark": entry.late_mark, "lms_key": entry.lms_key, "source": entry.source}
    return {**row, **({"name": entry.name} if entry.name else {}), **{k: v for k, v in known.items() if v}}


class _NoBar:
    def advance(self) -> None:
        pass

    def close(self) -> None:
        pass


class _Bar:
    def __init__(self, total: int, completed: int = 0):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self._p = Progress(TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        self._p.start()
        self._task = self._p.add_task("grading", total=total, completed=completed)

    def advance(self) -> None:
        self._p.advance(self._task)

    def close(self) -> None:
        self._p.stop()


def _progress(show: bool, total: int, completed: int = 0):
    """The terminal's bar (``completed``: rows kept from the last run), advanced by each row that arrives."""
    return _Bar(total, completed) if show else _NoBar()


# -- outputs ------------------------------------------------------------------------------


GRADEBOOKS = {  # --gradebook: the columns a course's gradebook imports (student id, total)
    "csv": ("student", "total"),
    "canvas": (),  # gradekit.course.lms_export: Canvas's own columns and its Points Possible row
    "blackboard": (),  # gradekit.course.lms_export: Blackboard's grade centre columns
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


def write_outputs(result: BatchResult, out: str | Path, gradebook: str = "csv",
                  lms_column: str | None = None) -> dict[str, Path]:
    """Everything a course uses, under ``out``; returns the paths.

    grades.csv (a column per part, those graded by hand blank until a TA's scores are merged),
    grades.json, parts.csv (per part: points, mean fraction of its points, share of students with full
    credit), gradebook.csv (the ``gradebook`` format's columns; the plain "csv" one adds the parts graded
    by hand), report.png (the grade histogram and each part's mean as a fraction of its points),
    ``lms_column``: the assignment's column as the LMS names it (``gradekit.course.lms_export``);
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
        return _write_outputs(result, out, gradebook, lms_column)
    except OSError as e:
        raise GraderError(f"writing the outputs to {out}: {e.filename or ''}: {e.strerror or e}") from None


def _write_outputs(result: BatchResult, out: str | Path, gradebook: str = "csv",
                   lms_column: str | None = None) -> dict[str, Path]:
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
    extra = term_columns(result)
    for r in result.rows:
        hand = [r.get("manual", {}).get(c, "") for c in result.manual]  # blank: not graded by hand yet
        if r.get("grader_error"):  # no grade: blank cells, the cause in "error"
            rows.append([r["student"], "", *("" for _ in result.columns), *hand, r["error"],
                         *term_cells(r, extra)])
        else:
            rows.append([r["student"], r["score"], *(r["parts"].get(c, 0) for c in result.columns), *hand,
                         r["error"] or "", *term_cells(r, extra)])
    _write_csv(paths["csv"], ["student", "total", *result.columns, *result.manual, "error", *extra], rows)
    _write_csv(paths["parts"], ["part", "points", "mean fraction", "full credit"],
               [[col, f"{points:g}", f"{mean:.4f}", f"{full:.4f}"] for col, points, mean, full in result.part_table()])
    by_hand = list(result.manual) if gradebook == "csv" else []  # an LMS import takes its own two columns only
    if gradebook in LMS_GRADEBOOKS:
        _write_csv(paths["gradebook"], *lms_gradebook(result, gradebook, lms_column))
    else:
        _write_csv(paths["gradebook"], [c.format(assignment=result.assignment) for c in GRADEBOOKS[gradebook]]
                   + by_hand, [[r["student"], "" if r["score"] is None else r["score"],
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
                      **{k: r.get(k) for k in TERM_KEYS if r.get(k)},
                      "manual": {c: r.get("manual", {}).get(c) for c in result.manual}, "report": r.get("report")}
                     for r in result.rows],
    }
    paths["json"].write_text(json.dumps(data, indent=1) + "\n")
    write_report_png(result, paths["png"])
    paths["feedback"].mkdir(exist_ok=True)
    names = feedback_file_names([r["student"] for r in result.rows])
    for r in result.rows:
        target = paths["feedback"] / names[r["student"]]
        if target.is_symlink():  # written in place, never through a link someone left there
            target.unlink()
        target.write_text(feedback_markdown(r, result))
    if not result.stopped:  # a stopped batch lacks the rows it did not reach: their feedback is not stale
        result.removed_feedback, result.kept_files = remove_stale_feedback(paths["feedback"], set(names.values()),
                                                                           result.assignment)
    return paths


# what a course's term adds to a row, in grades.json where a row has it (gradekit.course.collect, overrides, late)
TERM_KEYS = ("email", "section", "login", "source", "skipped", "submitted", "late_mark", "late", "overrides")


def term_columns(result: BatchResult) -> list[str]:
    """grades.csv's columns after "error" that this batch needs: the roster's, files not graded, overrides, late."""
    has = {k for r in result.rows for k in TERM_KEYS if r.get(k)}
    return [c for c, keys in (("name", {"email", "section"}), ("email", {"email"}), ("section", {"section"}),
                              ("not graded", {"skipped"}), ("overrides", {"overrides"}),
                              ("late penalty", {"late"})) if keys & has]


def term_cells(row: dict[str, Any], columns: list[str]) -> list[Any]:
    cells = {
        "name": row.get("name") or "",
        "email": row.get("email") or "",
        "section": row.get("section") or "",
        "not graded": "; ".join(f"{s['file']}: {s['reason']}" for s in row.get("skipped") or []),
        "overrides": "; ".join(f"{o['part']} {o['was']:g} -> {o['points']:g}: {o['reason']}"
                               for o in row.get("overrides") or []),
        "late penalty": _late_cell(row.get("late")),
    }
    return [cells[c] for c in columns]


def _late_cell(late: dict[str, Any] | None) -> str:
    if not late:
        return ""
    if late["days"] is None:
        return "marked late (no time given)"
    days = late["days"]
    return f"{days} day{'s' if days != 1 else ''} late: -{late['penalty']:g}" if days else ""  # no cell starts with -


def _manual_output(result: BatchResult, out: Path) -> Path | None:
    """Write manual.csv (every student, hand grades merged or blank), unless the assignment has no part graded
    by hand, or the one there holds hand grades this run did not merge: a TA's work is never overwritten."""
    if not result.manual:
        return None
    path = out / MANUAL_FILE
    # compared by content, not by which file --manual named: the hand.csv a TA merges again leaves its grades
    # here too, and a batch stopped by Ctrl-C merges none of the students it did not reach
    merged = {r["student"]: r.get("manual", {}) for r in result.rows}
    if path.exists() and holds_unmerged(path, merged):
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

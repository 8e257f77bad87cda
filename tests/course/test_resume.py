"""Resumable batches: each row kept as it finishes, a rerun grading only what changed, Ctrl-C that loses nothing.

The resume cache (``gradekit.course.cache``) files each row under a hash of the submission's files, the
specs, the limits and gradekit itself; what it reads back it checks like any untrusted file. The outputs of
a resumed run are byte-for-byte those of a fresh run of the same class.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import gradekit.course.batch as batch
from gradekit.cli.commands import main
from gradekit.course.batch import BatchOptions, grade_folder, write_outputs
from gradekit.course.cache import CACHE_FOLDER, MAX_ENTRY_BYTES, ResultCache, batch_digest, submission_digest
from gradekit.course.entry import Entry
from gradekit.course.executor import BatchJob, WorkerStats
from gradekit.course.pool import LocalPool
from gradekit.sandbox.process import Limits
from gradekit.catalog.catalog import load_catalog

from tests.module_task1 import CORRECT

CAT = load_catalog()
FAST = Limits(wall_seconds=5, cpu_seconds=5)
A = "ece661-hw1"


pytestmark = pytest.mark.usefixtures("own_tempdir")  # conftest: batches' temp folders in the test's own


@pytest.fixture
def klass(tmp_path):
    """Six quick submissions: data files (no code runs), .py files (run in the sandbox), a folder, a fault."""
    d = tmp_path / "subs"
    d.mkdir()
    (d / "ada.json").write_text(json.dumps({"q3.2": {"L": 116}}))
    (d / "bob.py").write_text("ANSWERS = {'q3.2': {'L': 115}}\n")
    (d / "cy.toml").write_text("[\"q3.2\"]\nL = 116.0\n")
    (d / "dee.py").write_text("import numpy as np\nANSWERS = {'q3.2': {'L': int(np.int64(116))}}\n")
    (d / "eve").mkdir()
    (d / "eve" / "answers.json").write_text(json.dumps({"q3.2": {"L": 116}}))
    (d / "fay.json").write_text("{not json")  # a submission fault: a zero with its reason, kept like any row
    return d


def outputs(folder: Path) -> dict[str, bytes]:
    """Every output file by its path under ``folder``, the cache left out."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and CACHE_FOLDER not in p.parts}


def entries_in(cache: Path) -> list[Path]:
    return sorted(cache.glob("*.json")) if cache.is_dir() else []


class Counting(LocalPool):
    """The local pool, counting which entries it was asked to grade."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.asked: list[str] = []

    def run(self, work, done):
        self.asked += [e.student for _, e in work]
        super().run(work, done)


def pool(jobs: int = 2) -> Counting:
    return Counting(BatchJob(A, CAT, FAST, 60.0), jobs)


def test_a_rerun_grades_only_what_changed_and_writes_what_a_fresh_run_writes(klass, tmp_path):
    cache = tmp_path / "out" / CACHE_FOLDER
    first = pool()
    res = grade_folder(klass, A, BatchOptions(limits=FAST, progress=False, executor=first, cache=cache))
    first.close()
    assert sorted(first.asked) == ["ada", "bob", "cy", "dee", "eve", "fay"] and res.reused == 0
    assert len(entries_in(cache)) == 6  # every row, the submission fault's too

    (klass / "bob.py").write_text("ANSWERS = {'q3.2': {'L': 116}}\n")  # bob fixes his answer
    (klass / "eve" / "answers.json").write_text(json.dumps({"q3.2": {"L": 114}}))  # eve changes hers, in her folder
    again = pool()
    res = grade_folder(klass, A, BatchOptions(limits=FAST, progress=False, executor=again, cache=cache))
    again.close()
    assert sorted(again.asked) == ["bob", "eve"] and res.reused == 4
    by = {r["student"]: r for r in res.rows}
    assert by["bob"]["parts"]["q3.2:L"] == 1 and by["eve"]["parts"]["q3.2:L"] == 0 and by["ada"]["score"] == 1
    assert len(entries_in(cache)) == 6  # bob's and eve's old rows went with their old files
    resumed = write_outputs(res, tmp_path / "out")

    fresh = grade_folder(klass, A, BatchOptions(limits=FAST, progress=False, jobs=2))
    write_outputs(fresh, tmp_path / "fresh")
    assert outputs(tmp_path / "out") == outputs(tmp_path / "fresh") and len(outputs(tmp_path / "fresh")) == 12  # manual.csv among them
    assert json.dumps(res.rows) == json.dumps(fresh.rows)
    assert resumed["json"].read_bytes() == (tmp_path / "fresh" / "grades.json").read_bytes()

    # an unchanged class: nothing to grade, no worker started
    idle = pool()
    res = grade_folder(klass, A, BatchOptions(limits=FAST, progress=False, executor=idle, cache=cache))
    assert idle.asked == [] and res.reused == 6 and idle.stats() == []
    # --force: every submission again
    forced = pool()
    res = grade_folder(klass, A, BatchOptions(limits=FAST, progress=False, executor=forced, cache=cache, force=True))
    forced.close()
    assert sorted(forced.asked) == ["ada", "bob", "cy", "dee", "eve", "fay"] and res.reused == 0
    assert sum(s.graded for s in res.workers) == 6 and all(isinstance(s, WorkerStats) for s in res.workers)


def test_what_decides_a_grade_decides_its_key(klass, tmp_path):
    """Other limits, another assignment, other gradekit settings: every row is graded again."""
    base = batch_digest(CAT, A, FAST)
    assert batch_digest(CAT, A, FAST) == base
    assert batch_digest(CAT, A, Limits(wall_seconds=6, cpu_seconds=5)) != base
    assert batch_digest(CAT, "ece449-a2", FAST) != base
    os.environ["GRADEKIT_REQUIRE_ISOLATION"] = "1"
    try:
        assert batch_digest(CAT, A, FAST) != base
    finally:
        del os.environ["GRADEKIT_REQUIRE_ISOLATION"]
    # the same bytes under another student id (a variant is drawn per student) is another key
    cache = ResultCache(tmp_path / "c", base, {}, 5)
    ada = Entry("ada", klass / "ada.json")
    assert cache.key(ada) != cache.key(Entry("ada2", klass / "ada.json")) and len(cache.key(ada)) == 64


def test_a_submissions_digest_never_follows_a_link(tmp_path):
    outside = tmp_path / "reference.py"
    outside.write_text("W = 1\n")
    sub = tmp_path / "zed"
    sub.mkdir()
    (sub / "answers.json").write_text("{}")
    (sub / "task1.py").symlink_to(outside)
    before = submission_digest(sub)
    outside.write_text("W = 2\n")  # the link's target changes, the submission does not: not read
    assert submission_digest(sub) == before
    (sub / "task1.py").unlink()
    (sub / "task1.py").symlink_to(tmp_path / "elsewhere.py")  # the link itself changed: its refusal says so
    assert submission_digest(sub) != before
    (sub / "task1.py").unlink()
    assert submission_digest(sub) != before
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    assert len(submission_digest(fifo)) == 64  # refused unopened: no read that blocks


def test_a_folder_past_what_grading_reads_is_not_read_further(tmp_path, monkeypatch):
    """Grading refuses a folder whose files hold more than MAX_FOLDER_BYTES, with one message: the digest
    stops there too, so a folder of huge files is not read whole by the parent."""
    import gradekit.course.cache as cache

    monkeypatch.setattr(cache, "MAX_FOLDER_BYTES", 1000)
    a, b = tmp_path / "a", tmp_path / "b"
    for d, tail in ((a, "1"), (b, "2")):
        d.mkdir()
        (d / "a.json").write_text("x" * 1001)  # past the bound already
        (d / "b.json").write_text(tail)  # never read: grading would not get here either
    assert submission_digest(a) == submission_digest(b)
    (b / "a.json").write_text("y" * 1001)
    assert submission_digest(a) != submission_digest(b)


def test_a_grader_error_is_never_kept(klass, tmp_path, monkeypatch):
    real = batch.grade_entry

    def faulty(entry, *a, **kw):
        if entry.student == "cy":
            os._exit(3)  # its worker dies: a grader-error row
        return real(entry, *a, **kw)

    cache = tmp_path / "out" / CACHE_FOLDER
    monkeypatch.setattr(batch, "grade_entry", faulty)  # forked workers inherit the patch
    res = grade_folder(klass, A, BatchOptions(limits=FAST, progress=False, jobs=2, cache=cache))
    assert [r["student"] for r in res.rows if r["grader_error"]] == ["cy"]
    assert len(entries_in(cache)) == 5
    monkeypatch.setattr(batch, "grade_entry", real)
    again = pool()
    res = grade_folder(klass, A, BatchOptions(limits=FAST, progress=False, executor=again, cache=cache))
    again.close()
    assert again.asked == ["cy"] and {r["student"]: r for r in res.rows}["cy"]["score"] == 1


def test_a_corrupted_or_forged_entry_is_ignored_and_graded_again(klass, tmp_path):
    cache = tmp_path / "out" / CACHE_FOLDER
    fresh = grade_folder(klass, A, BatchOptions(limits=FAST, progress=False, jobs=2, cache=cache))
    write_outputs(fresh, tmp_path / "fresh")
    kept = ResultCache(cache, batch_digest(CAT, A, FAST), fresh.maxima, fresh.max_score)
    path = {e.student: cache / f"{kept.key(e)}.json" for e in batch.discover(klass)}
    entry = json.loads(path["ada"].read_text())

    def forge(who: str, **row) -> None:
        """ada's row, changed, in the place of ``who``'s entry."""
        path[who].write_text(json.dumps({**entry, "key": path[who].stem,
                                         "row": {**entry["row"], "student": who, "file": str(klass / f"{who}.py"),
                                                 **row}}))

    path["ada"].write_text(path["ada"].read_text()[:40])  # cut short (a disk that filled)
    forge("bob", score=112)  # more than the assignment's points
    forge("cy", student="bob", file=str(klass / "bob.py"))  # another student's row
    forge("dee", parts={"q3.2:L": 7})  # a part above its points
    forge("eve", parts={"nope:X": 0})  # a part the assignment does not have
    forge("fay", grader_error=True)  # a grader error is not a grade
    for student in ("ada", "bob", "cy", "dee", "eve", "fay"):
        assert kept.get(next(e for e in batch.discover(klass) if e.student == student)) is None, student
    os.truncate(path["bob"], MAX_ENTRY_BYTES + 1)  # too large to read: ignored unread
    assert kept.get(next(e for e in batch.discover(klass) if e.student == "bob")) is None
    again = pool()
    res = grade_folder(klass, A, BatchOptions(limits=FAST, progress=False, executor=again, cache=cache))
    again.close()
    assert sorted(again.asked) == ["ada", "bob", "cy", "dee", "eve", "fay"] and res.reused == 0
    write_outputs(res, tmp_path / "out")
    assert outputs(tmp_path / "out") == outputs(tmp_path / "fresh")
    # a link in the cache's place is not followed
    target = tmp_path / "forged.json"
    target.write_text(path["ada"].read_text())
    path["ada"].unlink()
    path["ada"].symlink_to(target)
    assert kept.get(next(e for e in batch.discover(klass) if e.student == "ada")) is None


def test_a_cache_that_cannot_be_written_costs_the_resume_not_the_batch(klass, tmp_path):
    blocked = tmp_path / "out" / CACHE_FOLDER
    blocked.parent.mkdir()
    blocked.write_text("a file where the cache folder goes")
    res = grade_folder(klass, A, BatchOptions(limits=FAST, progress=False, jobs=2, cache=blocked))
    assert len(res.rows) == 6 and not any(r["grader_error"] for r in res.rows)
    assert any("could not be written" in n and "grades every submission again" in n for n in res.notes)


def test_the_cli_says_what_it_graded_and_force_grades_all(klass, tmp_path):
    out = tmp_path / "grades"
    args = ["grade", str(klass), "-a", A, "-o", str(out), "--time-limit", "5"]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    assert "6 graded, 0 unchanged (from the last run)" in r.output
    assert (out / CACHE_FOLDER).is_dir() and oct((out / CACHE_FOLDER).stat().st_mode & 0o777) == "0o700"
    r = CliRunner().invoke(main, args)
    assert "0 graded, 6 unchanged (from the last run)" in r.output
    r = CliRunner().invoke(main, [*args, "--force"])
    assert "6 graded, 0 unchanged (from the last run)" in r.output


# -- Ctrl-C on a real `gradekit grade` -------------------------------------------------------

SLOW = "import time\ntime.sleep(0.6)  # slow enough that Ctrl-C lands mid-batch\nANSWERS = {{'p5': {{'q': {q}}}}}\n"


def slow_class(d: Path) -> Path:
    """20 students of ece449-a2: 16 answers files that each take a while, 4 folders with a module file."""
    d.mkdir()
    for k in range(16):
        (d / f"s{k:02d}.py").write_text(SLOW.format(q=[0.5, 0.5] if k % 2 else [0.1, 0.9]))
    for k in range(16, 20):
        (d / f"s{k:02d}").mkdir()
        (d / f"s{k:02d}" / "task1.py").write_text(CORRECT)  # a module session: a student's file in TMPDIR
    return d


def _as_a_foreground_job() -> None:
    # Ctrl-C reaches a terminal's foreground job even where the suite itself runs in the background: a shell
    # starts a background job with SIGINT ignored, and a program started so keeps ignoring it (Python too)
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def gradekit_grade(folder: Path, out: Path, tmp: Path) -> subprocess.Popen:
    env = {**os.environ, "TMPDIR": str(tmp)}
    # a session of its own, as a terminal's foreground job: Ctrl-C goes to its whole process group
    return subprocess.Popen([sys.executable, "-m", "gradekit.cli", "grade", str(folder), "-a", "ece449-a2",
                             "-o", str(out), "-j", "2", "--time-limit", "5"], env=env, start_new_session=True,
                            preexec_fn=_as_a_foreground_job, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def processes_under(folder: Path) -> list[str]:
    """Processes whose working directory is inside ``folder`` (a student's child left running)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except OSError:
            continue
        if cwd.startswith(str(folder)):
            found.append(f"{pid}: {cwd}")
    return found


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_ctrl_c_stops_cleanly_and_a_rerun_finishes_only_the_rest(tmp_path, sig):
    subs = slow_class(tmp_path / "subs")
    tmp = tmp_path / "TMPDIR"
    tmp.mkdir()
    out = tmp_path / "out"
    proc = gradekit_grade(subs, out, tmp)
    want = 4
    deadline = time.monotonic() + 240
    while len(entries_in(out / CACHE_FOLDER)) < want and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, proc.communicate()
    (os.killpg if sig == signal.SIGINT else os.kill)(proc.pid, sig)  # Ctrl-C: the group; a kill: the process
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, (stdout, stderr)
    assert "Traceback" not in stderr and "Aborted" not in stderr, stderr
    kept = len(entries_in(out / CACHE_FOLDER))
    assert want <= kept < 20
    assert f"stopped at {kept}/20: outputs hold the {kept} graded; run again to finish" in stderr
    data = json.loads((out / "grades.json").read_text())
    assert len(data["students"]) == kept and any(n.startswith(f"stopped at {kept}/20") for n in data["notes"])
    assert len((out / "grades.csv").read_text().splitlines()) == kept + 1
    assert [p.name for p in tmp.iterdir()] == []  # no gradekit-batch-, -mod-, -hyp- folder with a student's file
    with pytest.raises(ProcessLookupError):  # no worker left in its group
        os.killpg(proc.pid, 0)
    assert processes_under(tmp) == []

    proc = gradekit_grade(subs, out, tmp)
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode in (0, 1), (stdout, stderr)
    assert f"{20 - kept} graded, {kept} unchanged (from the last run)" in stdout, stdout
    proc = gradekit_grade(subs, tmp_path / "fresh", tmp)
    stdout, stderr = proc.communicate(timeout=300)
    assert "20 graded, 0 unchanged (from the last run)" in stdout, stdout
    assert outputs(out) == outputs(tmp_path / "fresh") and len(outputs(out)) == 26  # manual.csv among them
    assert [p.name for p in tmp.iterdir()] == []

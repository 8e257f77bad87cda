"""What one submission of a batch leaves behind: nothing another can read, nothing in TMPDIR afterwards.

A batch worker serves many students' children from one jailed fork server. Student A's SysV
shared-memory segment must not be there for student B (each child has an IPC namespace of its
own), and the workers' folders (the fork server's, the module sessions' with a student's
``task1.py`` in them) must be gone when the batch ends, even when a worker stalled and was killed.
"""

from __future__ import annotations

import json
import time

import pytest

import gradekit.grading.code as grading_code
from gradekit.course.batch import BatchOptions, grade_folder
from gradekit.sandbox import box
from gradekit.sandbox.process import Limits

from tests.module_task1 import CORRECT

FAST = Limits(wall_seconds=5, cpu_seconds=5)
KEY = 0x6B1D_2028  # the segment's key: B needs only to know it

SHM = """
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.shmget.argtypes = [ctypes.c_int, ctypes.c_size_t, ctypes.c_int]
libc.shmat.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
libc.shmat.restype = ctypes.c_void_p
"""

WRITER = SHM + f"""
shmid = libc.shmget({KEY}, 4096, 0o1666)  # IPC_CREAT, readable by every uid
addr = libc.shmat(shmid, None, 0) if shmid >= 0 else None
ok = addr not in (None, ctypes.c_void_p(-1).value)
if ok:
    ctypes.memmove(addr, b"116\\0", 4)
ANSWERS = {{"q3.2": {{"L": 116 if ok else 0}}}}  # full marks only where the segment was made and written
"""

READER = SHM + f"""
shmid = libc.shmget({KEY}, 0, 0)
addr = libc.shmat(shmid, None, 0) if shmid >= 0 else None
got = ctypes.string_at(addr).decode() if addr not in (None, ctypes.c_void_p(-1).value) else "0"
ANSWERS = {{"q3.2": {{"L": got}}}}  # A's 116, if A's segment outlived A
"""


needs_fork_server = pytest.mark.skipif(not (box.describe()["level"] == "strong" and __import__("os").geteuid() == 0),
                                       reason="the fork server serves a root grader with strong isolation only")


@needs_fork_server
def test_a_shared_memory_segment_of_one_student_is_not_there_for_the_next(tmp_path, own_tempdir):
    d = tmp_path / "subs"
    d.mkdir()
    (d / "a_writer.py").write_text(WRITER)
    (d / "b_reader.py").write_text(READER)
    res = grade_folder(d, "ece661-hw1", BatchOptions(jobs=1, limits=FAST, progress=False))  # one worker: one fork server
    by = {r["student"]: r for r in res.rows}
    assert by["a_writer"]["parts"]["q3.2:L"] == 1, by["a_writer"]  # the segment was made and written for real
    assert by["b_reader"]["parts"]["q3.2:L"] == 0 and by["b_reader"]["error"] is None, by["b_reader"]
    assert list(own_tempdir.iterdir()) == []


def test_a_batch_leaves_nothing_in_tmpdir(tmp_path, own_tempdir):
    d = tmp_path / "subs"
    (d / "ada").mkdir(parents=True)
    (d / "ada" / "task1.py").write_text(CORRECT)  # a module session's folder
    (d / "bob.py").write_text("import numpy as np\nANSWERS = {'q3.2': {'L': int(np.int64(116))}}\n")  # a child
    (d / "cy.json").write_text(json.dumps({"q3.2": {"L": 116}}))
    res = grade_folder(d, "ece449-a2", BatchOptions(jobs=2, limits=FAST, progress=False))
    assert not any(r["grader_error"] for r in res.rows) and res.rows[0]["score"] == 20
    assert sorted(p.name for p in own_tempdir.iterdir()) == []


STUCK = 900  # seconds a stuck worker would sleep: far past the stall limit however loaded the machine (x load/cores)


def test_a_killed_worker_leaves_no_students_file_in_tmpdir(tmp_path, own_tempdir, monkeypatch):
    """The worker stalls while a module session holds the student's task1.py; the batch kills it."""
    real = grading_code.grade_problem

    def stuck(catalog, target, given):
        session = next(iter(given.values()))
        session = getattr(session, "student", session)  # a [code] problem's pair: the student's child
        if b"STALL" in session.source:
            session._start()  # the student's file is in its folder now
            time.sleep(STUCK)
        return real(catalog, target, given)

    monkeypatch.setattr(grading_code, "grade_problem", stuck)  # forked workers inherit the patch
    d = tmp_path / "subs"
    (d / "ada").mkdir(parents=True)
    (d / "ada" / "task1.py").write_text(CORRECT)
    (d / "zed").mkdir()
    (d / "zed" / "task1.py").write_text("# STALL\n" + CORRECT)
    start = time.monotonic()
    res = grade_folder(d, "ece449-a2", BatchOptions(jobs=2, limits=FAST, progress=False, stall_seconds=20))
    assert time.monotonic() - start < STUCK - 10  # stopped by the stall detector, not by the sleep ending
    by = {r["student"]: r for r in res.rows}
    assert by["zed"]["grader_error"] and "made no progress for 20 s" in by["zed"]["error"]
    assert by["ada"]["score"] == 20, by["ada"]
    assert [str(p.relative_to(own_tempdir)) for p in own_tempdir.rglob("*")] == []

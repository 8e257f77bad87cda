"""The resume cache of a batch: each graded submission's row, kept as it finishes, so a rerun grades only what changed.

A row is filed under a key that hashes everything that decides it:

- the submission: its student id, name and path as ``discover`` gave them, and every file grading would
  read (names and bytes, read by ``gradekit.core.files``: no link followed, links and FIFOs named as refused);
- the batch (``batch_digest``): gradekit's version and a digest of its installed code, specs and reference
  solutions; the assignment's problems (params, parts, points) and every file of its folder (an
  instructor's data and reference code); the ``Limits``; the ``GRADEKIT_*`` settings, the interpreter and
  the numeric libraries' versions, and whether the grader runs as root (what isolation it can have).

Entries live in ``OUT/.gradekit-cache/KEY.json`` (``CACHE_FOLDER``: not an output, never a stale one),
each written to a temporary file and renamed into place, so a batch killed mid-write leaves the old entry
or the new one, never half of one. Reading one, the cache trusts nothing: an entry larger than
``MAX_ENTRY_BYTES``, not JSON, under another key, or whose row is not a row of this submission (its
identity, fields, types, scores within each part's points) is ignored and the submission graded again.
A grader-error row is never kept: it is graded again on every run.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import sys
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gradekit.core.errors import SubmissionError
from gradekit.core.files import read_file, walk
from gradekit.grading.grade import MAX_FOLDER_BYTES
from gradekit.course.entry import Entry, zero_row
from gradekit.intake.submission import MAX_FILE_BYTES, SUFFIXES

if TYPE_CHECKING:
    from gradekit.sandbox.limits import Limits
    from gradekit.catalog.catalog import Catalog

__all__ = ["CACHE_FOLDER", "MAX_ENTRY_BYTES", "ResultCache", "batch_digest", "row_fault", "submission_digest"]

CACHE_FOLDER = ".gradekit-cache"  # under the output folder
MAX_ENTRY_BYTES = 32 * 2**20  # one row with its report; a module-heavy row is a few hundred KiB
FORMAT = 1  # of an entry; another format is ignored, not read
_KEY = re.compile(r"[0-9a-f]{64}")
_LIBRARIES = ("numpy", "torch", "sympy", "scipy", "scikit-learn", "hypothesis")
_NOT_DECIDING = {"GRADEKIT_SCHEDULER", "GRADEKIT_PROTECT", "GRADEKIT_PROTECT_CLASS"}  # where grading runs, where
# outputs go and what the sandbox checks at launch, not how it grades


def _feed(h: Any, *chunks: bytes | str) -> None:
    """Each chunk length-prefixed: no two different sequences hash alike by moving a boundary."""
    for c in chunks:
        b = c.encode("utf-8", "surrogateescape") if isinstance(c, str) else c
        h.update(len(b).to_bytes(8, "big"))
        h.update(b)


def submission_digest(path: Path | None) -> str:
    """A hash of what grading ``path`` reads: each file's name and bytes, each refused file's name and reason."""
    h = hashlib.sha256()
    if path is None:
        return h.hexdigest()
    try:
        if path.is_dir() and not path.is_symlink():  # a link to a folder: the walk refuses it, by name
            tree = walk(path, SUFFIXES)
            held = 0
            for f in tree.files:
                name = str(f.relative_to(path))
                try:
                    data = read_file(f, MAX_FILE_BYTES, root=path)
                except SubmissionError as e:  # a link put there since the walk, a file too large
                    _feed(h, "unread", name, str(e))
                    continue
                _feed(h, "file", name, data)
                held += len(data)
                if held > MAX_FOLDER_BYTES:  # grading stops here too, with one message: nothing after decides
                    _feed(h, "too large")
                    return h.hexdigest()
            for r in tree.refused:
                _feed(h, "refused", r.name, r.reason)
        else:
            _feed(h, "file", path.name, read_file(path, MAX_FILE_BYTES))
    except SubmissionError as e:
        _feed(h, "unread", str(path), str(e))
    return h.hexdigest()


def _tree_digest(h: Any, root: Path) -> None:
    """Every file under ``root`` (the grader's own: links followed), by relative name and bytes."""
    for folder, dirs, files in os.walk(root):  # top-down, each level sorted: one order on every run
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith((".pyc", ".pyo")):
                continue
            p = Path(folder, name)
            try:
                _feed(h, str(p.relative_to(root)), p.read_bytes())
            except OSError as e:
                _feed(h, str(p.relative_to(root)), f"unreadable: {e}")


@lru_cache(maxsize=1)
def _code_digest() -> str:
    """gradekit's installed code, built-in specs and reference solutions (a checkout's edits included)."""
    import gradekit
    import gradekit.problems
    import gradekit.reference

    h = hashlib.sha256()
    for module in (gradekit, gradekit.problems, gradekit.reference):
        assert module.__file__ is not None  # packages with an __init__.py on disk
        root = Path(module.__file__).parent
        _feed(h, module.__name__)
        _tree_digest(h, root)
    return h.hexdigest()


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "absent"


def batch_digest(catalog: Catalog, assignment: str, limits: Limits) -> str:
    """A hash of everything besides the submission that decides a row of ``assignment`` graded under ``limits``."""
    a = catalog.assignment(assignment)
    h = hashlib.sha256()
    _feed(h, f"format {FORMAT}", _version("gradekit"), _code_digest())
    _feed(h, assignment, repr(a))  # problems, params, parts, points, visibility, packages
    if a.folder and Path(a.folder).is_dir():
        _tree_digest(h, Path(a.folder))
    _feed(h, repr(limits))
    _feed(h, *(f"{k}={v}" for k, v in sorted(os.environ.items()) if k.startswith("GRADEKIT_") and k not in _NOT_DECIDING))
    _feed(h, sys.version, *(f"{p} {_version(p)}" for p in _LIBRARIES), f"euid {os.geteuid()}")
    return h.hexdigest()


class ResultCache:
    """The rows of one batch's earlier runs under ``folder``, for ``digest`` (``batch_digest``).

    ``maxima`` (points of each graded column) bounds what a row read back may claim.
    """

    def __init__(self, folder: Path, digest: str, maxima: Mapping[str, float], max_score: float):
        self.folder = Path(folder)
        self.digest = digest
        self.maxima = dict(maxima)
        self.max_score = max_score
        self._keys: dict[tuple[Any, ...], str] = {}

    def key(self, entry: Entry) -> str:
        """The entry's key, computed once (its files read then) and remembered for ``put``."""
        ident = (entry.student, entry.name, str(entry.path), entry.problem)
        if ident not in self._keys:
            h = hashlib.sha256()
            _feed(h, self.digest, *(str(x) for x in ident), submission_digest(entry.path))
            self._keys[ident] = h.hexdigest()
        return self._keys[ident]

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def get(self, entry: Entry) -> dict[str, Any] | None:
        """The row kept for ``entry`` by an earlier run, or None (none kept, or one that is not to be trusted)."""
        key = self.key(entry)
        try:
            data = json.loads(read_file(self._path(key), MAX_ENTRY_BYTES, what="cache entries"))
        except (SubmissionError, ValueError, RecursionError):
            return None
        if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("key") != key:
            return None
        return self._valid_row(entry, data.get("row"))

    def put(self, entry: Entry, row: Mapping[str, Any]) -> None:
        """Keep ``row`` for ``entry`` (a grader error is not kept: it is graded again next time)."""
        if row.get("grader_error"):
            return
        key = self.key(entry)
        text = json.dumps({"format": FORMAT, "key": key, "row": row}, allow_nan=True)
        self.folder.mkdir(parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)
        tmp = self.folder / f".tmp-{key}-{os.getpid()}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            with os.fdopen(fd, "w") as f:
                f.write(text)
            os.replace(tmp, self._path(key))  # atomic: a kill leaves the old entry or this one
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def keep_only(self, entries: Iterable[Entry]) -> int:
        """Remove the entries of every other submission (students gone, files changed), and leftover
        temporary files of a killed run; returns how many files went."""
        wanted = {f"{self.key(e)}.json" for e in entries}
        gone = 0
        if not self.folder.is_dir():
            return 0
        for p in self.folder.iterdir():
            if p.name not in wanted and (p.name.startswith(".tmp-") or _KEY.fullmatch(p.stem) and p.suffix == ".json"):
                p.unlink(missing_ok=True)
                gone += 1
        return gone

    def _valid_row(self, entry: Entry, row: Any) -> dict[str, Any] | None:
        """``row`` when it is, field by field, a row ``grade_entry`` could have made for ``entry``."""
        if row_fault(entry, row, self.maxima, self.max_score) is not None:
            return None
        return {**row, "diagnoses": [tuple(d) for d in row["diagnoses"]]}  # as grade_entry makes them


def row_fault(entry: Entry, row: Any, maxima: Mapping[str, float], max_score: float, *,
              grader_error: bool = False) -> str | None:
    """Why ``row`` is not a row ``grade_entry`` could have made for ``entry`` (None: it could be).

    Its fields and their types; its identity (student, name, file) is ``entry``'s; each part is a
    graded column within its points; the total is its parts' sum and its report's total.
    ``grader_error``: a grader-error row (no total) is one too (rows from a cluster's workers).
    """
    expected = zero_row(entry, None)
    if not isinstance(row, dict) or set(row) != set(expected):
        return "not the fields of a row"
    if any(row[k] != expected[k] for k in ("student", "name", "file")):
        return "another submission's row"
    if not (row["error"] is None or isinstance(row["error"], str)):
        return "an error that is not text"
    parts, diagnoses = row["parts"], row["diagnoses"]
    if not isinstance(parts, dict) or any(c not in maxima or not _number(v, maxima[c]) for c, v in parts.items()):
        return "a part that is not graded here, or over its points"
    if not isinstance(diagnoses, list) or not all(
            isinstance(d, list) and len(d) == 2 and d[0] in maxima and isinstance(d[1], str) for d in diagnoses):
        return "a mistake named for no graded part"
    if not (row["report"] is None or isinstance(row["report"], dict)):
        return "a report that is not one"
    if row["grader_error"] is True and grader_error:
        if row["score"] is not None or not isinstance(row["error"], str) or not row["error"].startswith("grader error"):
            return "a grader error with a total"
        return None
    if row["grader_error"] is not False:
        return "a grader error"
    if not _number(row["score"], max_score):
        return "a total that is no score of this assignment"
    # the total is its parts' sum (as grade_entry adds them), and the report's total where there is one
    if abs(row["score"] - sum(parts.values())) > 1e-6 or (
            row["report"] is not None and row["report"].get("score") != row["score"]):
        return "a total that is not its parts' sum"
    return None


def _number(x: Any, most: float) -> bool:
    """A finite score from 0 to ``most`` points (a bool is not one)."""
    return (isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)
            and -1e-9 <= x <= most + 1e-9)

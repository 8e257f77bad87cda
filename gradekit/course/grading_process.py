"""The grading process a cluster worker keeps: one plain process that grades what it is sent, as a local pool worker.

A Dask worker runs tasks on threads, and the sandbox sets rlimits in a ``preexec_fn`` that must
not run in a process with other threads; so student code never starts from the Dask worker's own
process. Each worker starts this module (``python -m gradekit.course.grading_process FD``: exec'd,
never a fork of the threaded worker) and talks to it over a socket pair with
``multiprocessing.connection``. It holds the worker's jailed fork server, as a local pool worker
does, and never imports ``distributed``.

The conversation, every message a tuple:

- at start it says ``("ready", facts)``: its gradekit version and ``gradekit doctor``'s isolation verdict;
- ``("grade", header, item)``: grade one submission. ``header`` is the batch's (gradekit version,
  catalog fingerprint, assignment, limits, whether weak isolation is allowed), ``item`` one
  submission as bytes (``pack`` below). It answers ``("beat",)`` as each call into the student's code
  begins or ends (progress, not a stall), then ``("row", text)``: the row as JSON, the very row
  ``grade_entry`` gives for the same file on the instructor's machine (its paths put back), or
  ``("refused", why)`` when the header does not match this worker (another version, another catalog,
  weak isolation not allowed): the batch stops and says why.

Submissions arrive as ``{relative path: bytes}`` read by the instructor's side with gradekit's
safe reader (no link, FIFO or hard link is ever followed there), and are written here into a
private folder of their own, removed after grading.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Iterator

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from gradekit.sandbox.limits import Limits
    from gradekit.catalog.catalog import Catalog

PROTOCOL = 1  # bumped whenever the messages above change shape


def fingerprint(catalog: Catalog, assignment: str) -> str:
    """A hash of what grading ``assignment`` depends on in ``catalog``: its problems, params and parts.

    A worker with another copy of the specs (an instructor's folder not installed there, an older
    checkout) would give other grades for the same file; client and worker compare this.
    """
    from gradekit.core.plain import plain

    a = catalog.assignment(assignment)
    data = {"assignment": [a.name, a.title, a.declared_points, a.visibility, list(a.packages)],
            "problems": [[p.id, p.family, p.title, p.statement, plain(dict(p.params)), p.variant,
                          [[q.name, q.kind, q.points, q.description, plain(dict(q.options))] for q in p.parts]]
                         for p in a.problems]}
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def header(catalog: Catalog, assignment: str, limits: Limits, allow_weak: bool) -> dict[str, Any]:
    """What every task of a batch carries, so that a worker can refuse a client it does not match."""
    import gradekit

    return {"protocol": PROTOCOL, "version": gradekit.__version__, "assignment": assignment,
            "catalog": fingerprint(catalog, assignment), "limits": asdict(limits), "allow_weak": bool(allow_weak)}


# -- the instructor's side: a submission as bytes --------------------------------------------------


class Unreadable(Exception):
    """The submission could not be read on the instructor's side: its row is this message, as a local run's."""


def pack(index: int, entry: Any) -> dict[str, Any]:
    """``entry``'s files as ``{relative path: bytes}``, read exactly as ``grade`` reads them locally.

    A file: its bytes under its own name. A folder: every file ``grade`` would read, and what it
    refuses (links, FIFOs, hard links: never read) as names and reasons, for the worker to report as
    the local run would. Raises ``Unreadable`` with the message a local run puts in the row.
    """
    from gradekit.core.errors import GradekitError
    from gradekit.core.files import RefusedFile
    from gradekit.grading.grade import MAX_FOLDER_BYTES, submitted_files
    from gradekit.intake.submission import read_bounded

    path = Path(entry.path)
    item = {"index": index, "student": entry.student, "name": entry.name, "shown": str(path),
            "absolute": os.path.abspath(path), "base": path.name, "folder": False, "files": {}, "refused": []}
    try:
        if not path.is_dir():
            item["files"][path.name] = read_bounded(path)
            return item
        item["folder"] = True
        tree = submitted_files(path)
        item["refused"] = [[r.name, r.reason] for r in tree.refused]
        total = 0
        for p in tree.files:  # in the order, and with the checks, of grading.grade._grade_folder
            rel = p.relative_to(path).as_posix()
            try:
                item["files"][rel] = data = read_bounded(p, root=path)
            except RefusedFile as e:
                item["refused"].append([rel, e.reason])
                continue
            total += len(data)
            if total > MAX_FOLDER_BYTES:
                break  # the worker raises the local run's message on the same bytes
    except GradekitError as e:
        raise Unreadable(str(e)) from None
    return item


# -- the worker's side ----------------------------------------------------------------------------


def _safe_rel(rel: str) -> PurePosixPath:
    p = PurePosixPath(rel)
    if p.is_absolute() or not p.parts or any(part in ("", ".", "..") for part in p.parts) or "\0" in rel:
        raise ValueError(f"{rel!r} is not a relative path inside a submission")
    return p


def _unpack(item: dict[str, Any], work: Path) -> Path:
    """Write ``item``'s files under ``work`` (private, 0700) and return the path to grade."""
    if item["base"] in ("", ".", "..") or "/" in item["base"] or "\0" in item["base"]:
        raise ValueError(f"{item['base']!r} is not a file name")
    top = work / item["base"]
    if item["folder"]:
        top.mkdir(mode=0o700)
    for rel, data in item["files"].items():
        target = top if not item["folder"] else top.joinpath(*_safe_rel(rel).parts)
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
    return top


@contextmanager
def _listed_as_on_the_client(item: dict[str, Any], top: Path) -> Iterator[None]:
    """Make ``grade`` see the folder's listing as the instructor's side saw it, refused files included.

    The refused files (links, FIFOs, hard links) were never read and do not travel; a folder
    grade walks here holds only the files that did, so its walk is replaced, for this one
    submission, by the listing that came with it.
    """
    import gradekit.grading.grade as grading
    from gradekit.core.files import RefusedFile, Tree

    if not item["folder"]:
        yield
        return
    real = grading.submitted_files
    tree = Tree(files=sorted(top.joinpath(*_safe_rel(rel).parts) for rel in item["files"]),
                refused=[RefusedFile(n, r) for n, r in item["refused"]])  # the walk's, then those refused on reading

    def listing(folder: Path) -> Tree:
        return tree if Path(folder) == top else real(folder)

    grading.submitted_files = listing
    try:
        yield
    finally:
        grading.submitted_files = real


def _put_back(value: Any, pairs: list[tuple[str, str]]) -> Any:
    """``value`` with the worker's paths of the submission replaced by the instructor's, in every string."""
    if isinstance(value, str):
        for here, there in pairs:
            value = value.replace(here, there)
        return value
    if isinstance(value, dict):
        return {_put_back(k, pairs): _put_back(v, pairs) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_put_back(v, pairs) for v in value]
    return value


def row_from_text(text: str) -> dict[str, Any]:
    """A row sent as JSON, with the tuples ``grade_entry`` makes where JSON has lists."""
    row = json.loads(text)
    row["diagnoses"] = [tuple(d) for d in row.get("diagnoses", [])]
    return row


@contextmanager
def _checked_at_launch(folder: Path) -> Iterator[None]:
    """While one submission is graded here, its private folder is the class: each confined launch checks
    that the sandbox uid cannot reach it (``gradekit.sandbox.confine.protect_class``)."""
    from gradekit.sandbox.confine import protect_class

    name = "GRADEKIT_PROTECT_CLASS"
    before = os.environ.get(name)
    protect_class(folder)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before


def grade_item(item: dict[str, Any], assignment: str, catalog: Catalog, limits: Limits, scratch: str) -> str:
    """Grade one packed submission in a folder of its own under ``scratch``; the row as JSON text."""
    from gradekit.course.entry import Entry, grade_entry
    from gradekit.sandbox.process import rmtree

    work = Path(tempfile.mkdtemp(prefix="gradekit-sub-", dir=scratch))
    try:
        top = _unpack(item, work)
        with _listed_as_on_the_client(item, top), _checked_at_launch(work):
            row = grade_entry(Entry(item["student"], top, None, item["name"]), assignment, catalog, limits)
        pairs = [(str(top), item["shown"])]
        real = os.path.realpath(top)
        if real != str(top):
            pairs.append((real, item["shown"]))
        return json.dumps(_put_back(row, pairs))
    finally:
        rmtree(str(work))


class _Refused(Exception):
    pass


class _Jobs:
    """The catalog and limits of each batch header seen, checked once against this worker."""

    def __init__(self, facts: dict[str, Any]):
        self.facts = facts
        self.seen: dict[str, tuple[Catalog, Limits]] = {}

    def get(self, head: dict[str, Any]) -> tuple[Catalog, Limits]:
        key = json.dumps(head, sort_keys=True)
        if key not in self.seen:
            self.seen[key] = self._check(head)
        return self.seen[key]

    def _check(self, head: dict[str, Any]) -> tuple[Catalog, Limits]:
        from gradekit.sandbox.process import Limits
        from gradekit.catalog.catalog import load_catalog

        if head.get("protocol") != PROTOCOL or head.get("version") != self.facts["version"]:
            raise _Refused(f"this worker runs gradekit {self.facts['version']} (protocol {PROTOCOL}), the client "
                           f"{head.get('version')} (protocol {head.get('protocol')}): install the same gradekit on both")
        iso = self.facts["isolation"]
        if iso["level"] == "refused":
            raise _Refused(f"student code cannot run on this worker: {iso['why']}")
        if iso["level"] != "strong" and not head.get("allow_weak"):
            raise _Refused(f"this worker gives student code only weak isolation ({iso['line']}); "
                           "see docs/security.md, or allow weak isolation for this run (--allow-weak-isolation)")
        catalog = load_catalog()
        try:
            mine = fingerprint(catalog, head["assignment"])
        except Exception as e:  # an assignment this worker does not have, or a broken spec of it
            raise _Refused(f"this worker's catalog cannot grade {head['assignment']}: {e}") from None
        if mine != head["catalog"]:
            raise _Refused(f"this worker's catalog differs from the client's for {head['assignment']} "
                           f"(fingerprint {mine[:12]}, the client's {head['catalog'][:12]}): give the workers the "
                           "same specs (GRADEKIT_PROBLEMS) and gradekit as the client")
        for p in catalog.problems(head["assignment"]):  # solved once per worker, as a local batch does
            catalog.solve(p)
            catalog.mistakes(p)
        return catalog, Limits(**head["limits"])


def serve(conn: Connection) -> None:
    """Answer ``conn``'s messages until it closes or says None (see the module docstring)."""
    import gradekit
    from gradekit.code.session import on_progress
    from gradekit.sandbox.box import describe
    from gradekit.sandbox.process import rmtree, use_fork_server

    from gradekit.sandbox import scratch as scratch_folders

    scratch = scratch_folders.make("worker")  # named for its owner: the next worker removes it if this one is killed
    os.chmod(scratch, 0o711)  # entered, not listed, by a sandbox uid: each folder in it is 0700 and its child's
    tempfile.tempdir = scratch
    try:
        facts = {"version": gradekit.__version__, "protocol": PROTOCOL, "pid": os.getpid(), "isolation": describe()}
        conn.send(("ready", facts))
        jobs = _Jobs(facts)
        use_fork_server(True)  # one jailed fork server for this worker: numpy imported once, a fresh view per child
        on_progress(lambda: conn.send(("beat",)))
        while True:
            try:
                msg = conn.recv()
            except EOFError:
                return
            if msg is None:
                return
            _, head, item = msg
            try:
                catalog, limits = jobs.get(head)
            except _Refused as e:
                conn.send(("refused", str(e)))
                continue
            conn.send(("row", grade_item(item, head["assignment"], catalog, limits, scratch)))
    except (BrokenPipeError, ConnectionResetError):  # the Dask worker is gone: nothing to answer
        return
    finally:
        on_progress(None)
        use_fork_server(False)
        rmtree(scratch)


def main(argv: list[str]) -> None:
    import socket
    from multiprocessing.connection import Connection

    fd = int(argv[1])
    sock = socket.socket(fileno=fd)
    serve(Connection(sock.detach()))


if __name__ == "__main__":
    main(sys.argv)

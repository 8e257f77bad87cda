"""A student's module, imported once in a boxed child and called many times.

One ``ModuleSession`` per submission: the child (``python -I``, scrubbed
environment, temp cwd, rlimits, its own session: see ``gradekit.sandbox.process``)
imports the file, then serves calls over two pipes. The parent sends the
arguments as ``.npy`` bytes it generated; the child answers with ``.npy``
bytes (``allow_pickle=False``, object dtypes refused on both sides, sizes
capped) or an error. The child never sees expected outputs. A call that
times out, crashes or garbles the protocol kills the child's process group;
the next call starts a fresh child.

>>> with ModuleSession(b"def f(x):\\n    return -x\\n", "m.py") as s:   # doctest: +SKIP
...     s.call("f", np.arange(3.0)).value
array([-0., -1., -2.])
"""

from __future__ import annotations

import io
import json
import os
import dataclasses
import secrets
import select
import struct
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Callable, Iterator

import numpy as np

from gradekit.code.callkind import CallKind
from gradekit.sandbox.box import Box, make_run_dir
from gradekit.core.errors import IsolationError
from gradekit.sandbox.child import source as child_source
from gradekit.sandbox.cputime import BudgetClock, tree_cpu_seconds
from gradekit.sandbox.limits import preload_prelude
from gradekit.sandbox.process import Limits, kill_group, rmtree

__all__ = ["ModuleSession", "CallResult", "CallKind", "MAX_REPLY_BYTES", "CHECK_CALLS_AT_LIMIT", "on_progress",
           "DEFAULT_LIMITS"]

MAX_REPLY_BYTES = 64 * 2**20
_HEADER = struct.Struct(">I")
# RLIMIT_CPU counts the child's whole life; each call (the import too) gets at most ``wall_seconds`` of the
# child tree's CPU time, the wall clock only a backstop well beyond that (``gradekit.sandbox.cputime``).
DEFAULT_LIMITS = Limits(cpu_seconds=600, wall_seconds=120.0)
# What one check may spend in the student's code in all: this many calls at the per-call limit, or
# CHECK_FLOOR_SECONDS, whichever is more. Wall-clock time, not CPU: a function that sleeps burns no CPU, so
# only the wall clock bounds it; the factor keeps it generous (a correct relu takes milliseconds a call, and
# a check makes a few dozen calls), and it is not scaled by the load, or a sleeping function would pass.
CHECK_CALLS_AT_LIMIT = 8
CHECK_FLOOR_SECONDS = 10.0  # however short the per-call limit, a check may spend this much

_progress: list[Callable[[], None]] = []


def on_progress(beat: Callable[[], None] | None) -> None:
    """Call ``beat()`` as every call a session makes begins and ends (None: stop). A batch worker uses it to show that a
    slow submission is still being graded, call after call, so its supervisor never takes it for a hung grader.
    """
    _progress.clear()
    if beat is not None:
        _progress.append(beat)


@dataclass(frozen=True)
class CallResult:
    """What one call gave: ``value`` (arrays, tuples of them, str/None) when ``ok``, else ``kind`` says what
    went wrong (a ``CallKind``) and ``message`` says it in words."""

    ok: bool
    value: Any = None
    kind: CallKind = CallKind.OK
    message: str = ""
    output: str = ""  # what the call printed, truncated
    elapsed: float = 0.0
    cpu: float = 0.0  # CPU seconds the child's process tree used for the call
    retried: bool = False  # over its budget once, then run again on a fresh child

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", CallKind(self.kind))  # a kind given as its string is the member


class ModuleSession:
    """The student's module, alive in a child between calls. Use as a context manager."""

    def __init__(self, source: bytes, filename: str, *, limits: Limits = DEFAULT_LIMITS, module: str | None = None,
                 seed_source: bytes | None = None, student_code: bytes | None = None):
        self.source, self.filename = source, filename
        # the bytes the case seed comes from: the student's own file, without the child code appended to it, so
        # a change to gradekit's child programs does not move every student's draws
        self.seed_source = source if seed_source is None else seed_source
        # the student's code as they wrote it (a notebook's code cells joined), read for functions left as the
        # starter wrote them
        self.student_code = self.seed_source if student_code is None else student_code
        self.module = module or Path(filename).stem
        self.limits = limits
        self._proc: subprocess.Popen | None = None
        self._workdir: str | None = None
        self._req = self._resp = -1
        self._err: IO[bytes] | None = None
        self._box: Box | None = None
        self.import_failure: CallResult | None = None  # deterministic: no point in retrying
        self.starts = 0
        self._ready = False  # the child has imported the student's file (its first request answered)
        self._nonce, self._seq = "", 0
        self._budget: _Budget | None = None

    @property
    def case_seed(self) -> int:
        """A seed for a check's own fixed cases that changes with every byte of the file: the cases a file
        was told about in feedback are not the ones it meets next time, and a table of answers written into
        the file changes the file, and so the cases, with it."""
        import hashlib

        return int.from_bytes(hashlib.sha256(self.seed_source).digest()[:8], "big")

    def __enter__(self) -> "ModuleSession":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def running(self) -> bool:
        """Whether a child is alive now (a call would not start, and re-import the file in, a fresh one)."""
        return self._ready and self._proc is not None and self._proc.poll() is None

    def begin(self) -> None:
        """Start the child now and return at once: it imports its libraries (torch: a second or two) while
        the caller does other work, such as its own imports; the first call finishes the start. Without
        it, the first call starts the child. The child's CPU time is counted from its start either way."""
        if self._proc is None:
            self._spawn()

    # -- life cycle -----------------------------------------------------------------
    def _start(self) -> CallResult | None:
        self.begin()
        return self._handshake()

    def _spawn(self) -> None:
        """The child's process, in its box; it imports its preloaded libraries, then waits for its first request."""
        self.starts += 1
        self._workdir = make_run_dir("gradekit-mod-")
        work, mount_point = os.path.join(self._workdir, "work"), os.path.join(self._workdir, "root")
        os.mkdir(work, 0o700)
        os.mkdir(mount_point, 0o700)
        Path(work, self.filename).write_bytes(self.source)
        self._box = Box.open(self.limits, work, mount_point)  # its jail, uid and cgroup
        req_r, req_w = os.pipe()
        resp_r, resp_w = os.pipe()
        self._err = tempfile.TemporaryFile()
        program = preload_prelude(self._box.limits) + child_source("harness")  # the libraries, then the cap lowered
        try:
            self._proc = subprocess.Popen(
                self._box.command([sys.executable, "-I", "-c", program, str(req_r), str(resp_w), self.filename,
                                   self.module, str(self.limits.output_bytes)]),
                cwd=work, env=self._box.env(), stdin=subprocess.DEVNULL,
                stdout=self._err, stderr=self._err, start_new_session=True,
                preexec_fn=self._box.preexec, pass_fds=(req_r, resp_w, *self._box.pass_fds),
            )
        finally:
            self._box.started()
            os.close(req_r)
            os.close(resp_w)
        self._req, self._resp = req_w, resp_r
        # a fresh nonce per child, sent in its first request (before it imports the student's file): every
        # reply must carry it and the sequence number of the request it answers
        self._nonce, self._seq = secrets.token_hex(16), 0

    def _handshake(self) -> CallResult | None:
        """The child's first request: the nonce, and the import of the student's file (its failure, if any)."""
        # the import pays for the interpreter's start too: its CPU is counted from 0
        reply = self._roundtrip({"op": "import", "nonce": self._nonce}, [], self.limits.wall_seconds, since=0.0)
        if reply.kind == CallKind.CRASH:
            assert self._box is not None and self._proc is not None  # started: the import was sent to it
            try:
                why = self._box.launch_error(self._proc.wait(timeout=5))
            except subprocess.TimeoutExpired:
                why = None
            if why is not None:
                self.close()
                raise IsolationError(f"the sandbox could not be built: {why}")
        if not reply.ok:
            self.import_failure = CallResult(False, None, CallKind.IMPORT, _import_message(reply), reply.output)
            self.close()
            return self.import_failure
        self._ready = True
        return None

    def close(self) -> None:
        self._ready = False
        if self._proc is not None:
            kill_group(self._proc.pid)  # the group: threads and children the student started
            self._proc.wait()
            self._proc = None
        if self._box is not None:
            self._box.close()  # what left the group: setsid daemons, a fork bomb's strays
            self._box = None
        for fd in (self._req, self._resp):
            if fd >= 0:
                os.close(fd)
        self._req = self._resp = -1
        if self._err is not None:
            self._err.close()
            self._err = None
        if self._workdir is not None:
            rmtree(self._workdir)
            self._workdir = None

    # -- calls ----------------------------------------------------------------------
    @contextmanager
    def check_budget(self) -> Iterator[None]:
        """Calls within share one check's time budget (``CHECK_CALLS_AT_LIMIT``): once it is spent, a call
        returns a ``timeout`` without running — the student's time-out, never a grader error."""
        self._budget = _Budget()
        try:
            yield
        finally:
            self._budget = None

    def call_limit(self, seconds: float) -> float:
        """What a call given ``timeout=seconds`` gets: ``seconds`` capped by ``limits.wall_seconds`` (a batch's
        ``--time-limit``). A message about a call's budget names this figure, not the spec's."""
        return min(float(seconds), self.limits.wall_seconds)

    def call(self, name: str, *args: Any, timeout: float = 5.0, retry: bool = False) -> CallResult:
        """Call ``name(*args)`` in the child; args are arrays (sent as .npy) or JSON scalars.

        ``timeout`` (capped by ``limits.wall_seconds``) is the call's budget in CPU seconds of the child's
        process tree, so it does not depend on the machine's load; the wall clock is only a backstop
        (``gradekit.sandbox.cputime``). With ``retry``, a call over its budget runs once more on a fresh
        child before the overrun counts, and its message says it was tried twice.
        """
        timeout = self.call_limit(timeout)
        reply = self._budgeted(name, args, timeout)
        if retry and reply.kind == CallKind.TIMEOUT:
            again = self._budgeted(name, args, timeout)
            if again.kind == CallKind.TIMEOUT:
                return dataclasses.replace(again, message=f"{again.message} (tried twice)", retried=True)
            return dataclasses.replace(again, retried=True)
        return reply

    def _budgeted(self, name: str, args: tuple, timeout: float) -> CallResult:
        """One call, within the check's budget, with the progress beats around it."""
        if self.import_failure is not None:
            return self.import_failure
        budget = self._budget
        if budget is not None:
            spent = budget.over(timeout)
            if spent is not None:
                return spent
        for beat in _progress:  # a call begins, and (below) ends: the gap between beats is one call at most
            beat()
        reply = self._call(name, args, timeout)
        if budget is not None:
            budget.spent += reply.elapsed
            budget.calls += 1
        for beat in _progress:
            beat()
        return reply

    def _call(self, name: str, args: tuple, timeout: float) -> CallResult:
        if not self._ready:
            failed = self._start()
            if failed is not None:
                return failed
        blobs, specs = [], []
        for a in args:
            if isinstance(a, np.ndarray):
                buf = io.BytesIO()
                np.save(buf, a, allow_pickle=False)
                specs.append({"npy": len(buf.getvalue())})
                blobs.append(buf.getvalue())
            else:
                specs.append({"json": a})
        reply = self._roundtrip({"op": "call", "name": name, "args": specs}, blobs, timeout)
        if reply.kind in (CallKind.TIMEOUT, CallKind.CRASH, CallKind.GARBLED, CallKind.MEMORY):
            self.close()  # a fresh child serves the next call
        return reply

    def _roundtrip(self, header: dict, blobs: list[bytes], timeout: float, since: float | None = None) -> CallResult:
        pid = self._proc.pid if self._proc is not None else None
        uid = self._box.uid if self._box is not None else None  # its alone: what it orphaned is charged too
        clock = BudgetClock(timeout, pid, tree_cpu_seconds(pid, uid) if since is None and pid is not None else 0.0,
                            uid=uid)
        self._seq += 1
        head = json.dumps({**header, "seq": self._seq}).encode()
        try:
            _write_all(self._req, _HEADER.pack(len(head)) + head + b"".join(blobs))
            raw = _read_frame(self._resp, clock)
            reply = _decode(raw, clock.elapsed(), self._nonce, self._seq)
        except _OverBudget as e:
            used = clock.used()
            message = (f"did not return within {timeout:g} s of CPU time" if e.which == "cpu" else
                       f"did not return within {timeout:g} s: it waited {clock.idle:.0f} s without computing "
                       f"(asleep or blocked)" if e.which == "idle" else
                       f"did not return within {clock.wall_seconds:.0f} s of wall-clock time (it used {used:.1f} s "
                       f"of CPU time; the budget is {timeout:g} s of CPU time)")
            return CallResult(False, None, CallKind.TIMEOUT, message, elapsed=clock.elapsed(), cpu=used)
        except (BrokenPipeError, EOFError):
            return CallResult(False, None, CallKind.CRASH, self._death(), elapsed=clock.elapsed())
        except _Garbled as e:
            return _garbled(str(e), clock.elapsed())
        except (ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError, RecursionError) as e:
            # whatever the bytes from the child make the decoding raise is theirs too: nothing the child
            # sends can end a call other than as this call's failure
            return _garbled(f"{type(e).__name__}: {e}"[:200], clock.elapsed())
        return dataclasses.replace(reply, cpu=clock.used())

    def _death(self) -> str:
        """Why the child stopped, once it has: exit code or signal, and its last stderr line."""
        proc = self._proc
        code = None
        if proc is not None:
            try:
                code = proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                code = None
        how = ("the process stopped" if code is None else
               f"the process exited (exit code {code})" if code >= 0 else
               f"the process was killed by signal {_signame(-code)}")
        last = ""
        if self._err is not None:
            self._err.seek(0, os.SEEK_END)
            size = self._err.tell()
            self._err.seek(max(0, size - 2000))
            lines = [ln for ln in self._err.read().decode("utf-8", "replace").splitlines() if ln.strip()]
            last = f": {lines[-1].strip()[:200]}" if lines else ""
        hint = "; do not call sys.exit or os._exit in graded code" if code == 0 else ""
        return how + last + hint


@dataclass
class _Budget:
    """The wall time one check has spent in the student's code, and the most it may."""

    spent: float = 0.0
    calls: int = 0
    allowed: float = 0.0

    def over(self, timeout: float) -> CallResult | None:
        """The time-out to report instead of a call, once the spent time reaches what the check may spend."""
        self.allowed = max(self.allowed, CHECK_CALLS_AT_LIMIT * timeout, CHECK_FLOOR_SECONDS)
        if self.spent < self.allowed:
            return None
        return CallResult(False, None, CallKind.TIMEOUT,
                          f"your code took longer than {self.allowed:g} s in all on this check ({self.spent:.3g} s "
                          f"over {self.calls} call{'s' * (self.calls != 1)}, each allowed {timeout:g} s; wall-clock "
                          "time, since a function that waits uses no CPU)", elapsed=0.0)


class _Garbled(Exception):
    pass


class _OverBudget(Exception):
    def __init__(self, which: str):
        super().__init__(which)
        self.which = which  # "cpu" or "wall"


def _garbled(why: str, elapsed: float) -> CallResult:
    return CallResult(False, None, CallKind.GARBLED,
                      f"sent the grader a malformed or forged reply ({why}); graded code must not write to the "
                      "grader's channel", elapsed=elapsed)


def _signame(n: int) -> str:
    import signal

    try:
        return signal.Signals(n).name
    except ValueError:
        return str(n)


# what torch says when code asks for CUDA on a machine without it (a CPU build, or a CUDA build without a GPU)
_NO_CUDA = ("Torch not compiled with CUDA", "no NVIDIA driver", "CUDA driver", "No CUDA GPUs", "CUDA is not available",
            "Attempting to deserialize object on a CUDA device")


def _import_message(reply: CallResult) -> str:
    if reply.kind == CallKind.TIMEOUT:
        return "importing the file " + reply.message
    if reply.kind == CallKind.ERROR and any(h.lower() in reply.message.lower() for h in _NO_CUDA):
        # .cuda() and .to("cuda") run on the CPU (gradekit/sandbox/child/preload.py); this is what cannot
        return (f"importing the file failed: this grader has no GPU: the file's top level asks for CUDA in a way "
                f"that cannot run on the CPU ({reply.message.removeprefix('importing the file raised ')}); move "
                f"tensors with .to(device) or .cuda() instead")
    return reply.message if reply.message.startswith("importing") else f"importing the file failed: {reply.message}"


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _read_exact(fd: int, n: int, clock: BudgetClock) -> bytes:
    chunks, left = [], n
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    while left:
        if not poller.poll(max(1, int(clock.next_wait() * 1000))):
            which = clock.over()
            if which is not None:
                raise _OverBudget(which)
            continue
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _read_frame(fd: int, clock: BudgetClock) -> tuple[dict, bytes]:
    (size,) = _HEADER.unpack(_read_exact(fd, _HEADER.size, clock))
    if size > 1 << 20:
        raise _Garbled(f"a header of {size} bytes")
    try:
        header = json.loads(_read_exact(fd, size, clock))
    except ValueError:
        raise _Garbled("a header that is not JSON") from None
    if not isinstance(header, dict):
        raise _Garbled(f"a header that is a JSON {type(header).__name__}, not an object")
    total = header.get("bytes")
    if type(total) is not int or not 0 <= total <= MAX_REPLY_BYTES:
        raise _Garbled(f"{total!r} bytes of arrays, not a count up to {MAX_REPLY_BYTES}")
    return header, _read_exact(fd, total, clock)


# What a reply header may hold, and the failures the harness itself reports (the parent names the others:
# timeout, crash, garbled, import).
_REPLY_KEYS = frozenset({"ok", "value", "kind", "error", "output", "bytes", "nonce", "seq"})
CHILD_KINDS = frozenset({CallKind.NOT_IMPLEMENTED, CallKind.ERROR, CallKind.EXIT, CallKind.MEMORY, CallKind.MISSING,
                         CallKind.SYNTAX, CallKind.DATA})


def _decode(raw: tuple[dict, bytes], elapsed: float, nonce: str, seq: int) -> CallResult:
    """The reply to request ``seq`` of the child that was sent ``nonce``, validated field by field.

    Anything off — an unknown key, a wrong nonce or sequence number, a kind the harness never sends,
    a field of the wrong type — is a garbled reply: student code wrote to the channel.
    """
    header, data = raw
    extra = set(header) - _REPLY_KEYS
    if extra:
        raise _Garbled(f"unknown fields {sorted(extra)[:3]}")
    if header.get("nonce") != nonce or type(header.get("seq")) is not int or header["seq"] != seq:
        raise _Garbled("a reply that does not answer this request")
    ok, output = header.get("ok"), header.get("output", "")
    if type(ok) is not bool or not isinstance(output, str):
        raise _Garbled("a reply without a valid ok/output")
    output = output[:4000]
    if not ok:
        kind, error = header.get("kind"), header.get("error", "")
        if kind not in CHILD_KINDS or not isinstance(error, str) or "value" in header or data:
            raise _Garbled(f"a failure of kind {str(kind)[:40]!r}")
        return CallResult(False, None, CallKind(kind), error[:500], output, elapsed)
    if "kind" in header or "error" in header:
        raise _Garbled("a success that names a failure")
    if "value" not in header:
        if data:
            raise _Garbled("extra bytes")
        return CallResult(True, None, output=output, elapsed=elapsed)
    try:
        value, used = _unpack(header["value"], data, 0, 0)
    except (_Garbled, ValueError, TypeError, KeyError) as e:
        return CallResult(False, None, CallKind.DATA, f"returned unusable data ({e})", output, elapsed)
    if used != len(data):
        return CallResult(False, None, CallKind.DATA, "returned unusable data (extra bytes)", output, elapsed)
    return CallResult(True, value, output=output, elapsed=elapsed)


def _unpack(spec: Any, data: bytes, offset: int, depth: int) -> tuple[Any, int]:
    """Rebuild the child's value: {"npy": n} arrays, {"seq": [...]} tuples, {"json": x} str/None."""
    if depth > 8 or not isinstance(spec, dict) or len(spec) != 1:
        raise _Garbled("a malformed value")
    (kind, v), = spec.items()
    if kind == "npy":
        if not isinstance(v, int) or v < 0 or offset + v > len(data):
            raise _Garbled("a bad array length")
        arr = np.load(io.BytesIO(data[offset:offset + v]), allow_pickle=False)
        if arr.dtype.kind not in "biuf":
            raise _Garbled(f"an array of dtype {arr.dtype}")
        return arr, offset + v
    if kind == "seq" and isinstance(v, list):
        out = []
        for item in v:
            x, offset = _unpack(item, data, offset, depth + 1)
            out.append(x)
        return tuple(out), offset
    if kind == "json" and (v is None or isinstance(v, str)):
        return v, offset
    raise _Garbled(f"a value of kind {kind!r}")

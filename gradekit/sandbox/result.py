"""What a child hands back: how it ended, its capped output, and result.json read with a size cap."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

RESULT_FILE = "result.json"


@dataclass(frozen=True)
class ChildResult:
    """How a child ended and what it left.

    ``killed_by_signal`` is the signal number when the child died of a signal
    (SIGKILL after a timeout, SIGXCPU past the CPU limit, SIGXFSZ past the file
    size limit ...). ``result`` is the bytes of result.json, or None when the
    child wrote none or it was unusable, in which case ``result_error`` says why.
    """

    returncode: int
    stdout: str
    stderr: str
    timed_out: bool
    killed_by_signal: int | None
    result: bytes | None
    elapsed: float
    result_error: str | None = None


def read_capped(f, cap: int) -> str:
    """The stream's text, or its head and tail around a note when it is over ``cap``."""
    fd = f.fileno()
    size = os.fstat(fd).st_size
    if size <= cap:
        data = os.pread(fd, size, 0)
    else:
        head = cap // 2
        tail = cap - head
        data = (os.pread(fd, head, 0)
                + f"\n[... {size - cap} bytes cut ...]\n".encode()
                + os.pread(fd, tail, size - tail))
    return data.decode("utf-8", errors="replace")


def read_result(path: Path, cap: int) -> tuple[bytes | None, str | None]:
    try:
        # No symlinks (to /dev/zero, to secrets), no blocking on a FIFO.
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return None, None
    except OSError as e:
        return None, f"{RESULT_FILE} cannot be opened ({e.strerror})"
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return None, f"{RESULT_FILE} is not a regular file"
        if st.st_size > cap:
            return None, f"{RESULT_FILE} has {st.st_size} bytes, over the limit of {cap}"
        chunks, left = [], cap + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        if len(data) > cap:  # grew after fstat (an escaped process still writing)
            return None, f"{RESULT_FILE} is over the limit of {cap} bytes"
        return data, None
    finally:
        os.close(fd)


def child_result(returncode: int, out, err, limits, *, timed_out: bool, elapsed: float, result: bytes | None,
                 result_error: str | None) -> ChildResult:
    """How a child ended (its exit code as ``os.waitstatus_to_exitcode`` gives it), its output files read
    back under ``limits.output_bytes``, and what result.json held."""
    return ChildResult(returncode=returncode, stdout=read_capped(out, limits.output_bytes),
                       stderr=read_capped(err, limits.output_bytes), timed_out=timed_out,
                       killed_by_signal=-returncode if returncode < 0 else None, result=result, elapsed=elapsed,
                       result_error=result_error)

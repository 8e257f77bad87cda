"""A student's zip or tar archive, unpacked within bounds into a folder of the student's own.

An archive is untrusted data, and its headers lie as easily as its contents. So:

- the archive is read once, bounded (``read_file``: no link followed, at most ``max_archive_bytes``);
- the whole archive is refused (``ArchiveError``) when it holds more than ``max_members`` members, more than
  ``max_bytes`` once unpacked, or unpacks to more than ``max_ratio`` times its size (a zip bomb): counted as
  the bytes come out, never from what the headers declare;
- a member is skipped, with its reason, when its path would leave the folder (``../``, an absolute path, a
  drive), when it is a link (symbolic or hard) or anything but a regular file, when it is encrypted, or when
  its name was given before;
- a compressed tar is decompressed with the same bound before tarfile sees it, so a tar.gz bomb stops at the
  bound, not at the end of its stream.

Nothing of an archive runs here, and an archive inside an archive is written as a file, never unpacked.

>>> is_archive("hw2.zip"), is_archive("hw2.tar.gz"), is_archive("answers.py")
(True, True, False)
>>> safe_member_path("src/task1.py"), safe_member_path("../ada/task1.py"), safe_member_path("/etc/passwd")
('src/task1.py', None, None)
"""

from __future__ import annotations

import bz2
import io
import lzma
import os
import stat
import tarfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Callable

from gradekit.core.errors import SubmissionError
from gradekit.core.files import read_file

__all__ = ["ARCHIVE_SUFFIXES", "ArchiveBounds", "ArchiveError", "Unpacked", "archive_stem", "is_archive",
           "safe_member_path", "unpack"]

ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")
_CHUNK = 1 << 16
_RATIO_FLOOR = 2**20  # bytes out below which no ratio is judged: a small file of blanks compresses 1000-fold


class ArchiveError(SubmissionError):
    """An archive refused whole: not an archive, or over a bound (a bomb): the student's bad input."""


@dataclass(frozen=True)
class ArchiveBounds:
    """What one archive may hold. The defaults fit a course's homework (code, notebooks, a few figures) many
    times over and stop a bomb early; ``max_bytes`` equals what a submission folder may hold to grade."""

    max_archive_bytes: int = 64 * 2**20
    max_bytes: int = 64 * 2**20  # unpacked, all members together
    max_members: int = 2000
    max_ratio: float = 100.0  # unpacked / packed, judged once more than 1 MiB came out


@dataclass
class Unpacked:
    """What ``unpack`` wrote (``files``: relative names) and what it ``skipped``: (name, reason)."""

    files: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def is_archive(name: str | Path) -> bool:
    """Whether a file of this name is read as an archive (by its suffix, any case)."""
    return str(name).lower().endswith(ARCHIVE_SUFFIXES)


def archive_stem(name: str) -> str:
    """The name without its archive suffix: ``ada.tar.gz`` -> ``ada``."""
    lower = name.lower()
    for suffix in sorted(ARCHIVE_SUFFIXES, key=len, reverse=True):
        if lower.endswith(suffix):
            return name[:-len(suffix)]
    return name


def safe_member_path(name: str) -> str | None:
    """A member's name as a relative path inside the folder, or None when it would leave it (``..``, an
    absolute path, a drive letter, a NUL). Backslashes are separators (archives made on Windows)."""
    if "\x00" in name:
        return None
    name = name.replace("\\", "/")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return None
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if not parts or any(p == ".." for p in parts):
        return None
    return "/".join(parts)


def unpack(archive: Path, dest: Path, bounds: ArchiveBounds = ArchiveBounds(), *,
           shown: str | None = None) -> Unpacked:
    """Unpack ``archive`` (a zip or a tar, compressed or not) into ``dest`` (made; an empty folder if it exists).

    ``shown``: the archive's name in messages (default: its path). Raises ``ArchiveError`` for an archive
    refused whole (nothing of it is kept: ``dest`` is emptied), ``SubmissionError`` when it cannot be read.
    """
    shown = shown or str(archive)
    data = read_file(archive, bounds.max_archive_bytes, what="archives")
    dest.mkdir(parents=True, exist_ok=True)
    out = _Writer(dest, bounds, shown, len(data))
    try:
        if archive.name.lower().endswith(".zip"):
            _unzip(data, out)
        else:
            _untar(archive.name.lower(), data, out)
    except ArchiveError:
        out.discard()
        raise
    return out.result


class _Writer:
    """Writes members under ``dest``, counting every byte against the bounds."""

    def __init__(self, dest: Path, bounds: ArchiveBounds, shown: str, packed: int):
        self.dest, self.bounds, self.shown, self.packed = dest, bounds, shown, max(packed, 1)
        self.total = 0
        self.result = Unpacked()
        self.written: set[str] = set()
        self.folders: set[str] = set()

    def refuse(self, why: str) -> None:
        raise ArchiveError(f"{self.shown}: {why}; the archive is not unpacked")

    def skip(self, name: str, why: str) -> None:
        self.result.skipped.append((name, why))

    def place(self, name: str) -> Path | None:
        """Where member ``name`` goes, or None (skipped, with the reason) when it cannot go anywhere."""
        rel = safe_member_path(name)
        if rel is None:
            self.skip(name, "its path leaves the student's folder; not unpacked")
            return None
        parents = ["/".join(rel.split("/")[:k]) for k in range(1, rel.count("/") + 1)]
        if rel in self.written or rel in self.folders or any(p in self.written for p in parents):
            self.skip(name, "another member has this name already; not unpacked")
            return None
        self.folders.update(parents)
        return self.dest / rel

    def write(self, name: str, rel_path: Path, stream: IO[bytes]) -> None:
        rel_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(rel_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        with os.fdopen(fd, "wb") as f:
            while chunk := stream.read(_CHUNK):
                self.total += len(chunk)
                self.check()
                f.write(chunk)
        rel = str(rel_path.relative_to(self.dest))
        self.written.add(rel)
        self.result.files.append(rel)

    def check(self) -> None:
        if self.total > self.bounds.max_bytes:
            self.refuse(f"unpacks to more than {self.bounds.max_bytes // 2**20} MiB")
        if self.total > _RATIO_FLOOR and self.total / self.packed > self.bounds.max_ratio:
            self.refuse(f"unpacks to more than {self.bounds.max_ratio:g} times its size (a zip bomb?)")

    def count(self, members: int) -> None:
        if members > self.bounds.max_members:
            self.refuse(f"has more than {self.bounds.max_members} members")

    def discard(self) -> None:
        import shutil

        shutil.rmtree(self.dest, ignore_errors=True)
        self.dest.mkdir(parents=True, exist_ok=True)
        self.result = Unpacked()


def _unzip(data: bytes, out: _Writer) -> None:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise ArchiveError(f"{out.shown}: not a zip archive ({e})") from None
    with zf:
        members = zf.infolist()
        out.count(len(members))
        for info in members:
            mode = info.external_attr >> 16
            if info.is_dir():
                continue
            if stat.S_ISLNK(mode):
                out.skip(info.filename, "is a symbolic link; links are not graded, hand in the file itself")
                continue
            if stat.S_IFMT(mode) and not stat.S_ISREG(mode):  # 0: a zip made without Unix modes
                out.skip(info.filename, "is not a regular file; not unpacked")
                continue
            if info.flag_bits & 0x1:
                out.skip(info.filename, "is encrypted; hand it in without a password")
                continue
            target = out.place(info.filename)
            if target is None:
                continue
            try:
                with zf.open(info) as stream:
                    out.write(info.filename, target, stream)
            except (zipfile.BadZipFile, NotImplementedError, zlib.error, EOFError, lzma.LZMAError, OSError) as e:
                target.unlink(missing_ok=True)
                out.skip(info.filename, f"cannot be unpacked ({e})")


_DECOMPRESSORS: dict[str, Callable[[], Any]] = {".gz": lambda: zlib.decompressobj(wbits=47), ".tgz": lambda: zlib.decompressobj(wbits=47),
                  ".bz2": bz2.BZ2Decompressor, ".tbz2": bz2.BZ2Decompressor,
                  ".xz": lzma.LZMADecompressor, ".txz": lzma.LZMADecompressor}


def _untar(name: str, data: bytes, out: _Writer) -> None:
    suffix = next((s for s in _DECOMPRESSORS if name.endswith(s)), None)
    if suffix is not None:
        data = _decompressed(data, _DECOMPRESSORS[suffix](), out)
    try:
        tf = tarfile.open(fileobj=io.BytesIO(data), mode="r:")
    except (tarfile.TarError, OSError) as e:
        raise ArchiveError(f"{out.shown}: not a tar archive ({e})") from None
    with tf:
        members = 0
        while True:
            try:
                info = tf.next()
            except tarfile.TarError as e:
                raise ArchiveError(f"{out.shown}: not a tar archive ({e})") from None
            if info is None:
                break
            members += 1
            out.count(members)
            if info.isdir():
                continue
            if info.issym() or info.islnk():
                out.skip(info.name, "is a link; links are not graded, hand in the file itself")
                continue
            if not info.isreg():
                out.skip(info.name, "is not a regular file; not unpacked")
                continue
            target = out.place(info.name)
            if target is None:
                continue
            try:
                stream = tf.extractfile(info)
                if stream is not None:
                    out.write(info.name, target, stream)
            except (tarfile.TarError, OSError, EOFError) as e:  # a header that promises more than the archive has
                target.unlink(missing_ok=True)
                out.skip(info.name, f"cannot be unpacked ({e})")


def _decompressed(data: bytes, decompressor: object, out: _Writer) -> bytes:
    """A compressed tar's plain bytes, stopped at the bound (tar headers are 512 bytes a member on top)."""
    limit = out.bounds.max_bytes + 1024 * (out.bounds.max_members + 2)
    pieces, size = [], 0
    try:
        if isinstance(decompressor, (bz2.BZ2Decompressor, lzma.LZMADecompressor)):
            piece = decompressor.decompress(data, max_length=limit + 1 - size)
        else:  # zlib's
            piece = decompressor.decompress(data, limit + 1 - size)  # type: ignore[attr-defined]
    except (OSError, EOFError, zlib.error, lzma.LZMAError, ValueError) as e:
        raise ArchiveError(f"{out.shown}: not a compressed tar archive ({e})") from None
    pieces.append(piece)
    size += len(piece)
    if size > limit:
        out.refuse(f"unpacks to more than {out.bounds.max_bytes // 2**20} MiB")
    if size > _RATIO_FLOOR and size / out.packed > out.bounds.max_ratio:
        out.refuse(f"unpacks to more than {out.bounds.max_ratio:g} times its size (a zip bomb?)")
    return b"".join(pieces)

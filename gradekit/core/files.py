"""A student's files, read as what they are: regular files of the student's own tree, never a link's target.

A submission is untrusted, and the grader runs as root. Git checkouts and unzipped Gradescope
exports keep symbolic links: ``task1.py -> .../gradekit/problems/ece449-a2/task1_solution.py`` would hand the
reference solution to the child, ``zed/task1.py -> ../ada/task1.py`` a classmate's work,
``answers.json -> /dev/zero`` a read without end, and a FIFO a read that blocks forever. So every
file of a submission is found (``walk``) and read (``read_file``) here, by these rules:

- no symbolic link is followed below the submission's own path (the file or folder the grader was
  given; the folders above it are the instructor's): each folder on the way is opened relative to
  the one above with ``O_NOFOLLOW``, and so is the file, so a link swapped in after a check is
  refused by the open itself (no check-then-use race);
- every link is refused, one to another of the student's own files too: one rule, nothing to
  resolve, and a student hands in the file itself;
- only a regular file with one name is read: ``lstat`` before the open (a device or a FIFO is never
  opened), ``fstat`` after it, on the same inode; a second name (``st_nlink > 1``) is a hard link,
  which may be a file outside the student's tree (so both names of a hard-linked pair are refused);
- the open is ``O_NONBLOCK`` (a FIFO swapped in between the two looks does not block) and the read
  stops one byte past its bound, whatever the size said.

>>> read_file(Path("answers.json"), 2**20)            # doctest: +SKIP
b'{"q3.2": {"L": 116}}'
>>> [str(r) for r in walk(Path("sub"), (".py",)).refused]   # doctest: +SKIP
["task1.py: is a symbolic link (to '../ada/task1.py'); links are not graded, hand in the file itself"]
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from gradekit.core.errors import SubmissionError

__all__ = ["RefusedFile", "Tree", "read_file", "walk", "MAX_WALK_DEPTH"]

MAX_WALK_DEPTH = 32  # folders inside folders of a submission; deeper ones are not searched
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_LINK_TEXT = 120  # characters of a link's target shown (escaped): enough to name it, no more


class RefusedFile(SubmissionError):
    """A file of a submission that is not read: a link, a device, a FIFO, a socket, or a file with two names.

    ``name`` is the file as the student named it (relative to the submission's folder, where there is one).
    """

    def __init__(self, name: str, reason: str):
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


@dataclass
class Tree:
    """What a submission folder holds to grade: ``files`` (full paths, sorted), and what was ``refused``."""

    files: list[Path] = field(default_factory=list)
    refused: list[RefusedFile] = field(default_factory=list)
    # the rest, never read: files of other suffixes, and hidden names (``.git/``, ``__MACOSX/``, not searched)
    other: list[str] = field(default_factory=list)


def read_file(path: Path, limit: int, *, root: Path | None = None, what: str = "answers files") -> bytes:
    """The bytes of ``path``, a regular file of one name, at most ``limit`` of them.

    ``root``: the submission's folder, which holds ``path``; no link is followed from ``root`` (itself
    included) down to the file. Without it only ``path`` itself must not be a link. Raises
    ``RefusedFile`` for a link or what is not a file, ``SubmissionError`` when it is missing, unreadable
    or larger than ``limit`` (``what``, plural, names such files in that message).
    """
    path = Path(path)
    if root is not None and Path(root).name in ("", "..", "."):
        root, path = Path(os.path.abspath(root)), Path(os.path.abspath(path))
    if root is None:
        parent, names, shown = path.parent, [path.name], str(path)
    else:
        names = list(path.relative_to(root).parts)
        parent, shown = Path(root).parent, str(path)
        names.insert(0, Path(root).name)
    try:
        fd = os.open(parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)  # the instructor's, links and all
    except FileNotFoundError:
        raise SubmissionError(f"{shown}: no such file") from None
    except OSError as e:
        raise SubmissionError(f"{shown}: cannot be read ({e.strerror or e})") from None
    try:
        for i, name in enumerate(names[:-1]):
            sub = _enter(fd, name, "/".join(names[1:i + 1]) or str(root), shown)
            os.close(fd)
            fd = sub
        return _read(fd, names[-1], shown, limit, what)
    finally:
        os.close(fd)


def walk(folder: Path, suffixes: tuple[str, ...]) -> Tree:
    """The files under ``folder`` whose name ends in one of ``suffixes`` (any case), never through a link.

    Names starting with ``.`` or ``__`` are skipped, as are their contents. A link of any name is
    refused (a link to a folder would bring its files); so is a device, FIFO, socket or hard-linked
    file with a graded suffix. ``folder`` itself must not be a link (``RefusedFile``).
    """
    folder = Path(folder)
    tree = Tree()
    try:
        st = os.lstat(folder)
    except FileNotFoundError:
        raise SubmissionError(f"{folder}: no such folder") from None
    if stat.S_ISLNK(st.st_mode):
        raise RefusedFile(str(folder), _link_reason(os.readlink(folder)))
    try:
        fd = os.open(folder, _DIR_FLAGS)
    except OSError as e:
        raise SubmissionError(f"{folder}: cannot be read ({e.strerror or e})") from None
    try:
        _walk(fd, folder, "", tuple(s.lower() for s in suffixes), tree, 0)
    finally:
        os.close(fd)
    tree.files.sort()
    tree.refused.sort(key=lambda r: r.name)
    tree.other.sort()
    return tree


def _walk(fd: int, folder: Path, rel: str, suffixes: tuple[str, ...], tree: Tree, depth: int) -> None:
    with os.scandir(fd) as it:
        entries = sorted(it, key=lambda e: e.name)
    for entry in entries:
        name = f"{rel}{entry.name}"
        if entry.name.startswith((".", "__")):
            tree.other.append(f"{name}/" if entry.is_dir(follow_symlinks=False) else name)
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except FileNotFoundError:  # gone since the listing
            continue
        graded = entry.name.lower().endswith(suffixes)
        if stat.S_ISLNK(st.st_mode):
            tree.refused.append(RefusedFile(name, _link_reason(os.readlink(entry.name, dir_fd=fd))))
        elif stat.S_ISDIR(st.st_mode):
            if depth >= MAX_WALK_DEPTH:
                continue
            try:
                sub = os.open(entry.name, _DIR_FLAGS, dir_fd=fd)
            except OSError as e:  # swapped for a link, or gone, since the listing
                if _swapped(e):
                    tree.refused.append(RefusedFile(name, _SWAPPED))
                continue
            try:
                _walk(sub, folder, f"{name}/", suffixes, tree, depth + 1)
            finally:
                os.close(sub)
        elif graded:
            why = _not_a_file(st)
            if why is None:
                tree.files.append(folder / name)
            else:
                tree.refused.append(RefusedFile(name, why))
        else:
            tree.other.append(name)


def _enter(fd: int, name: str, shown_dir: str, shown: str) -> int:
    """Open folder ``name`` under ``fd`` without following a link."""
    try:
        sub = os.open(name, _DIR_FLAGS, dir_fd=fd)
    except OSError as e:
        st = _lstat(fd, name)
        if st is not None and stat.S_ISLNK(st.st_mode):
            raise RefusedFile(shown_dir, _link_reason(os.readlink(name, dir_fd=fd))) from None
        if isinstance(e, (FileNotFoundError, NotADirectoryError)):
            raise SubmissionError(f"{shown}: no such file") from None
        raise SubmissionError(f"{shown}: cannot be read ({e.strerror or e})") from None
    return sub


def _read(fd: int, name: str, shown: str, limit: int, what: str) -> bytes:
    before = _lstat(fd, name)
    if before is None:
        raise SubmissionError(f"{shown}: no such file")
    if stat.S_ISDIR(before.st_mode):
        raise SubmissionError(f"{shown}: is a directory, not an answers file")
    if stat.S_ISLNK(before.st_mode):
        raise RefusedFile(shown, _link_reason(os.readlink(name, dir_fd=fd)))
    why = _not_a_file(before)
    if why is not None:  # never opened: opening a device may do something
        raise RefusedFile(shown, why)
    if before.st_size > limit:
        raise SubmissionError(_too_large(shown, before.st_size, limit, what))
    try:
        file = os.open(name, _FILE_FLAGS, dir_fd=fd)
    except OSError as e:
        if _swapped(e):
            raise RefusedFile(shown, _SWAPPED) from None
        raise SubmissionError(f"{shown}: cannot be read ({e.strerror or e})") from None
    try:
        after = os.fstat(file)
        why = _not_a_file(after)
        if why is not None or (after.st_dev, after.st_ino) != (before.st_dev, before.st_ino):
            raise RefusedFile(shown, why or "was replaced while it was read")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(file, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:  # it grew since the look
            raise SubmissionError(_too_large(shown, max(size, os.fstat(file).st_size), limit, what))
        return b"".join(chunks)
    except OSError as e:
        raise SubmissionError(f"{shown}: cannot be read ({e.strerror or e})") from None
    finally:
        os.close(file)


def _lstat(fd: int, name: str) -> os.stat_result | None:
    try:
        return os.stat(name, dir_fd=fd, follow_symlinks=False)
    except FileNotFoundError:
        return None


def _not_a_file(st: os.stat_result) -> str | None:
    """Why a file of this status is not read, or None for a regular file of one name."""
    mode = st.st_mode
    if stat.S_ISREG(mode):
        if st.st_nlink > 1:
            return (f"has {st.st_nlink} names (a hard link, perhaps to a file outside the submission); "
                    f"hand in a copy of the file itself")
        return None
    kind = ("a FIFO" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode)
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a folder" if stat.S_ISDIR(mode)
            else "a symbolic link" if stat.S_ISLNK(mode) else "not a file")
    return f"is not a regular file ({kind}); hand in the file itself"


def _link_reason(target: str) -> str:
    shown = target if len(target) <= _LINK_TEXT else target[:_LINK_TEXT] + "..."
    return f"is a symbolic link (to {shown!r}); links are not graded, hand in the file itself"  # repr: escaped


_SWAPPED = "is a symbolic link (put in place while it was read); links are not graded, hand in the file itself"


def _swapped(e: OSError) -> bool:
    """Whether an open without following links failed because the name is now a link."""
    return e.errno == errno.ELOOP


def _too_large(shown: str, size: int, limit: int, what: str) -> str:
    return f"{shown}: has {size} bytes; {what} are at most {limit // 2**20} MiB"

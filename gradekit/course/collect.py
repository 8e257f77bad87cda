"""A class folder read so that every submission, and every file in it, is accounted for.

``collect`` turns a class folder into one ``Entry`` per student:

- a file or a sub-folder per student (``ada.py``, ``ada/``, Gradescope's ``submission_123/``), as before;
- a zip or tar archive (``ada.zip``, or ``ada/hw2.zip``) unpacked within bounds (``gradekit.intake.archive``)
  into the student's own folder under ``unpack_to`` (``OUT/.gradekit-unpacked``), with the student's other
  files beside it, and graded as that folder;
- a Canvas or Blackboard download (``gradekit.course.lms``): each student's files gathered under their
  original names, one attempt chosen;
- every file not graded is in the entry's ``skipped`` with its reason (an unknown suffix, an earlier attempt,
  a link, a member whose path leaves the folder, an archive refused whole); a student with nothing gradable is
  an entry with no path and the reason;
- with a roster (``gradekit.course.roster``): entries filed under the roster's IDs with names, e-mails and
  sections, and a "no submission" entry for each student of the roster who handed in nothing.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path

from gradekit.core.errors import SubmissionError
from gradekit.core.files import RefusedFile, read_file, walk
from gradekit.course.entry import Entry
from gradekit.course.lms import AttemptChoice, Lms, LmsFile, choose_attempts, detect_lms, parse_name
from gradekit.course.roster import Roster
from gradekit.grading.grade import nothing_to_grade, submitted_files
from gradekit.intake.archive import ArchiveBounds, archive_stem, is_archive, safe_member_path, unpack
from gradekit.intake.submission import MAX_FILE_BYTES, SUFFIXES

__all__ = ["ClassOptions", "UNPACKED_FOLDER", "collect", "unknown_suffix"]

UNPACKED_FOLDER = ".gradekit-unpacked"  # under the output folder: archives and LMS downloads, per student


@dataclass(frozen=True)
class ClassOptions:
    """How a class folder is read (``gradekit grade --roster --attempt``)."""

    roster: Roster | None = None
    attempts: AttemptChoice = AttemptChoice.LATEST
    unpack_to: Path | None = None  # default: a temporary folder of this process
    bounds: ArchiveBounds = field(default_factory=ArchiveBounds)


def unknown_suffix(name: str) -> str:
    return (f"not graded: its suffix {Path(name).suffix or '(none)'!r} is not one gradekit grades "
            f"({', '.join(SUFFIXES)}, or a .zip/.tar archive of them)")


def collect(folder: Path, children: list[Path], submitters: dict, options: ClassOptions,
            notes: list[str]) -> list[Entry]:
    """The entries of ``children`` (the class folder's, the output folder and metadata aside)."""
    stage = _Stage(options)
    loose = {c.name for c in children if not c.is_dir()}
    lms = detect_lms((c.name for c in children), aside=lambda n: n in loose and not _submittable(n))
    if lms is not None:
        notes.append(f"{folder}: read as a {lms.value.capitalize()} download ({len(children)} files)")
        stray = [c.name for c in children if parse_name(c.name, lms) is None and not c.name.startswith((".", "__"))]
        if stray:
            notes.append(f"{folder}: not named as {lms.value.capitalize()} names submissions, so no student's and "
                         f"not graded: {', '.join(stray[:10])}" + (" ..." if len(stray) > 10 else ""))
        entries = _lms_entries(children, lms, options, stage)
    else:
        entries = _plain_entries(children, submitters, stage)
    if options.roster is not None:
        entries = _on_roster(entries, options.roster, folder, lms, notes)
    return entries


class _Stage:
    """The folders where students' submissions are assembled (archives unpacked, LMS names undone)."""

    def __init__(self, options: ClassOptions):
        self.options = options
        self._root = options.unpack_to
        self._emptied = False
        self.used: set[Path] = set()

    @property
    def root(self) -> Path:
        if self._root is None:  # made only when a submission needs assembling
            self._root = Path(tempfile.mkdtemp(prefix="gradekit-unpacked-"))
        elif not self._emptied and self._root.name == UNPACKED_FOLDER and self._root.is_dir() \
                and not self._root.is_symlink():  # ours, in the output folder: last run's students go
            shutil.rmtree(self._root)
        self._emptied = True
        return self._root

    def folder(self, student: str) -> Path:
        slug = re.sub(r"[^A-Za-z0-9._@+-]+", "_", student)[:40].strip("._-") or "student"
        path = self.root / f"{slug}-{hashlib.sha256(student.encode('utf-8', 'surrogatepass')).hexdigest()[:12]}"
        while path in self.used:  # two submissions of one id (ada.zip and ada/): each its own folder
            path = path.with_name(path.name + "+")
        self.used.add(path)
        if path.is_symlink() or path.is_file():
            path.unlink()
        elif path.exists():
            shutil.rmtree(path)
        path.mkdir(parents=True)
        return path

    def assemble(self, student: str, files: list[tuple[Path, str]], skipped: list[tuple[str, str]]) -> Path | None:
        """A folder of ``files`` ((path, name the student gave it)): gradable ones copied, archives unpacked,
        the rest added to ``skipped``. None when nothing in it is gradable."""
        dest = self.folder(student)
        unpacked: list[tuple[str, str]] = []  # (where in dest, the archive's name): to name what it held
        for path, name in files:
            if is_archive(name):
                sub = dest / archive_stem(name) if len(files) > 1 else dest  # beside the others: in its own folder
                try:
                    got = unpack(path, sub, self.options.bounds, shown=name)
                except RefusedFile as e:  # a link, a FIFO: never read
                    skipped.append((name, e.reason))
                    continue
                except SubmissionError as e:  # a bomb, not an archive, too large: the archive is refused whole
                    skipped.append((name, str(e).removeprefix(f"{path}: ").removeprefix(f"{name}: ")))
                    continue
                unpacked.append(("" if sub == dest else f"{archive_stem(name)}/", name))
                skipped.extend((f"{name}/{n}", why) for n, why in got.skipped)
            elif name.lower().endswith(SUFFIXES):
                try:
                    data = read_file(path, MAX_FILE_BYTES)
                except RefusedFile as e:
                    skipped.append((name, e.reason))
                    continue
                except SubmissionError as e:
                    skipped.append((name, str(e).removeprefix(f"{path}: ")))
                    continue
                if safe_member_path(name) != name:  # an LMS's original name is the student's: never a path out
                    skipped.append((name, "its name is no plain file name; not graded"))
                    continue
                target = dest / name
                if target.exists():
                    skipped.append((name, "another file has this name already; not graded"))
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)  # a folder of the student's own (src/x.py)
                target.write_bytes(data)
            else:
                skipped.append((name, unknown_suffix(name)))
        tree = walk(dest, SUFFIXES)
        for other in tree.other:  # what the archives held that is not graded, named inside its archive
            where, archive = next(((w, a) for w, a in unpacked if other.startswith(w)), ("", ""))
            shown = f"{archive}/{other[len(where):]}" if archive else other
            skipped.append((shown, _not_graded(other)))
        return dest if tree.files else None


def _plain_entries(children: list[Path], submitters: dict, stage: _Stage) -> list[Entry]:
    entries: list[Entry] = []
    loose: dict[str, list[Path]] = defaultdict(list)
    for child in children:
        if child.is_dir() and not child.is_symlink():
            who = submitters.get(child.name)
            student, name = (who.identity(child.name), who.name) if who else (child.name, "")
            submitted = who.submitted if who else ""
            tree = submitted_files(child)
            archives = [o for o in tree.other if is_archive(o)]
            skipped = [(o, _not_graded(o)) for o in tree.other if o not in archives]
            if archives:
                skipped += [(r.name, r.reason) for r in tree.refused]  # grading never sees the folder to say so  # the student's files and the archives' contents, in a folder of the student's own
                files = [(p, str(p.relative_to(child))) for p in tree.files] + [(child / a, a) for a in archives]
                path = stage.assemble(student, files, skipped)
                entries.append(Entry(student, path, None if path else _nothing(skipped), name, skipped=tuple(skipped),
                                     submitted=submitted, source=str(child)))
            elif tree.files or tree.refused:
                entries.append(Entry(student, child, name=name, skipped=tuple(skipped), submitted=submitted))
            else:
                entries.append(Entry(student, None, f"{child.name}: {nothing_to_grade()}", name,
                                     skipped=tuple(skipped), submitted=submitted))
        elif child.is_dir():  # a link to a folder: grading refuses it and says why
            entries.append(Entry(child.name, child))
        else:
            loose[archive_stem(child.name) if is_archive(child.name) else child.stem].append(child)
    for student, paths in loose.items():
        gradable = [f for f in paths if f.suffix.lower() in SUFFIXES]
        packed = [f for f in paths if is_archive(f.name)]
        skipped = [(f.name, unknown_suffix(f.name)) for f in paths
                   if f not in gradable and f not in packed]
        if packed:
            path = stage.assemble(student, [(f, f.name) for f in gradable + packed], skipped)
            entries.append(Entry(student, path, None if path else _nothing(skipped), skipped=tuple(skipped),
                                 source=", ".join(str(f) for f in gradable + packed)))
        elif gradable:
            entries += [Entry(student, f, skipped=tuple(skipped) if k == 0 else ()) for k, f in enumerate(gradable)]
        else:
            entries.append(Entry(student, None, _nothing(skipped), skipped=tuple(skipped)))
    return entries


def _submittable(name: str) -> bool:
    return name.lower().endswith(SUFFIXES) or is_archive(name)


def _not_graded(name: str) -> str:
    """Why a file a walk found is not graded (``name/``: a folder not searched)."""
    if name.rstrip("/").split("/")[-1].startswith((".", "__")):
        return "a hidden file or folder; not searched"
    return unknown_suffix(name)


def _nothing(skipped: list[tuple[str, str]]) -> str:
    listed = "; ".join(f"{n}: {why}" for n, why in skipped[:3]) + ("; ..." if len(skipped) > 3 else "")
    return f"nothing gradable was handed in ({listed or 'no file'})"


def _lms_entries(children: list[Path], lms: Lms, options: ClassOptions, stage: _Stage) -> list[Entry]:
    by_student: dict[str, list[LmsFile]] = defaultdict(list)
    paths = {c.name: c for c in children}
    for child in children:
        parsed = parse_name(child.name, lms)
        if parsed is not None:
            by_student[parsed.student].append(parsed)
    entries = []
    for student, files in sorted(by_student.items()):
        kept, skipped = choose_attempts(files, options.attempts)
        skipped += [(f.name, "Blackboard's receipt of the attempt (text it wrote, not the student's file)")
                    for f in kept if f.receipt]
        kept = [f for f in kept if not f.receipt]
        if any(paths[f.name].is_dir() for f in kept):
            skipped += [(f.name, "a folder in an LMS download; not graded") for f in kept if paths[f.name].is_dir()]
            kept = [f for f in kept if not paths[f.name].is_dir()]
        path = stage.assemble(student, [(paths[f.name], f.original) for f in kept], skipped)
        times = [f.submitted for f in kept if f.submitted is not None]
        entries.append(Entry(student, path, None if path else _nothing(skipped), name=files[0].slug,
                             skipped=tuple(skipped), submitted=max(times).isoformat() if times else "",
                             late_mark=any(f.late for f in kept), lms_key=student,
                             source=", ".join(f.name for f in kept)))
    return entries


def _on_roster(entries: list[Entry], roster: Roster, folder: Path, lms: Lms | None, notes: list[str]) -> list[Entry]:
    out, stray = [], []
    for e in entries:
        person = roster.match(e.student) or (roster.match(e.name, slug=True) if lms == Lms.CANVAS and e.name
                                             else None)
        if person is None:
            stray.append(e.student)
            out.append(e)
            continue
        out.append(replace(e, student=person.id, name=person.name, email=person.email, section=person.section,
                           login=person.login, lms_key=e.lms_key or person.lms_id))
    if stray:
        notes.append(f"{len(stray)} submission{'s' if len(stray) != 1 else ''} of {folder} not on the roster "
                     f"{roster.source}, filed under their own keys: " + ", ".join(stray[:10])
                     + (" ..." if len(stray) > 10 else ""))
    handed = {e.student for e in out}
    for person in roster.students:
        if person.id not in handed:
            out.append(Entry(person.id, None, f"no submission in {folder}", person.name, email=person.email,
                             section=person.section, login=person.login, lms_key=person.lms_id))
    return out

"""A class's roster: who is in it (ID, name, e-mail, section), read from the CSV a registrar or an LMS gives.

The header names the columns, in any order and any case: ``id`` (also ``student id``, ``sid``, ``sis user
id``), ``name`` (or ``first name`` and ``last name``), ``email`` (``e-mail``), ``section``, and the
optional keys an LMS files students under: ``login`` (``username``, ``sis login id``: Blackboard's
username) and ``lms id`` (``canvas id``, ``canvas user id``: the number in Canvas's file names). Other
columns are ignored.

A submission is matched to a row by its key (the LMS's user id or username, a folder's or file's name, a
Gradescope SID or e-mail): the row's ``lms id``, ``id``, ``login`` or ``email`` equal to it, else, for a
Canvas download, its name slug (``lovelaceada``) equal to one row's last and first names. A matched row is
filed under the roster's ID, with its name, e-mail and section; a roster row with no submission is a row
of its own ("no submission"), never absent.

The file is untrusted: bounded in bytes, rows and cell length; one line names the file, row and column of
the first thing wrong.

>>> roster = parse_roster("ID,Name,E-mail,Section\\n1001,Ada Lovelace,ada@x.edu,A\\n", "roster.csv")
>>> roster.match("ada@x.edu").name, roster.match("lovelaceada", slug=True).id
('Ada Lovelace', '1001')
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from gradekit.core.errors import GradekitError

__all__ = ["MAX_ROSTER_BYTES", "MAX_ROSTER_ROWS", "Roster", "RosterError", "Student", "name_slug", "parse_roster",
           "read_csv_rows", "read_roster"]

MAX_ROSTER_BYTES = 8 * 2**20
MAX_ROSTER_ROWS = 50_000
MAX_CELL = 500  # characters of one cell: a name, an e-mail, an id
_COLUMNS = {
    "id": ("id", "student id", "student_id", "sid", "sis user id", "student number"),
    "name": ("name", "full name", "student name", "student"),
    "first": ("first name", "first", "given name"),
    "last": ("last name", "last", "family name", "surname"),
    "email": ("email", "e-mail", "email address", "mail"),
    "section": ("section", "sections"),
    "login": ("login", "username", "user name", "sis login id", "login id", "netid"),
    "lms_id": ("lms id", "canvas id", "canvas user id", "user id"),
}


class RosterError(GradekitError):
    """A roster (or another course CSV) the run cannot take: the instructor's bad input, one line."""


@dataclass(frozen=True)
class Student:
    id: str
    name: str = ""
    email: str = ""
    section: str = ""
    login: str = ""
    lms_id: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name, "email": self.email, "section": self.section}


@dataclass
class Roster:
    source: Path | None
    students: list[Student] = field(default_factory=list)

    def by_id(self, sid: str) -> Student | None:
        return next((s for s in self.students if s.id == sid), None)

    def match(self, key: str, *, slug: bool = False) -> Student | None:
        """The student filed under ``key`` (an id, a login, an e-mail, an LMS id; ``slug``: also a Canvas name
        slug), or None; a key two rows share matches neither."""
        key = key.strip()
        if not key:
            return None
        for attr in ("lms_id", "id", "login"):
            hits = [s for s in self.students if getattr(s, attr) == key]
            if len(hits) == 1:
                return hits[0]
        hits = [s for s in self.students if s.email and s.email.casefold() == key.casefold()]
        if len(hits) == 1:
            return hits[0]
        if slug:
            hits = [s for s in self.students if name_slug(s.name) == key.casefold()]
            if len(hits) == 1:
                return hits[0]
        return None


def name_slug(name: str) -> str:
    """Canvas's slug of a name: last name then first names, lower case, letters and digits only.

    >>> name_slug("Ada King Lovelace"), name_slug("Lovelace, Ada")
    ('lovelaceadaking', 'lovelaceada')
    """
    if "," in name:  # "Lovelace, Ada": as Canvas's gradebook writes names
        last, _, first = name.partition(",")
        ordered = [last, first]
    else:
        words = name.split()
        ordered = [words[-1], *words[:-1]] if words else []
    plain = unicodedata.normalize("NFKD", "".join(ordered)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", plain.casefold())


def read_csv_rows(path: Path, limit: int, what: str, error: type[GradekitError] = RosterError,
                  max_cell: int | None = MAX_CELL) -> list[list[str]]:
    """A CSV file's rows, read within ``limit`` bytes, UTF-8 (a byte-order mark allowed), at most
    ``MAX_ROSTER_ROWS`` rows of cells of at most ``max_cell`` characters (any, for None); ``error`` names
    ``path`` otherwise."""
    try:
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    except OSError as e:
        raise error(f"{path}: cannot be read ({e.strerror or e})") from None
    if len(data) > limit:
        raise error(f"{path}: larger than {limit / 2**20:g} MiB; is it the {what}?")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise error(f"{path}: not UTF-8 text (byte {e.start}); save it as CSV UTF-8") from None
    rows = []
    try:
        for number, row in enumerate(csv.reader(io.StringIO(text, newline="")), 1):
            if number > MAX_ROSTER_ROWS + 1:
                raise error(f"{path}: more than {MAX_ROSTER_ROWS} rows; is it the {what}?")
            long = next((k for k, cell in enumerate(row) if max_cell is not None and len(cell) > max_cell), None)
            if long is not None:
                raise error(f"{path}: row {number}, column {long + 1}: longer than {max_cell} characters")
            rows.append(row)
    except csv.Error as e:
        raise error(f"{path}: not CSV ({e})") from None
    return rows


def read_roster(path: str | Path) -> Roster:
    """The roster in ``path``; ``RosterError`` (exit 2) naming the row and column of the first thing wrong."""
    path = Path(path)
    return _roster(read_csv_rows(path, MAX_ROSTER_BYTES, "roster"), path)


def parse_roster(text: str, shown: str = "roster") -> Roster:
    """A roster from CSV text (for tests and scripts)."""
    return _roster(list(csv.reader(io.StringIO(text, newline=""))), Path(shown))


def _roster(rows: list[list[str]], path: Path) -> Roster:
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        raise RosterError(f"{path}: empty; it needs a header row: ID, Name, E-mail, Section")
    header = [c.strip().casefold() for c in rows[0]]
    at = {key: next((header.index(n) for n in names if n in header), None) for key, names in _COLUMNS.items()}
    if "sis user id" in header and "id" in header:  # Canvas's own gradebook export: ID is Canvas's user id
        at["id"], at["lms_id"] = header.index("sis user id"), header.index("id")
    if at["id"] is None:
        raise RosterError(f"{path}: row 1: no ID column (one of {', '.join(_COLUMNS['id'])}); the header has "
                          f"{', '.join(repr(h) for h in header[:8])}")
    roster = Roster(path)
    seen: dict[str, int] = {}
    for number, row in enumerate(rows[1:], 2):
        cell = {key: (row[k].strip() if k is not None and k < len(row) else "") for key, k in at.items()}
        if not cell["id"]:
            raise RosterError(f"{path}: row {number}, column ID: empty; every student needs an ID")
        if cell["id"] in seen:
            raise RosterError(f"{path}: row {number}, column ID: {cell['id']!r} is on row {seen[cell['id']]} too")
        seen[cell["id"]] = number
        name = cell["name"] or " ".join(p for p in (cell["first"], cell["last"]) if p)
        roster.students.append(Student(cell["id"], name, cell["email"], cell["section"], cell["login"],
                                       cell["lms_id"]))
    return roster

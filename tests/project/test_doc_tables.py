"""The tables of README.md and docs/ that mirror code are checked against that code, so they cannot drift.

Part kinds (docs/authoring.md) against ``gradekit.check.kinds.KINDS``; exit codes (README) against the
errors' ``exit_code`` and what ``gradekit check`` returns; the code problems (docs/code-submissions.md)
against the catalog's specs; the layers (docs/development.md) against tests/project/test_layout.py's ``LAYERS``;
the problem count the README states against the catalog.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from gradekit.cli import main
from gradekit.catalog.catalog import load_catalog

ROOT = Path(__file__).resolve().parents[2]


def page(name: str) -> str:
    return (ROOT / name).read_text(encoding="utf-8")


def table_rows(text: str, after: str) -> list[list[str]]:
    """The cells of the first Markdown table after the line containing ``after`` (header and rule left out)."""
    lines = text.split(after, 1)[1].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split(" | ")])
    return rows


def test_the_part_kinds_table_is_kinds_py():
    from gradekit.check.kinds import KINDS

    rows = table_rows(page("docs/authoring.md"), "Part kinds (declared once")
    listed = {kind.strip("`"): (about, set(re.findall(r"`(\w+)`", options))) for kind, about, options in rows}
    assert listed == {k.name: (k.about, set(k.options)) for k in KINDS.values()}


def test_the_exit_codes_table_is_what_the_cli_returns(tmp_path):
    from gradekit.core import errors

    rows = table_rows(page("README.md"), "Exit codes of every command")
    assert [code for code, _ in rows] == ["`0`", "`1`", "`2`", "`3`"]
    raised = {cls.exit_code for cls in vars(errors).values()
              if isinstance(cls, type) and issubclass(cls, errors.GradekitError)}
    assert raised == {2, 3} and errors.GraderError.exit_code == 3 and errors.SubmissionError.exit_code == 2
    # an assignment of one problem (q3.2's spec), so that its solved key is full marks for the whole assignment
    course = tmp_path / "course" / "one-hw"
    course.mkdir(parents=True)
    (course / "assignment.toml").write_text('name = "one-hw"\ntitle = "One problem"\n')
    (course / "q3.2.toml").write_text((ROOT / "problems" / "ece661-hw1" / "q3.2.toml").read_text(encoding="utf-8"))
    run = lambda *args: CliRunner().invoke(main, ["--problems", str(tmp_path / "course"), *args])  # noqa: E731
    (tmp_path / "right.json").write_text(run("solve", "one-hw/q3.2", "--json").output)
    (tmp_path / "wrong.json").write_text(json.dumps({"one-hw/q3.2": {"L": 115}}))
    codes = [run("check", str(tmp_path / name)).exit_code for name in ("right.json", "wrong.json", "missing.json")]
    assert codes == [0, 1, 2]


def test_the_code_problems_table_is_the_catalogs():
    rows = table_rows(page("docs/code-submissions.md"), "The code problems of the catalog")
    listed = {problem.strip("`"): file.strip("`") for problem, file, _ in rows}
    specs = {p.qualified_id: p.params.get("file") for p in load_catalog().problems()
             if any(part.kind == "function" for part in p.parts)}
    assert listed == specs


def test_the_layers_table_is_the_layout_tests():
    from tests.project.test_layout import LAYERS

    rows = table_rows(page("docs/development.md"), "Inside `gradekit/`, each layer")
    assert [layer.strip("`/") for layer, _ in rows] == list(LAYERS)
    assert all((ROOT / "gradekit" / layer).is_dir() for layer in LAYERS)


def test_the_readme_counts_the_catalog():
    catalog = load_catalog()
    count = re.search(r"catalog holds (\d+) problems", page("README.md")).group(1)
    assert int(count) == len(catalog.problems())
    names = re.findall(r"`([\w-]+)`", page("README.md").split("catalog holds", 1)[1].split("\n\n", 1)[0])
    assert sorted(names) == sorted(catalog.assignments)


def test_every_docs_page_is_in_the_readmes_table_by_reader_once():
    rows = table_rows(page("README.md"), "Every page in docs/, by who reads it")
    readers = [reader for reader, _, _ in rows if reader]
    assert readers == ["students", "instructors", "authors", "operators", "contributors"]
    linked = [re.fullmatch(r"\[docs/([\w-]+\.md)\]\(docs/\1\)", link).group(1) for _, link, _ in rows]
    assert sorted(linked) == sorted(p.name for p in (ROOT / "docs").glob("*.md"))

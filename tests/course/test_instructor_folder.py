"""An instructor's own folder of assignments, through every command; a broken spec beside it hurts nobody else."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from gradekit.core.errors import SpecError
from gradekit.catalog.catalog import load_catalog
from gradekit.cli.commands import main
from gradekit.grading.grade import grade

BUILTIN = Path(__file__).resolve().parents[2] / "problems"


@pytest.fixture
def course(tmp_path):
    """my-hw1: a strided convolution's output size and a per-student backprop; bad-hw: an unknown family."""
    root = tmp_path / "course"
    hw = root / "my-hw1"
    hw.mkdir(parents=True)
    (hw / "assignment.toml").write_text('name = "my-hw1"\ntitle = "My homework 1"\n')  # points: from the parts
    conv = (BUILTIN / "cs37300-hw4" / "q3.1b.toml").read_text().replace('id = "q3.1b"', 'id = "conv"')
    (hw / "conv.toml").write_text(conv)
    backprop = (BUILTIN / "ece661-hw1" / "q3.2v.toml").read_text().replace('id = "q3.2v"', 'id = "bp"')
    (hw / "bp.toml").write_text(backprop)
    bad = root / "bad-hw"
    bad.mkdir()
    (bad / "assignment.toml").write_text('name = "bad-hw"\ntitle = "Broken"\n')
    (bad / "q1.toml").write_text('id = "q1"\ntitle = "x"\nfamily = "backprop.mpl2"\nstatement = "s"\n'
                                 '[[parts]]\nname = "a"\nkind = "number"\n')
    return root


def run(*args, env=None):
    return CliRunner().invoke(main, list(args), env=env)


def test_every_command_sees_the_folder_and_mentions_the_broken_assignment_in_one_line(course, tmp_path):
    opt = ["--problems", str(course)]
    r = run(*opt, "list", "my-hw1")
    assert r.exit_code == 0 and "conv" in r.output and "bp" in r.output
    assert "note: assignment bad-hw is not loaded:" in r.output and "family 'backprop.mpl2' is unknown; did you " \
        "mean 'backprop.mlp2'" in " ".join(r.output.split())
    assert "Output size" in run(*opt, "show", "my-hw1/conv").output
    solved = json.loads(run(*opt, "solve", "my-hw1/conv", "--json").stdout_bytes.decode().split("\ngradekit:")[0])
    assert solved["answers"]["shape"] == [5, 6]  # CATALOG.md: 10×12 input, 6×6 filter, pad 2, stride 2 → 5×6
    key = run(*opt, "solve", "-a", "my-hw1", "--format", "markdown").output
    assert key.startswith("# Answer key: my-hw1") and "Total: 9 points." in key
    out = tmp_path / "answers.json"
    r = run(*opt, "template", "my-hw1", "--format", "json", "-o", str(out))
    assert r.exit_code == 0 and set(json.loads(out.read_text())) == {"assignment", "student", "conv", "bp"}  # bp draws per student
    out.write_text(json.dumps({"assignment": "my-hw1", "conv": {"shape": "5x6"}}))
    r = run(*opt, "check", str(out))
    assert r.exit_code == 1 and "Total: 4 / 9" in r.output
    # other assignments keep working, with the broken one mentioned
    other = tmp_path / "hw1.json"
    other.write_text('{"q3.2": {"L": 116}}')
    r = run(*opt, "check", str(other))
    assert r.exit_code == 1 and "Total: 1 / 113" in r.output and "bad-hw is not loaded" in r.output
    # asking for the broken one says why
    r = run(*opt, "solve", "-a", "bad-hw")
    assert r.exit_code == 2 and "bad-hw/q1.toml: family 'backprop.mpl2' is unknown" in r.output


def test_the_environment_variable_and_the_library_take_the_same_folders(course, tmp_path):
    r = run("list", "my-hw1", env={"GRADEKIT_PROBLEMS": str(course)})
    assert r.exit_code == 0 and "conv" in r.output
    catalog = load_catalog(extra=[course])
    assert "my-hw1" in catalog.assignments and "bad-hw" in catalog.broken and "ece661-hw1" in catalog.assignments
    path = tmp_path / "a.json"
    path.write_text('{"conv": {"shape": [5, 6]}}')
    assert grade(path, catalog=catalog).score == 4


def test_variants_are_drawn_per_student_from_the_folder(course):
    catalog = load_catalog(extra=[course])
    from gradekit.catalog.variants import variant

    problem = catalog.resolve("my-hw1/bp")
    a, b = (catalog.solve(variant(catalog, problem, s)).answers["L"] for s in ("1001", "1002"))
    assert a != b


def test_a_folder_assignment_with_a_built_in_name_shadows_it_with_a_note(tmp_path):
    mine = tmp_path / "ece661-hw1"
    mine.mkdir()
    (mine / "assignment.toml").write_text('name = "ece661-hw1"\ntitle = "Mine"\n')
    shutil.copy(BUILTIN / "cs37300-hw4" / "q3.1b.toml", mine / "q3.1b.toml")
    catalog = load_catalog(extra=[tmp_path])
    assert catalog.assignment("ece661-hw1").title == "Mine" and len(catalog.problems("ece661-hw1")) == 1
    assert any("shadows" in n for n in catalog.notes)


def test_validate_a_folder_table_errors_and_exit_codes(course):
    r = run("validate", str(course))
    assert r.exit_code == 2
    assert "bad-hw/q1.toml: family 'backprop.mpl2' is unknown" in r.output
    data = json.loads(run("validate", str(course), "--json").stdout_bytes.decode().split("\ngradekit:")[0])
    rows = {row["assignment"]: row for row in data["assignments"]}
    assert rows["my-hw1"] == {"assignment": "my-hw1", "problems": 2, "parts": 6, "points": 9.0, "by_hand": 0.0,
                              "status": "ok"}
    assert rows["bad-hw"]["status"] == "broken"
    shutil.rmtree(course / "bad-hw")
    assert run("validate", str(course)).exit_code == 0
    # a stated total that disagrees with the parts is an error
    (course / "my-hw1" / "assignment.toml").write_text('name = "my-hw1"\ntitle = "T"\npoints = 10\n')
    r = run("validate", str(course))
    assert r.exit_code == 2 and "points is 10, but the parts of its problems add up to 9" in r.output


def test_the_built_in_catalog_validates(tmp_path):
    r = run("validate")
    assert r.exit_code == 0, r.output
    row = next(line for line in r.output.splitlines() if "coms573-hw5" in line)
    assert row.split("│")[2:7] == ["        9 ", "    18 ", "     80 ", "      10 ", " ok     "]  # 80, 10 by hand; q4 (b), (c) at 0


def test_the_bundle_carries_the_folder_and_grades_from_it(course, tmp_path):
    from tests.course.test_autograder import run_bundle

    zip_path = tmp_path / "ag.zip"
    r = run("--problems", str(course), "autograder", "build", "my-hw1", "-o", str(zip_path), "--time-limit", "2")
    assert r.exit_code == 0, r.output
    names = zipfile.ZipFile(zip_path).namelist()
    assert "problems/my-hw1/conv.toml" in names and "problems/my-hw1/assignment.toml" in names
    wheel = tmp_path / "site"
    whl = next(n for n in names if n.endswith(".whl"))
    with zipfile.ZipFile(zip_path) as z:
        z.extract(whl, tmp_path)
    import subprocess
    import sys

    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-deps", "--target", str(wheel),
                    str(tmp_path / whl)], check=True, timeout=300)
    data, _ = run_bundle((zip_path, wheel, None), tmp_path / "run", {"answers.json": '{"conv": {"shape": [5, 6]}}'})
    assert data["score"] == 4 and any(t["name"] == "conv: shape" and t["status"] == "passed" for t in data["tests"])


def test_a_formula_parts_bad_symbols_break_only_its_assignment_when_it_is_used(tmp_path):
    folder = tmp_path / "sym-hw"
    folder.mkdir()
    (folder / "assignment.toml").write_text('name = "sym-hw"\ntitle = "t"\n')
    (folder / "q1.toml").write_text(
        'id = "q1"\ntitle = "t"\nfamily = "softmax_ce.gradient"\nstatement = "s"\n[params]\n'
        '[[parts]]\nname = "dE/dz_x"\nkind = "expr"\nsymbols = 3\n')
    catalog = load_catalog(extra=[tmp_path])
    assert catalog.resolve("ece661-hw1/q3.2").id == "q3.2"  # others work; sym-hw's symbols not read yet
    with pytest.raises(SpecError, match=r"sym-hw/q1.toml: parts\[0\]: symbols must be a table"):
        catalog.assignment("sym-hw")
    assert "sym-hw" in catalog.broken and "sym-hw" not in catalog.assignments
    r = run("--problems", str(tmp_path), "validate", str(tmp_path))
    assert r.exit_code == 2 and "symbols must be a table" in r.output

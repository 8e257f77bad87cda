"""`gradekit handout build`: statements, templates and a checker students install. The checker reads and checks
the form of every part and grades only the parts the instructor marks public; neither `gradekit solve` nor a
search of the handout's files recovers a hidden answer or a code problem's solution."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from gradekit.cli.commands import main
from gradekit.grading.handout import check_files

ROOT = Path(__file__).resolve().parents[2]
COURSES = Path(__file__).resolve().parents[1] / "courses"


@pytest.fixture
def course(tmp_path, monkeypatch):
    """An instructor's own folder: two backprop problems (one drawing numbers per student), an Adaline truth table,
    and a [code] problem with the course's starter and the instructor's solution; q3.2's L is public."""
    folder = tmp_path / "course" / "my-hw"
    folder.mkdir(parents=True)
    (folder / "assignment.toml").write_text('name = "my-hw"\ntitle = "My homework"\n')
    for source, pid in (("q3.2", "bp"), ("q3.2v", "bpv"), ("q2.1", "adaline")):
        text = (ROOT / "problems" / "ece661-hw1" / f"{source}.toml").read_text()
        text = re.sub(r'^id = ".*"$', f'id = "{pid}"', text, count=1, flags=re.M)
        if pid == "bp":
            text = text.replace('name = "L"\nkind = "number"\n', 'name = "L"\nkind = "number"\npublic = true\n', 1)
            assert "public = true" in text
        (folder / f"{pid}.toml").write_text(text)
    for name in ("linear.toml", "linear_starter.py", "linear_solution.py"):
        shutil.copy(COURSES / "cmu11785-hw1p1" / name, folder / name)
    monkeypatch.setenv("GRADEKIT_PROBLEMS", str(folder.parent))
    return folder


def _run(*args):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


@pytest.fixture
def handout(course, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("Name,ID,Email\nAda L,ada,ada@x.edu\nBob,bob,bob@x.edu\n")
    out = tmp_path / "handout"
    code, text = _run("handout", "build", "my-hw", "--out", str(out), "--roster", str(roster))
    assert code == 0, text
    assert "graded in full by check.py: bp: L" in text and "2 students' folders" in text
    return out


def _key(student=None):
    code, out = _run("solve", "-a", "my-hw", "--json", *(["--student", student] if student else []))
    assert code == 0
    return {p["id"].split("/")[1]: p["answers"] for p in json.loads(out)["problems"]}


def test_the_handout_holds_what_students_need(handout):
    names = {p.relative_to(handout).as_posix() for p in handout.rglob("*") if p.is_file()}
    assert {"README.md", "check.py", "handout.json", "statements.md", "answers.py", "linear.py",
            "students/ada/answers.py", "students/ada/handout.json", "students/bob/statements.md"} <= names
    assert not [n for n in names if n.endswith(".toml") or "solution" in n]
    assert (handout / "linear.py").read_text() == (COURSES / "cmu11785-hw1p1" / "linear_starter.py").read_text()
    assert 'STUDENT = "ada"' in (handout / "students" / "ada" / "answers.py").read_text()
    assert "python check.py answers.py" in (handout / "answers.py").read_text()


def test_no_hidden_answer_or_solution_is_in_any_file(handout, course):
    text = "\n".join(p.read_text(errors="replace") for p in handout.rglob("*") if p.is_file())
    compact = re.sub(r"\s+", "", text)
    for student in (None, "ada", "bob"):
        key = _key(student)
        for pid in ("bp", "bpv", "adaline"):
            for part, value in key[pid].items():
                if pid == "bp" and part == "L":
                    continue  # public: the instructor hands it out
                if isinstance(value, list):  # a hidden vector or matrix, as JSON or Python writes it
                    assert json.dumps(value).replace(" ", "") not in compact, (student, pid, part)
    manifests = [json.loads(p.read_text()) for p in handout.rglob("handout.json")]
    hidden = [part for m in manifests for prob in m["problems"] for part in prob["parts"] if not part["public"]]
    assert hidden and not [p for p in hidden if "answer" in p or "options" in p]
    solution = (course / "linear_solution.py").read_text()
    body = [line.strip() for line in solution.splitlines() if "self.dLdW" in line and "=" in line]
    assert body and not any(line in text for line in body)  # the solution's own lines are nowhere


def test_solve_on_the_handout_recovers_nothing(handout, monkeypatch):
    monkeypatch.setenv("GRADEKIT_PROBLEMS", str(handout))
    for args in (["solve", "-a", "my-hw"], ["solve", "bp", "-a", "my-hw"], ["solve", "bpv", "-s", "ada"]):
        code, out = _run(*args)
        assert code == 2 and "34" not in out, (args, out)
    monkeypatch.setenv("GRADEKIT_PROBLEMS", str(handout / "students"))
    assert _run("solve", "-a", "my-hw")[0] == 2


def test_the_checker_grades_public_parts_and_only_the_form_of_hidden_ones(handout):
    key = _key("ada")
    right, wrong = handout / "right.py", handout / "wrong.py"
    right.write_text(f"STUDENT = 'ada'\nANSWERS = {json.dumps({k: key[k] for k in ('bp', 'bpv', 'adaline')})}\n")
    bad = {"bp": {**key["bp"], "dL/dW1": [[9, 9, 9], [9, 9, 9]]},
           "bpv": {p: (v + 1 if isinstance(v, (int, float)) else v) for p, v in key["bpv"].items()},
           "adaline": {**key["adaline"], "function": "XOR" if key["adaline"]["function"] != "XOR" else "AND"}}
    wrong.write_text(f"STUDENT = 'ada'\nANSWERS = {json.dumps(bad)}\n")
    folder = handout / "students" / "ada"
    a, b = check_files(folder, [right]), check_files(folder, [wrong])
    assert [(r.problem, r.part, r.status) for r in a.rows] == [(r.problem, r.part, r.status) for r in b.rows]
    graded = [(r.problem, r.part, r.score) for r in a.rows if r.score is not None]
    assert graded == [("bp", "L", 1)]  # the one public part, graded in full
    answered = [r for r in a.rows if r.problem != "linear"]  # linear.py was not given: "not answered"
    assert all(r.status in ("form ok", "graded") for r in answered)
    assert {r.message for r in answered if r.score is None} == {"graded when you hand it in"}
    b_l = [r for r in b.rows if r.part == "L" and r.problem == "bp"][0]
    assert b_l.score == 1  # unchanged in `bad`
    (handout / "off.py").write_text("ANSWERS = {'bp': {'L': 115, 'dL/dW1': [1, 2, 3], 'dL/db1': 'x', 'dl/db2': 1},"
                                    " 'adaline2': {}}\n")
    off = check_files(handout, [handout / "off.py"])
    assert sorted(off.notes) == ["'adaline2' is no problem of this handout; did you mean 'adaline'?",
                                 "bp: 'dl/db2' is no part of it; did you mean 'dL/db2', 'dL/db1', 'dL/dW2'?"]
    c = {(r.problem, r.part): r for r in off.rows}
    assert c["bp", "L"].status == "graded" and c["bp", "L"].score == 0
    assert c["bp", "dL/dW1"].status == "bad form" and "expected 2×3, got 3" in c["bp", "dL/dW1"].message
    assert c["bp", "dL/db1"].status == "bad form" and c["bp", "dL/db2"].status == "not answered"


@pytest.mark.parametrize("source, status, words", [
    ("SOLUTION", "form ok", "defined"),
    ("class Linear:\n    def __init__(self, a, b, debug=False):\n        pass\n", "bad form", "does not define"),
    ("class Linear:\n    def forward(self, A)\n", "bad form", "does not parse: line 2"),
    ("import not_a_module_anywhere\n", "bad form", "does not import: ModuleNotFoundError"),
])
def test_the_checker_imports_a_module_and_finds_what_it_must_define(handout, course, tmp_path, source, status, words):
    path = tmp_path / "linear.py"
    path.write_text((course / "linear_solution.py").read_text() if source == "SOLUTION" else source)
    rows = check_files(handout, [path]).rows
    assert {r.problem for r in rows} == {"linear"} and len(rows) == 3
    assert any(r.status == status and words in r.message for r in rows), [(r.status, r.message) for r in rows]
    assert all(r.score is None for r in rows)  # code parts are never graded by a handout


def test_check_py_runs_with_gradekit_installed(handout, tmp_path):
    answers = tmp_path / "answers.py"
    answers.write_text("ANSWERS = {'bp': {'L': 116}}\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("GRADEKIT_PROBLEMS", None)  # a student has no problems folder
    done = subprocess.run([sys.executable, str(handout / "check.py"), str(answers)], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=120)
    assert done.returncode == 1, done.stderr  # L right; the other parts not answered
    assert "bp: L: graded (1/1) correct" in done.stdout and "public parts: 1/1" in done.stdout


def test_gradekit_handout_check_is_the_same_checker(handout, tmp_path):
    answers = tmp_path / "answers.json"
    answers.write_text('{"bp": {"L": "116.0", "dL/dW1": [[1, 2, 3], [4, 5, 6]]}}')
    result = CliRunner().invoke(main, ["handout", "check", str(answers), "--handout", str(handout)])
    assert result.exit_code == 1  # not every part answered
    assert "bp: L: graded (1/1)" in result.output and "bp: dL/dW1: form ok" in result.output


def test_a_public_code_part_is_refused(course):
    spec = course / "linear.toml"
    spec.write_text(spec.read_text().replace('name = "Linear.forward"\nkind = "function"\n',
                                             'name = "Linear.forward"\nkind = "function"\npublic = true\n'))
    code, out = _run("handout", "build", "my-hw", "--out", str(course.parent / "h"))
    assert code == 2 and "cannot be graded in full by a handout" in out


@pytest.mark.parametrize("text, words", [
    ("Name,Section\nAda,A1\n", "no ID column"),
    ("ID\n../evil\n", "cannot name a folder"),
    ("ID\n\n", "no student ids"),
])
def test_a_bad_roster_is_one_line(course, tmp_path, text, words):
    roster = tmp_path / "r.csv"
    roster.write_text(text)
    code, out = _run("handout", "build", "my-hw", "--out", str(tmp_path / "h"), "--roster", str(roster))
    assert code == 2 and words in out and len(out.strip().splitlines()) == 1


def test_a_notebook_is_checked_by_its_code_cells(tmp_path):
    import nbformat
    from nbformat import v4

    out = tmp_path / "h661"
    assert _run("handout", "build", "ece661-hw1", "--out", str(out))[0] == 0
    assert (out / "SimpleNN.ipynb").is_file()  # the notebook students fill in
    for cells, status in (([v4.new_code_cell("%matplotlib inline\nclass SimpleNN:\n    pass\n")], "form ok"),
                          ([v4.new_code_cell("class Simple:\n    pass\n")], "bad form")):
        path = tmp_path / "SimpleNN.ipynb"
        path.write_text(nbformat.writes(v4.new_notebook(cells=cells)))
        rows = [r for r in check_files(out, [path]).rows if r.problem == "lab2a"]
        assert [r.status for r in rows] == [status], rows

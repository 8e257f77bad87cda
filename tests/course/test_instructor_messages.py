"""What an instructor and a TA read: points said as a sentence says them, a submission with nothing to
grade named in full, a module that is not Python refused in one line, and feedback naming the student's
own files rather than the grader's folders."""

import json

from click.testing import CliRunner

from gradekit.cli.commands import main
from gradekit.core.records import points
from gradekit.course.batch import BatchOptions, grade_folder, write_outputs

from tests.module_task1 import CORRECT


def cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_one_point_is_singular_in_keys_and_notebooks(tmp_path):
    assert (points(1), points(1.0), points(0.5), points(5)) == ("1 point", "1 point", "0.5 points", "5 points")
    latex = cli("solve", "-a", "ece661-hw1", "--format", "latex").output
    notebook = cli("template", "ece661-hw1", "--format", "ipynb", "--stdout").output
    for text in (latex, notebook):
        assert "(1 points)" not in text and "(1 point)" in text  # q2.1's parts are worth 1 point each


def test_nothing_to_grade_names_notebooks_and_the_module_files(tmp_path):
    (tmp_path / "empty").mkdir()
    r = cli("check", tmp_path / "empty", "-a", "ece449-a2")
    assert r.exit_code == 2
    assert "notebook (.ipynb)" in r.output and "task1.py" in r.output and "no answers file" in r.output


def test_a_module_file_that_is_not_python_exits_2_in_one_line(tmp_path):
    bad = tmp_path / "task1.py"
    bad.write_text(CORRECT.replace("def prelu(X):", "def prelu(X)"))  # one colon: the whole file unreadable
    r = cli("check", bad)
    assert r.exit_code == 2, r.output
    lines = [line for line in r.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "task1.py: SyntaxError at line" in lines[0], r.output


def test_a_module_that_is_not_python_costs_only_its_problem_in_a_folder(tmp_path):
    folder = tmp_path / "sub"
    folder.mkdir()
    p5_key = json.loads(cli("solve", "ece449-a2/p5", "--json").output)["answers"]
    (folder / "answers.json").write_text(json.dumps({"p5": p5_key}))
    (folder / "task1_3180100111.py").write_text("def relu(X:\n")
    data = json.loads(cli("check", folder, "-a", "ece449-a2", "--json").output)
    notes = [n for n in data["notes"] if "SyntaxError" in n]
    assert len(notes) == 1 and "task1_3180100111.py" in notes[0]
    task1 = next(p for p in data["problems"] if p["id"].endswith("task1"))
    assert task1["score"] == 0 and all(part["verdict"] == "missing" for part in task1["parts"])
    p5 = next(p for p in data["problems"] if p["id"].endswith("p5"))
    assert p5["score"] == p5["max_score"] > 0  # the answers file still counts


def test_feedback_names_the_submissions_own_files(tmp_path):
    subs = tmp_path / "subs"
    (subs / "grace").mkdir(parents=True)
    (subs / "grace" / "answers.py").write_text("ANSWERS = {'q3.2': {'L': 116}\n")  # unclosed: a SyntaxError
    (subs / "hal.py").write_text("ANSWERS = {'q3.2': {'L': [}}\n")
    res = grade_folder(subs, "ece661-hw1", BatchOptions(progress=False, jobs=1))
    paths = write_outputs(res, tmp_path / "out")
    grace = (paths["feedback"] / "grace.md").read_text()
    hal = (paths["feedback"] / "hal.md").read_text()
    assert "answers.py: SyntaxError" in grace and "hal.py: SyntaxError" in hal
    for text in (grace, hal):
        assert str(subs) not in text and "subs/" not in text
    by = {r["student"]: r for r in res.rows}
    assert str(subs) in by["grace"]["error"]  # the instructor's grades.csv keeps where the file is

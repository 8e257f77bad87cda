"""Notebook submissions, built with nbformat, graded exactly as the same answers or code in a .py / .json."""

from __future__ import annotations

import json

import nbformat
import pytest
from click.testing import CliRunner
from nbformat import v4

from gradekit.catalog.catalog import load_catalog
from gradekit.cli.commands import main
from gradekit.core.errors import SubmissionError
from gradekit.grading.grade import grade
from tests.module_task1 import CORRECT, FAST, TORCH_FAST

CAT = load_catalog()


def write(tmp_path, cells, name="hw.ipynb", assignment=None):
    nb = v4.new_notebook(cells=cells, metadata={"gradekit": {"assignment": assignment}} if assignment else {})
    path = tmp_path / name
    path.write_text(nbformat.writes(nb))
    return path


def tagged(source, tag, kind=v4.new_code_cell):
    cell = kind(source)
    cell.metadata["tags"] = [tag]
    return cell


def verdicts(report, pid):
    return {p.name: (p.verdict, p.score) for prob in report.problems if prob.id == pid for p in prob.parts}


def test_an_answers_cell_grades_as_the_same_py(tmp_path):
    body = "ANSWERS = {'q3.2': {'L': 116, 'dL/db2': [14, 6], 'dL/db1': [0, 35]}}\n"
    nb = write(tmp_path, [v4.new_markdown_cell("# HW 1"), v4.new_code_cell("import numpy as np"),
                          v4.new_code_cell(body)])
    py = tmp_path / "answers.py"
    py.write_text("import numpy as np\n" + body)
    a, b = grade(nb, assignment="ece661-hw1"), grade(py, assignment="ece661-hw1")
    assert verdicts(a, "q3.2") == verdicts(b, "q3.2") and a.score == b.score == 2


def test_tagged_cells_code_markdown_and_latex(tmp_path):
    cells = [tagged("116", "answer:q3.2/L"),
             tagged(r"$$\begin{bmatrix} 0 & 0 & 0 \\ 34 & 34 & -34 \end{bmatrix}$$", "answer:q3.2/dL/dW1",
                    v4.new_markdown_cell),
             tagged("[0, 34]^T", "answer:ece661-hw1/q3.2:dL/db1"),
             tagged("", "answer:q3.2/dL/db2"),  # left empty: not answered
             v4.new_code_cell("print('my scratch work')")]
    report = grade(write(tmp_path, cells, assignment="ece661-hw1"))
    got = verdicts(report, "q3.2")
    assert got["L"] == ("correct", 1) and got["dL/dW1"] == ("correct", 1) and got["dL/db1"] == ("correct", 1)
    assert got["dL/db2"][0] == "missing"
    js = tmp_path / "same.json"
    js.write_text(json.dumps({"ece661-hw1/q3.2": {"L": "116", "dL/dW1": [[0, 0, 0], [34, 34, -34]],
                                                  "dL/db1": [0, 34]}}))
    assert grade(js).score == report.score == 3


def test_stored_outputs_are_never_read_as_answers(tmp_path):
    cell = tagged("", "answer:q3.2/L")
    cell.outputs = [v4.new_output("execute_result", data={"text/plain": "116"}, execution_count=1)]
    report = grade(write(tmp_path, [cell, tagged("115", "answer:q3.2/dL/db2")], assignment="ece661-hw1"))
    assert verdicts(report, "q3.2")["L"][0] == "missing"


def test_module_code_across_cells_grades_as_the_same_py_and_names_the_cell(tmp_path):
    chunks = CORRECT.split("\ndef ")
    cells = [v4.new_code_cell("%matplotlib inline\nimport matplotlib")]
    cells += [v4.new_code_cell(chunks[0])] + [v4.new_code_cell("def " + c) for c in chunks[1:]]
    nb = write(tmp_path, cells, name="task1.ipynb")
    py = tmp_path / "task1.py"
    py.write_text(CORRECT)
    a, b = grade(nb, limits=FAST), grade(py, limits=FAST)
    assert [(p.name, p.score) for p in a.problems[0].parts] == [(p.name, p.score) for p in b.problems[0].parts]
    assert a.score == a.max_score == 20
    assert any("cell 1: IPython line 1 (%matplotlib inline) left out, the rest of the cell run" in n for n in a.notes)
    # a wrong relu: its part fails, and the feedback says in which cell relu is defined
    wrong = [c if "def relu(" not in c.source else v4.new_code_cell("def relu(X):\n    return X\n") for c in cells]
    report = grade(write(tmp_path, wrong, name="task1_ada.ipynb"), limits=FAST)
    relu = next(p for p in report.problems[0].parts if p.name == "relu")
    n = next(i for i, c in enumerate(wrong, 1) if "def relu(" in c.source)
    assert relu.score == 0 and f"(defined in cell {n}: def relu(X):)" in relu.feedback


@pytest.mark.parametrize("content, says", [
    (b"not json at all", r"is not a notebook \(not JSON"),
    (b'{"a": 1}', "is JSON but not a notebook"),
    (b'{"nbformat": 3, "nbformat_minor": 0, "worksheets": [], "metadata": {}}', "notebook format 3; open it"),
    (json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "code"}]}).encode(),
     "is not a valid notebook"),
])
def test_bad_notebooks_get_one_line(tmp_path, content, says):
    path = tmp_path / "hw.ipynb"
    path.write_bytes(content)
    with pytest.raises(SubmissionError, match=says) as e:
        grade(path, assignment="ece661-hw1")
    assert "\n" not in str(e.value)


def test_a_huge_cell_and_a_bad_tag_are_refused(tmp_path):
    big = write(tmp_path, [v4.new_code_cell("x = '" + "A" * 1_100_000 + "'")], name="big.ipynb")
    with pytest.raises(SubmissionError, match="cell 1 has 1100006 characters"):
        grade(big, assignment="ece661-hw1")
    bad = write(tmp_path, [tagged("116", "answer:q3.2")], name="bad.ipynb")
    with pytest.raises(SubmissionError, match="cell 1 has the tag answer:'q3.2'"):
        grade(bad, assignment="ece661-hw1")


def _task1_cells(first="import numpy as np"):
    """CORRECT's functions one per cell, after a first cell ``first`` (its imports)."""
    chunks = CORRECT.split("\ndef ")
    return [v4.new_code_cell(first)] + [v4.new_code_cell("def " + c) for c in chunks[1:]]


def test_a_line_magic_drops_only_its_line(tmp_path):
    # the cell's import stays: np is defined for every graded function (0/20 when the cell was dropped whole)
    cells = _task1_cells("%matplotlib inline\nimport numpy as np\n!pip install numpy\n%load_ext autoreload")
    report = grade(write(tmp_path, cells, name="task1.ipynb"), limits=FAST)
    assert report.score == 20
    assert any("cell 1: IPython lines 1 (%matplotlib inline), 3 (!pip install numpy), 4 (%load_ext autoreload)"
               in n for n in report.notes), report.notes


def test_a_failing_unrelated_cell_costs_nothing_and_is_named(tmp_path):
    cells = _task1_cells() + [v4.new_code_cell("import pandas_is_not_here as pd\ndf = pd.DataFrame()"),
                              v4.new_code_cell("x = torch.zeros(3).cuda()"),
                              v4.new_code_cell("def broken(:\n    pass")]
    report = grade(write(tmp_path, cells, name="task1.ipynb"), limits=FAST)
    assert report.score == 20, [(p.name, p.feedback) for p in report.problems[0].parts]
    n = len(cells)
    assert any(f"cell {n - 2} (import pandas_is_not_here as pd) failed: ModuleNotFoundError" in note
               for note in report.notes), report.notes
    assert any(f"cell {n - 1} (x = torch.zeros(3).cuda()) failed: NameError" in note for note in report.notes)
    assert any(f"cell {n} (def broken(:) failed: SyntaxError at line 1" in note for note in report.notes)


def test_a_failing_cell_costs_only_the_names_that_need_it(tmp_path):
    # relu uses a helper from a cell that fails before defining it; prelu, forward, backward and train do not
    helper = v4.new_code_cell("import numpy as np\nraise RuntimeError('oops')\ndef clip0(X):\n    return np.maximum(X, 0)")
    cells = _task1_cells()
    cells = [cells[0], helper] + [v4.new_code_cell("def relu(X):\n    return clip0(X)\n") if "def relu(" in c.source
                                  else c for c in cells[1:]]
    report = grade(write(tmp_path, cells, name="task1.ipynb"), limits=FAST)
    parts = {p.name: p for p in report.problems[0].parts}
    assert parts["relu"].score == 0 and parts["prelu"].score == 2 and report.score == 17
    assert "(clip0 comes from cell 2, import numpy as np, which failed: RuntimeError: oops at line 2)" in \
        parts["relu"].feedback, parts["relu"].feedback


def test_answer_cells_are_never_code_and_cell_magics_are_left_out(tmp_path):
    pasted = "tensor([[0.1000, 0.2000]], grad_fn=<AddmmBackward0>)"  # a form answers accept; not Python
    cells = _task1_cells() + [tagged(pasted, "answer:p5/q"), v4.new_code_cell("%%time\nraise SystemExit")]
    report = grade(write(tmp_path, cells, name="task1.ipynb", assignment="ece449-a2"), limits=FAST)
    task1 = next(p for p in report.problems if p.id == "task1")
    assert sum(p.score for p in task1.parts) == 20, [(p.name, p.feedback) for p in task1.parts]
    assert any(f"cell {len(cells)} left out: a cell magic (%%time)" in n for n in report.notes), report.notes


def test_the_template_notebook_unchanged_is_not_answered_everywhere(tmp_path):
    r = CliRunner().invoke(main, ["template", "ece449-a2", "--format", "ipynb", "-o", str(tmp_path / "a2.ipynb")])
    assert r.exit_code == 0, r.output
    nb = nbformat.read(tmp_path / "a2.ipynb", as_version=4)
    nbformat.validate(nb)
    tags = [t for c in nb.cells for t in c.metadata.get("tags", [])]
    assert "answer:p5/q" in tags and nb.metadata["gradekit"]["assignment"] == "ece449-a2"
    assert any("def relu(X):" in c.source for c in nb.cells)  # code problems' starters
    report = grade(tmp_path / "a2.ipynb", limits=TORCH_FAST)  # its starters import torch
    answered = [p for prob in report.problems for p in prob.parts if p.verdict not in ("missing", "manual")]
    assert report.score == 0 and answered == [], [(p.name, p.verdict, p.feedback) for p in answered]


def test_a_batch_of_notebooks_and_mixed_files(tmp_path):
    from gradekit.course.batch import BatchOptions, grade_folder

    subs = tmp_path / "subs"
    subs.mkdir()
    write(subs, [tagged("116", "answer:q3.2/L")], name="ada.ipynb", assignment="ece661-hw1")
    (subs / "bob.json").write_text('{"q3.2": {"L": 116}}')
    (subs / "cy.ipynb").write_text("{broken")
    res = grade_folder(subs, "ece661-hw1", BatchOptions(progress=False, jobs=1))
    by = {r["student"]: r for r in res.rows}
    assert by["ada"]["score"] == by["bob"]["score"] == 1
    assert by["cy"]["score"] == 0 and "not a notebook" in by["cy"]["error"]


def test_a_notebook_of_neither_answers_nor_code_problem_code_is_refused_in_one_line(tmp_path):
    cells = [v4.new_code_cell("x = 1"), v4.new_markdown_cell("notes")]
    with pytest.raises(SubmissionError) as e:
        grade(write(tmp_path, cells, name="scratch.ipynb"), assignment="ece449-a2")
    assert str(e.value) == (f"{tmp_path / 'scratch.ipynb'}: answers no problem: no cell tagged answer:PROBLEM/PART, "
                            f"no ANSWERS, and no code of a code problem of ece449-a2")
    with pytest.raises(SubmissionError) as e:
        grade(write(tmp_path, cells, name="scratch.ipynb"))
    assert str(e.value).endswith("and no code of a code problem")


def test_a_notebook_named_for_nothing_is_graded_as_the_problem_given(tmp_path):
    # not named task1, and defining only a part of task1's names: graded as task1 because --problem says so
    cells = [v4.new_code_cell("import numpy as np\ndef relu(X):\n    return np.maximum(X, 0)\n")]
    report = grade(write(tmp_path, cells, name="mine.ipynb"), problem="ece449-a2/task1", limits=FAST)
    assert [p.id for p in report.problems] == ["task1"]
    parts = {p.name: p for p in report.problems[0].parts}
    assert parts["relu"].verdict == "correct" and parts["relu"].score == parts["relu"].max_score
    missing = [p for p in parts.values() if p.name != "relu"]
    assert missing and all(p.score == 0 for p in missing)
    assert all("(defined in cell" not in p.feedback for p in missing)  # names no cell defines: no cell named

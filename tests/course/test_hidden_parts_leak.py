"""Parts whose results are shown later must not leak now: not through a total, not through a feedback file.

ece661-hw1's q3.2v declares ``dL/db1`` ``visibility = "after_due_date"``. Gradescope hides
that test until the due date, and hides the student's total while such a test exists;
but the top-level ``output`` is always shown, so a "Total:" there that counted ``dL/db1``
told a student, in two submissions, whether a guess was right. A part declared
``hidden`` never hides the total on Gradescope (its docs: hidden tests should carry no
points), so one with points is declared ``after_published``. Feedback files a TA
forwards before the due date follow the same visibility.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from gradekit.core.plain import solution_dict
from gradekit.course.batch import BatchOptions, grade_folder, write_outputs
from gradekit.grading.answers import grade_answers
from gradekit.output.gradescope import results
from gradekit.catalog.catalog import load_catalog
from gradekit.catalog.variants import variant

from tests.helpers import PROBLEMS

CAT = load_catalog()
LATER = "dL/db1"  # q3.2v's after_due_date part


pytestmark = pytest.mark.usefixtures("own_tempdir")  # conftest: batches' temp folders in the test's own


def q32v(student: str | None, later_right: bool) -> dict:
    """q3.2v's key for ``student``, with the after-due-date part right or off."""
    p = variant(CAT, CAT.resolve("ece661-hw1/q3.2v"), student)
    answers = solution_dict(p, CAT.solve(p))["answers"]
    if not later_right:
        answers[LATER] = (np.asarray(answers[LATER], dtype=float) + 7).tolist()
    return {"q3.2v": answers}


def test_the_always_shown_output_is_the_same_whether_a_later_part_is_right_or_wrong():
    right = results(grade_answers(q32v(None, True), assignment="ece661-hw1", catalog=CAT), CAT)
    wrong = results(grade_answers(q32v(None, False), assignment="ece661-hw1", catalog=CAT), CAT)
    assert right["score"] == wrong["score"] + 1  # the grade itself counts the part
    assert right["output"] == wrong["output"]  # but nothing shown now tells the two apart
    visible = [t for t in right["tests"] if t["visibility"] == "visible"]
    shown = sum(t["score"] for t in visible)
    assert f"Total: {shown:g} / {sum(t['max_score'] for t in visible):g}" in right["output"]
    assert "shown later" in right["output"]
    # the visible tests are the same too; the later one is Gradescope's to show after the due date
    assert [t for t in right["tests"] if t["visibility"] == "visible"] == \
        [t for t in wrong["tests"] if t["visibility"] == "visible"]
    later = next(t for t in right["tests"] if t["name"] == f"q3.2v: {LATER}")
    assert later["visibility"] == "after_due_date"


@pytest.fixture(scope="module")
def hidden_L(tmp_path_factory):
    """The catalog with q3.2's L (1 point) declared hidden, everything else visible."""
    root = tmp_path_factory.mktemp("problems")
    shutil.copytree(PROBLEMS, root, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
    spec = root / "ece661-hw1" / "q3.2.toml"
    spec.write_text(spec.read_text().replace('name = "L"\n', 'name = "L"\nvisibility = "hidden"\n', 1))
    return load_catalog(root)


def test_a_hidden_part_with_points_hides_the_total_on_gradescope(hidden_L):
    cat = hidden_L
    right = results(grade_answers({"q3.2": {"L": 116}}, assignment="ece661-hw1", catalog=cat), cat)
    wrong = results(grade_answers({"q3.2": {"L": 115}}, assignment="ece661-hw1", catalog=cat), cat)
    assert right["output"] == wrong["output"] and right["score"] == 1 and wrong["score"] == 0
    L = next(t for t in right["tests"] if t["name"] == "q3.2: L")
    # Gradescope shows the total unless a test is after_due_date or after_published
    assert L["visibility"] == "after_published" and "116" not in L["output"]


def test_the_gradescope_bundle_path_shows_no_later_part_in_its_output(tmp_path):
    from gradekit.course import autograder

    outputs = []
    for right in (True, False):
        root = tmp_path / f"autograder-{right}"
        (root / "source").mkdir(parents=True)
        (root / "submission").mkdir()
        (root / "source" / autograder.CONFIG).write_text(json.dumps(
            {"assignment": "ece661-hw1", "time_limit": 5, "student_key": "email", "require_isolation": False}))
        (root / "submission_metadata.json").write_text(json.dumps({"users": [{"email": "ada@x.edu"}]}))
        (root / "submission" / "answers.json").write_text(json.dumps(q32v("ada@x.edu", right)))
        data = autograder.run(root)
        outputs.append((data["score"], data["output"]))
    (s1, o1), (s0, o0) = outputs
    assert s1 == s0 + 1 and o1 == o0


def test_batch_feedback_files_leave_out_what_is_shown_later_and_say_so(tmp_path):
    d = tmp_path / "subs"
    d.mkdir()
    (d / "ada.json").write_text(json.dumps(q32v("ada", True)))
    (d / "bob.json").write_text(json.dumps(q32v("bob", False)))
    res = grade_folder(d, "ece661-hw1", BatchOptions(progress=False, jobs=1))
    by = {r["student"]: r for r in res.rows}
    assert by["ada"]["parts"][f"q3.2v:{LATER}"] == 1 and by["bob"]["parts"][f"q3.2v:{LATER}"] == 0
    paths = write_outputs(res, tmp_path / "out")
    ada = (paths["feedback"] / "ada.md").read_text()
    bob = (paths["feedback"] / "bob.md").read_text()
    section = ada.split("## ece661-hw1/q3.2v")[1].split("##")[0]
    assert "`L`" in section and f"`{LATER}`" not in section  # q3.2's own dL/db1 is visible, and listed
    # nothing in them tells a right later part from a wrong one
    assert ada.replace("feedback for ada", "feedback for bob", 1) == bob
    assert "graded later" in ada and "**Total: 4 / 112**" in ada  # q3.2v's four visible points of 112 shown
    # the instructor's files keep every part
    assert "q3.2v:dL/db1" in paths["csv"].read_text()

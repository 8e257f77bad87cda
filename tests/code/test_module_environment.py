"""The students' environment an assignment declares ([students] packages in assignment.toml)."""

from __future__ import annotations

import importlib.util

import pytest

from gradekit.code.environment import check_environment, top_level_imports
from gradekit.core.errors import GraderError
from gradekit.catalog.catalog import load_catalog
from tests.module_task1 import CORRECT, FAST, TORCH_FAST, grade_source


def test_ece449_declares_what_its_starter_files_import():
    assert load_catalog().assignment("ece449-a2").packages == ("torch", "torchvision", "numpy", "matplotlib")


def test_a_declared_package_missing_here_is_the_graders_fault():
    src = b"import numpy as np\nimport not_installed_anywhere_pkg\n"
    with pytest.raises(GraderError, match="not_installed_anywhere_pkg is declared by a1's students' environment"):
        check_environment(src, ("numpy", "not_installed_anywhere_pkg"), "a1")


def test_an_undeclared_import_is_named_in_one_line_and_stdlib_and_siblings_are_fine():
    src = b"import os, time\nimport numpy as np\nimport pandas as pd\nfrom helpers import f\n"
    assert check_environment(src, ("numpy",), "a1", ["helpers"]) == [
        "the file imports pandas, which a1's students' environment does not declare (declared: numpy); "
        "the graders may not have it"]
    assert check_environment(src, (), "a1") == []  # no declaration: nothing said
    assert top_level_imports(b"def f(:\n") == []


def test_a_task_file_importing_torchvision_is_never_points_lost(tmp_path):
    """task3_template.py imports torchvision at the top: where it is installed the file is graded, where it is
    not, grading stops as a grader error (exit 3) instead of an 'invalid' 0."""
    source = "import torchvision\nfrom torchvision import transforms\n" + CORRECT
    if importlib.util.find_spec("torchvision") is None or _broken("torchvision"):
        with pytest.raises(GraderError, match="torchvision is declared by ece449-a2.s students. environment but (is not installed|fails to import)"):
            grade_source(tmp_path, source)
    else:
        report, _ = grade_source(tmp_path, source)
        assert report.full_marks


def test_an_undeclared_import_in_a_graded_file_gets_a_note(tmp_path):
    # sklearn is in every assignment's default stack (gradekit.core.studentenv); sympy is not
    report, _ = grade_source(tmp_path, "import sympy\n" + CORRECT)
    assert any("imports sympy, which ece449-a2's students' environment does not declare" in n for n in report.notes)


def _broken(name: str) -> bool:
    try:
        importlib.import_module(name)
    except Exception:
        return True
    return False


def test_in_a_flat_class_folder_another_students_file_is_not_a_local_module(tmp_path):
    """A batch folder holds every student's files side by side: ada's `import bob_helpers` is an undeclared
    package to her, not a module of her own, though bob_helpers.py lies beside her file."""
    (tmp_path / "bob_helpers.py").write_text("def f():\n    return 1\n")
    report, _ = grade_source(tmp_path, "import bob_helpers\n" + CORRECT)
    assert any("imports bob_helpers, which ece449-a2's students' environment does not declare" in n
               for n in report.notes), report.notes


def test_a_submission_folders_own_py_files_are_its_local_modules(tmp_path):
    from gradekit.grading.grade import grade

    sub = tmp_path / "ada"
    sub.mkdir()
    (sub / "helpers.py").write_text("def f():\n    return 1\n")
    (sub / "answers.json").write_text("{}")
    (sub / "task1.py").write_text("import helpers\nimport sympy\n" + CORRECT)
    report = grade(sub, assignment="ece449-a2", limits=FAST)
    said = [n for n in report.notes if "students' environment does not declare" in n]
    assert len(said) == 1 and "imports sympy" in said[0], report.notes


def test_a_notebooks_imports_are_checked_cell_by_cell(tmp_path):
    import nbformat
    from nbformat import v4

    from gradekit.grading.grade import grade

    cells = [v4.new_code_cell("import numpy as np\nimport sympy"), v4.new_code_cell("import pandas as pd\nx = ("),
             v4.new_code_cell(CORRECT)]
    path = tmp_path / "task1.ipynb"
    path.write_text(nbformat.writes(v4.new_notebook(cells=cells, metadata={"gradekit": {"assignment": "ece449-a2"}})))
    report = grade(path, limits=TORCH_FAST)
    said = sorted(n.split(",")[0] for n in report.notes if "students' environment does not declare" in n)
    # the cell that does not parse is its own failure; the others' imports are still read
    assert said == ["the file imports sympy"], report.notes
    assert report.problems[0].score == 20, [(p.name, p.verdict, p.feedback) for p in report.problems[0].parts]


def test_the_memory_budget_of_a_graded_file_is_on_top_of_the_torch_it_imports(tmp_path):
    """torch is imported for the student before their file runs (a CUDA build maps 3.2 GB, more than the budget):
    a file that imports it is graded under a budget torch alone is over."""
    from dataclasses import replace

    report, _ = grade_source(tmp_path, "import torch\n" + CORRECT, limits=replace(TORCH_FAST, memory_bytes=400 * 2**20))
    assert report.full_marks, [(p.name, p.feedback) for p in report.problems[0].parts]


def test_a_declared_package_is_imported_here_only_when_the_students_file_failed_to_import(tmp_path, monkeypatch):
    """A check looks for the declared packages the file imports without importing them (the children import
    them); where the student's file then fails to import, the packages are imported here, and one that fails
    (a torchvision built for another torch) makes it the grader's error, not the student's 0."""
    from gradekit.code import environment

    asked: list[str] = []

    def broken(root: str) -> str | None:
        asked.append(root)
        return "fails to import (RuntimeError: operator torchvision::nms does not exist)" if root == "numpy" else None

    monkeypatch.setattr(environment, "_unimportable", broken)
    report, parts = grade_source(tmp_path, CORRECT)
    assert report.full_marks and asked == []  # found, not imported
    with pytest.raises(GraderError, match="numpy is declared by ece449-a2's students' environment but fails to "
                                          "import"):
        grade_source(tmp_path, "import numpy\nraise ImportError('numpy.core.multiarray failed to import')\n"
                     + CORRECT)
    assert asked == ["numpy"]

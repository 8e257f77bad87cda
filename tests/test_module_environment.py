"""The students' environment an assignment declares ([students] packages in assignment.toml)."""

from __future__ import annotations

import importlib.util

import pytest

from gradekit.code.environment import check_environment, top_level_imports
from gradekit.core.errors import GraderError
from gradekit.spec.catalog import load_catalog
from tests.module_task1 import CORRECT, grade_source


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
    report, _ = grade_source(tmp_path, "import sklearn\n" + CORRECT)
    assert any("imports sklearn, which ece449-a2's students' environment does not declare" in n for n in report.notes)


def _broken(name: str) -> bool:
    try:
        importlib.import_module(name)
    except Exception:
        return True
    return False

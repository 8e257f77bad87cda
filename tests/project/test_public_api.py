"""The public surface is explicit, importable, and light to import."""

import subprocess
import sys

import gradekit


def test_all_names_resolve():
    for name in gradekit.__all__:
        assert getattr(gradekit, name) is not None


def test_exports_match_all():
    assert set(gradekit.__all__) == set(gradekit._EXPORTS) | {"__version__"}


def test_checking_answers_imports_neither_torch_nor_sympy(tmp_path):
    path = tmp_path / "answers.json"
    path.write_text('{"q3.2": {"L": 116}}')
    code = (
        "import sys, gradekit; r = gradekit.grade(sys.argv[1]); "
        "print(sorted(m for m in ('torch', 'sympy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_the_readmes_instructor_example_runs(tmp_path):
    """docs/instructors.md: grade, then the report's score and its JSON."""
    import json

    path = tmp_path / "answers.json"
    path.write_text('{"q3.2": {"L": 116, "dL/db2": [14, 6]}}')
    report = gradekit.grade(path, assignment="ece661-hw1")
    assert (report.score, report.max_score) == (2, 113)
    (tmp_path / "results").mkdir()
    report.write_json(tmp_path / "results" / "report.json")
    data = json.loads((tmp_path / "results" / "report.json").read_text())
    assert data["score"] == 2 and data["max_score"] == 113 and data["problems"][0]["id"] == "ece661-hw1/lab1"


def test_plugin_names_are_the_core_modules():
    import gradekit.core.families
    import gradekit.core.records
    from gradekit.plugin import Family, Param, Solution, Step  # what a plug-in's family module imports

    assert Family is gradekit.core.families.Family and Solution is gradekit.core.records.Solution
    assert Family.__module__ == "gradekit.core.families" and Param and Step and gradekit.Family is Family

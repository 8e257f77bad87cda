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

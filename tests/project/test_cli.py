"""The command line: output, JSON shapes, exit codes 0 / 1 / 2 and one-line errors."""

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from gradekit.cli.commands import main


def run(*args):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output, result.stderr if hasattr(result, "stderr") else ""


def test_list_json_shape():
    code, out, _ = run("list", "--json")
    data = json.loads(out)
    assert code == 0 and {"id", "assignment", "title", "family", "parts"} == set(data[0])
    ids = {(d["assignment"], d["id"]) for d in data}
    assert ("ece661-hw1", "q3.2") in ids and ("ece449-a2", "p5") in ids


def test_list_one_assignment_table():
    code, out, _ = run("list", "coms573-hw5")
    assert code == 0 and "batchnorm.forward" in out and "ece661" not in out


def test_show_and_solve():
    code, out, _ = run("show", "q3.2")
    assert code == 0 and "dL/dW1" in out and "matrix 2×3" in out
    code, out, _ = run("solve", "q3.2", "--show-steps")
    assert code == 0 and "Step 1." in out and "116" in out


def test_solve_json_shape():
    code, out, _ = run("solve", "ece661-hw1/q3.2", "--json")
    data = json.loads(out)
    assert code == 0 and set(data) == {"id", "answers", "steps"}
    assert data["answers"]["L"] == 116 and data["answers"]["dL/dW1"] == [[0, 0, 0], [34, 34, -34]]
    assert {"title", "text", "latex", "values"} <= set(data["steps"][0])


@pytest.mark.parametrize(
    "args, words",
    [
        (["solve", "q1"], "ambiguous"),
        (["solve", "q3.22"], "did you mean 'q3.2'"),
        (["list", "nope"], "unknown assignment 'nope'"),
        (["check", "/nonexistent/answers.json"], "answers.json"),
        (["template", "nope", "--stdout"], "unknown assignment"),
    ],
)
def test_bad_input_exits_2_with_one_line(args, words):
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    err = result.stderr.strip() if hasattr(result, "stderr") else result.output.strip()
    assert words in err and len(err.splitlines()) == 1


def test_check_exit_codes_and_json(tmp_path):
    full = tmp_path / "full.json"
    code, out, _ = run("solve", "q3.2", "--json")
    full.write_text(out)
    code, out, _ = run("check", str(full), "--json")
    data = json.loads(out)
    # q3.2 alone is not the whole assignment: graded, not full marks
    assert code == 1 and set(data) >= {"score", "max_score", "problems"}
    q32 = next(p for p in data["problems"] if p["id"] == "ece661-hw1/q3.2")
    assert q32["score"] == q32["max_score"]
    assert set(q32["parts"][0]) == {"name", "score", "max_score", "verdict", "feedback", "diagnosis"}


def test_check_syntax_error_exits_2(tmp_path):
    bad = tmp_path / "answers.py"
    bad.write_text("ANSWERS = {'q3.2': {'L': 116}\n")
    result = CliRunner().invoke(main, ["check", str(bad)])
    assert result.exit_code == 2 and "answers.py" in result.output and len(result.output.strip().splitlines()) == 1


def test_template_then_check_scores_zero_without_crashing(tmp_path):
    for fmt in ("py", "json", "toml"):
        path = tmp_path / f"answers.{fmt}"
        code, out, _ = run("template", "ece661-hw1", "--format", fmt, "-o", str(path))
        assert code == 0 and path.exists()
        code, out, _ = run("check", str(path), "--json")
        data = json.loads(out)
        assert code == 1 and data["score"] == 0 and data["max_score"] > 0
        verdicts = {p["verdict"] for prob in data["problems"] for p in prob["parts"]}
        assert verdicts <= {"missing", "manual"}


def test_the_installed_command_runs():
    out = subprocess.run([sys.executable, "-m", "gradekit.cli.commands", "solve", "q3.2", "--json"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and json.loads(out.stdout)["answers"]["L"] == 116


def test_template_json_lists_every_part_with_its_form():
    code, out, _ = run("template", "ece661-hw1", "--json")
    data = json.loads(out)
    q32 = next(p for p in data["problems"] if p["id"] == "q3.2")
    forms = {p["name"]: p["form"] for p in q32["parts"]}
    assert code == 0 and forms["dL/dW1"] == "matrix 2×3" and forms["L"] == "a number"


def test_unknown_keys_come_first_with_every_close_id_and_a_file_of_none_exits_2(tmp_path):
    path = tmp_path / "answers.json"
    path.write_text('{"q3.2": {"L": 116, "dL/dW": [[0, 0, 0], [34, 34, -34]]}, "q3": {"L": 1}}')
    r = CliRunner().invoke(main, ["check", str(path)])
    flat = " ".join(r.output.split())  # rich wraps long lines
    assert flat.startswith("note: not graded: unknown problem 'q3' in ece661-hw1; did you mean")
    assert "'q3.1', 'q3.2'" in flat[:200] and "did you mean 'dL/dW1', 'dL/dW2'?" in flat[:400]
    assert flat.index("unknown part") < flat.index("ece661-hw1/q1")  # before the first table
    none = tmp_path / "none.json"
    none.write_text('{"q3.3": {"L": 116}, "q4.2": {"x": 1}}')
    r = CliRunner().invoke(main, ["check", str(none)])
    assert r.exit_code == 2 and "answers no problem of the catalog; it seems to be for ece661-hw1" in r.output


def test_with_json_errors_are_json_too(tmp_path):
    r = CliRunner().invoke(main, ["check", str(tmp_path / "missing.py"), "--json"])
    assert r.exit_code == 2 and json.loads(r.output) == {"error": f"{tmp_path / 'missing.py'}: no such file",
                                                         "exit_code": 2}
    r = CliRunner().invoke(main, ["solve", "--format", "json"])
    assert r.exit_code == 2 and json.loads(r.output)["error"].startswith("give a problem ID")
    r = CliRunner().invoke(main, ["show", "nope", "--json"])
    assert r.exit_code == 2 and "unknown problem 'nope'" in json.loads(r.output)["error"]


def test_whole_assignment_keys_in_every_format_and_per_student():
    r = CliRunner().invoke(main, ["solve", "-a", "coms573-hw5", "--json"])
    data = json.loads(r.output)
    q1 = next(p for p in data["problems"] if p["id"] == "coms573-hw5/q1")
    assert data["assignment"] == "coms573-hw5" and q1["answers"]["params"] == 1474560  # CATALOG.md
    r = CliRunner().invoke(main, ["solve", "-a", "coms573-hw5"])
    assert r.exit_code == 0 and "1474560" in r.output and "coms573-hw5/q2a" in r.output
    r = CliRunner().invoke(main, ["solve", "-a", "ece661-hw1", "--format", "markdown"])
    assert r.output.startswith("# Answer key: ece661-hw1") and "116" in r.output
    r = CliRunner().invoke(main, ["solve", "-a", "ece661-hw1", "--format", "latex"])
    assert r.output.startswith("\\documentclass") and r.output.rstrip().endswith("\\end{document}")
    a = json.loads(CliRunner().invoke(main, ["solve", "-a", "ece661-hw1", "-s", "1001", "--json"]).output)
    b = json.loads(CliRunner().invoke(main, ["solve", "-a", "ece661-hw1", "-s", "1002", "--json"]).output)
    va, vb = ([p for p in d["problems"] if p["id"] == "ece661-hw1/q3.2v"][0]["answers"] for d in (a, b))
    assert a["student"] == "1001" and va != vb  # q3.2v draws per student


def test_the_latex_key_compiles(tmp_path):
    """--format latex writes a document pdflatex compiles, for every assignment (CI installs pdflatex)."""
    import shutil
    import subprocess

    if shutil.which("pdflatex") is None:
        if os.environ.get("GRADEKIT_CI"):
            pytest.fail("pdflatex is missing on CI: .ci/run installs texlive-latex-base")
        pytest.skip("no pdflatex here (apt-get install texlive-latex-base)")
    from gradekit.catalog.catalog import load_catalog

    for name in load_catalog().assignments:
        out = tmp_path / f"{name}.tex"
        r = CliRunner().invoke(main, ["solve", "-a", name, "--format", "latex", "-o", str(out)])
        assert r.exit_code == 0, r.output
        done = subprocess.run(["pdflatex", "-halt-on-error", "-interaction=nonstopmode", out.name], cwd=tmp_path,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout[-2000:]
        assert (tmp_path / f"{name}.pdf").stat().st_size > 10_000

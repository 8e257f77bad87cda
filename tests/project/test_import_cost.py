"""Pay for what is used: checking a file of plain answers loads the families of the problems it
answers (and of manual parts, whose key a grader reads), no sandbox, no module session, no torch."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json, sys
from gradekit.cli.commands import main
try:
    main(['check', sys.argv[1], '--json'])
except SystemExit:
    pass
print(json.dumps(sorted(m for m in sys.modules)), file=sys.stderr)
"""


def modules_after_check(path) -> list[str]:
    done = subprocess.run([sys.executable, "-c", PROBE, str(path)], capture_output=True, text=True)
    return json.loads(done.stderr.strip().splitlines()[-1])


def test_two_plain_answers_load_one_family_and_nothing_of_the_sandbox(tmp_path):
    path = tmp_path / "answers.json"
    path.write_text(json.dumps({"q3.2": {"L": 116, "dL/db2": [14, 6]}}))
    loaded = modules_after_check(path)
    families = {m.rsplit(".", 1)[1] for m in loaded if m.startswith("gradekit.reference.families.")}
    assert families == {"backprop", "truefalse"}  # q3.2's family, and ece661-hw1's manual parts' (their key)
    assert not [m for m in loaded if m.startswith(("gradekit.sandbox", "gradekit.code", "gradekit.check.expr",
                                                    "gradekit.grading.code", "gradekit.cli.train"))]
    assert not [m for m in loaded if m.split(".")[0] in ("torch", "sympy", "importlib_metadata")]
    assert "importlib.metadata" not in loaded  # plug-ins' entry points: read only for a name no built-in has


def test_a_py_answers_file_loads_the_sandbox_to_run_it(tmp_path):
    path = tmp_path / "answers.py"
    path.write_text("ANSWERS = {'q3.2': {'L': 100 + 16}}\n")  # computed: it must run in a child
    assert "gradekit.sandbox.process" in modules_after_check(path)


def test_a_complete_answers_file_loads_nothing_of_the_sandbox(tmp_path):
    """Every problem of ece661-hw1 answered, lab2a (a code problem, graded from the notebook) included: it is
    told where its code goes from its spec alone; no code checks, no sandbox, no subprocess are loaded for it."""
    from gradekit.core.plain import solution_dict
    from gradekit.catalog.catalog import load_catalog

    catalog = load_catalog()
    answers = {p.id: solution_dict(p, catalog.solve(p))["answers"] for p in catalog.problems("ece661-hw1")}
    path = tmp_path / "answers.json"
    path.write_text(json.dumps({"assignment": "ece661-hw1", **answers}))
    loaded = modules_after_check(path)
    assert not [m for m in loaded if m.startswith(("gradekit.sandbox", "gradekit.code.generated",
                                                    "gradekit.code.session", "subprocess", "tempfile"))]


def test_a_code_part_answered_in_an_answers_file_is_told_where_its_code_goes():
    from gradekit.grading.answers import grade_answers

    report = grade_answers({"lab2a": {"SimpleNN": "nn.Sequential(...)", "simplenn_typo": 1}}, assignment="ece661-hw1")
    lab2a = next(p for p in report.problems if p.id == "lab2a")
    assert [(p.verdict.value, p.feedback) for p in lab2a.parts] == [
        ("invalid", "this part grades code: hand in SimpleNN.ipynb and run gradekit check on it")]
    assert any("unknown part 'simplenn_typo'" in n for n in report.notes), report.notes

"""Mutation score of the checkers and the answer reader: the share of mutants the tests kill.

Uses mutmut (3.x, from PyPI: ``pip install mutmut``). Why mutmut: it mutates in
place of the code (operators, constants, comparisons, returns), runs only the tests
that cover each mutant, and needs no configuration beyond the files and tests; its
``results`` list the survivors by name, for the closing note.

Not part of ``make test`` (about 7 minutes on 2 cores). It works on a copy of the
tree in a temporary folder, where ``gradekit.reference`` and ``gradekit.problems``
are plain folders (as they are when installed), with a virtual environment of its
own that has gradekit's libraries and mutmut but not gradekit itself (the editable
install would import the unmutated code): ``pip install torch==2.13.0`` (the file
on disk) and the rest from PyPI, about half a minute.

    python benchmarks/mutation_score.py [--keep DIR]

Target: at least 85 % killed in the checkers and the answer reader.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTATE = ["gradekit/check/numeric.py", "gradekit/check/exact.py", "gradekit/core/reader/numbers.py", "gradekit/core/reader/arith.py"]
TESTS = ["test_checkers.py", "test_values.py", "test_written_answers.py", "test_bounds.py"]


def prepare(work: Path) -> None:
    for name in ("gradekit", "reference", "problems", "tests"):
        shutil.copytree(ROOT / name, work / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "reference", work / "gradekit" / "reference", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "problems", work / "gradekit" / "problems", ignore=shutil.ignore_patterns("__pycache__"))
    for test in (work / "tests").glob("test_*.py"):  # only the tests of the mutated code: the others cost time
        if test.name not in TESTS:
            test.unlink()
    (work / "setup.cfg").write_text(
        "[mutmut]\npaths_to_mutate =\n" + "".join(f"    {m}\n" for m in MUTATE)
        + "tests_dir = tests/\nalso_copy =\n    gradekit\n    reference\n    problems\n    tests\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--keep", type=Path, help="Work in this folder and keep it (for `mutmut results`, `mutmut show`).")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="gradekit-mutation-"))
    if work.exists() and any(work.iterdir()):
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    prepare(work)
    venv = work / ".venv-mutation"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
    subprocess.run([*pip, "torch==2.13.0"], check=True)
    subprocess.run([*pip, "numpy", "sympy", "click", "rich", "hypothesis", "nbformat", "pytest", "scikit-learn",
                    "matplotlib", "mutmut"], check=True)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    mutmut = [str(venv / "bin" / "mutmut")]
    start = time.monotonic()
    subprocess.run([*mutmut, "run"], cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = time.monotonic() - start
    results = subprocess.run([*mutmut, "results", "--all", "true"], cwd=work, env=env, capture_output=True,
                             text=True).stdout
    status: dict[str, list[str]] = {}
    for line in results.splitlines():
        m = re.match(r"\s*(\S+): (\w[\w ]*)$", line)
        if m:
            status.setdefault(m.group(2).strip(), []).append(m.group(1))
    killed = len(status.get("killed", []))
    total = sum(len(v) for v in status.values())
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"{elapsed:.0f} s")
    for file in MUTATE:
        key = file.replace("/", ".").removesuffix(".py")
        names = {k: [n for n in v if n.startswith(key)] for k, v in status.items()}
        n = sum(len(v) for v in names.values())
        if n:
            print(f"{file:32s} {len(names.get('killed', [])) / n:6.1%} killed of {n} mutants")
    print(f"{'all':32s} {killed / max(total, 1):6.1%} killed of {total} mutants (target >= 85 %)")
    for state, names in sorted(status.items()):
        if state != "killed":
            print(f"{state}: {len(names)}")
            for name in names[:200]:
                print(f"  {name}")


if __name__ == "__main__":
    main()

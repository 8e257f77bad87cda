"""How long `gradekit check` takes on a complete ece661-hw1 answers file.

Targets (issue: foundation): under 0.5 s wall for .toml/.json, under 1.0 s for .py,
measured as the whole command (a fresh process, as a student runs it).
Prints the median and spread of N runs per format, and the machine; then, for the
plain JSON file, the ratio to `python -c "import numpy"` (target, issue: layout:
2.5 or less) and the gradekit modules that check imports (pay for what is used).

    python benchmarks/check_speed.py [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gradekit.catalog.catalog import load_catalog
from gradekit.core.plain import solution_dict

ASSIGNMENT = "ece661-hw1"


def answers(catalog) -> dict:
    out: dict = {"assignment": ASSIGNMENT}
    for problem in catalog.problems(ASSIGNMENT):
        out[problem.id] = solution_dict(problem, catalog.solve(problem))["answers"]
    return out


def toml_text(data: dict) -> str:
    lines = [f'assignment = "{data["assignment"]}"']
    for pid, parts in data.items():
        if pid == "assignment":
            continue
        lines.append(f'["{pid}"]')
        for name, value in parts.items():
            lines.append(f"{json.dumps(name)} = {json.dumps(value)}")
    return "\n".join(lines) + "\n"


def write_files(folder: Path) -> dict[str, Path]:
    data = answers(load_catalog())
    paths = {
        "json": folder / "answers.json",
        "toml": folder / "answers.toml",
        "py (literal)": folder / "answers_literal.py",
        "py (computes)": folder / "answers_computed.py",
        "json (written)": folder / "answers_written.json",
    }
    paths["json"].write_text(json.dumps(data))
    paths["toml"].write_text(toml_text(data))
    literal = f"ASSIGNMENT = {ASSIGNMENT!r}\nANSWERS = {json.dumps({k: v for k, v in data.items() if k != 'assignment'})}\n"
    literal = literal.replace("true", "True").replace("false", "False").replace("null", "None")
    paths["py (literal)"].write_text(literal)
    # A file that computes (numpy, a loop): it must run in the sandbox child.
    paths["py (computes)"].write_text(
        "import numpy as np\n" + literal + "for k in ANSWERS:\n    ANSWERS[k] = dict(ANSWERS[k])\n"
        "ANSWERS['q3.2']['dL/dW1'] = (np.array([[0.0], [34.0]]) @ np.array([[1.0, 1.0, -1.0]])).tolist()\n"
    )
    # The same key as students write it: arithmetic, pasted output, LaTeX (read by sympy, imported for these).
    written = json.loads(json.dumps(data))
    written["q3.2"].update({"L": "L = \\frac{1}{2}(14^2 + 6^2)", "dL/db1": "[0, 34]^T",
                            "dL/dW1": "tensor([[0., 0., 0.], [34., 34., -34.]])", "dL/db2": "array([14., 6.])"})
    written["q2.1"]["s"] = "-1, 1, 1 + 2, 5"
    written["lab2b"] = {k: (f"{v} * 1" if isinstance(v, int) else v) for k, v in written["lab2b"].items()}
    paths["json (written)"].write_text(json.dumps(written))
    return paths


def time_command(cmd: list[str], runs: int) -> list[float]:
    # As installed for a student: bytecode caches written (one warm-up run), not recompiled each time.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(cmd, capture_output=True, env=env)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True, env=env)
        times.append(time.perf_counter() - start)
        if done.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(cmd)} failed: {done.stderr.strip()}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    exe = shutil.which("gradekit", path=os.path.dirname(sys.executable)) or "gradekit"
    print(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
          " (bytecode caches warm)")
    targets = {"json": 0.5, "toml": 0.5, "py (literal)": 1.0, "py (computes)": 1.0, "json (written)": 1.0}
    with tempfile.TemporaryDirectory() as tmp:
        for label, path in write_files(Path(tmp)).items():
            times = time_command([exe, "check", str(path), "--json"], args.runs)
            med = statistics.median(times)
            verdict = "ok" if med < targets[label] else "OVER TARGET"
            print(
                f"check {label:14s} median {med:.3f} s  (min {min(times):.3f}, max {max(times):.3f}, "
                f"n={args.runs})  target < {targets[label]} s  {verdict}"
            )
            if label == "json":
                plain, path_json = med, path
        numpy = statistics.median(time_command([sys.executable, "-c", "import numpy"], args.runs))
        ratio = plain / numpy
        print(f"python -c 'import numpy' median {numpy:.3f} s; check json / import numpy = {ratio:.2f} "
              f"(target <= 2.5) {'ok' if ratio <= 2.5 else 'OVER TARGET'}")
        loaded = imported_modules(path_json)
        print(f"gradekit modules imported by check of the plain file: {len(loaded)}: {' '.join(loaded)}")


def imported_modules(path: Path) -> list[str]:
    """The gradekit modules a `gradekit check PATH` process has imported when it exits."""
    code = ("import sys\nfrom gradekit.cli.commands import main\ntry:\n    main(['check', sys.argv[1], '--json'])\n"
            "except SystemExit:\n    pass\nprint(' '.join(sorted(m for m in sys.modules if m.startswith('gradekit'))), "
            "file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True)
    return done.stderr.split()


if __name__ == "__main__":
    main()

"""The built wheel carries the engine, the catalog and the math (package-dir mapping)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_wheel_installs_and_solves(tmp_path):
    dist, target = tmp_path / "dist", tmp_path / "site"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist), str(ROOT)],
        capture_output=True, text=True, timeout=300,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    wheel = next(dist.glob("gradekit-*.whl"))
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        capture_output=True, text=True, timeout=300,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    probe = (
        "import json, gradekit, gradekit.catalog.catalog as c, gradekit.core.plain as s;"
        "cat = c.load_catalog(); p = cat.resolve('q3.2');"
        "print(json.dumps({'file': gradekit.__file__, 'root': str(c.default_root()),"
        " 'n': len(cat.problems()), 'answers': s.solution_dict(p, cat.solve(p))['answers']}))"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    out = json.loads(run.stdout)
    assert out["file"].startswith(str(target)) and out["root"].startswith(str(target))
    assert out["n"] >= 20
    assert out["answers"]["L"] == 116 and out["answers"]["dL/dW1"] == [[0, 0, 0], [34, 34, -34]]

"""`gradekit autograder build` from a pip-installed gradekit (site-packages, no source tree, no wheel at hand):
the installation is packed again as the wheel the bundle installs offline."""

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_build_from_an_installed_gradekit_bundles_a_wheel_that_installs(tmp_path):
    dist, site = tmp_path / "dist", tmp_path / "site"
    made = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                           str(dist), str(ROOT)], capture_output=True, text=True, timeout=300)
    assert made.returncode == 0, made.stderr[-2000:]
    with zipfile.ZipFile(next(dist.glob("gradekit-*.whl"))) as z:  # what pip install puts in site-packages
        z.extractall(site)
    env = {**os.environ, "PYTHONPATH": str(site)}
    out = tmp_path / "ag.zip"
    built = subprocess.run([sys.executable, "-m", "gradekit.cli", "autograder", "build", "ece661-hw1", "-o", str(out)],
                           capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert built.returncode == 0, built.stderr[-2000:]
    assert "wheel" not in built.stderr and f"wrote {out}" in built.stdout
    with zipfile.ZipFile(out) as z:
        name = next(n for n in z.namelist() if n.startswith("wheels/gradekit-") and n.endswith(".whl"))
        z.extract(name, tmp_path / "bundle")
    again = tmp_path / "again"  # the repacked wheel installs as the original did: engine, catalog and math
    with zipfile.ZipFile(tmp_path / "bundle" / name) as z:
        names = set(z.namelist())
        z.extractall(again)
    assert {"gradekit/problems/ece661-hw1/q3.2.toml", "gradekit/cli/commands.py"} <= names
    assert not any("__pycache__" in n for n in names)
    info = next(n for n in names if n.endswith(".dist-info/RECORD")).rsplit("/", 1)[0]
    assert {f"{info}/METADATA", f"{info}/WHEEL", f"{info}/entry_points.txt"} <= names
    probe = ("import json, gradekit, gradekit.catalog.catalog as c, gradekit.core.plain as s; cat = c.load_catalog();"
             "p = cat.resolve('q3.2'); print(json.dumps([gradekit.__file__, s.solution_dict(p, cat.solve(p))['answers']['L']]))")
    ran = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path, timeout=120,
                         env={**os.environ, "PYTHONPATH": str(again)})
    assert ran.returncode == 0, ran.stderr[-2000:]
    file, loss = json.loads(ran.stdout)
    assert file.startswith(str(again)) and loss == 116

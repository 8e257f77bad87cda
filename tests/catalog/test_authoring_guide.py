"""docs/authoring.md, run: every file it shows is written, every command run, with the exit code it states."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from click.testing import CliRunner

from gradekit.cli.commands import main

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "authoring.md"
BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.S)


def steps():
    """(file path, content) and (command, expected exit code) in the guide's order."""
    for lang, body in BLOCK.findall(GUIDE.read_text(encoding="utf-8")):
        first, _, rest = body.partition("\n")
        if first.startswith("# file: "):
            yield "file", first[len("# file: "):].strip(), rest
        elif lang == "console":
            for line in body.splitlines():
                if line.startswith("$ gradekit "):
                    command, _, comment = line[2:].partition("#")
                    code = int(re.search(r"exit (\d)", comment).group(1))
                    yield "run", shlex.split(command)[1:], code


def test_the_guide_runs_as_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ran = []
    for kind, what, arg in steps():
        if kind == "file":
            path = tmp_path / what
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists() or what == "answers.json":
                path.write_text(arg)
            continue
        r = CliRunner().invoke(main, what)
        assert r.exit_code == arg, (what, r.output)
        ran.append((what, r.output))
    commands = [w[2] if w[0] == "--problems" else w[0] for w, _ in ran]
    assert commands == ["validate", "show", "solve", "template", "check", "autograder"]
    # what the guide says of the results
    validate, show, solve, template, check, build = (out for _, out in ran)
    assert "ml-hw1" in validate and " ok" in validate and "11" in validate
    assert "Backprop through a sigmoid layer" in show
    key = (tmp_path / "key.md").read_text()
    assert key.startswith("# Answer key: ml-hw1") and "Total: 11 points." in key
    assert "Total: 6 / 11" in check
    assert (tmp_path / "ml-hw1.zip").exists()


def test_the_guides_numbers_are_worked_by_hand(tmp_path):
    """The guide quotes answers: batch norm with ε and the strided convolution, recomputed here by hand."""
    import numpy as np

    from gradekit.catalog.catalog import load_catalog

    (tmp_path / "ml-hw1").mkdir()
    for kind, what, arg in steps():
        if kind == "file" and what.startswith("my-course/"):
            (tmp_path / what[len("my-course/"):]).write_text(arg)
    catalog = load_catalog(extra=[tmp_path])
    ans = catalog.solve(catalog.resolve("ml-hw1/bn")).answers
    z = np.array([[1, 3], [2, 6]], dtype=float)
    mu, var = z.mean(1), z.var(1)
    np.testing.assert_allclose(ans["mu"], [2, 4])
    np.testing.assert_allclose(ans["var"], [1, 4])
    np.testing.assert_allclose(ans["z_hat"], (z - mu[:, None]) / np.sqrt(var[:, None] + 0.001))
    assert list(catalog.solve(catalog.resolve("ml-hw1/conv")).answers["shape"]) == [(32 + 2 - 5) // 2 + 1] * 2

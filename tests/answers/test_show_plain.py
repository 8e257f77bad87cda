"""`gradekit show` in a terminal prints a statement's LaTeX as plain text (a terminal does not typeset);
`show --json` keeps the statement as written."""

import json
import re

import pytest
from click.testing import CliRunner
from rich.console import Console

from gradekit.cli.commands import main
from gradekit.core.texfmt import readable
from gradekit.output import terminal
from gradekit.catalog.catalog import load_catalog

# what is left of LaTeX outside `code spans` (where a statement shows what a student may type)
RAW = re.compile(r"\\[A-Za-z]+|\$|\\begin|\\end")


def test_show_q3_2_reads_as_text():
    result = CliRunner().invoke(main, ["show", "ece661-hw1/q3.2"], catch_exceptions=False, env={"COLUMNS": "200"})
    out = result.output
    assert result.exit_code == 0
    for written in ("x₁ ∈ ℝ³", "L = 1/2 (t - x₃)ᵀ (t - x₃)", "W₁ = [[0, -1, 1], [2, 2, -1]]", "b₁ = [1, 2]ᵀ",
                    "∂L/∂W₁", "ReLU'(z) = 1 for z > 0, 0 for z ≤ 0"):
        assert written in out, written
    assert "\\frac" not in out and "$" not in out and "mathbb" not in out


def test_show_json_keeps_the_statement_as_written():
    out = CliRunner().invoke(main, ["show", "ece661-hw1/q3.2", "--json"], catch_exceptions=False).output
    assert "\\frac{\\partial L}{\\partial W_1}" in json.loads(out)["statement"]


@pytest.mark.parametrize("problem", load_catalog().problems(), ids=lambda p: p.qualified_id)
def test_no_statement_of_the_catalog_shows_raw_latex(problem):
    console = Console(record=True, width=120, color_system=None)
    terminal.problem(console, problem, [])
    shown = re.sub(r"`[^`\n]*`", "", console.export_text())
    assert not RAW.search(shown), RAW.search(shown)


@pytest.mark.parametrize("tex, text", [
    (r"$\frac{e^2}{1+e^2}$", "e²/(1+e²)"),
    (r"$\sigma^2 + \epsilon$", "σ² + ε"),
    (r"$\hat{y}_i$", "ŷ_i"),
    (r"$X \in \mathbb{R}^{100 \times 3}$", "X ∈ ℝ^(100 × 3)"),
    (r"$\begin{bmatrix} 1 \\ 2 \end{bmatrix}$", "[1, 2]ᵀ"),
    (r"costs \$5", "costs $5"),
    ("no math, a lone $ sign", "no math, a lone $ sign"),
    (r"$\lfloor (n + 2p - k)/s \rfloor + 1$", "⌊ (n + 2p - k)/s ⌋ + 1"),
    (r"$\frac{1}{m}\sum_{i=1}^m z_i$", "1/m Σ_(i=1)^m z_i"),
])
def test_readable_known_forms(tex, text):
    assert readable(tex) == text

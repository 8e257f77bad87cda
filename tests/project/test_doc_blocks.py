"""Every ```python block of README.md and docs/*.md runs, as it is written, in a temporary folder.

A block that is not meant to run (it needs Gradescope's /autograder, or a file
of the reader's) is preceded by a line ``<!-- not run: why -->``; the reason is
required, so a skipped block says why it is skipped.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```python[ \t]*$")
NOT_RUN = re.compile(r"^<!-- not run: \S.*-->$")


def python_blocks(text):
    """(line number, code, runs) for each ```python block; runs is False after a ``<!-- not run: … -->`` line."""
    lines = text.splitlines()
    blocks, i = [], 0
    while i < len(lines):
        if FENCE.match(lines[i]):
            before = next((lines[j].strip() for j in range(i - 1, -1, -1) if lines[j].strip()), "")
            end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
            blocks.append((i + 1, "\n".join(lines[i + 1:end]) + "\n", not NOT_RUN.match(before)))
            i = end
        i += 1
    return blocks


BLOCKS = [(page, line, code) for page in PAGES
          for line, code, runs in python_blocks(page.read_text(encoding="utf-8")) if runs]


def test_the_marker_is_read_and_blocks_are_found():
    text = "x\n\n<!-- not run: needs /autograder -->\n```python\nraise SystemExit(1)\n```\n```python\nprint(1)\n```\n"
    assert [(line, runs) for line, _, runs in python_blocks(text)] == [(4, False), (7, True)]
    assert python_blocks("<!-- not run -->\n```python\n1\n```\n")[0][2] is True  # no reason: it runs
    assert any(page.name == "autograders.md" for page, _, _ in BLOCKS)  # the library entry's example runs


@pytest.mark.parametrize("page,line,code", BLOCKS, ids=[f"{p.name}:{n}" for p, n, _ in BLOCKS])
def test_the_block_runs(page, line, code, tmp_path):
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"{page.name}:{line}\n{proc.stderr[-3000:]}"

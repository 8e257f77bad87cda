"""Escape sequences a student sends to the instructor's terminal; each must arrive as visible text.

A student controls exception messages, a crashing child's last stderr line, a module's
exceptions, a notebook's magic lines and file names. Each reaches ``gradekit check``'s
table or error line, ``gradekit grade``'s summary and feedback files, or the autograder's
log. There an OSC 0 would set the window title, OSC 8 hide a link, CSI 2K erase the
line and draw a fake green ``Total: 113 / 113``, and bidi overrides reorder what the
instructor reads; rich markup (``[bold red]``) would be interpreted. Every such string
is shown with its control characters escaped (``\\x1b``), whatever the output is piped to.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from gradekit.cli.commands import main

from tests.module_task1 import CORRECT

# OSC 0 (window title), OSC 8 (a hidden link), erase the line, then a fake green total; a bidi override
ATTACK = ("\x1b]0;owned\x07[bold red]markup[/] \u202eevil\u202c \x9b31m "
          "\x1b]8;;http://evil.example\x1b\\link\x1b]8;;\x1b\\\x1b[2K\r\x1b[1;32mTotal: 113 / 113\x1b[0m")
BAD = ("\x1b", "\x07", "\x9b", "\u202e", "\u202c", "\r")


def clean(text: str) -> bool:
    return not any(c in text for c in BAD)


pytestmark = pytest.mark.usefixtures("own_tempdir")  # conftest: batches' temp folders in the test's own


def run(*args: str):
    r = CliRunner().invoke(main, list(args))
    return r, r.output + (r.stderr if r.stderr_bytes is not None else "")


def test_printable_escapes_control_and_bidi_characters_and_keeps_the_rest():
    from gradekit.core.untrusted import printable

    assert printable("a\x1bb\x07c\x7fd\x9be\u202ef\u2066g\x00h\ri\tj") == \
        "a\\x1bb\\x07c\\x7fd\\x9be\\u202ef\\u2066g\\x00h\\ri\\tj"
    assert printable("line 1\nline 2") == "line 1\\nline 2"  # one line stays one line: no forged line below
    assert printable("line 1\nline 2\tx\x1b", multiline=True) == "line 1\nline 2\tx\\x1b"
    honest = "σ(q_x) ≈ 0.5 ⎡1 2⎤ — Ünïcödé, C:\\path, [x] 'quoted' \"d\""
    assert printable(honest) == honest


def test_an_exception_message_in_check_reaches_the_terminal_escaped(tmp_path):
    sub = tmp_path / "answers.py"
    sub.write_text(f"raise ValueError({ATTACK!r})\nANSWERS = {{}}\n")
    r, out = run("check", str(sub), "-a", "ece661-hw1")
    assert r.exit_code == 2 and clean(out), repr(out)
    assert "\\x1b]0;owned\\x07" in out and "\\u202e" in out  # the instructor sees what was sent


def test_a_childs_last_stderr_line_reaches_the_terminal_escaped(tmp_path):
    sub = tmp_path / "answers.py"
    line = ATTACK.replace("\r", "")  # one line: what a reader splits into lines ends at a carriage return
    sub.write_text(f"import os, sys\nsys.stderr.write({line!r} + '\\n')\nsys.stderr.flush()\nos._exit(1)\n")
    r, out = run("check", str(sub), "-a", "ece661-hw1")
    assert r.exit_code == 2 and "crashed (exit code 1)" in out and clean(out), repr(out)
    assert "\\x1b]0;owned\\x07" in out  # OSC, which click's unstyling of piped output keeps, is shown


def test_a_modules_exception_in_the_feedback_table_is_escaped_and_not_markup(tmp_path):
    sub = tmp_path / "task1.py"
    sub.write_text(CORRECT.replace("def relu(X):\n    return np.maximum(X, 0)",
                                   f"def relu(X):\n    raise ValueError({ATTACK!r})"))
    r, out = run("check", str(sub), "-a", "ece449-a2")
    assert r.exit_code == 1 and "`R = relu(X)` raised" in out and clean(out), repr(out)
    assert "[bold" in out and "markup[/]" in out  # shown as typed, not interpreted
    # the only total line is gradekit's own
    assert [line for line in out.splitlines() if line.startswith("Total:")] == ["Total: 17 / 20"]


def test_a_notebook_magic_line_in_a_note_is_escaped(tmp_path):
    import nbformat
    from nbformat import v4

    answer = v4.new_code_cell("116")
    answer.metadata["tags"] = ["answer:q3.2/L"]
    nb = v4.new_notebook(cells=[v4.new_code_cell(f"%matplotlib {ATTACK[:30]}\nx = 1"), answer],
                         metadata={"gradekit": {"assignment": "ece661-hw1"}})
    sub = tmp_path / "hw.ipynb"
    sub.write_text(nbformat.writes(nb))
    r, out = run("check", str(sub))
    assert "left out" in out and clean(out), repr(out)


def test_a_file_name_in_an_error_line_is_escaped(tmp_path):
    d = tmp_path / "sub"
    d.mkdir()
    (d / "a\x1b]0;owned\x07.json").write_text("{}")
    (d / "b\u202e.json").write_text("{}")
    r, out = run("check", str(d), "-a", "ece661-hw1")
    assert r.exit_code == 2 and "2 answers files" in out and clean(out), repr(out)


def test_the_batch_summary_and_feedback_files_are_escaped(tmp_path):
    d = tmp_path / "subs"
    d.mkdir()
    (d / "ada.json").write_text(json.dumps({"q3.2": {"L": 116}}))
    (d / "mallory\x1b]0;x\x07.py").write_text(f"raise ValueError({ATTACK!r})\nANSWERS = {{}}\n")
    out = tmp_path / "grades"
    r, said = run("grade", str(d), "-a", "ece661-hw1", "-o", str(out), "-j", "1")
    assert r.exit_code == 0 and "ValueError" in said and clean(said), repr(said)
    assert "\\x1b]0;owned" in said
    for f in (out / "feedback").iterdir():
        assert clean(f.name) and clean(f.read_text()), f
    for name in ("grades.csv", "gradebook.csv"):
        assert clean((out / name).read_text()), name  # `cat grades.csv` is a terminal too


def test_the_autograders_log_is_escaped(tmp_path, capsys):
    """run_autograder's stdout is the instructor's log on Gradescope: a grader error there names the
    student's text escaped (here a module exception, with the grader's fault forged by a patch)."""
    from gradekit.core.errors import GraderError
    from gradekit.course import autograder

    root = tmp_path / "autograder"
    (root / "source").mkdir(parents=True)
    (root / "submission").mkdir()
    (root / "source" / autograder.CONFIG).write_text(json.dumps(
        {"assignment": "ece661-hw1", "time_limit": 5, "student_key": "email", "require_isolation": False}))
    (root / "submission_metadata.json").write_text(json.dumps({"users": [{"email": ATTACK, "name": ATTACK}]}))

    def fault(*a, **kw):
        raise GraderError(f"the grader failed on {ATTACK}")

    mp = pytest.MonkeyPatch()
    mp.setattr(autograder, "grade_submission", fault)
    try:
        data = autograder.run(root)
    finally:
        mp.undo()
    log = capsys.readouterr()
    assert data["score"] == 0 and clean(log.out + log.err), repr(log.out + log.err)
    assert "\\x1b]0;owned" in log.err

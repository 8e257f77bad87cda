"""Feedback files of a batch: ``feedback/ID.md`` per student, what ``gradekit check`` says of the parts
students may see now.

A file's name comes from the student's id only where that id is a plain, unique file name; the
text a student controls (their name, messages, notes) is written with escapes visible; a part
whose Gradescope visibility is not "visible" is left out and the file says some parts are graded
later, so a file a TA forwards before the due date tells nothing of them.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections import Counter
from typing import TYPE_CHECKING, Any, Callable

from gradekit.core.records import tidy
from gradekit.core.untrusted import printable, shortened

if TYPE_CHECKING:  # batch imports this module
    from gradekit.course.batch import BatchResult

SAFE_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}")
_HASHED = re.compile(r".*-[0-9a-f]{12}")  # the shape of a hashed name: a plain one never has it
_HASHED_NAME = re.compile(r"[A-Za-z0-9._@+-]{1,40}-[0-9a-f]{12}")  # a slug and a hash, as feedback_file_names writes


def feedback_file_names(students: list[str]) -> dict[str, str]:
    """Each (unique) student id -> its feedback file's name, no two alike even where case is ignored.

    An id that is a short, plain file name is used as it is (``1001.md``, ``ada@x.edu.md``);
    any other, and any two that differ only in case, get a slug and a hash of the whole id
    (``a_da-3f2c9e1b7a40.md``), so no id, however long or odd, decides a path.

    >>> feedback_file_names(["ada", "Ada", "a da", "bob"])["bob"]
    'bob.md'
    """
    plain = [s for s in students if SAFE_FILE_NAME.fullmatch(s) and not _HASHED.fullmatch(s)]
    folded = Counter(s.lower() for s in plain)
    names = {}
    for s in students:
        if s in plain and folded[s.lower()] == 1:
            names[s] = f"{s}.md"
        else:
            slug = re.sub(r"[^A-Za-z0-9._@+-]+", "_", s)[:40].strip("._-") or "student"
            names[s] = f"{slug}-{hashlib.sha256(s.encode('utf-8', 'surrogatepass')).hexdigest()[:12]}.md"
    return names


def is_feedback_name(name: str) -> bool:
    """Whether ``feedback_file_names`` could give ``name`` (``ada.md``, ``a_da-3f2c9e1b7a40.md``): what a rerun
    may remove of a student no longer in the batch, and nothing else.

    >>> is_feedback_name("bob.md"), is_feedback_name("notes.txt"), is_feedback_name(".bob.md")
    (True, False, False)
    """
    stem, dot, ext = name.rpartition(".")
    return bool(dot) and ext == "md" and bool(SAFE_FILE_NAME.fullmatch(stem) or _HASHED_NAME.fullmatch(stem))


def feedback_markdown(row: dict[str, Any], result: BatchResult) -> str:
    """One student's feedback as Markdown: the same verdicts and messages ``gradekit check`` prints, of the
    parts students may see now (Gradescope visibility "visible"); the others are said to be graded later."""
    from gradekit.output.terminal import student_feedback

    own = _own_names(row.get("file"))
    who = printable(row["student"])
    if row.get("name"):
        who = f"{printable(shortened(row['name']))} ({who})"
    lines = [f"# {result.assignment}: feedback for {who}", ""]
    if row.get("grader_error"):
        return "\n".join(lines + ["Not graded yet: the grader failed, not your submission. Your instructor will "
                                  "grade it again.", ""])
    lines += _not_graded(row, own)
    report = row.get("report")
    later = sum(result.maxima.get(c, 0) for c, v in result.visibility.items() if v != "visible")
    if report is None:
        hand = [f"- `{printable(c)}`: {v:g} / {result.manual[c]:g}, graded by hand"
                for c, v in row.get("manual", {}).items()]
        return "\n".join(lines + [f"Your submission could not be graded: {printable(own(row['error']))}", "",
                                  *([*hand, ""] if hand else []),
                                  f"**Total: {row['score'] or 0:g} / {result.max_score - later:g}**", *_later_line(later), ""])
    for note in report["notes"]:
        lines.append(f"- note: {printable(own(note))}")
    if report["notes"]:
        lines.append("")
    score = total = later = 0.0
    for prob in report["problems"]:
        pid = prob["id"].split("/", 1)[-1]
        shown = [part for part in prob["parts"] if result.visibility.get(f"{pid}:{part['name']}", "visible") == "visible"]
        later += sum(part["max_score"] for part in prob["parts"] if part not in shown)
        if not shown:
            continue
        got, out_of = sum(p["score"] for p in shown), sum(p["max_score"] for p in shown)
        score, total = score + got, total + out_of
        lines += [f"## {prob['id']}: {prob['title']} ({got:g} / {out_of:g})", "",
                  "| part | verdict | score | feedback |", "|---|---|---|---|"]
        for part in shown:
            feedback = student_feedback(part["verdict"], part["feedback"], part["diagnosis"], part.get("reading", ""))
            feedback = printable(own(feedback).replace("\n", " "))  # a table cell is one line
            cell = feedback.replace("|", "\\|")
            lines.append(f"| `{part['name']}` | {part['verdict']} | {part['score']:g} / {part['max_score']:g} | {cell} |")
        lines.append("")
    lines += [*_late_lines(row.get("late"), score), f"**Total: {_after(score, row.get('late')):g} / {total:g}**",
              *_later_line(later), ""]
    return "\n".join(lines)


def _not_graded(row: dict[str, Any], own: Callable[[str], str]) -> list[str]:
    """The files handed in and not graded, each with why: a student learns what the grader did not read."""
    skipped = row.get("skipped") or []
    if not skipped:
        return []
    return ["Files not graded:", "", *(f"- `{printable(s['file'])}`: {printable(own(s['reason']))}" for s in skipped),
            ""]


def _after(score: float, late: dict[str, Any] | None) -> float:
    fraction = (late or {}).get("fraction") or 0
    return tidy(score - round(score * fraction, 4))


def _late_lines(late: dict[str, Any] | None, score: float) -> list[str]:
    """What the late policy did to this submission (the penalty as a share of the points shown here)."""
    if not late:
        return []
    if late["days"] is None:
        return ["Marked late by the LMS, which gives no time: no late penalty applied.", ""]
    if not late["days"]:
        return []
    days = f"{late['days']} day{'s' if late['days'] != 1 else ''}"
    return [f"Late: submitted {printable(late['submitted'])}, {days} after the due time: "
            f"-{round(score * late['fraction'], 4):g} points ({late['fraction']:.0%} of the {score:g} earned).", ""]


def _own_names(file: str | None) -> Callable[[str], str]:
    """What turns the grader's paths into the submission's own file names (``subs/grace/answers.py`` ->
    ``answers.py``; ``subs/grace.py`` -> ``grace.py``): a student is told of their files, not of our folders."""
    if not file:
        return lambda text: text
    prefix = (file if os.path.isdir(file) else os.path.dirname(file)).rstrip(os.sep) + os.sep
    return lambda text: text.replace(prefix, "") if prefix != os.sep else text


def _later_line(points: float) -> list[str]:
    unit = "point" if points == 1 else "points"
    return [f"Some parts ({points:g} {unit}) are graded later: their results are not in this file."] if points else []

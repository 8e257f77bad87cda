"""A ``Report`` as Gradescope's ``results.json`` (autograder specification, "Output format").

One Gradescope test per graded part: ``name``, ``number``, ``score``,
``max_score``, ``status`` (passed / failed), ``output`` in Markdown
(``output_format = "md"``), ``tags`` and ``visibility``. A part's visibility is
its spec option ``visibility``, else its assignment's ``visibility``, else
"visible".

Parts that are not plainly visible never show what the reference expects:
their output is the verdict and the diagnosed mistake only (checker feedback
quotes expected values: "expected 116, got 115"), and the top-level ``output``
(always shown to the student) names no part's feedback at all, and its
``Total:`` counts only the visible parts: one that counted an after-due-date
part would tell a student, in two submissions, whether a guess was right.
Gradescope hides the student's total while a test is ``after_due_date`` or
``after_published``, but not for ``hidden`` tests (its docs: those should carry
no points), so a part declared ``hidden`` that carries points is written
``after_published``: its points stay out of sight until grades are published.
Manual parts never carry their reference answer. Student text in the top-level
output (a note, the reason a submission could not be read, a name) is plain
text on its line: no heading, list or second ``Total:`` of its own.

>>> from gradekit.output.report import Report
>>> results(Report("answers.json", []))["score"]
0
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gradekit.core.records import PartResult, ProblemResult, points, tidy
from gradekit.core.vocab import Verdict

if TYPE_CHECKING:  # a Report's write_gradescope imports this module
    from gradekit.output.report import Report
    from gradekit.catalog.catalog import Catalog

OUTPUT_FORMAT = "md"


def part_visibility(catalog: Catalog | None, assignment: str, problem: str, part: str) -> str:
    """The visibility a part declares (its spec option, else its assignment's), "visible" when unknown."""
    if catalog is None:
        return "visible"
    try:
        spec = catalog.resolve(f"{assignment}/{problem}")
        default = catalog.assignment(assignment).visibility
        return str(spec.part(part).options.get("visibility", default))
    except Exception:  # a report from another catalog: show nothing more than "visible" allows
        return "visible"


def _visibility(catalog: Catalog | None, prob: ProblemResult, part: PartResult) -> str:
    declared = part_visibility(catalog, prob.assignment, prob.id, part.name)
    if declared == "hidden" and part.max_score > 0:  # else Gradescope's total would show its points
        return "after_published"
    return declared


def _md(text: str) -> str:
    """Feedback in a Markdown code span-free paragraph: escape the characters Markdown reads."""
    for ch in "\\`*_[]<>|":
        text = text.replace(ch, "\\" + ch)
    return text


# what starts a Markdown block at a line's start, once _md has escaped the rest (> | * ` [ and < are done there):
# an ATX heading, a list item ("-", "+", "1." or "1)"), a setext underline or a ~~~ fence
_BLOCK_START = re.compile(r"^(\s*(?:\d+(?=[.)]))?)([#+=~.)-])")


def _md_line(text: str) -> str:
    r"""Student text (a note, a reason, a name) as plain text on the line it is put on: its line breaks become
    spaces and what would start a block at a line's start is escaped too, so no ``"\n# Total: 99 / 99"`` puts a
    heading, quote or list (a second, forged total) in the output every student sees.

    >>> print(_md_line("x\n# Total: 99 / 99\n- [a](b)\n2. c"))
    x \# Total: 99 / 99 \- \[a\](b) 2\. c
    """
    return " ".join(_BLOCK_START.sub(r"\1\\\2", _md(line)) for line in text.splitlines())


def _output(part: PartResult, visibility: str) -> str:
    lines = [f"**{part.verdict}** ({tidy(part.score)} / {tidy(part.max_score)})"]
    if part.diagnosis and part.verdict in {Verdict.WRONG, Verdict.PARTIAL}:
        lines.append(f"Diagnosed mistake: `{part.diagnosis}`")
    feedback = part.feedback  # a manual part's key is in part.reference, which students never see
    if visibility == "visible" and feedback and part.verdict != Verdict.CORRECT:
        lines.append(_md(feedback))
    return "\n\n".join(lines)


def _test(number: str, prob: ProblemResult, part: PartResult, visibility: str) -> dict[str, Any]:
    test: dict[str, Any] = {
        "name": f"{prob.id}: {part.name}",
        "number": number,
        "score": tidy(part.score),
        "max_score": tidy(part.max_score),
        "output": _output(part, visibility),
        "output_format": OUTPUT_FORMAT,
        "tags": [prob.assignment, prob.id] + ([part.diagnosis] if part.diagnosis else []),
        "visibility": visibility,
    }
    if part.verdict != Verdict.MANUAL:  # a hand-graded part is neither passed nor failed yet
        test["status"] = "passed" if part.score >= part.max_score - 1e-9 else "failed"
    return test


HAND_GRADED = ("omit", "note")  # what results.json does with parts graded by hand (see ``results``)


def _hand_graded_test(number: str, prob: ProblemResult, part: PartResult, visibility: str) -> dict[str, Any]:
    """A part graded by hand as a test worth nothing here, saying where its points are given."""
    return {"name": f"{prob.id}: {part.name}", "number": number, "score": 0, "max_score": 0,
            "output": f"**graded by hand**: its {points(part.max_score)} are given apart from this autograder.",
            "output_format": OUTPUT_FORMAT, "tags": [prob.assignment, prob.id, "manual"], "visibility": visibility}


def results(report: Report, catalog: Catalog | None = None, *, execution_time: float | None = None,
            message: str | None = None, hand_graded: str = "omit") -> dict[str, Any]:
    """The results.json object for ``report``; ``message`` (plain text, escaped here) opens the top-level output.

    Parts graded by hand (verdict ``manual``) are never in the autograder's score or total: Gradescope
    grades them as questions of their own. ``hand_graded="omit"`` (the default) leaves them out of the
    tests; ``"note"`` keeps each as a test worth 0 points that says so. The top-level output says how
    many points are graded by hand either way.
    """
    if hand_graded not in HAND_GRADED:
        raise ValueError(f"hand_graded={hand_graded!r}: use one of {', '.join(HAND_GRADED)}")
    tests = []
    score = max_score = by_hand = later = 0.0
    for i, prob in enumerate(report.problems, 1):
        for j, part in enumerate(prob.parts, 1):
            visibility = _visibility(catalog, prob, part)
            if part.verdict == Verdict.MANUAL:
                by_hand += part.max_score
                if hand_graded == "note":
                    tests.append(_hand_graded_test(f"{i}.{j}", prob, part, visibility))
                continue
            tests.append(_test(f"{i}.{j}", prob, part, visibility))
            if visibility != "visible":  # the top-level output is always shown: nothing of this part in it
                later += part.max_score
                continue
            score, max_score = score + part.score, max_score + part.max_score
    lines = [_md_line(message)] if message else []  # student text (a name, a reason): never Markdown of its own
    lines.append(f"Total: {tidy(score)} / {tidy(max_score)}")
    if by_hand:
        lines.append(f"Parts worth {points(by_hand)} are graded by hand, apart from this autograder.")
    if later:
        lines.append(f"Parts worth {points(later)} more have results that are shown later.")
    lines += [f"- note: {_md_line(n)}" for n in report.notes]
    top_visibility = "visible"
    if catalog is not None and report.problems:
        try:
            top_visibility = catalog.assignment(report.problems[0].assignment).visibility
        except Exception:
            pass
    out: dict[str, Any] = {
        "score": tidy(report.score),
        "output": "\n\n".join(lines),
        "output_format": OUTPUT_FORMAT,
        "visibility": top_visibility,
        "stdout_visibility": "hidden",  # the grader's own log is for instructors
        "tests": tests,
    }
    if execution_time is not None:
        out["execution_time"] = max(0.0, round(execution_time, 2))  # seconds, as measured (not rounded to 0)
    if report.isolation is not None:  # for the instructor: extra_data is not shown to students
        out["extra_data"] = {"isolation": report.isolation}
    return out


def failed_results(message: str, empty: Report | None, catalog: Catalog | None = None,
                   execution_time: float | None = None, *, grader_fault: bool = False,
                   hand_graded: str = "omit") -> dict[str, Any]:
    """results.json for a submission that could not be read: every part of ``empty`` (the assignment
    graded with no answers, when known) at 0, with the reason.

    ``grader_fault``: the grader, not the submission, failed (``GraderError``): the
    output says so, and ``extra_data.grader_error`` carries the cause for the instructor.
    """
    why = (f"The autograder failed, not your submission; your instructor has the cause. ({message})"
           if grader_fault else f"Your submission could not be graded: {message}")
    if empty is None or catalog is None:  # no part can be listed: the reason alone
        out: dict[str, Any] = {"score": 0, "output": _md_line(why), "output_format": OUTPUT_FORMAT,
                               "visibility": "visible", "stdout_visibility": "hidden", "tests": []}
    else:
        out = results(empty, catalog, message=why, hand_graded=hand_graded)
    if grader_fault:
        out["extra_data"] = {"grader_error": message}
    if execution_time is not None:
        out["execution_time"] = max(0.0, round(execution_time, 2))
    return out


def write(data: dict[str, Any], path: str | Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")

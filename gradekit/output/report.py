"""A graded submission as data: the same object feeds the terminal, JSON and files."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gradekit.core.records import ProblemResult, tidy
from gradekit.core.vocab import Verdict

if TYPE_CHECKING:
    from gradekit.catalog.catalog import Catalog


@dataclass
class Report:
    """What ``grade`` returns.

    >>> Report("answers.json", []).to_dict()["score"]
    0
    """

    submission: str
    problems: list[ProblemResult]
    notes: list[str] = field(default_factory=list)  # unknown problem or part keys, with "did you mean"
    student: str | None = None
    isolation: dict[str, Any] | None = None  # how student code ran (gradekit.sandbox.isolation), when any ran
    refused: list[str] = field(default_factory=list)  # files of the submission not read (links, FIFOs ...): why
    key: bool = False  # an answers file laid out as `gradekit solve --json` prints a key (gradekit.grading.grade.as_key)

    @property
    def score(self) -> float:
        return sum(p.score for p in self.problems)

    @property
    def max_score(self) -> float:
        return sum(p.max_score for p in self.problems)

    def replace_problems(self, other: "Report") -> None:
        """Take ``other``'s problem results in place of this report's (a code file graded beside an answers
        file: its problem's "missing" result gives way), and its notes."""
        graded = {(p.assignment, p.id): p for p in other.problems}
        self.problems = [graded.pop((p.assignment, p.id), p) for p in self.problems] + list(graded.values())
        self.notes.extend(other.notes)
        self.key = False  # code files graded beside a key: every problem is judged as handed in

    @property
    def grader_errors(self) -> list[str]:
        """"problem: part" of every part the grader failed to check (verdict ``error``): not the student's fault."""
        return [f"{p.id}: {part.name}" for p in self.problems for part in p.parts if part.verdict == Verdict.ERROR]

    @property
    def by_hand(self) -> float:
        """Points of the parts a person grades (verdict ``manual``): in the total, not yet scored."""
        return sum(part.max_score for p in self.problems for part in p.parts if part.verdict == Verdict.MANUAL)

    @property
    def full_marks(self) -> bool:
        """Every automatically graded point earned (the parts graded by hand are pending)."""
        return self.score >= self.max_score - self.by_hand - 1e-9

    def to_dict(self) -> dict[str, Any]:
        return {
            "submission": self.submission,
            "student": self.student,
            "score": tidy(self.score),
            "max_score": tidy(self.max_score),
            "by_hand": tidy(self.by_hand),
            "problems": [p.to_dict() for p in self.problems],
            "notes": list(self.notes),
            "isolation": self.isolation,
            "grader_errors": self.grader_errors,
        }

    def write_json(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=2) + "\n")

    def write_gradescope(self, path: str | Path, *, catalog: Catalog | None = None, execution_time: float | None = None,
                         hand_graded: str = "omit") -> None:
        """Write Gradescope's results.json (per-part visibility from ``catalog``, the built-in one by default;
        parts graded by hand left out, or with ``hand_graded="note"`` kept as 0-point tests).

        >>> from gradekit import grade
        >>> grade("/autograder/submission/answers.py").write_gradescope("/autograder/results/results.json")  # doctest: +SKIP
        """
        from gradekit.output import gradescope
        from gradekit.catalog.catalog import load_catalog

        data = gradescope.results(self, catalog or load_catalog(), execution_time=execution_time,
                                  hand_graded=hand_graded)
        gradescope.write(data, path)


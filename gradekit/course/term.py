"""What ``gradekit grade`` takes from a course's term, read and checked before any grading, and applied after it:
hand grades (``gradekit.course.manual``), then overrides (``gradekit.course.overrides``), then the late policy
(``gradekit.course.late``). Bad input in any of them stops the run before it grades, with one line.

>>> settings = TermSettings()
>>> settings.policy is None and settings.overrides == []
True
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from gradekit.course.late import LatePolicy, LatePolicyError, apply_late_policy, parse_due, parse_policy
from gradekit.course.manual import HandGrades, merge_manual
from gradekit.course.overrides import OVERRIDES_FILE, Override, apply_overrides, read_overrides

if TYPE_CHECKING:
    from gradekit.course.batch import BatchResult
    from gradekit.catalog.catalog import Catalog

__all__ = ["TermSettings", "apply_term", "part_columns", "read_term"]


@dataclass
class TermSettings:
    hand: HandGrades | None = None
    overrides: list[Override] = field(default_factory=list)
    overrides_source: Path | None = None
    kept_note: str = ""  # said when the overrides came from the copy an earlier run kept
    due: datetime | None = None
    policy: LatePolicy | None = None


def part_columns(catalog: Catalog, assignment: str) -> dict[str, float]:
    """Every part of the assignment as grades.csv heads it (those graded by hand too) -> its points."""
    return {f"{p.id}:{part.name}": part.points for p in catalog.problems(assignment) for part in p.parts}


def read_term(catalog: Catalog, assignment: str, students: list[str], out: Path, *, hand: HandGrades | None = None,
              overrides: Path | None = None, due: str | None = None, late_policy: str | None = None) -> TermSettings:
    """The term's settings, checked: overrides against the assignment's parts and ``students``; the due time and
    the late policy, each needing the other. An overrides file given is kept as ``out/overrides.csv``; with none
    given, a kept one is read (and ``kept_note`` says so)."""
    settings = TermSettings(hand=hand)
    kept = out / OVERRIDES_FILE
    source = overrides if overrides is not None else (kept if kept.is_file() and not kept.is_symlink() else None)
    if source is not None:
        settings.overrides = read_overrides(source, part_columns(catalog, assignment), students)
        settings.overrides_source = source
        if overrides is None:
            settings.kept_note = (f"applied the overrides kept in {kept} (from an earlier run's --overrides; "
                                  f"remove it to drop them)")
        elif Path(overrides).resolve() != kept.resolve():
            out.mkdir(parents=True, exist_ok=True)
            if kept.is_symlink():
                kept.unlink()
            shutil.copyfile(overrides, kept)
    if (due is None) != (late_policy is None):
        raise LatePolicyError("--due and --late-policy go together: the policy needs the due time, and the due time "
                              "does nothing without a policy")
    if due is not None and late_policy is not None:
        settings.due, settings.policy = parse_due(due), parse_policy(late_policy)
    return settings


def apply_term(result: BatchResult, settings: TermSettings) -> None:
    """Hand grades, then overrides, then the late penalty, into ``result``'s rows."""
    if settings.hand is not None:
        merge_manual(result, settings.hand)
    if settings.overrides:
        apply_overrides(result, settings.overrides)
    if settings.kept_note:
        result.notes.append(settings.kept_note)
    if settings.policy is not None and settings.due is not None:
        apply_late_policy(result, settings.due, settings.policy)

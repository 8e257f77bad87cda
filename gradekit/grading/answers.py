"""An answers file's raw answers graded: keys resolved to the catalog's problems, each problem graded.

>>> report = grade_answers({"q3.2": {"L": 116}})
>>> [p.verdict for prob in report.problems if prob.id == "q3.2" for p in prob.parts if p.name == "L"]
[<Verdict.CORRECT: 'correct'>]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from gradekit.core.errors import SubmissionError, close_matches, did_you_mean
from gradekit.core.kinds import KINDS
from gradekit.core.records import Problem
from gradekit.grading.problem import code_problem_in_answers, grade_problem, unanswered_problem
from gradekit.output.report import Report
from gradekit.catalog.catalog import Catalog, load_catalog
from gradekit.catalog.variants import no_student_note, per_student, variant


def grade_answers(
    answers: Mapping[str, Mapping[str, Any]],
    *,
    assignment: str | None = None,
    catalog: Catalog | None = None,
    submission: str = "<answers>",
    student: str | None = None,
) -> Report:
    """Grade raw answers ``{problem id: {part: value}}``.

    Every problem of the assignment (given, or inferred from the ids answered) is
    reported; unanswered parts score zero as "missing". Unknown problem or part
    keys are kept as notes with a "did you mean", never dropped silently.
    """
    catalog = catalog or load_catalog()
    if assignment is not None:
        catalog.index(assignment)  # fails early on an unknown name
    by_problem, notes = _resolve(catalog, answers, assignment)
    names = [assignment] if assignment else sorted({p.assignment for p, _ in by_problem.values()})
    if answers and not by_problem:  # nothing to grade: bad input, not a zero
        where = f" of {assignment}" if assignment else " of the catalog"
        guess = _seems_for(catalog, answers)
        raise SubmissionError(
            f"{submission}: answers no problem{where}" + (f"; it seems to be for {guess}" if guess else "")
            + (f" ({'; '.join(notes[:3])})" if notes else "")
        )
    if len(names) > 1:  # totals are one assignment's: never add another's problems to them
        spans = "; ".join(f"{n} ({', '.join(sorted(p.id for p, _ in by_problem.values() if p.assignment == n))})"
                          for n in names)
        raise SubmissionError(f"{submission}: answers problems of {len(names)} assignments: {spans}; "
                              f"grade one at a time with --assignment (-a)")
    results = []
    student = student or None  # STUDENT = "" (a template left as it is) is no student
    taken_for_no_one: list[str] = []
    for name in names:
        for problem in catalog.index(name):
            given = by_problem.get(problem.qualified_id, (problem, {}))[1]
            if not given and not any(KINDS[part.kind].by_hand for part in problem.parts):
                results.append(unanswered_problem(problem))  # nothing to judge: its family is not even loaded
                continue
            if all(KINDS[part.kind].runs_code for part in problem.parts):
                result, part_notes = code_problem_in_answers(problem, given)  # graded from its module file
                results.append(result)
                notes.extend(part_notes)
                continue
            if student is None and per_student([problem]):
                taken_for_no_one.append(problem.id)
            problem = variant(catalog, catalog.checked(problem), student)  # unchanged unless it draws per student
            result, part_notes = grade_problem(catalog, problem, given)
            results.append(result)
            notes.extend(part_notes)
    if taken_for_no_one:  # graded against numbers the student may never have been given: say so
        notes.insert(0, no_student_note(taken_for_no_one, 'give --student ID, or STUDENT = "..." in the answers file'))
    return Report(submission=submission, problems=results, notes=notes, student=student)


MAX_HINTED_KEYS = 20  # unknown keys that get a did-you-mean; the rest are only counted (junk files stay cheap)


def _seems_for(catalog: Catalog, answers: Mapping[str, Any]) -> str | None:
    """The assignment whose problem ids the keys come closest to ("ece661-hw1"), for a file that answers none."""
    from collections import Counter

    index = catalog.index()
    ids = {p.id: p.assignment for p in index} | {p.qualified_id: p.assignment for p in index}
    votes: Counter[str] = Counter()
    for key in list(answers)[:MAX_HINTED_KEYS]:
        for close in close_matches(str(key)[:80], ids):
            votes[ids[close]] += 1
    if not votes:
        return None
    best = votes.most_common(1)[0][0]
    return f"{best} (gradekit list {best} shows its problem ids)"


def _add(found: dict, problem: Problem, value: Any) -> None:
    """One problem answered under two keys ("q3.2" and "ece661-hw1/q3.2"): its parts are merged."""
    have = found.get(problem.qualified_id)
    if have is not None and isinstance(have[1], Mapping) and isinstance(value, Mapping):
        value = {**have[1], **value}
    found[problem.qualified_id] = (problem, value)


def _shown(key: str) -> str:
    """A key as a note quotes it: never more than 40 characters of it."""
    return repr(key if len(key) <= 40 else key[:39] + "…")


def _resolve(
    catalog: Catalog, answers: Mapping[str, Any], assignment: str | None
) -> tuple[dict[str, tuple[Problem, Mapping[str, Any]]], list[str]]:
    """Answers by qualified problem id, and notes on the keys that name no problem here.

    Lookups are by dictionary, so the work is linear in the number of keys;
    only the first ``MAX_HINTED_KEYS`` unknown keys get a did-you-mean. The notes
    come in that order: keys of another assignment, ambiguous ids, unknown keys.
    """
    everything = catalog.index()  # ids and parts: no family is imported to read the keys
    ids = _Ids.of(everything)
    found: dict[str, tuple[Problem, Mapping[str, Any]]] = {}
    notes: list[str] = []
    ambiguous: list[tuple[str, Any, list[Problem]]] = []
    unknown: list[str] = []
    for key, value in answers.items():
        key = str(key)
        candidates = ids.named(key)
        if assignment is not None:
            elsewhere = _elsewhere(key, candidates, assignment)
            if elsewhere:
                notes.append(elsewhere)
                continue
            candidates = [p for p in candidates if p.assignment == assignment]
        if len(candidates) == 1:
            _add(found, candidates[0], value)
        elif candidates:
            ambiguous.append((key, value, candidates))
        else:
            unknown.append(key)
    notes += _settle(found, ambiguous)
    notes += _unknown_notes(catalog, everything, _graded(found, assignment), unknown)
    return found, notes


@dataclass(frozen=True)
class _Ids:
    """The catalog's problems by qualified id ("ece661-hw1/q1"), and by bare id ("q1", which several
    assignments may share)."""

    qualified: dict[str, Problem]
    bare: dict[str, list[Problem]]

    @classmethod
    def of(cls, problems: list[Problem]) -> _Ids:
        bare: dict[str, list[Problem]] = {}
        for p in problems:
            bare.setdefault(p.id, []).append(p)
        return cls({p.qualified_id: p for p in problems}, bare)

    def named(self, key: str) -> list[Problem]:
        """The problems ``key`` may mean: its one problem when qualified, every problem of that bare id else."""
        return [self.qualified[key]] if key in self.qualified else self.bare.get(key, [])


def _elsewhere(key: str, candidates: list[Problem], assignment: str) -> str | None:
    """The note for a key whose problems are all of other assignments than the one graded (None if not)."""
    if not candidates or any(p.assignment == assignment for p in candidates):
        return None
    others = sorted({p.assignment for p in candidates})
    return (f"not graded: problem {_shown(key)} belongs to {', '.join(others)}, not {assignment} "
            f"(did you mean -a {others[0]}?)")


def _settle(found: dict[str, tuple[Problem, Mapping[str, Any]]],
            ambiguous: list[tuple[str, Any, list[Problem]]]) -> list[str]:
    """Bare ids of several assignments added to ``found`` when the keys that name one problem point to one of
    them (their assignment, as it was before any of these was added); a note for each that stays ambiguous."""
    inferred = {p.assignment for p, _ in found.values()}
    notes = []
    for key, value, candidates in ambiguous:
        inside = [p for p in candidates if p.assignment in inferred]
        if len(inside) == 1:
            _add(found, inside[0], value)
        else:
            notes.append(f"not graded: problem id {_shown(key)} is ambiguous; use one of "
                         f"{', '.join(p.qualified_id for p in candidates)}")
    return notes


def _graded(found: dict[str, tuple[Problem, Mapping[str, Any]]], assignment: str | None) -> str | None:
    """The assignment being graded: the one given, else the one every answered problem belongs to (None if several)."""
    inferred = {p.assignment for p, _ in found.values()}
    return assignment or (next(iter(inferred)) if len(inferred) == 1 else None)


def _unknown_notes(catalog: Catalog, everything: list[Problem], named: str | None, unknown: list[str]) -> list[str]:
    """A did-you-mean for each of the first ``MAX_HINTED_KEYS`` unknown keys, from the ids of the assignment being
    graded (``named``, else the whole catalog); the rest are counted."""
    pool = catalog.index(named) if named else everything
    ids = [p.id for p in pool] + [p.qualified_id for p in pool]
    where = f" in {named}" if named else ""
    notes = [f"not graded: unknown problem {_shown(key)}{where}{did_you_mean(key[:80], ids, ties=True)}"
             for key in unknown[:MAX_HINTED_KEYS]]
    if len(unknown) > MAX_HINTED_KEYS:
        notes.append(f"not graded: {len(unknown) - MAX_HINTED_KEYS} more unknown problem keys")
    return notes


def unanswered(assignment: str, catalog: Catalog, submission: str = "<unreadable>") -> Report:
    """The assignment graded with no answers: every part at 0, what a submission that cannot be read gets."""
    return grade_answers({}, assignment=assignment, catalog=catalog, submission=submission)

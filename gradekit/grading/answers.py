"""An answers file's raw answers graded: keys resolved to the catalog's problems, each problem graded.

>>> report = grade_answers({"q3.2": {"L": 116}})
>>> [p.verdict for prob in report.problems if prob.id == "q3.2" for p in prob.parts if p.name == "L"]
[<Verdict.CORRECT: 'correct'>]
"""

from __future__ import annotations

from typing import Any, Mapping

from gradekit.core.errors import SubmissionError, close_matches, did_you_mean
from gradekit.core.records import Problem
from gradekit.core.vocab import PartKind
from gradekit.grading.problem import grade_problem, unanswered_problem
from gradekit.output.report import Report
from gradekit.spec.catalog import Catalog, load_catalog
from gradekit.spec.variants import no_student_note, per_student, variant


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
            if not given and not any(part.kind == PartKind.MANUAL for part in problem.parts):
                results.append(unanswered_problem(problem))  # nothing to judge: its family is not even loaded
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
    only the first ``MAX_HINTED_KEYS`` unknown keys get a did-you-mean.
    """
    everything = catalog.index()  # ids and parts: no family is imported to read the keys
    by_qualified = {p.qualified_id: p for p in everything}
    by_bare: dict[str, list[Problem]] = {}
    for p in everything:
        by_bare.setdefault(p.id, []).append(p)
    found: dict[str, tuple[Problem, Mapping[str, Any]]] = {}
    notes: list[str] = []
    ambiguous: list[tuple[str, list[Problem]]] = []
    unknown: list[str] = []
    for key, value in answers.items():
        key = str(key)
        candidates = [by_qualified[key]] if key in by_qualified else by_bare.get(key, [])
        if assignment is not None:
            inside = [p for p in candidates if p.assignment == assignment]
            if candidates and not inside:
                others = sorted({p.assignment for p in candidates})
                notes.append(f"not graded: problem {_shown(key)} belongs to {', '.join(others)}, not {assignment} "
                             f"(did you mean -a {others[0]}?)")
                continue
            candidates = inside
        if len(candidates) == 1:
            _add(found, candidates[0], value)
        elif candidates:
            ambiguous.append((key, candidates))
        else:
            unknown.append(key)
    inferred = {p.assignment for p, _ in found.values()}
    for key, candidates in ambiguous:  # a bare id of several assignments: settled by the others' assignment
        inside = [p for p in candidates if p.assignment in inferred]
        if len(inside) == 1:
            _add(found, inside[0], answers[key])
        else:
            notes.append(f"not graded: problem id {_shown(key)} is ambiguous; use one of "
                         f"{', '.join(p.qualified_id for p in candidates)}")
    inferred = {p.assignment for p, _ in found.values()}
    named = assignment or (next(iter(inferred)) if len(inferred) == 1 else None)
    pool = catalog.index(named) if named else everything  # hints from the assignment being graded
    ids = [p.id for p in pool] + [p.qualified_id for p in pool]
    for key in unknown[:MAX_HINTED_KEYS]:
        hint = did_you_mean(key[:80], ids, ties=True)
        where = f" in {named}" if named else ""
        notes.append(f"not graded: unknown problem {_shown(key)}{where}{hint}")
    if len(unknown) > MAX_HINTED_KEYS:
        notes.append(f"not graded: {len(unknown) - MAX_HINTED_KEYS} more unknown problem keys")
    return found, notes


def unanswered(assignment: str, catalog: Catalog, submission: str = "<unreadable>") -> Report:
    """The assignment graded with no answers: every part at 0, what a submission that cannot be read gets."""
    return grade_answers({}, assignment=assignment, catalog=catalog, submission=submission)

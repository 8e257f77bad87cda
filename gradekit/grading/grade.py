"""Grading: a submission's raw answers against the catalog's solutions.

>>> from gradekit.grading.grade import grade_answers
>>> report = grade_answers({"q3.2": {"L": 116}})
>>> [p.verdict for p in report.problems[0].parts if p.name == "L"]
['correct']
"""

from __future__ import annotations

import difflib
from dataclasses import replace
from pathlib import Path
from typing import Any, Mapping

from gradekit.spec.catalog import Catalog, load_catalog
from gradekit.check import CheckContext, checker_for
from gradekit.core.errors import GraderError, NoAnswersError, SubmissionError, UnknownProblemError
from gradekit.core.families import differs
from gradekit.core.records import Mistake, Outcome, PartResult, Problem, ProblemResult
from gradekit.grading.report import Report
from gradekit.spec.variants import variant


def grade(
    submission: str | Path,
    *,
    assignment: str | None = None,
    catalog: Catalog | None = None,
    limits: Any = None,
    student: str | None = None,
    problem: str | None = None,
) -> Report:
    """Grade an answers file (.py, .json, .toml) and return its ``Report``.

    A ``.py`` file that binds no ``ANSWERS`` and is named as a code problem's
    spec declares (``task1_3180100111.py``), or any ``.py`` with ``problem``
    given, is a module submission: see ``gradekit.grading.code``.

    ``student`` (else the file's ``student``/``STUDENT``) picks the variant of
    problems whose spec draws per-student numbers.
    """
    from gradekit.sandbox import isolation
    from gradekit.code.spec import module_file_kind
    from gradekit.intake.submission import load_answers

    isolation.reset_used()
    kind = module_file_kind(Path(submission), catalog or load_catalog(), assignment, problem)
    if Path(submission).suffix.lower() == ".ipynb":
        report = _grade_notebook(Path(submission), catalog or load_catalog(), assignment, limits, student, problem)
    elif kind == "module":
        from gradekit.grading.code import grade_module

        report = grade_module(submission, problem=problem, assignment=assignment, catalog=catalog, limits=limits)
    else:
        try:
            raw = load_answers(Path(submission), limits=limits)
        except NoAnswersError as e:  # say which module file names would be graded instead
            raise (NoAnswersError(f"{e}{kind}") if kind else e) from None
        report = grade_answers(
            raw.answers,
            assignment=assignment or raw.assignment,
            catalog=catalog,
            submission=str(submission),
            student=student or raw.student,
        )
    used = isolation.used()
    report.isolation = used.to_dict() if used is not None else None
    return report


def _grade_notebook(path: Path, catalog: Catalog, assignment: str | None, limits: Any, student: str | None,
                    problem: str | None) -> Report:
    """A notebook's answers (tagged cells, ANSWERS) and its code for the code problems it implements, in one report."""
    from gradekit.grading.code import grade_module
    from gradekit.code.spec import is_module_problem, matches_file
    from gradekit.intake.notebook import answers_of, read_notebook
    from gradekit.sandbox.process import Limits
    from gradekit.intake.submission import read_bounded

    nb = read_notebook(path, read_bounded(path))
    answers, named = answers_of(nb, limits or Limits())
    assignment = assignment or named
    defined = nb.defined_in()
    pool = [p for p in catalog.problems(assignment) if is_module_problem(p)]
    if problem is not None:
        targets = [catalog.resolve(problem, assignment)]
    else:  # named as the code problem's file (task1.ipynb), or defining every name it asks for
        targets = [p for p in pool if matches_file(path.stem + ".py", p.validated_params.file)
                   or all(c.name.split(".")[0] in defined for c in p.validated_params.callables)]
    if answers:
        report = grade_answers(answers, assignment=assignment or (targets[0].assignment if targets else None),
                               catalog=catalog, submission=str(path), student=student)
    elif targets:
        report = Report(submission=str(path), problems=[], student=student)
    else:
        raise SubmissionError(f"{path}: answers no problem: no cell tagged answer:PROBLEM/PART, no ANSWERS, and no "
                              f"code of a code problem" + (f" of {assignment}" if assignment else ""))
    code = nb.code().encode()
    for target in targets:  # each code problem it implements replaces its (missing) result
        sub = grade_module(path, problem=target.qualified_id, catalog=catalog, limits=limits, source=code)
        for result in sub.problems:  # say in which cell a failing callable is
            result.parts = [_in_cell(part, defined) for part in result.parts]
        report.replace_problems(sub)
    report.notes[:0] = nb.notes
    return report


def _in_cell(part: PartResult, defined: Mapping[str, Any]) -> PartResult:
    cell = defined.get(part.name.split(".")[0])
    if cell is None or part.verdict in ("correct", "manual"):
        return part
    return replace(part, feedback=f"{part.feedback} (defined in cell {cell.number}: {cell.first_line})")


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
        catalog.assignment(assignment)  # fails early on an unknown name
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
    for name in names:
        for problem in catalog.problems(name):
            problem = variant(catalog, problem, student)  # unchanged unless its spec draws per student
            given = by_problem.get(problem.qualified_id, (problem, {}))[1]
            result, part_notes = grade_problem(catalog, problem, given)
            results.append(result)
            notes.extend(part_notes)
    return Report(submission=submission, problems=results, notes=notes, student=student)


MAX_HINTED_KEYS = 20  # unknown keys that get a did-you-mean; the rest are only counted (junk files stay cheap)


def _seems_for(catalog: Catalog, answers: Mapping[str, Any]) -> str | None:
    """The assignment whose problem ids the keys come closest to ("ece661-hw1"), for a file that answers none."""
    from collections import Counter

    ids = {p.id: p.assignment for p in catalog.problems()} | {p.qualified_id: p.assignment for p in catalog.problems()}
    votes: Counter[str] = Counter()
    for key in list(answers)[:MAX_HINTED_KEYS]:
        for close in difflib.get_close_matches(str(key)[:80], list(ids), n=3, cutoff=0.6):
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
    everything = catalog.problems()
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
    pool = catalog.problems(named) if named else everything  # hints from the assignment being graded
    ids = [p.id for p in pool] + [p.qualified_id for p in pool]
    for key in unknown[:MAX_HINTED_KEYS]:
        close = _every_close(key[:80], ids)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        where = f" in {named}" if named else ""
        notes.append(f"not graded: unknown problem {_shown(key)}{where}{hint}")
    if len(unknown) > MAX_HINTED_KEYS:
        notes.append(f"not graded: {len(unknown) - MAX_HINTED_KEYS} more unknown problem keys")
    return found, notes


def _every_close(word: str, options: list[str], cutoff: float = 0.6) -> list[str]:
    """Every option as close as the closest ones (ties kept: q3.1 and q3.2 for q3), best first, at most 8."""
    scored = sorted(((difflib.SequenceMatcher(None, word, o).ratio(), o) for o in dict.fromkeys(options)),
                    key=lambda t: -t[0])
    kept = [(r, o) for r, o in scored if r >= cutoff]
    if not kept:
        return []
    top = kept[0][0]
    return [o for r, o in kept if r >= top - 0.1][:8]


def _normalise_key(key: str) -> str:
    return "".join(key.split()).casefold()


def _match_parts(problem: Problem, given: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Raw answers by part name; keys differing only in spaces or case are accepted."""
    names = [p.name for p in problem.parts]
    loose = {}
    for n in names:
        loose.setdefault(_normalise_key(n), []).append(n)
    matched: dict[str, Any] = {}
    notes = []
    for key, value in given.items():
        if key in names:
            matched[key] = value
        elif len(loose.get(_normalise_key(str(key)), [])) == 1:
            matched[loose[_normalise_key(str(key))][0]] = value
        else:
            close = _every_close(str(key)[:80], names, cutoff=0.5)
            hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else f" (parts: {', '.join(names)})"
            notes.append(f"{problem.qualified_id}: unknown part {key!r}{hint}")
    return matched, notes


def _mistakes_for(part_name: str, expected: Any, mistakes: list[Mistake]) -> tuple[Mistake, ...]:
    """The family's mistakes that give this part an answer different from the right one."""
    return tuple(m for m in mistakes if part_name in m.answers and differs(m.answers[part_name], expected))


def grade_problem(catalog: Catalog, problem: Problem, given: Mapping[str, Any]) -> tuple[ProblemResult, list[str]]:
    if not isinstance(given, Mapping):
        given = {}
    solution = catalog.solve(problem)
    mistakes = catalog.mistakes(problem)
    matched, notes = _match_parts(problem, given)
    parts = []
    for part in problem.parts:
        expected = solution.answers.get(part.name)
        raw = matched.get(part.name)
        ctx = CheckContext(part, problem, _mistakes_for(part.name, expected, mistakes), matched)
        if part.kind != "manual" and raw is None:
            code = getattr(problem.validated_params, "file", None) if part.kind == "function" else None
            outcome = Outcome(0.0, "missing", f"No answer given: this part is graded from {code} "
                                              f"(gradekit check {code})." if code else "No answer given.")
        else:
            try:
                outcome = checker_for(part.kind)(expected, raw, ctx)
            except GraderError:
                raise
            except Exception as e:  # a checker bug must not stop the rest of the grading, nor cost points
                outcome = Outcome(0.0, "error", f"grader error, not counted against you: could not check this "
                                                f"part ({type(e).__name__}: {e})")
        max_score = part.points  # a manual part is worth its points everywhere; a person gives them
        score = round(max_score * min(max(outcome.fraction, 0.0), 1.0), 6)
        parts.append(PartResult(part.name, score, max_score, outcome.verdict, outcome.feedback, outcome.diagnosis,
                                outcome.reference))
    return ProblemResult(problem.id, problem.assignment, problem.title, parts), notes

"""One problem graded: a student's raw answers to its parts, each judged by its part kind's checker.

>>> from gradekit.catalog.catalog import load_catalog
>>> catalog = load_catalog()
>>> result, notes = grade_problem(catalog, catalog.resolve("ece661-hw1/q3.2"), {"L": 116})
>>> [p.verdict for p in result.parts if p.name == "L"]
[<Verdict.CORRECT: 'correct'>]
"""

from __future__ import annotations

from typing import Any, Mapping

from gradekit.check.context import CheckContext, Checker
from gradekit.check.kinds import KINDS, checker_for
from gradekit.core.errors import GraderError, did_you_mean
from gradekit.core.families import differs
from gradekit.core.records import Mistake, Outcome, Part, PartResult, Problem, ProblemResult
from gradekit.core.vocab import Verdict
from gradekit.intake.submission import Unreadable
from gradekit.catalog.catalog import Catalog


def _normalise_key(key: str) -> str:
    return "".join(key.split()).casefold()


def _match_parts(problem: Problem, given: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str], list[str]]:
    """Raw answers by part name; keys differing only in spaces or case are accepted, and said so (by part name:
    "matched key 'dl/dw1' to 'dL/dW1'")."""
    names = [p.name for p in problem.parts]
    loose: dict[str, list[str]] = {}
    for n in names:
        loose.setdefault(_normalise_key(n), []).append(n)
    matched: dict[str, Any] = {}
    keys: dict[str, str] = {}
    notes = []
    for key, value in given.items():
        if key in names:
            matched[key] = value
        elif len(loose.get(_normalise_key(str(key)), [])) == 1:
            name = loose[_normalise_key(str(key))][0]
            matched[name] = value
            keys[name] = f"matched key '{key}' to '{name}'"
        else:
            hint = did_you_mean(str(key)[:80], names, cutoff=0.5, ties=True) or f" (parts: {', '.join(names)})"
            notes.append(f"{problem.qualified_id}: unknown part {key!r}{hint}")
    return matched, keys, notes


def _mistakes_for(part_name: str, expected: Any, mistakes: list[Mistake]) -> tuple[Mistake, ...]:
    """The family's mistakes that give this part an answer different from the right one."""
    return tuple(m for m in mistakes if part_name in m.answers and differs(m.answers[part_name], expected))


def grade_problem(catalog: Catalog, problem: Problem, given: Mapping[str, Any]) -> tuple[ProblemResult, list[str]]:
    if not isinstance(given, Mapping):
        given = {}
    solution = catalog.solve(problem)
    mistakes = catalog.mistakes(problem)
    matched, keys, notes = _match_parts(problem, given)
    parts: list[PartResult] = []
    for part in problem.parts:
        expected = solution.answers.get(part.name)
        raw = matched.get(part.name)
        ctx = CheckContext(part, problem, _mistakes_for(part.name, expected, mistakes), matched)
        if not KINDS[part.kind].by_hand and raw is None:
            outcome = _missing(problem, part)
        elif isinstance(raw, Unreadable):  # the file ran, but this answer could not be handed back
            outcome = Outcome.invalid(f"{raw.reason}.")
        else:
            try:
                # a part of a kind that runs code is judged by running the student's module file (its session,
                # and the sandbox, are loaded only then); every other kind by its checker
                check: Checker
                if KINDS[part.kind].runs_code:
                    from gradekit.grading.functions import check_function as check
                else:
                    check = checker_for(part.kind)
                outcome = check(expected, raw, ctx)
            except GraderError:
                raise
            except Exception as e:  # a checker bug must not stop the rest of the grading, nor cost points
                outcome = Outcome(0.0, Verdict.ERROR, f"grader error, not counted against you: could not check this "
                                                f"part ({type(e).__name__}: {e})")
        if raw is not None and outcome.verdict == Verdict.WRONG and "carried_forward" in part.partial:
            from gradekit.grading.carry import carried_forward

            outcome = carried_forward(catalog, problem, part, raw, outcome, list(zip(problem.parts, parts)),
                                      matched) or outcome
        max_score = part.points  # a manual part is worth its points everywhere; a person gives them
        score = round(max_score * min(max(outcome.fraction, 0.0), 1.0), 6)
        parts.append(PartResult(part.name, score, max_score, outcome.verdict, outcome.feedback, outcome.diagnosis,
                                outcome.reference, answered=KINDS[part.kind].by_hand or raw is not None,
                                reading="; ".join(r for r in (keys.get(part.name, ""), outcome.reading) if r)))
    return ProblemResult(problem.id, problem.assignment, problem.title, parts), notes


def _missing(problem: Problem, part: Part) -> Outcome:
    code = problem.params.get("file") if KINDS[part.kind].runs_code else None
    return Outcome(0.0, Verdict.MISSING, f"No answer given: this part is graded from {code} (gradekit check {code})."
                   if code else "No answer given.")


def code_problem_in_answers(problem: Problem, given: Mapping[str, Any]) -> tuple[ProblemResult, list[str]]:
    """A problem whose every part grades a module file, met in an answers file: each part answered there is
    told where its code goes, the others are missing; worked out from the spec alone (its family, the code
    checks, is not loaded)."""
    from gradekit.grading.functions import code_typed_in_answers

    matched, _, notes = _match_parts(problem, given if isinstance(given, Mapping) else {})
    parts = []
    for part in problem.parts:
        outcome = _missing(problem, part) if matched.get(part.name) is None else code_typed_in_answers(problem)
        parts.append(PartResult(part.name, 0.0, part.points, outcome.verdict, outcome.feedback,
                                answered=matched.get(part.name) is not None))
    return ProblemResult(problem.id, problem.assignment, problem.title, parts), notes


def unanswered_problem(problem: Problem) -> ProblemResult:
    """A problem the submission does not answer at all: every part missing, worked out from the spec alone."""
    parts = [PartResult(part.name, 0.0, part.points, Verdict.MISSING, _missing(problem, part).feedback, answered=False)
             for part in problem.parts]
    return ProblemResult(problem.id, problem.assignment, problem.title, parts)

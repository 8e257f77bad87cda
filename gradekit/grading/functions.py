"""The ``function`` part kind: a callable of a student's module, judged by running its checks in the
session's boxed child. Every other part kind is judged by ``gradekit.check``.
"""

from __future__ import annotations

from typing import Any, cast

from gradekit.check.context import CheckContext
from gradekit.check.special import REVEAL_DEFAULT
from gradekit.core.errors import GraderError
from gradekit.core.records import Outcome
from gradekit.core.vocab import Verdict


def code_typed_in_answers(problem: Any) -> Outcome:
    """A part that grades code, answered in an answers file instead: where its code goes."""
    file = problem.params.get("file") if problem is not None else None
    return Outcome.invalid(f"this part grades code: hand in {file or 'the module file'} and run gradekit check on it")


def check_function(expected: Any, raw: Any, ctx: CheckContext) -> Outcome:
    """The ``function`` checker: ``raw`` is the submission's ``ModuleSession``; every check must pass.

    The part's fraction is the mean over its checks: 1 for a pass, a ``Slip``'s credit (the spec's
    ``partial`` price of a named mistake), 0 for any other failure; the feedback names each failing
    check with its smallest failing input.
    """
    if not _is_session(raw):  # an answer typed in an answers file
        return code_typed_in_answers(ctx.problem)
    from gradekit.code.props import exact_feedback
    from gradekit.code.spec import Graded, ModuleSpec, Note

    assert ctx.problem is not None  # a function part is graded with its problem (grade_problem)
    spec = cast(ModuleSpec, ctx.problem.validated_params)  # a code problem's: its ModuleSpec
    fn = spec.callable(ctx.part.name)
    options = dict(ctx.part.options)
    exact = options.get("reveal", REVEAL_DEFAULT) == "exact"
    failures: list[tuple[str, Graded | str]] = []  # a typed result, or a family's line (str) as before
    faults: list[str] = []
    notes: list[str] = []
    for check in fn.checks:
        try:
            # each check its own time budget (a slow function's time-out is this check's failure), and
            # expected values rounded in its messages unless the part's spec reveals them
            with raw.check_budget(), exact_feedback(exact):
                bad = check.run(raw, options)
        except GraderError:
            raise  # the sandbox cannot be had: nothing of this submission can be judged
        except Exception as e:  # the grader's fault (a missing dependency, a check bug): not the student's
            faults.append(f"{check.name}: {type(e).__name__}: {e}")
            continue
        if isinstance(bad, Graded):  # a typed result: its own fraction, its own words
            if bad.fraction < 1.0:
                failures.append((check.name, bad))
            elif bad.message:  # full credit, with a mistake priced at all of it: said, as a note
                notes.append(f"{check.name}: {bad.message}")
        elif isinstance(bad, Note):
            notes.append(f"{check.name}: {bad}")
        elif bad is not None:
            failures.append((check.name, bad))
        if raw.import_failure is not None:
            return Outcome(0.0, Verdict.INVALID, raw.import_failure.message)
    if faults:  # an `error` verdict for the instructor, never a failure charged to the student
        return Outcome(0.0, Verdict.ERROR, "grader error, not counted against you: " + "; ".join(faults))
    if not failures:
        checked = f"passed {', '.join(c.name for c in fn.checks)}"
        return Outcome.correct("; ".join([checked, *notes]))
    if all(_not_implemented(msg) for _, msg in failures) and len(failures) == len(fn.checks):
        return Outcome(0.0, Verdict.MISSING, "not implemented")
    passed = (len(fn.checks) - sum(1 - _credit(msg) for _, msg in failures)) / len(fn.checks)
    text = "; ".join(f"{name}: {getattr(msg, 'message', msg)}" for name, msg in failures)
    return Outcome(passed, Verdict.PARTIAL if passed > 0 else Verdict.WRONG, text)


def _credit(result: Any) -> float:
    """What a failing check still earns: a typed result's fraction, a ``Slip``'s price, else nothing."""
    return float(getattr(result, "fraction", getattr(result, "credit", 0.0)))


def _not_implemented(result: Any) -> bool:
    return bool(getattr(result, "not_implemented", False)) or result == "not implemented"


def _is_session(raw: Any) -> bool:
    if raw is None or isinstance(raw, (str, bytes, bool, int, float, list, tuple, dict)):
        return False  # plain data: no need to load the session's module (numpy, subprocess, the sandbox)
    from gradekit.code.generated import CodePair
    from gradekit.code.session import ModuleSession

    return isinstance(raw, (ModuleSession, CodePair))

"""One error family for everything that comes from outside the core.

Every message is one line that names the file, the field, the bad value and
what is allowed, so the CLI can print it as it is and exit with code 2.
"""

from __future__ import annotations

import difflib
from typing import Iterable


def close_matches(word: str, options: Iterable[str], *, cutoff: float = 0.6, most: int = 3,
                  ties: bool = False) -> list[str]:
    """The options closest to ``word`` (difflib's ratio at least ``cutoff``), best first.

    ``ties=False``: the ``most`` closest. ``ties=True``: every option within 0.1 of the closest, at most 8,
    so equally close ids are all named (``q3.1`` and ``q3.2`` for ``q3``), never one picked at random.

    >>> close_matches("q3", ["q3.1", "q3.2", "q1"], ties=True)
    ['q3.1', 'q3.2']
    """
    if not ties:
        return difflib.get_close_matches(word, list(options), n=most, cutoff=cutoff)
    scored = sorted(((difflib.SequenceMatcher(None, word, o).ratio(), o) for o in dict.fromkeys(options)),
                    key=lambda t: -t[0])
    kept = [(r, o) for r, o in scored if r >= cutoff]
    if not kept:
        return []
    top = kept[0][0]
    return [o for r, o in kept if r >= top - 0.1][:8]


def did_you_mean(word: str, options: Iterable[str], *, cutoff: float = 0.6, ties: bool = False) -> str:
    """"; did you mean 'x'?" for the close matches of ``word`` (``close_matches``), or "".

    >>> did_you_mean("strid", ["stride", "padding"])
    "; did you mean 'stride'?"
    """
    close = close_matches(word, options, cutoff=cutoff, ties=ties)
    return f"; did you mean {', '.join(repr(str(c)) for c in close)}?" if close else ""  # an enum member as its word


class UnreadableAnswer(ValueError):
    """One answer that cannot be read as its part asks (not a number, not a formula, a stray left-hand side):
    the part is ``invalid``, and the message (one line) says why. Not a ``GradekitError``: it costs that part,
    never the file. Still a ``ValueError``, for callers that catch that.

    >>> isinstance(UnreadableAnswer("'abc' is not a number"), ValueError)
    True
    """


class GradekitError(Exception):
    """Base of every error gradekit raises on bad input; ``exit_code`` is the CLI's."""

    exit_code = 2


class SpecError(GradekitError):
    """A problem spec (or an assignment.toml) is invalid.

    >>> str(SpecError("problems/a/q1.toml", "params.W1 has shape (2, 2), but ... needs (2, 3)"))
    'problems/a/q1.toml: params.W1 has shape (2, 2), but ... needs (2, 3)'
    """

    def __init__(self, where: str, message: str):
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message

    @classmethod
    def of_params(cls, where: str, family: str, error: "ParamError") -> "SpecError":
        """A family's complaint about a spec's params, as that spec file's error."""
        return cls(where, f"{error} (family {family})")


class ParamError(GradekitError):
    """A family's parameters are invalid; the catalog adds the file name."""

    def __init__(self, field: str, message: str):
        super().__init__(f"params.{field} {message}" if field else message)
        self.field = field
        self.message = message


class SubmissionError(GradekitError):
    """A submission cannot be read at all (missing file, syntax error, no ANSWERS)."""


class NoAnswersError(SubmissionError):
    """A ``.py`` file that binds no ``ANSWERS``: perhaps a module file, named for no code problem."""


class UnknownProblemError(GradekitError):
    """An id on the command line names no problem, or more than one."""


class UnknownAssignmentError(GradekitError):
    """An assignment name on the command line is not in the catalog."""


class GraderError(GradekitError):
    """A fault of the grader or of its machine, not of the submission: the instructor must act.

    Reported as an ``error`` verdict, never as points lost; the CLI exits with 3.
    """

    exit_code = 3


class IsolationError(GraderError):
    """Student code cannot be run with the isolation this machine must give it (see ``gradekit doctor``)."""

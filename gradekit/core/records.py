"""The plain data that flows through gradekit: problems, solutions, results.

Nothing here computes: families fill a ``Solution``, checkers return an
``Outcome``, the grader turns outcomes into ``PartResult`` rows of a ``Report``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Protocol, Sequence, runtime_checkable

from gradekit.core.vocab import PartKind, Verdict
from gradekit.core.studentenv import DEFAULT_PACKAGES


@dataclass(frozen=True)
class Part:
    """One graded answer of a problem, as a spec declares it.

    ``options`` holds the checker's settings (``rtol``, ``choices``,
    ``partial`` ...), already validated against the kind. ``kind`` may be given as its string (``"number"``):
    it is made the ``PartKind`` member (the kinds are a closed table; a word that is none raises ValueError).
    """

    name: str
    kind: PartKind
    points: float = 1.0
    description: str = ""
    options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", PartKind(self.kind))

    @property
    def partial(self) -> Mapping[str, float]:
        """Credit fractions by diagnosis id, e.g. ``{"transposed": 0.5}``."""
        return self.options.get("partial", {})


@runtime_checkable
class ModuleParams(Protocol):
    """What a module family's ``validate`` makes of its params: a ``gradekit.code.spec.ModuleSpec``, named here
    by what the layers above read of it (the core imports nothing of ``gradekit.code``)."""

    # read-only (properties): a ModuleSpec is a frozen dataclass, whose fields a protocol's plain
    # attributes, settable, would not match

    @property
    def file(self) -> str: ...  # the file students hand in, e.g. "task1.py"

    @property
    def callables(self) -> Sequence[Any]: ...  # the CallableSpecs the file must define

    @property
    def preamble(self) -> str: ...  # the imports (or the handout's earlier cells) above the graded code

    @property
    def extra(self) -> Mapping[str, Any]: ...  # the family's own validated params (a [code] table's tests)


@dataclass(frozen=True)
class Problem:
    """A validated problem spec: ``family`` solves ``params``; ``parts`` are graded."""

    id: str
    assignment: str
    title: str
    family: str
    statement: str
    params: Mapping[str, Any]
    parts: tuple[Part, ...]
    source: str = ""  # the spec file, for messages
    # What the family's validate() made of params (arrays, defaults), or of a module problem's (a ModuleSpec); None
    # until checked (a catalog read with check_params=False); not compared.
    validated_params: Mapping[str, Any] | ModuleParams | None = field(default=None, compare=False, repr=False)
    # Which variant of the spec this is ("" for the spec's own params): keys the solution cache.
    variant: str = ""

    @property
    def qualified_id(self) -> str:
        return f"{self.assignment}/{self.id}"

    @property
    def max_score(self) -> float:
        return sum(p.points for p in self.parts)  # manual parts count too: graded by a person, not left out

    def part(self, name: str) -> Part:
        for p in self.parts:
            if p.name == name:
                return p
        raise KeyError(name)


@dataclass(frozen=True)
class Assignment:
    name: str
    title: str
    source: str
    problems: tuple[Problem, ...]
    declared_points: float | None = None
    visibility: str = "visible"  # Gradescope default for every part that does not set its own
    folder: str = ""  # where its specs are (the bundle carries an instructor's folder along)
    packages: tuple[str, ...] = ()  # what its students' code may import ([students] packages and environment file)

    @property
    def max_score(self) -> float:
        return sum(p.max_score for p in self.problems)

    @property
    def environment(self) -> tuple[str, ...]:
        """Every package its students may import: the default scientific stack, then its own."""
        return tuple(dict.fromkeys((*DEFAULT_PACKAGES, *self.packages)))


@dataclass(frozen=True)
class Step:
    """One step of a worked solution, written from the values it shows.

    ``values`` maps names to the numbers the step computed (arrays allowed),
    so a renderer can print them and a test can assert them.
    """

    title: str
    text: str = ""
    latex: str = ""
    values: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Mistake:
    """A typical wrong solution: the answers a named mistake produces.

    ``id`` keys the spec's ``partial`` table; ``message`` is what the student reads.
    """

    id: str
    message: str
    answers: Mapping[str, Any]


@dataclass
class Solution:
    """A family's answer to one problem: exact answers by part, and the worked steps."""

    answers: dict[str, Any]
    steps: list[Step] = field(default_factory=list)


@dataclass(frozen=True)
class Outcome:
    """A checker's verdict on one part, as a fraction of its points.

    ``verdict`` may be given as its string (``"wrong"``, as a plug-in family may write it): it is made the
    ``Verdict`` member, and a word that is none (``"wrnog"``) raises ``ValueError`` here, where it was made.
    """

    fraction: float
    verdict: Verdict
    feedback: str = ""
    diagnosis: str | None = None
    reference: str | None = None  # a manual part's key: for graders (--json, grades.json), never in feedback
    reading: str = ""  # how an answer not taken literally was read ("read '25/2' as 12.5"): said for any verdict

    def __post_init__(self) -> None:
        object.__setattr__(self, "verdict", Verdict(self.verdict))

    @classmethod
    def correct(cls, feedback: str = "correct") -> "Outcome":
        return cls(1.0, Verdict.CORRECT, feedback)

    @classmethod
    def wrong(cls, feedback: str, diagnosis: str | None = None) -> "Outcome":
        return cls(0.0, Verdict.WRONG, feedback, diagnosis)

    @classmethod
    def invalid(cls, feedback: str) -> "Outcome":
        return cls(0.0, Verdict.INVALID, feedback)


def tidy(x: float) -> float | int:
    """Scores as people write them: 3 rather than 3.0000000001."""
    r = round(float(x), 6)
    return int(r) if r.is_integer() else r


def points(x: float) -> str:
    """A number of points as a sentence says it: "1 point", "0.5 points", "3 points".

    >>> points(1), points(2.0), points(0.5)
    ('1 point', '2 points', '0.5 points')
    """
    return f"{tidy(x)} point" + ("" if tidy(x) == 1 else "s")


@dataclass(frozen=True)
class PartResult:
    name: str
    score: float
    max_score: float
    verdict: Verdict  # a string given is made the member, as in Outcome
    feedback: str = ""
    diagnosis: str | None = None
    reference: str | None = None  # a manual part's key, for graders only
    answered: bool = True  # False: the submission gave nothing for this part (the terminal folds such problems)
    reading: str = ""  # how the answer was read where not literally (Outcome.reading); in to_dict when set

    def __post_init__(self) -> None:
        object.__setattr__(self, "verdict", Verdict(self.verdict))

    def to_dict(self) -> dict[str, Any]:
        out = {
            "name": self.name,
            "score": tidy(self.score),
            "max_score": tidy(self.max_score),
            "verdict": self.verdict.value,  # a plain str: the dict goes to JSON, caches and other processes
            "feedback": self.feedback,
            "diagnosis": self.diagnosis,
        }
        if self.reference is not None:
            out["reference"] = self.reference
        if self.reading:
            out["reading"] = self.reading
        return out


@dataclass
class ProblemResult:
    id: str
    assignment: str
    title: str
    parts: list[PartResult]

    @property
    def score(self) -> float:
        return sum(p.score for p in self.parts)

    @property
    def max_score(self) -> float:
        return sum(p.max_score for p in self.parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": f"{self.assignment}/{self.id}",
            "title": self.title,
            "score": tidy(self.score),
            "max_score": tidy(self.max_score),
            "parts": [p.to_dict() for p in self.parts],
        }

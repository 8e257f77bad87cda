"""Per-student variants: spec params that are generators, drawn from a stable seed.

A param written as a table with a ``random`` key is a generator::

    W1 = { random = "int_matrix", shape = [2, 3], low = -2, high = 2 }
    x1 = { random = "real_matrix", shape = [3], low = -1, high = 1, decimals = 1 }
    activation = { random = "choice", options = ["relu", "sigmoid"] }
    n = { random = "int", low = 2, high = 5 }

Every draw comes from a seed ``sha256("gradekit-variant", assignment, problem,
student)``. Why not ``numpy.random.Generator`` or ``random.Random``? numpy
documents no stream stability across versions for ``integers``, and Python
guarantees only ``random()`` for a seed, not ``randint`` (3.12 changed
``randrange``). So the bits come from sha256 in counter mode and integers from
them by rejection (unbiased); reals are integers over ``10**decimals``. The same
(assignment, problem, student) gives the same variant on every machine, Python
and numpy.

A family may declare ``accept(params) -> bool`` (a non-singular matrix, no ReLU
unit exactly at 0); a rejected draw is redrawn from the next attempt's stream,
so retries are deterministic too.

>>> a, b = Stream(seed("a", "q1", "ada")), Stream(seed("a", "q1", "ada"))
>>> [a.integer(-2, 2) for _ in range(8)] == [b.integer(-2, 2) for _ in range(8)]
True
>>> draw({"n": {"random": "int", "low": 1, "high": 6}}, Stream(seed("a", "q1", "ada")))["n"] in range(1, 7)
True
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence, cast

from gradekit.core.errors import ParamError, SpecError

if TYPE_CHECKING:
    from gradekit.core.families import Family
    from gradekit.core.records import Problem
    from gradekit.catalog.catalog import Catalog  # the catalog imports this module

GENERATORS = {
    "int": {"low", "high"},
    "real": {"low", "high", "decimals"},
    "int_matrix": {"shape", "low", "high"},
    "real_matrix": {"shape", "low", "high", "decimals"},
    "choice": {"options"},
}
MAX_ATTEMPTS = 200
DEFAULT_DECIMALS = 2


def seed(assignment: str, problem: str, student: str) -> bytes:
    """The variant's seed: NUL-separated so ("a", "bc") and ("ab", "c") differ."""
    text = "\0".join(("gradekit-variant", assignment, problem, student))
    return hashlib.sha256(text.encode("utf-8")).digest()


class Stream:
    """Deterministic integers from sha256(seed || attempt || counter)."""

    def __init__(self, seed_bytes: bytes, attempt: int = 0):
        self._prefix = seed_bytes + attempt.to_bytes(4, "big")
        self._counter = 0
        self._buffer = b""

    def _word(self) -> int:
        if len(self._buffer) < 8:
            self._buffer += hashlib.sha256(self._prefix + self._counter.to_bytes(8, "big")).digest()
            self._counter += 1
        word, self._buffer = self._buffer[:8], self._buffer[8:]
        return int.from_bytes(word, "big")

    def integer(self, low: int, high: int) -> int:
        """Uniform in [low, high], both included (rejection keeps it unbiased)."""
        span = high - low + 1
        limit = (2**64 // span) * span
        while True:
            w = self._word()
            if w < limit:
                return low + w % span


def is_generator(value: Any) -> bool:
    return isinstance(value, Mapping) and "random" in value


def has_generators(params: Mapping[str, Any]) -> bool:
    return isinstance(params, Mapping) and any(is_generator(v) for v in params.values())


def _check(name: str, spec: Mapping[str, Any]) -> None:
    """Raise ``ParamError`` for a generator table a draw could not honour."""
    kind = spec["random"]
    if kind not in GENERATORS:
        raise ParamError(name, f"has random = {kind!r}, but only {', '.join(GENERATORS)} are valid")
    allowed = GENERATORS[kind] | {"random"}
    for key in spec:
        if key not in allowed:
            raise ParamError(name, f"has {key!r}, which random = {kind!r} does not take (valid: {', '.join(sorted(allowed))})")
    if kind == "choice":
        opts = spec.get("options")
        if not isinstance(opts, list) or not opts:
            raise ParamError(name, f"options must be a non-empty list, got {opts!r}")
        return
    for key in ("low", "high"):
        v = spec.get(key)
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ParamError(name, f"{key} must be a number, got {v!r}")
    if spec["low"] > spec["high"]:
        raise ParamError(name, f"low = {spec['low']} is above high = {spec['high']}")
    if "shape" in GENERATORS[kind]:
        shape = spec.get("shape")
        if not isinstance(shape, list) or not 1 <= len(shape) <= 2 or not all(
            isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in shape
        ):
            raise ParamError(name, f"shape must be [n] or [m, n] of positive integers, got {shape!r}")
    d = spec.get("decimals", DEFAULT_DECIMALS)
    if isinstance(d, bool) or not isinstance(d, int) or not 0 <= d <= 6:
        raise ParamError(name, f"decimals must be an integer in [0, 6], got {d!r}")


def _scalar(spec: Mapping[str, Any], stream: Stream) -> int | float:
    if spec["random"] in ("int", "int_matrix"):
        return stream.integer(int(spec["low"]), int(spec["high"]))
    scale = 10 ** spec.get("decimals", DEFAULT_DECIMALS)
    k = stream.integer(round(spec["low"] * scale), round(spec["high"] * scale))
    return k / scale if scale > 1 else float(k)


def _one(spec: Mapping[str, Any], stream: Stream) -> Any:
    kind = spec["random"]
    if kind == "choice":
        opts = spec["options"]
        return opts[stream.integer(0, len(opts) - 1)]
    if kind in ("int", "real"):
        return _scalar(spec, stream)
    shape = spec["shape"]
    if len(shape) == 1:
        return [_scalar(spec, stream) for _ in range(shape[0])]
    return [[_scalar(spec, stream) for _ in range(shape[1])] for _ in range(shape[0])]


def draw(params: Mapping[str, Any], stream: Stream) -> dict[str, Any]:
    """Params with every generator replaced by a drawn value (plain lists and numbers), in spec order."""
    out = {}
    for name, value in params.items():
        if is_generator(value):
            _check(name, value)
            out[name] = _one(value, stream)
        else:
            out[name] = value
    return out


def draw_params(assignment: str, problem: str, student: str, params: Mapping[str, Any],
                family: Family) -> dict[str, Any]:
    """The student's params: the first draw the family validates and accepts.

    Raises ``ParamError`` for a bad generator or when no draw is accepted.
    """
    base = seed(assignment, problem, student)
    for attempt in range(MAX_ATTEMPTS):
        raw = draw(params, Stream(base, attempt))
        # accept takes what this family's own check made (as family_params says)
        validated = cast(Mapping[str, Any], family.check(raw))
        if family.accept is None or family.accept(validated):
            return raw
    raise ParamError("", f"no variant accepted by family {family.name} in {MAX_ATTEMPTS} draws; widen the generators' ranges")


def default_draw(where: str, pid: str, assignment: str, params: Mapping[str, Any], family: Family) -> dict[str, Any]:
    """What the catalog validates a generator spec on: the draw for student id ""."""
    try:
        return draw_params(assignment, pid, "", params, family)
    except ParamError as e:
        raise SpecError.of_params(where, family.name, e) from None


_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


def render_statement(statement: str, params: Mapping[str, Any]) -> str:
    """Fill ``{{W1}}`` placeholders with the drawn values in LaTeX (``bmatrix``).

    >>> render_statement("$x = {{x}}$", {"x": 2})
    '$x = 2$'
    """
    from gradekit.core.texfmt import tex

    def fill(m: re.Match) -> str:
        name = m.group(1)
        if name not in params:
            return m.group(0)
        v = params[name]
        return v if isinstance(v, str) else tex(v)

    return _PLACEHOLDER.sub(fill, statement)


def variant(catalog: Catalog, problem: Problem, student: str | None) -> Problem:
    """``problem`` as ``student`` gets it (a ``Problem``); unchanged when its spec draws nothing.

    ``student=None`` gives the spec's default variant (the draw for student id "").
    The raw spec (with its generators) is read back from the problem's source file
    only through ``problem.params``, which keeps the generator tables.
    """
    from dataclasses import replace

    from gradekit.core.families import registry

    if not has_generators(problem.params):
        return problem
    sid = student or ""
    family = registry()[problem.family]
    try:
        drawn = draw_params(problem.assignment, problem.id, sid, problem.params, family)
    except ParamError as e:
        raise SpecError.of_params(problem.source, problem.family, e) from None
    out = catalog.with_params(problem, drawn, variant=f"student:{sid}")
    # keep the generators as the problem's params, so a variant of a variant is the same draw
    return replace(out, params=problem.params, statement=render_statement(problem.statement, drawn),
                   validated_params=out.validated_params)


def drawn_params(problem: Problem) -> dict[str, Any]:
    """The values a variant problem was solved on, as plain data (for ``show --json``)."""
    from gradekit.core.plain import plain

    vp = problem.validated_params
    if has_generators(problem.params) and isinstance(vp, Mapping):
        return {k: plain(vp[k]) for k in problem.params if k in vp}
    return plain(dict(problem.params))


def per_student(problems: Iterable[Problem]) -> list[str]:
    """The ids of ``problems`` whose spec draws per-student numbers (``q3.2v``), in order."""
    return [p.id for p in problems if has_generators(p.params)]


def no_student_note(ids: Sequence[str], how: str = "give --student ID") -> str:
    """One line saying that per-student problems were taken for no student: the default variant.

    >>> no_student_note(["q3.2v"])
    'q3.2v draws numbers per student; no student given, so this is the default variant (give --student ID)'
    """
    which = ", ".join(ids)
    verb = "draws" if len(ids) == 1 else "draw"
    return f"{which} {verb} numbers per student; no student given, so this is the default variant ({how})"

"""Exact kinds: integer, shape, choice, bool."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from typing import Any

from gradekit.core.records import Outcome
from gradekit.core.vocab import Verdict
from gradekit.core.reader.numbers import AnswerFormatError, parse_bool, parse_integer, parse_numeric, quoted, read_shape
from gradekit.check.context import CheckContext, diagnosed


def _matching_mistake(ctx: CheckContext, got: Any, normalise=lambda v: v) -> Outcome | None:
    for mistake in ctx.mistakes:
        if normalise(mistake.answers[ctx.part.name]) == got:
            return diagnosed(ctx, mistake.id, mistake.message)
    return None


def check_integer(expected: Any, raw: Any, ctx: CheckContext) -> Outcome:
    try:
        got = parse_integer(raw, name=ctx.part.name)
    except AnswerFormatError as e:
        return Outcome.invalid(str(e))
    want = int(expected)
    plain = isinstance(raw, int) or (isinstance(raw, str) and raw.strip().lstrip("+-").isdigit())
    reading = "" if plain else _integer_reading(raw, got, ctx.part.name)
    if got == want:
        return Outcome.correct() if plain else Outcome(1.0, Verdict.CORRECT, f"correct ({reading})", reading=reading)
    found = _matching_mistake(ctx, got, int)
    if not found and want != 0 and got == -want:
        found = diagnosed(ctx, "sign_flipped", "Right size, wrong sign.")
    found = found or Outcome.wrong(f"{got} is off by {abs(got - want)}{_ratio(got, want)}.")
    return replace(found, reading=reading) if reading else found


def _integer_reading(raw: Any, got: int, name: str) -> str:
    """How a written integer was read: the reader's own words where they say more (an equation chain's steps in
    names, not checked), else "read '…' as N"."""
    try:
        said = parse_numeric(raw, name=name).readings
    except AnswerFormatError:
        said = ()
    return said[0] if len(said) == 1 and "its last value" in said[0] else f"read {quoted(str(raw))} as {got}"


def _ratio(got: int, want: int) -> str:
    """" (3 times the right value)", " (2/3 of the right value)": a count off by a simple ratio says it."""
    from fractions import Fraction

    if not want or not got or (got < 0) != (want < 0):
        return ""
    r = Fraction(got, want)
    if r.denominator == 1 and r.numerator <= 1000:
        return f" ({r.numerator} times the right value)"
    if r.numerator <= 10 and r.denominator <= 10:
        return f" ({r.numerator}/{r.denominator} of the right value)"
    return ""


def _shape_text(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ")"


def check_shape(expected: Any, raw: Any, ctx: CheckContext) -> Outcome:
    try:
        got, reading = read_shape(raw)
    except AnswerFormatError as e:
        return Outcome.invalid(str(e))
    outcome = _shape_outcome(tuple(int(d) for d in expected), got, ctx)
    if not reading:
        return outcome
    feedback = f"correct ({reading})" if outcome.verdict == Verdict.CORRECT else outcome.feedback
    return replace(outcome, feedback=feedback, reading=reading)


def _shape_outcome(want: tuple[int, ...], got: tuple[int, ...], ctx: CheckContext) -> Outcome:
    if got == want:
        return Outcome.correct()
    found = _matching_mistake(ctx, got, lambda v: tuple(int(d) for d in v))
    if found:
        return found
    if len(got) != len(want):
        return Outcome.wrong(f"{_shape_text(got)} has {len(got)} dimension(s), but {len(want)} are due.")
    swapped = _swapped_axes(got, want)
    if swapped is not None:
        i, j = swapped
        what = "the transpose of the right one" if len(want) == 2 else f"the right one with dimensions {i} and {j} swapped"
        return diagnosed(ctx, "transposed", f"{_shape_text(got)} is {what}: check which axis holds the examples, "
                                            f"and the weight's layout (out, in) or (in, out).")
    wrong = [i for i, (g, w) in enumerate(zip(got, want)) if g != w]
    return Outcome.wrong(f"{_shape_text(got)}: dimension {wrong[0]} is {got[wrong[0]]}, which is not right ({len(wrong)} of {len(want)} dimensions differ).")


def _swapped_axes(got: tuple[int, ...], want: tuple[int, ...]) -> tuple[int, int] | None:
    """The two dimensions whose exchange makes ``got`` the right shape, when exactly two differ that way."""
    wrong = [i for i, (g, w) in enumerate(zip(got, want)) if g != w]
    if len(wrong) == 2 and got[wrong[0]] == want[wrong[1]] and got[wrong[1]] == want[wrong[0]]:
        return wrong[0], wrong[1]
    return None


def normalise_choice(text: str) -> str:
    """Case, accents, spaces and punctuation do not matter: 'Logical OR.' -> 'logicalor'."""
    text = unicodedata.normalize("NFKD", text).casefold()
    return re.sub(r"[\W_]+", "", text)


def _choice_table(ctx: CheckContext) -> dict[str, str]:
    """Every accepted spelling (normalised) -> the canonical choice."""
    table: dict[str, str] = {}
    for choice in ctx.part.options.get("choices", []):
        table[normalise_choice(choice)] = choice
    for canonical, spellings in ctx.part.options.get("synonyms", {}).items():
        for s in [canonical, *spellings]:
            table[normalise_choice(s)] = canonical
    return table


MAX_CHOICE_WORDS = 8  # "OR gate", "Constant True (Tautology)": a choice named inside a few words, not an essay


def _words(text: str) -> tuple[str, ...]:
    return tuple(re.findall(r"[^\W_]+", unicodedata.normalize("NFKD", text).casefold()))


def _named_inside(item: str, ctx: CheckContext) -> tuple[set[str], str]:
    """The choices a few words name (``OR gate`` names OR; ``NOT OR gate`` names NOR, whose spelling holds
    OR's), and the words; an empty set when none or when the answer is longer than a few words."""
    words = _words(item)
    if not words or len(words) > MAX_CHOICE_WORDS:
        return set(), item
    spellings: list[tuple[tuple[str, ...], str]] = [(_words(c), c) for c in ctx.part.options.get("choices", [])]
    for canonical, others in ctx.part.options.get("synonyms", {}).items():
        spellings += [(_words(o), canonical) for o in [canonical, *others]]
    spans = [(i, i + len(w), c) for w, c in spellings if w
             for i in range(len(words) - len(w) + 1) if words[i:i + len(w)] == w]
    outer = [s for s in spans if not any(o[0] <= s[0] and s[1] <= o[1] and (o[1] - o[0]) > (s[1] - s[0])
                                         for o in spans)]
    return {c for _, _, c in outer}, item


def _as_list(raw: Any) -> list[Any]:
    if isinstance(raw, (list, tuple, set)):
        return list(raw)
    if isinstance(raw, str):
        return [p for p in re.split(r"\s*(?:,|;|\band\b|&|\+)\s*", raw.strip()) if p]
    return [raw]


def check_choice(expected: Any, raw: Any, ctx: CheckContext) -> Outcome:
    table = _choice_table(ctx)
    multiple = bool(ctx.part.options.get("multiple", False))
    items = _as_list(raw) if multiple else [raw]
    picked: list[str] = []
    reading = ""
    for item in items:
        if not isinstance(item, str):
            return Outcome.invalid(f"{item!r} is not a choice: answer with text")
        key = normalise_choice(item)
        if table:
            named = _named_inside(item, ctx)[0] if key not in table and not multiple else set()
            if len(named) > 1:  # a TA would not pick one for the student
                return Outcome.invalid(f"{item!r} names {len(named)} choices ({', '.join(sorted(named))}): "
                                       f"give one.")
            if len(named) == 1:
                (choice,) = named
                reading = f"read {quoted(item)} as the choice {quoted(choice)}"
                picked.append(choice)
                continue
            if key not in table:
                options = ", ".join(ctx.part.options.get("choices", sorted(set(table.values()))))
                return Outcome.invalid(f"{item!r} is not one of the choices ({options}).")
            picked.append(table[key])
        else:
            picked.append(item)
    if multiple:
        want = {normalise_choice(e) for e in _as_list(expected)}
        got = {normalise_choice(p) for p in picked}
        if got == want:
            return Outcome.correct()
        found = _matching_mistake(ctx, got, lambda v: {normalise_choice(e) for e in _as_list(v)})
        if found:
            return found
        missing, extra = len(want - got), len(got - want)
        parts = []
        if missing:
            parts.append(f"{missing} right choice{'s' if missing > 1 else ''} missing")
        if extra:
            parts.append(f"{extra} wrong choice{'s' if extra > 1 else ''} included")
        return Outcome.wrong("; ".join(parts).capitalize() + ".")
    if normalise_choice(picked[0]) == normalise_choice(str(expected)):
        return Outcome(1.0, Verdict.CORRECT, f"correct ({reading})", reading=reading) if reading else Outcome.correct()
    found = _matching_mistake(ctx, normalise_choice(picked[0]), lambda v: normalise_choice(str(v)))
    found = found or Outcome.wrong(f"{picked[0]!r} is not the right choice.")
    return replace(found, reading=reading) if reading else found


def check_bool(expected: Any, raw: Any, ctx: CheckContext) -> Outcome:
    try:
        got = parse_bool(raw)
    except AnswerFormatError as e:
        return Outcome.invalid(str(e))
    if got == bool(expected):
        return Outcome.correct()
    return Outcome.wrong(f"{'True' if got else 'False'} is not right.")

"""What surrounds a formula in an answer: a left-hand side naming the part, a trailing shape note.

>>> drop_left_side(r"\\frac{\\partial E}{\\partial z_x} = q_x - p_x", "dE/dz_x")
'q_x - p_x'
>>> drop_shape_note(r"W_2^T e \\in \\R^{k x m}")
('W_2^T e', "read without the shape note '\\\\in \\\\R^{k x m}' at its end")
"""

from __future__ import annotations

import re

from gradekit.core.errors import UnreadableAnswer

__all__ = ["drop_left_side", "drop_shape_note", "equals_signs", "formula_of_names", "names_part"]


# "… \in \mathbb{R}^{k \times m}" after a formula: the shape it has, which the check finds itself
_SHAPE_NOTE = re.compile(r"^(.*?\S)\s*(?:\\in|∈)\s*(?:\\(?:mathbb|mathbf|mathrm)\s*\{?\s*R\s*\}?|\\R(?:e|eals)?(?![A-Za-z])|ℝ)(?:\s*\^\s*(?:\{[^{}=]*\}|\S+))?\s*\$*\s*$",
                         re.S)


def drop_shape_note(text: str) -> tuple[str, str]:
    r"""(the formula, how it was read) without a trailing ``\in \mathbb{R}^{k \times m}``."""
    m = _SHAPE_NOTE.match(text)
    if not m:
        return text, ""
    note = text[len(m.group(1)):].strip().rstrip("$").strip()
    formula = m.group(1) + ("$" if text.lstrip().startswith("$") and not m.group(1).rstrip().endswith("$") else "")
    return formula, f"read without the shape note '{note}' at its end"


_LATEX_NOISE = re.compile(r"\\(?:frac|dfrac|tfrac|partial|mathrm|operatorname|left|right|mathbf|boldsymbol)|[\s{}_$\\]")
# a left side that is a name (L, dL/dW1, \frac{\partial E}{\partial z_x}, W_2^T e), not a number or arithmetic
_NAME_LIKE = re.compile(r"\s*[A-Za-z\\][\w\\{}^/ ]*\s*")
# a product or sum of names, as a step of an equation chain is written: K x K x C_in x C_out, C_{in} \cdot C_{out}
_NAME = r"(?:[A-Za-z]\w*|\\[A-Za-z]+)(?:\s*[_^]\s*(?:\{[^{}]*\}|\w+))*"
_FORMULA_OF_NAMES = re.compile(rf"\s*\(?\s*{_NAME}\s*\)?(?:\s*(?:[*×·⋅+\-]|\\times|\\cdot|\bx\b)\s*\(?\s*(?:{_NAME}|\d+)\s*\)?)+\s*")


def drop_left_side(text: str, part: str | None, *, alone: str = "the right-hand side") -> str:
    """The answer without a left-hand side that names the part: ``dE/dz_x = q_x - p_x`` -> ``q_x - p_x``,
    ``L = 116`` -> ``116`` (spaces, case, braces, backslashes and the spellings of a derivative aside).

    One rule for numbers and formulas alike: the first ``=`` outside brackets (not ``==``, ``<=``, ``>=``,
    ``!=``) in the first 200 characters splits the answer. A left side that names the part is dropped; one that
    is a product of names (``K x K x C_in x C_out = 3*3*128*256``) is a step of an equation chain, kept for the
    number reader; any other name is refused (``UnreadableAnswer``), asking for ``alone``; anything else (``6 + 3 =
    9``) is left as it is."""
    i = _first_equals(text)
    if i is None:
        return text
    left = text[:i]
    if part is not None and names_part(left, part):
        return text[i + 1:].strip()
    if formula_of_names(left) or not _NAME_LIKE.fullmatch(left):
        return text
    shown = " ".join(left.split())
    shown = shown if len(shown) <= 40 else shown[:39] + "…"
    where = f", but this part is '{part}'" if part is not None else ""
    raise UnreadableAnswer(f"the answer starts with '{shown}' ={where}: give {alone} alone")


def _first_equals(text: str) -> int | None:
    return next(iter(equals_signs(text, within=200)), None)


def equals_signs(text: str, within: int | None = None) -> list[int]:
    """Where ``text`` has an ``=`` outside brackets that is not part of ``==``, ``<=``, ``>=`` or ``!=``: the
    sides of an equation (``within``: in its first characters only)."""
    found, depth = [], 0
    for i, ch in enumerate(text[:within]):
        depth += ch in "([{" and 1 or (ch in ")]}" and -1) or 0
        if ch == "=" and depth == 0 and text[i + 1:i + 2] != "=" and text[i - 1:i] not in ("<", ">", "!", "="):
            found.append(i)
    return found


def formula_of_names(text: str) -> bool:
    """Whether ``text`` is a product or sum of names (``K x K x C_in x C_out``): a step of an equation chain."""
    return len(text) <= 200 and bool(_FORMULA_OF_NAMES.fullmatch(text))


def _part_key(text: str) -> str:
    """dE/dz_x, ∂E/∂z_x, \\frac{\\partial E}{\\partial z_x} and \\frac{dE}{dz_x} all give "ezx"."""
    t = re.sub(r"\\partial\s*\{([^{}]*)\}", r"\\partial \1", text.strip())  # \partial{L}: braces that mean nothing
    t = re.sub(r"_\{([^{}]*)\}", r"_\1", t)  # W_{1}
    t = re.sub(r"\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}", r"\1/\2", t)
    t = t.replace("\\partial", "d").replace("∂", "d")
    t = _LATEX_NOISE.sub("", t)
    t = re.sub(r"(?:(?<=^)|(?<=/))d", "", t)  # the d that opens each side of a derivative
    return t.replace("/", "").casefold()


def names_part(left: str, part: str) -> bool:
    """Whether a left-hand side names the part: ``dL/dW1``, ``\\frac{\\partial L}{\\partial W_1}`` and ``∂L/∂W_1``
    all name ``dL/dW1``."""
    def plain(t: str) -> str:
        return re.sub(r"[\s{}\\_$]|mathrm|partial", "", t).casefold()

    return plain(left) == plain(part) or _part_key(left) == _part_key(part)

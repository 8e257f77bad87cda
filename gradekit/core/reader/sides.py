"""What surrounds a formula in an answer: a left-hand side naming the part, a trailing shape note.

>>> drop_left_side(r"\\frac{\\partial E}{\\partial z_x} = q_x - p_x", "dE/dz_x")
'q_x - p_x'
>>> drop_shape_note(r"W_2^T e \\in \\R^{k x m}")
('W_2^T e', "read without the shape note '\\\\in \\\\R^{k x m}' at its end")
"""

from __future__ import annotations

import re

from gradekit.core.errors import UnreadableAnswer

__all__ = ["drop_left_side", "drop_shape_note", "names_part"]


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


def drop_left_side(text: str, part: str) -> str:
    """``dE/dz_x = q_x - p_x`` -> ``q_x - p_x`` when the left side names the part; ``UnreadableAnswer`` when it
    names another."""
    if text.count("=") != 1 or any(r in text for r in ("<=", ">=", "!=", "==", "≤", "≥")):
        return text
    left, right = text.split("=")
    if _part_key(left) == _part_key(part):
        return right.strip()
    raise UnreadableAnswer(f"the answer starts with '{left.strip()[:40]}' =, but this part is '{part}': "
                     f"give the right-hand side alone")


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
    return _part_key(left) == _part_key(part)

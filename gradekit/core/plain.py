"""Solutions as plain data (``solve --json``) and answers in the form students write them."""

from __future__ import annotations

from typing import Any

import numpy as np

from gradekit.core.records import Problem, Solution
from gradekit.core.vocab import PartKind


def plain(value: Any) -> Any:
    """JSON-ready data: arrays and tuples become lists, numpy scalars Python numbers.

    >>> plain({"W": np.array([[1.0, 0.5]]), "shape": (5, 6)})
    {'W': [[1.0, 0.5]], 'shape': [5, 6]}
    """
    if isinstance(value, np.ndarray):
        return plain(value.tolist())
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        items = sorted(value) if isinstance(value, set) else value
        return [plain(v) for v in items]
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return value  # keep floats as floats; JSON shows 116.0, which parses back exactly
    return value


def solution_dict(problem: Problem, solution: Solution) -> dict[str, Any]:
    """``{"id", "answers", "steps"}``; fed back as a .json answers file it scores full marks."""
    return {
        "id": problem.qualified_id,
        "answers": {part.name: plain(solution.answers.get(part.name)) for part in problem.parts},
        "steps": [
            {"title": s.title, "text": s.text, "latex": s.latex, "values": plain(dict(s.values))} for s in solution.steps
        ],
    }


def describe_answer(kind: PartKind | str, expected: Any, options: dict[str, Any] | None = None) -> str:
    """What form a part's answer takes, without giving it away: 'matrix 2×3'.

    A part that asks for a precision says so (the tolerance policy holds the answer to it):

    >>> describe_answer("number", 0.88, {"digits": 4})
    'a number, to at least 4 significant digits'
    """
    options = options or {}
    form = _form(kind, expected, options)
    if kind in {PartKind.NUMBER, PartKind.VECTOR, PartKind.MATRIX}:
        if options.get("digits") is not None:
            form += f", to at least {options['digits']} significant digits"
        elif options.get("decimals") is not None:
            form += f", to at least {options['decimals']} decimals"
        if options.get("percent"):
            form += ", in percent"
    return form


def _form(kind: PartKind | str, expected: Any, options: dict[str, Any]) -> str:
    if kind in {PartKind.VECTOR, PartKind.MATRIX}:
        shape = np.shape(expected)
        return f"{kind} " + "×".join(str(d) for d in shape) if len(shape) > 1 else f"vector of {shape[0] if shape else 1}"
    if kind == PartKind.SHAPE:
        return f"shape, a list of {len(tuple(expected))} integers"
    if kind == PartKind.CHOICE:
        choices = options.get("choices")
        many = "one or more of" if options.get("multiple") else "one of"
        return f"{many} {', '.join(choices)}" if choices else "a word"
    if kind == PartKind.BOOL:
        return "True or False"
    if kind == PartKind.SYMBOLIC_MATRIX:
        shape = np.shape(expected)
        return f"matrix {shape[0]}×{shape[1]} of symbols (a list of rows, or LaTeX bmatrix)" if len(shape) == 2 \
            else str(kind)
    if kind == PartKind.INEQUALITY:
        return "an inequality such as a <= b"
    if kind in {PartKind.EXPR, PartKind.MATRIX_EXPR}:
        return "a formula"
    if kind == PartKind.MANUAL:
        return "text, graded by hand"
    if kind == PartKind.VERIFIED:
        return "any right answer (checked by its property), e.g. a list"
    # keyed by str: a PartKind is one, and ``kind`` may be given as its string
    forms: dict[str, str] = {PartKind.NUMBER: "a number", PartKind.INTEGER: "an integer",
                             PartKind.FUNCTION: "code: a function of the module file"}
    return forms.get(kind, str(kind))

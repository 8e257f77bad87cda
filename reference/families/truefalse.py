"""True/false statements with a justification, and free-text questions.

``truefalse``: each statement gives a ``bool`` part named by its id and a
``manual`` part "<id> why" that carries the reference explanation for a human
grader. ``manual``: prompts with reference answers, all graded by a person.

>>> p = validate({"statements": [{"id": "1", "text": "1 + 1 = 2.", "answer": True, "why": "Arithmetic."}]})
>>> solve(p).answers
{'1': True, '1 why': 'Arithmetic.'}
"""

from __future__ import annotations

from typing import Any, Mapping

from gradekit.plugin import Family, Param, ParamError, Solution, Step, table


def _text_field(entry: Mapping[str, Any], field: str, where: str) -> str:
    value = entry.get(field)
    if not isinstance(value, str) or not value.strip():
        raise ParamError(where, f"needs a non-empty string {field!r}, got {value!r}")
    return " ".join(value.split())  # TOML line breaks are layout, not content


def _entries(params: Mapping[str, Any], name: str, fields: dict[str, type]) -> list[dict[str, Any]]:
    """The list of tables under ``name``, each with the given string/bool fields and a unique id."""
    rows = table(params, name)
    if not rows:
        raise ParamError(name, "is empty, but needs at least one entry")
    out, seen = [], set()
    for i, entry in enumerate(rows):
        where = f"{name}[{i}]"
        unknown = set(entry) - set(fields)
        if unknown:
            raise ParamError(where, f"has unknown field(s) {sorted(unknown)}; allowed: {sorted(fields)}")
        row = {}
        for field, kind in fields.items():
            if kind is bool:
                if not isinstance(entry.get(field), bool):
                    raise ParamError(where, f"needs {field} = true or false, got {entry.get(field)!r}")
                row[field] = entry[field]
            else:
                row[field] = _text_field(entry, field, where)
        key = row["id"] if "id" in row else row["name"]
        if key in seen:
            raise ParamError(where, f"repeats the id {key!r}; ids must be unique")
        seen.add(key)
        out.append(row)
    return out


# --- truefalse ---------------------------------------------------------------


def validate(params: Mapping[str, Any]) -> dict[str, Any]:
    return {"statements": _entries(params, "statements", {"id": str, "text": str, "answer": bool, "why": str})}


def solve(params: Mapping[str, Any]) -> Solution:
    answers: dict[str, Any] = {}
    steps = []
    for st in params["statements"]:
        answers[st["id"]] = st["answer"]
        answers[f"{st['id']} why"] = st["why"]
        verdict = "True" if st["answer"] else "False"
        steps.append(Step(f"{st['id']}: {verdict}", f"{st['text']}\n{verdict}. {st['why']}", values={st["id"]: st["answer"]}))
    return Solution(answers, steps)


# --- manual ------------------------------------------------------------------


def validate_manual(params: Mapping[str, Any]) -> dict[str, Any]:
    return {"prompts": _entries(params, "prompts", {"name": str, "text": str, "reference": str})}


def solve_manual(params: Mapping[str, Any]) -> Solution:
    prompts = params["prompts"]
    return Solution(
        {p["name"]: p["reference"] for p in prompts},
        [Step(p["name"], f"{p['text']}\nReference answer: {p['reference']}") for p in prompts],
    )


FAMILIES = [
    Family("truefalse", solve, validate=validate, params=(
        Param("statements", "tables", "the statements: id, text, answer (true or false) and why"),
    )),
    Family("manual", solve_manual, validate=validate_manual, params=(
        Param("prompts", "tables", "the parts a person grades: name, text and the reference answer"),
    )),
]

"""TOML text from plain data: what ``gradekit new problem`` writes (``tomllib`` reads, but does not write).

Only what a spec holds: strings, numbers, booleans, lists, tables. Matrices are written a row per
line so they read like the ones instructors type.

>>> print(value([[1, 2], [3, 4]]))
[[1, 2],
 [3, 4]]
>>> print(line("K", [[0, -0.5], [1, 2]]))
K = [[0, -0.5],
     [1, 2]]
>>> value({"random": "uniform", "shape": [2]})
'{random = "uniform", shape = [2]}'
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Mapping

_BARE = re.compile(r"[A-Za-z0-9_-]+")


def key(name: str) -> str:
    return name if _BARE.fullmatch(name) else _basic(name)


def _basic(s: str) -> str:
    return json.dumps(s, ensure_ascii=False).replace("\x7f", "\\u007f")  # JSON's escapes are TOML's; DEL is not


def _string(s: str) -> str:
    # a multi-line literal string reads as typed (LaTeX's backslashes); TOML drops its first newline
    if "\n" in s and "'''" not in s and not any((c < " " and c not in "\n\t") or c == "\x7f" for c in s):
        return "'''\n" + s + "'''"
    return _basic(s)


def value(v: Any, pad: int = 1) -> str:
    """``v`` as TOML; a matrix's rows after its first start on new lines of ``pad`` spaces."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return ("inf" if v > 0 else "-inf") if math.isinf(v) else "nan" if math.isnan(v) else repr(v)
    if isinstance(v, str):
        return _string(v)
    if isinstance(v, Mapping):
        return "{" + ", ".join(f"{key(k)} = {value(x, pad)}" for k, x in v.items()) + "}"
    if isinstance(v, (list, tuple)):
        items = [value(x, pad) for x in v]
        if len(v) > 1 and all(isinstance(x, (list, tuple)) for x in v):
            return "[" + (",\n" + " " * pad).join(items) + "]"
        return "[" + ", ".join(items) + "]"
    raise TypeError(f"no TOML for {type(v).__name__}")


def line(name: str, v: Any) -> str:
    """``name = value``, a matrix's rows aligned under its first."""
    head = f"{key(name)} = "
    # the rows' padding is given to value(), not put in afterwards: a string's own newlines stay as they are
    return head + value(v, len(head) + 1)


def assignments(table: Mapping[str, Any]) -> list[str]:
    """``key = value`` lines of a table."""
    return [line(k, v) for k, v in table.items()]

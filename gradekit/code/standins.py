"""Each graded function on its own: which functions the solution's values stand in for, and how they travel.

Where a part's steps run a graded function that calls another graded function (task 1's ``train`` calling
``DNNforward`` and ``DNNbackward``), the solution's child records every call of the others (a digest of the
arguments and the value), and the student's child answers the same calls with those values
(``gradekit/sandbox/child/standin.py``): one wrong function costs its own points only. Only values travel,
never the solution's code.

>>> default_stand_ins("train", ["relu", "DNNforward", "train", "loss"])
('relu', 'DNNforward', 'loss')
>>> flatten_records([("k1", (np.zeros(2), None)), ("k2", np.ones(1))])[0]["values"]
[{'s': [{'a': 0}, {'n': None}]}, {'a': 1}]
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

__all__ = ["default_stand_ins", "flatten_records"]


def default_stand_ins(own: str | None, functions: Sequence[str]) -> tuple[str, ...]:
    """The starter's top-level functions but the part's own: the other graded ones, and its pre-filled helpers
    (a loss), which a student's file may even leave out."""
    return tuple(n for n in functions if n != own)


def flatten_records(records: Sequence[Any]) -> tuple[dict[str, Any], list[np.ndarray]]:
    """The solution's recorded calls as the student's child takes them: ({keys, values, arrays}, arrays),
    each value a skeleton whose arrays are indices into the list (``_gk_unflatten``)."""
    arrays: list[np.ndarray] = []

    def skeleton(v: Any, depth: int = 0) -> dict[str, Any]:
        if depth > 6:
            raise ValueError("a recorded value is nested too deeply")
        if v is None:
            return {"n": None}
        if isinstance(v, (tuple, list)):
            return {"s": [skeleton(x, depth + 1) for x in v]}
        arrays.append(np.asarray(v))
        return {"a": len(arrays) - 1}

    keys, values = [], []
    for record in records:
        if not (isinstance(record, tuple) and len(record) == 2 and isinstance(record[0], str)):
            continue
        keys.append(record[0])
        values.append(skeleton(record[1]))
    return {"keys": keys, "values": values, "arrays": len(arrays)}, arrays

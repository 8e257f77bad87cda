"""Each graded function on its own: which functions the solution's values stand in for, and how they travel.

Where a part's steps run a graded function that calls another graded function (task 1's ``train`` calling
``DNNforward`` and ``DNNbackward``), the solution's child records every call of the others (a digest of the
arguments and the value), and the student's child answers the same calls with those values
(``gradekit/sandbox/child/standin.py``): one wrong function costs its own points only. Only values travel,
never the solution's code: a network (an ``nn.Sequential`` of torch.nn's own layers, as ECE 449's ``get_DNN``
returns) travels as a description, each layer's torch.nn class name and constructor values and the state's
arrays, and is built anew from torch.nn by name in the student's child.

>>> default_stand_ins("train", ["relu", "DNNforward", "train", "loss"])
('relu', 'DNNforward', 'loss')
>>> flatten_records([("k1", (np.zeros(2), None)), ("k2", np.ones(1))])[0]["values"]
[{'s': [{'a': 0}, {'n': None}]}, {'a': 1}]
>>> layers = ('["Linear", {"in_features": 3, "out_features": 2, "bias": false}]', '["ReLU", {"inplace": false}]')
>>> flatten_records([("k", (NETWORK_TAG, layers, (np.zeros((2, 3)),), np.array(True)))])[0]["values"][0]["m"]["state"]
[0]
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

__all__ = ["default_stand_ins", "flatten_records", "NETWORK_TAG"]

NETWORK_TAG = "_gk_network"  # first in the tuple a recorded network comes back as (standin.py's _GK_NETWORK_TAG)
MAX_LAYERS = 100


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
        if isinstance(v, tuple) and len(v) == 4 and isinstance(v[0], str) and v[0] == NETWORK_TAG:
            return {"m": network(v, depth)}
        if isinstance(v, (tuple, list)):
            return {"s": [skeleton(x, depth + 1) for x in v]}
        arrays.append(np.asarray(v))
        return {"a": len(arrays) - 1}

    def network(v: tuple, depth: int) -> dict[str, Any]:
        """A network as the solution's child described it: its layers (JSON text each) and its state's arrays."""
        _, layers, state, training = v
        if not (isinstance(layers, tuple) and len(layers) <= MAX_LAYERS and all(isinstance(t, str) for t in layers)
                and isinstance(state, tuple) and all(isinstance(a, np.ndarray) for a in state)):
            raise ValueError("a recorded network came back malformed")
        return {"layers": list(layers), "state": [skeleton(a, depth + 1)["a"] for a in state],
                "training": bool(np.asarray(training))}

    keys, values = [], []
    for record in records:
        if not (isinstance(record, tuple) and len(record) == 2 and isinstance(record[0], str)):
            continue
        keys.append(record[0])
        values.append(skeleton(record[1]))
    return {"keys": keys, "values": values, "arrays": len(arrays)}, arrays

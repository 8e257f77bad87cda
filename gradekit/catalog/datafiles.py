"""Params read from a data file beside the spec: an instructor grades against their own ``dataset.mat``.

A param written as a table with a ``file`` key is read from that file, relative to the spec's folder
(an absolute path is taken as it is)::

    X = { file = "dataset.mat", key = "X" }     # scipy.io.loadmat, the variable X
    D = { file = "dataset.mat", key = "D" }
    W = { file = "weights.npy" }                 # numpy.load, no pickles
    T = { file = "targets.csv" }                 # numbers, comma-separated, one row a line

The value becomes the array as nested lists (what a spec would have written inline), so the family
checks it as any other param. Reading is bounded: at most ``MAX_BYTES`` a file and ``MAX_VALUES``
numbers a param; a missing file, key or a file that is not numbers is a ``ParamError`` naming the param.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from gradekit.core.errors import ParamError

__all__ = ["is_data_ref", "resolve_data", "MAX_BYTES", "MAX_VALUES"]

MAX_BYTES = 64 * 2**20
MAX_VALUES = 2_000_000
SUFFIXES = (".mat", ".npy", ".csv")


def is_data_ref(value: Any) -> bool:
    """A ``{ file = ..., key = ... }`` table (``key`` optional), and nothing else."""
    return isinstance(value, Mapping) and "file" in value and set(value) <= {"file", "key"} and \
        isinstance(value["file"], str)


def resolve_data(params: Mapping[str, Any], folder: Path) -> dict[str, Any]:
    """``params`` with each data reference replaced by the numbers it names (files read once each)."""
    if not any(is_data_ref(v) for v in params.values()):
        return dict(params)
    cache: dict[Path, Any] = {}
    return {name: _read(name, value, folder, cache) if is_data_ref(value) else value
            for name, value in params.items()}


def _read(name: str, ref: Mapping[str, Any], folder: Path, cache: dict[Path, Any]) -> list:
    import numpy as np  # only for specs that point at a data file: the catalog loads without numpy

    path = Path(ref["file"])
    path = path if path.is_absolute() else folder / path
    if path.suffix.lower() not in SUFFIXES:
        raise ParamError(name, f"names {ref['file']!r}; a data file is one of {', '.join(SUFFIXES)}")
    if not path.is_file():
        raise ParamError(name, f"names {ref['file']!r}, but there is no such file beside the spec ({path})")
    if path.stat().st_size > MAX_BYTES:
        raise ParamError(name, f"names {ref['file']!r} of {path.stat().st_size} bytes; at most {MAX_BYTES}")
    if path not in cache:
        cache[path] = _load(name, path)
    data, key = cache[path], ref.get("key")
    if isinstance(data, dict):
        if key is None:
            raise ParamError(name, f"names the .mat file {ref['file']!r}: say which variable with key = ...")
        if key not in data:
            have = ", ".join(sorted(k for k in data if not k.startswith("__"))) or "none"
            raise ParamError(name, f"names variable {key!r} of {ref['file']!r}, which holds {have}")
        data = data[key]
    elif key is not None:
        raise ParamError(name, f"has key = {key!r}, but only a .mat file holds named variables")
    arr = np.asarray(data)
    if arr.dtype.kind not in "biuf" or arr.size > MAX_VALUES:
        raise ParamError(name, f"reads {arr.size} values of dtype {arr.dtype} from {ref['file']!r}; "
                               f"expected at most {MAX_VALUES} numbers")
    if arr.ndim == 2 and 1 in arr.shape and arr.size > 1:
        arr = arr.reshape(-1)  # a .mat column or row vector is a vector
    return np.ascontiguousarray(arr, dtype=float).tolist()


def _load(name: str, path: Path) -> Any:
    import numpy as np

    suffix = path.suffix.lower()
    try:
        if suffix == ".mat":
            from scipy.io import loadmat  # only for specs that point at a .mat file

            return {k: v for k, v in loadmat(str(path)).items() if isinstance(v, np.ndarray)}
        if suffix == ".npy":
            return np.load(path, allow_pickle=False)
        return np.loadtxt(path, delimiter=",", ndmin=1)
    except ImportError:
        raise ParamError(name, "needs scipy to read .mat files (pip install scipy)") from None
    except Exception as e:  # each reader raises its own types for a malformed file
        raise ParamError(name, f"cannot read {path.name} ({type(e).__name__}: {str(e)[:80]})") from None

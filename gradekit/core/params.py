"""Helpers a family uses to validate its ``params`` at spec-load time.

Each helper returns the value in the form the solver wants (arrays as float
``np.ndarray``) or raises ``ParamError`` naming the field, the bad value and
what is allowed; the catalog prefixes the spec's file name.

>>> import numpy as np
>>> matrix({"W": [[1, 2], [3, 4]]}, "W", shape=(2, None)).shape
(2, 2)
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from gradekit.core.errors import ParamError

_MISSING = object()


def require(params: Mapping[str, Any], name: str, default: Any = _MISSING) -> Any:
    if name in params:
        return params[name]
    if default is not _MISSING:
        return default
    raise ParamError(name, "is missing")


def array(
    params: Mapping[str, Any],
    name: str,
    ndim: int | None = None,
    shape: Sequence[int | None] | None = None,
    needs: str = "",
    default: Any = _MISSING,
) -> np.ndarray:
    """A numeric array; ``shape`` entries of ``None`` match any length.

    ``needs`` explains a shape requirement in the message ("matching x1 (3,)").
    """
    value = require(params, name, default)
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ParamError(name, f"must be numeric, got {value!r}") from None
    if not np.all(np.isfinite(arr)):
        raise ParamError(name, "must be finite")
    if ndim is not None and arr.ndim != ndim:
        raise ParamError(name, f"must have {ndim} dimension(s), got shape {arr.shape}")
    if shape is not None:
        ok = len(shape) == arr.ndim and all(s is None or s == a for s, a in zip(shape, arr.shape))
        if not ok:
            want = "(" + ", ".join("any" if s is None else str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"
            why = f" {needs}" if needs else ""
            raise ParamError(name, f"has shape {arr.shape}, but needs {want}{why}")
    return arr


def vector(params: Mapping[str, Any], name: str, length: int | None = None, **kw: Any) -> np.ndarray:
    return array(params, name, ndim=1, shape=None if length is None else (length,), **kw)


def matrix(params: Mapping[str, Any], name: str, shape: Sequence[int | None] | None = None, **kw: Any) -> np.ndarray:
    return array(params, name, ndim=2, shape=shape, **kw)


def integer(
    params: Mapping[str, Any], name: str, low: int | None = None, high: int | None = None, default: Any = _MISSING
) -> int:
    value = require(params, name, default)
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ParamError(name, f"must be an integer, got {value!r}")
    if (low is not None and value < low) or (high is not None and value > high):
        rng = f"[{'-inf' if low is None else low}, {'inf' if high is None else high}]"
        raise ParamError(name, f"is {value}, but must lie in {rng}")
    return int(value)


def number(params: Mapping[str, Any], name: str, low: float | None = None, default: Any = _MISSING) -> float:
    value = require(params, name, default)
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ParamError(name, f"must be a number, got {value!r}")
    if low is not None and value < low:
        raise ParamError(name, f"is {value}, but must be at least {low}")
    return float(value)


def choice(params: Mapping[str, Any], name: str, options: Iterable[str], default: Any = _MISSING) -> str:
    options = list(options)
    value = require(params, name, default)
    if value not in options:
        allowed = ", ".join(repr(o) for o in options)
        raise ParamError(name, f"is {value!r}, but only {allowed} are valid")
    return value


def boolean(params: Mapping[str, Any], name: str, default: Any = _MISSING) -> bool:
    value = require(params, name, default)
    if not isinstance(value, bool):
        raise ParamError(name, f"is {value!r}, but must be true or false")
    return value


def text(params: Mapping[str, Any], name: str, default: Any = _MISSING) -> str:
    value = require(params, name, default)
    if not isinstance(value, str):
        raise ParamError(name, f"must be a string, got {value!r}")
    return value


def table(params: Mapping[str, Any], name: str, default: Any = _MISSING) -> list[dict[str, Any]]:
    """A list of TOML tables (``[[params.layers]]``)."""
    value = require(params, name, default)
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ParamError(name, "must be a list of tables")
    return value

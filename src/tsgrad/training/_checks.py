"""Argument checks of the training layer (the public boundary)."""

from __future__ import annotations

import numbers


def positive_int(value, name: str, func: str, *, minimum: int = 1) -> int:
    """``value`` must be an int ``>= minimum`` (bools are rejected)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(
            f"The '{name}' parameter of {func} must be an int >= {minimum}. Got {value!r} instead."
        )
    return int(value)


def positive_float(value, name: str, func: str, *, allow_none: bool = False):
    """``value`` must be a finite float ``> 0`` (or None when allowed)."""
    if value is None and allow_none:
        return None
    ok = (
        not isinstance(value, bool)
        and isinstance(value, numbers.Real)
        and value > 0
        and value != float("inf")
    )
    if not ok:
        extra = " or None" if allow_none else ""
        raise ValueError(
            f"The '{name}' parameter of {func} must be a finite number > 0{extra}. "
            f"Got {value!r} instead."
        )
    return float(value)


def unit_interval(value, name: str, func: str) -> float:
    """``value`` must be a float in ``[0, 1]``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value <= 1:
        raise ValueError(
            f"The '{name}' parameter of {func} must be a number in [0, 1]. Got {value!r} instead."
        )
    return float(value)


def dataset(data, name: str, func: str, *, allow_none: bool = False):
    """``data`` must be a map-style dataset (``len`` and integer indexing) that is not empty."""
    if data is None and allow_none:
        return None
    if not (hasattr(data, "__len__") and hasattr(data, "__getitem__")):
        raise TypeError(
            f"The '{name}' parameter of {func} must be a map-style torch Dataset whose items "
            f"are (input, target, ...) tuples. Got {type(data).__name__} instead."
        )
    if len(data) == 0:
        raise ValueError(f"The '{name}' parameter of {func} must not be empty. Got 0 items.")
    return data

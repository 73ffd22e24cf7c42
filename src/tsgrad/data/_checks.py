"""Validation of user parameters shared by the data helpers (one message template)."""

from __future__ import annotations

import numbers

__all__ = ["check_fraction", "check_int"]


def check_int(value, name: str, where: str, *, minimum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"The '{name}' parameter of {where} must be an int. "
            f"Got {value!r} of type {type(value).__name__} instead."
        )
    if minimum is not None and value < minimum:
        raise ValueError(
            f"The '{name}' parameter of {where} must be >= {minimum}. Got {value!r} instead."
        )
    return int(value)


def check_fraction(value, name: str, where: str, *, allow_zero: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"The '{name}' parameter of {where} must be a float. "
            f"Got {value!r} of type {type(value).__name__} instead."
        )
    low_ok = value >= 0 if allow_zero else value > 0
    if not (low_ok and value < 1):
        interval = "[0, 1)" if allow_zero else "(0, 1)"
        raise ValueError(
            f"The '{name}' parameter of {where} must be in {interval}. Got {value!r} instead."
        )
    return float(value)

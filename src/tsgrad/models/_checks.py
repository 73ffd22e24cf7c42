"""Validation shared by the forecasting models (one message template)."""

from __future__ import annotations

import numbers

import torch

__all__ = ["check_input", "check_positive_int"]


def check_positive_int(value, name: str, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"The '{name}' parameter of {where} must be an int. "
            f"Got {value!r} of type {type(value).__name__} instead."
        )
    if value < 1:
        raise ValueError(f"The '{name}' parameter of {where} must be >= 1. Got {value!r} instead.")
    return int(value)


def check_input(x, input_size: int, where: str, *, length: int | None = None) -> None:
    if not isinstance(x, torch.Tensor):
        raise TypeError(
            f"The input of {where} must be a torch.Tensor of shape (B, T, {input_size}). "
            f"Got {type(x).__name__} instead."
        )
    expected_t = "T" if length is None else str(length)
    if (
        x.ndim != 3
        or x.shape[2] != input_size
        or x.shape[1] < 1
        or (length is not None and x.shape[1] != length)
    ):
        raise ValueError(
            f"The input of {where} must have shape (B, {expected_t}, {input_size}). "
            f"Got shape {tuple(x.shape)} instead."
        )

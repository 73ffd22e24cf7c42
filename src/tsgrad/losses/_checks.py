"""Argument checks and shared plumbing of the losses (the public boundary)."""

from __future__ import annotations

import numbers
from collections.abc import Callable
from functools import lru_cache

import numpy as np
import torch

from .._kernels import Bands, full_bands, make_bands

REDUCTIONS = ("none", "mean", "sum")
COSTS = ("sqeuclidean",)


def check_series(x, name: str, func: str) -> torch.Tensor:
    """``x`` must be a floating tensor of shape ``(B, n, d)``."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(
            f"The '{name}' parameter of {func} must be a torch.Tensor of shape (B, n, d). "
            f"Got {type(x).__name__} instead."
        )
    if not torch.is_floating_point(x):
        raise TypeError(
            f"The '{name}' parameter of {func} must have a floating dtype. Got {x.dtype} instead."
        )
    if x.ndim != 3:
        raise ValueError(
            f"The '{name}' parameter of {func} must have shape (B, n, d). Got shape "
            f"{tuple(x.shape)} instead; add a feature axis with x[..., None] for univariate "
            "series."
        )
    if x.shape[1] == 0 or x.shape[0] == 0:
        raise ValueError(
            f"The '{name}' parameter of {func} must have B >= 1 and n >= 1. Got shape "
            f"{tuple(x.shape)} instead."
        )
    return x


def check_pair(x, y, names: tuple[str, str], func: str):
    x = check_series(x, names[0], func)
    y = check_series(y, names[1], func)
    if x.shape[0] != y.shape[0] or x.shape[2] != y.shape[2]:
        raise ValueError(
            f"The '{names[0]}' and '{names[1]}' parameters of {func} must have shapes (B, n, d) "
            f"and (B, m, d) with the same B and d. Got {tuple(x.shape)} and {tuple(y.shape)} "
            "instead."
        )
    if x.dtype != y.dtype or x.device != y.device:
        raise TypeError(
            f"The '{names[0]}' and '{names[1]}' parameters of {func} must have the same dtype "
            f"and device. Got {x.dtype} on {x.device} and {y.dtype} on {y.device} instead."
        )
    return x, y


def check_gamma(gamma, func: str) -> float:
    if isinstance(gamma, bool) or not isinstance(gamma, numbers.Real):
        raise TypeError(
            f"The 'gamma' parameter of {func} must be a real number > 0. Got "
            f"{type(gamma).__name__} instead."
        )
    gamma = float(gamma)
    if not (gamma > 0.0 and np.isfinite(gamma)):
        raise ValueError(
            f"The 'gamma' parameter of {func} must be a finite number > 0. Got {gamma!r} instead."
        )
    return gamma


def check_alpha(alpha, func: str) -> float:
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real):
        raise TypeError(
            f"The 'alpha' parameter of {func} must be a real number in [0, 1]. Got "
            f"{type(alpha).__name__} instead."
        )
    alpha = float(alpha)
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(
            f"The 'alpha' parameter of {func} must be in [0, 1]. Got {alpha!r} instead."
        )
    return alpha


def check_reduction(reduction, func: str) -> str:
    if reduction not in REDUCTIONS:
        raise ValueError(
            f"The 'reduction' parameter of {func} must be one of {REDUCTIONS}. Got "
            f"{reduction!r} instead."
        )
    return reduction


def check_cost(cost, func: str):
    if callable(cost):
        return cost
    if isinstance(cost, str):
        if cost not in COSTS:
            raise ValueError(
                f"The 'cost' parameter of {func} must be one of {COSTS} or a callable "
                f"(x, y) -> (B, n, m). Got {cost!r} instead."
            )
        return cost
    raise TypeError(
        f"The 'cost' parameter of {func} must be a string in {COSTS} or a callable "
        f"(x, y) -> (B, n, m). Got {type(cost).__name__} instead."
    )


def _check_one_mask(mk, n: int, B: int, name: str, func: str) -> torch.Tensor | None:
    if mk is None:
        return None
    if not isinstance(mk, torch.Tensor) or mk.dtype != torch.bool:
        raise TypeError(
            f"The '{name}' entry of the 'mask' parameter of {func} must be None or a bool "
            f"tensor of shape ({B}, {n}). Got "
            f"{type(mk).__name__ if not isinstance(mk, torch.Tensor) else mk.dtype} instead."
        )
    if tuple(mk.shape) != (B, n):
        raise ValueError(
            f"The '{name}' entry of the 'mask' parameter of {func} must have shape ({B}, {n}). "
            f"Got {tuple(mk.shape)} instead."
        )
    lengths = mk.sum(1)
    prefix = torch.arange(n, device=mk.device)[None, :] < lengths[:, None]
    if bool((lengths < 1).any()) or not bool((prefix == mk).all()):
        raise ValueError(
            f"The '{name}' entry of the 'mask' parameter of {func} must be True on a non-empty "
            "prefix of every row (valid steps first, padding at the end)."
        )
    return mk


def check_mask(mask, x: torch.Tensor, y: torch.Tensor, names: tuple[str, str], func: str):
    """``mask`` is None or a pair ``(x_mask (B, n), y_mask (B, m))`` of bool tensors or None.

    Returns the two masks (each None when the series has no padding).
    """
    if mask is None:
        return None, None
    if not isinstance(mask, (tuple, list)) or len(mask) != 2:
        raise TypeError(
            f"The 'mask' parameter of {func} must be None or a pair ({names[0]}_mask, "
            f"{names[1]}_mask) of bool tensors of shapes (B, n) and (B, m) (None for an unpadded "
            f"side). Got {type(mask).__name__} instead."
        )
    B = x.shape[0]
    xm = _check_one_mask(mask[0], x.shape[1], B, f"{names[0]}_mask", func)
    ym = _check_one_mask(mask[1], y.shape[1], B, f"{names[1]}_mask", func)
    return xm, ym


def clean(x: torch.Tensor, mk: torch.Tensor | None, name: str, func: str) -> torch.Tensor:
    """Zero the padded steps (no gradient reaches them) and reject NaN / inf in the rest."""
    if mk is not None:
        x = torch.where(mk[:, :, None], x, torch.zeros((), dtype=x.dtype, device=x.device))
    if not bool(torch.isfinite(x).all()):
        raise ValueError(
            f"The '{name}' parameter of {func} must be finite (no NaN or inf) on its valid "
            "steps. Got non-finite values instead."
        )
    return x


def lengths(mk: torch.Tensor | None, B: int, n: int) -> np.ndarray:
    if mk is None:
        return np.full(B, n, dtype=np.int64)
    return mk.sum(1).cpu().numpy().astype(np.int64)


@lru_cache(maxsize=64)
def _full(B: int, n: int, m: int) -> Bands:
    return full_bands(B, n, m)


def bands_for(xm, ym, B: int, n: int, m: int) -> Bands:
    """Bands of the batch: full ``(n, m)`` rectangles, or the masked lengths."""
    if xm is None and ym is None:
        return _full(B, n, m)
    return make_bands(lengths(xm, B, n), lengths(ym, B, m), n)


def reduce(v: torch.Tensor, reduction: str) -> torch.Tensor:
    if reduction == "mean":
        return v.mean()
    if reduction == "sum":
        return v.sum()
    return v


def check_cost_matrix(D, B: int, n: int, m: int, func: str) -> torch.Tensor:
    if not isinstance(D, torch.Tensor) or tuple(D.shape) != (B, n, m):
        got = tuple(D.shape) if isinstance(D, torch.Tensor) else type(D).__name__
        raise ValueError(
            f"The 'cost' callable given to {func} must return a tensor of shape ({B}, {n}, {m}). "
            f"Got {got} instead."
        )
    return D


CostFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]

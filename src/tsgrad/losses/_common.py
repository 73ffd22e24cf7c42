"""Plumbing shared by the losses: the public boundary's checks, bands from masks, reduction."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np
import torch

from .. import _validation as v
from .._kernels import Bands, CostMatrix, SqEuclidean, full_bands, make_bands

REDUCTIONS = ("none", "mean", "sum")
COSTS = ("sqeuclidean",)

CostFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def check_cost(cost, func: str):
    """``"sqeuclidean"`` or a callable ``(x, y) -> (B, n, m)``."""
    if callable(cost):
        return cost
    if isinstance(cost, str):
        return v.choice(cost, "cost", func, COSTS)
    raise TypeError(
        f"The 'cost' parameter of {func} must be a string in {COSTS} or a callable "
        f"(x, y) -> (B, n, m). Got {type(cost).__name__} instead."
    )


def prepare(x, y, mask, names: tuple[str, str], func: str):
    """The series of a loss call, validated: ``(x, y, x_mask, y_mask, bands)``, padding
    zeroed (no gradient reaches it)."""
    x, y = v.batch_pair(x, y, names, func)
    xm, ym = v.masks(mask, x, y, names, func)
    x = v.clean(x, xm, names[0], func)
    y = v.clean(y, ym, names[1], func)
    return x, y, xm, ym, bands_for(xm, ym, x.shape[0], x.shape[1], y.shape[1])


def _lengths(mk: torch.Tensor | None, B: int, n: int) -> np.ndarray:
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
    return make_bands(_lengths(xm, B, n), _lengths(ym, B, m), n)


def cost_of(x, y, cost, func: str):
    """The kernel layer's cost for ``cost``: the squared Euclidean one (built inside the
    kernels where the engine can), or the matrices a callable returns, checked."""
    if cost == "sqeuclidean":
        return SqEuclidean(x, y)
    D = cost(x, y)
    B, n, m = x.shape[0], x.shape[1], y.shape[1]
    if not isinstance(D, torch.Tensor) or tuple(D.shape) != (B, n, m):
        got = tuple(D.shape) if isinstance(D, torch.Tensor) else type(D).__name__
        raise ValueError(
            f"The 'cost' callable given to {func} must return a tensor of shape ({B}, {n}, {m}). "
            f"Got {got} instead."
        )
    return CostMatrix(D)


def reduce(values: torch.Tensor, reduction: str) -> torch.Tensor:
    if reduction == "mean":
        return values.mean()
    if reduction == "sum":
        return values.sum()
    return values

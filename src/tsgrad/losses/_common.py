"""Plumbing shared by the losses: the public boundary's checks, bands from masks, reduction."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np
import torch

from .. import _validation as v
from .._kernels import Bands, CostMatrix, SqEuclidean, make_bands

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


NO_CONSTRAINT = (0, 0.0)


def constraint(global_constraint, sakoe_chiba_radius, itakura_max_slope, func: str):
    """The ``(kind, param)`` of the losses' global constraint options (the metrics' rules)."""
    return v.constraint(global_constraint, sakoe_chiba_radius, itakura_max_slope, func)


def prepare(x, y, mask, band: tuple[int, float], names: tuple[str, str], func: str):
    """The series of a loss call, validated: ``(x, y, x_mask, y_mask, bands)``, padding
    zeroed (no gradient reaches it); a constraint that leaves some problem without an
    admissible path is an error."""
    x, y = v.batch_pair(x, y, names, func)
    xm, ym = v.masks(mask, x, y, names, func)
    x = v.clean(x, xm, names[0], func)
    y = v.clean(y, ym, names[1], func)
    bands = bands_for(xm, ym, x.shape[0], x.shape[1], y.shape[1], band)
    if band[0] != NO_CONSTRAINT[0] and not bands.feasible.all():
        k = int(np.flatnonzero(~bands.feasible)[0])
        raise ValueError(
            f"The global constraint of {func} leaves no admissible path for batch element "
            f"{k} (lengths {bands.lx[k]} and {bands.ly[k]}): increase 'itakura_max_slope' "
            "(or use 'sakoe_chiba')."
        )
    return x, y, xm, ym, bands


def _lengths(mk: torch.Tensor | None, B: int, n: int) -> np.ndarray:
    if mk is None:
        return np.full(B, n, dtype=np.int64)
    return mk.sum(1).cpu().numpy().astype(np.int64)


@lru_cache(maxsize=64)
def _unmasked(B: int, n: int, m: int, kind: int, param: float) -> Bands:
    return make_bands(np.full(B, n), np.full(B, m), n, kind, param)


def bands_for(xm, ym, B: int, n: int, m: int, band: tuple[int, float] = NO_CONSTRAINT) -> Bands:
    """Bands of the batch: the ``(n, m)`` rectangles, or the masked lengths, under the
    global constraint ``band`` ``(kind, param)``."""
    if xm is None and ym is None:
        return _unmasked(B, n, m, *band)
    return make_bands(_lengths(xm, B, n), _lengths(ym, B, m), n, *band)


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

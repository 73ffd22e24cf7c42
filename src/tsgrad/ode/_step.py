"""An attempted step, and the weighted sums of stage derivatives that build one.

Time ``t0`` and step size ``h`` are Python floats for a joint solve and tensors of shape
``(B, 1, ..., 1)`` (one per sample, broadcastable to the batch-first state) for per-sample
step control; the same stepper code serves both.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch

__all__ = ["Step", "lincomb"]


@dataclass
class Step:
    """An attempted step from ``t0`` to ``t0 + h`` (internal, increasing time)."""

    t0: float | torch.Tensor
    h: float | torch.Tensor
    y0: torch.Tensor
    y1: torch.Tensor
    f0: torch.Tensor
    k: list[torch.Tensor] = field(default_factory=list)
    f1: torch.Tensor | None = None
    err: torch.Tensor | None = None
    t1: float = math.nan  # exact end time (the clip target), set by the loop
    f0_t: float = math.nan  # time at which f0 was evaluated (nudged after a jump)
    end_perturb: bool = False
    extra: dict = field(default_factory=dict)  # stepper-specific (e.g. Newton statistics)


def lincomb(base: torch.Tensor | None, k: list[torch.Tensor], coeffs, h):
    """``base + h * sum_j a_j k_j`` for ``coeffs = [(j, a_j), ...]`` (Python-float ``a_j``).

    The small increments are summed first and added to ``base`` once: in float32 this
    rounds once at the magnitude of ``y`` per stage instead of once per term. With a float
    ``h`` the weights ``h a_j`` go into fused in-place adds; with per-sample ``h`` (a
    tensor) the sum is scaled once.
    """
    if not coeffs:
        return base
    (j0, a0), rest = coeffs[0], coeffs[1:]
    if isinstance(h, float):
        acc = k[j0] * (h * a0)
        for j, a in rest:
            acc.add_(k[j], alpha=h * a)
    else:
        acc = k[j0] * a0
        for j, a in rest:
            acc.add_(k[j], alpha=a)
        acc = acc * h
    return acc if base is None else base + acc

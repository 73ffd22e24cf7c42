"""torch autograd for the accumulated-cost matrices of :mod:`._numba_accumulate`.

Each entry of a hard accumulated matrix is, with the choices of the recursion fixed, a sum
(DTW) or a single entry (Frechet) of the cost matrix, so ``R`` is piecewise linear in
``D`` and its vector-Jacobian product is the transposed choice tree
(:func:`._numba_accumulate.accumulate_backward`).  The DP runs in numba on the CPU (tensors
on other devices are copied there and back).  Imports torch.
"""

from __future__ import annotations

import numpy as np
import torch

from . import _numba_accumulate as na


class _Accumulate(torch.autograd.Function):
    @staticmethod
    def forward(ctx, D, mask, mode, free_start):
        Dn = np.ascontiguousarray(D.detach().cpu().numpy(), dtype=np.float64)
        R, choice = na.accumulate(Dn, mask, mode, free_start)
        ctx.choice = choice
        ctx.mode = mode
        return torch.from_numpy(R).to(device=D.device, dtype=D.dtype)

    @staticmethod
    def backward(ctx, G):
        Gn = np.ascontiguousarray(G.detach().cpu().numpy(), dtype=np.float64)
        dD = na.accumulate_backward(Gn, ctx.choice, ctx.mode)
        return torch.from_numpy(dD).to(device=G.device, dtype=G.dtype), None, None, None


def accumulate(D: torch.Tensor, mask: np.ndarray, mode: int, free_start: bool) -> torch.Tensor:
    """Accumulated matrix ``(n, m)`` of ``D`` ``(n, m)``, differentiable w.r.t. ``D``."""
    return _Accumulate.apply(D, mask, mode, free_start)

"""Dense output inside one accepted step, evaluated for many output times in one batched op.

All interpolants are linear in stored vectors: ``y(t0 + theta*h) = sum_m w_m(theta) v_m``.
Each function returns the weight matrix ``w`` (shape ``(n, m)``) for the ``n`` values of
``theta``; :func:`combine` applies it with a single matrix product.
"""

from __future__ import annotations

import torch

__all__ = ["combine", "hermite_weights", "linear_weights", "polynomial_weights"]


def _thetas(thetas: list[float]) -> torch.Tensor:
    return torch.tensor(thetas, dtype=torch.float64)


def linear_weights(thetas: list[float]) -> torch.Tensor:
    """Weights on ``(y0, y1)``: ``(1 - theta, theta)``, shape (n, 2)."""
    th = _thetas(thetas)
    return torch.stack([1 - th, th], dim=1)


def hermite_weights(thetas: list[float], h: float) -> torch.Tensor:
    """Cubic Hermite weights on ``(y0, f0, y1, f1)``, shape (n, 4).

    ``y = h00 y0 + h h10 f0 + h01 y1 + h h11 f1`` with the usual Hermite basis; third-order
    accurate, exact for cubics, no function evaluation beyond ``f1``.
    """
    th = _thetas(thetas)
    th2, th3 = th * th, th * th * th
    return torch.stack(
        [
            2 * th3 - 3 * th2 + 1,
            h * (th3 - 2 * th2 + th),
            -2 * th3 + 3 * th2,
            h * (th3 - th2),
        ],
        dim=1,
    )


def polynomial_weights(thetas: list[float], dense: torch.Tensor, h: float) -> torch.Tensor:
    """Continuous-extension weights on ``(y0, k_1, ..., k_s)``, shape (n, 1 + s).

    ``dense`` (float64, shape (s, d)) holds the polynomial coefficients ``b_i(theta) =
    sum_j dense[i, j] theta**(j+1)``.
    """
    th = _thetas(thetas)
    powers = th[:, None] ** torch.arange(1, dense.shape[1] + 1, dtype=torch.float64)
    stage_w = h * (powers @ dense.T)
    return torch.cat([torch.ones(len(thetas), 1, dtype=torch.float64), stage_w], dim=1)


def combine(weights: torch.Tensor, vectors: list[torch.Tensor]) -> torch.Tensor:
    """``out[n] = sum_m weights[n, m] * vectors[m]``, shape (n, *vectors[0].shape)."""
    like = vectors[0]
    stacked = torch.stack(vectors).reshape(len(vectors), -1)
    w = weights.to(device=like.device, dtype=stacked.dtype)
    return (w @ stacked).reshape(weights.shape[0], *like.shape)

"""Dense output inside one accepted step, evaluated for many output times in one batched op.

All interpolants are linear in stored vectors: ``y(t0 + theta*h) = sum_m w_m(theta) v_m``.
Each function returns the weight matrix ``w`` (shape ``(n, m)``) for the ``n`` values of
``theta``; :func:`combine` applies it with a single matrix product. With per-sample step
control each row ``n`` is one (output time, sample) pair with its own ``h``;
:func:`combine_rows` applies row ``n`` to that sample's vectors.
"""

from __future__ import annotations

import torch

__all__ = ["combine", "combine_rows", "hermite_weights", "linear_weights", "polynomial_weights"]


def _thetas(thetas) -> torch.Tensor:
    if isinstance(thetas, torch.Tensor):
        return thetas.to(torch.float64)
    return torch.tensor(thetas, dtype=torch.float64)


def _times_h(w: torch.Tensor, h) -> torch.Tensor:
    return w * (h if isinstance(h, float) else h.to(w.dtype)[:, None])


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


def polynomial_weights(thetas, dense: torch.Tensor, h) -> torch.Tensor:
    """Continuous-extension weights on ``(y0, k_1, ..., k_s)``, shape (n, 1 + s).

    ``dense`` (float64, shape (s, d)) holds the polynomial coefficients ``b_i(theta) =
    sum_j dense[i, j] theta**(j+1)``; ``h`` is a float or one step size per row.
    """
    th = _thetas(thetas).to(dense.device)
    exponents = torch.arange(1, dense.shape[1] + 1, dtype=torch.float64, device=th.device)
    stage_w = _times_h(th[:, None] ** exponents @ dense.T, h)
    return torch.cat([torch.ones(len(th), 1, dtype=torch.float64, device=th.device), stage_w], 1)


def combine_rows(weights: torch.Tensor, vectors: torch.Tensor) -> torch.Tensor:
    """``out[n] = sum_m weights[n, m] * vectors[n, m]``: each row with its own vectors,
    ``vectors`` of shape (n, m, ...); the result has shape (n, ...)."""
    n, m = vectors.shape[:2]
    flat = vectors.reshape(n, m, -1)
    w = weights.to(device=vectors.device, dtype=vectors.dtype)
    return torch.bmm(w[:, None, :], flat)[:, 0].reshape((n, *vectors.shape[2:]))


def combine(weights: torch.Tensor, vectors: list[torch.Tensor]) -> torch.Tensor:
    """``out[n] = sum_m weights[n, m] * vectors[m]``, shape (n, *vectors[0].shape)."""
    like = vectors[0]
    stacked = torch.stack(vectors).reshape(len(vectors), -1)
    w = weights.to(device=like.device, dtype=stacked.dtype)
    return (w @ stacked).reshape(weights.shape[0], *like.shape)

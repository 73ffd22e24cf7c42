"""Cost matrices between two batches of series."""

from __future__ import annotations

import torch


class SqEuclideanCost(torch.autograd.Function):
    """``D[b, i, j] = ||x[b, i] - y[b, j]||^2`` with a closed-form backward.

    Autograd through the broadcast ``(B, n, m, d)`` difference would store it and reduce
    it in the backward; here the backward is two batched matrix products,
    ``dx = 2 (rowsum(G) x - G y)`` and ``dy = 2 (colsum(G) y - G^T x)``, on series centred
    by the mean of ``y`` (the formula is translation invariant, and centring keeps the
    difference of the two products from cancelling when the series have a large offset).
    The backward is made of differentiable torch operations, so double backward works.
    """

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        diff = x[:, :, None, :] - y[:, None, :, :]
        return (diff * diff).sum(-1)

    @staticmethod
    def backward(ctx, G):
        x, y = ctx.saved_tensors
        c = y.mean(1, keepdim=True)
        xc, yc = x - c, y - c
        gx = gy = None
        if ctx.needs_input_grad[0]:
            gx = 2.0 * (G.sum(2)[:, :, None] * xc - torch.bmm(G, yc))
        if ctx.needs_input_grad[1]:
            gy = 2.0 * (G.sum(1)[:, :, None] * yc - torch.bmm(G.transpose(1, 2), xc))
        return gx, gy


def sqeuclidean_cost(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Squared Euclidean cost ``(B, n, m)`` of ``x`` ``(B, n, d)`` and ``y`` ``(B, m, d)``."""
    return SqEuclideanCost.apply(x, y)


def cost_matrix(x: torch.Tensor, y: torch.Tensor, cost) -> torch.Tensor:
    if cost == "sqeuclidean":
        return sqeuclidean_cost(x, y)
    return cost(x, y)

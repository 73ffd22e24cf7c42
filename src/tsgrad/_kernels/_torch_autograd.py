"""PyTorch autograd Functions over the engines: the backwards are alignments, not graphs.

* hard DTW:   dV/dD = the 0/1 matrix of the optimal path;
* soft-DTW:   dV/dD = E, the expected alignment;
* alignment:  d<E, G>/dD = (d^2 V / dD^2) G, a Hessian-vector product (second DP);
* the squared-Euclidean routes (fused): the kernels return the gradients w.r.t. the series
  with the values, so autograd only stores those, ``O(B (n + m) d)``.

Every Function takes the engine (and, for the fused ones, its route) chosen by the router
(:mod:`._router`) as an argument; engines answer the calls listed in
:mod:`._numba_engine`.  The numba engine speaks NumPy: :func:`to_engine` and
:func:`from_engine` convert at the boundary (CPU tensors share memory with NumPy).
Soft-DTW's backwards are first-order only (see :func:`_first_order`).
"""

from __future__ import annotations

import functools

import numpy as np
import torch

from ._bands import Bands


def to_engine(engine, x: torch.Tensor):
    """``x`` as the engine reads it: a NumPy array (float32 / float64 kept) for numba."""
    if engine.name != "numba":
        return x.detach()
    x = x.detach()
    if x.dtype not in (torch.float32, torch.float64):
        x = x.to(torch.float64)
    return x.numpy()


def from_engine(a, like: torch.Tensor) -> torch.Tensor:
    """An engine's result as a tensor of ``like``'s dtype and device."""
    if isinstance(a, np.ndarray):
        a = torch.from_numpy(a)
    if a.dtype != like.dtype or a.device != like.device:
        a = a.to(dtype=like.dtype, device=like.device)
    return a


def _first_order(backward):
    """Backward of a first-order-only Function: refuse ``create_graph=True``.

    Soft-DTW's backward passes are DPs, not torch graphs: a double backward or a gradient
    penalty through them would silently miss the second-order terms, so they raise
    instead.  (Hard DTW keeps plain backwards: its path is piecewise constant in ``D``.)
    """

    @functools.wraps(backward)
    def wrapped(ctx, *grads):
        if torch.is_grad_enabled():
            raise RuntimeError(
                "tsgrad's soft-DTW gradients are first-order only: double backward and "
                "create_graph=True (e.g. gradient penalties) are not supported."
            )
        return backward(ctx, *grads)

    return wrapped


def _tensors(arrays) -> list:
    """An engine's arrays as tensors (NumPy arrays shared, not copied)."""
    return [torch.from_numpy(a) if isinstance(a, np.ndarray) else a for a in arrays]


def _scale(g: torch.Tensor, G: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """``g[:, None, None] * G`` (per-problem cotangents times an engine's gradients; ``g``
    0-d for a pair), in the gradients' precision, returned in ``dtype``."""
    if g.dim():
        g = g[:, None, None]
    return (g.to(G.dtype) * G).to(dtype)


class SoftDTWFunction(torch.autograd.Function):
    """Soft-DTW values ``(B,)`` of cost matrices ``D`` ``(B, n, m)``; backward uses ``E``."""

    @staticmethod
    def forward(ctx, D, gamma: float, bands: Bands, engine, store_weights: bool):
        state, val = engine.softdtw_forward(to_engine(engine, D), gamma, bands, store_weights)
        ctx.engine, ctx.state, ctx.like = engine, state, D.new_empty(0)
        return from_engine(val, D)

    @staticmethod
    @_first_order
    def backward(ctx, grad_val):
        E = from_engine(ctx.engine.softdtw_backward(ctx.state), ctx.like)
        return grad_val[:, None, None] * E, None, None, None, None


class SoftDTWAlignmentFunction(torch.autograd.Function):
    """Soft-DTW values ``(B,)`` and expected alignments ``E`` ``(B, n, m)``.

    ``E`` is differentiable: its backward is the Hessian-vector product of soft-DTW.
    """

    @staticmethod
    def forward(ctx, D, gamma: float, bands: Bands, engine, store_weights: bool):
        state, val = engine.softdtw_forward(to_engine(engine, D), gamma, bands, store_weights)
        E = engine.softdtw_backward(state)
        ctx.engine, ctx.state, ctx.E = engine, state, E
        return from_engine(val, D), from_engine(E, D)

    @staticmethod
    @_first_order
    def backward(ctx, grad_val, grad_E):
        eng = ctx.engine
        like = grad_val if grad_E is None else grad_E
        grad_D = grad_val[:, None, None] * from_engine(ctx.E, like)
        if grad_E is not None and bool(torch.any(grad_E != 0)):
            hvp = eng.softdtw_hvp(ctx.state, ctx.E, to_engine(eng, grad_E))
            grad_D = grad_D + from_engine(hvp, like)
        return grad_D, None, None, None, None


class DTWFunction(torch.autograd.Function):
    """Hard DTW values ``(B,)`` (accumulated cost), and with ``with_path`` the optimal
    paths ``(B, n, m)`` (0/1, not differentiable); the values' backward is the path."""

    @staticmethod
    def forward(ctx, D, bands: Bands, engine, with_path: bool):
        state, val = engine.dtw_forward(to_engine(engine, D), bands)
        ctx.engine, ctx.state, ctx.like, ctx.A = engine, state, D.new_empty(0), None
        val = from_engine(val, D)
        if not with_path:
            return val
        ctx.A = from_engine(engine.dtw_path_matrix(state), D)
        ctx.mark_non_differentiable(ctx.A)
        return val, ctx.A

    @staticmethod
    def backward(ctx, grad_val, *_):
        A = ctx.A
        if A is None:
            A = from_engine(ctx.engine.dtw_path_matrix(ctx.state), ctx.like)
        return grad_val[:, None, None] * A, None, None, None


class SqEuclideanSoftDTWFunction(torch.autograd.Function):
    """Soft-DTW values ``(B,)`` of the squared Euclidean costs of ``x`` ``(B, n, d)``,
    ``y`` ``(B, m, d)``, fused: one kernel makes the costs, runs the forward and backward
    DPs and returns the gradients w.r.t. the series with the values; autograd keeps those
    gradients only, no ``(B, n, m)`` tensor.  A single pair may come as ``(n, d)``,
    ``(m, d)`` tensors (the value is then 0-d): no view nodes around the Function.
    First-order only."""

    @staticmethod
    def forward(ctx, x, y, gamma: float, bands: Bands, engine, route):
        pair = x.dim() == 2
        xe, ye = to_engine(engine, x), to_engine(engine, y)
        if pair:
            xe, ye = xe[None], ye[None]
        val, gx, gy = engine.sqeuclidean_softdtw(xe, ye, gamma, bands, True, route)
        if pair:  # sliced before any tensor is made: NumPy slices cost nothing
            val, gx, gy = val[:1].reshape(()), gx[0], gy[0]
        ctx.grads = _tensors((gx, gy))
        ctx.dtypes = (x.dtype, y.dtype)
        return from_engine(val, x)

    @staticmethod
    @_first_order
    def backward(ctx, grad_val):
        (gx, gy), (tx, ty) = ctx.grads, ctx.dtypes
        dx = _scale(grad_val, gx, tx) if ctx.needs_input_grad[0] else None
        dy = _scale(grad_val, gy, ty) if ctx.needs_input_grad[1] else None
        return dx, dy, None, None, None, None


class SqEuclideanDILATEFunction(torch.autograd.Function):
    """DILATE's shape and temporal terms ``(B,)``, ``(B,)`` of ``x``, ``y`` with the squared
    Euclidean cost, fused as :class:`SqEuclideanSoftDTWFunction`: the kernel returns both
    terms and their gradients w.r.t. the series (the temporal one by the Hessian-vector
    product of soft-DTW).  First-order only."""

    @staticmethod
    def forward(ctx, x, y, gamma: float, bands: Bands, engine, route):
        xe, ye = to_engine(engine, x), to_engine(engine, y)
        shape, temporal, *grads = engine.sqeuclidean_dilate(xe, ye, gamma, bands, True, route)
        ctx.grads = _tensors(grads)
        ctx.dtypes = (x.dtype, y.dtype)
        return from_engine(shape, x), from_engine(temporal, x)

    @staticmethod
    @_first_order
    def backward(ctx, g_shape, g_temporal):
        gxs, gys, gxt, gyt = ctx.grads
        tx, ty = ctx.dtypes
        dx = dy = None
        if ctx.needs_input_grad[0]:
            dx = _scale(g_shape, gxs, tx) + _scale(g_temporal, gxt, tx)
        if ctx.needs_input_grad[1]:
            dy = _scale(g_shape, gys, ty) + _scale(g_temporal, gyt, ty)
        return dx, dy, None, None, None, None


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

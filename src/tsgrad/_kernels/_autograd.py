"""PyTorch autograd Functions over the alignment kernels.

Each Function takes a batch of cost matrices ``D`` ``(B, n, m)`` and the :class:`Bands`
of the batch; gradients reach the series through whatever (differentiable) torch code
built ``D``.  The backward passes use the alignments, never autograd through a loop:

* hard DTW:   dV/dD = the 0/1 matrix of the optimal path;
* soft-DTW:   dV/dD = E, the expected alignment;
* alignment:  d<E, G>/dD = (d^2 V / dD^2) G, a Hessian-vector product (second DP).

CPU tensors run the numba kernels (parallel over the batch); tensors on any other device
run the pure-torch wavefront kernels of :mod:`._torch_wavefront`, so nothing is copied to
the host.  ``set_cpu_engine("wavefront")`` forces the torch kernels on CPU (tests).
"""

from __future__ import annotations

import functools

import numpy as np
import torch

from . import _numba_diag as nd
from . import _numba_dp as nb
from ._bands import Bands

_CPU_ENGINE = "numba"


def set_cpu_engine(name: str) -> str:
    """Select the engine for CPU tensors ("numba" or "wavefront"); returns the previous."""
    global _CPU_ENGINE
    if name not in ("numba", "wavefront"):
        raise ValueError(f"The 'name' parameter must be 'numba' or 'wavefront'. Got {name!r}.")
    previous, _CPU_ENGINE = _CPU_ENGINE, name
    return previous


def _use_numba(D: torch.Tensor) -> bool:
    return D.device.type == "cpu" and _CPU_ENGINE == "numba"


def _np64(x: torch.Tensor) -> np.ndarray:
    return np.ascontiguousarray(x.detach().to(device="cpu", dtype=torch.float64).numpy())


def _np_float(x: torch.Tensor) -> np.ndarray:
    """float32 / float64 tensors as they are (no float64 copy: the kernels cast each
    element exactly); other dtypes as float64."""
    if x.dtype in (torch.float32, torch.float64):
        return np.ascontiguousarray(x.detach().numpy())
    return _np64(x)


# Above this many cells a batch does not store the soft-min weights (3 float64 per cell):
# the backward and the Hessian-vector product then recompute them (exponentials).
WEIGHTS_MAX_CELLS = 2**22


def _first_order(backward):
    """Backward of a first-order-only Function: refuse ``create_graph=True``.

    Soft-DTW's backward passes are numba DPs, not torch graphs: a double backward or a
    gradient penalty through them would silently miss the second-order terms, so they raise
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


class _NumbaEngine:
    """Adapter: torch in, torch out, numba kernels in the middle (float64 tables).

    Soft-DTW runs the vectorised anti-diagonal kernels of :mod:`._numba_diag`.  The
    forward state is ``(S, W, DS, (n, m))``: the table, and either the soft-min weights
    ``W`` (at most :data:`WEIGHTS_MAX_CELLS` cells: exponential-free backward and HVP) or
    the skewed costs ``DS`` in the input's dtype (the weights are recomputed).  The state
    holds all the backward needs, so the Functions keep no reference to the cost array.
    """

    KEEPS_COST = False

    @staticmethod
    def prepare(D, bands):
        return _np_float(D), bands

    @staticmethod
    def softdtw_forward(Dn, gamma, b: Bands):
        if Dn.size <= WEIGHTS_MAX_CELLS:
            S, val, W = nd.softdtw_forward_weights(Dn, gamma, b.lx, b.ly, b.lo, b.hi)
            return (S, W, None, Dn.shape[1:]), val
        S, val, DS = nd.softdtw_forward(Dn, gamma, b.lx, b.ly, b.lo, b.hi)
        return (S, None, DS, Dn.shape[1:]), val

    @staticmethod
    def softdtw_backward(Dn, state, gamma, b: Bands):
        S, W, DS, (n, m) = state
        if W is not None:
            return nd.softdtw_backward_weights(W, S, b.lx, b.ly, n, m)
        return nd.softdtw_backward(DS, S, gamma, b.lx, b.ly, n, m)

    @staticmethod
    def softdtw_hvp(Dn, state, E, Z, gamma, b: Bands):
        S, W, DS, _ = state
        if W is not None:
            return nd.softdtw_hvp_weights(W, S, E, _np64(Z), gamma, b.lx, b.ly)[0]
        return nd.softdtw_hvp(DS, S, E, _np64(Z), gamma, b.lx, b.ly)[0]

    @staticmethod
    def dtw_forward(Dn, b: Bands):
        return nb.dtw_forward(Dn, b.lx, b.ly, b.lo, b.hi)

    @staticmethod
    def dtw_path_matrix(R, b: Bands):
        return nb.dtw_path_matrix(R, b.lx, b.ly)

    @staticmethod
    def to_torch(x, meta) -> torch.Tensor:
        return torch.from_numpy(np.asarray(x)).to(dtype=meta[0], device=meta[1])


def _engine(D: torch.Tensor):
    if _use_numba(D):
        return _NumbaEngine
    from ._torch_wavefront import WavefrontEngine

    return WavefrontEngine


class SoftDTWFunction(torch.autograd.Function):
    """Soft-DTW values ``(B,)`` of cost matrices ``D`` ``(B, n, m)``; backward uses ``E``."""

    @staticmethod
    def forward(ctx, D, gamma: float, bands: Bands):
        eng = _engine(D)
        Dn, b = eng.prepare(D, bands)
        R, val = eng.softdtw_forward(Dn, gamma, b)
        ctx.eng, ctx.R, ctx.gamma, ctx.bands = eng, R, gamma, b
        ctx.Dn = Dn if eng.KEEPS_COST else None
        ctx.meta = (D.dtype, D.device)
        return eng.to_torch(val, (D.dtype, D.device))

    @staticmethod
    @_first_order
    def backward(ctx, grad_val):
        eng = ctx.eng
        E = eng.softdtw_backward(ctx.Dn, ctx.R, ctx.gamma, ctx.bands)
        E = eng.to_torch(E, ctx.meta)
        return grad_val[:, None, None] * E, None, None


class SoftDTWAlignmentFunction(torch.autograd.Function):
    """Soft-DTW values ``(B,)`` and expected alignments ``E`` ``(B, n, m)``.

    ``E`` is differentiable: its backward is the Hessian-vector product of soft-DTW.
    """

    @staticmethod
    def forward(ctx, D, gamma: float, bands: Bands):
        eng = _engine(D)
        Dn, b = eng.prepare(D, bands)
        R, val = eng.softdtw_forward(Dn, gamma, b)
        E = eng.softdtw_backward(Dn, R, gamma, b)
        ctx.eng, ctx.R, ctx.E, ctx.gamma, ctx.bands = eng, R, E, gamma, b
        ctx.Dn = Dn if eng.KEEPS_COST else None
        ctx.meta = (D.dtype, D.device)
        return eng.to_torch(val, (D.dtype, D.device)), eng.to_torch(E, (D.dtype, D.device))

    @staticmethod
    @_first_order
    def backward(ctx, grad_val, grad_E):
        eng = ctx.eng
        grad_D = grad_val[:, None, None] * eng.to_torch(ctx.E, ctx.meta)
        if grad_E is not None and bool(torch.any(grad_E != 0)):
            hvp = eng.softdtw_hvp(ctx.Dn, ctx.R, ctx.E, grad_E, ctx.gamma, ctx.bands)
            grad_D = grad_D + eng.to_torch(hvp, ctx.meta)
        return grad_D, None, None


class DTWFunction(torch.autograd.Function):
    """Hard DTW values ``(B,)`` (accumulated cost); backward uses the optimal path."""

    @staticmethod
    def forward(ctx, D, bands: Bands):
        eng = _engine(D)
        Dn, b = eng.prepare(D, bands)
        R, val = eng.dtw_forward(Dn, b)
        ctx.eng, ctx.R, ctx.bands, ctx.meta = eng, R, b, (D.dtype, D.device)
        return eng.to_torch(val, (D.dtype, D.device))

    @staticmethod
    def backward(ctx, grad_val):
        eng = ctx.eng
        A = eng.to_torch(eng.dtw_path_matrix(ctx.R, ctx.bands), ctx.meta)
        return grad_val[:, None, None] * A, None


class SoftDTWSqEuclideanFunction(torch.autograd.Function):
    """Soft-DTW values ``(B,)`` of the squared Euclidean costs of ``x``, ``y`` (CPU, numba).

    One kernel makes the costs, runs the forward and backward DPs problem by problem in
    cache-resident scratch tables, and returns the gradients of the series
    (``2 sum_j E_ij (x_i - y_j)``) with the values.  The saved state is those gradients,
    ``O(B (n + m) d)``: no ``(B, n, m)`` tensor, and two autograd nodes fewer than the
    cost-matrix route.  A single pair may be given as ``(n, d)``, ``(m, d)`` tensors (the
    value is then 0-d): no view nodes around the Function.  First-order only (see
    :func:`_first_order`).
    """

    @staticmethod
    def forward(ctx, x, y, gamma: float, bands: Bands):
        b = bands
        pair = x.dim() == 2
        xn, yn = _np_float(x), _np_float(y)
        if pair:
            xn, yn = xn[None], yn[None]
        val, gx, gy = nd.softdtw_sqeuclidean_value_grad(xn, yn, gamma, b.lx, b.ly, b.lo, b.hi)
        if pair:
            val, gx, gy = val[0], gx[0], gy[0]
        ctx.grads = (torch.from_numpy(gx), torch.from_numpy(gy))
        ctx.dtypes = (x.dtype, y.dtype)
        return torch.tensor(val, dtype=x.dtype) if pair else torch.from_numpy(val).to(x.dtype)

    @staticmethod
    @_first_order
    def backward(ctx, grad_val):
        gx, gy = ctx.grads
        g = grad_val.to(torch.float64)
        if g.dim():
            g = g[:, None, None]
        dx = (g * gx).to(ctx.dtypes[0]) if ctx.needs_input_grad[0] else None
        dy = (g * gy).to(ctx.dtypes[1]) if ctx.needs_input_grad[1] else None
        return dx, dy, None, None


def fused_sqeuclidean(x: torch.Tensor) -> bool:
    """Whether :func:`soft_dtw_sqeuclidean_batch` applies to tensors like ``x`` (CPU, numba)."""
    return _use_numba(x)


def soft_dtw_sqeuclidean_batch(x, y, gamma: float, bands: Bands) -> torch.Tensor:
    """Soft-DTW values ``(B,)`` of ``x`` ``(B, n, d)``, ``y`` ``(B, m, d)`` with the squared
    Euclidean cost, fused (CPU tensors; see :func:`fused_sqeuclidean`).  A pair of
    ``(n, d)``, ``(m, d)`` tensors gives a 0-d value.

    Differentiable when gradients are recorded; otherwise only the forward DP runs.
    """
    if torch.is_grad_enabled() and (x.requires_grad or y.requires_grad):
        return SoftDTWSqEuclideanFunction.apply(x, y, gamma, bands)
    b = bands
    pair = x.dim() == 2
    xn, yn = _np_float(x), _np_float(y)
    if pair:
        xn, yn = xn[None], yn[None]
    val = nd.softdtw_sqeuclidean_values(xn, yn, gamma, b.lx, b.ly, b.lo, b.hi)
    return torch.tensor(val[0], dtype=x.dtype) if pair else torch.from_numpy(val).to(x.dtype)


class DILATEFunction(torch.autograd.Function):
    """DILATE's shape and temporal terms ``(B,)``, ``(B,)`` of ``outputs``, ``targets``
    with the squared Euclidean cost (CPU, numba), fused as
    :class:`SoftDTWSqEuclideanFunction`: the kernel returns both terms and their gradients
    w.r.t. the series (the temporal one by the Hessian-vector product of soft-DTW).
    First-order only (see :func:`_first_order`).
    """

    @staticmethod
    def forward(ctx, x, y, gamma: float, bands: Bands):
        b = bands
        shape, temporal, *grads = nd.dilate_value_grad(
            _np_float(x), _np_float(y), gamma, b.lx, b.ly, b.lo, b.hi, True
        )
        ctx.grads = [torch.from_numpy(g) for g in grads]
        ctx.dtypes = (x.dtype, y.dtype)
        return torch.from_numpy(shape).to(x.dtype), torch.from_numpy(temporal).to(x.dtype)

    @staticmethod
    @_first_order
    def backward(ctx, g_shape, g_temporal):
        gxs, gys, gxt, gyt = ctx.grads
        gs = g_shape.to(torch.float64)[:, None, None]
        gt = g_temporal.to(torch.float64)[:, None, None]
        dx = (gs * gxs + gt * gxt).to(ctx.dtypes[0]) if ctx.needs_input_grad[0] else None
        dy = (gs * gys + gt * gyt).to(ctx.dtypes[1]) if ctx.needs_input_grad[1] else None
        return dx, dy, None, None


def dilate_sqeuclidean_batch(x, y, gamma: float, bands: Bands):
    """DILATE's ``(shape, temporal)`` terms ``(B,)`` of ``x`` ``(B, n, d)``, ``y``
    ``(B, m, d)``, fused (CPU tensors; see :func:`fused_sqeuclidean`); ``k = ly``."""
    if torch.is_grad_enabled() and (x.requires_grad or y.requires_grad):
        return DILATEFunction.apply(x, y, gamma, bands)
    b = bands
    shape, temporal, *_ = nd.dilate_value_grad(
        _np_float(x), _np_float(y), gamma, b.lx, b.ly, b.lo, b.hi, False
    )
    return torch.from_numpy(shape).to(x.dtype), torch.from_numpy(temporal).to(x.dtype)


def soft_dtw_batch(D: torch.Tensor, gamma: float, bands: Bands) -> torch.Tensor:
    """Differentiable soft-DTW values ``(B,)`` of ``D`` ``(B, n, m)``."""
    return SoftDTWFunction.apply(D, gamma, bands)


def soft_dtw_alignment_batch(D: torch.Tensor, gamma: float, bands: Bands):
    """Differentiable ``(values (B,), E (B, n, m))``; ``E`` supports backward (HVP)."""
    return SoftDTWAlignmentFunction.apply(D, gamma, bands)


def dtw_batch(D: torch.Tensor, bands: Bands) -> torch.Tensor:
    """Differentiable hard-DTW accumulated costs ``(B,)`` of ``D`` ``(B, n, m)``."""
    return DTWFunction.apply(D, bands)

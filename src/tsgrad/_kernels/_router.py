"""The kernel router: which engine, and which route inside it, runs an alignment problem.

Every DTW-family computation of tsgrad is one of four operations on a batch of problems
(a cost and the :class:`Bands` of its lengths and constraint):

============================  ==============================================================
:func:`values`                 soft-DTW values (``gamma > 0``) or hard-DTW accumulated costs
                               (``gamma=None``); differentiable for tensors
:func:`value_and_grad`         the values and their gradient w.r.t. the cost's inputs, as
                               arrays (no autograd graph)
:func:`alignment`              the values and the alignment: expected (soft) or optimal
                               (hard); the soft one is differentiable (its backward is a
                               Hessian-vector product); :func:`dtw_paths` gives the hard
                               one as lists of cells, made in one sweep where it can
:func:`temporal_distortion`    the values and ``<A, Omega> / k^2`` (``Omega_ij = (i - j)^2``,
                               ``k`` the second series' length): DILATE's temporal term
                               (soft, its gradient a Hessian-vector product) or TDI (hard)
============================  ==============================================================

The metrics and the losses call only these four.  The engine is chosen from the inputs'
type and device and :func:`use_engine` (or the ``TSGRAD_ENGINE`` variable):

* ``"numba"``: CPU kernels, for NumPy arrays and CPU tensors (``"auto"``'s choice there);
* ``"triton"``: GPU kernels for CUDA tensors (``"auto"``'s choice there when Triton is
  installed); CPU tensors too under ``TRITON_INTERPRET=1`` (how CI tests it);
* ``"wavefront"``: array code, torch on any device or NumPy (``"auto"``'s choice for
  devices without the others, e.g. Apple MPS, and on the CPU while a new installation's
  numba kernels compile in the background, see :mod:`._warm`).

An engine that cannot run an input raises a ``ValueError`` that says which would.  Routes
inside the numba engine (series vectorised across problems or along anti-diagonals,
stored or recomputed weights) are decided from :data:`THRESHOLDS`, the one table of
size thresholds.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from ..backend import is_torch_tensor
from . import _warm
from ._bands import Bands
from ._numba_engine import FusedRoute, NumbaEngine
from ._numba_softdtw_lanes import LANES


# --------------------------------------------------------------------------------------
# Thresholds
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Thresholds:
    """Problem sizes at which the numba engine changes route (all measured, see below)."""

    #: Soft-DTW of series of at most this many cells (``n * m``) runs LANES problems at a
    #: time (vectorised across problems) when the batch fills half a block.  One thread,
    #: B = 100, forward + backward (lanes / diagonals in the scaled domain): k = 20: 0.56 /
    #: 0.63 ms, k = 24: 0.79 / 0.77 ms, k = 28: 1.05 / 0.95 ms, k = 32: 1.42 / 1.10 ms.
    lanes_max_cells: int = 24 * 24
    #: The same for DILATE (log domain; its Hessian-vector product needs seven tables per
    #: block, which leave the core's cache sooner): k = 24: 1.0 / 2.4 ms, k = 28: 3.3 /
    #: 1.9 ms.
    dilate_lanes_max_cells: int = 24 * 24
    #: Smallest batch that takes the lanes (half a block).
    lanes_min_batch: int = LANES // 2
    #: Series problems of more table cells than this recompute their soft-min weights in
    #: the backward instead of storing them (24 bytes of scratch per cell instead of 48;
    #: a 5000 x 5000 pair would need 1.2 GB with them).  Below it storing is faster: two
    #: threads, forward + backward + chain rule, stored / recomputed: B=64 n=100 4.3 /
    #: 5.1 ms, B=64 n=180 12.4 / 15.6 ms, B=256 n=256 130 / 156 ms.
    series_weights_max_cells: int = 1 << 21
    #: Cost-matrix batches of more cells than this (``B n m``) keep no weight table
    #: between the forward and the backward (3 float64 per cell).
    matrix_weights_max_cells: int = 1 << 22
    #: While the numba kernels are not compiled yet (a new installation's first calls, see
    #: :mod:`._warm`), NumPy arrays and CPU tensors run on the wavefront engine when its
    #: full tables hold at most this many cells (``B (n + m + 1) (n + 1)``, 64 MiB each in
    #: float64); larger problems compile the numba kernels in the calling process.
    cold_wavefront_max_cells: int = 1 << 23


THRESHOLDS = Thresholds()


# --------------------------------------------------------------------------------------
# Engine selection
# --------------------------------------------------------------------------------------
ENGINES = ("auto", "numba", "triton", "wavefront")
_ENV = "TSGRAD_ENGINE"
_chosen: str | None = None  # set by use_engine; None: the environment variable, or "auto"


def _check_engine(name: Any, where: str) -> str:
    if not isinstance(name, str) or name not in ENGINES:
        raise ValueError(f"{where} must be one of {ENGINES}. Got {name!r} instead.")
    return name


def current_engine() -> str:
    """The engine setting in force: :func:`use_engine`'s, else ``TSGRAD_ENGINE``'s, else
    ``"auto"``."""
    if _chosen is not None:
        return _chosen
    name = os.environ.get(_ENV)
    if not name:
        return "auto"
    return _check_engine(name, f"The environment variable {_ENV}")


class use_engine:  # noqa: N801 - used as a function and as a context manager
    """Choose the engine of tsgrad's alignment kernels: now, or inside a ``with`` block.

    Parameters
    ----------
    name : {"auto", "numba", "triton", "wavefront"}
        ``"auto"`` (the default) runs NumPy arrays and CPU tensors on the numba engine
        (on the wavefront engine while a new installation compiles its kernels in the
        background), CUDA tensors on the Triton engine (or the wavefront one without
        Triton), other devices on the wavefront engine.  A named engine runs every input
        it can and raises ``ValueError`` for the others.  The environment variable
        ``TSGRAD_ENGINE`` sets the default.

    Examples
    --------
    >>> import torch
    >>> from tsgrad import use_engine
    >>> from tsgrad.losses import soft_dtw_loss
    >>> x, y = torch.zeros(2, 5, 1), torch.ones(2, 6, 1)
    >>> with use_engine("wavefront"):                    # pure torch, any device
    ...     a = soft_dtw_loss(x, y)
    >>> b = soft_dtw_loss(x, y)                           # "auto": numba on the CPU
    >>> bool(torch.isclose(a, b))
    True
    >>> use_engine("numba")                              # a plain call: until changed
    use_engine('numba')
    >>> use_engine("auto")
    use_engine('auto')
    """

    def __init__(self, name: str):
        global _chosen
        self.name = _check_engine(name, "The 'name' parameter of use_engine")
        self._previous = _chosen
        _chosen = self.name

    def __enter__(self) -> use_engine:
        return self

    def __exit__(self, *exc) -> None:
        global _chosen
        _chosen = self._previous

    def __repr__(self) -> str:
        return f"use_engine({self.name!r})"


def engine_for_run(device) -> use_engine | contextlib.nullcontext:
    """The engine setting for a training or evaluation run on ``device``, as a context
    manager: ``"numba"`` instead of ``"auto"`` on the CPU.

    A run then compiles the numba kernels once, if a new installation has not cached them
    yet, rather than start on the slower wavefront engine while they compile in the
    background; and it stays on one engine, so its numbers do not depend on when that
    compilation ends.
    """
    import torch

    if _chosen is None and current_engine() == "auto" and torch.device(device).type == "cpu":
        return _Scoped("numba")
    return contextlib.nullcontext()


class _Scoped(use_engine):
    """:class:`use_engine` that takes effect on entering its ``with`` block only."""

    def __init__(self, name: str):
        self.name = _check_engine(name, "The 'name' parameter of use_engine")

    def __enter__(self) -> use_engine:
        global _chosen
        self._previous, _chosen = _chosen, self.name
        return self


@lru_cache(maxsize=1)
def _wavefront():
    from ._wavefront import WavefrontEngine

    return WavefrontEngine


def _triton(x):
    """The Triton engine if it can run ``x`` (a tensor), else None."""
    try:
        from ._triton_engine import TritonEngine, available
    except ImportError:
        return None
    return TritonEngine if available(x) else None


def engine_for(x: Any, cells: int = 0):
    """The engine that runs problems whose data is ``x`` (an array or a tensor) and whose
    full tables would hold ``cells`` cells (:func:`_table_cells`)."""
    name = current_engine()
    tensor = is_torch_tensor(x)
    device = x.device.type if tensor else "cpu"
    what = f"a tensor on {x.device}" if tensor else "NumPy arrays"
    if name == "auto":
        if device == "cpu":
            if _warm.ready() or cells > THRESHOLDS.cold_wavefront_max_cells:
                return NumbaEngine
            _warm.start()  # compile the numba kernels in the background, meanwhile:
            return _wavefront()
        if device == "cuda":
            return _triton(x) or _wavefront()
        return _wavefront()
    if name == "numba":
        if device != "cpu":
            raise ValueError(
                f"The 'numba' engine runs NumPy arrays and CPU tensors. Got {what}: use "
                "use_engine('auto'), 'triton' (CUDA) or 'wavefront' (any device)."
            )
        return NumbaEngine
    if name == "wavefront":
        return _wavefront()
    if not tensor:
        raise ValueError(
            "The 'triton' engine runs torch tensors. Got NumPy arrays: use "
            "use_engine('auto'), 'numba' or 'wavefront', or pass tensors."
        )
    engine = _triton(x)
    if engine is None:
        raise ValueError(
            f"The 'triton' engine needs the 'triton' package and CUDA tensors (or CPU "
            f"tensors with TRITON_INTERPRET=1 set before import). Got {what}: use "
            "use_engine('auto') or 'wavefront'."
        )
    return engine


def _table_cells(cost) -> int:
    """Cells of the full skewed tables of a cost's problems, ``B (n + m + 1) (n + 1)``: what
    the wavefront engine would allocate for each of them."""
    if isinstance(cost, CostMatrix):
        B, n, m = cost.D.shape
    elif isinstance(cost, SqEuclideanPairs):
        B, n, m = len(cost.ii), cost.X.shape[1], cost.Y.shape[1]
    elif cost.x.ndim == 2:
        B, n, m = 1, cost.x.shape[0], cost.y.shape[0]
    else:
        B, n, m = cost.x.shape[0], cost.x.shape[1], cost.y.shape[1]
    return int(B) * (int(n) + int(m) + 1) * (int(n) + 1)


# --------------------------------------------------------------------------------------
# Costs
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SqEuclidean:
    """Squared Euclidean costs ``||x[b, i] - y[b, j]||^2`` of series ``x`` ``(B, n, d)``
    and ``y`` ``(B, m, d)``; engines that can build them inside their kernels do.  One
    pair may be given as ``(n, d)``, ``(m, d)`` arrays: the operations then return the
    results of that pair (0-d values, ``(n, m)`` alignments)."""

    x: Any
    y: Any


@dataclass(frozen=True)
class CostMatrix:
    """Given cost matrices ``D`` ``(B, n, m)``."""

    D: Any


@dataclass(frozen=True)
class SqEuclideanPairs:
    """The squared Euclidean costs of the pairs ``(X[ii[p]], Y[jj[p]])`` of two datasets
    ``X`` ``(N1, n, d)`` and ``Y`` ``(N2, m, d)`` of series of lengths ``lx`` ``(N1,)``
    and ``ly`` ``(N2,)`` (the padding may hold anything): a ``cdist``."""

    X: Any
    Y: Any
    lx: np.ndarray
    ly: np.ndarray
    ii: np.ndarray
    jj: np.ndarray


def _autograd():
    """The autograd Functions; importing them imports torch, which only tensors need."""
    from . import _torch_autograd

    return _torch_autograd


def _needs_grad(*xs) -> bool:
    if not is_torch_tensor(xs[0]):
        return False
    import torch

    return torch.is_grad_enabled() and any(x.requires_grad for x in xs)


def _as_output(a, like):
    """An engine's result in ``like``'s kind: NumPy for NumPy, a tensor of ``like``'s
    dtype and device for tensors."""
    if not is_torch_tensor(like):
        return a
    from ._torch_autograd import from_engine

    return from_engine(a, like)


def _native(engine, x):
    if is_torch_tensor(x):
        from ._torch_autograd import to_engine

        return to_engine(engine, x)
    return x


def cost_matrix(x, y):
    """``(B, n, m)`` squared Euclidean costs of ``x`` ``(B, n, d)``, ``y`` ``(B, m, d)``;
    differentiable for tensors (a closed-form backward, no ``(B, n, m, d)`` tensor kept)."""
    if is_torch_tensor(x):
        from ._torch_autograd import sqeuclidean_cost

        return sqeuclidean_cost(x, y)
    diff = x[:, :, None, :] - y[:, None, :, :]
    return (diff * diff).sum(-1)


def _fused(engine) -> bool:
    return hasattr(engine, "sqeuclidean_softdtw")


def _route(x, y, dilate: bool) -> FusedRoute:
    """The numba route of a batch ``x`` ``(B, n, d)``, ``y`` ``(B, m, d)`` (or a pair)."""
    if x.ndim == 2:
        B, n, m = 1, x.shape[0], y.shape[0]
    else:
        B, n, m = x.shape[0], x.shape[1], y.shape[1]
    return _route_of(B, n, m, dilate, THRESHOLDS)


@lru_cache(maxsize=256)
def _route_of(B: int, n: int, m: int, dilate: bool, t: Thresholds) -> FusedRoute:
    limit = t.dilate_lanes_max_cells if dilate else t.lanes_max_cells
    return FusedRoute(n * m <= limit and B >= t.lanes_min_batch, t.series_weights_max_cells)


def _store_weights(D) -> bool:
    return int(np.prod(D.shape)) <= THRESHOLDS.matrix_weights_max_cells


def _matrix(cost) -> CostMatrix:
    if isinstance(cost, CostMatrix):
        return cost
    return CostMatrix(cost_matrix(cost.x, cost.y))


def _gather(cost: SqEuclideanPairs) -> SqEuclidean:
    """The pairs as a batch; padding zeroed so that it gets zero (not NaN) derivatives."""
    X, Y = cost.X, cost.Y
    if is_torch_tensor(X):
        import torch

        X = torch.nan_to_num(X, nan=0.0)
        Y = torch.nan_to_num(Y, nan=0.0)
        ii, jj = (
            torch.as_tensor(cost.ii, device=X.device),
            torch.as_tensor(cost.jj, device=X.device),
        )
    else:
        X, Y, ii, jj = np.nan_to_num(X), np.nan_to_num(Y), cost.ii, cost.jj
    return SqEuclidean(X[ii], Y[jj])


# --------------------------------------------------------------------------------------
# The four operations
# --------------------------------------------------------------------------------------
def values(cost, gamma: float | None, bands: Bands):
    """Soft-DTW values (``gamma > 0``) or hard-DTW accumulated costs (``gamma=None``)
    ``(B,)`` of a batch of problems; differentiable for tensors that require grad.

    Infeasible problems (no admissible path) have value ``inf``.
    """
    if isinstance(cost, SqEuclideanPairs):
        engine = engine_for(cost.X, _table_cells(cost))
        if engine is NumbaEngine and not _needs_grad(cost.X, cost.Y):
            X, Y = _native(engine, cost.X), _native(engine, cost.Y)
            v = engine.sqeuclidean_pairs(X, Y, cost.lx, cost.ly, cost.ii, cost.jj, gamma, bands)
            return _as_output(v, cost.X)
        cost = _gather(cost)
    if isinstance(cost, CostMatrix):
        D = cost.D
        engine = engine_for(D, _table_cells(cost))
        if gamma is None:
            if _needs_grad(D):
                return _autograd().DTWFunction.apply(D, bands, engine, False)
            return _as_output(engine.dtw_forward(_native(engine, D), bands)[1], D)
        if _needs_grad(D):
            return _autograd().SoftDTWFunction.apply(D, gamma, bands, engine, _store_weights(D))
        return _as_output(engine.softdtw_values(_native(engine, D), gamma, bands), D)
    x, y = cost.x, cost.y
    engine = engine_for(x, _table_cells(cost))
    grad = _needs_grad(x, y)
    if gamma is not None and _fused(engine) and grad:  # pairs stay 2-D: no view nodes
        route = _route(x, y, dilate=False)
        return _autograd().SqEuclideanSoftDTWFunction.apply(x, y, gamma, bands, engine, route)
    if x.ndim == 2:
        return values(_as_batch(cost), gamma, bands)[0]
    if gamma is None and not grad and hasattr(engine, "sqeuclidean_dtw"):
        v = engine.sqeuclidean_dtw(_native(engine, x), _native(engine, y), bands)
        return _as_output(v, x)
    if gamma is not None and _fused(engine):
        xe, ye = _native(engine, x), _native(engine, y)
        v = engine.sqeuclidean_softdtw(xe, ye, gamma, bands, False, _route(x, y, False))[0]
        return _as_output(v, x)
    return values(_matrix(cost), gamma, bands)


def _is_pair(cost) -> bool:
    return isinstance(cost, SqEuclidean) and cost.x.ndim == 2


def _as_batch(cost: SqEuclidean) -> SqEuclidean:
    return SqEuclidean(cost.x[None], cost.y[None])


def value_and_grad(cost, gamma: float, bands: Bands):
    """Soft-DTW values ``(B,)`` and their gradients, as arrays without autograd graph:
    ``(dV/dx (B, n, d), dV/dy (B, m, d))`` for :class:`SqEuclidean` costs, ``dV/dD = E``
    ``(B, n, m)`` for :class:`CostMatrix` costs.  Same kind (NumPy or tensor) as the input.
    """
    if _is_pair(cost):
        v, (gx, gy) = value_and_grad(_as_batch(cost), gamma, bands)
        return v[0], (gx[0], gy[0])
    if isinstance(cost, SqEuclidean):
        x, y = cost.x, cost.y
        engine = engine_for(x, _table_cells(cost))
        if _fused(engine):
            xe, ye = _native(engine, x), _native(engine, y)
            v, gx, gy = engine.sqeuclidean_softdtw(xe, ye, gamma, bands, True, _route(x, y, False))
            return _as_output(v, x), (_as_output(gx, x), _as_output(gy, y))
        x, y = _detached(x), _detached(y)
        v, E = value_and_grad(CostMatrix(cost_matrix(x, y)), gamma, bands)
        return v, _sqeuclidean_chain(E, x, y)
    D = _detached(cost.D)
    engine = engine_for(D, _table_cells(cost))
    state, v = engine.softdtw_forward(_native(engine, D), gamma, bands, _store_weights(D))
    return _as_output(v, D), _as_output(engine.softdtw_backward(state), D)


def _detached(x):
    return x.detach() if is_torch_tensor(x) else x


def _sqeuclidean_chain(E, x, y):
    """``(dV/dx, dV/dy)`` of ``V(D)``, ``D`` the squared Euclidean costs of ``x``
    ``(B, n, d)``, ``y`` ``(B, m, d)``, from ``E = dV/dD`` ``(B, n, m)``: ``2 (rowsum(E) x
    - E y)`` and ``2 (colsum(E) y - E^T x)``, on series centred by the mean of ``y`` (the
    formula is translation invariant; centring keeps the two products from cancelling)."""
    c = y.sum(1)[:, None, :] / y.shape[1]
    xc, yc = x - c, y - c
    gx = 2.0 * (E.sum(2)[:, :, None] * xc - E @ yc)
    gy = 2.0 * (E.sum(1)[:, :, None] * yc - E.swapaxes(1, 2) @ xc)
    return gx, gy


def alignment(cost, gamma: float | None, bands: Bands):
    """Values ``(B,)`` and alignments ``(B, n, m)``: the expected alignment ``E = dV/dD``
    of soft-DTW (differentiable for tensors: its backward is the Hessian-vector product),
    or the 0/1 optimal path of hard DTW (``gamma=None``; ties prefer the diagonal, then the
    cell above; not differentiable, the values are)."""
    if _is_pair(cost):
        return tuple(out[0] for out in alignment(_as_batch(cost), gamma, bands))
    D = _matrix(cost).D
    engine = engine_for(D, _table_cells(cost))
    if is_torch_tensor(D):
        if gamma is None:
            return _autograd().DTWFunction.apply(D, bands, engine, True)
        store = _store_weights(D)
        return _autograd().SoftDTWAlignmentFunction.apply(D, gamma, bands, engine, store)
    if gamma is None:
        state, v = engine.dtw_forward(D, bands)
        return v, engine.dtw_path_matrix(state)
    state, v = engine.softdtw_forward(D, gamma, bands, _store_weights(D))
    return v, engine.softdtw_backward(state)


def dtw_paths(cost, bands: Bands):
    """Hard-DTW values ``(B,)`` and optimal paths (lists of ``(i, j)`` from ``(0, 0)``;
    ties prefer the diagonal, then the cell above; ``[]`` without an admissible path) of a
    :class:`SqEuclidean` batch (a pair: a value and one path).  The :func:`alignment` of
    ``gamma=None`` as paths: the numba engine makes them in one sweep with the costs, with
    no ``(B, n, m)`` table; the values are differentiable for tensors that require grad.
    """
    if _is_pair(cost):
        v, paths = dtw_paths(_as_batch(cost), bands)
        return v[0], paths[0]
    x, y = cost.x, cost.y
    engine = engine_for(x, _table_cells(cost))
    if hasattr(engine, "sqeuclidean_dtw_paths"):
        xe, ye = _native(engine, _detached(x)), _native(engine, _detached(y))
        v, P, L = engine.sqeuclidean_dtw_paths(xe, ye, bands)
        paths = [list(map(tuple, P[b, : L[b]].tolist())) for b in range(len(L))]
        v = values(cost, None, bands) if _needs_grad(x, y) else _as_output(v, x)
        return v, paths
    v, A = alignment(cost, None, bands)
    A = A.detach().cpu().numpy() if is_torch_tensor(A) else A
    # a monotone path's cells in row-major order are the path in order
    return v, [list(map(tuple, np.argwhere(a).tolist())) for a in A]


@lru_cache(maxsize=32)
def _omega(n: int, m: int) -> np.ndarray:
    i = np.arange(n, dtype=np.float64)[:, None]
    j = np.arange(m, dtype=np.float64)[None, :]
    return (i - j) ** 2


def _time_gaps(A, bands: Bands):
    """``<A, Omega> / k^2`` ``(B,)``, ``k = ly``."""
    n, m = A.shape[1], A.shape[2]
    k2 = bands.ly.astype(np.float64) ** 2
    if is_torch_tensor(A):
        import torch

        omega = torch.from_numpy(_omega(n, m)).to(dtype=A.dtype, device=A.device)
        k2 = torch.from_numpy(k2).to(dtype=A.dtype, device=A.device)
        return (A * omega).sum((1, 2)) / k2
    return (A * _omega(n, m)).sum((1, 2)) / k2


def temporal_distortion(cost, gamma: float | None, bands: Bands):
    """Values ``(B,)`` and ``<A, Omega> / k^2`` ``(B,)``, ``Omega_ij = (i - j)^2``, ``k``
    the length of the second series: with ``gamma > 0`` soft-DTW and DILATE's temporal term
    (both differentiable for tensors; the latter's gradient is the Hessian-vector product
    of soft-DTW with ``Omega / k^2``), with ``gamma=None`` hard DTW and the Temporal
    Distortion Index (piecewise constant: no gradient)."""
    if _is_pair(cost):
        return tuple(out[0] for out in temporal_distortion(_as_batch(cost), gamma, bands))
    if gamma is not None and isinstance(cost, SqEuclidean):
        x, y = cost.x, cost.y
        engine = engine_for(x, _table_cells(cost))
        if _fused(engine):
            route = _route(x, y, dilate=True)
            if _needs_grad(x, y):
                dilate = _autograd().SqEuclideanDILATEFunction
                return dilate.apply(x, y, gamma, bands, engine, route)
            xe, ye = _native(engine, x), _native(engine, y)
            shape, temporal, *_ = engine.sqeuclidean_dilate(xe, ye, gamma, bands, False, route)
            return _as_output(shape, x), _as_output(temporal, x)
    v, A = alignment(cost, gamma, bands)
    if gamma is None and is_torch_tensor(A):
        A = A.detach()
    return v, _time_gaps(A, bands)

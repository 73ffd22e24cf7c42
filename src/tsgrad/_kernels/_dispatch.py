"""Backend-aware entry points of the kernel layer.

The public functions resolve their backend once and call these; this is the only place
where NumPy arrays and torch tensors take different routes (numba directly, or a torch
autograd Function that runs numba on CPU and the wavefront kernels on other devices).
"""

from __future__ import annotations

import numpy as np

from . import _numba_diag as nd
from . import _numba_dp as nb
from ._bands import Bands


def _is_torch(be) -> bool:
    return be.backend_string == "pytorch"


def sqeuclidean_cost(x, y):
    """Squared Euclidean cost ``(..., n, m)`` of ``x`` ``(..., n, d)`` and ``y`` ``(..., m, d)``.

    Works on NumPy arrays and torch tensors alike (differentiable for tensors).
    """
    diff = x[..., :, None, :] - y[..., None, :, :]
    return (diff * diff).sum(-1)


def _np64(D) -> np.ndarray:
    return np.ascontiguousarray(D, dtype=np.float64)


def soft_dtw_values(D, gamma: float, bands: Bands, be):
    """Soft-DTW values ``(B,)`` of ``D`` ``(B, n, m)``; differentiable for tensors."""
    if _is_torch(be):
        from ._autograd import soft_dtw_batch

        return soft_dtw_batch(D, gamma, bands)
    b = bands
    return nd.softdtw_values(_np64(D), gamma, b.lx, b.ly, b.lo, b.hi)


def soft_dtw_alignments(D, gamma: float, bands: Bands, be):
    """``(values (B,), E (B, n, m))``; ``E`` is differentiable (HVP) for tensors."""
    if _is_torch(be):
        from ._autograd import soft_dtw_alignment_batch

        return soft_dtw_alignment_batch(D, gamma, bands)
    b = bands
    Dn = _np64(D)
    S, val, DS = nd.softdtw_forward(Dn, gamma, b.lx, b.ly, b.lo, b.hi)
    E = nd.softdtw_backward(DS, S, gamma, b.lx, b.ly, *Dn.shape[1:])
    return val, E


def dtw_values(D, bands: Bands, be):
    """Hard-DTW accumulated costs ``(B,)`` of ``D`` ``(B, n, m)``; differentiable for tensors."""
    if _is_torch(be):
        from ._autograd import dtw_batch

        return dtw_batch(D, bands)
    b = bands
    return nb.dtw_forward(_np64(D), b.lx, b.ly, b.lo, b.hi)[1]


def dtw_paths_and_values(D, bands: Bands, be):
    """Optimal paths (lists of ``(i, j)``) and accumulated costs ``(B,)``.

    The values are differentiable for tensors; the paths are plain Python lists.
    """
    b = bands
    Dn = _np64(be.to_numpy(D) if _is_torch(be) else D)
    R, val = nb.dtw_forward(Dn, b.lx, b.ly, b.lo, b.hi)
    paths, length = nb.dtw_paths(R, b.lx, b.ly)
    lists = [[(int(i), int(j)) for i, j in paths[k, : length[k]]] for k in range(len(length))]
    if _is_torch(be):
        from ._autograd import dtw_batch

        val = dtw_batch(D, bands)
    return lists, val


def pairs_values(X, Y, lx, ly, ii, jj, *, gamma: float | None, kind: int, param: float):
    """Values of the pairs ``(X[ii[p]], Y[jj[p]])`` without storing cost matrices (NumPy).

    ``gamma=None`` gives hard-DTW accumulated costs, otherwise soft-DTW values.
    """
    X = _np64(X)
    Y = _np64(Y)
    lx = np.ascontiguousarray(lx, dtype=np.int64)
    ly = np.ascontiguousarray(ly, dtype=np.int64)
    ii = np.ascontiguousarray(ii, dtype=np.int64)
    jj = np.ascontiguousarray(jj, dtype=np.int64)
    if gamma is None:
        return nd.dtw_pairs_value(X, Y, lx, ly, ii, jj, kind, float(param))
    return nd.softdtw_pairs_value(X, Y, lx, ly, ii, jj, float(gamma), kind, float(param))


def dtw_pair_value(x, y, bands: Bands, kind: int, param: float, be):
    """Hard-DTW accumulated cost of one pair ``x`` ``(n, d)``, ``y`` ``(m, d)``.

    NumPy takes the two-row kernel (no cost matrix stored); tensors take the
    differentiable batch kernel.
    """
    if _is_torch(be):
        return dtw_values(sqeuclidean_cost(x, y)[None], bands, be)[0]
    n, m = x.shape[0], y.shape[0]
    return pairs_values(x[None], y[None], [n], [m], [0], [0], gamma=None, kind=kind, param=param)[0]


def soft_dtw_pair_value(x, y, gamma: float, bands: Bands, kind: int, param: float, be):
    """Soft-DTW value of one pair (cost computed inside the kernel for NumPy)."""
    if _is_torch(be):
        from ._autograd import fused_sqeuclidean, soft_dtw_sqeuclidean_batch

        if fused_sqeuclidean(x) and x.dtype == y.dtype:
            return soft_dtw_sqeuclidean_batch(x, y, gamma, bands)
        return soft_dtw_values(sqeuclidean_cost(x, y)[None], gamma, bands, be)[0]
    n, m = x.shape[0], y.shape[0]
    return pairs_values(x[None], y[None], [n], [m], [0], [0], gamma=gamma, kind=kind, param=param)[
        0
    ]

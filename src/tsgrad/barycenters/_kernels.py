"""The barycenters' only entry into the kernel layer (:mod:`tsgrad._kernels`).

Two functions, NumPy in and out, float64, no validation (the public functions validate):

* :func:`_softdtw_value_grad`: soft-DTW values of one candidate barycenter against a
  batch of series, and their gradients w.r.t. the barycenter, by the kernel router's
  ``value_and_grad`` on :class:`SqEuclidean` costs (on the numba engine the costs are
  built inside the fused kernel: no ``(B, n, m)`` cost tensor);
* :func:`_dtw_alignments`: hard-DTW accumulated costs and optimal paths of a batch of
  series against their barycenters (the fused path kernel: costs built inside).

Keeping the kernel calls here lets the kernel router be swapped in one place.
"""

from __future__ import annotations

import numpy as np

from .._kernels import SqEuclidean, make_bands, value_and_grad
from .._kernels._numba_dtw import dtw_sqeuclidean_paths


def _softdtw_value_grad(Z, X, gamma: float, lengths, kind: int = 0, param: float = 0.0):
    """Soft-DTW of ``Z`` against every series of ``X``, with the gradients w.r.t. ``Z``.

    Parameters
    ----------
    Z : ndarray, shape (n, d)
        Candidate barycenter (all ``n`` steps valid).
    X : ndarray, shape (B, m, d)
        Series, zero-padded after their lengths.
    gamma : float > 0
    lengths : ndarray of int64, shape (B,)
    kind, param : int, float
        Global constraint code and parameter of :func:`tsgrad._kernels.make_bands`.

    Returns
    -------
    values : ndarray, shape (B,)
        ``sdtw_gamma(Z, X[b])`` with the squared Euclidean cost.
    grads : ndarray, shape (B, n, d)
        ``d values[b] / d Z``.
    """
    B = X.shape[0]
    n = Z.shape[0]
    bands = make_bands(np.full(B, n), lengths, n, kind, param)
    Zb = np.ascontiguousarray(np.broadcast_to(Z, (B, *Z.shape)))
    val, (gz, _) = value_and_grad(SqEuclidean(Zb, X), float(gamma), bands)
    return val, gz


def _band_args(bands):
    return bands.lx, bands.ly, bands.lo, bands.hi, bands.feasible


def _dtw_alignments(Z, X, lengths, kind: int = 0, param: float = 0.0, series_first=False):
    """Hard-DTW accumulated costs and optimal paths of ``Z[b]`` against ``X[b]``.

    Parameters
    ----------
    Z : ndarray, shape (B, n, d)
        The barycenter each series is aligned with (all ``n`` steps valid).
    X : ndarray, shape (B, m, d)
        Series, zero-padded after their lengths.
    lengths : ndarray of int64, shape (B,)
    kind, param : int, float
        Global constraint code and parameter.
    series_first : bool (default: False)
        Align ``(X[b], Z[b])`` instead of ``(Z[b], X[b])``: the same optimum, but ties
        between equally good paths are broken from the other side (tslearn's Petitjean DBA
        aligns in this order).

    Returns
    -------
    costs : ndarray, shape (B,)
        Accumulated squared Euclidean cost of the optimal path (DTW squared); ``inf``
        where the constraint admits no path.
    steps_z, steps_x : ndarray of int64, shape (P,)
        The cells of every path, concatenated: ``Z[owner[p], steps_z[p]]`` is aligned with
        ``X[owner[p], steps_x[p]]``.
    owner : ndarray of int64, shape (P,)
        The problem each cell belongs to.
    """
    B, m, _ = X.shape
    n = Z.shape[1]
    Z = np.ascontiguousarray(Z)
    nz = np.full(B, n, dtype=np.int64)
    if series_first:
        bands = make_bands(lengths, nz, m, kind, param)
        costs, paths, plen = dtw_sqeuclidean_paths(X, Z, *_band_args(bands))
    else:
        bands = make_bands(nz, lengths, n, kind, param)
        costs, paths, plen = dtw_sqeuclidean_paths(Z, X, *_band_args(bands))
    cells = paths[np.arange(paths.shape[1])[None, :] < plen[:, None]]
    owner = np.repeat(np.arange(B), plen)
    if series_first:
        return costs, cells[:, 1], cells[:, 0], owner
    return costs, cells[:, 0], cells[:, 1], owner

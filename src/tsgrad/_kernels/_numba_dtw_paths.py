"""Hard-DTW optimal paths of series pairs with the squared Euclidean cost, fused (numba, CPU).

:func:`._numba_dp.dtw_forward` runs on a cost tensor ``(B, n, m)`` and returns the whole
accumulated-cost tensor: two arrays of ``B n m`` float64 written and read back once, which
dominate the time of DTW barycenter averaging (hundreds of paths per iteration).  Here each
problem builds its costs row by row inside the dynamic programme and keeps only its own
table, ``(lx + 1) x (ly + 1)`` float64, while it backtracks its path.

Conventions are those of :mod:`._numba_dp` (bands ``lo <= j < hi`` per row, the path's tie
rule diagonal, then up, then left), and the table is bit-for-bit the same: the row update
``R[i+1, j+1] = min(c + min(R[i, j], R[i, j+1]), c + R[i+1, j])`` equals
``c + min(R[i, j], R[i, j+1], R[i+1, j])`` in floating point, because adding ``c`` is
monotone.  Splitting it this way takes the two upper neighbours out of the left-to-right
dependency chain, so that part of the row vectorises.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._numba_dp import INF, _dtw_path_one, _sized


@njit(cache=True, nogil=True)
def _forward_sqeuclidean_one(x, y, lx, ly, lo, hi, R, cost, up):
    R[:, :] = INF
    R[0, 0] = 0.0
    d = x.shape[1]
    for i in range(lx):
        a, b = lo[i], hi[i]
        for j in range(a, b):
            c = 0.0
            for k in range(d):
                diff = x[i, k] - y[j, k]
                c += diff * diff
            cost[j] = c
            up[j] = c + min(R[i, j], R[i, j + 1])
        left = R[i + 1, a]
        for j in range(a, b):
            left = min(up[j], cost[j] + left)
            R[i + 1, j + 1] = left


@njit(cache=True, parallel=True)
def dtw_sqeuclidean_paths(X, Y, lx, ly, lo, hi):
    """Optimal paths of the pairs ``(X[b], Y[b])`` with the squared Euclidean cost.

    Parameters
    ----------
    X : ndarray, shape (B, n, d)
    Y : ndarray, shape (B, m, d)
    lx, ly : ndarray of int64, shape (B,)
    lo, hi : ndarray of int64, shape (B, n)
        Bands (see :func:`._bands.make_bands`).

    Returns
    -------
    values : ndarray, shape (B,)
        Accumulated cost of each optimal path (``inf`` without an admissible path).
    paths : ndarray of int64, shape (B, n + m - 1, 2)
        The cells ``(i, j)`` of each path from ``(0, 0)``, padded with -1.
    lengths : ndarray of int64, shape (B,)
        Number of cells of each path (0 without an admissible path).
    """
    B, n, _ = X.shape
    m = Y.shape[1]
    val = np.empty(B)
    paths = np.full((B, n + m - 1, 2), -1, dtype=np.int64)
    length = np.zeros(B, dtype=np.int64)
    for b in prange(B):
        R = np.empty((lx[b] + 1, ly[b] + 1))
        cost = np.empty(ly[b])
        up = np.empty(ly[b])
        _forward_sqeuclidean_one(X[b], Y[b], lx[b], ly[b], lo[b], hi[b], R, cost, up)
        val[b] = R[lx[b], ly[b]]
        if val[b] < INF:
            length[b] = _dtw_path_one(R, lx[b], ly[b], paths[b])
    return val, paths, length


def _series_work(X, Y, *args):
    return X.shape[0], X.shape[0] * X.shape[1] * Y.shape[1]


dtw_sqeuclidean_paths = _sized(dtw_sqeuclidean_paths, _series_work)

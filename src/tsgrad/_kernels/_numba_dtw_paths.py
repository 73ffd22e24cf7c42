"""Hard-DTW optimal paths of series pairs with the squared Euclidean cost, fused (numba, CPU).

:func:`._numba_dp.dtw_forward` runs on a cost tensor ``(B, n, m)`` and returns the whole
accumulated-cost tensor: two arrays of ``B n m`` float64 written and read back, which
dominate the time of DTW barycenter averaging (hundreds of paths per iteration).  Here each
problem makes its costs inside the dynamic programme, keeps three rolling anti-diagonals of
accumulated costs (as :func:`._numba_diag.dtw_pairs_value`), and stores one byte per cell:
the predecessor its optimal path comes from.  The cells of an anti-diagonal depend only on
the two previous ones, so each diagonal is one loop without dependencies, which LLVM
vectorises; the path is then read back from the bytes.

Conventions are those of :mod:`._numba_dp` (bands ``lo <= j < hi`` per row; the path's tie
rule diagonal, then up, then left): the values are ``c + min(diag, up, left)`` as there, and
each byte is the choice the backtracking of :func:`._numba_dp.dtw_paths` makes from the same
three values.  So the results are those of ``dtw_forward`` + ``dtw_paths`` on the cost tensor,
bit for bit for univariate series; with ``d > 1`` the costs are summed with fused
multiply-adds, which may change their last bit (and so a path only where two paths tie to
that bit).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._diag_layout import _PAR, INF, _cells, _diag_sqeuclidean, _transposed
from ._fastmath import JIT
from ._numba_dp import _sized

_DIAG, _UP, _LEFT = 0, 1, 2


@njit(**JIT)
def _forward_one(xT, yrT, lx, ly, lo, hi, bufs, cost, steps, start):
    """Accumulated cost of one problem; ``steps`` gets the byte of every cell, diagonal
    ``t`` (table coordinates, cells ``(i, t - i)`` with ``i >= i0``) from ``start[t]``.

    ``bufs`` ``(3, n + 2)`` holds diagonals ``t``, ``t - 1``, ``t - 2`` indexed by the table
    row ``i`` (cell ``(i - 1, j - 1)`` of the problem); ``cost`` ``(n + 1,)`` is scratch.
    """
    bufs[0, 0] = 0.0
    pos = 0
    for t in range(1, lx + ly + 1):
        cur = bufs[t % 3]
        if t <= ly:
            cur[0] = INF  # (0, t)
        if t <= lx:
            cur[t] = INF  # (t, 0)
        if t < 2:
            continue
        p1 = bufs[(t - 1) % 3]
        p2 = bufs[(t - 2) % 3]
        i0, K = _cells(t, lx, ly)
        c = cost[:K]
        _diag_sqeuclidean(xT, yrT, t, i0, K, c)
        cu = cur[i0 : i0 + K]
        up = p1[i0 - 1 : i0 + K]
        dg = p2[i0 - 1 : i0 - 1 + K]
        blo = lo[i0 - 1 : i0 - 1 + K]
        bhi = hi[i0 - 1 : i0 - 1 + K]
        st = steps[pos : pos + K]
        start[t] = pos
        j0 = t - i0 - 1
        for k in range(K):
            a = dg[k]  # (i - 1, j - 1)
            b = up[k]  # (i - 1, j)
            e = up[k + 1]  # (i, j - 1)
            first = a <= b
            m1 = a if first else b
            pick = _DIAG if first else _UP
            st[k] = pick if m1 <= e else _LEFT
            mn = m1 if m1 <= e else e
            j = j0 - k
            cu[k] = c[k] + mn if (j >= blo[k]) & (j < bhi[k]) else INF
        pos += K
    return bufs[(lx + ly) % 3, lx]


@njit(**JIT)
def _backtrack(steps, start, lx, ly, path):
    """The optimal path from the bytes into ``path`` (from ``(0, 0)``); returns its length."""
    back = np.empty((lx + ly - 1, 2), dtype=np.int64)  # from the last cell to (0, 0)
    i = lx - 1
    j = ly - 1
    back[0, 0] = i
    back[0, 1] = j
    k = 1
    while i > 0 or j > 0:
        if i == 0:
            j -= 1
        elif j == 0:
            i -= 1
        else:
            t = i + j + 2  # the cell's table diagonal; its table row is i + 1
            s = steps[start[t] + i + 1 - max(1, t - ly)]
            if s == _DIAG:
                i -= 1
                j -= 1
            elif s == _UP:
                i -= 1
            else:
                j -= 1
        back[k, 0] = i
        back[k, 1] = j
        k += 1
    for q in range(k):
        path[q, 0] = back[k - 1 - q, 0]
        path[q, 1] = back[k - 1 - q, 1]
    return k


@njit(**_PAR)
def dtw_sqeuclidean_paths(X, Y, lx, ly, lo, hi):
    """Optimal paths of the pairs ``(X[b], Y[b])`` with the squared Euclidean cost.

    Parameters
    ----------
    X : ndarray, shape (B, n, d)
    Y : ndarray, shape (B, m, d)
        Zero (or anything finite) after each series' length.
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
    XT, YrT = _transposed(X, Y)
    val = np.empty(B)
    paths = np.full((B, n + m - 1, 2), -1, dtype=np.int64)
    length = np.zeros(B, dtype=np.int64)
    for b in prange(B):
        bufs = np.empty((3, n + 2))
        cost = np.empty(n + 1)
        steps = np.empty(lx[b] * ly[b], dtype=np.uint8)
        start = np.zeros(lx[b] + ly[b] + 1, dtype=np.int64)
        val[b] = _forward_one(XT[b], YrT[b], lx[b], ly[b], lo[b], hi[b], bufs, cost, steps, start)
        if val[b] < INF:
            length[b] = _backtrack(steps, start, lx[b], ly[b], paths[b])
    return val, paths, length


def _series_work(X, Y, *args):
    return X.shape[0], X.shape[0] * X.shape[1] * Y.shape[1]


dtw_sqeuclidean_paths = _sized(dtw_sqeuclidean_paths, _series_work)

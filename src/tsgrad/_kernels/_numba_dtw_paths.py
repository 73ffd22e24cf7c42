"""Hard-DTW optimal paths of series pairs with the squared Euclidean cost, fused (numba, CPU).

:func:`._numba_dtw.dtw_forward` runs on a cost tensor ``(B, n, m)`` and returns the whole
accumulated-cost tensor: two arrays of ``B n m`` float64 written and read back, which
dominate the time of DTW barycenter averaging (hundreds of paths per iteration).  Here each
problem makes its costs inside the dynamic programme and keeps three rolling anti-diagonals
of accumulated costs, as :func:`._numba_dtw.dtw_sqeuclidean_values` does (visiting only the
band's cells, :func:`._diag_layout.diag_cells`), plus one byte per admissible cell: the
predecessor its optimal path comes from.  Each diagonal is one loop without dependencies,
which LLVM vectorises; the path is then read back from the bytes.

Conventions are those of :mod:`._numba_dtw` (bands ``lo <= j < hi`` per row; the path's
tie rule diagonal, then up, then left): the values are ``c + min(diag, up, left)`` as there,
and each byte is the choice the backtracking of :func:`._numba_dtw.dtw_paths` makes from the
same three values.  So the results are those of ``dtw_forward`` + ``dtw_paths`` on the cost
tensor, bit for bit for univariate series; with ``d > 1`` the costs are summed with fused
multiply-adds, which may change their last bit (and so a path only where two paths tie to
that bit).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._diag_layout import _PAR, _diag_sqeuclidean, _transposed, diag_cells
from ._fastmath import JIT
from ._numba_threads import series_work, sized

INF = np.inf
_DIAG, _UP, _LEFT = 0, 1, 2


@njit(**JIT)
def _forward_one(xT, yrT, lx, ly, cells, bufs, cost, steps, start):
    """Accumulated cost of one problem; ``steps`` gets the byte of every admissible cell,
    those of diagonal ``t`` (table rows ``cells[t, 0] <= i < cells[t, 0] + cells[t, 1]``)
    from ``start[t]`` on.

    ``bufs`` ``(3, n + 2)`` holds diagonals ``t``, ``t - 1``, ``t - 2`` indexed by the table
    row ``i`` (cell ``(i - 1, j - 1)`` of the problem), with ``+inf`` sentinels just before
    and after the admissible cells; ``cost`` ``(n + 1,)`` is scratch.
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
        i0, K = cells[t, 0], cells[t, 1]
        cur[i0 - 1] = INF
        cur[i0 + K] = INF
        start[t] = pos
        c = cost[:K]
        _diag_sqeuclidean(xT, yrT, t, i0, K, c)
        cu = cur[i0 : i0 + K]
        up = p1[i0 - 1 : i0 + K]
        dg = p2[i0 - 1 : i0 - 1 + K]
        st = steps[pos : pos + K]
        for k in range(K):
            a = dg[k]  # (i - 1, j - 1)
            b = up[k]  # (i - 1, j)
            e = up[k + 1]  # (i, j - 1)
            first = a <= b
            m1 = a if first else b
            pick = _DIAG if first else _UP
            st[k] = pick if m1 <= e else _LEFT
            cu[k] = c[k] + (m1 if m1 <= e else e)
        pos += K
    return bufs[(lx + ly) % 3, lx]


@njit(**JIT)
def _backtrack(steps, start, cells, lx, ly, path):
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
            s = steps[start[t] + i + 1 - cells[t, 0]]
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
def dtw_sqeuclidean_paths(X, Y, lx, ly, lo, hi, feasible):
    """Optimal paths of the pairs ``(X[b], Y[b])`` with the squared Euclidean cost.

    Parameters
    ----------
    X : ndarray, shape (B, n, d)
    Y : ndarray, shape (B, m, d)
        Anything finite after each series' length.
    lx, ly : ndarray of int64, shape (B,)
    lo, hi, feasible : ndarray of int64, shape (B, n), and of bool, shape (B,)
        Bands and feasibility (:class:`._bands.Bands`).

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
    val = np.full(B, INF)
    paths = np.full((B, n + m - 1, 2), -1, dtype=np.int64)
    length = np.zeros(B, dtype=np.int64)
    for b in prange(B):
        if not feasible[b]:
            continue
        cells = diag_cells(lo[b], hi[b], lx[b], ly[b])
        bufs = np.empty((3, n + 2))
        cost = np.empty(n + 1)
        steps = np.empty(cells[:, 1].sum(), dtype=np.uint8)
        start = np.zeros(lx[b] + ly[b] + 1, dtype=np.int64)
        val[b] = _forward_one(XT[b], YrT[b], lx[b], ly[b], cells, bufs, cost, steps, start)
        length[b] = _backtrack(steps, start, cells, lx[b], ly[b], paths[b])
    return val, paths, length


# Thread count by work size (see :mod:`._numba_threads`).
dtw_sqeuclidean_paths = sized(dtw_sqeuclidean_paths, series_work)

"""Hard DTW over cost matrices and over series (numba, CPU).

Conventions (shared by every kernel of this package)
-----------------------------------------------------
* ``D`` is a batch of cost matrices, shape ``(B, n, m)``; ``n`` and ``m`` are the padded
  lengths.  Element ``b`` only uses rows ``i < lx[b]`` and columns ``j < ly[b]``.
* The admissible cells of row ``i`` of element ``b`` are the columns
  ``lo[b, i] <= j < hi[b, i]`` (:mod:`._numba_bands`); every band contains ``(0, 0)`` and
  ``(lx-1, ly-1)`` or the element has no admissible path (its value is ``inf``).
* ``R`` is the accumulated-cost table, shape ``(B, n + 1, m + 1)``, float64 whatever the
  input dtype.  ``R[b, i + 1, j + 1]`` belongs to cell ``(i, j)``; cells outside the band
  hold ``+inf``.  The DTW value is ``R[b, lx, ly]``; its gradient w.r.t. ``D`` is the 0/1
  matrix of the optimal path.
* The batch is the parallel dimension (``prange``); each DP is sequential inside.

The matrix kernels sweep rows and visit only the band of each row.  The series kernels
(squared Euclidean cost made on the fly, no matrix stored) sweep anti-diagonals with three
diagonals of memory, and visit only the band's interval of each diagonal.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._diag_layout import _PAR, _diag_sqeuclidean, _transposed, diag_cells
from ._fastmath import JIT
from ._numba_accumulate import backtrack
from ._numba_bands import pair_band
from ._numba_threads import batch_work, pairs_work, series_work, sized, table_work

INF = np.inf


# --------------------------------------------------------------------------------------
@njit(cache=True, nogil=True)
def _dtw_forward_one(D, lx, lo, hi, R):
    R[:, :] = INF
    R[0, 0] = 0.0
    for i in range(lx):
        for j in range(lo[i], hi[i]):
            best = R[i, j]
            if R[i, j + 1] < best:
                best = R[i, j + 1]
            if R[i + 1, j] < best:
                best = R[i + 1, j]
            R[i + 1, j + 1] = D[i, j] + best


@njit(cache=True, parallel=True)
def dtw_forward(D, lx, ly, lo, hi):
    """Accumulated cost table ``R`` ``(B, n + 1, m + 1)`` and values ``(B,)`` of hard DTW."""
    B, n, m = D.shape
    R = np.empty((B, n + 1, m + 1))
    val = np.empty(B)
    for b in prange(B):
        _dtw_forward_one(D[b], lx[b], lo[b], hi[b], R[b])
        val[b] = R[b, lx[b], ly[b]]
    return R, val


@njit(cache=True, parallel=True)
def dtw_path_matrix(R, lx, ly):
    """Hard alignment matrices ``A`` ``(B, n, m)``: 1 on the optimal path (= dV/dD)."""
    B = R.shape[0]
    n = R.shape[1] - 1
    m = R.shape[2] - 1
    A = np.zeros((B, n, m))
    for b in prange(B):
        if R[b, lx[b], ly[b]] < INF:
            path = backtrack(R[b, 1:, 1:], lx[b] - 1, ly[b] - 1, False)
            for t in range(path.shape[0]):
                A[b, path[t, 0], path[t, 1]] = 1.0
    return A


@njit(inline="always", **JIT)
def _diagonal(xT, yrT, lx, ly, cells, bufs, cost, t):
    """Set up anti-diagonal ``t >= 2`` of a rolling three-diagonal sweep: its borders, the
    ``+inf`` sentinels around its admissible cells, their costs; returns ``(K, c, cu, up,
    dg)``: the number of cells, their costs, and the views of the diagonal and of its
    predecessors (``up[k]``: ``(i - 1, j)``, ``up[k + 1]``: ``(i, j - 1)``, ``dg[k]``:
    ``(i - 1, j - 1)`` for ``i = cells[t, 0] + k``)."""
    cur = bufs[t % 3]
    if t <= ly:
        cur[0] = INF  # (0, t)
    if t <= lx:
        cur[t] = INF  # (t, 0)
    i0, K = cells[t, 0], cells[t, 1]
    cur[i0 - 1] = INF
    cur[i0 + K] = INF
    c = cost[:K]
    _diag_sqeuclidean(xT, yrT, t, i0, K, c)
    up = bufs[(t - 1) % 3][i0 - 1 : i0 + K]
    dg = bufs[(t - 2) % 3][i0 - 1 : i0 - 1 + K]
    return K, c, cur[i0 : i0 + K], up, dg


@njit(inline="always", **JIT)
def _start_sweep(bufs):
    """Diagonals 0 and 1 of a sweep: ``(0, 0) = 0``, the borders ``(0, 1)``, ``(1, 0)``."""
    bufs[0, 0] = 0.0
    bufs[1, 0] = INF
    bufs[1, 1] = INF


@njit(**JIT)
def _dtw_value_diag(xT, yrT, lx, ly, cells, bufs, cost):
    """DTW accumulated cost of ``x`` (given as ``xT`` ``(d, n)``) and ``y`` (given reversed
    and transposed, ``yrT[:, q] = y[m - 1 - q]``): along a diagonal both are contiguous.

    Only the admissible cells of each diagonal are visited (``cells``, see
    :func:`._diag_layout.diag_cells`), with ``+inf`` sentinels just before and after them.
    ``bufs`` ``(3, n + 2)`` holds diagonals ``t``, ``t - 1``, ``t - 2`` indexed by ``i``;
    ``cost`` ``(n + 1,)`` is scratch.
    """
    _start_sweep(bufs)
    for t in range(2, lx + ly + 1):
        K, c, cu, up, dg = _diagonal(xT, yrT, lx, ly, cells, bufs, cost, t)
        for k in range(K):
            a = dg[k]
            b = up[k]
            e = up[k + 1]
            mn = a if a < b else b
            mn = mn if mn < e else e
            cu[k] = c[k] + mn
    return bufs[(lx + ly) % 3, lx]


# The path route records, for every admissible cell, the predecessor its optimal path comes
# from (one byte); the tie rule is dtw_path_matrix's: diagonal, then up, then left.
_DIAG, _UP, _LEFT = 0, 1, 2


@njit(**JIT)
def _dtw_steps_diag(xT, yrT, lx, ly, cells, bufs, cost, steps, start):
    """:func:`_dtw_value_diag`, and ``steps`` gets the byte of every admissible cell, those
    of diagonal ``t`` from ``start[t]`` on."""
    _start_sweep(bufs)
    pos = 0
    for t in range(2, lx + ly + 1):
        K, c, cu, up, dg = _diagonal(xT, yrT, lx, ly, cells, bufs, cost, t)
        start[t] = pos
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
def dtw_pairs_value(X, Y, lx, ly, ii, jj, kind, param):
    """Hard DTW values (accumulated squared cost) of the pairs ``(X[ii[p]], Y[jj[p]])``.

    No cost matrix is stored (three diagonals per pair); infeasible constraints give
    ``inf``.
    """
    P = ii.shape[0]
    n = X.shape[1]
    XT, YrT = _transposed(X, Y)
    out = np.empty(P)
    for p in prange(P):
        a = ii[p]
        c = jj[p]
        lo, hi, ok = pair_band(kind, param, lx[a], ly[c], n)
        if not ok:
            out[p] = INF
            continue
        bufs = np.empty((3, n + 2))
        cost = np.empty(n + 1)
        cells = diag_cells(lo, hi, lx[a], ly[c])
        out[p] = _dtw_value_diag(XT[a], YrT[c], lx[a], ly[c], cells, bufs, cost)
    return out


@njit(**_PAR)
def dtw_sqeuclidean_values(X, Y, lx, ly, lo, hi):
    """Hard DTW values (accumulated squared cost) ``(B,)`` of ``X`` ``(B, n, d)`` and ``Y``
    ``(B, m, d)``, no cost matrix stored; ``inf`` where the band admits no path."""
    B, n, _ = X.shape
    XT, YrT = _transposed(X, Y)
    out = np.empty(B)
    for b in prange(B):
        bufs = np.empty((3, n + 2))
        cost = np.empty(n + 1)
        cells = diag_cells(lo[b], hi[b], lx[b], ly[b])
        out[b] = _dtw_value_diag(XT[b], YrT[b], lx[b], ly[b], cells, bufs, cost)
    return out


@njit(**_PAR)
def dtw_sqeuclidean_paths(X, Y, lx, ly, lo, hi, feasible):
    """Optimal paths of the pairs ``(X[b], Y[b])`` with the squared Euclidean cost, the
    costs made inside the sweep (three diagonals of memory and one byte per admissible cell;
    no ``(B, n, m)`` table): the paths of :func:`dtw_forward` + :func:`dtw_path_matrix` on the
    cost tensor (bit for bit for univariate series; with ``d > 1`` fused multiply-adds may
    change a cost's last bit, so a path only where two tie to that bit).

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
        val[b] = _dtw_steps_diag(XT[b], YrT[b], lx[b], ly[b], cells, bufs, cost, steps, start)
        length[b] = _backtrack(steps, start, cells, lx[b], ly[b], paths[b])
    return val, paths, length


# Thread count by work size (see :mod:`._numba_threads`).
dtw_forward = sized(dtw_forward, batch_work)
dtw_path_matrix = sized(dtw_path_matrix, table_work)
dtw_pairs_value = sized(dtw_pairs_value, pairs_work)
dtw_sqeuclidean_values = sized(dtw_sqeuclidean_values, series_work)
dtw_sqeuclidean_paths = sized(dtw_sqeuclidean_paths, series_work)

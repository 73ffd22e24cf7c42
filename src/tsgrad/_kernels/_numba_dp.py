"""Bands and the hard-DTW dynamic programmes over cost matrices (numba, CPU).

The soft-DTW programmes (forward, expected alignment, Hessian-vector product) live in
:mod:`._numba_diag`, on an anti-diagonal layout; the band and thread-sizing helpers below
are shared with them.  Every public DTW / soft-DTW function of tsgrad, the training losses
(batched soft-DTW, divergence, DILATE, TDI) and the evaluation metrics are built on these
two modules.

Conventions
-----------
* ``D`` is a batch of cost matrices, shape ``(B, n, m)``; ``n`` and ``m`` are the padded
  lengths.  Element ``b`` only uses rows ``i < lx[b]``.
* The admissible cells of row ``i`` of element ``b`` are the columns
  ``lo[b, i] <= j < hi[b, i]`` (a global constraint, or the full row ``[0, ly[b])``).  Bands
  are filled by :func:`fill_bands`; every band contains ``(0, 0)`` and ``(lx-1, ly-1)`` or
  the element has no admissible path (its value is ``inf``).
* ``R`` is the accumulated-cost table, shape ``(B, n + 1, m + 1)``, float64 whatever the
  input dtype.  ``R[b, i + 1, j + 1]`` belongs to cell ``(i, j)``; cells outside the band
  hold ``+inf``.  The DTW value is ``R[b, lx, ly]``; its gradient w.r.t. ``D`` is the 0/1
  matrix of the optimal path.
* The batch is the parallel dimension (``prange``); each DP is sequential inside.
"""

from __future__ import annotations

import functools
import math

import numba
import numpy as np
from numba import njit, prange

INF = np.inf

# Global constraint codes shared with the Python layer.
NO_CONSTRAINT = 0
SAKOE_CHIBA = 1
ITAKURA = 2


# --------------------------------------------------------------------------------------
# Bands (global constraints)
# --------------------------------------------------------------------------------------
@njit(cache=True, nogil=True)
def _round2(x):
    # numpy.round(x, 2): round half to even on x * 100.
    return np.rint(x * 100.0) / 100.0


@njit(cache=True, nogil=True)
def _fill_band_one(kind, param, sz1, sz2, lo, hi):
    """Row intervals ``[lo[i], hi[i])`` of the admissible cells of one ``(sz1, sz2)`` pair.

    Returns True when every row and every column has at least one admissible cell.
    """
    if kind == SAKOE_CHIBA:
        r = int(param)
        if sz1 <= sz2:
            width = sz2 - sz1 + r
            for i in range(sz1):
                lo[i] = max(0, i - r)
                hi[i] = min(sz2, i + width + 1)
        else:
            width = sz1 - sz2 + r
            for i in range(sz1):
                lo[i] = max(0, i - width)
                hi[i] = min(sz2, i + r + 1)
    elif kind == ITAKURA:
        # Itakura parallelogram, column by column, then turned into row intervals.
        ratio = sz1 / sz2
        max_s = param * ratio
        min_s = ratio / param
        for i in range(sz1):
            lo[i] = sz2
            hi[i] = 0
        for j in range(sz2):
            low = max(_round2(min_s * j), _round2((sz1 - 1) - max_s * (sz2 - 1) + max_s * j))
            up = min(_round2(max_s * j), _round2((sz1 - 1) - min_s * (sz2 - 1) + min_s * j))
            i0 = max(int(math.ceil(low)), 0)
            i1 = min(int(math.floor(up + 1.0)), sz1)
            for i in range(i0, i1):
                if j < lo[i]:
                    lo[i] = j
                if j + 1 > hi[i]:
                    hi[i] = j + 1
        for i in range(sz1):
            if hi[i] <= lo[i]:
                lo[i] = 0
                hi[i] = 0
    else:
        for i in range(sz1):
            lo[i] = 0
            hi[i] = sz2
    # Feasibility: rows non-empty, and columns covered (bands are monotone, so checking
    # that consecutive rows overlap or touch is enough).
    if sz1 == 0 or sz2 == 0:
        return False
    if lo[0] != 0 or hi[sz1 - 1] != sz2:
        return False
    for i in range(sz1):
        if hi[i] <= lo[i]:
            return False
        if i > 0 and lo[i] > hi[i - 1]:
            return False
    return True


@njit(cache=True, parallel=True)
def fill_bands(kind, param, lx, ly, n):
    """Bands for a batch: returns ``lo, hi`` of shape ``(B, n)`` and a feasibility flag."""
    B = lx.shape[0]
    lo = np.zeros((B, n), dtype=np.int64)
    hi = np.zeros((B, n), dtype=np.int64)
    ok = np.zeros(B, dtype=np.bool_)
    for b in prange(B):
        ok[b] = _fill_band_one(kind, param, lx[b], ly[b], lo[b], hi[b])
    return lo, hi, ok


# --------------------------------------------------------------------------------------
# Hard DTW
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


@njit(cache=True, nogil=True)
def _dtw_path_one(R, lx, ly, path):
    """Backtrack the optimal path into ``path`` ``(lx + ly - 1, 2)``; returns its length.

    Ties prefer the diagonal, then the cell above, then the cell to the left.
    """
    i = lx - 1
    j = ly - 1
    k = 0
    path[k, 0] = i
    path[k, 1] = j
    while i > 0 or j > 0:
        if i == 0:
            j -= 1
        elif j == 0:
            i -= 1
        else:
            diag = R[i, j]
            up = R[i, j + 1]
            left = R[i + 1, j]
            if diag <= up and diag <= left:
                i -= 1
                j -= 1
            elif up <= left:
                i -= 1
            else:
                j -= 1
        k += 1
        path[k, 0] = i
        path[k, 1] = j
    # reverse in place
    for a in range((k + 1) // 2):
        t0 = path[a, 0]
        t1 = path[a, 1]
        path[a, 0] = path[k - a, 0]
        path[a, 1] = path[k - a, 1]
        path[k - a, 0] = t0
        path[k - a, 1] = t1
    return k + 1


@njit(cache=True, parallel=True)
def dtw_paths(R, lx, ly):
    """Optimal paths of a batch: ``paths`` ``(B, n + m - 1, 2)`` and their lengths ``(B,)``."""
    B = R.shape[0]
    n = R.shape[1] - 1
    m = R.shape[2] - 1
    paths = np.full((B, n + m - 1, 2), -1, dtype=np.int64)
    length = np.zeros(B, dtype=np.int64)
    for b in prange(B):
        if R[b, lx[b], ly[b]] < INF:
            length[b] = _dtw_path_one(R[b], lx[b], ly[b], paths[b])
    return paths, length


@njit(cache=True, parallel=True)
def dtw_path_matrix(R, lx, ly):
    """Hard alignment matrices ``A`` ``(B, n, m)``: 1 on the optimal path (= dV/dD)."""
    B = R.shape[0]
    n = R.shape[1] - 1
    m = R.shape[2] - 1
    A = np.zeros((B, n, m))
    for b in prange(B):
        if R[b, lx[b], ly[b]] < INF:
            path = np.empty((lx[b] + ly[b] - 1, 2), dtype=np.int64)
            k = _dtw_path_one(R[b], lx[b], ly[b], path)
            for t in range(k):
                A[b, path[t, 0], path[t, 1]] = 1.0
    return A


# --------------------------------------------------------------------------------------
# Thread count by work size
# --------------------------------------------------------------------------------------
# A parallel region costs a thread-pool wake-up per call.  With one problem, or little
# work, that costs more than it gains, and when another process holds a core the waiting
# worker makes the call several times slower (measured on 2 cores under load: fill_bands
# of one 1000 x 1000 pair took 1.3 ms on 2 threads and 0.01 ms on 1; its DTW 12.5 ms vs
# 6.4 ms).  The wrappers below run a kernel on ``min(threads, problems)`` threads, and on
# one thread below ``_MIN_PARALLEL_CELLS`` cells in all.
_MIN_PARALLEL_CELLS = 1 << 15


def _sized(kernel, work):
    @functools.wraps(kernel)
    def call(*args):
        problems, cells = work(*args)
        current = numba.get_num_threads()
        wanted = 1 if cells < _MIN_PARALLEL_CELLS else max(1, min(current, problems))
        if wanted >= current:
            return kernel(*args)
        numba.set_num_threads(wanted)
        try:
            return kernel(*args)
        finally:
            numba.set_num_threads(current)

    call.kernel = kernel
    return call


def _batch_work(D, *args):
    return D.shape[0], D.size


def _table_work(R, *args):  # R: (B, n + 1, m + 1)
    return R.shape[0], R.size


def _pairs_work(X, Y, lx, ly, ii, *args):
    return ii.shape[0], ii.shape[0] * X.shape[1] * Y.shape[1]


def _bands_work(kind, param, lx, ly, n):
    return lx.shape[0], lx.shape[0] * n * 64  # filling a row is cheap: count it as 64 cells


fill_bands = _sized(fill_bands, _bands_work)
dtw_forward = _sized(dtw_forward, _batch_work)
dtw_paths = _sized(dtw_paths, _table_work)
dtw_path_matrix = _sized(dtw_path_matrix, _table_work)

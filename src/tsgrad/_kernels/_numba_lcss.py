"""Longest Common SubSequence of two series under a matching threshold (numba, CPU).

LCSS (Vlachos, Kollios & Gunopulos, ICDE 2002): elements ``x_i`` and ``y_j`` *match* when
their distance is at most ``eps`` and the cell ``(i, j)`` is admissible (the paper's
matching window ``|i - j| <= delta``, here any global constraint's band).  ``L[i, j]``, the
length of the longest common subsequence of the prefixes, is

``L[i, j] = L[i-1, j-1] + 1`` if ``(i, j)`` matches, else ``max(L[i-1, j], L[i, j-1])``,

with ``L = 0`` before the first row and column.  A cell outside the band cannot match but
still carries the best count of its prefixes.

:func:`lcss_length` computes the length alone on three rolling anti-diagonals (the cells
of a diagonal are independent: the loop vectorises), distances made on the fly;
:func:`lcss_table` keeps the whole table for :func:`lcss_backtrack`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._diag_layout import _diag_sqeuclidean, _transposed
from ._fastmath import JIT
from ._numba_gak import full_cells


@njit(**JIT)
def lcss_length(x, y, eps, lo, hi):
    """Length of the longest common subsequence of ``x`` ``(n, d)`` and ``y`` ``(m, d)``."""
    n = x.shape[0]
    m = y.shape[0]
    XT, YrT = _transposed(x.reshape((1, n, -1)), y.reshape((1, m, -1)))
    xT = XT[0]
    yrT = YrT[0]
    bufs = np.zeros((3, n + 2))
    cost = np.empty(n + 1)
    for t in range(2, n + m + 1):
        cur = bufs[t % 3]
        cur[0] = 0.0  # (0, t)
        if t <= n:
            cur[t] = 0.0  # (t, 0)
        p1 = bufs[(t - 1) % 3]
        p2 = bufs[(t - 2) % 3]
        i0, K = full_cells(t, n, m)
        c = cost[:K]
        _diag_sqeuclidean(xT, yrT, t, i0, K, c)
        cu = cur[i0 : i0 + K]
        up = p1[i0 - 1 : i0 + K]
        dg = p2[i0 - 1 : i0 - 1 + K]
        blo = lo[i0 - 1 : i0 - 1 + K]
        bhi = hi[i0 - 1 : i0 - 1 + K]
        j0 = t - i0 - 1
        for k in range(K):
            j = j0 - k
            match = (np.sqrt(c[k]) <= eps) & (j >= blo[k]) & (j < bhi[k])
            a = up[k]
            b = up[k + 1]
            cu[k] = dg[k] + 1.0 if match else (a if a > b else b)
    return int(bufs[(n + m) % 3, n])


@njit(cache=True, nogil=True)
def lcss_table(dist, eps, lo, hi):
    """``(L, valid)``: ``L`` ``(n + 1, m + 1)`` (int32) from the distances ``(n, m)`` and the
    band rows, and whether every distance is ``> -inf`` (no NaN, no ``-inf``): the check of
    a precomputed matrix, made in the same pass (the table's time is reading ``dist``)."""
    n, m = dist.shape
    L = np.zeros((n + 1, m + 1), dtype=np.int32)
    valid = True
    for i in range(n):
        prev = L[i]
        row = L[i + 1]
        d = dist[i]
        a = lo[i]
        b = hi[i]
        for j in range(m):
            up = prev[j + 1]
            left = row[j]
            valid &= d[j] > -np.inf
            match = (d[j] <= eps) & (j >= a) & (j < b)
            row[j + 1] = prev[j] + 1 if match else (up if up > left else left)
    return L, valid


@njit(cache=True, nogil=True)
def lcss_backtrack(dist, eps, lo, hi, L):
    """The matched pairs ``(k, 2)`` of one longest common subsequence, in order.

    From the last cell: a matching cell is taken, else the move goes up when that keeps a
    strictly longer subsequence, left otherwise (tslearn's order, so that the pairs agree).
    """
    n, m = dist.shape
    out = np.empty((min(n, m), 2), dtype=np.int64)
    k = 0
    i = n
    j = m
    while i > 0 and j > 0:
        if lo[i - 1] <= j - 1 < hi[i - 1] and dist[i - 1, j - 1] <= eps:
            out[k, 0] = i - 1
            out[k, 1] = j - 1
            k += 1
            i -= 1
            j -= 1
        elif L[i - 1, j] > L[i, j - 1]:
            i -= 1
        else:
            j -= 1
    return out[k - 1 :: -1].copy() if k > 0 else out[:0].copy()

"""Longest Common SubSequence of two series under a matching threshold (numba, CPU).

LCSS (Vlachos, Kollios & Gunopulos, ICDE 2002): elements ``x_i`` and ``y_j`` *match* when
their distance is at most ``eps`` and the cell ``(i, j)`` is admissible (the paper's
matching window ``|i - j| <= delta``, here any global constraint's band).  ``L[i, j]``, the
length of the longest common subsequence of the prefixes, is

``L[i, j] = L[i-1, j-1] + 1`` if ``(i, j)`` matches, else ``max(L[i-1, j], L[i, j-1])``,

with ``L = 0`` before the first row and column.  A cell outside the band cannot match but
still carries the best count of its prefixes.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def lcss_table(dist, eps, lo, hi):
    """``L`` ``(n + 1, m + 1)`` (int64) from the distances ``(n, m)`` and the band rows."""
    n, m = dist.shape
    L = np.zeros((n + 1, m + 1), dtype=np.int64)
    for i in range(n):
        for j in range(m):
            if lo[i] <= j < hi[i] and dist[i, j] <= eps:
                L[i + 1, j + 1] = L[i, j] + 1
            else:
                up = L[i, j + 1]
                left = L[i + 1, j]
                L[i + 1, j + 1] = up if up > left else left
    return L


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

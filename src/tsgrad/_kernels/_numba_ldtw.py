"""DTW with a limited warping-path length (numba, CPU).

LDTW (Zhang, Tang, Huang & Bao, "Dynamic Time Warping under limited warping path
length", Information Sciences 2017) is DTW over the paths of at most ``max_length`` cells.
The state adds the number of steps ``s`` taken so far (a path to ``(i, j)`` after ``s``
steps has ``s + 1`` cells, and ``max(i, j) <= s <= i + j``):

``C[i, j, s] = D[i, j] + min(C[i-1, j-1, s-1], C[i-1, j, s-1], C[i, j-1, s-1])``,

and a state is only kept while the rest of the path still fits: ``s + max(n-1-i,
m-1-j) <= max_length - 1``.  ``s`` is stored relative to its smallest value ``max(i, j)``,
so the table is ``(n, m, min(n, m))``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

INF = np.inf


@njit(cache=True, nogil=True)
def _get(C, i, j, s):
    """``C[i, j, s]``, ``+inf`` outside the stored range of ``s``."""
    r = s - max(i, j)
    if r < 0 or r >= C.shape[2]:
        return INF
    return C[i, j, r]


@njit(cache=True, nogil=True)
def ldtw_table(D, max_length):
    """``C`` ``(n, m, min(n, m))``: costs of the paths to ``(i, j)`` by number of steps."""
    n, m = D.shape
    W = min(n, m)
    C = np.full((n, m, W), INF)
    C[0, 0, 0] = D[0, 0]
    for i in range(1, n):
        C[i, 0, 0] = C[i - 1, 0, 0] + D[i, 0]
    for j in range(1, m):
        C[0, j, 0] = C[0, j - 1, 0] + D[0, j]
    last = max_length - 1
    for i in range(1, n):
        for j in range(1, m):
            s_lo = max(i, j)
            s_hi = min(i + j, last - max(n - 1 - i, m - 1 - j))
            for s in range(s_lo, s_hi + 1):
                dg = _get(C, i - 1, j - 1, s - 1)
                up = _get(C, i - 1, j, s - 1)
                lf = _get(C, i, j - 1, s - 1)
                best = dg if dg < up else up
                best = best if best < lf else lf
                C[i, j, s - s_lo] = D[i, j] + best
    return C


@njit(cache=True, nogil=True)
def ldtw_best(C):
    """``(cost, steps)`` at the last cell: the smallest cost, fewest steps among ties."""
    n, m, _ = C.shape
    best = INF
    steps = -1
    s0 = max(n - 1, m - 1)
    for r in range(C.shape[2]):
        if C[n - 1, m - 1, r] < best:
            best = C[n - 1, m - 1, r]
            steps = s0 + r
    return best, steps


@njit(cache=True, nogil=True)
def ldtw_backtrack(C, steps):
    """The optimal path ``(L, 2)`` of ``steps + 1`` cells (ties: diagonal, up, left)."""
    n, m, _ = C.shape
    path = np.empty((n + m, 2), dtype=np.int64)
    i = n - 1
    j = m - 1
    s = steps
    k = 0
    path[0, 0] = i
    path[0, 1] = j
    while i > 0 or j > 0:
        if i == 0:
            j -= 1
        elif j == 0:
            i -= 1
        else:
            dg = _get(C, i - 1, j - 1, s - 1)
            up = _get(C, i - 1, j, s - 1)
            lf = _get(C, i, j - 1, s - 1)
            if dg <= up and dg <= lf:
                i -= 1
                j -= 1
            elif up <= lf:
                i -= 1
            else:
                j -= 1
            s -= 1
        k += 1
        path[k, 0] = i
        path[k, 1] = j
    return path[k::-1].copy()

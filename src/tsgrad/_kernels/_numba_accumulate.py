"""Accumulated-cost matrices of the hard alignment DPs on one cost matrix (numba, CPU).

Three recursions over a cost matrix ``D`` ``(n, m)`` restricted to the cells where
``mask`` is True (elsewhere the accumulated cost is ``+inf``):

* DTW:          ``R[i, j] = D[i, j] + min(R[i-1, j-1], R[i-1, j], R[i, j-1])``;
* discrete Frechet (Eiter & Mannila, 1994):
                ``R[i, j] = max(D[i, j], min(R[i-1, j-1], R[i-1, j], R[i, j-1]))``;
* subsequence DTW: the DTW recursion with a free start anywhere on the first row
  (the predecessors above row 0 cost 0).

``R[-1, -1]`` starts the recursion at 0.  :func:`accumulate` also records, for each cell,
the term its value came from (``CHOICE_*``): the gradient of ``R`` with respect to ``D``
follows these choices, and :func:`accumulate_backward` is that linear map transposed.
:func:`backtrack` reads an optimal path back from ``R``, with tslearn's tie order
(diagonal, then the cell above, then the cell to the left), so that paths are identical.
"""

from __future__ import annotations

import numpy as np
from numba import njit

DTW = 0
FRECHET = 1

CHOICE_NONE = -1  # outside the mask, or not reachable
CHOICE_DIAG = 0
CHOICE_UP = 1
CHOICE_LEFT = 2
CHOICE_SELF = 3  # Frechet: the cell's own cost is the maximum

INF = np.inf


@njit(cache=True, nogil=True)
def accumulate(D, mask, mode, free_start):
    """Accumulated costs ``R`` ``(n, m)`` and choices ``(n, m)`` (int8) of one problem."""
    n, m = D.shape
    R = np.full((n + 1, m + 1), INF)  # R[i + 1, j + 1] is cell (i, j)
    if free_start:
        R[0, :] = 0.0
    else:
        R[0, 0] = 0.0
    choice = np.full((n, m), CHOICE_NONE, dtype=np.int8)
    for i in range(n):
        for j in range(m):
            if not mask[i, j]:
                continue
            dg = R[i, j]
            up = R[i, j + 1]
            lf = R[i + 1, j]
            if dg <= up and dg <= lf:
                best = dg
                c = CHOICE_DIAG
            elif up <= lf:
                best = up
                c = CHOICE_UP
            else:
                best = lf
                c = CHOICE_LEFT
            if best == INF:
                continue
            if mode == DTW:
                R[i + 1, j + 1] = D[i, j] + best
            elif D[i, j] >= best:
                R[i + 1, j + 1] = D[i, j]
                c = CHOICE_SELF
            else:
                R[i + 1, j + 1] = best
            choice[i, j] = c
    return np.ascontiguousarray(R[1:, 1:]), choice


@njit(cache=True, nogil=True)
def accumulate_values(D, mask, mode, free_start):
    """The ``R`` of :func:`accumulate` alone (no choices: about twice as fast)."""
    n, m = D.shape
    R = np.full((n + 1, m + 1), INF)
    if free_start:
        R[0, :] = 0.0
    else:
        R[0, 0] = 0.0
    frechet = mode == FRECHET
    for i in range(n):
        prev = R[i]
        row = R[i + 1]
        for j in range(m):
            dg = prev[j]
            up = prev[j + 1]
            lf = row[j]
            best = dg if dg < up else up
            best = best if best < lf else lf
            d = D[i, j]
            v = (d if d > best else best) if frechet else d + best
            row[j + 1] = v if mask[i, j] else INF
    return np.ascontiguousarray(R[1:, 1:])


@njit(cache=True, nogil=True)
def accumulate_backward(G, choice, mode):
    """``dL/dD`` from ``G = dL/dR`` ``(n, m)``: each cell passes its adjoint to its cost
    (DTW; Frechet when ``CHOICE_SELF``) and to the predecessor it chose, in reverse order."""
    n, m = G.shape
    A = G.copy()
    dD = np.zeros((n, m))
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            c = choice[i, j]
            if c == CHOICE_NONE:
                continue
            a = A[i, j]
            if mode == DTW or c == CHOICE_SELF:
                dD[i, j] = a
            if c == CHOICE_SELF:
                continue
            pi = i - 1 if c != CHOICE_LEFT else i
            pj = j - 1 if c != CHOICE_UP else j
            if pi >= 0 and pj >= 0:
                A[pi, pj] += a
    return dD


@njit(cache=True, nogil=True)
def backtrack(acc, i_end, j_end, to_first_row):
    """Optimal path ``(L, 2)`` ending at ``(i_end, j_end)`` of an accumulated matrix.

    It starts at ``(0, 0)``, or anywhere on row 0 when ``to_first_row`` (subsequence DTW).
    Ties prefer the diagonal, then the cell above, then the cell to the left; on the first
    row or column the only move is along it.
    """
    n, m = acc.shape
    path = np.empty((n + m, 2), dtype=np.int64)
    i = i_end
    j = j_end
    k = 0
    path[0, 0] = i
    path[0, 1] = j
    while i > 0 or (j > 0 and not to_first_row):
        if i == 0:
            j -= 1
        elif j == 0:
            i -= 1
        else:
            dg = acc[i - 1, j - 1]
            up = acc[i - 1, j]
            lf = acc[i, j - 1]
            if dg <= up and dg <= lf:
                i -= 1
                j -= 1
            elif up <= lf:
                i -= 1
            else:
                j -= 1
        k += 1
        path[k, 0] = i
        path[k, 1] = j
    return path[k::-1].copy()


@njit(cache=True, nogil=True)
def bottleneck(D, acc, path):
    """The first cell of ``path`` where the Frechet value is attained (``D == acc[end]``)."""
    value = acc[path[-1, 0], path[-1, 1]]
    for k in range(path.shape[0]):
        if D[path[k, 0], path[k, 1]] == value:
            return path[k, 0], path[k, 1]
    return path[-1, 0], path[-1, 1]


@njit(cache=True, nogil=True)
def sqeuclidean_matrix(x, y):
    """``C[i, j] = sum_f (x[i, f] - y[j, f])^2`` ``(n, m)``, features summed in order (the
    rounding of a per-cell loop); NumPy's broadcast-and-sum is several times slower for the
    few features of a time series."""
    n, d = x.shape
    m = y.shape[0]
    C = np.zeros((n, m))
    for i in range(n):
        for f in range(d):
            a = x[i, f]
            for j in range(m):
                diff = a - y[j, f]
                C[i, j] += diff * diff
    return C

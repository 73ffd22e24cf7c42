"""Discrete Frechet values of many pairs of series, cost made on the fly (numba, CPU).

The discrete Frechet distance (Eiter & Mannila, 1994) is the bottleneck version of DTW:
``R[i, j] = max(c[i, j], min(R[i-1, j-1], R[i-1, j], R[i, j-1]))`` with the squared
Euclidean cost ``c``, and the distance is ``sqrt(R[-1, -1])``: the largest cost along the
best coupling.  Its derivative is that of the single *bottleneck* cell whose cost the
value is, so a second kernel also returns that cell, tracked along the recursion (each
cell keeps the cell its value came from).

Like :func:`._numba_dtw.dtw_pairs_value`, each pair runs on three rolling anti-diagonals
(cells of one diagonal are independent: the loop vectorises) visiting only the band's
cells (:func:`._diag_layout.diag_cells`, ``+inf`` sentinels around them), with the series
transposed and ``y`` reversed (:func:`._diag_layout._transposed`), parallel over pairs.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._diag_layout import _PAR, _diag_sqeuclidean, _transposed, diag_cells
from ._fastmath import JIT
from ._numba_bands import pair_band
from ._numba_threads import pairs_work, sized

INF = np.inf


@njit(**JIT)
def _frechet_value_diag(xT, yrT, lx, ly, cells, bufs, cost):
    """Squared Frechet value of one pair (``+inf`` without an admissible coupling).

    ``cells`` are the band's cells by diagonal (:func:`._diag_layout.diag_cells`);
    ``bufs`` ``(3, n + 2)`` holds diagonals ``t``, ``t - 1``, ``t - 2`` indexed by ``i``,
    ``cost`` ``(n + 1,)`` is scratch.
    """
    bufs[0, 0] = 0.0
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
        c = cost[:K]
        _diag_sqeuclidean(xT, yrT, t, i0, K, c)
        cu = cur[i0 : i0 + K]
        up = p1[i0 - 1 : i0 + K]
        dg = p2[i0 - 1 : i0 - 1 + K]
        for k in range(K):
            a = dg[k]
            b = up[k]
            e = up[k + 1]
            mn = a if a < b else b
            mn = mn if mn < e else e
            cu[k] = c[k] if c[k] > mn else mn
    return bufs[(lx + ly) % 3, lx]


@njit(**JIT)
def _frechet_diag(xT, yrT, lx, ly, cells, bufs, srcs, cost):
    """As :func:`_frechet_value_diag`, with the flat index ``i * ly + j`` of the
    bottleneck cell (-1 when no coupling is admissible); ``srcs`` ``(3, n + 2)`` holds the
    bottleneck indices of the diagonals."""
    bufs[0, 0] = 0.0
    srcs[0, 0] = -1
    for t in range(1, lx + ly + 1):
        cur = bufs[t % 3]
        cs = srcs[t % 3]
        if t <= ly:
            cur[0] = INF  # (0, t)
            cs[0] = -1
        if t <= lx:
            cur[t] = INF  # (t, 0)
            cs[t] = -1
        if t < 2:
            continue
        p1 = bufs[(t - 1) % 3]
        p2 = bufs[(t - 2) % 3]
        s1 = srcs[(t - 1) % 3]
        s2 = srcs[(t - 2) % 3]
        i0, K = cells[t, 0], cells[t, 1]
        cur[i0 - 1] = INF
        cur[i0 + K] = INF
        c = cost[:K]
        _diag_sqeuclidean(xT, yrT, t, i0, K, c)
        cu = cur[i0 : i0 + K]
        su = cs[i0 : i0 + K]
        up = p1[i0 - 1 : i0 + K]
        sup = s1[i0 - 1 : i0 + K]
        dg = p2[i0 - 1 : i0 - 1 + K]
        sdg = s2[i0 - 1 : i0 - 1 + K]
        j0 = t - i0 - 1  # 0-based column of k = 0
        for k in range(K):
            a = dg[k]
            b = up[k]
            e = up[k + 1]
            mn = a if a <= b else b
            sm = sdg[k] if a <= b else sup[k]
            sm = sm if mn <= e else sup[k + 1]
            mn = mn if mn <= e else e
            own = c[k] >= mn
            cu[k] = c[k] if own else mn
            su[k] = (i0 - 1 + k) * ly + (j0 - k) if own else sm
    last = (lx + ly) % 3
    return bufs[last, lx], srcs[last, lx]


@njit(**_PAR)
def frechet_pairs(X, Y, lx, ly, ii, jj, kind, param):
    """Squared Frechet values ``(P,)`` of the pairs ``(X[ii[p]], Y[jj[p]])`` (``+inf``
    where the constraint admits no coupling)."""
    P = ii.shape[0]
    n = X.shape[1]
    XT, YrT = _transposed(X, Y)
    out = np.empty(P)
    for p in prange(P):
        a = ii[p]
        b = jj[p]
        lo, hi, ok = pair_band(kind, param, lx[a], ly[b], n)
        if not ok:
            out[p] = INF
            continue
        cells = diag_cells(lo, hi, lx[a], ly[b])
        bufs = np.empty((3, n + 2))
        cost = np.empty(n + 1)
        out[p] = _frechet_value_diag(XT[a], YrT[b], lx[a], ly[b], cells, bufs, cost)
    return out


@njit(**_PAR)
def frechet_pairs_cells(X, Y, lx, ly, ii, jj, kind, param):
    """As :func:`frechet_pairs`, with the bottleneck cell of each pair ``(P, 2)`` (``-1``
    where no coupling is admissible): the derivative of a value is that cell's.  Tracking
    the cell costs about four times the value alone."""
    P = ii.shape[0]
    n = X.shape[1]
    XT, YrT = _transposed(X, Y)
    out = np.empty(P)
    cell = np.full((P, 2), -1, dtype=np.int64)
    for p in prange(P):
        a = ii[p]
        b = jj[p]
        lo, hi, ok = pair_band(kind, param, lx[a], ly[b], n)
        if not ok:
            out[p] = INF
            continue
        cells = diag_cells(lo, hi, lx[a], ly[b])
        bufs = np.empty((3, n + 2))
        srcs = np.empty((3, n + 2), dtype=np.int64)
        cost = np.empty(n + 1)
        v, s = _frechet_diag(XT[a], YrT[b], lx[a], ly[b], cells, bufs, srcs, cost)
        out[p] = v
        if s >= 0:
            cell[p, 0] = s // ly[b]
            cell[p, 1] = s % ly[b]
    return out, cell


frechet_pairs = sized(frechet_pairs, pairs_work)
frechet_pairs_cells = sized(frechet_pairs_cells, pairs_work)

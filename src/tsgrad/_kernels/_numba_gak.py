"""Global Alignment Kernel in the log domain, many pairs (numba, CPU).

GAK (Cuturi, Vert, Birkenes & Matsui, ICASSP 2007; Cuturi, ICML 2011) sums, over every
alignment path, the product of a local kernel along the path:

``G(x, y) = sum_pi prod_{(i, j) in pi} k(x_i, y_j)``,
``k(a, b) = exp(-s) / (2 - exp(-s))``, ``s = ||a - b||^2 / (2 sigma^2)``,

that is ``M[i, j] = k_ij (M[i-1, j-1] + M[i-1, j] + M[i, j-1])``.  ``G`` overflows for
series of a few hundred samples, so the kernel runs ``V = -log M``:

``V[i, j] = -log k_ij + softmin_1(V[i-1, j-1], V[i-1, j], V[i, j-1])``,

which is soft-DTW with ``gamma = 1`` on the cost ``-log k >= 0`` (so ``log G`` has the
soft-DTW gradient, the expected alignment, w.r.t. that cost).  ``-log k = s +
log(2 - exp(-s))`` and the soft minimum use the branch-free ``exp`` / ``log`` of
:mod:`._fastmath` (``2 - exp(-s)`` lies in ``[1, 2]``), and each pair runs on three
rolling anti-diagonals: the loop over a diagonal vectorises.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._diag_layout import _PAR, _cells, _diag_sqeuclidean, _transposed
from ._fastmath import JIT, exp_neg, log_1_4, softmin
from ._numba_dp import _pairs_work, _sized

INF = np.inf


@njit(**JIT)
def _log_gak_diag(xT, yrT, lx, ly, scale, bufs, cost):
    """``log G`` of one pair; ``scale = 1 / (2 sigma^2)``.  ``bufs`` ``(3, n + 2)`` holds
    the diagonals of ``V`` indexed by ``i`` (borders ``+inf``), ``cost`` is scratch."""
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
        i0, K = _cells(t, lx, ly)
        c = cost[:K]
        _diag_sqeuclidean(xT, yrT, t, i0, K, c)
        cu = cur[i0 : i0 + K]
        up = p1[i0 - 1 : i0 + K]
        dg = p2[i0 - 1 : i0 - 1 + K]
        for k in range(K):
            s = c[k] * scale
            neg_log_k = s + log_1_4(2.0 - exp_neg(-s))
            cu[k] = neg_log_k + softmin(dg[k], up[k], up[k + 1], 1.0, 1.0)
    return -bufs[(lx + ly) % 3, lx]


@njit(**_PAR)
def log_gak_pairs(X, Y, lx, ly, ii, jj, scale):
    """``log G`` ``(P,)`` of the pairs ``(X[ii[p]], Y[jj[p]])`` (unnormalized GAK)."""
    P = ii.shape[0]
    n = X.shape[1]
    XT, YrT = _transposed(X, Y)
    out = np.empty(P)
    for p in prange(P):
        bufs = np.empty((3, n + 2))
        cost = np.empty(n + 1)
        a = ii[p]
        b = jj[p]
        out[p] = _log_gak_diag(XT[a], YrT[b], lx[a], ly[b], scale, bufs, cost)
    return out


log_gak_pairs = _sized(log_gak_pairs, _pairs_work)

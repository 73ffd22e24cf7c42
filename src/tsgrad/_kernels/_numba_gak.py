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

Every term of ``M`` is positive, so the recursion can also run on ``M`` itself, each
diagonal scaled by a power of two (exact) so that its largest cell is in ``[1/2, 1)``:
one ``exp`` and one division per cell instead of three ``exp`` and two ``log``.  The
result is then exact up to rounding unless a local kernel or a scaled cell falls below
the smallest normal number (a flushed or subnormal term); the kernel watches for that and
computes such pairs again in the log domain.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._diag_layout import _PAR, _diag_sqeuclidean, _transposed
from ._fastmath import JIT, _f64_as_i64, _i64_as_f64, exp_neg, exp_neg_wide, log_1_4, softmin
from ._numba_threads import pairs_work, sized

INF = np.inf


@njit(inline="always", **JIT)
def full_cells(t, lx, ly):
    """First row ``i0`` and number ``K`` of all the cells of diagonal ``t`` (no band)."""
    i0 = max(1, t - ly)
    return i0, min(lx, t - 1) + 1 - i0


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
        i0, K = full_cells(t, lx, ly)
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


_TINY_BITS = 1 << 52  # bit pattern of the smallest normal float64, 2**-1022
_LN2 = 0.6931471805599453


@njit(inline="always", **JIT)
def _pow2(e):
    """``2.0 ** e`` for integers ``-1022 <= e <= 1023``, from its bits (exact)."""
    return _i64_as_f64((e + 1023) << 52)


@njit(**JIT)
def _log_gak_scaled_diag(xT, yrT, lx, ly, scale, bufs, cost):
    """``log G`` of one pair in the scaled probability domain, or NaN when a term left the
    normal range (the caller then uses :func:`_log_gak_diag`).

    Diagonal ``t`` is stored as ``w_t = M_t / 2^E(t-1)``, where ``E(t) = f_1 + ... + f_t``
    and ``2^f_t`` bounds the largest ``w_t``; the next diagonal reads its predecessors
    rescaled by exact powers of two.  The largest and smallest values are found on the bit
    patterns (integer reductions, which vectorise; positive doubles order like their bits).
    """
    bufs[0, 0] = 1.0
    f1 = 0  # f of diagonal t - 1
    f2 = 0  # f of diagonal t - 2
    total = 0  # E(t - 1)
    for t in range(1, lx + ly + 1):
        cur = bufs[t % 3]
        if t <= ly:
            cur[0] = 0.0  # (0, t)
        if t <= lx:
            cur[t] = 0.0  # (t, 0)
        if t < 2:
            continue
        p1 = bufs[(t - 1) % 3]
        p2 = bufs[(t - 2) % 3]
        i0, K = full_cells(t, lx, ly)
        c = cost[:K]
        _diag_sqeuclidean(xT, yrT, t, i0, K, c)
        cu = cur[i0 : i0 + K]
        up = p1[i0 - 1 : i0 + K]
        dg = p2[i0 - 1 : i0 - 1 + K]
        a = _pow2(-f1)  # diagonal t - 1 in the units of diagonal t
        b = _pow2(-f1 - f2)  # diagonal t - 2
        top = 0
        low = _TINY_BITS
        for k in range(K):
            e = exp_neg_wide(-(c[k] * scale))
            kern = e / (2.0 - e)
            w = kern * (a * (up[k] + up[k + 1]) + b * dg[k])
            cu[k] = w
            bits = _f64_as_i64(w)
            kbits = _f64_as_i64(kern)
            top = bits if bits > top else top
            low = kbits if kbits < low else low
            low = bits if bits < low else low
        if low < _TINY_BITS or top == 0:
            return np.nan
        total += f1
        f2 = f1
        f1 = (top >> 52) - 1022  # 2^(f1 - 1) <= largest w < 2^f1
    return np.log(bufs[(lx + ly) % 3, lx]) + total * _LN2


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
        v = _log_gak_scaled_diag(XT[a], YrT[b], lx[a], ly[b], scale, bufs, cost)
        if v != v:
            v = _log_gak_diag(XT[a], YrT[b], lx[a], ly[b], scale, bufs, cost)
        out[p] = v
    return out


log_gak_pairs = sized(log_gak_pairs, pairs_work)

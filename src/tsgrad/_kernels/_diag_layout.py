"""The anti-diagonal table layout shared by the soft-DTW kernels (numba, CPU).

The cells of an anti-diagonal ``i + j = t`` depend only on the two previous
anti-diagonals, so the kernels of :mod:`._numba_softdtw` (log domain) and
:mod:`._numba_softdtw_scaled` (scaled probability domain) store their tables diagonal by diagonal:
every diagonal is one loop without dependencies, which LLVM vectorises.

A problem with padded lengths ``(n, m)`` has a table of ``(n + 2) x (m + 2)`` cells
``(i, j)``: row ``i = 0`` and column ``j = 0`` are the borders of the recursion, cell
``(i, j)`` with ``i, j >= 1`` belongs to the cost ``D[i - 1, j - 1]``, and the extra row
``n + 1`` and column ``m + 1`` make every successor of a cell exist (their weights stay 0).
Diagonal ``t`` holds the cells ``max(0, t - m - 1) <= i <= min(n + 1, t)`` contiguously,
followed by ``_PAD`` slack cells; cell ``(i, t - i)`` is at ``off[t] + i``
(:func:`diag_offsets`, which also returns the flat size ``L`` of a problem's table).

Series enter the squared-Euclidean kernels transposed, ``xT`` ``(d, n)``, and ``y``
reversed, ``yrT[:, q] = y[m - 1 - q]`` ``(d, m)``: along a diagonal both are contiguous
(:func:`_transposed`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._fastmath import JIT

INF = np.inf
_PAR = {**JIT, "parallel": True}
_PAR.pop("nogil")


# The forward loops run every diagonal to a multiple of _VEC cells, so that LLVM's vector
# loop covers it without a scalar remainder (a scalar cell costs ~4 vector ones).  The
# extra cells lie past the problem (their band test fails: they get +inf and weight 0, which
# is also what the border cell (t, 0) they may cover must hold) or in the _PAD slack cells
# kept after every diagonal, which nothing reads.
_VEC = 4
_PAD = _VEC + 8


@njit(**JIT)
def diag_offsets(n, m):
    """``off`` (``n + m + 3``,) with cell ``(i, t - i)`` at ``off[t] + i``, and the size ``L``."""
    rows = n + 1  # largest i
    cols = m + 1  # largest j
    off = np.empty(rows + cols + 1, dtype=np.int64)
    start = 0
    for t in range(rows + cols + 1):
        ilo = max(0, t - cols)
        ihi = min(rows, t)
        off[t] = start - ilo
        start += ihi - ilo + 1 + _PAD
    return off, start


@njit(**JIT)
def _padded_band(lo, hi, lx):
    """Copies of the band rows ``< lx``, followed by ``_VEC`` empty rows (see _VEC)."""
    blo = np.zeros(lx + _VEC, dtype=np.int64)
    bhi = np.zeros(lx + _VEC, dtype=np.int64)
    blo[:lx] = lo[:lx]
    bhi[:lx] = hi[:lx]
    return blo, bhi


@njit(**JIT)
def _skew(D, lx, ly, off, DS):
    # DS[cell (i + 1, j + 1)] = D[i, j] inside the lengths.
    for i in range(lx):
        for j in range(ly):
            DS[off[i + j + 2] + i + 1] = D[i, j]


@njit(**JIT)
def _unskew(ES, lx, ly, off, E):
    # E[i, j] = ES[cell (i + 1, j + 1)] inside the lengths, 0 outside.
    E[:, :] = 0.0
    for i in range(lx):
        for j in range(ly):
            E[i, j] = ES[off[i + j + 2] + i + 1]


@njit(**JIT)
def _fill_frame(A, lx, ly, off, value):
    """Set the cells ``(lx + 1, 1..ly + 1)`` and ``(1..lx + 1, ly + 1)`` to ``value``: the
    successors of a problem's cells that lie outside it (read by the backward passes)."""
    for i in range(1, lx + 2):
        A[off[i + ly + 1] + i] = value
    for j in range(1, ly + 2):
        A[off[lx + 1 + j] + lx + 1] = value


@njit(**JIT)
def _zero_frame(A, lx, ly, off):
    _fill_frame(A, lx, ly, off, 0.0)


@njit(**JIT)
def _borders(S, lx, ly, off):
    S[off[0]] = 0.0
    for t in range(1, lx + 1):
        S[off[t] + t] = INF  # (t, 0)
    for t in range(1, ly + 1):
        S[off[t]] = INF  # (0, t)


@njit(inline="always", **JIT)
def _cells(t, lx, ly):
    """First row ``i0`` and number ``K`` of a problem's cells on diagonal ``t``."""
    i0 = max(1, t - ly)
    return i0, min(lx, t - 1) + 1 - i0


@njit(inline="always", **JIT)
def _preds(T, off, t, i0, K):
    """Predecessor views of the cells ``i0 .. i0 + K - 1`` of diagonal ``t`` of table
    ``T``: ``up[k]`` is ``(i - 1, j)``, ``up[k + 1]`` is ``(i, j - 1)``, ``dg[k]`` is
    ``(i - 1, j - 1)`` for ``i = i0 + k``."""
    up = T[off[t - 1] + i0 - 1 : off[t - 1] + i0 + K]
    dg = T[off[t - 2] + i0 - 1 : off[t - 2] + i0 - 1 + K]
    return up, dg


@njit(inline="always", **JIT)
def _weight_views(W, a, K):
    """Views of the DIAG, UP and LEFT weights of ``K`` cells from flat position ``a``."""
    return W[0, a : a + K], W[1, a : a + K], W[2, a : a + K]


# The squared Euclidean kernels take the series as ``xT`` ``(d, n)`` and ``yrT`` ``(d, m)``,
# ``y`` reversed: ``yrT[:, q] = y[m - 1 - q]``.  Along a diagonal, cell ``(i, j)`` pairs
# ``xT[:, i - 1]`` with ``yrT[:, m - 1 - (j - 1)]``, both contiguous in ``i``: the cost and
# the chain rule then vectorise like the DP.
@njit(**JIT)
def _transposed(X, Y):
    """``XT`` ``(B, d, n)`` and ``YrT`` ``(B, d, m)`` (C-contiguous), see above."""
    XT = np.ascontiguousarray(X.transpose((0, 2, 1)))
    YrT = np.ascontiguousarray(Y[:, ::-1, :].transpose((0, 2, 1)))
    return XT, YrT


@njit(inline="always", **JIT)
def _diag_sqeuclidean(xT, yrT, t, i0, K, c):
    # c[k] = ||x[i - 1] - y[j - 1]||^2 for the cells (i0 + k, t - i0 - k), in float64
    # whatever the dtype of the series.
    q0 = yrT.shape[1] - t + i0  # y[j - 1] = yr[q0 + k]
    if xT.shape[0] == 0:  # no feature: every cost is 0 (the loop below would write nothing)
        c[:K] = 0.0
    for f in range(xT.shape[0]):
        xa = xT[f, i0 - 1 : i0 - 1 + K]
        yb = yrT[f, q0 : q0 + K]
        if f == 0:
            for k in range(K):
                diff = np.float64(xa[k]) - np.float64(yb[k])
                c[k] = diff * diff
        else:
            for k in range(K):
                diff = np.float64(xa[k]) - np.float64(yb[k])
                c[k] += diff * diff


@njit(**JIT)
def _untranspose(gxT, gyrT, GX, GY):
    d, n = gxT.shape
    m = gyrT.shape[1]
    for i in range(n):
        for f in range(d):
            GX[i, f] = gxT[f, i]
    for j in range(m):
        for f in range(d):
            GY[j, f] = gyrT[f, m - 1 - j]


@njit(inline="always", **JIT)
def _chain_diag(xT, yrT, E, off, t, i0, K, gxT, gyrT):
    """Chain rule of the squared Euclidean cost on the cells ``i0 .. i0 + K - 1`` of
    diagonal ``t``: ``dV/dx_i += 2 E_ij (x_i - y_j)``, ``dV/dy_j -=`` the same, in the
    transposed layouts (on a diagonal every ``i`` and every ``j`` occurs once, so the
    updates do not collide)."""
    e = E[off[t] + i0 : off[t] + i0 + K]
    q0 = yrT.shape[1] - t + i0
    for f in range(xT.shape[0]):
        xa = xT[f, i0 - 1 : i0 - 1 + K]
        yb = yrT[f, q0 : q0 + K]
        ga = gxT[f, i0 - 1 : i0 - 1 + K]
        gb = gyrT[f, q0 : q0 + K]
        for k in range(K):
            v = 2.0 * e[k] * (np.float64(xa[k]) - np.float64(yb[k]))
            ga[k] += v
            gb[k] -= v

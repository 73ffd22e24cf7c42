"""The anti-diagonal table layout shared by the soft-DTW kernels (numba, CPU).

The cells of an anti-diagonal ``i + j = t`` depend only on the two previous
anti-diagonals, so the kernels of :mod:`._numba_softdtw` (log domain) and
:mod:`._numba_softdtw_scaled` (scaled probability domain) store their tables diagonal by
diagonal: every diagonal is one loop without dependencies, which LLVM vectorises.

Cell ``(i, j)`` of a problem of lengths ``(lx, ly)`` belongs to the cost ``D[i - 1, j - 1]``
(``i, j >= 1``; row 0 and column 0 are the borders of the recursion).  A table stores, for
each diagonal ``t``, only the problem's admissible cells there (:func:`diag_cells`: the
rows ``i0 <= i < i0 + K`` of its band), with one sentinel cell before and after them,
followed by ``_PAD`` slack cells; cell ``(i, t - i)`` is at ``off[t] + i``
(:func:`band_offsets`, which also returns the flat size of the table).  Diagonals 0 and 1
hold the borders, diagonal ``lx + ly + 1`` the two successors of the last cells.  A band
of radius ``r`` thus costs ``O((lx + ly) r)`` cells of memory and of work.

The sentinels are what the next diagonals read just outside the band (``+inf`` costs in
the forward tables, zero weights and zero alignments in the backward ones); they are also
the problem's borders and the successors past its end, so no other cell is ever read.

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
# extra cells lie past the band (their band test fails: they get +inf and weight 0, which
# is also what a sentinel they may cover must hold) or in the _PAD slack cells kept after
# every diagonal, which nothing reads (they also hold the extra cells' reads).
_VEC = 4
_PAD = _VEC + 8


@njit(**JIT)
def band_offsets(cells, lx, ly):
    """``off`` (``lx + ly + 2``,) with cell ``(i, t - i)`` at ``off[t] + i``, and the size
    of the table, for the admissible cells ``cells`` (:func:`diag_cells`) and the
    sentinels around them (see the module's docstring)."""
    T = lx + ly
    off = np.empty(T + 2, dtype=np.int64)
    start = 0
    for t in range(T + 2):
        if t == 0:
            first, last = 0, 0
        elif t == 1:
            first, last = 0, 1
        elif t <= T:
            first, last = cells[t, 0] - 1, cells[t, 0] + cells[t, 1]
        else:
            first, last = lx, lx + 1
        off[t] = start - first
        start += last - first + 1 + _PAD
    return off, start


@njit(**JIT)
def band_layout(lo, hi, lx, ly):
    """``(cells, off, size)`` of one problem's table (:func:`diag_cells`,
    :func:`band_offsets`)."""
    cells = diag_cells(lo, hi, lx, ly)
    off, size = band_offsets(cells, lx, ly)
    return cells, off, size


@njit(**JIT)
def batch_table_size(lx, ly, lo, hi):
    """The largest table (:func:`band_layout`) of a batch: the width of its ``(B, L)``
    tables."""
    size = 1
    for b in range(lx.shape[0]):
        size = max(size, band_layout(lo[b], hi[b], lx[b], ly[b])[2])
    return size


@njit(**JIT)
def _padded_band(lo, hi, lx):
    """Copies of the band rows ``< lx``, followed by ``_VEC`` empty rows (see _VEC)."""
    blo = np.zeros(lx + _VEC, dtype=np.int64)
    bhi = np.zeros(lx + _VEC, dtype=np.int64)
    blo[:lx] = lo[:lx]
    bhi[:lx] = hi[:lx]
    return blo, bhi


@njit(**JIT)
def _skew(D, cells, off, DS):
    # DS[cell (i, j)] = D[i - 1, j - 1] on the problem's admissible cells.
    for t in range(2, cells.shape[0]):
        i0, K = cells[t, 0], cells[t, 1]
        for i in range(i0, i0 + K):
            DS[off[t] + i] = D[i - 1, t - i - 1]


@njit(**JIT)
def _unskew(ES, cells, off, E):
    # E[i - 1, j - 1] = ES[cell (i, j)] on the problem's admissible cells, 0 elsewhere.
    E[:, :] = 0.0
    for t in range(2, cells.shape[0]):
        i0, K = cells[t, 0], cells[t, 1]
        for i in range(i0, i0 + K):
            E[i - 1, t - i - 1] = ES[off[t] + i]


@njit(**JIT)
def _start(S, off, corner, border):
    """The borders of the recursion: ``(0, 0)`` is ``corner``, ``(0, 1)`` and ``(1, 0)``
    ``border`` (the other border cells are the diagonals' first and last sentinels)."""
    S[off[0]] = corner
    S[off[1]] = border
    S[off[1] + 1] = border


@njit(**JIT)
def _clear_end(A, lx, ly, off):
    """Zero the successors of the last cells, ``(lx, ly + 1)`` and ``(lx + 1, ly)``."""
    A[off[lx + ly + 1] + lx] = 0.0
    A[off[lx + ly + 1] + lx + 1] = 0.0


@njit(**JIT)
def _start_backward(A, lx, ly, off, end):
    """The last diagonals of a backward table: ``end`` at the end cell ``(lx, ly)``, 0 on
    its sentinels and on its successors past the end (:func:`_clear_end`)."""
    T = lx + ly
    A[off[T] + lx - 1] = 0.0
    A[off[T] + lx] = end
    A[off[T] + lx + 1] = 0.0
    _clear_end(A, lx, ly, off)


@njit(inline="always", **JIT)
def _end(S, cells, off, lx, ly, outside):
    """The table's value at the end cell ``(lx, ly)``, or ``outside`` when the band leaves
    it out (no admissible path)."""
    T = lx + ly
    inside = (cells[T, 1] > 0) & (cells[T, 0] == lx)
    return S[off[T] + lx] if inside else outside


@njit(**JIT)
def diag_cells(lo, hi, lx, ly):
    """The problem's admissible cells, diagonal by diagonal: ``cells[t] = (i0, K)``, the
    cells ``(i, t - i)`` of rows ``i0 <= i < i0 + K`` (``K`` may be 0), ``2 <= t <= lx +
    ly``; ``cells`` ``(lx + ly + 1, 2)``.  ``lo``, ``hi`` are the band rows (``(lx,)`` at
    least).

    Bands are monotone (``lo`` and ``hi`` never decrease with the row), so the admissible
    cells of a diagonal are one interval of rows, and both ends of the interval move by at
    most one row from a diagonal to the next.  The cells a diagonal reads (predecessors,
    successors) outside the intervals are therefore the rows just before and just after
    them, where the kernels write sentinels (``+inf`` costs, zero weights, zero
    alignments): a band of radius ``r`` costs ``O((lx + ly) r)``, not ``O(lx ly)``.  A band
    that admits no path has no cell (``K = 0`` everywhere).
    """
    T = lx + ly
    cells = np.zeros((T + 1, 2), dtype=np.int64)
    cells[:, 0] = 1
    if not _admits_a_path(lo, hi, lx, ly):
        return cells  # no cell anywhere: value inf, zero alignment and gradients
    a = 0  # the first row r whose band reaches column s - r (r + hi[r] > s)
    b = -1  # the last row r whose band starts at or before column s - r (r + lo[r] <= s)
    for t in range(2, T + 1):
        s = t - 2  # i + j of the cost matrix's cells (i, j) on diagonal t
        while a < lx and a + hi[a] <= s:
            a += 1
        while b + 1 < lx and b + 1 + lo[b + 1] <= s:
            b += 1
        r0 = max(a, s - ly + 1)
        r1 = min(b, s, lx - 1)
        cells[t, 0] = r0 + 1
        cells[t, 1] = max(0, r1 - r0 + 1)
    return cells


@njit(**JIT)
def _admits_a_path(lo, hi, lx, ly):
    """Whether the band rows admit a monotone path from ``(0, 0)`` to ``(lx-1, ly-1)``
    (then they are monotone too): the rows of an infeasible constraint may be empty or
    out of order, and :func:`diag_cells` needs monotone rows."""
    if lx < 1 or ly < 1 or lo[0] != 0 or hi[lx - 1] != ly:
        return False
    for i in range(lx):
        if hi[i] <= lo[i]:
            return False
        if i > 0 and (lo[i] < lo[i - 1] or hi[i] < hi[i - 1] or lo[i] > hi[i - 1]):
            return False
    return True


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

"""Soft-DTW kernels on the anti-diagonal layout, log domain, vectorised (numba, CPU).

A row-major sweep computes one cell after the other: each cell waits for its left
neighbour, so the soft minimum's ``exp`` / ``log`` run one at a time (about 43 ns a cell
with libm, tsgrad's kernels before this layout).  The cells of an anti-diagonal
``i + j = t`` depend only on the two previous anti-diagonals, so here the tables are stored
diagonal by diagonal and every diagonal is one loop without dependencies, with the
branch-free ``exp`` / ``log`` of :mod:`._fastmath`: LLVM vectorises it.

The table layout is that of :mod:`._diag_layout`; the conventions those of
:mod:`._numba_dtw`: element ``b`` uses rows ``i < lx[b]``, columns ``j < ly[b]`` and the
band ``lo[b, i] <= j < hi[b, i]``; ``S`` (the table ``R``) is float64, ``+inf`` outside
the band; ``W[b, k]`` holds the soft-min weight of predecessor ``k`` (DIAG, UP, LEFT) of
every cell.  The backward passes either read stored weights or recompute them from the
table exactly as the forward made them (the same soft minimum of the same predecessors,
so both routes agree to rounding, and every cell's weights sum to 1).

The kernels take their routes as arguments (whether to try the scaled domain of
:mod:`._numba_softdtw_scaled` first, whether to store the weights): the choice is the
router's (:mod:`._router`).

Tested against a first-principles autograd reference and brute force
(``tests/kernels/test_diag_kernels.py``).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._diag_layout import (
    _PAR,
    _VEC,
    INF,
    _chain_diag,
    _clear_end,
    _diag_sqeuclidean,
    _end,
    _padded_band,
    _preds,
    _skew,
    _start,
    _start_backward,
    _transposed,
    _unskew,
    _untranspose,
    _weight_views,
    band_layout,
    batch_table_size,
)
from ._fastmath import JIT, softmin, softmin_weights
from ._numba_bands import pair_band
from ._numba_softdtw_scaled import scaled_value_grad_one
from ._numba_threads import batch_work, flat_work, pairs_work, series_work, sized


# The inner loops below index slices of the tables from 0 (``k = i - i0``): numba then knows
# the indices are non-negative, emits no wrap-around code, and LLVM vectorises the loop.
# Every per-problem function takes ``cells`` (:func:`._diag_layout.diag_cells`) and visits
# only the admissible cells of each diagonal; the forward passes write the sentinels the
# next diagonals read (``+inf``, weight 0) just before and after them.
@njit(inline="always", **JIT)
def _sentinels(T, a, K, value):
    T[a - 1] = value
    T[a + K] = value


@njit(**JIT)
def _forward_one(DS, gamma, lx, ly, lo, hi, cells, off, S):
    inv_gamma = 1.0 / gamma
    _start(S, off, 0.0, INF)
    lo, hi = _padded_band(lo, hi, lx)
    for t in range(2, lx + ly + 1):
        i0, K = cells[t, 0], cells[t, 1]
        _sentinels(S, off[t] + i0, K, INF)
        K = (K + _VEC - 1) // _VEC * _VEC
        cur = S[off[t] + i0 : off[t] + i0 + K]
        up, dg = _preds(S, off, t, i0, K)
        cost = DS[off[t] + i0 : off[t] + i0 + K]
        blo = lo[i0 - 1 : i0 - 1 + K]
        bhi = hi[i0 - 1 : i0 - 1 + K]
        j0 = t - i0 - 1  # cost column of k = 0
        for k in range(K):
            v = cost[k] + softmin(dg[k], up[k], up[k + 1], gamma, inv_gamma)
            j = j0 - k
            cur[k] = v if (j >= blo[k]) & (j < bhi[k]) else INF


@njit(**JIT)
def _forward_weights_one(DS, gamma, lx, ly, lo, hi, cells, off, S, W):
    inv_gamma = 1.0 / gamma
    _start(S, off, 0.0, INF)
    lo, hi = _padded_band(lo, hi, lx)
    for t in range(2, lx + ly + 1):
        i0, K = cells[t, 0], cells[t, 1]
        a = off[t] + i0
        _sentinels(S, a, K, INF)
        for r in range(3):
            _sentinels(W[r], a, K, 0.0)
        K = (K + _VEC - 1) // _VEC * _VEC
        cur = S[a : a + K]
        wd, wu, wl = _weight_views(W, a, K)
        up, dg = _preds(S, off, t, i0, K)
        cost = DS[a : a + K]
        blo = lo[i0 - 1 : i0 - 1 + K]
        bhi = hi[i0 - 1 : i0 - 1 + K]
        j0 = t - i0 - 1
        for k in range(K):
            v, w0, w1, w2 = softmin_weights(dg[k], up[k], up[k + 1], gamma, inv_gamma)
            j = j0 - k
            inside = (j >= blo[k]) & (j < bhi[k])
            cur[k] = cost[k] + v if inside else INF
            wd[k] = w0 if inside else 0.0
            wu[k] = w1 if inside else 0.0
            wl[k] = w2 if inside else 0.0
    for r in range(3):
        _clear_end(W[r], lx, ly, off)


@njit(**JIT)
def _diag_weights(S, gamma, inv_gamma, lo, hi, cells, off, t, wd, wu, wl, base):
    """Soft-min weights of the cells of diagonal ``t``, recomputed from the table exactly as
    :func:`_forward_weights_one` made them, written at ``w*[base + i]`` for row ``i``; the
    rows just before and after the diagonal's cells get 0 (successors outside the problem
    or the band, read by the backward, have no weight).  ``lo``, ``hi`` are padded
    (:func:`._diag_layout._padded_band`)."""
    i0, K = cells[t, 0], cells[t, 1]
    a = base + i0
    _sentinels(wd, a, K, 0.0)
    _sentinels(wu, a, K, 0.0)
    _sentinels(wl, a, K, 0.0)
    up, dg = _preds(S, off, t, i0, K)
    cd = wd[a : a + K]
    cu = wu[a : a + K]
    cl = wl[a : a + K]
    blo = lo[i0 - 1 : i0 - 1 + K]
    bhi = hi[i0 - 1 : i0 - 1 + K]
    j0 = t - i0 - 1
    for k in range(K):
        _, w0, w1, w2 = softmin_weights(dg[k], up[k], up[k + 1], gamma, inv_gamma)
        j = j0 - k
        inside = (j >= blo[k]) & (j < bhi[k])
        cd[k] = w0 if inside else 0.0
        cu[k] = w1 if inside else 0.0
        cl[k] = w2 if inside else 0.0


@njit(**JIT)
def _weights_one(S, gamma, lo, hi, lx, ly, cells, off, W):
    """The weight table of one problem, recomputed from its table ``S``."""
    inv_gamma = 1.0 / gamma
    lo, hi = _padded_band(lo, hi, lx)
    for t in range(2, lx + ly + 1):
        _diag_weights(S, gamma, inv_gamma, lo, hi, cells, off, t, W[0], W[1], W[2], off[t])
    for r in range(3):
        _clear_end(W[r], lx, ly, off)


@njit(**JIT)
def _backward_one(W, S, lx, ly, cells, off, ES):
    """Expected alignment (skewed) from the weights; 0 on the sentinels."""
    if _end(S, cells, off, lx, ly, INF) == INF:  # no admissible path: E = 0
        ES[:] = 0.0
        return
    _start_backward(ES, lx, ly, off, 1.0)
    for t in range(lx + ly - 1, 1, -1):
        i0, K = cells[t, 0], cells[t, 1]
        _sentinels(ES, off[t] + i0, K, 0.0)
        cur = ES[off[t] + i0 : off[t] + i0 + K]
        # successors of (i, j): (i, j + 1) at nx[k] [LEFT], (i + 1, j) at nx[k + 1] [UP],
        # (i + 1, j + 1) at nd[k] [DIAG]
        a = off[t + 1] + i0
        nx = ES[a : a + K + 1]
        wl = W[2, a : a + K]
        wu = W[1, a + 1 : a + 1 + K]
        b = off[t + 2] + i0 + 1
        nd = ES[b : b + K]
        wd = W[0, b : b + K]
        for k in range(K):
            cur[k] = nx[k] * wl[k] + nx[k + 1] * wu[k] + nd[k] * wd[k]


@njit(**JIT)
def _backward_recompute_one(S, gamma, lo, hi, lx, ly, cells, off, ES):
    """As :func:`_backward_one`, without a weight table: the weights of each diagonal are
    recomputed from the table (:func:`_diag_weights`) when the backward reaches it and
    kept for the two diagonals that read them (24 bytes per row of scratch)."""
    if _end(S, cells, off, lx, ly, INF) == INF:
        ES[:] = 0.0
        return
    inv_gamma = 1.0 / gamma
    lo, hi = _padded_band(lo, hi, lx)
    rows = lx + 3 + _VEC
    ring = np.zeros((3, 3, rows))  # diagonal t's weights in ring[t % 3], by row
    _start_backward(ES, lx, ly, off, 1.0)
    T = lx + ly
    for t in range(T - 1, 1, -1):
        w1 = ring[(t + 1) % 3]
        _diag_weights(S, gamma, inv_gamma, lo, hi, cells, off, t + 1, w1[0], w1[1], w1[2], 0)
        w2 = ring[(t + 2) % 3]  # diagonal t + 2, done at the previous step (0 for T + 1)
        i0, K = cells[t, 0], cells[t, 1]
        _sentinels(ES, off[t] + i0, K, 0.0)
        cur = ES[off[t] + i0 : off[t] + i0 + K]
        # successors of (i, j): (i, j + 1) at nx[k] [LEFT], (i + 1, j) at nx[k + 1] [UP],
        # (i + 1, j + 1) at nd[k] [DIAG]
        a = off[t + 1] + i0
        nx = ES[a : a + K + 1]
        wl = w1[2, i0 : i0 + K]
        wu = w1[1, i0 + 1 : i0 + 1 + K]
        b = off[t + 2] + i0 + 1
        nd = ES[b : b + K]
        wd = w2[0, i0 + 1 : i0 + 1 + K]
        for k in range(K):
            cur[k] = nx[k] * wl[k] + nx[k + 1] * wu[k] + nd[k] * wd[k]


@njit(**JIT)
def _hvp_one(W, S, ES, ZS, gamma, lx, ly, cells, off, Rd, Ed):
    """Hessian-vector product (skewed); ``Rd`` and ``Ed`` must be zero on entry."""
    inv_gamma = 1.0 / gamma
    # Forward tangent: Rd[cell] = Z[cell] + sum_k w_k Rd[pred_k].
    for t in range(2, lx + ly + 1):
        i0, K = cells[t, 0], cells[t, 1]
        a = off[t] + i0
        cur = Rd[a : a + K]
        reach = S[a : a + K]
        z = ZS[a : a + K]
        wd, wu, wl = _weight_views(W, a, K)
        up, dg = _preds(Rd, off, t, i0, K)
        for k in range(K):
            v = z[k] + wd[k] * dg[k] + wu[k] * up[k] + wl[k] * up[k + 1]
            cur[k] = v if reach[k] < INF else 0.0
    # Reverse: Ed[p] = sum_s w_sp (Ed[s] + E[s] (Rd[s] - Z[s] - Rd[p]) / gamma).
    for t in range(lx + ly - 1, 1, -1):
        i0, K = cells[t, 0], cells[t, 1]
        a0 = off[t] + i0
        cur = Ed[a0 : a0 + K]
        reach = S[a0 : a0 + K]
        rd = Rd[a0 : a0 + K]
        a = off[t + 1] + i0  # LEFT at a + k, UP at a + k + 1
        ed1 = Ed[a : a + K + 1]
        e1 = ES[a : a + K + 1]
        rd1 = Rd[a : a + K + 1]
        z1 = ZS[a : a + K + 1]
        wl = W[2, a : a + K]
        wu = W[1, a + 1 : a + 1 + K]
        b = off[t + 2] + i0 + 1  # DIAG at b + k
        ed2 = Ed[b : b + K]
        e2 = ES[b : b + K]
        rd2 = Rd[b : b + K]
        z2 = ZS[b : b + K]
        wd = W[0, b : b + K]
        for k in range(K):
            rdp = rd[k]
            v = wl[k] * (ed1[k] + e1[k] * (rd1[k] - z1[k] - rdp) * inv_gamma)
            v += wu[k] * (ed1[k + 1] + e1[k + 1] * (rd1[k + 1] - z1[k + 1] - rdp) * inv_gamma)
            v += wd[k] * (ed2[k] + e2[k] * (rd2[k] - z2[k] - rdp) * inv_gamma)
            cur[k] = v if reach[k] < INF else 0.0
    return _end(Rd, cells, off, lx, ly, 0.0)


# --------------------------------------------------------------------------------------
# Batched entry points (parallel over the batch)
# --------------------------------------------------------------------------------------
@njit(**_PAR)
def softdtw_values(D, gamma, lx, ly, lo, hi):
    """Soft-DTW values ``(B,)`` of ``D`` ``(B, n, m)`` (no table kept)."""
    B = D.shape[0]
    val = np.empty(B)
    for b in prange(B):
        cells, off, L = band_layout(lo[b], hi[b], lx[b], ly[b])
        DS = np.empty(L)
        S = np.empty(L)
        _skew(D[b], cells, off, DS)
        _forward_one(DS, gamma, lx[b], ly[b], lo[b], hi[b], cells, off, S)
        val[b] = _end(S, cells, off, lx[b], ly[b], INF)
    return val


# The tables a forward keeps for the backward are (B, L) (L the largest of the batch's
# band layouts, batch_table_size); each problem's layout is recomputed where it is read.
@njit(**_PAR)
def softdtw_forward(D, gamma, lx, ly, lo, hi):
    """Skewed tables ``S`` ``(B, L)`` and values ``(B,)`` (the backward recomputes the
    weights from ``S`` alone)."""
    B = D.shape[0]
    S = np.empty((B, batch_table_size(lx, ly, lo, hi)))
    val = np.empty(B)
    for b in prange(B):
        cells, off, L = band_layout(lo[b], hi[b], lx[b], ly[b])
        DS = np.empty(L)
        _skew(D[b], cells, off, DS)
        _forward_one(DS, gamma, lx[b], ly[b], lo[b], hi[b], cells, off, S[b])
        val[b] = _end(S[b], cells, off, lx[b], ly[b], INF)
    return S, val


@njit(**_PAR)
def softdtw_forward_weights(D, gamma, lx, ly, lo, hi):
    """Skewed tables ``S`` ``(B, L)``, values ``(B,)`` and weights ``W`` ``(B, 3, L)``."""
    B = D.shape[0]
    L = batch_table_size(lx, ly, lo, hi)
    S = np.empty((B, L))
    W = np.empty((B, 3, L))  # the forward writes every cell the backward reads
    val = np.empty(B)
    for b in prange(B):
        cells, off, Lb = band_layout(lo[b], hi[b], lx[b], ly[b])
        DS = np.empty(Lb)
        _skew(D[b], cells, off, DS)
        _forward_weights_one(DS, gamma, lx[b], ly[b], lo[b], hi[b], cells, off, S[b], W[b])
        val[b] = _end(S[b], cells, off, lx[b], ly[b], INF)
    return S, val, W


@njit(**_PAR)
def softdtw_backward_weights(W, S, lx, ly, lo, hi, n, m):
    """Expected alignments ``E`` ``(B, n, m)`` from the stored weights."""
    B = W.shape[0]
    E = np.empty((B, n, m))
    for b in prange(B):
        cells, off, L = band_layout(lo[b], hi[b], lx[b], ly[b])
        ES = np.empty(L)
        _backward_one(W[b], S[b], lx[b], ly[b], cells, off, ES)
        _unskew(ES, cells, off, E[b])
    return E


@njit(**_PAR)
def softdtw_backward(S, gamma, lx, ly, lo, hi, n, m):
    """Expected alignments ``E`` ``(B, n, m)``, the weights recomputed per problem."""
    B = S.shape[0]
    E = np.empty((B, n, m))
    for b in prange(B):
        cells, off, L = band_layout(lo[b], hi[b], lx[b], ly[b])
        ES = np.empty(L)
        _backward_recompute_one(S[b], gamma, lo[b], hi[b], lx[b], ly[b], cells, off, ES)
        _unskew(ES, cells, off, E[b])
    return E


@njit(**JIT)
def _hvp_problem(W, S, E, Z, gamma, lx, ly, cells, off, L, Ed):
    ES = np.zeros(L)
    ZS = np.zeros(L)
    _skew(E, cells, off, ES)
    _skew(Z, cells, off, ZS)
    Rd = np.zeros(L)
    EdS = np.zeros(L)
    dv = _hvp_one(W, S, ES, ZS, gamma, lx, ly, cells, off, Rd, EdS)
    _unskew(EdS, cells, off, Ed)
    return dv


@njit(**_PAR)
def softdtw_hvp_weights(W, S, E, Z, gamma, lx, ly, lo, hi):
    """Hessian-vector products ``(B, n, m)`` and ``<E, Z>`` ``(B,)`` from stored weights."""
    B, n, m = E.shape
    Ed = np.empty((B, n, m))
    dv = np.empty(B)
    for b in prange(B):
        cells, off, L = band_layout(lo[b], hi[b], lx[b], ly[b])
        dv[b] = _hvp_problem(W[b], S[b], E[b], Z[b], gamma, lx[b], ly[b], cells, off, L, Ed[b])
    return Ed, dv


@njit(**_PAR)
def softdtw_hvp(S, E, Z, gamma, lx, ly, lo, hi):
    """As :func:`softdtw_hvp_weights`, the weights recomputed per problem."""
    B, n, m = E.shape
    Ed = np.empty((B, n, m))
    dv = np.empty(B)
    for b in prange(B):
        cells, off, L = band_layout(lo[b], hi[b], lx[b], ly[b])
        W = np.zeros((3, L))
        _weights_one(S[b], gamma, lo[b], hi[b], lx[b], ly[b], cells, off, W)
        dv[b] = _hvp_problem(W, S[b], E[b], Z[b], gamma, lx[b], ly[b], cells, off, L, Ed[b])
    return Ed, dv


# The squared Euclidean kernels take the series transposed, ``y`` reversed (see
# ._diag_layout._transposed).
@njit(**JIT)
def _skew_sqeuclidean(xT, yrT, cells, off, DS):
    # DS[cell (i, j)] = ||x[i - 1] - y[j - 1]||^2 on the admissible cells
    for t in range(2, cells.shape[0]):
        i0, K = cells[t, 0], cells[t, 1]
        _diag_sqeuclidean(xT, yrT, t, i0, K, DS[off[t] + i0 : off[t] + i0 + K])


@njit(**JIT)
def _sqeuclidean_chain(xT, yrT, ES, cells, off, gxT, gyrT):
    # dV/dx and dV/dy of the squared Euclidean cost from the expected alignment ES.
    for t in range(2, cells.shape[0]):
        i0, K = cells[t, 0], cells[t, 1]
        _chain_diag(xT, yrT, ES, off, t, i0, K, gxT, gyrT)


@njit(**_PAR)
def sqeuclidean_value_grad(X, Y, gamma, lx, ly, lo, hi, weights_max, scaled):
    """Soft-DTW values ``(B,)`` of the squared Euclidean costs of ``X`` ``(B, n, d)`` and
    ``Y`` ``(B, m, d)``, with their gradients ``(B, n, d)``, ``(B, m, d)``.

    Each problem runs its forward, backward and chain rule at once, in scratch tables that
    stay in the core's cache: nothing of size ``(B, n, m)`` is allocated.  With
    ``scaled``, a problem runs in the scaled probability domain first and in the log
    domain only when that route cannot vouch for it; there, problems of more than
    ``weights_max`` table cells keep no weight table (the backward recomputes them)."""
    B, n, d = X.shape
    m = Y.shape[1]
    XT, YrT = _transposed(X, Y)
    val = np.empty(B)
    GX = np.empty((B, n, d))
    GY = np.empty((B, m, d))
    for b in prange(B):
        cells, off, L = band_layout(lo[b], hi[b], lx[b], ly[b])
        store = L <= weights_max
        gxT = np.zeros((d, n))
        gyrT = np.zeros((d, m))
        v = np.nan
        if scaled:
            v = scaled_value_grad_one(
                XT[b], YrT[b], gamma, lx[b], ly[b], lo[b], hi[b], cells, off, L, True, gxT, gyrT
            )
        if v != v:
            DS = np.empty(L)
            S = np.empty(L)
            ES = np.empty(L)
            _skew_sqeuclidean(XT[b], YrT[b], cells, off, DS)
            if store:
                W = np.empty((3, L))
                _forward_weights_one(DS, gamma, lx[b], ly[b], lo[b], hi[b], cells, off, S, W)
                _backward_one(W, S, lx[b], ly[b], cells, off, ES)
            else:
                _forward_one(DS, gamma, lx[b], ly[b], lo[b], hi[b], cells, off, S)
                _backward_recompute_one(S, gamma, lo[b], hi[b], lx[b], ly[b], cells, off, ES)
            v = _end(S, cells, off, lx[b], ly[b], INF)
            _sqeuclidean_chain(XT[b], YrT[b], ES, cells, off, gxT, gyrT)
        val[b] = v
        _untranspose(gxT, gyrT, GX[b], GY[b])
    return val, GX, GY


@njit(**JIT)
def _skew_time_gaps(ly, cells, off, ZS):
    # ZS[cell (i + 1, j + 1)] = (i - j)^2 / ly^2 on the admissible cells: DILATE's
    # Omega / k^2, k the target length.
    inv = 1.0 / (ly * ly)
    for t in range(2, cells.shape[0]):
        i0, K = cells[t, 0], cells[t, 1]
        for i in range(i0, i0 + K):
            gap = 2 * i - t  # (i - 1) - (t - i - 1)
            ZS[off[t] + i] = gap * gap * inv


@njit(**_PAR)
def dilate_value_grad(X, Y, gamma, lx, ly, lo, hi, grad):
    """DILATE's two terms for outputs ``X`` ``(B, n, d)`` and targets ``Y`` ``(B, m, d)``.

    Returns ``shape`` ``(B,)`` (soft-DTW of the squared Euclidean costs), ``temporal``
    ``(B,)`` (``<E, Omega> / k^2``, ``k = ly``) and, when ``grad``, the gradients of each
    term w.r.t. ``X`` and ``Y``: ``GXs, GYs`` from ``E``, ``GXt, GYt`` from the
    Hessian-vector product ``(d^2 V / dD^2)(Omega / k^2)``, both chained through the cost
    (empty ``(0, ., d)`` arrays without ``grad``)."""
    B, n, d = X.shape
    m = Y.shape[1]
    XT, YrT = _transposed(X, Y)
    shape = np.empty(B)
    temporal = np.empty(B)
    G = B if grad else 0
    GXs = np.empty((G, n, d))
    GYs = np.empty((G, m, d))
    GXt = np.empty((G, n, d))
    GYt = np.empty((G, m, d))
    for b in prange(B):
        cells, off, L = band_layout(lo[b], hi[b], lx[b], ly[b])
        DS = np.empty(L)
        S = np.empty(L)
        W = np.empty((3, L))
        ES = np.empty(L)
        ZS = np.zeros(L)
        _skew_sqeuclidean(XT[b], YrT[b], cells, off, DS)
        _forward_weights_one(DS, gamma, lx[b], ly[b], lo[b], hi[b], cells, off, S, W)
        shape[b] = _end(S, cells, off, lx[b], ly[b], INF)
        _backward_one(W, S, lx[b], ly[b], cells, off, ES)
        _skew_time_gaps(ly[b], cells, off, ZS)
        if grad:
            Rd = np.zeros(L)
            Ed = np.zeros(L)
            temporal[b] = _hvp_one(W, S, ES, ZS, gamma, lx[b], ly[b], cells, off, Rd, Ed)
            gxT = np.zeros((d, n))
            gyrT = np.zeros((d, m))
            _sqeuclidean_chain(XT[b], YrT[b], ES, cells, off, gxT, gyrT)
            _untranspose(gxT, gyrT, GXs[b], GYs[b])
            gxT[:, :] = 0.0
            gyrT[:, :] = 0.0
            _sqeuclidean_chain(XT[b], YrT[b], Ed, cells, off, gxT, gyrT)
            _untranspose(gxT, gyrT, GXt[b], GYt[b])
        else:
            acc = 0.0
            for t in range(2, cells.shape[0]):
                a = off[t] + cells[t, 0]
                for k in range(cells[t, 1]):
                    acc += ES[a + k] * ZS[a + k]
            temporal[b] = acc
    return shape, temporal, GXs, GYs, GXt, GYt


@njit(**_PAR)
def sqeuclidean_values(X, Y, gamma, lx, ly, lo, hi, scaled):
    """Values only of :func:`sqeuclidean_value_grad` ``(B,)``."""
    B = X.shape[0]
    XT, YrT = _transposed(X, Y)
    val = np.empty(B)
    for b in prange(B):
        val[b] = _value_one(XT[b], YrT[b], gamma, lx[b], ly[b], lo[b], hi[b], scaled)
    return val


@njit(**JIT)
def _value_one(xT, yrT, gamma, lx, ly, lo, hi, scaled):
    # One soft-DTW value, scaled domain first when `scaled`.
    cells, off, L = band_layout(lo, hi, lx, ly)
    v = np.nan
    if scaled:
        no_grad = np.empty((0, 0))
        v = scaled_value_grad_one(
            xT, yrT, gamma, lx, ly, lo, hi, cells, off, L, False, no_grad, no_grad
        )
    if v != v:
        DS = np.empty(L)
        S = np.empty(L)
        _skew_sqeuclidean(xT, yrT, cells, off, DS)
        _forward_one(DS, gamma, lx, ly, lo, hi, cells, off, S)
        v = _end(S, cells, off, lx, ly, INF)
    return v


@njit(**_PAR)
def softdtw_pairs_value(X, Y, lx, ly, ii, jj, gamma, kind, param):
    """Soft-DTW values of the pairs ``(X[ii[p]], Y[jj[p]])`` with squared Euclidean cost."""
    P = ii.shape[0]
    n = X.shape[1]
    XT, YrT = _transposed(X, Y)
    out = np.empty(P)
    for p in prange(P):
        a = ii[p]
        c = jj[p]
        lo, hi, ok = pair_band(kind, param, lx[a], ly[c], n)
        if not ok:
            out[p] = INF
            continue
        out[p] = _value_one(XT[a], YrT[c], gamma, lx[a], ly[c], lo, hi, True)
    return out


# Thread count by work size (see :mod:`._numba_threads`).
softdtw_values = sized(softdtw_values, batch_work)
softdtw_forward = sized(softdtw_forward, batch_work)
softdtw_forward_weights = sized(softdtw_forward_weights, batch_work)
softdtw_backward = sized(softdtw_backward, flat_work)
softdtw_backward_weights = sized(softdtw_backward_weights, flat_work)
softdtw_hvp = sized(softdtw_hvp, flat_work)
softdtw_hvp_weights = sized(softdtw_hvp_weights, flat_work)
softdtw_pairs_value = sized(softdtw_pairs_value, pairs_work)
sqeuclidean_value_grad = sized(sqeuclidean_value_grad, series_work)
sqeuclidean_values = sized(sqeuclidean_values, series_work)
dilate_value_grad = sized(dilate_value_grad, series_work)

"""Soft-DTW kernels on the anti-diagonal layout, vectorised (numba, CPU).

A row-major sweep computes one cell after the other: each cell waits for its left
neighbour, so the soft minimum's ``exp`` / ``log`` run one at a time (about 43 ns a cell
with libm, tsgrad's kernels before this layout).  The cells of an anti-diagonal
``i + j = t`` depend only on the two previous anti-diagonals, so here the tables are stored
diagonal by diagonal and every diagonal is one loop without dependencies, with the
branch-free ``exp`` / ``log`` of :mod:`._fastmath`: LLVM vectorises it.

The table layout is that of :mod:`._diag_layout`; the conventions those of
:mod:`._numba_dp`: element ``b`` uses rows ``i < lx[b]``, columns ``j < ly[b]`` and the
band ``lo[b, i] <= j < hi[b, i]``; ``S`` (the table ``R``) is float64, ``+inf`` outside
the band; ``W[b, k]`` holds the soft-min weight of predecessor ``k`` (DIAG, UP, LEFT) of
every cell.

The squared-Euclidean entry points at the end first try each problem in the scaled
probability domain (:mod:`._numba_scaled`, about twice as fast) and run the log-domain
kernels here for the problems that route cannot vouch for.

Tested against a first-principles autograd reference and brute force
(``tests/losses/test_diag_kernels.py``).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._diag_layout import (
    _PAR,
    _VEC,
    INF,
    _borders,
    _cells,
    _chain_diag,
    _diag_sqeuclidean,
    _fill_frame,
    _padded_band,
    _preds,
    _skew,
    _transposed,
    _unskew,
    _untranspose,
    _weight_views,
    _zero_frame,
    diag_offsets,
)
from ._fastmath import JIT, exp_neg, softmin, softmin_weights
from ._numba_dp import _batch_work, _fill_band_one, _pairs_work, _sized
from ._numba_lanes import LANES, block_sqeuclidean
from ._numba_scaled import scaled_value_grad_one

# Problems of more cells than this do not keep a weight table in the fused kernels' log
# domain (the scaled route needs none): their backward recomputes each weight where it is
# used, with 24 bytes of scratch per cell instead of 48 (a 5000 x 5000 pair would need
# 1.2 GB with the table).  Below it the table
# is faster: measured on 2 threads (forward + backward + chain rule, best of 7-15, stored /
# recomputed weights): B=64 n=100 4.3 / 5.1 ms, B=64 n=180 12.4 / 15.6 ms, B=256 n=256
# 130 / 156 ms.
_SCRATCH_WEIGHTS_MAX = 1 << 21


# The inner loops below index slices of the tables from 0 (``k = i - i0``): numba then knows
# the indices are non-negative, emits no wrap-around code, and LLVM vectorises the loop.
@njit(**JIT)
def _forward_one(DS, gamma, lx, ly, lo, hi, off, S):
    inv_gamma = 1.0 / gamma
    _borders(S, lx, ly, off)
    lo, hi = _padded_band(lo, hi, lx)
    for t in range(2, lx + ly + 1):
        i0, K = _cells(t, lx, ly)
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
def _forward_weights_one(DS, gamma, lx, ly, lo, hi, off, S, W):
    inv_gamma = 1.0 / gamma
    _borders(S, lx, ly, off)
    lo, hi = _padded_band(lo, hi, lx)
    for t in range(2, lx + ly + 1):
        i0, K = _cells(t, lx, ly)
        K = (K + _VEC - 1) // _VEC * _VEC
        a = off[t] + i0
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
        _zero_frame(W[r], lx, ly, off)


@njit(**JIT)
def _weights_one(DS, S, gamma, lx, ly, off, W):
    """Soft-min weights recomputed from the table: ``exp((R - D - r_pred) / gamma)``."""
    inv_gamma = 1.0 / gamma
    for t in range(2, lx + ly + 1):
        i0, K = _cells(t, lx, ly)
        a = off[t] + i0
        cur = S[a : a + K]
        cost = DS[a : a + K]
        wd, wu, wl = _weight_views(W, a, K)
        up, dg = _preds(S, off, t, i0, K)
        for k in range(K):
            r = cur[k]
            base = r - cost[k]
            xa = (base - dg[k]) * inv_gamma
            xb = (base - up[k]) * inv_gamma
            xc = (base - up[k + 1]) * inv_gamma
            ea = exp_neg(xa if xa < 0.0 else 0.0)  # unconditional: a select, not a branch
            eb = exp_neg(xb if xb < 0.0 else 0.0)
            ec = exp_neg(xc if xc < 0.0 else 0.0)
            reach = r < INF
            wd[k] = ea if reach else 0.0
            wu[k] = eb if reach else 0.0
            wl[k] = ec if reach else 0.0
    for r in range(3):
        _zero_frame(W[r], lx, ly, off)


@njit(**JIT)
def _backward_one(W, S, lx, ly, off, ES):
    """Expected alignment (skewed) from the weights (zero frame: see :func:`_zero_frame`)."""
    if S[off[lx + ly] + lx] == INF:  # no admissible path: E = 0
        ES[:] = 0.0
        return
    _zero_frame(ES, lx, ly, off)
    ES[off[lx + ly] + lx] = 1.0
    for t in range(lx + ly - 1, 1, -1):
        i0, K = _cells(t, lx, ly)
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
def _backward_recompute_one(DS, S, gamma, lx, ly, off, ES):
    """As :func:`_backward_one`, each weight recomputed where it is used,
    ``exp((R_s - D_s - R_p) / gamma)``: no weight table (3 exponentials per cell).

    Writes the frame of ``S`` (+inf) and ``DS`` (0) so that successors outside the problem
    get weight 0 through ``E = 0``; cells without a path have ``E = 0``, so a NaN-free
    product needs no other test.
    """
    if S[off[lx + ly] + lx] == INF:
        ES[:] = 0.0
        return
    inv_gamma = 1.0 / gamma
    _zero_frame(ES, lx, ly, off)
    _fill_frame(S, lx, ly, off, INF)
    _fill_frame(DS, lx, ly, off, 0.0)
    ES[off[lx + ly] + lx] = 1.0
    for t in range(lx + ly - 1, 1, -1):
        i0, K = _cells(t, lx, ly)
        cur = ES[off[t] + i0 : off[t] + i0 + K]
        r = S[off[t] + i0 : off[t] + i0 + K]
        a = off[t + 1] + i0  # LEFT successor at a + k, UP at a + k + 1
        e1 = ES[a : a + K + 1]
        s1 = S[a : a + K + 1]
        d1 = DS[a : a + K + 1]
        b = off[t + 2] + i0 + 1  # DIAG successor at b + k
        e2 = ES[b : b + K]
        s2 = S[b : b + K]
        d2 = DS[b : b + K]
        for k in range(K):
            p = r[k]
            xl = (s1[k] - d1[k] - p) * inv_gamma
            xu = (s1[k + 1] - d1[k + 1] - p) * inv_gamma
            xd = (s2[k] - d2[k] - p) * inv_gamma
            wl = exp_neg(xl if xl < 0.0 else 0.0)
            wu = exp_neg(xu if xu < 0.0 else 0.0)
            wd = exp_neg(xd if xd < 0.0 else 0.0)
            cur[k] = e1[k] * wl + e1[k + 1] * wu + e2[k] * wd


@njit(**JIT)
def _hvp_one(W, S, ES, ZS, gamma, lx, ly, off, Rd, Ed):
    """Hessian-vector product (skewed); ``Rd`` and ``Ed`` must be zero on entry."""
    inv_gamma = 1.0 / gamma
    # Forward tangent: Rd[cell] = Z[cell] + sum_k w_k Rd[pred_k].
    for t in range(2, lx + ly + 1):
        i0, K = _cells(t, lx, ly)
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
        i0, K = _cells(t, lx, ly)
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
    return Rd[off[lx + ly] + lx]


# --------------------------------------------------------------------------------------
# Batched entry points (parallel over the batch)
# --------------------------------------------------------------------------------------
@njit(**_PAR)
def softdtw_values(D, gamma, lx, ly, lo, hi):
    """Soft-DTW values ``(B,)`` of ``D`` ``(B, n, m)`` (no table kept)."""
    B, n, m = D.shape
    off, L = diag_offsets(n, m)
    val = np.empty(B)
    for b in prange(B):
        DS = np.empty(L)
        S = np.empty(L)
        _skew(D[b], lx[b], ly[b], off, DS)
        _forward_one(DS, gamma, lx[b], ly[b], lo[b], hi[b], off, S)
        val[b] = S[off[lx[b] + ly[b]] + lx[b]]
    return val


@njit(**_PAR)
def softdtw_forward(D, gamma, lx, ly, lo, hi):
    """Skewed tables ``S`` ``(B, L)``, values ``(B,)`` and skewed costs ``DS`` ``(B, L)``.

    ``DS`` has the dtype of ``D`` (float32 stays float32).
    """
    B, n, m = D.shape
    off, L = diag_offsets(n, m)
    S = np.empty((B, L))
    DS = np.empty((B, L), dtype=D.dtype)
    val = np.empty(B)
    for b in prange(B):
        _skew(D[b], lx[b], ly[b], off, DS[b])
        _forward_one(DS[b], gamma, lx[b], ly[b], lo[b], hi[b], off, S[b])
        val[b] = S[b, off[lx[b] + ly[b]] + lx[b]]
    return S, val, DS


@njit(**_PAR)
def softdtw_forward_weights(D, gamma, lx, ly, lo, hi):
    """Skewed tables ``S`` ``(B, L)``, values ``(B,)`` and weights ``W`` ``(B, 3, L)``."""
    B, n, m = D.shape
    off, L = diag_offsets(n, m)
    S = np.empty((B, L))
    W = np.empty((B, 3, L))  # the forward writes every cell the backward reads
    val = np.empty(B)
    for b in prange(B):
        DS = np.empty(L)
        _skew(D[b], lx[b], ly[b], off, DS)
        _forward_weights_one(DS, gamma, lx[b], ly[b], lo[b], hi[b], off, S[b], W[b])
        val[b] = S[b, off[lx[b] + ly[b]] + lx[b]]
    return S, val, W


@njit(**_PAR)
def softdtw_backward_weights(W, S, lx, ly, n, m):
    """Expected alignments ``E`` ``(B, n, m)`` from the stored weights."""
    B = W.shape[0]
    off, L = diag_offsets(n, m)
    E = np.empty((B, n, m))
    for b in prange(B):
        ES = np.empty(L)
        _backward_one(W[b], S[b], lx[b], ly[b], off, ES)
        _unskew(ES, lx[b], ly[b], off, E[b])
    return E


@njit(**_PAR)
def softdtw_backward(DS, S, gamma, lx, ly, n, m):
    """Expected alignments ``E`` ``(B, n, m)``, the weights recomputed per problem."""
    B = S.shape[0]
    off, L = diag_offsets(n, m)
    E = np.empty((B, n, m))
    for b in prange(B):
        ES = np.empty(L)
        _backward_recompute_one(DS[b], S[b], gamma, lx[b], ly[b], off, ES)
        _unskew(ES, lx[b], ly[b], off, E[b])
    return E


@njit(**JIT)
def _hvp_problem(W, S, E, Z, gamma, lx, ly, off, L, Ed):
    ES = np.zeros(L)
    ZS = np.zeros(L)
    _skew(E, lx, ly, off, ES)
    _skew(Z, lx, ly, off, ZS)
    Rd = np.zeros(L)
    EdS = np.zeros(L)
    dv = _hvp_one(W, S, ES, ZS, gamma, lx, ly, off, Rd, EdS)
    _unskew(EdS, lx, ly, off, Ed)
    return dv


@njit(**_PAR)
def softdtw_hvp_weights(W, S, E, Z, gamma, lx, ly):
    """Hessian-vector products ``(B, n, m)`` and ``<E, Z>`` ``(B,)`` from stored weights."""
    B, n, m = E.shape
    off, L = diag_offsets(n, m)
    Ed = np.empty((B, n, m))
    dv = np.empty(B)
    for b in prange(B):
        dv[b] = _hvp_problem(W[b], S[b], E[b], Z[b], gamma, lx[b], ly[b], off, L, Ed[b])
    return Ed, dv


@njit(**_PAR)
def softdtw_hvp(DS, S, E, Z, gamma, lx, ly):
    """As :func:`softdtw_hvp_weights`, the weights recomputed per problem."""
    B, n, m = E.shape
    off, L = diag_offsets(n, m)
    Ed = np.empty((B, n, m))
    dv = np.empty(B)
    for b in prange(B):
        W = np.zeros((3, L))
        _weights_one(DS[b], S[b], gamma, lx[b], ly[b], off, W)
        dv[b] = _hvp_problem(W, S[b], E[b], Z[b], gamma, lx[b], ly[b], off, L, Ed[b])
    return Ed, dv


# The squared Euclidean kernels take the series transposed, ``y`` reversed (see
# ._diag_layout._transposed).
@njit(**JIT)
def _skew_sqeuclidean(xT, yrT, lx, ly, off, DS):
    # DS[cell (i, j)] = ||x[i - 1] - y[j - 1]||^2
    for t in range(2, lx + ly + 1):
        i0, K = _cells(t, lx, ly)
        _diag_sqeuclidean(xT, yrT, t, i0, K, DS[off[t] + i0 : off[t] + i0 + K])


@njit(**JIT)
def _sqeuclidean_chain(xT, yrT, ES, lx, ly, off, gxT, gyrT):
    # dV/dx and dV/dy of the squared Euclidean cost from the expected alignment ES.
    for t in range(2, lx + ly + 1):
        i0, K = _cells(t, lx, ly)
        _chain_diag(xT, yrT, ES, off, t, i0, K, gxT, gyrT)


@njit(**_PAR)
def _value_grad_diag(X, Y, gamma, lx, ly, lo, hi, weights_max, scaled):
    """Anti-diagonal route of :func:`softdtw_sqeuclidean_value_grad`: each problem in the
    scaled domain when ``scaled`` and that route vouches for it, in the log domain
    otherwise; there, problems of more than ``weights_max`` cells keep no weight table
    (see ``_SCRATCH_WEIGHTS_MAX``)."""
    B, n, d = X.shape
    m = Y.shape[1]
    off, L = diag_offsets(n, m)
    XT, YrT = _transposed(X, Y)
    val = np.empty(B)
    GX = np.empty((B, n, d))
    GY = np.empty((B, m, d))
    store = L <= weights_max
    for b in prange(B):
        gxT = np.zeros((d, n))
        gyrT = np.zeros((d, m))
        v = np.nan
        if scaled:
            v = scaled_value_grad_one(
                XT[b], YrT[b], gamma, lx[b], ly[b], lo[b], hi[b], off, L, True, gxT, gyrT
            )
        if v != v:
            DS = np.empty(L)
            S = np.empty(L)
            ES = np.empty(L)
            _skew_sqeuclidean(XT[b], YrT[b], lx[b], ly[b], off, DS)
            if store:
                W = np.empty((3, L))
                _forward_weights_one(DS, gamma, lx[b], ly[b], lo[b], hi[b], off, S, W)
                _backward_one(W, S, lx[b], ly[b], off, ES)
            else:
                _forward_one(DS, gamma, lx[b], ly[b], lo[b], hi[b], off, S)
                _backward_recompute_one(DS, S, gamma, lx[b], ly[b], off, ES)
            v = S[off[lx[b] + ly[b]] + lx[b]]
            _sqeuclidean_chain(XT[b], YrT[b], ES, lx[b], ly[b], off, gxT, gyrT)
        val[b] = v
        _untranspose(gxT, gyrT, GX[b], GY[b])
    return val, GX, GY


@njit(**JIT)
def _skew_time_gaps(lx, ly, off, ZS):
    # ZS[cell (i + 1, j + 1)] = (i - j)^2 / ly^2: DILATE's Omega / k^2, k the target length.
    inv = 1.0 / (ly * ly)
    for i in range(lx):
        for j in range(ly):
            ZS[off[i + j + 2] + i + 1] = (i - j) * (i - j) * inv


@njit(**_PAR)
def _dilate_diag(X, Y, gamma, lx, ly, lo, hi, grad):
    """Anti-diagonal route of :func:`dilate_value_grad`."""
    B, n, d = X.shape
    m = Y.shape[1]
    off, L = diag_offsets(n, m)
    XT, YrT = _transposed(X, Y)
    shape = np.empty(B)
    temporal = np.empty(B)
    G = B if grad else 0
    GXs = np.empty((G, n, d))
    GYs = np.empty((G, m, d))
    GXt = np.empty((G, n, d))
    GYt = np.empty((G, m, d))
    for b in prange(B):
        DS = np.empty(L)
        S = np.empty(L)
        W = np.empty((3, L))
        ES = np.empty(L)
        ZS = np.zeros(L)
        _skew_sqeuclidean(XT[b], YrT[b], lx[b], ly[b], off, DS)
        _forward_weights_one(DS, gamma, lx[b], ly[b], lo[b], hi[b], off, S, W)
        shape[b] = S[off[lx[b] + ly[b]] + lx[b]]
        _backward_one(W, S, lx[b], ly[b], off, ES)
        _skew_time_gaps(lx[b], ly[b], off, ZS)
        if grad:
            Rd = np.zeros(L)
            Ed = np.zeros(L)
            temporal[b] = _hvp_one(W, S, ES, ZS, gamma, lx[b], ly[b], off, Rd, Ed)
            gxT = np.zeros((d, n))
            gyrT = np.zeros((d, m))
            _sqeuclidean_chain(XT[b], YrT[b], ES, lx[b], ly[b], off, gxT, gyrT)
            _untranspose(gxT, gyrT, GXs[b], GYs[b])
            gxT[:, :] = 0.0
            gyrT[:, :] = 0.0
            _sqeuclidean_chain(XT[b], YrT[b], Ed, lx[b], ly[b], off, gxT, gyrT)
            _untranspose(gxT, gyrT, GXt[b], GYt[b])
        else:
            acc = 0.0
            for i in range(1, lx[b] + 1):
                for j in range(1, ly[b] + 1):
                    pos = off[i + j] + i
                    acc += ES[pos] * ZS[pos]
            temporal[b] = acc
    return shape, temporal, GXs, GYs, GXt, GYt


@njit(**_PAR)
def _values_diag(X, Y, gamma, lx, ly, lo, hi, scaled):
    """Anti-diagonal route of :func:`softdtw_sqeuclidean_values` (``scaled``: as in
    :func:`_value_grad_diag`)."""
    B, n, d = X.shape
    m = Y.shape[1]
    off, L = diag_offsets(n, m)
    XT, YrT = _transposed(X, Y)
    val = np.empty(B)
    for b in prange(B):
        val[b] = _value_one(XT[b], YrT[b], gamma, lx[b], ly[b], lo[b], hi[b], off, L, scaled)
    return val


@njit(**JIT)
def _value_one(xT, yrT, gamma, lx, ly, lo, hi, off, L, scaled):
    # One soft-DTW value, scaled domain first when `scaled`.
    v = np.nan
    if scaled:
        no_grad = np.empty((0, 0))
        v = scaled_value_grad_one(xT, yrT, gamma, lx, ly, lo, hi, off, L, False, no_grad, no_grad)
    if v != v:
        DS = np.empty(L)
        S = np.empty(L)
        _skew_sqeuclidean(xT, yrT, lx, ly, off, DS)
        _forward_one(DS, gamma, lx, ly, lo, hi, off, S)
        v = S[off[lx + ly] + lx]
    return v


@njit(**JIT)
def _pair_band(kind, param, lx, ly, n):
    """Row band ``(lo, hi)`` of one ``(lx, ly)`` pair, and whether it admits a path."""
    lo = np.empty(n, dtype=np.int64)
    hi = np.empty(n, dtype=np.int64)
    return lo, hi, _fill_band_one(kind, param, lx, ly, lo, hi)


@njit(**_PAR)
def softdtw_pairs_value(X, Y, lx, ly, ii, jj, gamma, kind, param):
    """Soft-DTW values of the pairs ``(X[ii[p]], Y[jj[p]])`` with squared Euclidean cost."""
    P = ii.shape[0]
    n = X.shape[1]
    m = Y.shape[1]
    off, L = diag_offsets(n, m)
    XT, YrT = _transposed(X, Y)
    out = np.empty(P)
    for p in prange(P):
        a = ii[p]
        c = jj[p]
        lo, hi, ok = _pair_band(kind, param, lx[a], ly[c], n)
        if not ok:
            out[p] = INF
            continue
        out[p] = _value_one(XT[a], YrT[c], gamma, lx[a], ly[c], lo, hi, off, L, True)
    return out


# --------------------------------------------------------------------------------------
# Hard DTW values, three rolling diagonals, cost made on the fly
# --------------------------------------------------------------------------------------
@njit(**JIT)
def _dtw_value_diag(xT, yrT, lx, ly, lo, hi, bufs, cost):
    """DTW accumulated cost of ``x`` (given as ``xT`` ``(d, n)``) and ``y`` (given reversed
    and transposed, ``yrT[:, q] = y[m - 1 - q]``): along a diagonal both are contiguous.

    ``bufs`` ``(3, n + 2)`` holds diagonals ``t``, ``t - 1``, ``t - 2`` indexed by ``i``;
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
        i0, K = _cells(t, lx, ly)
        c = cost[:K]
        _diag_sqeuclidean(xT, yrT, t, i0, K, c)
        cu = cur[i0 : i0 + K]
        up = p1[i0 - 1 : i0 + K]
        dg = p2[i0 - 1 : i0 - 1 + K]
        blo = lo[i0 - 1 : i0 - 1 + K]
        bhi = hi[i0 - 1 : i0 - 1 + K]
        j0 = t - i0 - 1
        for k in range(K):
            a = dg[k]
            b = up[k]
            e = up[k + 1]
            mn = a if a < b else b
            mn = mn if mn < e else e
            j = j0 - k
            cu[k] = c[k] + mn if (j >= blo[k]) & (j < bhi[k]) else INF
    return bufs[(lx + ly) % 3, lx]


@njit(**_PAR)
def dtw_pairs_value(X, Y, lx, ly, ii, jj, kind, param):
    """Hard DTW values (accumulated squared cost) of the pairs ``(X[ii[p]], Y[jj[p]])``.

    Used by ``cdist_dtw`` and the NumPy ``dtw``: no cost matrix is stored (three
    diagonals per pair).  Infeasible constraints give ``inf``.
    """
    P = ii.shape[0]
    n = X.shape[1]
    XT, YrT = _transposed(X, Y)
    out = np.empty(P)
    for p in prange(P):
        a = ii[p]
        c = jj[p]
        lo, hi, ok = _pair_band(kind, param, lx[a], ly[c], n)
        if not ok:
            out[p] = INF
            continue
        bufs = np.empty((3, n + 2))
        cost = np.empty(n + 1)
        out[p] = _dtw_value_diag(XT[a], YrT[c], lx[a], ly[c], lo, hi, bufs, cost)
    return out


# Thread count by work size (see :func:`._numba_dp._sized`).
def _series_work(X, Y, *args):
    return X.shape[0], X.shape[0] * X.shape[1] * Y.shape[1]


def _flat_work(T, *args):  # T: (B, L) or (B, 3, L)
    return T.shape[0], T.shape[0] * T.shape[-1]


softdtw_values = _sized(softdtw_values, _batch_work)
softdtw_forward = _sized(softdtw_forward, _batch_work)
softdtw_forward_weights = _sized(softdtw_forward_weights, _batch_work)
softdtw_backward = _sized(softdtw_backward, _flat_work)
softdtw_backward_weights = _sized(softdtw_backward_weights, _flat_work)
softdtw_hvp = _sized(softdtw_hvp, _flat_work)
softdtw_hvp_weights = _sized(softdtw_hvp_weights, _flat_work)
softdtw_pairs_value = _sized(softdtw_pairs_value, _pairs_work)
dtw_pairs_value = _sized(dtw_pairs_value, _pairs_work)
_value_grad_diag = _sized(_value_grad_diag, _series_work)
_values_diag = _sized(_values_diag, _series_work)
_dilate_diag = _sized(_dilate_diag, _series_work)


# --------------------------------------------------------------------------------------
# Squared-Euclidean entry points: lanes for batches of short series, diagonals otherwise
# --------------------------------------------------------------------------------------
# Problems of at most this many cells run LANES at a time (:mod:`._numba_lanes`) when the
# batch fills at least half a block.  Measured on one thread, B = 100, forward + backward
# (lanes / diagonals in the scaled domain): soft-DTW k = 20: 0.56 / 0.63 ms, k = 24: 0.79
# / 0.77 ms, k = 28: 1.05 / 0.95 ms, k = 32: 1.42 / 1.10 ms; DILATE (log domain; its HVP
# needs seven tables per block, which leave the core's cache sooner) k = 24: 1.0 / 2.4 ms,
# k = 28: 3.3 / 1.9 ms.
LANES_MAX_CELLS = 24 * 24
DILATE_LANES_MAX_CELLS = 24 * 24


@njit(**_PAR)
def _lanes_run(X, Y, gamma, lx, ly, lo, hi, grad, dilate, val, tmp, gxs, gys, gxt, gyt):
    blocks = (X.shape[0] + LANES - 1) // LANES
    for k in prange(blocks):
        block_sqeuclidean(
            X, Y, gamma, lx, ly, lo, hi, k * LANES, grad, dilate, val, tmp, gxs, gys, gxt, gyt
        )


def _lanes_work(X, Y, *args):
    return (X.shape[0] + LANES - 1) // LANES, X.shape[0] * X.shape[1] * Y.shape[1]


_lanes_run = _sized(_lanes_run, _lanes_work)


def _use_lanes(X, Y, max_cells: int = LANES_MAX_CELLS) -> bool:
    return X.shape[1] * Y.shape[1] <= max_cells and X.shape[0] >= LANES // 2


def _lanes(X, Y, gamma, lx, ly, lo, hi, grad: bool, dilate: bool):
    B, n, d = X.shape
    m = Y.shape[1]
    G = B if grad else 0
    out = (
        np.empty(B),
        np.empty(B if dilate else 0),
        np.empty((G, n, d)),
        np.empty((G, m, d)),
        np.empty((G if dilate else 0, n, d)),
        np.empty((G if dilate else 0, m, d)),
    )
    _lanes_run(X, Y, gamma, lx, ly, lo, hi, grad, dilate, *out)
    return out


def softdtw_sqeuclidean_value_grad(X, Y, gamma, lx, ly, lo, hi):
    """Soft-DTW values ``(B,)`` of the squared Euclidean costs of ``X`` ``(B, n, d)`` and
    ``Y`` ``(B, m, d)``, with their gradients ``(B, n, d)``, ``(B, m, d)``.

    Each problem (or block of short ones) runs its forward, backward and chain rule at
    once, in scratch tables that stay in the core's cache: nothing of size ``(B, n, m)``
    is allocated.  Long problems run in the scaled probability domain
    (:mod:`._numba_scaled`) when that route vouches for them, in the log domain otherwise.
    """
    if _use_lanes(X, Y):
        val, _, gx, gy, _, _ = _lanes(X, Y, gamma, lx, ly, lo, hi, True, False)
        return val, gx, gy
    return _value_grad_diag(X, Y, gamma, lx, ly, lo, hi, _SCRATCH_WEIGHTS_MAX, True)


def softdtw_sqeuclidean_values(X, Y, gamma, lx, ly, lo, hi):
    """Values only of :func:`softdtw_sqeuclidean_value_grad` ``(B,)``."""
    if _use_lanes(X, Y):
        return _lanes(X, Y, gamma, lx, ly, lo, hi, False, False)[0]
    return _values_diag(X, Y, gamma, lx, ly, lo, hi, True)


def dilate_value_grad(X, Y, gamma, lx, ly, lo, hi, grad):
    """DILATE's two terms for outputs ``X`` ``(B, n, d)`` and targets ``Y`` ``(B, m, d)``.

    Returns ``shape`` ``(B,)`` (soft-DTW of the squared Euclidean costs), ``temporal``
    ``(B,)`` (``<E, Omega> / k^2``, ``k = ly``) and, when ``grad``, the gradients of each
    term w.r.t. ``X`` and ``Y``: ``GXs, GYs`` from ``E``, ``GXt, GYt`` from the
    Hessian-vector product ``(d^2 V / dD^2)(Omega / k^2)``, both chained through the cost
    (empty ``(0, ., d)`` arrays without ``grad``).
    """
    if _use_lanes(X, Y, DILATE_LANES_MAX_CELLS):
        return _lanes(X, Y, gamma, lx, ly, lo, hi, grad, True)
    return _dilate_diag(X, Y, gamma, lx, ly, lo, hi, grad)

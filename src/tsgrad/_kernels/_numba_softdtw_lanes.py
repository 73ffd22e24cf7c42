"""Soft-DTW and DILATE kernels vectorised across problems ("lanes"), for short series.

The anti-diagonal kernels of :mod:`._numba_softdtw` vectorise along a diagonal; a problem of
``20 x 20`` cells (DILATE's forecasting horizon) has diagonals of 1 to 20 cells, and the
cost of setting up each diagonal loop dominates.  Here ``LANES`` problems of a batch run
side by side instead: every table is ``(n + 2, m + 2, LANES)`` and the innermost loop, over
the lanes, is the vectorised one.  All problems of a block visit every cell of the padded
``(n, m)`` rectangle; cells outside a problem's lengths or band get ``+inf`` and weight 0,
exactly as in :mod:`._numba_softdtw`, whose conventions (weights DIAG, UP, LEFT; row 0 and
column 0 borders, an extra last row and column of zero weights) these kernels share.  A
last, incomplete block repeats its last problem in the spare lanes (results discarded).

The router (:mod:`._router`) sends small problems here (see its table of thresholds).  The
results equal the anti-diagonal kernels' up to rounding (tested).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._diag_layout import _PAR
from ._fastmath import JIT, softmin_weights
from ._numba_threads import sized

INF = np.inf
# 32 lanes of float64: eight AVX2 vectors per cell.  Each cell waits for its left
# neighbour, and a soft minimum takes ~200 cycles from its inputs to its result: with 8
# independent vectors in flight the loop runs at the exponentials' throughput instead.
LANES = 32


@njit(**JIT)
def _gather(X, Y, lx, ly, lo, hi, b0):
    """Block of problems ``b0 .. b0 + LANES - 1`` (the last repeated past the batch)."""
    B, n, d = X.shape
    m = Y.shape[1]
    xb = np.empty((n, d, LANES))
    yb = np.empty((m, d, LANES))
    lob = np.empty((n, LANES), dtype=np.int64)
    hib = np.empty((n, LANES), dtype=np.int64)
    lxb = np.empty(LANES, dtype=np.int64)
    lyb = np.empty(LANES, dtype=np.int64)
    for g in range(LANES):
        b = min(b0 + g, B - 1)
        lxb[g] = lx[b]
        lyb[g] = ly[b]
        for i in range(n):
            lob[i, g] = lo[b, i]
            hib[i, g] = hi[b, i] if i < lx[b] else 0  # rows past the length: empty
            for f in range(d):
                xb[i, f, g] = X[b, i, f] if i < lx[b] else 0.0  # padding may hold NaN
        for j in range(m):
            for f in range(d):
                yb[j, f, g] = Y[b, j, f] if j < ly[b] else 0.0
    return xb, yb, lob, hib, lxb, lyb


@njit(**JIT)
def _forward(xb, yb, lob, hib, gamma, S, W):
    """Tables ``S`` ``(n + 2, m + 2, LANES)`` and weights ``W`` ``(3, n + 2, m + 2, LANES)``."""
    n, d, _ = xb.shape
    m = yb.shape[0]
    inv_gamma = 1.0 / gamma
    S[0, :, :] = INF
    S[:, 0, :] = INF
    S[0, 0, :] = 0.0
    W[:, n + 1, :, :] = 0.0
    W[:, :, m + 1, :] = 0.0
    cost = np.empty(LANES)
    res = np.empty(LANES)
    for i in range(1, n + 1):
        blo = lob[i - 1]
        bhi = hib[i - 1]
        for j in range(1, m + 1):
            # 1-D views indexed from 0: the lane loops vectorise (see _numba_softdtw).
            cost[:] = 0.0
            for f in range(d):
                xa = xb[i - 1, f]
                ya = yb[j - 1, f]
                for g in range(LANES):
                    diff = xa[g] - ya[g]
                    cost[g] += diff * diff
            dg = S[i - 1, j - 1]
            up = S[i - 1, j]
            lf = S[i, j - 1]
            wd = W[0, i, j]
            wu = W[1, i, j]
            wl = W[2, i, j]
            for g in range(LANES):
                v, w0, w1, w2 = softmin_weights(dg[g], up[g], lf[g], gamma, inv_gamma)
                inside = (j - 1 >= blo[g]) & (j - 1 < bhi[g])
                res[g] = cost[g] + v if inside else INF
                wd[g] = w0 if inside else 0.0
                wu[g] = w1 if inside else 0.0
                wl[g] = w2 if inside else 0.0
            # Stored apart from the loop that reads the row: with S both read (the left
            # neighbour) and written in one loop, LLVM's run-time overlap test sends it to
            # the scalar version (measured: 4x slower).
            S[i, j, :] = res


@njit(**JIT)
def _backward(W, S, lxb, lyb, E):
    """Expected alignments ``E`` ``(n + 2, m + 2, LANES)`` (0 outside each problem)."""
    n = E.shape[0] - 2
    m = E.shape[1] - 2
    E[n + 1, :, :] = 0.0
    E[:, m + 1, :] = 0.0
    for i in range(n, 0, -1):
        for j in range(m, 0, -1):
            for g in range(LANES):
                v = (
                    E[i, j + 1, g] * W[2, i, j + 1, g]
                    + E[i + 1, j, g] * W[1, i + 1, j, g]
                    + E[i + 1, j + 1, g] * W[0, i + 1, j + 1, g]
                )
                end = (i == lxb[g]) & (j == lyb[g])
                E[i, j, g] = (1.0 if S[i, j, g] < INF else 0.0) if end else v


@njit(**JIT)
def _hvp_time_gaps(W, S, E, lyb, gamma, Rd, Ed):
    """Hessian-vector product along ``Z = Omega / k^2`` (``k = ly``): ``Ed`` (the product)
    and ``Rd`` (the tangent table; ``Rd[lx, ly] = <E, Z>``)."""
    n = E.shape[0] - 2
    m = E.shape[1] - 2
    inv_gamma = 1.0 / gamma
    ik2 = np.empty(LANES)
    for g in range(LANES):
        ik2[g] = 1.0 / (lyb[g] * lyb[g])
    Rd[0, :, :] = 0.0
    Rd[:, 0, :] = 0.0
    Rd[n + 1, :, :] = 0.0
    Rd[:, m + 1, :] = 0.0
    Ed[n + 1, :, :] = 0.0
    Ed[:, m + 1, :] = 0.0
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            z = (i - j) * (i - j)
            for g in range(LANES):
                v = (
                    z * ik2[g]
                    + W[0, i, j, g] * Rd[i - 1, j - 1, g]
                    + W[1, i, j, g] * Rd[i - 1, j, g]
                    + W[2, i, j, g] * Rd[i, j - 1, g]
                )
                Rd[i, j, g] = v if S[i, j, g] < INF else 0.0
    for i in range(n, 0, -1):
        for j in range(m, 0, -1):
            zl = (i - j - 1) * (i - j - 1)  # Z of the successors (i, j+1), (i+1, j), (i+1, j+1)
            zu = (i + 1 - j) * (i + 1 - j)
            zd = (i - j) * (i - j)
            for g in range(LANES):
                rdp = Rd[i, j, g]
                v = W[2, i, j + 1, g] * (
                    Ed[i, j + 1, g]
                    + E[i, j + 1, g] * (Rd[i, j + 1, g] - zl * ik2[g] - rdp) * inv_gamma
                )
                v += W[1, i + 1, j, g] * (
                    Ed[i + 1, j, g]
                    + E[i + 1, j, g] * (Rd[i + 1, j, g] - zu * ik2[g] - rdp) * inv_gamma
                )
                v += W[0, i + 1, j + 1, g] * (
                    Ed[i + 1, j + 1, g]
                    + E[i + 1, j + 1, g] * (Rd[i + 1, j + 1, g] - zd * ik2[g] - rdp) * inv_gamma
                )
                Ed[i, j, g] = v if S[i, j, g] < INF else 0.0


@njit(**JIT)
def _chain(xb, yb, E, gx, gy):
    """``gx += 2 sum_j E_ij (x_i - y_j)``, ``gy -= ...``: ``(n, d, LANES)``, ``(m, d, LANES)``."""
    n, d, _ = xb.shape
    m = yb.shape[0]
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            for f in range(d):
                for g in range(LANES):
                    v = 2.0 * E[i, j, g] * (xb[i - 1, f, g] - yb[j - 1, f, g])
                    gx[i - 1, f, g] += v
                    gy[j - 1, f, g] -= v


@njit(**JIT)
def _scatter(gb, G, b0):
    # lanes of a gradient block (k, d, LANES) back to G (B, k, d)
    B = G.shape[0]
    for g in range(min(LANES, B - b0)):
        for i in range(gb.shape[0]):
            for f in range(gb.shape[1]):
                G[b0 + g, i, f] = gb[i, f, g]


@njit(**JIT)
def block_sqeuclidean(X, Y, gamma, lx, ly, lo, hi, b0, grad, dilate, val, tmp, gxs, gys, gxt, gyt):
    """Problems ``b0 .. b0 + LANES - 1`` of :func:`sqeuclidean`: soft-DTW values ``val``,
    with ``dilate`` DILATE's temporal terms ``tmp``, and with ``grad`` the gradients of the
    values (``gxs``, ``gys``) and of the temporal terms (``gxt``, ``gyt``) w.r.t. ``X`` and
    ``Y`` (arrays not asked for may be empty)."""
    xb, yb, lob, hib, lxb, lyb = _gather(X, Y, lx, ly, lo, hi, b0)
    n, d, _ = xb.shape
    m = yb.shape[0]
    S = np.empty((n + 2, m + 2, LANES))
    W = np.empty((3, n + 2, m + 2, LANES))
    _forward(xb, yb, lob, hib, gamma, S, W)
    top = min(LANES, X.shape[0] - b0)
    for g in range(top):
        val[b0 + g] = S[lxb[g], lyb[g], g]
    if not (grad or dilate):
        return
    E = np.empty((n + 2, m + 2, LANES))
    _backward(W, S, lxb, lyb, E)
    Ed = E  # replaced below for DILATE
    if dilate:
        Rd = np.empty((n + 2, m + 2, LANES))
        Ed = np.empty((n + 2, m + 2, LANES))
        _hvp_time_gaps(W, S, E, lyb, gamma, Rd, Ed)
        for g in range(top):
            tmp[b0 + g] = Rd[lxb[g], lyb[g], g]
    if not grad:
        return
    gx = np.zeros((n, d, LANES))
    gy = np.zeros((m, d, LANES))
    _chain(xb, yb, E, gx, gy)
    _scatter(gx, gxs, b0)
    _scatter(gy, gys, b0)
    if dilate:
        gx[:, :, :] = 0.0
        gy[:, :, :] = 0.0
        _chain(xb, yb, Ed, gx, gy)
        _scatter(gx, gxt, b0)
        _scatter(gy, gyt, b0)


@njit(**_PAR)
def _lanes_run(X, Y, gamma, lx, ly, lo, hi, grad, dilate, val, tmp, gxs, gys, gxt, gyt):
    blocks = (X.shape[0] + LANES - 1) // LANES
    for k in prange(blocks):
        block_sqeuclidean(
            X, Y, gamma, lx, ly, lo, hi, k * LANES, grad, dilate, val, tmp, gxs, gys, gxt, gyt
        )


def _lanes_work(X, Y, *args):
    return (X.shape[0] + LANES - 1) // LANES, X.shape[0] * X.shape[1] * Y.shape[1]


_lanes_run = sized(_lanes_run, _lanes_work)


def sqeuclidean(X, Y, gamma, lx, ly, lo, hi, grad: bool, dilate: bool):
    """Soft-DTW of the squared Euclidean costs of ``X`` ``(B, n, d)``, ``Y`` ``(B, m, d)``,
    ``LANES`` problems at a time.

    Returns ``(val (B,), tmp, gxs, gys, gxt, gyt)``: the values; with ``dilate`` DILATE's
    temporal terms ``(B,)``; with ``grad`` the gradients of the values (``gxs`` ``(B, n,
    d)``, ``gys`` ``(B, m, d)``) and, with ``dilate`` too, of the temporal terms.  Arrays
    not asked for are empty.
    """
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

"""The alignment dynamic programmes, written once, over a cost matrix (numba, CPU).

Every public DTW / soft-DTW function of tsgrad, the training losses (batched soft-DTW,
divergence, DILATE, TDI) and the evaluation metrics are built on the kernels below.

Conventions
-----------
* ``D`` is a batch of cost matrices, shape ``(B, n, m)``; ``n`` and ``m`` are the padded
  lengths.  Element ``b`` only uses rows ``i < lx[b]``.
* The admissible cells of row ``i`` of element ``b`` are the columns
  ``lo[b, i] <= j < hi[b, i]`` (a global constraint, or the full row ``[0, ly[b])``).  Bands
  are filled by :func:`fill_bands`; every band contains ``(0, 0)`` and ``(lx-1, ly-1)`` or
  the element has no admissible path (its value is ``inf``).
* ``R`` is the accumulated-cost table, shape ``(B, n + 1, m + 1)``, float64 whatever the
  input dtype (soft-min weights are ``exp(diff / gamma)``: float32 tables lose them at
  small ``gamma``).  ``R[b, i + 1, j + 1]`` belongs to cell ``(i, j)``; cells outside the
  band hold ``+inf``.
* soft-DTW value ``V = R[b, lx, ly]``; its gradient w.r.t. ``D`` is the expected alignment
  ``E = dV/dD`` (Cuturi & Blondel, 2017); the Hessian-vector product ``(d^2 V / dD^2) Z``
  is the directional derivative of ``E`` along ``Z`` (Mensch & Blondel, 2018), computed by a
  forward tangent pass followed by a reverse pass.
* The batch is the parallel dimension (``prange``); each DP is sequential inside.
"""

from __future__ import annotations

import functools
import math

import numba
import numpy as np
from numba import njit, prange

INF = np.inf

# Global constraint codes shared with the Python layer.
NO_CONSTRAINT = 0
SAKOE_CHIBA = 1
ITAKURA = 2


# --------------------------------------------------------------------------------------
# Bands (global constraints)
# --------------------------------------------------------------------------------------
@njit(cache=True, nogil=True)
def _round2(x):
    # numpy.round(x, 2): round half to even on x * 100.
    return np.rint(x * 100.0) / 100.0


@njit(cache=True, nogil=True)
def _fill_band_one(kind, param, sz1, sz2, lo, hi):
    """Row intervals ``[lo[i], hi[i])`` of the admissible cells of one ``(sz1, sz2)`` pair.

    Returns True when every row and every column has at least one admissible cell.
    """
    if kind == SAKOE_CHIBA:
        r = int(param)
        if sz1 <= sz2:
            width = sz2 - sz1 + r
            for i in range(sz1):
                lo[i] = max(0, i - r)
                hi[i] = min(sz2, i + width + 1)
        else:
            width = sz1 - sz2 + r
            for i in range(sz1):
                lo[i] = max(0, i - width)
                hi[i] = min(sz2, i + r + 1)
    elif kind == ITAKURA:
        # Itakura parallelogram, column by column, then turned into row intervals.
        ratio = sz1 / sz2
        max_s = param * ratio
        min_s = ratio / param
        for i in range(sz1):
            lo[i] = sz2
            hi[i] = 0
        for j in range(sz2):
            low = max(_round2(min_s * j), _round2((sz1 - 1) - max_s * (sz2 - 1) + max_s * j))
            up = min(_round2(max_s * j), _round2((sz1 - 1) - min_s * (sz2 - 1) + min_s * j))
            i0 = max(int(math.ceil(low)), 0)
            i1 = min(int(math.floor(up + 1.0)), sz1)
            for i in range(i0, i1):
                if j < lo[i]:
                    lo[i] = j
                if j + 1 > hi[i]:
                    hi[i] = j + 1
        for i in range(sz1):
            if hi[i] <= lo[i]:
                lo[i] = 0
                hi[i] = 0
    else:
        for i in range(sz1):
            lo[i] = 0
            hi[i] = sz2
    # Feasibility: rows non-empty, and columns covered (bands are monotone, so checking
    # that consecutive rows overlap or touch is enough).
    if sz1 == 0 or sz2 == 0:
        return False
    if lo[0] != 0 or hi[sz1 - 1] != sz2:
        return False
    for i in range(sz1):
        if hi[i] <= lo[i]:
            return False
        if i > 0 and lo[i] > hi[i - 1]:
            return False
    return True


@njit(cache=True, parallel=True)
def fill_bands(kind, param, lx, ly, n):
    """Bands for a batch: returns ``lo, hi`` of shape ``(B, n)`` and a feasibility flag."""
    B = lx.shape[0]
    lo = np.zeros((B, n), dtype=np.int64)
    hi = np.zeros((B, n), dtype=np.int64)
    ok = np.zeros(B, dtype=np.bool_)
    for b in prange(B):
        ok[b] = _fill_band_one(kind, param, lx[b], ly[b], lo[b], hi[b])
    return lo, hi, ok


# --------------------------------------------------------------------------------------
# Cost matrices
# --------------------------------------------------------------------------------------
@njit(cache=True, nogil=True)
def _sqeuclidean_one(x, y, lx, ly, D):
    d = x.shape[1]
    for i in range(lx):
        for j in range(ly):
            acc = 0.0
            for k in range(d):
                diff = x[i, k] - y[j, k]
                acc += diff * diff
            D[i, j] = acc


# --------------------------------------------------------------------------------------
# Hard DTW
# --------------------------------------------------------------------------------------
@njit(cache=True, nogil=True)
def _dtw_forward_one(D, lx, lo, hi, R):
    R[:, :] = INF
    R[0, 0] = 0.0
    for i in range(lx):
        for j in range(lo[i], hi[i]):
            best = R[i, j]
            if R[i, j + 1] < best:
                best = R[i, j + 1]
            if R[i + 1, j] < best:
                best = R[i + 1, j]
            R[i + 1, j + 1] = D[i, j] + best


@njit(cache=True, parallel=True)
def dtw_forward(D, lx, ly, lo, hi):
    """Accumulated cost table ``R`` ``(B, n + 1, m + 1)`` and values ``(B,)`` of hard DTW."""
    B, n, m = D.shape
    R = np.empty((B, n + 1, m + 1))
    val = np.empty(B)
    for b in prange(B):
        _dtw_forward_one(D[b], lx[b], lo[b], hi[b], R[b])
        val[b] = R[b, lx[b], ly[b]]
    return R, val


@njit(cache=True, nogil=True)
def _dtw_path_one(R, lx, ly, path):
    """Backtrack the optimal path into ``path`` ``(lx + ly - 1, 2)``; returns its length.

    Ties prefer the diagonal, then the cell above, then the cell to the left.
    """
    i = lx - 1
    j = ly - 1
    k = 0
    path[k, 0] = i
    path[k, 1] = j
    while i > 0 or j > 0:
        if i == 0:
            j -= 1
        elif j == 0:
            i -= 1
        else:
            diag = R[i, j]
            up = R[i, j + 1]
            left = R[i + 1, j]
            if diag <= up and diag <= left:
                i -= 1
                j -= 1
            elif up <= left:
                i -= 1
            else:
                j -= 1
        k += 1
        path[k, 0] = i
        path[k, 1] = j
    # reverse in place
    for a in range((k + 1) // 2):
        t0 = path[a, 0]
        t1 = path[a, 1]
        path[a, 0] = path[k - a, 0]
        path[a, 1] = path[k - a, 1]
        path[k - a, 0] = t0
        path[k - a, 1] = t1
    return k + 1


@njit(cache=True, parallel=True)
def dtw_paths(R, lx, ly):
    """Optimal paths of a batch: ``paths`` ``(B, n + m - 1, 2)`` and their lengths ``(B,)``."""
    B = R.shape[0]
    n = R.shape[1] - 1
    m = R.shape[2] - 1
    paths = np.full((B, n + m - 1, 2), -1, dtype=np.int64)
    length = np.zeros(B, dtype=np.int64)
    for b in prange(B):
        if R[b, lx[b], ly[b]] < INF:
            length[b] = _dtw_path_one(R[b], lx[b], ly[b], paths[b])
    return paths, length


@njit(cache=True, parallel=True)
def dtw_path_matrix(R, lx, ly):
    """Hard alignment matrices ``A`` ``(B, n, m)``: 1 on the optimal path (= dV/dD)."""
    B = R.shape[0]
    n = R.shape[1] - 1
    m = R.shape[2] - 1
    A = np.zeros((B, n, m))
    for b in prange(B):
        if R[b, lx[b], ly[b]] < INF:
            path = np.empty((lx[b] + ly[b] - 1, 2), dtype=np.int64)
            k = _dtw_path_one(R[b], lx[b], ly[b], path)
            for t in range(k):
                A[b, path[t, 0], path[t, 1]] = 1.0
    return A


@njit(cache=True, nogil=True)
def _dtw_value_rows(x, y, lx, ly, lo, hi, prev, cur):
    """DTW value with the cost computed on the fly and two rows of memory."""
    d = x.shape[1]
    prev[:] = INF
    prev[0] = 0.0
    for i in range(lx):
        cur[:] = INF
        for j in range(lo[i], hi[i]):
            acc = 0.0
            for k in range(d):
                diff = x[i, k] - y[j, k]
                acc += diff * diff
            best = prev[j]
            if prev[j + 1] < best:
                best = prev[j + 1]
            if cur[j] < best:
                best = cur[j]
            cur[j + 1] = acc + best
        for j in range(ly + 1):
            prev[j] = cur[j]
    return prev[ly]


@njit(cache=True, parallel=True)
def dtw_pairs_value(X, Y, lx, ly, ii, jj, kind, param):
    """Hard DTW values (accumulated squared cost) of the pairs ``(X[ii[p]], Y[jj[p]])``.

    Used by ``cdist_dtw``: no cost matrix is stored, two rows per pair.  Infeasible
    constraints give ``inf``.
    """
    P = ii.shape[0]
    m = Y.shape[1]
    n = X.shape[1]
    out = np.empty(P)
    for p in prange(P):
        a = ii[p]
        c = jj[p]
        lo = np.empty(n, dtype=np.int64)
        hi = np.empty(n, dtype=np.int64)
        ok = _fill_band_one(kind, param, lx[a], ly[c], lo, hi)
        if not ok:
            out[p] = INF
            continue
        prev = np.empty(m + 1)
        cur = np.empty(m + 1)
        out[p] = _dtw_value_rows(X[a], Y[c], lx[a], ly[c], lo, hi, prev, cur)
    return out


# --------------------------------------------------------------------------------------
# Soft-DTW: forward (R), backward (E), Hessian-vector product
# --------------------------------------------------------------------------------------
# exp(x) of the soft minimum's arguments (x <= 0) is flushed to 0 below -42: exp(-42) =
# 5.7e-19 is under half an ulp of 1, so every sum 1 + e1 + e2 is unchanged and a weight
# changes by less than 6e-19.  At small gamma (DILATE's 0.01) most cells then skip the
# exponential, the kernels' main cost.
_EXP_FLUSH = -42.0


@njit(cache=True, nogil=True, inline="always")
def _exp_neg(x):
    return math.exp(x) if x > _EXP_FLUSH else 0.0


@njit(cache=True, nogil=True, inline="always")
def _softmin3(a, b, c, gamma, inv_gamma):
    # -gamma * log(exp(-a/g) + exp(-b/g) + exp(-c/g)) with the minimum factored out, so
    # that one of the three exponentials is exp(0) = 1 and is not evaluated.
    if a <= b and a <= c:
        mn = a
        s = 1.0 + _exp_neg((mn - b) * inv_gamma) + _exp_neg((mn - c) * inv_gamma)
    elif b <= c:
        mn = b
        s = 1.0 + _exp_neg((mn - a) * inv_gamma) + _exp_neg((mn - c) * inv_gamma)
    else:
        mn = c
        s = 1.0 + _exp_neg((mn - a) * inv_gamma) + _exp_neg((mn - b) * inv_gamma)
    if mn == INF:
        return INF
    return mn if s == 1.0 else mn - gamma * math.log(s)  # log(1) = 0: same value


@njit(cache=True, nogil=True)
def _softdtw_forward_one(D, gamma, lx, lo, hi, R):
    inv_gamma = 1.0 / gamma
    R[:, :] = INF
    R[0, 0] = 0.0
    for i in range(lx):
        for j in range(lo[i], hi[i]):
            R[i + 1, j + 1] = D[i, j] + _softmin3(
                R[i, j], R[i, j + 1], R[i + 1, j], gamma, inv_gamma
            )


@njit(cache=True, parallel=True)
def softdtw_forward(D, gamma, lx, ly, lo, hi):
    """Soft-DTW tables ``R`` ``(B, n + 1, m + 1)`` (float64) and values ``(B,)``."""
    B, n, m = D.shape
    R = np.empty((B, n + 1, m + 1))
    val = np.empty(B)
    for b in prange(B):
        _softdtw_forward_one(D[b], gamma, lx[b], lo[b], hi[b], R[b])
        val[b] = R[b, lx[b], ly[b]]
    return R, val


@njit(cache=True, nogil=True, inline="always")
def _weight(R, D, i, j, r, inv_gamma):
    # Soft-min weight of the predecessor (value r) in the recursion of cell (i, j):
    # exp((R[i, j] - D[i, j] - r) / gamma), <= 1 up to rounding.
    return _exp_neg(min((R[i + 1, j + 1] - D[i, j] - r) * inv_gamma, 0.0))


@njit(cache=True, nogil=True)
def _softdtw_backward_one(D, R, gamma, lx, ly, lo, hi, E):
    inv_gamma = 1.0 / gamma
    E[:, :] = 0.0
    if R[lx, ly] == INF:
        return
    for i in range(lx - 1, -1, -1):
        nxt = i + 1 < lx
        for j in range(hi[i] - 1, lo[i] - 1, -1):
            if i == lx - 1 and j == ly - 1:
                E[i, j] = 1.0
                continue
            r = R[i + 1, j + 1]
            if r == INF:
                continue
            acc = 0.0
            if j + 1 < hi[i] and E[i, j + 1] != 0.0:
                acc += E[i, j + 1] * _weight(R, D, i, j + 1, r, inv_gamma)
            if nxt:
                if lo[i + 1] <= j < hi[i + 1] and E[i + 1, j] != 0.0:
                    acc += E[i + 1, j] * _weight(R, D, i + 1, j, r, inv_gamma)
                if lo[i + 1] <= j + 1 < hi[i + 1] and E[i + 1, j + 1] != 0.0:
                    acc += E[i + 1, j + 1] * _weight(R, D, i + 1, j + 1, r, inv_gamma)
            E[i, j] = acc


@njit(cache=True, parallel=True)
def softdtw_backward(D, R, gamma, lx, ly, lo, hi):
    """Expected alignments ``E = dV/dD`` ``(B, n, m)`` from the forward tables."""
    B, n, m = D.shape
    E = np.empty((B, n, m))
    for b in prange(B):
        _softdtw_backward_one(D[b], R[b], gamma, lx[b], ly[b], lo[b], hi[b], E[b])
    return E


@njit(cache=True, nogil=True)
def _softdtw_hvp_one(D, R, E, Z, gamma, lx, ly, lo, hi, Rd, Ed):
    inv_gamma = 1.0 / gamma
    Ed[:, :] = 0.0
    Rd[:, :] = 0.0
    if R[lx, ly] == INF:
        return 0.0
    # Forward tangent: Rd[i+1, j+1] = Z[i, j] + sum_p w_p * Rd[p].
    for i in range(lx):
        for j in range(lo[i], hi[i]):
            r = R[i + 1, j + 1]
            if r == INF:
                continue
            base = r - D[i, j]
            acc = Z[i, j]
            if R[i, j] < INF:
                acc += _exp_neg(min((base - R[i, j]) * inv_gamma, 0.0)) * Rd[i, j]
            if R[i, j + 1] < INF:
                acc += _exp_neg(min((base - R[i, j + 1]) * inv_gamma, 0.0)) * Rd[i, j + 1]
            if R[i + 1, j] < INF:
                acc += _exp_neg(min((base - R[i + 1, j]) * inv_gamma, 0.0)) * Rd[i + 1, j]
            Rd[i + 1, j + 1] = acc
    # Reverse pass: Ed[p] = sum_s w_sp * (Ed[s] + E[s] * (Rd[s] - Z[s] - Rd[p]) / gamma).
    for i in range(lx - 1, -1, -1):
        nxt = i + 1 < lx
        for j in range(hi[i] - 1, lo[i] - 1, -1):
            if i == lx - 1 and j == ly - 1:
                continue
            r = R[i + 1, j + 1]
            if r == INF:
                continue
            rdp = Rd[i + 1, j + 1]
            acc = 0.0
            if j + 1 < hi[i]:
                w = _weight(R, D, i, j + 1, r, inv_gamma)
                acc += w * (
                    Ed[i, j + 1] + E[i, j + 1] * (Rd[i + 1, j + 2] - Z[i, j + 1] - rdp) * inv_gamma
                )
            if nxt:
                if lo[i + 1] <= j < hi[i + 1]:
                    w = _weight(R, D, i + 1, j, r, inv_gamma)
                    acc += w * (
                        Ed[i + 1, j]
                        + E[i + 1, j] * (Rd[i + 2, j + 1] - Z[i + 1, j] - rdp) * inv_gamma
                    )
                if lo[i + 1] <= j + 1 < hi[i + 1]:
                    w = _weight(R, D, i + 1, j + 1, r, inv_gamma)
                    acc += w * (
                        Ed[i + 1, j + 1]
                        + E[i + 1, j + 1] * (Rd[i + 2, j + 2] - Z[i + 1, j + 1] - rdp) * inv_gamma
                    )
            Ed[i, j] = acc
    return Rd[lx, ly]


@njit(cache=True, parallel=True)
def softdtw_hvp(D, R, E, Z, gamma, lx, ly, lo, hi):
    """Hessian-vector products ``(d^2 V / dD^2) Z`` ``(B, n, m)`` and ``<E, Z>`` ``(B,)``."""
    B, n, m = D.shape
    Ed = np.empty((B, n, m))
    dv = np.empty(B)
    for b in prange(B):
        Rd = np.empty((n + 1, m + 1))
        dv[b] = _softdtw_hvp_one(
            D[b], R[b], E[b], Z[b], gamma, lx[b], ly[b], lo[b], hi[b], Rd, Ed[b]
        )
    return Ed, dv


# --------------------------------------------------------------------------------------
# Soft-DTW with stored soft-min weights (fast backward / HVP when memory allows)
# --------------------------------------------------------------------------------------
# W[b, i, j, k] is the soft-min weight of predecessor k (DIAG, UP, LEFT) in the recursion
# of cell (i, j): the derivative of R[i+1, j+1] w.r.t. that predecessor's R.  The forward
# already has the exponentials; storing them makes the backward and the Hessian-vector
# product exponential-free (3 float64 per cell of extra memory).  Same results as the
# kernels above up to rounding (the weights are the same quantities).
W_DIAG = 0
W_UP = 1
W_LEFT = 2


@njit(cache=True, nogil=True, inline="always")
def _softdtw_cell_weights(D, R, W, i, j, gamma, inv_gamma):
    """R[i + 1, j + 1] and the soft-min weights W[i, j] of one cell."""
    a = R[i, j]
    b = R[i, j + 1]
    c = R[i + 1, j]
    # As _softmin3 (same operations, same rounding): the minimum's exponential is
    # exp(0) = 1 and is not evaluated.
    if a <= b and a <= c:
        mn = a
        ea = 1.0
        eb = _exp_neg((mn - b) * inv_gamma)
        ec = _exp_neg((mn - c) * inv_gamma)
        s = 1.0 + eb + ec
    elif b <= c:
        mn = b
        ea = _exp_neg((mn - a) * inv_gamma)
        eb = 1.0
        ec = _exp_neg((mn - c) * inv_gamma)
        s = 1.0 + ea + ec
    else:
        mn = c
        ea = _exp_neg((mn - a) * inv_gamma)
        eb = _exp_neg((mn - b) * inv_gamma)
        ec = 1.0
        s = 1.0 + ea + eb
    if mn == INF:  # unreachable cell: weight 0 towards it in the backward
        W[i, j, W_DIAG] = 0.0
        W[i, j, W_UP] = 0.0
        W[i, j, W_LEFT] = 0.0
        return
    # s == 1 when both other exponentials were flushed (the common case at small gamma).
    R[i + 1, j + 1] = D[i, j] + (mn if s == 1.0 else mn - gamma * math.log(s))
    inv_s = 1.0 / s
    W[i, j, W_DIAG] = ea * inv_s
    W[i, j, W_UP] = eb * inv_s
    W[i, j, W_LEFT] = ec * inv_s


@njit(cache=True, nogil=True)
def _softdtw_forward_weights_one(D, gamma, lx, lo, hi, R, W):
    inv_gamma = 1.0 / gamma
    R[:, :] = INF
    R[0, 0] = 0.0
    for i in range(lx):
        for j in range(lo[i], hi[i]):
            _softdtw_cell_weights(D, R, W, i, j, gamma, inv_gamma)


@njit(cache=True, parallel=True)
def softdtw_forward_weights(D, gamma, lx, ly, lo, hi):
    """``R`` ``(B, n + 1, m + 1)``, values ``(B,)`` and soft-min weights ``W`` ``(B, n, m, 3)``."""
    B, n, m = D.shape
    R = np.empty((B, n + 1, m + 1))
    W = np.empty((B, n, m, 3))
    val = np.empty(B)
    for b in prange(B):
        _softdtw_forward_weights_one(D[b], gamma, lx[b], lo[b], hi[b], R[b], W[b])
        val[b] = R[b, lx[b], ly[b]]
    return R, val, W


@njit(cache=True, nogil=True)
def _softdtw_backward_weights_one(W, R, lx, ly, lo, hi, E):
    E[:, :] = 0.0
    if R[lx, ly] == INF:
        return
    E[lx - 1, ly - 1] = 1.0
    for i in range(lx - 1, -1, -1):
        nxt = i + 1 < lx
        for j in range(hi[i] - 1, lo[i] - 1, -1):
            if i == lx - 1 and j == ly - 1:
                continue
            # Weights are 0 for successors outside the band or unreachable cells.
            acc = 0.0
            if j + 1 < hi[i]:
                acc += E[i, j + 1] * W[i, j + 1, W_LEFT]
            if nxt:
                if lo[i + 1] <= j < hi[i + 1]:
                    acc += E[i + 1, j] * W[i + 1, j, W_UP]
                if lo[i + 1] <= j + 1 < hi[i + 1]:
                    acc += E[i + 1, j + 1] * W[i + 1, j + 1, W_DIAG]
            E[i, j] = acc


@njit(cache=True, parallel=True)
def softdtw_backward_weights(W, R, lx, ly, lo, hi):
    """Expected alignments ``E`` ``(B, n, m)`` from the stored weights (no exponentials)."""
    B, n, m = W.shape[0], W.shape[1], W.shape[2]
    E = np.empty((B, n, m))
    for b in prange(B):
        _softdtw_backward_weights_one(W[b], R[b], lx[b], ly[b], lo[b], hi[b], E[b])
    return E


@njit(cache=True, nogil=True)
def _softdtw_hvp_weights_one(W, R, E, Z, gamma, lx, ly, lo, hi, Rd, Ed):
    inv_gamma = 1.0 / gamma
    Ed[:, :] = 0.0
    Rd[:, :] = 0.0
    if R[lx, ly] == INF:
        return 0.0
    for i in range(lx):
        for j in range(lo[i], hi[i]):
            if R[i + 1, j + 1] == INF:
                continue
            Rd[i + 1, j + 1] = (
                Z[i, j]
                + W[i, j, W_DIAG] * Rd[i, j]
                + W[i, j, W_UP] * Rd[i, j + 1]
                + W[i, j, W_LEFT] * Rd[i + 1, j]
            )
    for i in range(lx - 1, -1, -1):
        nxt = i + 1 < lx
        for j in range(hi[i] - 1, lo[i] - 1, -1):
            if i == lx - 1 and j == ly - 1:
                continue
            if R[i + 1, j + 1] == INF:
                continue
            rdp = Rd[i + 1, j + 1]
            acc = 0.0
            if j + 1 < hi[i]:
                acc += W[i, j + 1, W_LEFT] * (
                    Ed[i, j + 1] + E[i, j + 1] * (Rd[i + 1, j + 2] - Z[i, j + 1] - rdp) * inv_gamma
                )
            if nxt:
                if lo[i + 1] <= j < hi[i + 1]:
                    acc += W[i + 1, j, W_UP] * (
                        Ed[i + 1, j]
                        + E[i + 1, j] * (Rd[i + 2, j + 1] - Z[i + 1, j] - rdp) * inv_gamma
                    )
                if lo[i + 1] <= j + 1 < hi[i + 1]:
                    acc += W[i + 1, j + 1, W_DIAG] * (
                        Ed[i + 1, j + 1]
                        + E[i + 1, j + 1] * (Rd[i + 2, j + 2] - Z[i + 1, j + 1] - rdp) * inv_gamma
                    )
            Ed[i, j] = acc
    return Rd[lx, ly]


@njit(cache=True, parallel=True)
def softdtw_hvp_weights(W, R, E, Z, gamma, lx, ly, lo, hi):
    """As :func:`softdtw_hvp`, from the stored weights: ``(Ed (B, n, m), <E, Z> (B,))``."""
    B, n, m = W.shape[0], W.shape[1], W.shape[2]
    Ed = np.empty((B, n, m))
    dv = np.empty(B)
    for b in prange(B):
        Rd = np.empty((n + 1, m + 1))
        dv[b] = _softdtw_hvp_weights_one(
            W[b], R[b], E[b], Z[b], gamma, lx[b], ly[b], lo[b], hi[b], Rd, Ed[b]
        )
    return Ed, dv


@njit(cache=True, parallel=True)
def softdtw_pairs_value(X, Y, lx, ly, ii, jj, gamma, kind, param):
    """Soft-DTW values of the pairs ``(X[ii[p]], Y[jj[p]])`` with squared Euclidean cost."""
    P = ii.shape[0]
    n = X.shape[1]
    m = Y.shape[1]
    out = np.empty(P)
    for p in prange(P):
        a = ii[p]
        c = jj[p]
        lo = np.empty(n, dtype=np.int64)
        hi = np.empty(n, dtype=np.int64)
        if not _fill_band_one(kind, param, lx[a], ly[c], lo, hi):
            out[p] = INF
            continue
        D = np.empty((n, m))
        _sqeuclidean_one(X[a], Y[c], lx[a], ly[c], D)
        R = np.empty((n + 1, m + 1))
        _softdtw_forward_one(D, gamma, lx[a], lo, hi, R)
        out[p] = R[lx[a], ly[c]]
    return out


# --------------------------------------------------------------------------------------
# Thread count by work size
# --------------------------------------------------------------------------------------
# A parallel region costs a thread-pool wake-up per call.  With one problem, or little
# work, that costs more than it gains, and when another process holds a core the waiting
# worker makes the call several times slower (measured on 2 cores under load: fill_bands
# of one 1000 x 1000 pair took 1.3 ms on 2 threads and 0.01 ms on 1; its DTW 12.5 ms vs
# 6.4 ms).  The wrappers below run a kernel on ``min(threads, problems)`` threads, and on
# one thread below ``_MIN_PARALLEL_CELLS`` cells in all.
_MIN_PARALLEL_CELLS = 1 << 15


def _sized(kernel, work):
    @functools.wraps(kernel)
    def call(*args):
        problems, cells = work(*args)
        current = numba.get_num_threads()
        wanted = 1 if cells < _MIN_PARALLEL_CELLS else max(1, min(current, problems))
        if wanted >= current:
            return kernel(*args)
        numba.set_num_threads(wanted)
        try:
            return kernel(*args)
        finally:
            numba.set_num_threads(current)

    call.kernel = kernel
    return call


def _batch_work(D, *args):
    return D.shape[0], D.size


def _table_work(R, *args):  # R: (B, n + 1, m + 1)
    return R.shape[0], R.size


def _pairs_work(X, Y, lx, ly, ii, *args):
    return ii.shape[0], ii.shape[0] * X.shape[1] * Y.shape[1]


def _bands_work(kind, param, lx, ly, n):
    return lx.shape[0], lx.shape[0] * n * 64  # filling a row is cheap: count it as 64 cells


fill_bands = _sized(fill_bands, _bands_work)
dtw_forward = _sized(dtw_forward, _batch_work)
dtw_paths = _sized(dtw_paths, _table_work)
dtw_path_matrix = _sized(dtw_path_matrix, _table_work)
dtw_pairs_value = _sized(dtw_pairs_value, _pairs_work)
softdtw_forward = _sized(softdtw_forward, _batch_work)
softdtw_backward = _sized(softdtw_backward, _batch_work)
softdtw_hvp = _sized(softdtw_hvp, _batch_work)
softdtw_forward_weights = _sized(softdtw_forward_weights, _batch_work)
softdtw_backward_weights = _sized(softdtw_backward_weights, _table_work)
softdtw_hvp_weights = _sized(softdtw_hvp_weights, _table_work)
softdtw_pairs_value = _sized(softdtw_pairs_value, _pairs_work)

"""Soft-DTW in the scaled probability domain: no logarithm and one exponential per cell.

Soft-DTW's recursion ``R = D + softmin_gamma(R_pred)`` is, for ``P = exp(-R / gamma)``,
the sum-product recursion ``P[i, j] = K[i, j] (P[i-1, j] + P[i, j-1] + P[i-1, j-1])``
with ``K = exp(-D / gamma)``: additions and products of positive numbers, which lose no
relative precision.  Its only danger is range: ``P`` under- and overflows.  As in the scaled
forward-backward algorithm of hidden Markov models, every anti-diagonal ``t`` is stored
divided by a power of two that brings its largest value into ``[1, 2)``, the exponent
kept as an integer: ``P_t = p_t 2**-rho_t``.  The costs of a diagonal enter as
``exp(-(D - d_t) / gamma)``, ``d_t`` the multiple of ``gamma ln 2`` just below their
minimum, so that the largest factor is in ``(1/2, 1]`` and the shift is a power of two
too: every scale is exact, and the factors between two diagonals' scales are powers of
two made from bits.

The backward pass needs no scale.  The soft-min weight of predecessor ``q`` in cell ``s``
is ``P_q / sum_pred(s) P``, so the expected alignment is ``E_q = p_q X_q`` with ``X_q``
the sum over the successors ``s`` of ``a_s G_s``, ``G_s = E_s / S_s``, ``S_s`` the
scaled predecessor sum of ``s`` and ``a_s`` the per-diagonal factor (a power of two)
between the two scales; since ``p_s = K_s S_s c_t`` (``c_t`` the diagonal's power of
two), ``G_s = (K_s c_t) X_s`` needs no division.  ``E`` lies in ``[0, 1]``.

Range.  A cell whose scaled value falls below ``2**-1000`` of its diagonal's largest is
pruned (set to 0), so every number kept is normal.  Paths through pruned cells, and the
weight that underflows in the products, are then missing from the result; their weight is
bounded (:func:`scaled_forward_sqeuclidean`, Notes), and the result is used only when
that bound is below ``exp(-45)`` of the total: the value is then off by less than
``3e-20 gamma`` and the expected alignment by less than ``3e-20``.  Otherwise (small
``gamma`` against the costs' spread, in practice), the forward gives up, early when it can
tell, and the caller recomputes the problem in the log domain (:mod:`._numba_softdtw`).  The
bound needs costs ``>= 0``: this route is for the squared Euclidean cost only.
Problems with a single admissible path (a length of 1, a band one cell wide) go to the
log domain directly: their value is a plain sum of costs, which ``exp(-D / gamma)`` would
blur when ``D << gamma``.  Otherwise the rounding is of the log domain's order, about
``1e-16 gamma`` per diagonal in absolute terms.

Per cell this route does one ``exp`` and a few multiply-adds where the log domain does two
``exp``, one ``log`` and a division; measured on one core, B=64 n=100: forward + backward
+ chain rule 5.3 ns a cell, against 10.6 ns in the log domain.

Same layout (:mod:`._diag_layout`), band and length conventions as :mod:`._numba_softdtw`.
Tested against the log domain, extended precision and brute force in
``tests/kernels/test_scaled_kernels.py``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ._diag_layout import (
    _VEC,
    INF,
    _chain_diag,
    _clear_end,
    _diag_sqeuclidean,
    _padded_band,
    _preds,
    _start,
)
from ._fastmath import JIT, _f64_as_i64, _i64_as_f64, exp_neg_wide

INF_BITS = 0x7FF0000000000000  # bits of +inf; a float >= 0 orders like its bits
# Cells whose scaled value falls below P_MIN (the diagonal's largest is in [1, 2)) are
# pruned (set to 0): every value kept is a normal number.
P_MIN = 2.0**-1000
# Largest gap between the scales of two successive diagonals (a factor 2**-960): beyond
# it, give up.
SCALE_GAP_MAX = 960
# The predecessor sums are computed times 2**BIAS, so that a product K S only underflows
# when the cell is far below its diagonal's largest (unless that largest is < 2**-21).
BIAS = 512
# The result is used when the bound on the pruned paths' weight is below exp(PRUNED_LOG_MAX)
# of the total.
PRUNED_LOG_MAX = -45.0
# Delannoy numbers (monotone paths with diagonal steps): D(a, b) <= (1 + sqrt 2)**(a + b).
LOG_SILVER = math.log(1.0 + math.sqrt(2.0))
LN2 = math.log(2.0)


@njit(inline="always", **JIT)
def _pow2(k):
    """``2.0**k`` for integers ``-1022 <= k <= 1023``, from the bits."""
    return _i64_as_f64((k + 1023) << 52)


@njit(**JIT)
def scaled_forward_sqeuclidean(xT, yrT, gamma, lx, ly, lo, hi, cells, off, P, KS, rho, a1, a2, c):
    """Scaled forward pass of one problem, squared Euclidean costs made on the fly.

    Parameters
    ----------
    xT, yrT : (d, n), (d, m) arrays
        The series, transposed, ``y`` reversed (see :func:`._diag_layout._transposed`).
    gamma : float
    lx, ly : int
        Lengths of the problem.
    lo, hi : (n,) int arrays
        Its band.
    cells : (lx + ly + 1, 2) int array
        Its admissible cells per diagonal (:func:`._diag_layout.diag_cells`): only those
        are visited, with zero sentinels just before and after them.
    off : (lx + ly + 2,) int array
        The table's layout (:func:`._diag_layout.band_offsets`).
    P, KS : (L,) float arrays (``L`` from :func:`._diag_layout.band_offsets`)
        Written: scaled values ``p = K S 2**(BIAS - e_t)`` and the factors
        ``K 2**(BIAS - e_t) = p / S`` (0 outside the band and for pruned cells), ``K`` the
        cost's ``exp(-(D - d_t) / gamma)``, ``S`` the predecessor sum, ``e_t`` the
        exponent of the diagonal's largest ``K S 2**BIAS``.
    rho : (n + m + 3,) int64 array
        Written: the scale of every diagonal, ``P_t = p_t 2**-rho_t``.
    a1, a2 : (n + m + 3,) float arrays
        Written: the factors (powers of two, ``2**BIAS`` for the more probable one) of
        the previous and the second previous diagonal in the predecessor sums of
        diagonal ``t``.
    c : (n + 1 + _VEC,) float array
        Scratch for one diagonal's costs.

    The tables are complete only when the value is not NaN.

    Returns
    -------
    value : float
        The soft-DTW value, or NaN when this route cannot vouch for it (the caller then
        uses the log domain).

    Notes
    -----
    A pruned cell ``c`` on diagonal ``t`` holds, when pruned, the weight ``P~_c`` of the
    paths that reach it avoiding earlier pruned cells; the paths that the result misses
    are these continued to the end, of weight ``P~_c Q_c``, summed over the pruned cells,
    with ``Q_c`` the sum over the paths from ``c`` to the end.  Costs are ``>= 0``, so
    ``Q_c`` is at most the number of such paths, a Delannoy number
    ``D(lx - i, ly - j) <= (1 + sqrt 2)**(lx + ly - t)`` (by induction on the recursion
    ``D(a, b) = D(a-1, b) + D(a, b-1) + D(a-1, b-1)``, as ``2 / s + 1 / s**2 = 1`` for
    ``s = 1 + sqrt 2``).  Weight lost to underflow is treated the same way: the
    predecessor sums ``S`` are computed times ``2**BIAS`` (at most ``6 * 2**BIAS``), so a
    product ``K S`` or a term of ``S`` underflows only below
    ``6 * 2**(BIAS - 1021)`` in the diagonal's biased units (``K`` flushes to 0 below
    ``e**-708 < 2**-1021``); nothing underflows on a diagonal whose costs spread over less
    than about ``(BIAS + 21 - gap) gamma ln 2``, ``gap`` between its predecessors' scales,
    and there the term is not charged.  Each diagonal, those without a reachable cell
    included, thus adds at most (its count of cells times that underflow bound, plus its
    count of cells times its largest pruned weight) times the path count; the sum over the ``T``
    diagonals, relative to the computed total ``exp(-V / gamma)``, must be below
    ``exp(PRUNED_LOG_MAX)``.
    """
    # A problem with a single path (a length of 1, or a band one cell wide) is a plain sum
    # of costs, which the log domain adds exactly; here each cost would pass through
    # exp(-D / gamma) and lose its relative precision when D << gamma.
    if lx < 2 or ly < 2:
        return np.nan
    one_path = True
    for i in range(lx):
        one_path &= hi[i] - lo[i] <= 1
    if one_path:
        return np.nan
    inv_gamma = 1.0 / gamma
    inv_gamma_ln2 = inv_gamma / LN2
    lo, hi = _padded_band(lo, hi, lx)
    T = lx + ly
    _start(P, off, 1.0, 0.0)  # diagonals 0 and 1: P(0, 0) = 1, the borders 0
    rho[0] = 0
    rho[1] = 0
    # The bound on the missed paths' weight: at most T diagonals, each at most exp(worst).
    worst = -INF
    log_T = math.log(T)
    log_6n = math.log(6.0 * (min(lx, ly) + 1))  # 6 times the most cells on a diagonal
    empty = False  # was the previous diagonal without a reachable cell?
    for t in range(2, T + 1):
        i0, K = cells[t, 0], cells[t, 1]
        a = off[t] + i0
        P[a - 1] = 0.0  # sentinels: the cells next to the band's, read by the next
        P[a + K] = 0.0  # diagonals (forward) and the backward
        KS[a - 1] = 0.0
        KS[a + K] = 0.0
        # Reference scale: the smaller (more probable) of the two predecessor diagonals.
        r1 = rho[t - 1]
        r2 = rho[t - 2]
        ref = min(r1, r2)
        if abs(r1 - r2) > SCALE_GAP_MAX:
            return np.nan
        # Exact (the scales are powers of two); biased by 2**BIAS in the sums (see BIAS).
        a1[t] = _pow2(ref - r1)
        a2[t] = _pow2(ref - r2)
        f1 = _pow2(ref - r1 + BIAS)
        f2 = _pow2(ref - r2 + BIAS)
        if K == 0:
            # No admissible cell on this diagonal (a band can skip one, as Itakura's does
            # at t = 3, or a Sakoe-Chiba band of radius 0 every other one); two in a row
            # cut every path.
            if empty:
                return np.nan  # no path: the log domain says inf
            empty = True
            rho[t] = r1
            continue
        _diag_sqeuclidean(xT, yrT, t, i0, K, c)
        # Reductions on the bit patterns (ordered like the values for numbers >= 0, NaN
        # above +inf): integer min / max reductions vectorise, float ones do not.
        dminb = INF_BITS
        dmaxb = 0
        for k in range(K):
            cb = _f64_as_i64(c[k])
            dminb = min(dminb, cb)
            dmaxb = max(dmaxb, cb)
        if dminb >= INF_BITS:
            return np.nan  # every cost inf or NaN: the log domain decides
        # Shift the costs by the multiple of gamma ln 2 just below their minimum: the
        # largest K is in (1/2, 1], and the shift is a power of two.
        shift = np.int64(math.floor(_i64_as_f64(dminb) * inv_gamma_ln2))
        base = shift * LN2
        Kp = (K + _VEC - 1) // _VEC * _VEC
        cur = P[a : a + Kp]
        kf = KS[a : a + Kp]
        up, dg = _preds(P, off, t, i0, Kp)
        blo = lo[i0 - 1 : i0 - 1 + Kp]
        bhi = hi[i0 - 1 : i0 - 1 + Kp]
        j0 = t - i0 - 1
        pmaxb = 0
        for k in range(Kp):
            s = (up[k] + up[k + 1]) * f1 + dg[k] * f2
            kc = exp_neg_wide(base - c[k] * inv_gamma)
            q = kc * s
            j = j0 - k
            inside = (j >= blo[k]) & (j < bhi[k])
            cur[k] = q if inside else 0.0
            kf[k] = kc if inside else 0.0
            pmaxb = max(pmaxb, _f64_as_i64(q) if inside else 0)
        if pmaxb >= INF_BITS:
            return np.nan  # a NaN: the log domain decides
        # Weight lost to underflow (see Notes), as a log, counted only where some may have
        # been.  A reachable cell has a predecessor term p f >= 2**(BIAS - 1000 - gap)
        # (p >= P_MIN, gap between the two scales) and K >= 2**-(spread + 1) (spread: the
        # costs' range over gamma ln 2), so no term and no product K S leaves the normal
        # range while spread + gap + 1 <= BIAS + 22.  Otherwise: K < 2**-1021 when
        # flushed and S <= 6 * 2**BIAS bound it, in units of 2**-(ref + shift + BIAS).
        spread = (_i64_as_f64(dmaxb) - _i64_as_f64(dminb)) * inv_gamma_ln2
        gap = abs(r1 - r2)
        lost_log = -INF
        if not (spread + gap + 1.0 <= BIAS + 1022.0 - 1000.0):
            lost_log = log_6n - (1021 + ref + shift) * LN2  # with the count of cells
        if pmaxb == 0:
            # No reachable cell on this diagonal; two in a row cut every path.
            if empty:
                return np.nan  # no path: the log domain says inf
            empty = True
            rho[t] = r1
            kf[:] = 0.0
            worst = max(worst, lost_log + (T - t) * LOG_SILVER)
            continue
        empty = False
        # Divide by 2**e, e the exponent of the largest value: exact, and it lands in [1, 2).
        e = (pmaxb >> 52) - 1023
        if e < BIAS - 1022:
            return np.nan  # the largest unbiased K S is below about 2**-1021: hopeless
        scale = _pow2(-e)
        # K / 2**(e - BIAS) = p / S with S unbiased (<= 6): normal for every cell kept.
        scale_k = _pow2(BIAS - e)
        prunedb = 0
        for k in range(Kp):
            q = cur[k]
            v = q * scale
            prune = v < P_MIN
            cur[k] = 0.0 if prune else v
            kf[k] = 0.0 if prune else kf[k] * scale_k
            # the unscaled K S: v may round (or to 0) below the normal range
            prunedb = max(prunedb, _f64_as_i64(q) if prune else 0)
        rho[t] = ref + shift + BIAS - e
        if prunedb > 0:
            # Add the pruned weight (largest pruned value, times the count of cells).
            pruned_log = math.log(_i64_as_f64(prunedb) * K) - (ref + shift + BIAS) * LN2
            hi_log = max(lost_log, pruned_log)
            lo_log = min(lost_log, pruned_log)
            lost_log = hi_log + (math.log1p(math.exp(lo_log - hi_log)) if lo_log > -INF else 0.0)
        worst = max(worst, lost_log + (T - t) * LOG_SILVER)
        # Give up early when even a low estimate of the value, rho_t less the most that
        # the rest of the paths can subtract, fails the final test (a heuristic: giving
        # up only costs time).
        if worst + log_T + rho[t] * LN2 - (T - t) * LOG_SILVER > PRUNED_LOG_MAX:
            return np.nan
    p_end = P[off[T] + lx]
    if not p_end > 0.0:
        return np.nan
    value = gamma * (rho[T] * LN2 - math.log(p_end))
    if worst + log_T + value * inv_gamma > PRUNED_LOG_MAX:
        return np.nan
    return value


@njit(**JIT)
def scaled_backward_sqeuclidean(xT, yrT, lx, ly, cells, off, P, KS, a1, a2, gxT, gyrT):
    """Backward pass of :func:`scaled_forward_sqeuclidean` and the chain rule of the
    squared Euclidean cost: adds ``dV/dx`` to ``gxT`` ``(d, n)`` and ``dV/dy`` to
    ``gyrT`` ``(d, m)`` (transposed, ``y`` reversed).

    Overwrites ``P`` with the expected alignment ``E`` and ``KS`` with ``G = E / S``:
    as ``E = p X`` with ``X`` the weighted sum of the successors' ``G``, and ``p = KS S``,
    ``G = KS X``, without a division.  Overflows (not excluded by the pruning bounds) show
    as non-finite gradients: the caller checks.
    """
    _clear_end(KS, lx, ly, off)  # successors past the end: G = 0
    T = lx + ly
    # End cell: E = 1, G = 1 / S = KS / p.
    KS[off[T] + lx] = KS[off[T] + lx] / P[off[T] + lx]
    P[off[T] + lx] = 1.0
    _chain_diag(xT, yrT, P, off, T, lx, 1, gxT, gyrT)
    for t in range(T - 1, 1, -1):
        i0, K = cells[t, 0], cells[t, 1]
        a = off[t] + i0
        g = KS[a : a + K]
        p = P[a : a + K]
        b1 = off[t + 1] + i0  # LEFT successor at b1 + k, UP at b1 + k + 1
        n1 = KS[b1 : b1 + K + 1]
        b2 = off[t + 2] + i0 + 1  # DIAG successor at b2 + k
        n2 = KS[b2 : b2 + K]
        f1 = a1[t + 1]
        f2 = a2[t + 2] if t + 2 <= T else 0.0
        for k in range(K):
            x = (n1[k] + n1[k + 1]) * f1 + n2[k] * f2
            p[k] = p[k] * x
            g[k] = g[k] * x
        _chain_diag(xT, yrT, P, off, t, i0, K, gxT, gyrT)


@njit(**JIT)
def scaled_value_grad_one(xT, yrT, gamma, lx, ly, lo, hi, cells, off, L, grad, gxT, gyrT):
    """Soft-DTW value of one problem and, when ``grad``, its gradients added to ``gxT``
    ``(d, n)`` and ``gyrT`` ``(d, m)`` (zero on entry); NaN when this route cannot vouch
    for the result (the gradients are then zero again)."""
    n = xT.shape[1]
    m = yrT.shape[1]
    P = np.empty(L)
    KS = np.empty(L)
    rho = np.empty(n + m + 3, dtype=np.int64)
    a1 = np.empty(n + m + 3)
    a2 = np.empty(n + m + 3)
    c = np.empty(n + 1 + _VEC)
    value = scaled_forward_sqeuclidean(
        xT, yrT, gamma, lx, ly, lo, hi, cells, off, P, KS, rho, a1, a2, c
    )
    if grad and value == value:
        scaled_backward_sqeuclidean(xT, yrT, lx, ly, cells, off, P, KS, a1, a2, gxT, gyrT)
        total = 0.0
        for f in range(xT.shape[0]):
            for i in range(lx):
                total += gxT[f, i]
        if not abs(total) < INF:  # an overflow (or NaN) somewhere in the backward
            gxT[:, :] = 0.0
            gyrT[:, :] = 0.0
            return np.nan
    return value

"""Branch-free ``exp``, ``log`` and soft minimum for numba loops that LLVM can vectorise.

``math.exp`` / ``math.log`` are calls into libm: a loop that makes them stays scalar.  The
two functions below are plain arithmetic (a range reduction, a polynomial and an exponent
built from bits), so LLVM turns a loop of them into SIMD code.  Their accuracy is that of
libm for the ranges the soft-DTW kernels use: at most 1 ulp for :func:`exp_neg` on
``[-42, 0]`` and for :func:`log_1_4` on ``[1, 4]`` (checked in
``tests/metrics/test_fastmath.py`` against NumPy over a million points).

Both are written for the kernels' arguments only: ``exp_neg`` takes ``x <= 0`` and flushes
to 0 below -42 (``exp(-42) = 5.7e-19`` is under half an ulp of 1, so every soft-min sum
``1 + e1 + e2`` is unchanged), NaN included; ``log_1_4`` takes a soft-min sum in ``[1, 3]``.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

# Compilation flags of every vectorised kernel: no ZeroDivisionError branch (a division by
# zero gives inf, which the kernels select away), and fused multiply-adds allowed.  No
# other fast-math flag: the kernels rely on IEEE infinities and NaN comparisons.
JIT = {"cache": True, "nogil": True, "error_model": "numpy", "fastmath": {"contract"}}

EXP_FLUSH = -42.0
EXP_WIDE_FLUSH = -708.0
_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01  # ln 2 split so that k * _LN2_HI is exact
_LN2_LO = 1.90821492927058770002e-10
_SQRT2 = 1.4142135623730951
# 1.5 * 2**52: adding it to |y| < 2**51 rounds y to an integer held in the low mantissa bits.
_ROUND = 6755399441055744.0


@intrinsic
def _i64_as_f64(typingctx, x):
    if isinstance(x, types.Integer) and x.bitwidth == 64:

        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], ir.DoubleType())

        return types.float64(x), codegen
    return None


@intrinsic
def _f64_as_i64(typingctx, x):
    if isinstance(x, types.Float) and x.bitwidth == 64:

        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], ir.IntType(64))

        return types.int64(x), codegen
    return None


@njit(inline="always", **JIT)
def exp_neg(x):
    """``exp(x)`` for ``x <= 0``; 0 for ``x <= -42`` and for NaN."""
    return _exp_flushed(x, EXP_FLUSH)


@njit(inline="always", **JIT)
def exp_neg_wide(x):
    """``exp(x)`` for ``x <= 0``; 0 for ``x <= -708`` (below that ``exp`` is subnormal)
    and for NaN."""
    return _exp_flushed(x, EXP_WIDE_FLUSH)


@njit(inline="always", **JIT)
def _exp_flushed(x, flush):
    # exp(x) for flush < x <= 0, else 0; flush >= -708 keeps 2**k a normal number.
    keep = x > flush
    xc = x if keep else flush
    # x = k ln2 + r, |r| <= ln2 / 2; k read from the bits of the rounded float.
    t = xc * _LOG2E + _ROUND
    kbits = _f64_as_i64(t)
    k = t - _ROUND
    r = (xc - k * _LN2_HI) - k * _LN2_LO
    # Taylor polynomial of degree 13 (truncation error < 5e-18 on |r| <= 0.347).
    p = 1.0 / 6227020800.0
    p = p * r + 1.0 / 479001600.0
    p = p * r + 1.0 / 39916800.0
    p = p * r + 1.0 / 3628800.0
    p = p * r + 1.0 / 362880.0
    p = p * r + 1.0 / 40320.0
    p = p * r + 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r + 1.0
    # 2**k: the low 12 bits of kbits + 1023 are k + 1023 for -1022 <= k <= 0.
    scale = _i64_as_f64((kbits + 1023) << 52)
    return p * scale if keep else 0.0


@njit(inline="always", **JIT)
def log_1_4(s):
    """``log(s)`` for ``1 <= s <= 4`` (exactly 0 at ``s = 1``)."""
    # s = 2**e * u with u in [1/sqrt2, sqrt2], e in {0, 1, 2}.
    big = s > _SQRT2
    u = s * 0.5 if big else s
    e = 1.0 if big else 0.0
    big = u > _SQRT2
    u = u * 0.5 if big else u
    e = e + 1.0 if big else e
    # log(1 + f) = 2 atanh(z), z = f / (2 + f), |z| <= 0.172: 2z + z R(z^2), R the odd
    # series sum_k 2 z^(2k) / (2k + 1) up to z^22.  Written as f - (f^2/2 - z (f^2/2 + R))
    # (an identity, since z (2 + f) = f), the leading term f is exact and the correction
    # small, which keeps the error within 1 ulp near s = 1.
    f = u - 1.0
    z = f / (2.0 + f)
    z2 = z * z
    q = 2.0 / 23.0
    q = q * z2 + 2.0 / 21.0
    q = q * z2 + 2.0 / 19.0
    q = q * z2 + 2.0 / 17.0
    q = q * z2 + 2.0 / 15.0
    q = q * z2 + 2.0 / 13.0
    q = q * z2 + 2.0 / 11.0
    q = q * z2 + 2.0 / 9.0
    q = q * z2 + 2.0 / 7.0
    q = q * z2 + 2.0 / 5.0
    q = q * z2 + 2.0 / 3.0
    r = z2 * q
    hfsq = 0.5 * f * f
    return e * _LN2_HI - ((hfsq - (z * (hfsq + r) + e * _LN2_LO)) - f)


INF = np.inf


# --------------------------------------------------------------------------------------
# The soft minimum of the soft-DTW recursion, branch-free
# --------------------------------------------------------------------------------------
@njit(inline="always", **JIT)
def softmin_weights(a, b, c, gamma, inv_gamma):
    """``(softmin_gamma(a, b, c), w_a, w_b, w_c)`` without branches.

    The minimum's exponential is exp(0) = 1 and is not evaluated: the two others are those
    of the median and of the maximum.  ``inf`` when all three are ``inf`` (weights 0).
    """
    ab_lo = a if a < b else b
    ab_hi = b if a < b else a
    mn = ab_lo if ab_lo < c else c
    mx = ab_hi if ab_hi > c else c
    lo_c = ab_hi if ab_hi < c else c
    md = ab_lo if ab_lo > lo_c else lo_c
    e_md = exp_neg((mn - md) * inv_gamma)
    e_mx = exp_neg((mn - mx) * inv_gamma)
    s = 1.0 + e_md + e_mx
    reach = mn < INF
    value = mn - gamma * log_1_4(s) if reach else INF
    inv_s = 1.0 / s if reach else 0.0
    wa = (1.0 if a == mn else (e_md if a == md else e_mx)) * inv_s
    wb = (1.0 if b == mn else (e_md if b == md else e_mx)) * inv_s
    wc = (1.0 if c == mn else (e_md if c == md else e_mx)) * inv_s
    return value, wa, wb, wc


@njit(inline="always", **JIT)
def softmin(a, b, c, gamma, inv_gamma):
    """``softmin_gamma(a, b, c)`` alone (the weights' operations are dead code, removed)."""
    return softmin_weights(a, b, c, gamma, inv_gamma)[0]

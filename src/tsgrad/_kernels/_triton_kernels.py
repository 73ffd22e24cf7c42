"""Triton kernels of the alignment DPs: soft-DTW, its expected alignment and
Hessian-vector product, hard DTW (GPU; CPU under ``TRITON_INTERPRET=1``).

Importing this module imports Triton and defines the kernels; Triton reads
``TRITON_INTERPRET`` at that moment.  Only :mod:`._triton_engine` imports it, lazily.

Layout
------
A program runs ``P`` problems (``P = 1`` for long series, a few for short ones) with
the anti-diagonal loop inside the kernel.  Its ``(P, BLOCK)`` tiles hold one problem per
row and, across, the rows of the DP: lane ``l`` is the 1-based DP row ``I = l + 1``
(``BLOCK`` = ``n`` rounded up to a power of two), so that on diagonal ``t = I + J`` lane
``l`` holds cell ``(I, t - I)``.  A DP row keeps its lane from one diagonal to the next:
its band ``[lo, hi)``, its cell of the previous diagonal (the LEFT predecessor, or the
LEFT successor in the reverse pass) and its gradient rows stay with it.  The two other
neighbours sit one lane over: ``(I - 1, J)`` on the previous diagonal, and
``(I - 1, J - 1)`` two diagonals back, which is the first one's value of the step before.
So each diagonal shifts one tile by one lane (``lane - 1`` to ``lane``; ``lane + 1`` to
``lane`` in the reverse pass), two for the forward tangent and four for the reverse pass
of the Hessian-vector product.  ``GATHER``: with ``tl.gather``, which Triton compiles to
warp shuffles for one-warp programs (no memory; on several warps it takes generic
shared-memory code, far slower than a shift needs); a barrier then only orders the
column-gradient updates of the squared-Euclidean reverse pass; otherwise through a
per-program scratch of ``2 x 4`` tiles in global memory (double buffered: one barrier a
diagonal; it stays in the L1 cache): store, barrier, load one lane over.

The tables the reverse passes need (the soft minimum ``V`` of each cell's predecessors,
``R = D + V``, or ``R`` itself for hard DTW, and the tangent ``Rd`` of the Hessian-vector
product) are stored diagonal after diagonal, compactly: the ``n m`` cells of a problem,
diagonal ``t`` from :func:`_diag_offset`, row ``I`` at ``I - max(1, t - m)`` in it, so that
a diagonal's stores are contiguous.  Costs are never stored: the squared-Euclidean kernels
make them from the series, again in the reverse pass.

Numerics
--------
Log domain, in the dtype of the output pointers (float32 or float64).  The forward's soft
minimum evaluates the exponentials of the median and the maximum only (the minimum's is 1)
and one logarithm of a sum in ``[1, 3]``, as :func:`._fastmath.softmin_weights`.  The
reverse pass recomputes ``R_p = D_p + V_p`` as the forward rounded it and each soft-min
weight as ``exp(min((V_s - R_p) / gamma, 0))`` (``V_s`` of the successor travels through
the exchange), three per cell: from ``V_s``, not ``R_s - D_s``, whose rounding
(``ulp(R)``) over ``gamma`` would be a large error when ``R`` is large against ``gamma``.
Inadmissible cells hold ``V = +inf`` and send ``-inf``, so their weights are exactly 0,
without NaN, at any ``gamma``.

The loops are written inline, with one helper call (:func:`_diag_offset`): each call is
expensive in Triton's interpreter, which runs the CPU tests.
"""

from __future__ import annotations

import triton
import triton.language as tl

from ._triton_engine import interpret_flag

INTERPRET = interpret_flag()


@triton.jit
def _diag_offset(t, n, m):
    """Cells of an ``n x m`` problem on the diagonals ``2 .. t - 1`` (int64).

    Diagonal ``u`` has ``min(n, u - 1) - max(0, u - 1 - m)`` cells; summed over
    ``a = u - 1 = 1 .. t - 2``.
    """
    a = tl.cast(t - 2, tl.int64)
    n64 = tl.cast(n, tl.int64)
    s1 = tl.where(a <= n64, a * (a + 1) // 2, n64 * (n64 + 1) // 2 + (a - n64) * n64)
    e = tl.maximum(a - m, 0)
    return s1 - e * (e + 1) // 2


@triton.jit
def forward_kernel(
    X, Y, sxb, sxn, sxd, syb, syn, syd,
    Z, szb, szi, szj,
    LO, HI, LX, LY, FEAS, GAMMA,
    VAL, TVAL, RT, RDT, SCR,
    B, n, m, d,
    P: tl.constexpr,
    BLOCK: tl.constexpr,
    COST: tl.constexpr,
    HARD: tl.constexpr,
    STORE: tl.constexpr,
    ZMODE: tl.constexpr,
    UNIVARIATE: tl.constexpr,
    GATHER: tl.constexpr,
):  # fmt: skip
    """Forward DP of the problems ``P * program_id + (0 .. P - 1)``.

    Costs: ``COST == 0``: ``X`` is ``D`` ``(B, n, m)``; ``COST == 1``: squared Euclidean
    of ``X`` ``(B, n, d)``, ``Y`` ``(B, m, d)``.  Writes the values to ``VAL`` (``+inf``
    without a path).  ``HARD``: hard DTW (minimum), else soft-DTW with ``GAMMA[0]``.
    ``STORE``: write the table ``R`` to ``RT`` (and the tangent to ``RDT`` with ``ZMODE``).
    ``ZMODE`` 1 or 2 also runs the forward tangent ``Rd = Z + sum_pred w Rd_pred`` for
    ``Z`` the tensor ``Z`` ``(B, n, m)`` (1) or DILATE's ``(I - J)^2 / ly^2`` (2), and
    writes its end value ``<E, Z>`` to ``TVAL`` (0 without a path).  ``UNIVARIATE``
    (``COST == 1``, ``d == 1``): ``x`` stays in registers.  ``GATHER``: see the module.
    """
    INF = float("inf")
    dt = VAL.dtype.element_ty
    pv = tl.program_id(0) * P + tl.arange(0, P)
    lx_v = tl.load(LX + pv, mask=pv < B, other=0)
    ly_v = tl.load(LY + pv, mask=pv < B, other=0)
    T_v = tl.where(tl.load(FEAS + pv, mask=pv < B, other=0) != 0, lx_v + ly_v, 0)
    t_max = tl.max(T_v, axis=0)
    prob = pv.to(tl.int64)[:, None]  # (P, 1)
    lx = lx_v[:, None]
    ly = ly_v[:, None]
    T = T_v[:, None]
    lane = tl.arange(0, BLOCK)[None, :]  # (1, BLOCK)
    I = lane.to(tl.int64) + 1  # int64: large strides, and no overflow checks when interpreted
    row = I <= lx
    lo = tl.load(LO + prob * n + I - 1, mask=row, other=0)
    hi = tl.load(HI + prob * n + I - 1, mask=row, other=0)
    if HARD:
        gamma = 1.0
        inv_gamma = 1.0
    else:
        gamma = tl.load(GAMMA).to(dt)
        inv_gamma = 1.0 / gamma
    tile = lane + tl.arange(0, P)[:, None] * BLOCK
    scr = SCR + tl.program_id(0).to(tl.int64) * (8 * P * BLOCK) + tile
    xp = X + prob * sxb + (I - 1) * sxn
    zp = Z + prob * szb + (I - 1) * szi
    if UNIVARIATE:
        x1 = tl.load(xp, mask=row, other=0.0).to(dt)
    # R of the previous diagonal at this lane (LEFT) and at the lane before (UP), and of
    # the diagonal before at the lane before (DIAG); (0, 0) is the DIAG of (1, 1).
    left = tl.full([P, BLOCK], INF, dt)
    up = tl.full([P, BLOCK], INF, dt)
    dg = tl.where(lane == 0, 0.0, tl.full([P, BLOCK], INF, dt))
    rd_left = tl.zeros([P, BLOCK], dt)
    rd_up = tl.zeros([P, BLOCK], dt)
    rd_dg = tl.zeros([P, BLOCK], dt)
    before = tl.maximum(lane - 1, 0) + tl.zeros([P, BLOCK], tl.int32)
    for t in range(2, t_max + 1):
        J = t - I
        ok = row & (J >= 1) & (J <= ly) & (J - 1 >= lo) & (J - 1 < hi)
        if COST == 0:
            cost = tl.load(xp + (J - 1) * sxd, mask=ok, other=0.0).to(dt)
        elif UNIVARIATE:
            diff = x1 - tl.load(Y + prob * syb + (J - 1) * syn, mask=ok, other=0.0).to(dt)
            cost = diff * diff
        else:
            cost = tl.zeros([P, BLOCK], dt)
            yp = Y + prob * syb + (J - 1) * syn
            for f in range(d):
                x = tl.load(xp + f * sxd, mask=ok, other=0.0).to(dt)
                diff = x - tl.load(yp + f * syd, mask=ok, other=0.0).to(dt)
                cost += diff * diff
        if HARD:
            cur = tl.where(ok, cost + tl.minimum(tl.minimum(dg, up), left), INF)
            soft = cur  # the table of hard DTW holds R
        else:
            # soft minimum of (DIAG, UP, LEFT) and its weights
            lo2 = tl.minimum(dg, up)
            hi2 = tl.maximum(dg, up)
            mn = tl.minimum(lo2, left)
            mx = tl.maximum(hi2, left)
            md = tl.maximum(lo2, tl.minimum(hi2, left))
            reach = mn < INF
            mn0 = tl.where(reach, mn, 0.0)  # keeps inf - inf out of the exponentials
            e_md = tl.exp((mn0 - md) * inv_gamma)
            e_mx = tl.exp((mn0 - mx) * inv_gamma)
            s = 1.0 + e_md + e_mx
            soft = tl.where(ok & reach, mn - gamma * tl.log(s), INF)
            cur = cost + soft
            if ZMODE != 0:
                inv_s = 1.0 / s
                w_dg = tl.where(dg == mn, 1.0, tl.where(dg == md, e_md, e_mx)) * inv_s
                w_up = tl.where(up == mn, 1.0, tl.where(up == md, e_md, e_mx)) * inv_s
                w_left = tl.where(left == mn, 1.0, tl.where(left == md, e_md, e_mx)) * inv_s
                if ZMODE == 1:
                    z = tl.load(zp + (J - 1) * szj, mask=ok, other=0.0).to(dt)
                else:
                    gap = (I - J).to(dt)
                    lyf = tl.maximum(ly, 1).to(dt)
                    z = gap * gap * (1.0 / (lyf * lyf))
                rd = z + w_dg * rd_dg + w_up * rd_up + w_left * rd_left
                rd = tl.where(cur < INF, rd, 0.0)
        end = (I == lx) & (t == T)
        tl.store(VAL + prob + 0 * I, cur, mask=end)
        if ZMODE != 0:
            tl.store(TVAL + prob + 0 * I, rd, mask=end)
        if STORE:
            pos = prob * n * m + _diag_offset(t, n, m) + (I - tl.maximum(1, t - m))
            grid = (I <= n) & (J >= 1) & (J <= m) & (prob < B)
            tl.store(RT + pos, soft, mask=grid)
            if ZMODE != 0:
                tl.store(RDT + pos, rd, mask=grid)
        # the exchange: this diagonal at the lane before
        dg = up
        left = cur
        if GATHER:
            up = tl.where(lane >= 1, tl.gather(cur, before, 1), INF)
        else:
            slot = scr + (t % 2) * (4 * P * BLOCK)
            tl.store(slot, cur)
            if ZMODE != 0:
                tl.store(slot + P * BLOCK, rd)
            tl.debug_barrier()
            up = tl.load(slot - 1, mask=lane >= 1, other=INF)
        if ZMODE != 0:
            rd_dg = rd_up
            if GATHER:
                rd_up = tl.where(lane >= 1, tl.gather(rd, before, 1), 0.0)
            else:
                rd_up = tl.load(slot + P * BLOCK - 1, mask=lane >= 1, other=0.0)
            rd_left = rd
    # problems without a cell (an infeasible band, a length 0): no path
    none = (pv < B) & (T_v < 2)
    tl.store(VAL + pv, tl.full([P], INF, dt), mask=none)
    if ZMODE != 0:
        tl.store(TVAL + pv, tl.zeros([P], dt), mask=none)


@triton.jit
def reverse_kernel(
    X, Y, sxb, sxn, sxd, syb, syn, syd,
    Z, szb, szi, szj,
    LX, LY, FEAS, GAMMA,
    RT, RDT, E, ED, seb, sei, sej,
    GX, GY, GXT, GYT, SCR,
    B, n, m, d,
    P: tl.constexpr,
    BLOCK: tl.constexpr,
    COST: tl.constexpr,
    ZMODE: tl.constexpr,
    UNIVARIATE: tl.constexpr,
    GATHER: tl.constexpr,
):  # fmt: skip
    """Reverse DP of the problems ``P * program_id + (0 .. P - 1)`` over their stored
    tables ``R`` (``RT``), costs as in :func:`forward_kernel`.

    The expected alignment ``E_p = sum_s w(s <- p) E_s`` (1 at the end cell); with
    ``ZMODE`` also the reverse of the Hessian-vector product,
    ``Ed_p = sum_s w(s <- p) (Ed_s + E_s (Rd_s - Z_s - Rd_p) / gamma)``, from the tangent
    table ``RDT``.  ``COST == 0``: ``E`` (and ``Ed``) are written to the ``(B, n, m)``
    outputs ``E``, ``ED`` (zero on entry).  ``COST == 1``: they are chained through the
    squared Euclidean cost into ``GX`` ``(B, n, d)``, ``GY`` ``(B, m, d)`` (and ``GXT``,
    ``GYT``), contiguous, ``GY`` (``GYT``) zero on entry, and ``GX`` (``GXT``) too unless
    ``UNIVARIATE``: ``dx_i += 2 E_ij (x_i - y_j)``, ``dy_j -=`` the same.
    ``UNIVARIATE`` (``COST == 1``, ``d == 1``): ``x`` and the rows of ``GX`` (``GXT``)
    stay in registers, and are written whole at the end.
    """
    INF = float("inf")
    dt = GAMMA.dtype.element_ty
    pv = tl.program_id(0) * P + tl.arange(0, P)
    lx_v = tl.load(LX + pv, mask=pv < B, other=0)
    ly_v = tl.load(LY + pv, mask=pv < B, other=0)
    T_v = tl.where(tl.load(FEAS + pv, mask=pv < B, other=0) != 0, lx_v + ly_v, 0)
    t_max = tl.max(T_v, axis=0)
    prob = pv.to(tl.int64)[:, None]
    lx = lx_v[:, None]
    ly = ly_v[:, None]
    T = T_v[:, None]
    lane = tl.arange(0, BLOCK)[None, :]
    I = lane.to(tl.int64) + 1
    gamma = tl.load(GAMMA).to(dt)
    inv_gamma = 1.0 / gamma
    tile = lane + tl.arange(0, P)[:, None] * BLOCK
    scr = SCR + tl.program_id(0).to(tl.int64) * (8 * P * BLOCK) + tile
    xp = X + prob * sxb + (I - 1) * sxn
    zp = Z + prob * szb + (I - 1) * szi
    gxp = GX + (prob * n + I - 1) * d
    gxtp = GXT + (prob * n + I - 1) * d
    if UNIVARIATE:
        x1 = tl.load(xp, mask=I <= lx, other=0.0).to(dt)
        gx1 = tl.zeros([P, BLOCK], dt)
        gxt1 = tl.zeros([P, BLOCK], dt)
    # Successors of cell (I, J): LEFT (I, J + 1) at this lane of the next diagonal,
    # UP (I + 1, J) at the next lane of the next diagonal, DIAG (I + 1, J + 1) at the
    # next lane two diagonals on.  Each carries E and Q = R - D (-inf if inadmissible);
    # for the HVP also Ed and A = Rd - Z.
    e_l = tl.zeros([P, BLOCK], dt)
    e_u = tl.zeros([P, BLOCK], dt)
    e_d = tl.zeros([P, BLOCK], dt)
    q_l = tl.full([P, BLOCK], -INF, dt)
    q_u = tl.full([P, BLOCK], -INF, dt)
    q_d = tl.full([P, BLOCK], -INF, dt)
    ed_l = tl.zeros([P, BLOCK], dt)
    ed_u = tl.zeros([P, BLOCK], dt)
    ed_d = tl.zeros([P, BLOCK], dt)
    a_l = tl.zeros([P, BLOCK], dt)
    a_u = tl.zeros([P, BLOCK], dt)
    a_d = tl.zeros([P, BLOCK], dt)
    nxt = lane + 1 < BLOCK
    after = tl.minimum(lane + 1, BLOCK - 1) + tl.zeros([P, BLOCK], tl.int32)
    for k in range(0, t_max - 1):
        t = t_max - k
        J = t - I
        grid = (I <= n) & (J >= 1) & (J <= m) & (t <= T)
        pos = prob * n * m + _diag_offset(t, n, m) + (I - tl.maximum(1, t - m))
        # the soft minimum V of the cell's predecessors (+inf if inadmissible), its cost,
        # and R = D + V as the forward rounded it
        v = tl.load(RT + pos, mask=grid, other=INF)
        ok = v < INF
        if COST == 0:
            cost = tl.load(xp + (J - 1) * sxd, mask=ok, other=0.0).to(dt)
        elif UNIVARIATE:
            diff = x1 - tl.load(Y + prob * syb + (J - 1) * syn, mask=ok, other=0.0).to(dt)
            cost = diff * diff
        else:
            cost = tl.zeros([P, BLOCK], dt)
            yp = Y + prob * syb + (J - 1) * syn
            for f in range(d):
                x = tl.load(xp + f * sxd, mask=ok, other=0.0).to(dt)
                diff = x - tl.load(yp + f * syd, mask=ok, other=0.0).to(dt)
                cost += diff * diff
        r = cost + v
        w_l = tl.exp(tl.minimum((q_l - r) * inv_gamma, 0.0))
        w_u = tl.exp(tl.minimum((q_u - r) * inv_gamma, 0.0))
        w_d = tl.exp(tl.minimum((q_d - r) * inv_gamma, 0.0))
        e = e_l * w_l + e_u * w_u + e_d * w_d
        e = tl.where(ok, tl.where((I == lx) & (t == T), 1.0, e), 0.0)
        if ZMODE != 0:
            rd = tl.load(RDT + pos, mask=grid, other=0.0)
            ed = w_l * (ed_l + e_l * (a_l - rd) * inv_gamma)
            ed += w_u * (ed_u + e_u * (a_u - rd) * inv_gamma)
            ed += w_d * (ed_d + e_d * (a_d - rd) * inv_gamma)
            ed = tl.where(ok, ed, 0.0)
            if ZMODE == 1:
                z = tl.load(zp + (J - 1) * szj, mask=ok, other=0.0).to(dt)
            else:
                gap = (I - J).to(dt)
                lyf = tl.maximum(ly, 1).to(dt)
                z = gap * gap * (1.0 / (lyf * lyf))
            a = tl.where(ok, rd - z, 0.0)
        if COST == 0:
            out = prob * seb + (I - 1) * sei + (J - 1) * sej
            tl.store(E + out, e, mask=grid)
            if ZMODE != 0:
                tl.store(ED + out, ed, mask=grid)
        elif UNIVARIATE:
            gyp = GY + prob * m + J - 1
            g = 2.0 * e * diff
            gx1 += g
            tl.store(gyp, tl.load(gyp, mask=ok, other=0.0) - g, mask=ok)
            if ZMODE != 0:
                gytp = GYT + prob * m + J - 1
                g = 2.0 * ed * diff
                gxt1 += g
                tl.store(gytp, tl.load(gytp, mask=ok, other=0.0) - g, mask=ok)
        else:  # the chain rule, a second pass over the features
            gyp = GY + (prob * m + J - 1) * d
            gytp = GYT + (prob * m + J - 1) * d
            for f in range(d):
                x = tl.load(xp + f * sxd, mask=ok, other=0.0).to(dt)
                diff = x - tl.load(yp + f * syd, mask=ok, other=0.0).to(dt)
                g = 2.0 * e * diff
                tl.store(gxp + f, tl.load(gxp + f, mask=ok, other=0.0) + g, mask=ok)
                tl.store(gyp + f, tl.load(gyp + f, mask=ok, other=0.0) - g, mask=ok)
                if ZMODE != 0:
                    g = 2.0 * ed * diff
                    tl.store(gxtp + f, tl.load(gxtp + f, mask=ok, other=0.0) + g, mask=ok)
                    tl.store(gytp + f, tl.load(gytp + f, mask=ok, other=0.0) - g, mask=ok)
        # successors' weights use V, not R - D: that difference would lose the digits a
        # weight needs when R is large against gamma
        q = tl.where(ok, v, -INF)
        # the exchange: this diagonal at the next lane
        e_d = e_u
        q_d = q_u
        if GATHER:
            e_u = tl.where(nxt, tl.gather(e, after, 1), 0.0)
            q_u = tl.where(nxt, tl.gather(q, after, 1), -INF)
            if COST == 1:
                # column j's gradient is updated by lane t - j: another lane (thread) on
                # the next diagonal, which must see this one's write
                tl.debug_barrier()
        else:
            slot = scr + (k % 2) * (4 * P * BLOCK)
            tl.store(slot, e)
            tl.store(slot + P * BLOCK, q)
            if ZMODE != 0:
                tl.store(slot + 2 * P * BLOCK, ed)
                tl.store(slot + 3 * P * BLOCK, a)
            tl.debug_barrier()
            e_u = tl.load(slot + 1, mask=nxt, other=0.0)
            q_u = tl.load(slot + P * BLOCK + 1, mask=nxt, other=-INF)
        e_l = e
        q_l = q
        if ZMODE != 0:
            ed_d = ed_u
            a_d = a_u
            if GATHER:
                ed_u = tl.where(nxt, tl.gather(ed, after, 1), 0.0)
                a_u = tl.where(nxt, tl.gather(a, after, 1), 0.0)
            else:
                ed_u = tl.load(slot + 2 * P * BLOCK + 1, mask=nxt, other=0.0)
                a_u = tl.load(slot + 3 * P * BLOCK + 1, mask=nxt, other=0.0)
            ed_l = ed
            a_l = a
    if UNIVARIATE:
        rows = (I <= n) & (prob < B)
        tl.store(gxp, gx1, mask=rows)
        if ZMODE != 0:
            tl.store(gxtp, gxt1, mask=rows)


@triton.jit
def path_kernel(RT, A, sab, sai, saj, LX, LY, FEAS, n, m):
    """0/1 matrix of the optimal hard-DTW path of problem ``program_id`` into ``A``
    ``(B, n, m)`` (zero on entry), backtracked from its table ``R`` (``RT``); ties
    prefer the diagonal, then the cell above, then the cell to the left (as
    :func:`._numba_accumulate.backtrack`).
    """
    INF = float("inf")
    b = tl.program_id(0)
    b64 = b.to(tl.int64)
    tab = b64 * n * m
    lx = tl.load(LX + b)
    ly = tl.load(LY + b)
    feasible = (tl.load(FEAS + b) != 0) & (lx >= 1) & (ly >= 1)
    i = tl.maximum(lx, 1)
    j = tl.maximum(ly, 1)
    pos = tab + _diag_offset(i + j, n, m) + (i - tl.maximum(1, i + j - m))
    active = feasible & (tl.load(RT + pos, mask=feasible, other=INF) < INF)
    for _ in range(0, lx + ly - 1):
        tl.store(A + b64 * sab + (i - 1) * sai + (j - 1) * saj, 1.0, mask=active)
        inner = active & (i > 1) & (j > 1)
        # (i - 1, j - 1) on diagonal i + j - 2, (i - 1, j) and (i, j - 1) on i + j - 1
        o2 = tab + _diag_offset(i + j - 2, n, m) - tl.maximum(1, i + j - 2 - m)
        o1 = tab + _diag_offset(i + j - 1, n, m) - tl.maximum(1, i + j - 1 - m)
        diag = tl.load(RT + o2 + i - 1, mask=inner, other=INF)
        up = tl.load(RT + o1 + i - 1, mask=inner, other=INF)
        left = tl.load(RT + o1 + i, mask=inner, other=INF)
        go_diag = (diag <= up) & (diag <= left)
        go_up = (diag > up) | (diag > left)
        go_up = go_up & (up <= left)
        di = tl.where(j == 1, 1, tl.where(i == 1, 0, tl.where(go_diag | go_up, 1, 0)))
        dj = tl.where(i == 1, 1, tl.where(j == 1, 0, tl.where(go_up, 0, 1)))
        step = active & ((i > 1) | (j > 1))
        i = tl.where(step, i - di, i)
        j = tl.where(step, j - dj, j)
        active = step

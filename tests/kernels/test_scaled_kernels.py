"""The scaled-probability-domain soft-DTW kernels (``_numba_softdtw_scaled``): against the log
domain, extended precision and brute force; pruning, giving up and the fallback."""

import itertools
import math

import numpy as np
import pytest
import torch

from tsgrad._kernels import _numba_softdtw as nd
from tsgrad._kernels import _numba_softdtw_scaled as ns
from tsgrad._kernels import full_bands, make_bands
from tsgrad._kernels._diag_layout import _VEC, _transposed, band_layout
from tsgrad._kernels._router import THRESHOLDS
from tsgrad.losses import soft_dtw_loss

from .._oracles import all_paths, brute_soft_dtw, ragged_batch

_WEIGHTS_MAX = THRESHOLDS.series_weights_max_cells


def _vouched(X, Y, gamma, bands):
    """Per problem: did the scaled route give the value (not NaN)?"""
    n, m = X.shape[1], Y.shape[1]
    XT, YrT = _transposed(X, Y)
    out = []
    for b in range(X.shape[0]):
        gx = np.zeros((X.shape[2], n))
        gy = np.zeros((X.shape[2], m))
        lo, hi, lx, ly = bands.lo[b], bands.hi[b], bands.lx[b], bands.ly[b]
        cells, off, L = band_layout(lo, hi, lx, ly)
        v = ns.scaled_value_grad_one(
            XT[b], YrT[b], gamma, lx, ly, lo, hi, cells, off, L, True, gx, gy
        )
        out.append(not math.isnan(v))
    return np.array(out)


def _forward_tables(x, y, gamma, band=None):
    """The scaled forward of one pair; returns (value, P, off)."""
    n, m = x.shape[0], y.shape[0]
    b = band if band is not None else full_bands(1, n, m)
    cells, off, L = band_layout(b.lo[0], b.hi[0], b.lx[0], b.ly[0])
    XT, YrT = _transposed(x[None], y[None])
    P = np.zeros(L)
    KS = np.zeros(L)
    r = np.zeros(n + m + 3, dtype=np.int64)
    a1, a2 = np.zeros(n + m + 3), np.zeros(n + m + 3)
    c = np.zeros(n + 1 + _VEC)
    v = ns.scaled_forward_sqeuclidean(
        XT[0], YrT[0], gamma, b.lx[0], b.ly[0], b.lo[0], b.hi[0], cells, off, P, KS, r, a1, a2, c
    )
    return v, P, off


# B, n, m, d, ragged, (constraint code, parameter), gamma, all problems in the scaled route
CASES = {
    "square-gamma1": (5, 30, 30, 1, False, (0, 0.0), 1.0, True),
    "rect-multivariate": (4, 23, 17, 3, False, (0, 0.0), 0.5, True),
    "ragged-sakoe": (6, 25, 19, 2, True, (1, 4.0), 1.0, True),
    "itakura": (3, 20, 20, 1, False, (2, 2.0), 1.0, True),
    "large-gamma": (3, 40, 35, 2, False, (0, 0.0), 10.0, True),
    "n1-m1-one-path": (2, 1, 1, 2, False, (0, 0.0), 1.0, False),
    "n1-long-one-path": (2, 1, 9, 1, False, (0, 0.0), 1.0, False),
    "sakoe-0-one-path": (2, 9, 9, 1, False, (1, 0.0), 1.0, False),
    "small-gamma-falls-back": (4, 30, 30, 3, False, (0, 0.0), 0.01, False),
}


@pytest.mark.parametrize("case", list(CASES))
def test_scaled_matches_log_domain(case):
    B, n, m, d, ragged, (kind, param), gamma, all_scaled = CASES[case]
    X, Y, lx, ly = ragged_batch(B, n, m, d, ragged)
    b = make_bands(lx, ly, n, kind, param)
    vouched = _vouched(X, Y, gamma, b)
    assert vouched.all() if all_scaled else not vouched.any()
    args = (X, Y, gamma, b.lx, b.ly, b.lo, b.hi, _WEIGHTS_MAX)
    val, gx, gy = nd.sqeuclidean_value_grad(*args, True)
    ref_val, ref_gx, ref_gy = nd.sqeuclidean_value_grad(*args, False)
    np.testing.assert_allclose(val, ref_val, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gx, ref_gx, rtol=1e-10, atol=1e-12 * np.abs(ref_gx).max())
    np.testing.assert_allclose(gy, ref_gy, rtol=1e-10, atol=1e-12 * np.abs(ref_gy).max())
    np.testing.assert_allclose(
        nd.sqeuclidean_values(*args[:-1], True), ref_val, rtol=1e-12, atol=1e-12
    )
    for k in range(B):  # padded steps get no gradient
        assert not gx[k, lx[k] :].any() and not gy[k, ly[k] :].any()


def test_float32_series_computed_in_float64():
    X, Y, lx, ly = ragged_batch(3, 20, 15, 2, False)
    b = make_bands(lx, ly, 20)
    X32, Y32 = X.astype(np.float32), Y.astype(np.float32)
    assert _vouched(X32, Y32, 1.0, b).all()
    got = nd.sqeuclidean_value_grad(X32, Y32, 1.0, b.lx, b.ly, b.lo, b.hi, 0, True)
    ref = nd.sqeuclidean_value_grad(
        X32.astype(np.float64), Y32.astype(np.float64), 1.0, b.lx, b.ly, b.lo, b.hi, 0, False
    )
    for g, r in zip(got, ref, strict=True):
        assert g.dtype == np.float64
        np.testing.assert_allclose(g, r, rtol=1e-11, atol=1e-13)


@pytest.mark.parametrize("gamma", [0.3, 1.0, 5.0])
def test_scaled_against_brute_force(gamma):
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((4, 2)), rng.standard_normal((3, 2))
    D = ((x[:, None] - y[None]) ** 2).sum(-1)
    assert len(all_paths(4, 3)) == 25  # Delannoy D(3, 2)
    value, E = brute_soft_dtw(D, gamma)
    b = full_bands(1, 4, 3)
    assert _vouched(x[None], y[None], gamma, b).all()
    val, gx, gy = nd.sqeuclidean_value_grad(
        x[None], y[None], gamma, b.lx, b.ly, b.lo, b.hi, 0, True
    )
    diff = x[:, None] - y[None]
    np.testing.assert_allclose(val[0], value, rtol=1e-13)
    np.testing.assert_allclose(gx[0], 2 * (E[..., None] * diff).sum(1), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(gy[0], -2 * (E[..., None] * diff).sum(0), rtol=1e-12, atol=1e-14)


def test_scaled_against_extended_precision():
    # The sum-product recursion in 40-digit arithmetic: the scaled route is within a few
    # ulps of the exact value, as accurate as the log domain or more.
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 40
    rng = np.random.default_rng(1)
    n, m, gamma = 30, 25, 0.5
    x, y = rng.standard_normal((n, 1)) * 2, rng.standard_normal((m, 1)) * 2
    P = [[mp.mpf(0)] * (m + 1) for _ in range(n + 1)]
    P[0][0] = mp.mpf(1)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            d = (mp.mpf(float(x[i - 1, 0])) - mp.mpf(float(y[j - 1, 0]))) ** 2
            P[i][j] = mp.exp(-d / gamma) * (P[i - 1][j] + P[i][j - 1] + P[i - 1][j - 1])
    exact = float(-gamma * mp.log(P[n][m]))
    b = full_bands(1, n, m)
    val = nd.sqeuclidean_values(x[None], y[None], gamma, b.lx, b.ly, b.lo, b.hi, True)[0]
    assert abs(val - exact) <= 1e-13 * abs(exact)


def test_pruned_cells_are_accounted_for():
    # gamma = 0.05 against costs of order 1: cells far from the cheap paths fall below
    # 2**-1000 of their diagonal's largest and are pruned; the bound on the paths through
    # them still vouches for the result, which matches the log domain.
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((40, 1)), rng.standard_normal((40, 1))
    v, P, off = _forward_tables(x, y, 0.05)
    pruned = sum(P[off[i + j] + i] == 0.0 for i in range(1, 41) for j in range(1, 41))
    assert pruned > 0 and not math.isnan(v)
    b = full_bands(1, 40, 40)
    args = (x[None], y[None], 0.05, b.lx, b.ly, b.lo, b.hi, 0)
    got_ref = zip(
        nd.sqeuclidean_value_grad(*args, True), nd.sqeuclidean_value_grad(*args, False), strict=True
    )
    for got, ref in got_ref:
        np.testing.assert_allclose(got, ref, rtol=1e-11, atol=1e-12 * np.abs(ref).max())


def test_gives_up_when_the_bound_fails():
    # gamma = 0.01: the pruned paths could matter by the bound; the forward gives up
    # (NaN) and leaves the gradients at zero; the entry point's result is the log domain's.
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((2, 40, 1)), rng.standard_normal((2, 40, 1))
    b = full_bands(2, 40, 40)
    cells, off, L = band_layout(b.lo[0], b.hi[0], 40, 40)
    XT, YrT = _transposed(X, Y)
    gx, gy = np.zeros((1, 40)), np.zeros((1, 40))
    v = ns.scaled_value_grad_one(
        XT[0], YrT[0], 0.01, 40, 40, b.lo[0], b.hi[0], cells, off, L, True, gx, gy
    )
    assert math.isnan(v) and not gx.any() and not gy.any()
    args = (X, Y, 0.01, b.lx, b.ly, b.lo, b.hi)
    got = nd.sqeuclidean_value_grad(*args, _WEIGHTS_MAX, True)
    ref = nd.sqeuclidean_value_grad(*args, _WEIGHTS_MAX, False)
    for g, r in zip(got, ref, strict=True):
        np.testing.assert_array_equal(g, r)


def test_infeasible_band_falls_back_to_infinity():
    # Itakura's parallelogram admits no path for these lengths: value inf, gradient 0.
    X, Y, lx, ly = ragged_batch(2, 12, 12, 1, False)
    lx = np.array([12, 3])
    b = make_bands(lx, ly, 12, 2, 2.0)
    X[1, 3:] = np.nan
    val, gx, gy = nd.sqeuclidean_value_grad(X, Y, 1.0, b.lx, b.ly, b.lo, b.hi, 0, True)
    ref = nd.sqeuclidean_value_grad(X, Y, 1.0, b.lx, b.ly, b.lo, b.hi, 0, False)
    assert np.isinf(val[1]) and not gx[1].any() and not gy[1].any()
    for g, r in zip((val, gx, gy), ref, strict=True):
        np.testing.assert_allclose(g, r, rtol=1e-12, atol=1e-14)


def test_pair_values_use_the_scaled_route():
    # softdtw_pairs_value (NumPy soft_dtw / cdist_soft_dtw) against the log domain.
    X, Y, lx, ly = ragged_batch(3, 15, 12, 2, True)
    ii, jj = np.repeat(np.arange(3), 3), np.tile(np.arange(3), 3)
    got = nd.softdtw_pairs_value(X, Y, lx, ly, ii, jj, 0.7, 1, 5.0)
    for p, (a, c) in enumerate(zip(ii, jj, strict=True)):
        b = make_bands(lx[a : a + 1], ly[c : c + 1], 15, 1, 5.0)
        ref = nd.sqeuclidean_values(X[a : a + 1], Y[c : c + 1], 0.7, b.lx, b.ly, b.lo, b.hi, False)
        np.testing.assert_allclose(got[p], ref[0], rtol=1e-12)


def test_gradcheck_through_the_loss_in_the_scaled_route():
    # torch gradcheck (float64, B = 3) of the public loss where every problem takes the
    # scaled route.
    g = torch.Generator().manual_seed(0)
    x = torch.randn(3, 7, 2, dtype=torch.float64, generator=g, requires_grad=True)
    y = torch.randn(3, 5, 2, dtype=torch.float64, generator=g, requires_grad=True)
    b = full_bands(3, 7, 5)
    assert _vouched(x.detach().numpy(), y.detach().numpy(), 1.0, b).all()
    assert torch.autograd.gradcheck(
        lambda a, c: soft_dtw_loss(a, c, 1.0, reduction="none"), (x, y), atol=1e-8, rtol=1e-6
    )


def test_delannoy_bound_used_by_the_pruning_test():
    # D(a, b) <= (1 + sqrt 2)**(a + b), the path count bound of the Notes: exact integers
    # from the recursion, checked against path enumeration on small sizes.
    N = 60
    D = [[1] * (N + 1) for _ in range(N + 1)]
    for a, b in itertools.product(range(1, N + 1), repeat=2):
        D[a][b] = D[a - 1][b] + D[a][b - 1] + D[a - 1][b - 1]
    assert D[3][2] == len(all_paths(4, 3)) and D[5][5] == len(all_paths(6, 6))
    log_silver = math.log(1 + math.sqrt(2))
    assert ns.LOG_SILVER == pytest.approx(log_silver, rel=1e-15)
    for a, b in itertools.product(range(N + 1), repeat=2):
        assert math.log(D[a][b]) <= (a + b) * log_silver + 1e-12


def test_underflowing_row_falls_back():
    # One step of x far from every step of y: its whole row has exp(-D / gamma) below
    # the smallest double, every path crosses it, and the weight lost to underflow is not
    # negligible, so the scaled route must not vouch; the log domain gives the result.
    rng = np.random.default_rng(2)
    X, Y = rng.standard_normal((2, 30, 1)), rng.standard_normal((2, 25, 1))
    X[0, 12, 0] = 100.0
    b = full_bands(2, 30, 25)
    assert _vouched(X, Y, 1.0, b).tolist() == [False, True]
    args = (X, Y, 1.0, b.lx, b.ly, b.lo, b.hi, 0)
    for got, ref in zip(
        nd.sqeuclidean_value_grad(*args, True), nd.sqeuclidean_value_grad(*args, False), strict=True
    ):
        np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-12 * np.abs(ref).max())


def test_expensive_row_keeps_its_gradient():
    # Regression (found by a review's fuzzing): x[1] is expensive against both steps of y
    # (D / gamma 530 and 564), so the kept cell (2, 1) has K = e**-484 against the
    # diagonal's other cell; its backward factor K / 2**e underflowed when stored with the
    # 2**512 bias of the sums, silently dropping E(1, 1).  Checked against finite
    # differences of the log domain.
    x = np.array([0.8313442420434601, -7.74808340377255, -2.8566535046485484])[:, None]
    y = np.array([-1.2797554792421402, -1.0785044957378445])[:, None]
    gamma = 0.07883130702534806
    b = full_bands(1, 3, 2)
    assert _vouched(x[None], y[None], gamma, b).all()
    val, gx, gy = nd.sqeuclidean_value_grad(
        x[None], y[None], gamma, b.lx, b.ly, b.lo, b.hi, 0, True
    )

    def value(xx, yy):
        return nd.sqeuclidean_values(xx[None], yy[None], gamma, b.lx, b.ly, b.lo, b.hi, False)[0]

    h = 1e-6
    fdx = [(value(x + h * e, y) - value(x - h * e, y)) / (2 * h) for e in np.eye(3)[:, :, None]]
    fdy = [(value(x, y + h * e) - value(x, y - h * e)) / (2 * h) for e in np.eye(2)[:, :, None]]
    np.testing.assert_allclose(gx[0, :, 0], fdx, rtol=1e-6)
    np.testing.assert_allclose(gy[0, :, 0], fdy, rtol=1e-6)
    assert abs(gx[0, 0, 0] - 4.2222) < 1e-3  # the term that was dropped


def test_random_problems_agree_with_the_log_domain():
    # A small fuzz: random sizes, dimensions, bands, gammas over 6 decades and cost scales
    # over 6 decades; whichever route each problem takes, values and gradients agree with
    # the log domain's.
    rng = np.random.default_rng(11)
    used = 0
    for _ in range(60):
        n, m, d = rng.integers(1, 40), rng.integers(1, 40), rng.integers(1, 4)
        gamma = 10.0 ** rng.uniform(-3, 3)
        amp = 10.0 ** rng.uniform(-3, 3) * math.sqrt(gamma)
        X = rng.standard_normal((3, n, d)) * amp
        Y = rng.standard_normal((3, m, d)) * amp
        X[0, rng.integers(n)] += 30 * amp  # an outlier step
        kind = rng.integers(3)
        param = [0.0, float(rng.integers(0, 6)), float(rng.uniform(1.2, 3.0))][kind]
        b = make_bands(np.full(3, n), np.full(3, m), n, kind, param)
        used += _vouched(X, Y, gamma, b).sum()
        args = (X, Y, gamma, b.lx, b.ly, b.lo, b.hi, 0)
        got, ref = nd.sqeuclidean_value_grad(*args, True), nd.sqeuclidean_value_grad(*args, False)
        finite = np.isfinite(ref[0])
        np.testing.assert_array_equal(np.isfinite(got[0]), finite)
        np.testing.assert_allclose(got[0][finite], ref[0][finite], rtol=1e-9, atol=1e-12 * gamma)
        for g, r in zip(got[1:], ref[1:], strict=True):
            np.testing.assert_allclose(g, r, rtol=1e-7, atol=1e-9 * max(np.abs(r).max(), 1e-300))
    assert 30 < used < 180  # both routes taken


def test_one_path_problems_stay_exact():
    # A single admissible path makes soft-DTW a plain sum of costs; costs far below gamma
    # would lose their relative precision through exp(-D / gamma), so these problems take
    # the log domain (found by a review: 1e-12 came back as 9.99978e-13).
    x = np.full((1, 1, 1), 1e-6)
    y = np.zeros((1, 5, 1))
    b = full_bands(1, 1, 5)
    assert not _vouched(x, y, 10.0, b).any()
    val = nd.sqeuclidean_values(x, y, 10.0, b.lx, b.ly, b.lo, b.hi, True)[0]
    assert val == pytest.approx(5e-12, rel=1e-15)

"""The anti-diagonal soft-DTW kernels (``_numba_softdtw``) and the router's routes against
first principles.

The oracle is the soft-min recursion of ``tests._oracles.softdtw_recursion`` differentiated by
plain autograd, run per element on the cost cropped to its lengths: the value, the expected
alignment ``E = dV/dD`` and the Hessian-vector product ``d<E, Z>/dD``.  Cells outside the
band get the cost ``BIG`` in the oracle: every path through one has a soft-min weight
``exp(-BIG / gamma) = 0``.  The padded part of every kernel input holds garbage (NaN,
infinities, huge values) that must not leak into any result.
"""

import functools
import math

import numpy as np
import pytest
import torch

import tsgrad.metrics
from tsgrad._kernels import (
    CONSTRAINT_CODES,
    CostMatrix,
    SqEuclidean,
    _torch_autograd,
    alignment,
    full_bands,
    make_bands,
    temporal_distortion,
    value_and_grad,
    values,
)
from tsgrad._kernels import _numba_softdtw as nd
from tsgrad.losses import soft_dtw_loss

from .._oracles import BANDS, B, M, N, softdtw_recursion, sqeuclidean

BIG = 1e6  # out-of-band cost of the oracle; exp(-BIG / 10) underflows to 0
GARBAGE = [np.nan, -np.inf, 1.0, -1.0]  # padding of element b: GARBAGE[b % 4] * dtype max
GAMMAS = [1e-3, 0.1, 1.0, 10.0]
GAMMA_IDS = ["g1e-3", "g0.1", "g1", "g10"]


# --------------------------------------------------------------------------------------
# Oracles and inputs
# --------------------------------------------------------------------------------------
def _band_mask(bands, b):
    """Admissible cells ``(lx, ly)`` of element ``b``, as a bool tensor."""
    lx, ly = int(bands.lx[b]), int(bands.ly[b])
    j = np.arange(ly)[None, :]
    mask = (j >= bands.lo[b, :lx, None]) & (j < bands.hi[b, :lx, None])
    return torch.from_numpy(mask)


def _crop(inputs, b, lx, ly):
    """Element ``b`` of ``[D]`` cropped to ``(lx, ly)``, or of ``[X, Y]`` to ``lx``, ``ly`` rows."""
    if len(inputs) == 1:
        return [inputs[0][b, :lx, :ly]]
    return [inputs[0][b, :lx], inputs[1][b, :ly]]


def _reference(cost_fn, inputs, Z, gamma, bands):
    """Oracle ``(value (B,), E (B, n, m), H (B, n, m), <E, Z> (B,))`` and the gradients of
    the values w.r.t. ``inputs``; infeasible elements get ``inf`` and zeros.

    ``inputs`` is ``[D]`` (costs, cropped to ``(lx, ly)``) or ``[X, Y]`` (series, cropped
    to ``lx`` and ``ly`` rows); ``cost_fn`` builds the cost of one element from its crops.
    """
    Bn, n, m = Z.shape
    val, dv = np.full(Bn, np.inf), np.zeros(Bn)
    E, H = np.zeros((Bn, n, m)), np.zeros((Bn, n, m))
    grads = [np.zeros(x.shape) for x in inputs]
    for b in range(Bn):
        if not bands.feasible[b]:
            continue
        lx, ly = int(bands.lx[b]), int(bands.ly[b])
        crops = [torch.tensor(x, requires_grad=True) for x in _crop(inputs, b, lx, ly)]
        D = cost_fn(*crops)
        cost = torch.where(_band_mask(bands, b), D, BIG)
        v = softdtw_recursion(cost[None], gamma)[0]
        g = torch.autograd.grad(v, [D, *crops], create_graph=True)
        z = torch.from_numpy(Z[b, :lx, :ly])
        ez = (g[0] * z).sum()
        if ez.requires_grad:  # E is constant for a single cell: H = 0
            (h,) = torch.autograd.grad(ez, D)
            H[b, :lx, :ly] = h.numpy()
        val[b], dv[b] = v.item(), ez.item()
        E[b, :lx, :ly] = g[0].detach().numpy()
        for k, gk in enumerate(g[1:]):
            grads[k][b][tuple(slice(0, s) for s in gk.shape)] = gk.detach().numpy()
    return (val, E, H, dv), grads


def _identity(D):
    return D


def _pad_with_garbage(A, lengths):
    """``A`` (B, n, ...) with ``A[b, lengths[b]:]`` set to garbage (in place)."""
    huge = np.finfo(A.dtype).max
    for b, length in enumerate(lengths):
        A[b, length:] = GARBAGE[b % 4] * huge
    return A


def _without_garbage(A):
    """``A`` with its garbage padding replaced by zeros."""
    return np.where(np.abs(A) < 1e30, A, 0.0)  # NaN compares False


def _costs(bands, n, m, seed, dtype=np.float64, scale=3.0):
    """Random costs ``D`` in ``[0, scale)`` and directions ``Z`` ``(B, n, m)``, with
    garbage padding."""
    rng = np.random.default_rng(seed)
    Bn = bands.lx.shape[0]
    D = (rng.random((Bn, n, m)) * scale).astype(dtype)
    Z = rng.standard_normal((Bn, n, m))
    for A in (D, Z):
        _pad_with_garbage(A, bands.lx)
        _pad_with_garbage(A.transpose(0, 2, 1), bands.ly)
    return D, Z


def _series(bands, n, m, d, seed):
    """Random series ``X`` ``(B, n, d)``, ``Y`` ``(B, m, d)`` with garbage padding."""
    rng = np.random.default_rng(seed)
    Bn = bands.lx.shape[0]
    X = _pad_with_garbage(rng.standard_normal((Bn, n, d)), bands.lx)
    Y = _pad_with_garbage(rng.standard_normal((Bn, m, d)), bands.ly)
    return X, Y


def _stored_weights(D, Z, gamma, b):
    n, m = D.shape[1:]
    S, val, W = nd.softdtw_forward_weights(D, gamma, b.lx, b.ly, b.lo, b.hi)
    E = nd.softdtw_backward_weights(W, S, b.lx, b.ly, b.lo, b.hi, n, m)
    H, dv = nd.softdtw_hvp_weights(W, S, E, Z, gamma, b.lx, b.ly, b.lo, b.hi)
    return val, E, H, dv


def _recomputed_weights(D, Z, gamma, b):
    n, m = D.shape[1:]
    S, val = nd.softdtw_forward(D, gamma, b.lx, b.ly, b.lo, b.hi)
    E = nd.softdtw_backward(S, gamma, b.lx, b.ly, b.lo, b.hi, n, m)
    H, dv = nd.softdtw_hvp(S, E, Z, gamma, b.lx, b.ly, b.lo, b.hi)
    return val, E, H, dv


ROUTES = {"stored": _stored_weights, "recomputed": _recomputed_weights}


@functools.cache
def _band_case(band, gamma):
    """Inputs and oracle of one ``BANDS`` layout (computed once per module run)."""
    bands = BANDS[band]()
    D, Z = _costs(bands, N, M, seed=len(band))
    ref, _ = _reference(_identity, [D], Z, gamma, bands)
    return bands, D, Z, ref


def _assert_matches(got, ref, gamma):
    val, E, H, dv = got
    rval, rE, rH, rdv = ref
    np.testing.assert_allclose(val, rval, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(E, rE, rtol=1e-10, atol=1e-12)
    # H scales like 1 / gamma.
    np.testing.assert_allclose(H, rH, rtol=1e-8, atol=1e-10 / gamma)
    np.testing.assert_allclose(dv, rdv, rtol=1e-10, atol=1e-12)


# --------------------------------------------------------------------------------------
# Cost-matrix kernels
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("route", list(ROUTES))
@pytest.mark.parametrize("gamma", GAMMAS, ids=GAMMA_IDS)
@pytest.mark.parametrize("band", list(BANDS))
def test_kernels_match_autograd_oracle(band, gamma, route):
    bands, D, Z, ref = _band_case(band, gamma)
    got = ROUTES[route](D, Z, gamma, bands)
    assert all(np.isfinite(a).all() for a in got[1:])  # no garbage leaked
    _assert_matches(got, ref, gamma)
    vals = nd.softdtw_values(D, gamma, bands.lx, bands.ly, bands.lo, bands.hi)
    np.testing.assert_array_equal(vals, got[0])


@pytest.mark.parametrize("route", list(ROUTES))
def test_infeasible_itakura_element_has_inf_value_and_zero_derivatives(route):
    bands = BANDS["itakura-with-infeasible"]()
    infeasible = ~bands.feasible
    assert infeasible.any() and bands.feasible.any()
    D, Z = _costs(bands, N, M, seed=3)
    val, E, H, dv = ROUTES[route](D, Z, 0.5, bands)
    assert np.isposinf(val[infeasible]).all() and np.isfinite(val[bands.feasible]).all()
    assert (E[infeasible] == 0).all() and (H[infeasible] == 0).all()
    assert (dv[infeasible] == 0).all()


SHAPES = [(1, 1), (1, 5), (5, 1), (2, 6), (6, 3)]


@pytest.mark.parametrize("route", list(ROUTES))
@pytest.mark.parametrize("gamma", [0.1, 1.0], ids=["g0.1", "g1"])
@pytest.mark.parametrize("nm", SHAPES, ids=[f"n{n}-m{m}" for n, m in SHAPES])
def test_single_row_column_and_rectangular_problems(nm, gamma, route):
    n, m = nm
    bands = full_bands(2, n, m)
    D, Z = _costs(bands, n, m, seed=n * 10 + m)
    ref, _ = _reference(_identity, [D], Z, gamma, bands)
    _assert_matches(ROUTES[route](D, Z, gamma, bands), ref, gamma)
    if n == 1 or m == 1:  # one alignment only: the value is the sum, E is all ones
        np.testing.assert_allclose(ref[0], D.sum((1, 2)), rtol=1e-14)
        E = ROUTES[route](D, Z, gamma, bands)[1]
        np.testing.assert_allclose(E, 1.0, rtol=0, atol=1e-14)  # 1 - 1e-15 if recomputed


@pytest.mark.parametrize("route", list(ROUTES))
@pytest.mark.parametrize("band", list(BANDS))
def test_float32_costs_give_the_float64_computation_of_their_values(band, route):
    bands = BANDS[band]()
    D32, Z = _costs(bands, N, M, seed=7, dtype=np.float32)
    assert D32.dtype == np.float32
    got32 = ROUTES[route](D32, Z, 0.3, bands)
    got64 = ROUTES[route](D32.astype(np.float64), Z, 0.3, bands)
    for a, b in zip(got32, got64, strict=True):
        assert a.dtype == np.float64
        np.testing.assert_array_equal(a, b)
    values32 = nd.softdtw_values(D32, 0.3, bands.lx, bands.ly, bands.lo, bands.hi)
    np.testing.assert_array_equal(values32, got64[0])


@pytest.mark.parametrize("route", list(ROUTES))
def test_large_costs_and_small_gamma_stay_finite_and_near_hard_dtw(route):
    bands = BANDS["lengths"]()
    D, Z = _costs(bands, N, M, seed=11, scale=3e6)
    val, E, H, dv = ROUTES[route](D, Z, 1e-4, bands)
    assert np.isfinite(val).all() and np.isfinite(E).all() and np.isfinite(H).all()
    assert np.isfinite(dv).all()
    # gamma -> 0: E tends to the 0/1 matrix of the (here unique) optimal path.
    hard, A = alignment(CostMatrix(_without_garbage(D)), None, bands)
    np.testing.assert_allclose(val, hard, rtol=1e-12)
    # The recomputed weights are the forward's soft minimum of the same predecessors: no
    # rounding of R / gamma (eps * 1e7 / 1e-4 ~ 2e-5 here, when they were exp((R - D -
    # R_pred) / gamma)).
    np.testing.assert_allclose(E, A, rtol=0, atol=1e-12)


# --------------------------------------------------------------------------------------
# Fused squared-Euclidean kernels
# --------------------------------------------------------------------------------------
SQ_BANDS = ["full", "lengths", "sakoe-chiba", "itakura-with-infeasible"]


@functools.cache
def _sq_case(band, d, gamma):
    bands = BANDS[band]()
    X, Y = _series(bands, N, M, d, seed=d)
    Z = np.zeros((B, N, M))
    (val, *_), (gx, gy) = _reference(_sqeuclidean_one, [X, Y], Z, gamma, bands)
    return bands, X, Y, val, gx, gy


def _sqeuclidean_one(x, y):
    return sqeuclidean(x[None], y[None])[0]


@pytest.mark.parametrize("gamma", [0.1, 1.0], ids=["g0.1", "g1"])
@pytest.mark.parametrize("d", [1, 3], ids=["d1", "d3"])
@pytest.mark.parametrize("band", SQ_BANDS)
def test_sqeuclidean_value_grad_matches_autograd(band, d, gamma):
    bands, X, Y, val, gx, gy = _sq_case(band, d, gamma)
    b = bands
    got, (GX, GY) = value_and_grad(SqEuclidean(X, Y), gamma, b)
    np.testing.assert_allclose(got, val, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(GX, gx, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(GY, gy, rtol=1e-10, atol=1e-12)
    for G, lengths in ((GX, b.lx), (GY, b.ly)):  # padded rows: exactly zero
        for k, length in enumerate(lengths):
            assert (G[k, length:] == 0).all()
    np.testing.assert_array_equal(values(SqEuclidean(X, Y), gamma, b), got)


@pytest.mark.parametrize(
    "kind,param",
    [(None, 0.0), ("sakoe_chiba", 1), ("itakura", 2.0)],
    ids=["full", "sakoe-chiba", "itakura"],
)
def test_pairs_value_matches_values_on_the_explicit_cost(kind, param):
    lx, ly = np.array([7, 2, 5]), np.array([6, 6, 3, 1])
    rng = np.random.default_rng(5)
    X = _pad_with_garbage(rng.standard_normal((3, 7, 2)), lx)
    Y = _pad_with_garbage(rng.standard_normal((4, 6, 2)), ly)
    ii, jj = (a.ravel().astype(np.int64) for a in np.meshgrid(np.arange(3), np.arange(4)))
    code = CONSTRAINT_CODES[kind]
    got = nd.softdtw_pairs_value(X, Y, lx, ly, ii, jj, 0.4, code, float(param))
    bands = make_bands(lx[ii], ly[jj], 7, code, param)
    Xc, Yc = _without_garbage(X)[ii], _without_garbage(Y)[jj]  # padding is never read
    D = ((Xc[:, :, None, :] - Yc[:, None, :, :]) ** 2).sum(-1)
    want = nd.softdtw_values(D, 0.4, bands.lx, bands.ly, bands.lo, bands.hi)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(np.isinf(got), ~bands.feasible)
    if kind == "itakura":
        assert np.isinf(got).any()


# --------------------------------------------------------------------------------------
# The fused torch route
# --------------------------------------------------------------------------------------
def _torch_pair(Bn, n, m, d, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(Bn, n, d, generator=g, dtype=torch.float64, requires_grad=True)
    y = torch.randn(Bn, m, d, generator=g, dtype=torch.float64, requires_grad=True)
    return x, y


GRADCHECK_BANDS = {
    "full": lambda: full_bands(3, 5, 4),
    "lengths": lambda: make_bands([5, 3, 4], [4, 4, 2], 5),
}


@pytest.mark.parametrize("band", list(GRADCHECK_BANDS))
def test_fused_route_gradcheck(band):
    bands = GRADCHECK_BANDS[band]()
    x, y = _torch_pair(3, 5, 4, 2, seed=0)
    assert torch.autograd.gradcheck(lambda a, b: values(SqEuclidean(a, b), 0.5, bands), (x, y))


@pytest.mark.parametrize("band", list(BANDS))
def test_fused_route_equals_cost_matrix_route(band):
    bands = BANDS[band]()
    x, y = _torch_pair(B, N, M, 2, seed=1)
    w = torch.rand(B, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    fused = values(SqEuclidean(x, y), 0.3, bands)
    matrix = values(CostMatrix(sqeuclidean(x, y)), 0.3, bands)
    torch.testing.assert_close(fused, matrix, rtol=1e-12, atol=1e-12)
    g_fused = torch.autograd.grad((fused * w).sum(), (x, y))
    g_matrix = torch.autograd.grad((matrix * w).sum(), (x, y))
    for a, b in zip(g_fused, g_matrix, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)
    with torch.no_grad():
        plain = values(SqEuclidean(x, y), 0.3, bands)
    assert plain.grad_fn is None
    torch.testing.assert_close(plain, fused.detach(), rtol=0, atol=0)


def _sqeuclidean_matrix(x, y):
    return ((x[:, :, None, :] - y[:, None, :, :]) ** 2).sum(-1)


SECOND_ORDER_ROUTES = {
    "fused-sdtw": lambda x, y, b: values(SqEuclidean(x, y), 0.5, b),
    "matrix-sdtw": lambda x, y, b: values(CostMatrix(_sqeuclidean_matrix(x, y)), 0.5, b),
    "matrix-alignment": lambda x, y, b: alignment(CostMatrix(_sqeuclidean_matrix(x, y)), 0.5, b)[
        1
    ].sum((1, 2)),
    "fused-dilate": lambda x, y, b: temporal_distortion(SqEuclidean(x, y), 0.5, b)[1],
}


@pytest.mark.parametrize("route", list(SECOND_ORDER_ROUTES))
def test_second_order_is_refused_not_silently_wrong(route):
    # A double backward or a gradient penalty (create_graph=True) would miss the
    # second-order terms of the numba backward passes: refused with a clear error.
    x, y = _torch_pair(2, 4, 3, 2, seed=3)
    v = SECOND_ORDER_ROUTES[route](x, y, full_bands(2, 4, 3))
    with pytest.raises(RuntimeError, match="first-order only"):
        torch.autograd.grad(v.sum(), x, create_graph=True)
    # First-order gradients of the same graph still work.
    v = SECOND_ORDER_ROUTES[route](x, y, full_bands(2, 4, 3))
    (gx,) = torch.autograd.grad(v.sum(), x)
    assert bool(torch.isfinite(gx).all()) and bool((gx != 0).any())


def test_fused_route_with_the_same_tensor_twice():
    x, _ = _torch_pair(3, 5, 4, 2, seed=4)
    xr = x.detach().clone().requires_grad_(True)
    bands = full_bands(3, 5, 5)
    ours = values(SqEuclidean(x, x), 0.7, bands)
    ref = softdtw_recursion(sqeuclidean(xr, xr), 0.7)
    torch.testing.assert_close(ours, ref, rtol=1e-12, atol=1e-12)
    (g,) = torch.autograd.grad(ours.sum(), x)
    (g_ref,) = torch.autograd.grad(ref.sum(), xr)
    assert g.abs().max() > 0.1
    torch.testing.assert_close(g, g_ref, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("api", ["metrics.soft_dtw", "losses.soft_dtw_loss"])
def test_public_soft_dtw_of_a_series_with_itself(api, monkeypatch):
    fused_calls = []
    apply = _torch_autograd.SqEuclideanSoftDTWFunction.apply
    monkeypatch.setattr(
        _torch_autograd.SqEuclideanSoftDTWFunction,
        "apply",
        lambda *args: fused_calls.append(args) or apply(*args),
    )
    x, _ = _torch_pair(1, 5, 1, 2, seed=5)
    xr = x.detach().clone().requires_grad_(True)
    if api == "metrics.soft_dtw":
        ours = tsgrad.metrics.soft_dtw(x[0], x[0], gamma=0.7)
    else:
        ours = soft_dtw_loss(x, x, 0.7)
    ref = softdtw_recursion(sqeuclidean(xr, xr), 0.7)[0]
    assert len(fused_calls) == 1  # the public functions take the fused route
    assert ours.item() < 0  # soft-DTW of a series with itself is negative, not zero
    torch.testing.assert_close(ours, ref, rtol=1e-12, atol=1e-12)
    (g,) = torch.autograd.grad(ours, x)
    (g_ref,) = torch.autograd.grad(ref, xr)
    torch.testing.assert_close(g, g_ref, rtol=1e-10, atol=1e-12)


def test_fused_route_with_large_costs_and_small_gamma():
    x, y = _torch_pair(3, 6, 5, 2, seed=6)
    x, y = (1e3 * x).detach().requires_grad_(True), (1e3 * y).detach().requires_grad_(True)
    bands = full_bands(3, 6, 5)
    v = values(SqEuclidean(x, y), 1e-4, bands)
    gx, gy = torch.autograd.grad(v.sum(), (x, y))
    assert v.min() > 1e5 and torch.isfinite(v).all()
    assert torch.isfinite(gx).all() and torch.isfinite(gy).all()
    # Near hard DTW: the soft minimum is below it by at most gamma log(#paths).
    hard = values(CostMatrix(sqeuclidean(x, y)), None, bands)
    hx, hy = torch.autograd.grad(hard.sum(), (x, y))
    n_paths = 681  # Delannoy number D(5, 4): monotone paths of a 6 x 5 grid
    assert (v <= hard * (1 + 1e-12)).all()
    assert (v >= hard * (1 - 1e-12) - 1e-4 * math.log(n_paths)).all()
    torch.testing.assert_close(gx, hx, rtol=1e-9, atol=1e-6)
    torch.testing.assert_close(gy, hy, rtol=1e-9, atol=1e-6)


@pytest.mark.parametrize(
    "weights_max, scaled",
    [(0, False), (1 << 30, False), (0, True)],
    ids=["log-recompute", "log-stored", "scaled"],
)
def test_fused_route_with_and_without_weight_table(weights_max, scaled):
    # Problems above THRESHOLDS.series_weights_max_cells cells keep no weight table: their
    # backward recomputes each weight.  Both log-domain routes, and the scaled domain, against the
    # cost-matrix route with stored weights, on a ragged, banded batch.
    n, m = 23, 17
    rng = np.random.default_rng(7)
    X = rng.standard_normal((3, n, 2))
    Y = rng.standard_normal((3, m, 2))
    b = make_bands(np.array([23, 15, 20]), np.array([17, 17, 9]), n, 1, 4.0)
    val, gx, gy = nd.sqeuclidean_value_grad(X, Y, 0.5, b.lx, b.ly, b.lo, b.hi, weights_max, scaled)
    diff = X[:, :, None, :] - Y[:, None, :, :]
    D = (diff * diff).sum(-1)
    S, ref, W = nd.softdtw_forward_weights(D, 0.5, b.lx, b.ly, b.lo, b.hi)
    E = nd.softdtw_backward_weights(W, S, b.lx, b.ly, b.lo, b.hi, n, m)
    np.testing.assert_allclose(val, ref, rtol=1e-12)
    np.testing.assert_allclose(gx, 2 * (E[..., None] * diff).sum(2), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gy, -2 * (E[..., None] * diff).sum(1), rtol=1e-10, atol=1e-12)

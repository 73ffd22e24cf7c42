"""The Triton engine against the numba kernels and first principles.

Without a GPU the kernels run in Triton's interpreter on CPU tensors (see conftest.py);
on a CUDA machine the same tests run the compiled kernels on the GPU.  The interpreter
costs about a millisecond per tile operation, whatever the tile's size: the problems are
tiny, and each test launches a handful of kernels.

Tolerances are relative to the largest entry of the reference array: 1e-12 in float64
and 1e-5 in float32 (the numba kernels compute in float64 whatever the input; the Triton
engine computes float32 inputs in float32).
"""

import numpy as np
import pytest
import torch

from tsgrad._kernels import CONSTRAINT_CODES, make_bands
from tsgrad._kernels import _triton_engine as triton_engine
from tsgrad._kernels._numba_engine import FusedRoute, NumbaEngine
from tsgrad._kernels._triton_engine import TritonEngine, available

from .._oracles import BANDS, B, M, N, dilate_reference, ragged_batch

pytest.importorskip("triton")

DEVICE = "cuda" if torch.cuda.is_available() else "cpu"
DTYPES = pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["f64", "f32"])
TOL = {torch.float64: 1e-12, torch.float32: 1e-5}


def assert_close(got, ref, rtol):
    """``got`` (tensor) equals ``ref`` (array) to ``rtol`` of ``ref``'s largest finite
    entry, with the same infinities."""
    got = got.detach().to("cpu", torch.float64).numpy()
    ref = np.asarray(ref, dtype=np.float64)
    finite = np.isfinite(ref)
    scale = np.abs(ref[finite]).max() if finite.any() else 0.0
    np.testing.assert_allclose(got, ref, rtol=rtol, atol=rtol * scale)


def _series(bands, n, m, d, dtype, seed=0, scale=1.0):
    """Random ``X`` ``(B, n, d)``, ``Y`` ``(B, m, d)`` in ``dtype`` with NaN past each
    length (it must not leak), and their float64 NumPy copies."""
    g = torch.Generator().manual_seed(seed)
    X = (scale * torch.randn(len(bands.lx), n, d, generator=g, dtype=torch.float64)).to(dtype)
    Y = (scale * torch.randn(len(bands.lx), m, d, generator=g, dtype=torch.float64)).to(dtype)
    for k, (a, c) in enumerate(zip(bands.lx, bands.ly, strict=True)):
        X[k, a:] = np.nan
        Y[k, c:] = np.nan
    return X.to(DEVICE), Y.to(DEVICE), X.double().numpy(), Y.double().numpy()


# The numba engine's anti-diagonal route (scaled domain where it vouches, else log domain).
ROUTE = FusedRoute(lanes=False, weights_max=1 << 21)


def numba_softdtw(Xn, Yn, gamma, bands, grad=True):
    return NumbaEngine.sqeuclidean_softdtw(Xn, Yn, gamma, bands, grad, ROUTE)


def numba_dilate(Xn, Yn, gamma, bands, grad=True):
    return NumbaEngine.sqeuclidean_dilate(Xn, Yn, gamma, bands, grad, ROUTE)


# Features of the series per band layout: d = 1 takes the kernels' univariate route
# (x and its gradient in registers), d > 1 the loop over features.
FEATURES = {"full": 1, "lengths": 2, "sakoe-chiba": 1, "itakura-with-infeasible": 3}


@DTYPES
@pytest.mark.parametrize("band", list(BANDS))
def test_sqeuclidean_softdtw_matches_numba(band, dtype):
    bands = BANDS[band]()
    X, Y, Xn, Yn = _series(bands, N, M, FEATURES[band], dtype)
    val, gx, gy = TritonEngine.sqeuclidean_softdtw(X, Y, 0.5, bands, True)
    ref = numba_softdtw(Xn, Yn, 0.5, bands)
    for got, r in zip((val, gx, gy), ref, strict=True):
        assert got.dtype == dtype and got.device.type == DEVICE
        assert_close(got, r, TOL[dtype])
    bad = torch.as_tensor(~bands.feasible, device=DEVICE)
    assert torch.isinf(val[bad]).all() and not gx[bad].any() and not gy[bad].any()
    values = TritonEngine.sqeuclidean_softdtw(X, Y, 0.5, bands, False)
    assert values[1] is None and values[2] is None
    assert_close(values[0], ref[0], TOL[dtype])


@pytest.mark.parametrize("band", list(BANDS))
def test_sqeuclidean_hard_dtw_values_match_numba(band):
    bands = BANDS[band]()
    X, Y, Xn, Yn = _series(bands, N, M, 3, torch.float64, seed=1)
    ref = NumbaEngine.sqeuclidean_dtw(Xn, Yn, bands)
    assert_close(TritonEngine.sqeuclidean_dtw(X, Y, bands), ref, 1e-12)


@DTYPES
@pytest.mark.parametrize("band", list(BANDS))
def test_cost_matrix_engine_matches_numba(band, dtype):
    bands = BANDS[band]()
    g = torch.Generator().manual_seed(2)
    D = (3 * torch.rand(B, N, M, generator=g, dtype=torch.float64)).to(dtype)
    Z = torch.randn(B, N, M, generator=g, dtype=torch.float64).to(dtype)
    Dn, Zn = D.double().numpy(), Z.double().numpy()
    state, v = NumbaEngine.softdtw_forward(Dn, 0.5, bands, True)
    E = NumbaEngine.softdtw_backward(state)
    H = NumbaEngine.softdtw_hvp(state, E, Zn)
    eng = TritonEngine
    st, val = eng.softdtw_forward(D.to(DEVICE), 0.5, bands, True)
    assert val.dtype == dtype and val.device.type == DEVICE
    assert_close(val, v, TOL[dtype])
    assert_close(eng.softdtw_values(D.to(DEVICE), 0.5, bands), v, TOL[dtype])
    Et = eng.softdtw_backward(st)
    assert_close(Et, E, TOL[dtype])
    assert_close(eng.softdtw_hvp(st, Et, Z.to(DEVICE)), H, TOL[dtype])


@pytest.mark.parametrize("band", list(BANDS))
def test_hard_dtw_and_paths_match_numba(band):
    bands = BANDS[band]()
    g = torch.Generator().manual_seed(3)
    D = 3 * torch.rand(B, N, M, generator=g, dtype=torch.float64)
    state, v = NumbaEngine.dtw_forward(D.numpy(), bands)
    A = NumbaEngine.dtw_path_matrix(state)
    st, val = TritonEngine.dtw_forward(D.to(DEVICE), bands)
    assert_close(val, v, 1e-12)
    np.testing.assert_array_equal(TritonEngine.dtw_path_matrix(st).cpu().numpy(), A)


# DILATE's temporal gradient goes through the Hessian-vector product, whose float32
# rounding grows as 1 / gamma (see test_dilate_small_gamma_finite_and_accurate):
# float32 is held to 1e-5 at gamma = 1.
DILATE_GAMMA = {torch.float64: 0.1, torch.float32: 1.0}


@DTYPES
@pytest.mark.parametrize("band", list(BANDS))
def test_dilate_matches_numba(band, dtype):
    bands = BANDS[band]()
    gamma = DILATE_GAMMA[dtype]
    X, Y, Xn, Yn = _series(bands, N, M, FEATURES[band], dtype, seed=4)
    got = TritonEngine.sqeuclidean_dilate(X, Y, gamma, bands, True)
    ref = numba_dilate(Xn, Yn, gamma, bands)
    for g, r in zip(got, ref, strict=True):
        assert g.dtype == dtype
        assert_close(g, r, TOL[dtype])
    values = TritonEngine.sqeuclidean_dilate(X, Y, gamma, bands, False)
    assert values[2:] == (None,) * 4
    assert_close(values[0], ref[0], TOL[dtype])
    assert_close(values[1], ref[1], TOL[dtype])


@pytest.mark.parametrize("alpha", [0.0, 0.5, 1.0])
def test_dilate_loss_matches_first_principles(alpha):
    """``alpha * shape + (1 - alpha) * temporal`` and its gradient against plain
    autograd through the soft-min recursion (ragged lengths)."""
    Xn, Yn, lx, ly = ragged_batch(3, 6, 5, 2, True, seed=5)
    bands = make_bands(lx, ly, 6)
    X, Y = torch.from_numpy(Xn).to(DEVICE), torch.from_numpy(Yn).to(DEVICE)
    shape, temporal, gxs, gys, gxt, gyt = TritonEngine.sqeuclidean_dilate(X, Y, 0.1, bands, True)
    x = torch.from_numpy(np.nan_to_num(Xn)).requires_grad_(True)
    y = torch.from_numpy(np.nan_to_num(Yn)).requires_grad_(True)
    loss, _, _ = dilate_reference(x, y, alpha, 0.1, list(lx), list(ly))
    loss.sum().backward()
    assert_close(alpha * shape + (1 - alpha) * temporal, loss.detach().numpy(), 1e-12)
    assert_close(alpha * gxs + (1 - alpha) * gxt, x.grad.numpy(), 1e-11)
    assert_close(alpha * gys + (1 - alpha) * gyt, y.grad.numpy(), 1e-11)


@DTYPES
@pytest.mark.parametrize("scale", [1.0, 10.0], ids=["costs~1", "costs~100"])
def test_dilate_small_gamma_finite_and_accurate(scale, dtype):
    """gamma = 0.01 with costs up to 1e4 gamma: finite everywhere.  float64 as numba to
    1e-12.  float32: a weight that mixes two soft-min terms is off by up to
    ``ulp(R) / gamma`` (the rounding of the stored soft minimum, ``R`` the accumulated
    cost), which bounds the shape gradients' error; the temporal gradients, measured
    against the shape gradients' scale (they are exponentially small where the alignment
    is nearly hard), carry the Hessian-vector product's ``1 / gamma``: within 20 units of
    ``eps / gamma``."""
    bands = BANDS["sakoe-chiba"]()
    X, Y, Xn, Yn = _series(bands, N, M, 2, dtype, seed=6, scale=scale)
    got = TritonEngine.sqeuclidean_dilate(X, Y, 0.01, bands, True)
    ref = numba_dilate(Xn, Yn, 0.01, bands)
    assert all(bool(torch.isfinite(g).all()) for g in got)
    assert_close(got[0], ref[0], TOL[dtype])
    assert_close(got[1], ref[1], TOL[dtype])
    scale_grad = max(np.abs(ref[2]).max(), np.abs(ref[3]).max())
    eps = np.finfo(np.float32).eps
    shape_tol, temporal_tol = TOL[dtype], TOL[dtype]
    if dtype == torch.float32:
        shape_tol, temporal_tol = eps * np.abs(ref[0]).max() / 0.01, 20 * eps / 0.01
    for k, tol in ((2, shape_tol), (3, shape_tol), (4, temporal_tol), (5, temporal_tol)):
        err = np.abs(got[k].cpu().double().numpy() - ref[k]).max() / scale_grad
        assert err <= tol, (k, err, tol)


def test_longer_series_many_lanes():
    """Rows beyond one warp's lanes, unequal lengths and a band (values, gradients)."""
    n, m = 40, 30
    bands = make_bands([40, 33], [30, 26], n, CONSTRAINT_CODES["sakoe_chiba"], 5)
    X, Y, Xn, Yn = _series(bands, n, m, 1, torch.float64, seed=7)
    got = TritonEngine.sqeuclidean_softdtw(X, Y, 0.3, bands, True)
    ref = numba_softdtw(Xn, Yn, 0.3, bands)
    for g, r in zip(got, ref, strict=True):
        assert_close(g, r, 1e-12)


@pytest.mark.parametrize("exchange", ["gather", "scratch"])
@pytest.mark.parametrize("problems", [1, 2])
def test_launch_shapes_and_exchanges(problems, exchange, monkeypatch):
    """The launch shapes of the GPU (one problem a program for long series, two for short
    ones; the interpreter otherwise runs the whole batch in one program), with either
    exchange of a diagonal between lanes (the other tests take one or the other by their
    batch size)."""
    monkeypatch.setattr(triton_engine, "INTERPRETER_PROBLEMS", problems)
    monkeypatch.setattr(triton_engine, "EXCHANGE", exchange)
    bands = BANDS["itakura-with-infeasible"]()
    X, Y, Xn, Yn = _series(bands, N, M, 1, torch.float64, seed=10)
    got = TritonEngine.sqeuclidean_dilate(X, Y, 0.3, bands, True)
    ref = numba_dilate(Xn, Yn, 0.3, bands)
    for g, r in zip(got, ref, strict=True):
        assert_close(g, r, 1e-12)
    # cost matrices: the HVP's forward tangent and reverse, hard DTW
    D = np.nan_to_num(((Xn[:, :, None, :] - Yn[:, None, :, :]) ** 2).sum(-1), nan=0.0)
    Z = np.arange(B * N * M, dtype=np.float64).reshape(B, N, M) % 5
    state, _ = NumbaEngine.softdtw_forward(D, 0.3, bands, True)
    H = NumbaEngine.softdtw_hvp(state, NumbaEngine.softdtw_backward(state), Z)
    Dt, Zt = torch.from_numpy(D).to(DEVICE), torch.from_numpy(Z).to(DEVICE)
    st, _ = TritonEngine.softdtw_forward(Dt, 0.3, bands)
    assert_close(TritonEngine.softdtw_hvp(st, None, Zt), H, 1e-12)
    hard = NumbaEngine.dtw_forward(D, bands)[1]
    assert_close(TritonEngine.dtw_forward(Dt, bands)[1], hard, 1e-12)


@pytest.mark.parametrize(("n", "m"), [(1, 3), (3, 1), (1, 1)])
def test_single_step_series(n, m):
    """A single row or column: one path, through the borders of the recursion."""
    bands = make_bands([n, n], [m, m], n)
    X, Y, Xn, Yn = _series(bands, n, m, 1, torch.float64, seed=12)
    got = TritonEngine.sqeuclidean_dilate(X, Y, 0.1, bands, True)
    ref = numba_dilate(Xn, Yn, 0.1, bands)
    for g, r in zip(got, ref, strict=True):
        assert_close(g, r, 1e-12)


def test_empty_batch():
    bands = make_bands(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), 3)
    x, y = torch.zeros(0, 3, 1, device=DEVICE), torch.zeros(0, 4, 1, device=DEVICE)
    val, gx, gy = TritonEngine.sqeuclidean_softdtw(x, y, 1.0, bands, True)
    assert val.shape == (0,) and gx.shape == (0, 3, 1) and gy.shape == (0, 4, 1)
    assert TritonEngine.sqeuclidean_dilate(x, y, 1.0, bands, True)[5].shape == (0, 4, 1)


def test_full_device_bands_from_length_tensors():
    """Bands built on the device from length tensors, as ``make_bands`` builds them."""
    lx, ly = [7, 3, 5], [6, 6, 2]
    bands = make_bands(lx, ly, N)
    X, Y, Xn, Yn = _series(bands, N, M, 2, torch.float64, seed=11)
    lengths = (torch.tensor(lx, device=DEVICE), torch.tensor(ly, device=DEVICE))
    db = triton_engine.full_device_bands(*lengths, N, M)
    got = TritonEngine.sqeuclidean_softdtw(X, Y, 0.5, db, True)
    ref = numba_softdtw(Xn, Yn, 0.5, bands)
    for g, r in zip(got, ref, strict=True):
        assert_close(g, r, 1e-12)


class _SoftDTWSqEuclidean(torch.autograd.Function):
    """Test-only autograd wrapper of the fused value + gradient."""

    @staticmethod
    def forward(ctx, x, y, gamma, bands):
        val, gx, gy = TritonEngine.sqeuclidean_softdtw(x, y, gamma, bands, True)
        ctx.save_for_backward(gx, gy)
        return val

    @staticmethod
    def backward(ctx, g):
        gx, gy = ctx.saved_tensors
        return g[:, None, None] * gx, g[:, None, None] * gy, None, None


class _DILATE(torch.autograd.Function):
    """Test-only autograd wrapper of DILATE's fused terms, combined with ``alpha``."""

    @staticmethod
    def forward(ctx, x, y, gamma, bands, alpha):
        shape, temporal, gxs, gys, gxt, gyt = TritonEngine.sqeuclidean_dilate(
            x, y, gamma, bands, True
        )
        ctx.save_for_backward(alpha * gxs + (1 - alpha) * gxt, alpha * gys + (1 - alpha) * gyt)
        return alpha * shape + (1 - alpha) * temporal

    @staticmethod
    def backward(ctx, g):
        gx, gy = ctx.saved_tensors
        return g[:, None, None] * gx, g[:, None, None] * gy, None, None, None


def _gradcheck_inputs(seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(3, 5, 2, generator=g, dtype=torch.float64).to(DEVICE).requires_grad_(True)
    y = torch.randn(3, 4, 2, generator=g, dtype=torch.float64).to(DEVICE).requires_grad_(True)
    # unequal and ragged lengths (padding masks) and a Sakoe-Chiba band
    bands = make_bands([5, 3, 4], [4, 4, 2], 5, CONSTRAINT_CODES["sakoe_chiba"], 1)
    return x, y, bands


def test_gradcheck_sqeuclidean_softdtw():
    x, y, bands = _gradcheck_inputs(8)
    assert torch.autograd.gradcheck(
        lambda a, b: _SoftDTWSqEuclidean.apply(a, b, 0.3, bands), (x, y), fast_mode=True
    )


@pytest.mark.parametrize("alpha", [0.0, 1.0], ids=["temporal", "shape"])
def test_gradcheck_dilate(alpha):
    x, y, bands = _gradcheck_inputs(9)
    assert torch.autograd.gradcheck(
        lambda a, b: _DILATE.apply(a, b, 0.2, bands, alpha), (x, y), fast_mode=True
    )


def test_available():
    assert available(torch.zeros(1, device=DEVICE))
    assert not available(torch.zeros(1, device="meta"))

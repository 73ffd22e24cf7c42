"""The stored-weights soft-DTW kernels and the float32 (no float64 copy) path."""

import dataclasses

import numpy as np
import pytest
import torch

from tsgrad._kernels import CostMatrix, _router, alignment, full_bands, values
from tsgrad._kernels import _numba_softdtw as nd
from tsgrad._kernels._torch_autograd import to_engine
from tsgrad.losses import dilate_loss, soft_dtw_loss

from .._oracles import BANDS, B, M, N, softdtw_recursion


@pytest.mark.parametrize("gamma", [1.0, 0.1], ids=["gamma1", "gamma0.1"])
@pytest.mark.parametrize("band", list(BANDS))
def test_weights_kernels_match_recomputing_kernels(band, gamma):
    b = BANDS[band]()
    rng = np.random.default_rng(0)
    D = rng.random((B, N, M)) * 3
    Z = rng.standard_normal((B, N, M))
    S, v = nd.softdtw_forward(D, gamma, b.lx, b.ly, b.lo, b.hi)
    E = nd.softdtw_backward(S, gamma, b.lx, b.ly, b.lo, b.hi, N, M)
    H, dv = nd.softdtw_hvp(S, E, Z, gamma, b.lx, b.ly, b.lo, b.hi)
    Sw, vw, W = nd.softdtw_forward_weights(D, gamma, b.lx, b.ly, b.lo, b.hi)
    # Same soft minimum in the same order; the tables' unused cells are not compared.
    np.testing.assert_array_equal(vw, v)
    np.testing.assert_array_equal(nd.softdtw_values(D, gamma, b.lx, b.ly, b.lo, b.hi), v)
    assert np.isinf(v[~b.feasible]).all() and np.isfinite(v[b.feasible]).all()
    Ew = nd.softdtw_backward_weights(W, Sw, b.lx, b.ly, b.lo, b.hi, N, M)
    np.testing.assert_allclose(Ew, E, rtol=1e-12, atol=1e-14)
    Hw, dvw = nd.softdtw_hvp_weights(W, Sw, Ew, Z, gamma, b.lx, b.ly, b.lo, b.hi)
    np.testing.assert_allclose(Hw, H, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dvw, dv, rtol=1e-10, atol=1e-12)


def _loss_and_grads():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(4, 9, 2, generator=g, dtype=torch.float64, requires_grad=True)
    y = torch.randn(4, 8, 2, generator=g, dtype=torch.float64)
    out = [soft_dtw_loss(x, y, 0.3), *dilate_loss(x, y, 0.5, 0.3)]
    grads = [torch.autograd.grad(t, x, retain_graph=True)[0] for t in out]
    return [t.detach() for t in out] + grads


def test_losses_agree_with_and_without_stored_weights(monkeypatch):
    with_weights = _loss_and_grads()
    none = dataclasses.replace(
        _router.THRESHOLDS, matrix_weights_max_cells=0, series_weights_max_cells=0
    )
    monkeypatch.setattr(_router, "THRESHOLDS", none)
    without = _loss_and_grads()
    for a, b in zip(with_weights, without, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


def test_float32_costs_are_read_without_a_float64_copy():
    D32 = torch.rand(3, 6, 5) * 4
    bands = full_bands(3, 6, 5)
    Dn = to_engine(_router.NumbaEngine, D32)
    assert Dn.dtype == np.float32 and np.shares_memory(Dn, D32.numpy())
    # float32 -> float64 is exact, so the result equals the float64 computation exactly.
    v32 = values(CostMatrix(D32), 0.5, bands)
    v64 = values(CostMatrix(D32.double()), 0.5, bands)
    assert v32.dtype == torch.float32
    torch.testing.assert_close(v32, v64.float(), rtol=0, atol=0)


@pytest.mark.parametrize("gamma", [1e-3, 0.01, 0.1], ids=["g1e-3", "g0.01", "g0.1"])
def test_flushed_exponentials_leave_values_and_gradients_unchanged(gamma):
    # The kernels skip exp(x) for x < -42 (most cells at small gamma); the plain-autograd
    # logsumexp recursion evaluates every exponential.
    g = torch.Generator().manual_seed(1)
    D = (torch.rand(3, 6, 5, dtype=torch.float64, generator=g) * 2).requires_grad_(True)
    Dr = D.detach().clone().requires_grad_(True)
    ours = alignment(CostMatrix(D), gamma, full_bands(3, 6, 5))[0]
    ref = softdtw_recursion(Dr, gamma)
    torch.testing.assert_close(ours, ref, rtol=1e-12, atol=1e-12)
    (E,) = torch.autograd.grad(ours.sum(), D)
    (E_ref,) = torch.autograd.grad(ref.sum(), Dr)
    torch.testing.assert_close(E, E_ref, rtol=1e-10, atol=1e-12)

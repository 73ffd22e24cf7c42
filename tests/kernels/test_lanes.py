"""The lane kernels (batches of short series, vectorised across problems) against the
anti-diagonal ones, and through the public losses."""

import numpy as np
import pytest
import torch

from tsgrad._kernels import _numba_softdtw as nd
from tsgrad._kernels import _numba_softdtw_lanes as lanes
from tsgrad._kernels import _router, make_bands
from tsgrad._kernels._numba_softdtw_lanes import LANES
from tsgrad.losses import dilate_loss, soft_dtw_loss

from .._oracles import dilate_reference, ragged_batch, softdtw_recursion, sqeuclidean

CASES = {
    # B, n, m, d, variable lengths, gamma
    "one-block": (LANES, 6, 6, 1, False, 1.0),
    "partial-block-ragged": (LANES + 5, 7, 9, 3, True, 0.1),
    "dilate-setting": (2 * LANES + 3, 20, 20, 1, True, 0.01),
}


def _batch(B, n, m, d, ragged, seed=0):
    X, Y, lx, ly = ragged_batch(B, n, m, d, ragged, seed)
    return X, Y, make_bands(lx, ly, n)


@pytest.mark.parametrize("case", list(CASES))
def test_lanes_match_diagonals(case):
    B, n, m, d, ragged, gamma = CASES[case]
    X, Y, b = _batch(B, n, m, d, ragged)
    assert _router._route(X, Y, dilate=False).lanes and _router._route(X, Y, dilate=True).lanes
    args = (X, Y, gamma, b.lx, b.ly, b.lo, b.hi)
    for got, ref in zip(
        lanes.sqeuclidean(*args, True, True), nd.dilate_value_grad(*args, True)[:2], strict=False
    ):
        # HVP gradients at gamma = 0.01 carry rounding ~1e-13 of their largest entry
        np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-10 * np.abs(ref).max())
    lane = lanes.sqeuclidean(*args, True, True)
    diag = nd.dilate_value_grad(*args, True)
    for got, ref in zip((lane[0], lane[1], *lane[2:]), diag, strict=True):
        np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-10 * np.abs(ref).max())
    val, _, gx, gy, _, _ = lanes.sqeuclidean(*args, True, False)
    weights_max = _router.THRESHOLDS.series_weights_max_cells
    for got, ref in zip(
        (val, gx, gy), nd.sqeuclidean_value_grad(*args, weights_max, False), strict=True
    ):
        np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(
        lanes.sqeuclidean(*args, False, False)[0],
        nd.sqeuclidean_values(*args, False),
        rtol=1e-12,
    )
    shape, temporal, *grads = lanes.sqeuclidean(*args, False, True)
    assert all(g.shape[0] == 0 for g in grads)
    np.testing.assert_allclose(temporal, diag[1], rtol=1e-10, atol=1e-14)
    for k in range(B):  # padded steps get no gradient
        assert not gx[k, b.lx[k] :].any() and not gy[k, b.ly[k] :].any()


def test_losses_through_lanes_match_first_principles():
    torch.manual_seed(0)
    B, k = LANES, 5
    x = torch.randn(B, k, 2, dtype=torch.float64, requires_grad=True)
    y = torch.randn(B, k, 2, dtype=torch.float64)
    ours = soft_dtw_loss(x, y, 0.3, reduction="none")
    torch.testing.assert_close(ours, softdtw_recursion(sqeuclidean(x, y), 0.3))
    got = dilate_loss(x, y, 0.5, 0.3, reduction="none")
    ref = dilate_reference(x, y, 0.5, 0.3)
    for a, r in zip(got, ref, strict=True):
        torch.testing.assert_close(a, r, rtol=1e-10, atol=1e-12)
    w = torch.rand(B, dtype=torch.float64)
    for a, r in zip(got, ref, strict=True):
        (ga,) = torch.autograd.grad((a * w).sum(), x, retain_graph=True)
        (gr,) = torch.autograd.grad((r * w).sum(), x, retain_graph=True)
        torch.testing.assert_close(ga, gr, rtol=1e-9, atol=1e-11)


def test_gradcheck_through_lanes():
    torch.manual_seed(1)
    x = torch.randn(LANES, 3, 1, dtype=torch.float64, requires_grad=True)
    y = torch.randn(LANES, 4, 1, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a, c: dilate_loss(a, c, 0.5, 0.5)[0], (x, y))
    assert torch.autograd.gradcheck(lambda a, c: soft_dtw_loss(a, c, 0.5), (x, y))

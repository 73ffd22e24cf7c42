"""dtw_batch and tdi: tslearn's DTW, brute-force paths, TDI extremes."""

import numpy as np
import pytest
import torch
from tslearn.metrics import dtw as tslearn_dtw
from tslearn.metrics import dtw_path as tslearn_dtw_path

from tsgrad.losses import dtw_batch, tdi

from .._oracles import all_paths, sqeuclidean


def _pair(B, n, m, d, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (
        torch.randn(B, n, d, generator=g, dtype=torch.float64),
        torch.randn(B, m, d, generator=g, dtype=torch.float64),
    )


@pytest.mark.parametrize("shape", [(5, 12, 12, 1), (4, 9, 14, 3)], ids=["uni", "multi-n!=m"])
def test_dtw_batch_matches_tslearn(shape, engine):
    x, y = _pair(*shape)
    v = dtw_batch(x, y)
    ref = [tslearn_dtw(x[b].numpy(), y[b].numpy()) for b in range(shape[0])]
    np.testing.assert_allclose(v.numpy(), ref, rtol=1e-12)
    assert dtw_batch(x, y, reduction="mean").item() == pytest.approx(float(np.mean(ref)))


def test_dtw_batch_matches_brute_force_minimum():
    x, y = _pair(3, 4, 5, 2, seed=1)
    D = sqeuclidean(x, y)
    paths = all_paths(4, 5)
    for b in range(3):
        best = min(sum(D[b, i, j].item() for i, j in p) for p in paths)
        assert dtw_batch(x, y)[b].item() == pytest.approx(best**0.5, rel=1e-12)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_dtw_batch_gradcheck(reduction):
    x, y = _pair(3, 5, 4, 2, seed=2)
    x.requires_grad_(True)
    y.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda a, b: dtw_batch(a, b, reduction=reduction), (x, y))


def test_dtw_batch_zero_distance_has_finite_gradient():
    y = torch.randn(2, 6, 1, dtype=torch.float64)
    x = y.clone().requires_grad_(True)
    v = dtw_batch(x, y, reduction="sum")
    (g,) = torch.autograd.grad(v, x)
    assert v.item() == 0.0 and bool((g == 0).all())


def test_tdi_of_identity_path_is_zero():
    y, _ = _pair(4, 20, 20, 2, seed=3)
    torch.testing.assert_close(tdi(y, y), torch.zeros(4, dtype=torch.float64))


def test_tdi_matches_tslearn_path():
    x, y = _pair(6, 15, 15, 1, seed=4)
    v = tdi(x, y)
    for b in range(6):
        path, _ = tslearn_dtw_path(x[b].numpy(), y[b].numpy())
        assert v[b].item() == pytest.approx(sum((i - j) ** 2 for i, j in path) / 15**2)


def _max_lag_path_sum(k):
    """max over all monotone paths of sum (i - j)^2, by an exact DP (a max-plus DTW)."""
    M = np.full((k + 1, k + 1), -np.inf)
    M[0, 0] = 0.0
    for i in range(k):
        for j in range(k):
            M[i + 1, j + 1] = (i - j) ** 2 + max(M[i, j], M[i, j + 1], M[i + 1, j])
    return M[k, k]


def test_worst_path_normalisation_for_k20():
    # The DP over all paths agrees with enumeration where enumeration is feasible ...
    for k in (3, 5):
        assert _max_lag_path_sum(k) == max(sum((i - j) ** 2 for i, j in p) for p in all_paths(k, k))
    # ... and for k = 20 the worst path (first row, then last column) gives 4579 / 400.
    assert _max_lag_path_sum(20) == 4579
    assert _max_lag_path_sum(20) / 20**2 == pytest.approx(11.4475, abs=1e-12)


def test_tdi_of_the_worst_attainable_dtw_path():
    # x stays at 0 then jumps, y jumps at the end: the optimal path runs along the first
    # row, takes one diagonal step (ties prefer the diagonal) and goes down the last
    # column: sum (i - j)^2 = 2 * sum_{t < 19} t^2 = 4218.
    x = torch.ones(1, 20, 1, dtype=torch.float64)
    x[0, 0] = 0.0
    y = torch.zeros(1, 20, 1, dtype=torch.float64)
    y[0, -1] = 1.0
    assert tdi(x, y).item() == pytest.approx(4218 / 400, abs=1e-12)

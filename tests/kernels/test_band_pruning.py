"""Bands that prune: the kernels visit only the admissible cells of each anti-diagonal
(``diag_cells``) and agree with the same problems run over the full rectangle, with
out-of-band costs made prohibitive."""

import numpy as np
import pytest
import torch

from tsgrad._kernels import (
    CONSTRAINT_CODES,
    CostMatrix,
    SqEuclidean,
    SqEuclideanPairs,
    alignment,
    make_bands,
    temporal_distortion,
    value_and_grad,
    values,
)
from tsgrad._kernels._diag_layout import diag_cells

BIG = 1e9  # out-of-band cost of the full-rectangle oracle: exp(-BIG / gamma) = 0

# (n, m, constraint, parameter, lengths ragged)
CASES = {
    "sakoe-r0-square": (9, 9, "sakoe_chiba", 0, False),
    "sakoe-r2-rect": (11, 7, "sakoe_chiba", 2, True),
    "sakoe-r3-wide": (6, 13, "sakoe_chiba", 3, True),
    "itakura-2": (12, 10, "itakura", 2.0, False),
    "itakura-1.5-ragged": (10, 10, "itakura", 1.5, True),
    "full-ragged": (8, 6, None, 0.0, True),
}


def _case(name, B=4, d=2, seed=0):
    n, m, kind, param, ragged = CASES[name]
    rng = np.random.default_rng(seed)
    lx = rng.integers(max(2, n - 3), n + 1, B) if ragged else np.full(B, n)
    ly = rng.integers(max(2, m - 3), m + 1, B) if ragged else np.full(B, m)
    bands = make_bands(lx, ly, n, CONSTRAINT_CODES[kind], param)
    X = rng.standard_normal((B, n, d))
    Y = rng.standard_normal((B, m, d))
    return X, Y, bands


def _mask(bands, b, m):
    j = np.arange(m)[None, :]
    rows = np.arange(bands.n)[:, None] < bands.lx[b]
    return rows & (j >= bands.lo[b][:, None]) & (j < bands.hi[b][:, None])


def _penalised(X, Y, bands):
    """Cost matrices with BIG outside each problem's band, and full-rectangle bands."""
    D = ((X[:, :, None, :] - Y[:, None, :, :]) ** 2).sum(-1)
    for b in range(D.shape[0]):
        D[b] = np.where(_mask(bands, b, D.shape[2]), D[b], BIG)
    return D, make_bands(bands.lx, bands.ly, bands.n)


@pytest.mark.parametrize("case", list(CASES))
def test_diag_cells_are_exactly_the_admissible_cells(case):
    _, Y, bands = _case(case)
    for b in range(bands.batch):
        lx, ly = int(bands.lx[b]), int(bands.ly[b])
        cells = diag_cells(bands.lo[b], bands.hi[b], lx, ly)
        visited = {(i - 1, t - i - 1) for t in range(2, lx + ly + 1)
                   for i in range(cells[t, 0], cells[t, 0] + cells[t, 1])}  # fmt: skip
        admissible = {tuple(c) for c in np.argwhere(_mask(bands, b, Y.shape[1]))}
        admissible = {(i, j) for i, j in admissible if j < ly}
        assert visited == admissible
        # the ends of the intervals move by at most one row per diagonal
        first, last = cells[2:, 0], cells[2:, 0] + cells[2:, 1]
        assert (np.diff(first) >= 0).all() and (np.diff(first) <= 1).all()
        assert (np.diff(last) >= 0).all() and (np.diff(last) <= 1).all()


@pytest.mark.parametrize("gamma", [0.1, 1.0], ids=["g0.1", "g1"])
@pytest.mark.parametrize("case", list(CASES))
def test_pruned_soft_dtw_equals_the_penalised_full_rectangle(case, gamma):
    X, Y, bands = _case(case)
    D, full = _penalised(X, Y, bands)
    ok = bands.feasible
    v_ref, E_ref = alignment(CostMatrix(D), gamma, full)
    v, (gx, gy) = value_and_grad(SqEuclidean(X, Y), gamma, bands)
    np.testing.assert_allclose(v[ok], v_ref[ok], rtol=1e-12)
    assert np.isinf(v[~ok]).all()
    diff = X[:, :, None, :] - Y[:, None, :, :]
    np.testing.assert_allclose(gx[ok], 2 * (E_ref[..., None] * diff).sum(2)[ok], atol=1e-10)
    np.testing.assert_allclose(gy[ok], -2 * (E_ref[..., None] * diff).sum(1)[ok], atol=1e-10)
    v_band, E = alignment(CostMatrix(D), gamma, bands)  # the matrix kernels, pruned
    np.testing.assert_allclose(v_band[ok], v_ref[ok], rtol=1e-12)
    np.testing.assert_allclose(E[ok], E_ref[ok], atol=1e-12)
    shape, temporal = temporal_distortion(SqEuclidean(X, Y), gamma, bands)
    ref_t = temporal_distortion(CostMatrix(D), gamma, full)[1]
    np.testing.assert_allclose(shape[ok], v_ref[ok], rtol=1e-12)
    np.testing.assert_allclose(temporal[ok], ref_t[ok], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case", list(CASES))
def test_pruned_hard_dtw_equals_the_penalised_full_rectangle(case):
    X, Y, bands = _case(case, seed=1)
    D, full = _penalised(X, Y, bands)
    ok = bands.feasible
    ref = values(CostMatrix(D), None, full)
    got = values(SqEuclidean(X, Y), None, bands)  # the series kernel (three diagonals)
    np.testing.assert_allclose(got[ok], ref[ok], rtol=1e-12)
    assert np.isinf(got[~ok]).all()
    idx = np.arange(X.shape[0])
    pairs = SqEuclideanPairs(X, Y, bands.lx, bands.ly, idx, idx)
    np.testing.assert_allclose(values(pairs, None, bands)[ok], ref[ok], rtol=1e-12)
    np.testing.assert_allclose(values(pairs, 0.5, bands)[ok], values(CostMatrix(D), 0.5, full)[ok])


def test_pruned_gradients_pass_gradcheck():
    X, Y, bands = _case("sakoe-r2-rect", B=3, d=1, seed=2)
    x = torch.from_numpy(X).requires_grad_(True)
    y = torch.from_numpy(Y).requires_grad_(True)
    assert torch.autograd.gradcheck(
        lambda a, b: temporal_distortion(SqEuclidean(a, b), 0.5, bands), (x, y)
    )
    assert torch.autograd.gradcheck(lambda a, b: values(SqEuclidean(a, b), 0.5, bands), (x, y))


def test_infeasible_problems_read_no_garbage():
    # An infeasible Itakura band has empty, out-of-order rows; its problem gets no cell at
    # all (value inf, zero gradients), so nothing reads the uninitialised tables, whatever
    # the heap held before (here: freed arrays full of NaN).
    X, Y, bands = _case("itakura-2", B=5, seed=3)
    bands = make_bands(
        [12, 12, 4, 12, 12], [10, 3, 10, 10, 10], 12, CONSTRAINT_CODES["itakura"], 2.0
    )
    assert not bands.feasible.all() and bands.feasible.any()
    rng = np.random.default_rng(0)
    for _ in range(20):
        for junk in [np.empty(rng.integers(10, 5000)) for _ in range(20)]:
            junk[:] = np.nan
        x = torch.from_numpy(X).requires_grad_(True)
        shape, temporal = temporal_distortion(SqEuclidean(x, torch.from_numpy(Y)), 0.01, bands)
        (g,) = torch.autograd.grad((shape[bands.feasible].sum() + temporal.sum()), x)
        assert torch.isinf(shape[~torch.from_numpy(bands.feasible)]).all()
        assert torch.isfinite(temporal).all() and torch.isfinite(g).all()

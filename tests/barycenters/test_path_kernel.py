"""The fused DTW path kernel against the cost-tensor kernels and brute-force enumeration."""

import numpy as np
import pytest

from tsgrad._kernels import make_bands
from tsgrad._kernels._numba_bands import ITAKURA, NO_CONSTRAINT, SAKOE_CHIBA
from tsgrad._kernels._numba_dtw import dtw_forward, dtw_path_matrix, dtw_sqeuclidean_paths

from .._oracles import all_paths, sq_cost

CONSTRAINTS = [
    pytest.param(NO_CONSTRAINT, 0.0, id="none"),
    pytest.param(SAKOE_CHIBA, 2.0, id="sakoe2"),
    pytest.param(ITAKURA, 2.0, id="itakura2"),
]


def dtw_paths(R, lx, ly):
    """Reference paths ``(B, n + m - 1, 2)`` (padded with -1) and lengths from the tables
    of :func:`dtw_forward`: the cells of :func:`dtw_path_matrix` in row-major order."""
    B, n, m = R.shape[0], R.shape[1] - 1, R.shape[2] - 1
    paths = np.full((B, n + m - 1, 2), -1, dtype=np.int64)
    A = dtw_path_matrix(R, lx, ly)
    length = np.zeros(B, dtype=np.int64)
    for b in range(B):
        cells = np.argwhere(A[b])
        paths[b, : len(cells)] = cells
        length[b] = len(cells)
    return paths, length


def _batch(seed, B=12, n=9, m=11, d=2):
    """Series of random lengths, zero-padded, and their lengths."""
    rng = np.random.default_rng(seed)
    X, Y = rng.normal(size=(B, n, d)), rng.normal(size=(B, m, d))
    lx, ly = rng.integers(1, n + 1, size=B), rng.integers(1, m + 1, size=B)
    X[np.arange(n)[None, :] >= lx[:, None]] = 0.0
    Y[np.arange(m)[None, :] >= ly[:, None]] = 0.0
    return X, Y, lx, ly


@pytest.mark.parametrize(("kind", "param"), CONSTRAINTS)
def test_values_and_paths_equal_the_cost_tensor_kernels(kind, param):
    X, Y, lx, ly = _batch(kind)
    X1, Y1 = np.ascontiguousarray(X[:, :, :1]), np.ascontiguousarray(Y[:, :, :1])
    b = make_bands(lx, ly, X.shape[1], kind, param)
    D1 = (X1 - Y1.transpose(0, 2, 1)) ** 2
    R1, ref1 = dtw_forward(D1, b.lx, b.ly, b.lo, b.hi)
    val1, paths1, _ = dtw_sqeuclidean_paths(X1, Y1, b.lx, b.ly, b.lo, b.hi, b.feasible)
    np.testing.assert_array_equal(val1, ref1)  # univariate: bit for bit
    np.testing.assert_array_equal(paths1, dtw_paths(R1, b.lx, b.ly)[0])
    b = make_bands(lx, ly, X.shape[1], kind, param)
    val, paths, length = dtw_sqeuclidean_paths(X, Y, b.lx, b.ly, b.lo, b.hi, b.feasible)
    D = ((X[:, :, None, :] - Y[:, None, :, :]) ** 2).sum(-1)
    R, ref = dtw_forward(D, b.lx, b.ly, b.lo, b.hi)
    ref_paths, ref_length = dtw_paths(R, b.lx, b.ly)
    # the same table; the costs of d = 2 features may differ in their last bit (fused
    # multiply-adds), not enough to change a path of random data
    np.testing.assert_allclose(val, ref, rtol=1e-14)
    np.testing.assert_array_equal(length, ref_length)
    np.testing.assert_array_equal(paths, ref_paths)
    assert np.isinf(val[~b.feasible]).all() and (length[~b.feasible] == 0).all()


@pytest.mark.parametrize(("n", "m"), [(1, 1), (1, 4), (4, 1), (3, 4), (5, 5)])
def test_path_is_optimal_by_enumeration(n, m):
    rng = np.random.default_rng(n * 7 + m)
    x, y = rng.normal(size=(1, n, 2)), rng.normal(size=(1, m, 2))
    b = make_bands([n], [m], n)
    val, paths, length = dtw_sqeuclidean_paths(x, y, b.lx, b.ly, b.lo, b.hi, b.feasible)
    D = sq_cost(x[0], y[0])
    best = min(sum(D[c] for c in p) for p in all_paths(n, m))
    path = tuple((int(i), int(j)) for i, j in paths[0, : length[0]])
    assert path in all_paths(n, m)
    assert val[0] == pytest.approx(best, rel=1e-12, abs=1e-14)
    assert sum(D[c] for c in path) == pytest.approx(best, rel=1e-12, abs=1e-14)

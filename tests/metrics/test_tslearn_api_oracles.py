"""First-principles oracles for the metrics beyond DTW / soft-DTW: brute force on tiny inputs.

Each function is checked against its definition, computed by enumeration (alignment paths,
subsequences, shifts), not by a dynamic programme.
"""

import itertools

import numpy as np
import pytest

import tsgrad.metrics as M

from .._oracles import all_paths, brute_soft_dtw, sq_cost

SEEDS = range(3)


def _pair(seed, n=4, m=5, d=2):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), rng.normal(size=(m, d))


def _paths(n, m, mask=None):
    return [p for p in all_paths(n, m) if mask is None or all(mask[c] for c in p)]


def _is_path(path, n, m):
    steps = {(b[0] - a[0], b[1] - a[1]) for a, b in itertools.pairwise(path)}
    return path[0] == (0, 0) and path[-1] == (n - 1, m - 1) and steps <= {(0, 1), (1, 0), (1, 1)}


@pytest.mark.parametrize("kw", [{}, {"sakoe_chiba_radius": 1}, {"global_constraint": "itakura"}])
@pytest.mark.parametrize("seed", SEEDS)
def test_frechet_is_the_min_over_paths_of_the_max_distance(seed, kw):
    x, y = _pair(seed, 5, 5)
    C = np.sqrt(sq_cost(x, y))
    mask = M.compute_mask(x, y, **({"global_constraint": 0} | kw))
    best = min(max(C[c] for c in p) for p in _paths(5, 5, mask))
    assert M.frechet(x, y, **kw) == pytest.approx(best, rel=1e-12)
    path, value = M.frechet_path(x, y, **kw)
    assert _is_path(path, 5, 5) and all(mask[c] for c in path)
    assert max(C[c] for c in path) == pytest.approx(value, rel=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_dtw_and_frechet_from_a_precomputed_matrix(seed):
    D = np.random.default_rng(seed).uniform(size=(4, 5))
    paths = _paths(4, 5)
    path, cost = M.dtw_path_from_metric(D, metric="precomputed")
    assert cost == pytest.approx(min(sum(D[c] for c in p) for p in paths), rel=1e-12)
    assert sum(D[c] for c in path) == pytest.approx(cost, rel=1e-12)
    path, value = M.frechet_path_from_metric(D)
    assert value == pytest.approx(min(max(D[c] for c in p) for p in paths), rel=1e-12)
    assert max(D[c] for c in path) == value


def _brute_lcss(x, y, eps, mask):
    """Longest chain of matching pairs, by enumerating equal-size index subsets."""
    n, m = len(x), len(y)
    match = (np.sqrt(sq_cost(x, y)) <= eps) & mask
    for k in range(min(n, m), 0, -1):
        for rows in itertools.combinations(range(n), k):
            for cols in itertools.combinations(range(m), k):
                if all(match[i, j] for i, j in zip(rows, cols, strict=True)):
                    return k, list(zip(rows, cols, strict=True))
    return 0, []


@pytest.mark.parametrize(
    "kw", [{}, {"sakoe_chiba_radius": 1}, {"global_constraint": "itakura", "itakura_max_slope": 3}]
)
@pytest.mark.parametrize("seed", SEEDS)
def test_lcss_is_the_longest_chain_of_matches(seed, kw):
    x, y = _pair(seed, 5, 6, 1)
    mask = M.compute_mask(x, y, **({"global_constraint": 0} | kw))
    k, _ = _brute_lcss(x, y, 0.7, mask)
    assert M.lcss(x, y, eps=0.7, **kw) == k / 5
    path, sim = M.lcss_path(x, y, eps=0.7, **kw)
    assert sim == k / 5 and len(path) == k
    C = np.sqrt(sq_cost(x, y))
    assert all(C[c] <= 0.7 and mask[c] for c in path)
    assert all(a[0] < b[0] and a[1] < b[1] for a, b in itertools.pairwise(path))


def test_lcss_itakura_keeps_a_match_made_before_the_band_narrows():
    # Row 1 of this parallelogram starts at column 1: (1, 0) is outside. tslearn resets
    # such cells to 0 and finds 1 match; the longest chain is (0, 0), (2, 2): 2 matches.
    x = np.array([0.0, 9.0, 5.0])
    y = np.array([0.0, -9.0, 5.0])
    mask = M.compute_mask(3, 3, global_constraint=1, itakura_max_slope=2.0)
    assert not mask[1, 0]
    assert _brute_lcss(x[:, None], y[:, None], 0.5, mask)[0] == 2
    assert M.lcss(x, y, eps=0.5, global_constraint="itakura") == 2 / 3


@pytest.mark.parametrize("sigma", [0.7, 2.0])
@pytest.mark.parametrize("seed", SEEDS)
def test_gak_is_the_sum_over_paths_of_kernel_products(seed, sigma):
    x, y = _pair(seed, 4, 5)
    s = sq_cost(x, y) / (2 * sigma**2)
    k = np.exp(-s) / (2 - np.exp(-s))
    G = sum(np.prod([k[c] for c in p]) for p in _paths(4, 5))
    assert M.unnormalized_gak(x, y, sigma=sigma) == pytest.approx(G, rel=1e-12)
    # log G is soft-DTW with gamma = 1 on -log k
    assert np.log(G) == pytest.approx(-brute_soft_dtw(-np.log(k), 1.0)[0], rel=1e-12)
    assert M.gak(x, x, sigma=sigma) == pytest.approx(1.0, rel=1e-14)


@pytest.mark.parametrize("seed", SEEDS)
def test_ldtw_is_the_best_path_of_at_most_max_length_cells(seed):
    x, y = _pair(seed, 4, 5)
    C = sq_cost(x, y)
    for max_length in (5, 6, 8):
        paths = [p for p in _paths(4, 5) if len(p) <= max_length]
        costs = [sum(C[c] for c in p) for p in paths]
        best = min(costs)
        assert M.dtw_limited_warping_length(x, y, max_length) == pytest.approx(
            np.sqrt(best), rel=1e-12
        )
        path, value = M.dtw_path_limited_warping_length(x, y, max_length)
        assert _is_path(path, 4, 5) and len(path) <= max_length
        assert sum(C[c] for c in path) == pytest.approx(best, rel=1e-12)
        # among the best paths, one of fewest cells
        assert len(path) == min(len(p) for p, c in zip(paths, costs, strict=True) if c == best)


@pytest.mark.parametrize("seed", SEEDS)
def test_subsequence_dtw_is_the_best_dtw_over_all_windows(seed):
    rng = np.random.default_rng(seed)
    q, s = rng.normal(size=(3, 1)), rng.normal(size=(7, 1))
    windows = [(a, b) for a in range(7) for b in range(a, 7)]
    best = min(M.dtw(q, s[a : b + 1]) for a, b in windows)
    path, dist = M.dtw_subsequence_path(q, s)
    assert dist == pytest.approx(best, rel=1e-12)
    C = sq_cost(q, s)
    assert np.sqrt(sum(C[c] for c in path)) == pytest.approx(best, rel=1e-12)
    assert [i for i, _ in path][0] == 0 and path[-1][0] == 2


def test_soft_dtw_object_against_enumeration():
    x, y = _pair(0, 3, 4)
    D = sq_cost(x, y)
    sdtw = M.SoftDTW(D, gamma=0.4)
    value, E = brute_soft_dtw(D, 0.4)
    assert sdtw.compute() == pytest.approx(value, rel=1e-12)
    np.testing.assert_allclose(sdtw.grad(), E, rtol=1e-9, atol=1e-12)


def _brute_ncc(a, b):
    sz = len(a)
    cc = [
        sum(float(a[t + s] @ b[t]) for t in range(sz) if 0 <= t + s < sz)
        for s in range(-(sz - 1), sz)
    ]
    return np.array(cc) / (np.linalg.norm(a) * np.linalg.norm(b))


def test_normalized_cross_correlation_and_shifts():
    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(3, 6, 2)), rng.normal(size=(2, 6, 2))
    want = np.array([[_brute_ncc(a, b).max() for b in Y] for a in X])
    got = M.cdist_normalized_cc(X, Y, -np.ones(3), -np.ones(2), False)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    sym = M.cdist_normalized_cc(X, X, -np.ones(3), -np.ones(3), True)
    full = M.cdist_normalized_cc(X, X, -np.ones(3), -np.ones(3), False)
    np.testing.assert_allclose(sym, full - np.diag(np.diag(full)), rtol=1e-14)
    shifted = M.y_shifted_sbd_vec(X[0], Y, -1.0, -np.ones(2))
    for k in range(2):
        s = int(np.argmax(_brute_ncc(X[0], Y[k]))) - 5
        np.testing.assert_array_equal(shifted[k], np.roll(Y[k], s, axis=0) * _kept(s, 6)[:, None])


def _kept(s, sz):
    keep = np.ones(sz)
    if s > 0:
        keep[:s] = 0
    elif s < 0:
        keep[s:] = 0
    return keep


def test_sax_mindist_by_hand():
    # cells: |0-1| <= 1 -> 0; (1, 3): beta[2] - beta[1] = 0.67; (3, 0): beta[2] - beta[0]
    bp = [-0.67, 0.0, 0.67]
    want = np.sqrt(12 / 3 * (0.67**2 + 1.34**2))
    assert M.cdist_sax([[0, 1, 3]], bp, 12, [[1, 3, 0]])[0, 0] == pytest.approx(want, rel=1e-14)


def test_ctw_recovers_a_rotation_of_the_features():
    # y is x in rotated coordinates, its time warped (every sample of x kept, some twice):
    # CTW finds the alignment at cost ~0 (the canonical directions undo the rotation); DTW on
    # the raw features cannot.
    rng = np.random.default_rng(2)
    x = np.cumsum(rng.normal(size=(30, 2)), axis=0)
    theta = 0.9
    R = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    y = np.repeat(x, rng.integers(1, 3, size=30), axis=0) @ R
    assert M.dtw(x, y) > 1.0
    assert M.ctw(x, y) < 1e-6 * M.dtw(x, y)


def test_ctw_of_univariate_series_is_dtw():
    rng = np.random.default_rng(3)
    x, y = np.cumsum(rng.normal(size=(12, 1)), 0), np.cumsum(rng.normal(size=(9, 1)), 0)
    path, cca, score = M.ctw_path(x, y)
    assert (path, score) == M.dtw_path(x, y)
    assert abs(cca.x_weights_[0, 0]) == 1.0 and abs(cca.y_weights_[0, 0]) == 1.0


def test_the_two_gak_routes_agree_and_the_log_domain_takes_over():
    # the scaled probability route returns NaN when a term leaves the normal range; the
    # pairs kernel then uses the log domain, whose value it must equal
    from tsgrad._kernels._diag_layout import _transposed
    from tsgrad._kernels._numba_gak import _log_gak_diag, _log_gak_scaled_diag

    rng = np.random.default_rng(0)
    fallbacks = 0
    for n, m, scale in [(30, 20, 0.5), (7, 40, 2.0), (1, 9, 0.3), (600, 600, 0.5)]:
        X, Y = _transposed(rng.normal(size=(1, n, 2)), rng.normal(size=(1, m, 2)))
        bufs, cost = np.empty((3, n + 2)), np.empty(n + 1)
        log_g = _log_gak_diag(X[0], Y[0], n, m, scale, bufs, cost)
        scaled = _log_gak_scaled_diag(X[0], Y[0], n, m, scale, bufs, cost)
        if np.isnan(scaled):
            fallbacks += 1
        else:
            assert scaled == pytest.approx(log_g, rel=1e-13)
    assert fallbacks == 1  # 600 x 600: corner cells underflow relative to their diagonal
    # the public function on long series (log domain): sigma = 1 is scale 1/2
    x, y = rng.normal(size=(600, 1)), rng.normal(size=(600, 1))

    def log_g(a, b):
        A, B = _transposed(a[None], b[None])
        return _log_gak_diag(A[0], B[0], 600, 600, 0.5, np.empty((3, 602)), np.empty(601))

    want = np.exp(log_g(x, y) - 0.5 * (log_g(x, x) + log_g(y, y)))
    assert M.gak(x, y, sigma=1.0) == pytest.approx(want, rel=1e-12)


def test_frechet_bottleneck_kernel_matches_the_value_kernel():
    from tsgrad._kernels._numba_frechet import frechet_pairs, frechet_pairs_cells

    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(4, 12, 2)), rng.normal(size=(3, 9, 2))
    lx, ly = np.array([12, 7, 10, 3]), np.array([9, 9, 4])
    ii, jj = (a.ravel() for a in np.meshgrid(np.arange(4), np.arange(3), indexing="ij"))
    for kind, param in ((0, 0.0), (1, 2.0)):
        values = frechet_pairs(X, Y, lx, ly, ii, jj, kind, param)
        same, cells = frechet_pairs_cells(X, Y, lx, ly, ii, jj, kind, param)
        np.testing.assert_array_equal(values, same)
        bottleneck = ((X[ii, cells[:, 0]] - Y[jj, cells[:, 1]]) ** 2).sum(-1)
        np.testing.assert_allclose(bottleneck, values, rtol=1e-14)

"""The rest of tslearn's metrics against tslearn itself (a dev-only oracle), random inputs.

Values agree to 1e-10 (relative) and paths are equal, except where tslearn is known to be
wrong (each such case is compared with a first-principles oracle in
``test_tslearn_api_oracles.py`` instead, and named here).
"""

import numpy as np
import pytest

import tsgrad.metrics as ours

tsl = pytest.importorskip("tslearn.metrics")

SEEDS = range(4)
BANDS = [
    pytest.param({}, id="free"),
    pytest.param({"global_constraint": "sakoe_chiba", "sakoe_chiba_radius": 2}, id="sakoe2"),
]


def _pair(seed, low=1, high=25):
    rng = np.random.default_rng(seed)
    n, m = (int(v) for v in rng.integers(low, high, size=2))
    d = int(rng.integers(1, 4))
    return rng.normal(size=(n, d)), rng.normal(size=(m, d))


def _datasets(seed, n1=4, n2=3, d=2):
    rng = np.random.default_rng(seed)
    ds1 = [rng.normal(size=(int(k), d)) for k in rng.integers(5, 20, size=n1)]
    ds2 = [rng.normal(size=(int(k), d)) for k in rng.integers(5, 20, size=n2)]
    return ds1, ds2


@pytest.mark.parametrize("kw", BANDS)
@pytest.mark.parametrize("seed", SEEDS)
def test_frechet(seed, kw):
    x, y = _pair(seed)
    assert ours.frechet(x, y, **kw) == pytest.approx(tsl.frechet(x, y, **kw), rel=1e-12)
    path, value = ours.frechet_path(x, y, **kw)
    path_t, value_t = tsl.frechet_path(x, y, **kw)
    assert path == path_t
    assert value == pytest.approx(value_t, rel=1e-12)
    for metric in ("euclidean", "sqeuclidean"):
        path, value = ours.frechet_path_from_metric(x, y, metric=metric, **kw)
        path_t, value_t = tsl.frechet_path_from_metric(x, y, metric=metric, **kw)
        assert path == path_t
        assert value == pytest.approx(value_t, rel=1e-12)


def test_frechet_precomputed_accumulated_and_cdist():
    x, y = _pair(7, 5, 20)
    D = np.abs(x[:, None, :1] - y[None, :, :1]).sum(-1)
    assert ours.frechet_path_from_metric(D) == tsl.frechet_path_from_metric(D)
    mask = tsl.compute_mask(x, y, sakoe_chiba_radius=3)
    np.testing.assert_array_equal(
        ours.frechet_accumulated_matrix(x, y, mask), tsl.frechet_accumulated_matrix(x, y, mask)
    )
    ds1, ds2 = _datasets(0)
    np.testing.assert_allclose(
        ours.cdist_frechet(ds1, ds2), tsl.cdist_frechet(ds1, ds2), rtol=1e-12
    )
    np.testing.assert_allclose(ours.cdist_frechet(ds1), tsl.cdist_frechet(ds1), rtol=1e-12)


@pytest.mark.parametrize("eps", [0.5, 1.0])
@pytest.mark.parametrize("seed", SEEDS)
def test_lcss(seed, eps):
    x, y = _pair(seed)
    assert ours.lcss(x, y, eps=eps) == tsl.lcss(x, y, eps=eps)
    assert ours.lcss_path(x, y, eps=eps) == tsl.lcss_path(x, y, eps=eps)
    kw = {"global_constraint": "sakoe_chiba", "sakoe_chiba_radius": 2}
    # tslearn's constrained lcss_path loops forever when its backtracking leaves the band
    # (its path ignores the band); the constrained value is compared only.
    assert ours.lcss(x, y, eps=eps, **kw) == tsl.lcss(x, y, eps=eps, **kw)
    ours_m = ours.lcss_path_from_metric(x, y, eps=eps**2, metric="sqeuclidean")
    assert ours_m == tsl.lcss_path_from_metric(x, y, eps=eps**2, metric="sqeuclidean")


@pytest.mark.parametrize("seed", SEEDS)
def test_dtw_variants(seed):
    x, y = _pair(seed, 2, 16)
    for kw in ({}, {"sakoe_chiba_radius": 2}):
        path, cost = ours.dtw_path_from_metric(x, y, metric="sqeuclidean", **kw)
        path_t, cost_t = tsl.dtw_path_from_metric(x, y, metric="sqeuclidean", **kw)
        assert path == path_t
        assert cost == pytest.approx(cost_t, rel=1e-12)
    mask = tsl.compute_mask(x, y, sakoe_chiba_radius=1)
    np.testing.assert_array_equal(
        ours.dtw_accumulated_matrix(x, y, mask), tsl.dtw_accumulated_matrix(x, y, mask)
    )
    for extra in (0, 2):
        max_length = max(len(x), len(y)) + extra
        value = ours.dtw_limited_warping_length(x, y, max_length)
        assert value == pytest.approx(tsl.dtw_limited_warping_length(x, y, max_length), rel=1e-12)
        path, value = ours.dtw_path_limited_warping_length(x, y, max_length)
        path_t, value_t = tsl.dtw_path_limited_warping_length(x, y, max_length)
        assert path == path_t
        assert value == pytest.approx(value_t, rel=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_subsequence(seed):
    rng = np.random.default_rng(seed)
    q, s = rng.normal(size=(int(rng.integers(1, 6)), 2)), rng.normal(size=(30, 2))
    np.testing.assert_array_equal(
        ours.subsequence_cost_matrix(q, s), tsl.subsequence_cost_matrix(q, s)
    )
    path, dist = ours.dtw_subsequence_path(q, s)
    path_t, dist_t = tsl.dtw_subsequence_path(q, s)
    assert path == path_t
    assert dist == pytest.approx(dist_t, rel=1e-12)
    acc = ours.subsequence_cost_matrix(q, s)
    assert ours.subsequence_path(acc, 17) == tsl.subsequence_path(acc, 17)


@pytest.mark.parametrize("sigma", [0.5, 2.0])
@pytest.mark.parametrize("seed", SEEDS)
def test_gak(seed, sigma):
    x, y = _pair(seed, 1, 40)
    assert ours.gak(x, y, sigma=sigma) == pytest.approx(tsl.gak(x, y, sigma=sigma), rel=1e-10)
    assert ours.unnormalized_gak(x, y, sigma=sigma) == pytest.approx(
        tsl.unnormalized_gak(x, y, sigma=sigma), rel=1e-10
    )


def test_cdist_gak_and_bandwidths():
    ds1, ds2 = _datasets(1)
    for args in ((ds1, ds2), (ds1,)):
        np.testing.assert_allclose(
            ours.cdist_gak(*args, sigma=1.3), tsl.cdist_gak(*args, sigma=1.3), rtol=1e-10
        )
    X = ours.to_time_series_dataset(ds1)
    for n_samples in (10, 500):  # with and without replacement
        assert ours.sigma_gak(X, n_samples=n_samples, random_state=3) == pytest.approx(
            tsl.sigma_gak(X, n_samples=n_samples, random_state=3), rel=1e-12
        )
        assert ours.gamma_soft_dtw(X, n_samples=n_samples, random_state=3) == pytest.approx(
            tsl.gamma_soft_dtw(X, n_samples=n_samples, random_state=3), rel=1e-12
        )


def test_ctw_of_univariate_series_matches_tslearn():
    # tslearn's score is DTW on the first feature (its loop stops after one CCA step, before
    # updating the score): for univariate, positively correlated series it is this CTW.
    # tslearn's path is that of its second alignment, on scikit-learn's standardized
    # projections, and is not compared.
    rng = np.random.default_rng(5)
    u = np.cumsum(rng.normal(size=(20, 1)), 0)
    v = u[np.sort(rng.integers(0, 20, size=14))] + 0.1  # u warped: positively correlated
    _, cca, score = ours.ctw_path(u, v)
    assert cca.y_weights_[0, 0] == cca.x_weights_[0, 0] == 1.0
    assert score == pytest.approx(tsl.ctw(u, v), rel=1e-12)
    ds1, ds2 = _datasets(2, d=1)
    ds1 = [np.cumsum(np.abs(s), 0) for s in ds1]  # increasing: positively correlated pairs
    ds2 = [np.cumsum(np.abs(s), 0) for s in ds2]
    np.testing.assert_allclose(ours.cdist_ctw(ds1, ds2), tsl.cdist_ctw(ds1, ds2), rtol=1e-12)


def test_soft_dtw_objects_and_loss():
    torch = pytest.importorskip("torch")
    x, y = _pair(3, 4, 20)
    se, se_t = ours.SquaredEuclidean(x, y), tsl.SquaredEuclidean(x, y)
    np.testing.assert_allclose(se.compute(), se_t.compute(), rtol=1e-12, atol=1e-14)
    sd, sd_t = ours.SoftDTW(se, gamma=0.3), tsl.SoftDTW(se_t, gamma=0.3)
    assert sd.compute() == pytest.approx(sd_t.compute(), rel=1e-10)
    np.testing.assert_allclose(sd.grad(), sd_t.grad(), rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(
        se.jacobian_product(sd.grad()), se_t.jacobian_product(sd_t.grad()), rtol=1e-8, atol=1e-12
    )
    xb = torch.tensor(np.stack([x[:6], x[-6:]]))
    yb = torch.tensor(np.stack([y[:7], y[-7:]]))
    for normalize in (False, True):
        got = ours.SoftDTWLossPyTorch(gamma=0.5, normalize=normalize)(xb, yb)
        want = tsl.SoftDTWLossPyTorch(gamma=0.5, normalize=normalize)(xb, yb)
        # tslearn keeps its DP table in float32 (torch.Tensor(...)): 1e-6 relative
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)


# tslearn's to_time_series_dataset fills an integer array with NaN (its warning, not ours).
@pytest.mark.filterwarnings("ignore:invalid value encountered in cast:RuntimeWarning")
def test_sax():
    rng = np.random.default_rng(4)
    S1, S2 = rng.integers(0, 5, size=(4, 8, 1)), rng.integers(0, 5, size=(3, 8, 1))
    bp = np.array([-0.84, -0.25, 0.25, 0.84])
    np.testing.assert_allclose(
        ours.cdist_sax(S1, bp, 32, S2), tsl.cdist_sax(S1, bp, 32, S2), rtol=1e-12
    )
    np.testing.assert_allclose(ours.cdist_sax(S1, bp, 32), tsl.cdist_sax(S1, bp, 32), rtol=1e-12)


def _normalized_cc(s1, s2):
    """k-Shape's normalized cross-correlation of two ``(sz, d)`` series at every lag
    ``-(sz - 1) .. sz - 1``, by NumPy's direct correlation (the oracle)."""
    cc = sum(np.correlate(s1[:, f], s2[:, f], "full") for f in range(s1.shape[1]))
    denom = np.linalg.norm(s1) * np.linalg.norm(s2)
    return cc / (denom if denom >= 1e-9 else np.inf)


def test_cross_correlation():
    # tslearn's own functions are numba-compiled at every run (about 25 s alone, minutes
    # under load): the oracle is NumPy's direct correlation instead, tslearn's formula.
    rng = np.random.default_rng(4)
    X, Y = rng.normal(size=(5, 16, 2)), rng.normal(size=(3, 16, 2))
    neg5, neg3 = -np.ones(5), -np.ones(3)
    want = np.array([[_normalized_cc(x, y).max() for y in Y] for x in X])
    np.testing.assert_allclose(ours.cdist_normalized_cc(X, Y, neg5, neg3, False), want, rtol=1e-10)
    shifted = ours.y_shifted_sbd_vec(X[0], Y, -1.0, neg3)
    for y, got in zip(Y, shifted, strict=True):
        shift = int(np.argmax(_normalized_cc(X[0], y))) + 1 - 16
        expected = np.zeros_like(y)
        if shift >= 0:
            expected[shift:] = y[: 16 - shift]
        else:
            expected[:shift] = y[-shift:]
        np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_public_names_and_constants():
    missing = sorted(set(tsl.__all__) - set(ours.__all__))
    assert missing == []
    assert ours.GLOBAL_CONSTRAINT_CODE == tsl.GLOBAL_CONSTRAINT_CODE
    assert ours.TSLEARN_VALID_METRICS == tsl.TSLEARN_VALID_METRICS
    assert ours.VARIABLE_LENGTH_METRICS == tsl.VARIABLE_LENGTH_METRICS
    for code in (0, 1, 2):
        np.testing.assert_array_equal(
            ours.compute_mask(9, 7, global_constraint=code),
            tsl.compute_mask(9, 7, global_constraint=code),
        )

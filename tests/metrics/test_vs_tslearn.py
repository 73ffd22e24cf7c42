"""Differential tests against tslearn (a dev-only oracle) on random inputs."""

import numpy as np
import pytest

import tsgrad.metrics as ours

tsl = pytest.importorskip("tslearn.metrics")
tsl_utils = pytest.importorskip("tslearn.utils")

CONSTRAINTS = [
    pytest.param({}, id="none"),
    pytest.param({"global_constraint": "sakoe_chiba", "sakoe_chiba_radius": 3}, id="sakoe3"),
    pytest.param({"sakoe_chiba_radius": 0}, id="sakoe0-inferred"),
    pytest.param({"global_constraint": "itakura", "itakura_max_slope": 2.0}, id="itakura2"),
    pytest.param({"global_constraint": "itakura", "itakura_max_slope": 3.5}, id="itakura3.5"),
]
SEEDS = range(6)


def _random_pair(seed):
    rng = np.random.default_rng(seed)
    n, m = rng.integers(1, 101, size=2)
    d = int(rng.integers(1, 4))
    return rng.normal(size=(n, d)), rng.normal(size=(m, d))


def _feasible(x, y, kw):
    try:
        tsl.compute_mask(x, y, **{"global_constraint": 0, **_tsl_kw(kw)})
    except RuntimeWarning:
        return False
    return True


def _tsl_kw(kw):
    code = {"sakoe_chiba": 2, "itakura": 1, None: 0}[kw.get("global_constraint")]
    return {
        "global_constraint": code,
        "sakoe_chiba_radius": kw.get("sakoe_chiba_radius"),
        "itakura_max_slope": kw.get("itakura_max_slope"),
    }


@pytest.mark.parametrize("kw", CONSTRAINTS)
@pytest.mark.parametrize("seed", SEEDS)
def test_dtw_and_path(seed, kw):
    x, y = _random_pair(seed)
    if not _feasible(x, y, kw):
        with pytest.raises(ValueError, match="no admissible path"):
            ours.dtw(x, y, **kw)
        return
    assert ours.dtw(x, y, **kw) == pytest.approx(tsl.dtw(x, y, **kw), rel=1e-12)
    p_ours, s_ours = ours.dtw_path(x, y, **kw)
    p_tsl, s_tsl = tsl.dtw_path(x, y, **kw)
    assert s_ours == pytest.approx(s_tsl, rel=1e-12)
    assert p_ours == p_tsl


@pytest.mark.parametrize("kw", CONSTRAINTS)
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("gamma", [0.1, 1.0])
def test_soft_dtw_and_alignment(seed, kw, gamma):
    x, y = _random_pair(seed)
    if not _feasible(x, y, kw):
        return
    assert ours.soft_dtw(x, y, gamma=gamma, **kw) == pytest.approx(
        tsl.soft_dtw(x, y, gamma=gamma, **kw), rel=1e-10
    )
    A, s = ours.soft_dtw_alignment(x, y, gamma=gamma, **kw)
    A_t, s_t = tsl.soft_dtw_alignment(x, y, gamma=gamma, **kw)
    np.testing.assert_allclose(A, A_t, rtol=1e-7, atol=1e-9)
    assert float(s) == pytest.approx(float(s_t), rel=1e-10)


@pytest.mark.parametrize("kw", CONSTRAINTS[:2] + CONSTRAINTS[3:4])
def test_cdist_on_variable_length_nan_padded_datasets(kw):
    # Lengths within a factor 2 so that Itakura (max slope 2) admits a path for every pair;
    # infeasible pairs raise in both libraries (see the next test).
    rng = np.random.default_rng(42)
    ds1 = [rng.normal(size=(int(k), 2)) for k in rng.integers(20, 40, size=6)]
    ds2 = [rng.normal(size=(int(k), 2)) for k in rng.integers(20, 40, size=4)]
    X1 = tsl_utils.to_time_series_dataset(ds1)
    X2 = tsl_utils.to_time_series_dataset(ds2)
    np.testing.assert_allclose(ours.to_time_series_dataset(ds1), X1, equal_nan=True)
    np.testing.assert_allclose(
        ours.cdist_dtw(X1, X2, **kw), tsl.cdist_dtw(X1, X2, **kw), rtol=1e-12
    )
    np.testing.assert_allclose(ours.cdist_dtw(X1, **kw), tsl.cdist_dtw(X1, **kw), rtol=1e-12)
    np.testing.assert_allclose(
        ours.cdist_soft_dtw(X1, X2, gamma=0.5, **kw),
        tsl.cdist_soft_dtw(X1, X2, gamma=0.5, **kw),
        rtol=1e-10,
    )
    np.testing.assert_allclose(
        ours.cdist_soft_dtw(X1, gamma=0.5, **kw),
        tsl.cdist_soft_dtw(X1, gamma=0.5, **kw),
        rtol=1e-10,
    )
    np.testing.assert_allclose(
        ours.cdist_soft_dtw_normalized(X1, X2, gamma=0.5, **kw),
        tsl.cdist_soft_dtw_normalized(X1, X2, gamma=0.5, **kw),
        rtol=1e-9,
        atol=1e-9,
    )


def test_cdist_with_an_infeasible_itakura_pair_raises_like_tslearn():
    rng = np.random.default_rng(0)
    X = tsl_utils.to_time_series_dataset([rng.normal(size=(34, 2)), rng.normal(size=(15, 2))])
    kw = {"global_constraint": "itakura", "itakura_max_slope": 2.0}
    with pytest.raises(RuntimeWarning, match="unfeasible"):
        tsl.cdist_dtw(X, **kw)
    with pytest.raises(ValueError, match="lengths 34 and 15"):
        ours.cdist_dtw(X, **kw)


@pytest.mark.parametrize("sz1,sz2", [(6, 6), (5, 9), (9, 5), (1, 4), (30, 17)])
@pytest.mark.parametrize("param", [0, 1, 3])
def test_sakoe_chiba_mask(sz1, sz2, param):
    np.testing.assert_array_equal(
        ours.sakoe_chiba_mask(sz1, sz2, radius=param), tsl.sakoe_chiba_mask(sz1, sz2, radius=param)
    )


@pytest.mark.parametrize("sz1,sz2", [(6, 6), (5, 9), (9, 5), (30, 17), (40, 40)])
@pytest.mark.parametrize("slope", [1.5, 2.0, 3.0])
def test_itakura_mask(sz1, sz2, slope):
    try:
        expected = tsl.itakura_mask(sz1, sz2, max_slope=slope)
    except RuntimeWarning:
        with pytest.raises(ValueError, match="no admissible path"):
            ours.itakura_mask(sz1, sz2, max_slope=slope)
        return
    np.testing.assert_array_equal(ours.itakura_mask(sz1, sz2, max_slope=slope), expected)


@pytest.mark.parametrize("radius", [0, 1, 4])
def test_lb_keogh(radius):
    rng = np.random.default_rng(radius)
    q, c = rng.normal(size=30), rng.normal(size=30)
    assert ours.lb_keogh(q, c, radius=radius) == pytest.approx(
        tsl.lb_keogh(q, c, radius=radius), rel=1e-12
    )
    env = ours.lb_envelope(c, radius=radius)
    assert ours.lb_keogh(q, envelope_candidate=env) == pytest.approx(
        tsl.lb_keogh(q, c, radius=radius), rel=1e-12
    )
    assert ours.lb_keogh(q, c, radius=radius) <= ours.dtw(q, c, sakoe_chiba_radius=radius) + 1e-12

"""TimeSeriesKMeans on its own: invariants of a fit, the scikit-learn protocol, errors."""

import numpy as np
import pytest
import torch

from tsgrad.barycenters import dtw_barycenter_averaging_petitjean
from tsgrad.clustering import EmptyClusterError, TimeSeriesKMeans
from tsgrad.clustering._kmeans import NotFittedError
from tsgrad.metrics import cdist_dtw

METRICS = ["euclidean", "dtw", "softdtw"]


def two_groups(n=12, sz=10, seed=0):
    """Noisy copies of a rising and of a falling ramp: two obvious clusters."""
    rng = np.random.RandomState(seed)
    ramp = np.linspace(0.0, 3.0, sz)
    X = np.stack([ramp if k % 2 else -ramp for k in range(n)])[:, :, None]
    return X + 0.1 * rng.randn(n, sz, 1), np.arange(n) % 2


@pytest.mark.parametrize("metric", METRICS)
def test_a_fit_is_consistent(metric):
    X, truth = two_groups()
    km = TimeSeriesKMeans(n_clusters=2, metric=metric, random_state=0, max_iter_barycenter=20)
    labels = km.fit_predict(X)
    np.testing.assert_array_equal(labels, km.labels_)
    assert len(set(zip(labels.tolist(), truth.tolist(), strict=True))) == 2  # found the groups
    dists = km.transform(X)
    assert dists.shape == (12, 2)
    np.testing.assert_array_equal(km.predict(X), dists.argmin(axis=1))
    np.testing.assert_array_equal(km.labels_, dists.argmin(axis=1))
    assert km.inertia_ == pytest.approx(np.mean(dists.min(axis=1) ** 2), rel=1e-12)
    assert km.cluster_centers_.shape == (2, 10, 1) and km.n_features_in_ == 1
    assert 1 <= km.n_iter_ <= km.max_iter


def test_euclidean_centers_are_the_cluster_means():
    X, _ = two_groups(seed=1)
    km = TimeSeriesKMeans(n_clusters=2, random_state=0).fit(X)
    for k in range(2):
        np.testing.assert_allclose(km.cluster_centers_[k], X[km.labels_ == k].mean(axis=0))


def test_dtw_centers_are_the_dba_of_their_clusters_under_a_constraint():
    # Constraints reach both the assignment and the DBA (tslearn 0.10 drops a constraint
    # given by name in its DBA, and fails on one given by code in its cdist).
    X, _ = two_groups(seed=2)
    params = {"global_constraint": "sakoe_chiba", "sakoe_chiba_radius": 1}
    km = TimeSeriesKMeans(
        n_clusters=2, metric="dtw", metric_params=params, random_state=0, tol=0.0, max_iter=20
    ).fit(X)
    np.testing.assert_allclose(km.transform(X), cdist_dtw(X, km.cluster_centers_, **params))
    for k in range(2):  # converged: one more round of DBA leaves the centers in place
        again = dtw_barycenter_averaging_petitjean(
            X[km.labels_ == k], init_barycenter=km.cluster_centers_[k], metric_params=params
        )
        np.testing.assert_allclose(again, km.cluster_centers_[k], atol=1e-9)


@pytest.mark.parametrize("metric", ["dtw", "softdtw"])
def test_variable_lengths_and_tensors(metric):
    series = [np.sin(np.linspace(0, 3, n)) * s for n, s in [(8, 1), (10, 1), (9, -1), (7, -1)]]
    km = TimeSeriesKMeans(n_clusters=2, metric=metric, random_state=0, max_iter_barycenter=10)
    km.fit(series)
    assert km.cluster_centers_.shape == (2, 10, 1)
    assert not np.isnan(km.cluster_centers_).any()
    assert km.labels_[0] == km.labels_[1] != km.labels_[2] == km.labels_[3]
    padded = np.full((4, 10, 1), np.nan)
    for k, s in enumerate(series):
        padded[k, : len(s), 0] = s
    np.testing.assert_array_equal(km.predict(torch.tensor(padded)), km.labels_)


def test_dtw_inertia_uses_dtw_whatever_the_metric():
    X, _ = two_groups(seed=3)
    km = TimeSeriesKMeans(n_clusters=2, metric="softdtw", dtw_inertia=True, random_state=0)
    km.fit(X)
    d = cdist_dtw(X, km.cluster_centers_)
    assert km.inertia_ == pytest.approx(np.mean(d[np.arange(12), km.labels_] ** 2), rel=1e-12)


def test_initial_centers_that_leave_a_cluster_empty_raise():
    X, _ = two_groups(seed=4)
    init = np.stack([X[0], X[0]])  # two equal centers: the second never gets a series
    with pytest.raises(EmptyClusterError, match="10 k-means runs left a cluster empty"):
        TimeSeriesKMeans(n_clusters=2, init=init).fit(X)


def test_scikit_learn_protocol():
    sklearn_base = pytest.importorskip("sklearn.base")
    pipeline = pytest.importorskip("sklearn.pipeline")
    km = TimeSeriesKMeans(n_clusters=2, metric="dtw", metric_params={"sakoe_chiba_radius": 2})
    assert repr(km) == (
        "TimeSeriesKMeans(metric='dtw', metric_params={'sakoe_chiba_radius': 2}, n_clusters=2)"
    )
    params = km.get_params()
    assert params["n_clusters"] == 2 and params["init"] == "k-means++" and len(params) == 12
    clone = sklearn_base.clone(km)
    assert clone is not km and clone.get_params() == params
    assert km.set_params(n_clusters=3) is km and km.n_clusters == 3
    with pytest.raises(ValueError, match="Invalid parameter 'k'"):
        km.set_params(k=3)
    assert sklearn_base.is_clusterer(km)
    X, _ = two_groups(seed=5)
    pipe = pipeline.make_pipeline(TimeSeriesKMeans(n_clusters=2, random_state=0))
    assert pipe.fit(X).predict(X).shape == (12,)
    with pytest.raises(TypeError):
        TimeSeriesKMeans(2)  # keyword-only, as scikit-learn's estimators


@pytest.mark.parametrize(
    ("kw", "X", "error", "match"),
    [
        ({"metric": "cosine"}, None, ValueError, "'metric'"),
        ({"metric": "dtw", "metric_params": {"gamma": 1.0}}, None, ValueError, "'gamma'"),
        ({"metric": "softdtw", "metric_params": {"gamma": -1.0}}, None, ValueError, "'gamma'"),
        ({"init": "kmeans"}, None, ValueError, "'init'"),
        ({"init": np.zeros((3, 10, 1))}, None, ValueError, r"'init'.*n_clusters=2"),
        ({"init": np.zeros((2, 9, 1))}, None, ValueError, "length of the series"),
        ({"n_clusters": 20}, None, ValueError, "at least n_clusters=20"),
        ({"max_iter": 0}, None, ValueError, "'max_iter'"),
        ({"tol": -1}, None, ValueError, "'tol'"),
        ({"verbose": -1}, None, ValueError, "'verbose'"),
        ({"verbose": "loud"}, None, TypeError, "'verbose'"),
        ({"dtw_inertia": "yes"}, None, TypeError, "'dtw_inertia'"),
        ({"random_state": 1.5}, None, TypeError, "'random_state'"),
        ({"n_clusters": 2.0}, None, TypeError, "'n_clusters'"),
        ({}, [[1.0, 2.0], [1.0, 2.0, 3.0]], ValueError, "equal lengths"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_bad_parameters_raise(kw, X, error, match):
    X = two_groups()[0] if X is None else X
    with pytest.raises(error, match=match):
        TimeSeriesKMeans(**{"n_clusters": 2, **kw}).fit(X)


def test_use_before_fit_and_wrong_shapes_raise():
    km = TimeSeriesKMeans(n_clusters=2)
    with pytest.raises(NotFittedError, match="not fitted"):
        km.predict(two_groups()[0])
    km.fit(two_groups()[0])
    with pytest.raises(ValueError, match="length 10"):
        km.predict(np.zeros((3, 8, 1)))
    with pytest.raises(ValueError, match="1 feature"):
        TimeSeriesKMeans(n_clusters=2, metric="dtw").fit(two_groups()[0]).transform(
            np.zeros((3, 8, 2))
        )

"""The silhouette against its definition written as loops, and its errors."""

import numpy as np
import pytest

from tsgrad.clustering import silhouette_samples, silhouette_score
from tsgrad.metrics import cdist_soft_dtw_normalized


def silhouette_by_definition(D, labels):
    out = []
    for i, li in enumerate(labels):
        own = [D[i, j] for j in range(len(labels)) if labels[j] == li and j != i]
        if not own:
            out.append(0.0)
            continue
        a = np.mean(own)
        b = min(np.mean(D[i, labels == c]) for c in set(labels.tolist()) - {li})
        out.append((b - a) / max(a, b))
    return np.array(out)


def test_samples_follow_the_definition_with_a_singleton_cluster():
    rng = np.random.RandomState(0)
    X = rng.randn(9, 7, 1).cumsum(axis=1)
    labels = np.array([0, 0, 1, 1, 1, 2, 0, 1, 3])  # cluster 3 holds one series
    D = cdist_soft_dtw_normalized(X, gamma=0.5)
    expected = silhouette_by_definition(D, labels)
    got = silhouette_samples(X, labels, metric="softdtw", metric_params={"gamma": 0.5})
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert got[-1] == 0.0
    assert silhouette_score(D, labels, metric="precomputed") == pytest.approx(expected.mean())


def test_a_sample_scores_only_its_series():
    rng = np.random.RandomState(1)
    X = rng.randn(10, 6, 1).cumsum(axis=1)
    labels = np.arange(10) % 3
    idx = np.random.RandomState(7).permutation(10)[:6]
    expected = silhouette_score(X[idx], labels[idx])
    assert silhouette_score(X, labels, sample_size=6, random_state=7) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"labels": np.zeros(6)}, "between 2 and"),
        ({"labels": np.arange(6)}, "between 2 and"),
        ({"labels": [0, 1]}, r"shape \(6,\)"),
        ({"metric": "cosine"}, "'metric'"),
        ({"metric": "dtw", "metric_params": {"gamma": 1.0}}, "'gamma'"),
        ({"metric": "dtw", "radius": 2}, "radius"),
        ({"sample_size": 0}, "'sample_size'"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_bad_input_raises(kw, match):
    X = np.random.RandomState(2).randn(6, 5, 1)
    kw = {"labels": np.array([0, 0, 0, 1, 1, 1]), **kw}
    with pytest.raises(ValueError, match=match):
        silhouette_score(X, **kw)


def test_a_metric_that_is_neither_a_name_nor_a_callable_is_a_type_error():
    with pytest.raises(TypeError, match="'metric'"):
        silhouette_score(np.zeros((4, 3)), [0, 0, 1, 1], metric=3)


def test_a_precomputed_matrix_needs_a_zero_diagonal():
    with pytest.raises(ValueError, match="diagonal"):
        silhouette_score(np.ones((4, 4)), [0, 0, 1, 1], metric="precomputed")

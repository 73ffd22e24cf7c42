"""Initial centers of k-means: k-means++ seeding and a random draw of series."""

from __future__ import annotations

import numpy as np


def kmeans_plusplus(X, n_clusters: int, sq_distances, rs, first: str) -> np.ndarray:
    """Greedy k-means++ seeds (Arthur & Vassilvitskii, 2007) ``(n_clusters, sz, d)``.

    The first seed is drawn uniformly; each next one is the best, by the resulting
    potential ``sum_i min_c dist(x_i, c)^2``, of ``2 + log(k)`` candidates drawn with
    probability proportional to the current ``min_c dist(x_i, c)^2``.

    Parameters
    ----------
    X : ndarray, shape (n_ts, sz, d)
        NaN-padded dataset (the seeds are series of it).
    n_clusters : int
    sq_distances : callable (A, B) -> ndarray (len(A), len(B))
        Squared distances between two datasets.
    rs : numpy.random.RandomState
    first : {"choice", "randint"}
        How the first seed is drawn: ``rs.choice(n, p=uniform)`` (scikit-learn's Euclidean
        k-means++) or ``rs.randint(n)`` (tslearn's for DTW and soft-DTW); with the
        uniform draws of the candidates this consumes the generator as they do, so a seed
        gives their centers.
    """
    n = X.shape[0]
    trials = 2 + int(np.log(n_clusters))
    if first == "choice":
        index = rs.choice(n, p=np.full(n, 1.0 / n))
    else:
        index = rs.randint(n)
    chosen = [int(index)]
    closest = sq_distances(X[index : index + 1], X)[0]
    potential = closest.sum()
    for _ in range(1, n_clusters):
        draws = rs.random_sample(trials) * potential
        candidates = np.searchsorted(np.cumsum(closest), draws)
        np.clip(candidates, None, n - 1, out=candidates)  # rounding at the top of the sum
        reach = np.minimum(closest, sq_distances(X[candidates], X))
        potentials = reach.sum(axis=1)
        best = int(np.argmin(potentials))
        potential, closest = potentials[best], reach[best]
        chosen.append(int(candidates[best]))
    return X[chosen].copy()


def random_seeds(X, n_clusters: int, rs) -> np.ndarray:
    """``n_clusters`` distinct series of ``X`` drawn at random ``(n_clusters, sz, d)``."""
    return X[rs.choice(X.shape[0], n_clusters, replace=False)].copy()

"""Silhouette coefficients of a clustering of time series (Rousseeuw, 1987)."""

from __future__ import annotations

import numpy as np

from .. import _validation as v
from ..backend import is_torch_tensor, to_numpy
from ..barycenters._checks import check_dataset
from ._metric import check_metric

_IGNORED_KEYS = ("be", "n_jobs", "verbose")


def _metric_params(metric_params, kwds, func):
    if metric_params is not None and not isinstance(metric_params, dict):
        raise TypeError(
            f"The 'metric_params' parameter of {func} must be None or a dict. Got "
            f"{type(metric_params).__name__} instead."
        )
    params = {**(metric_params or {}), **kwds}
    return {k: v for k, v in params.items() if k not in _IGNORED_KEYS}


def _check_precomputed(D, func):
    D = np.asarray(to_numpy(D) if is_torch_tensor(D) else D, dtype=np.float64)
    if D.ndim != 2 or D.shape[0] != D.shape[1] or not np.isfinite(D).all():
        raise ValueError(
            f"The 'X' parameter of {func} must be a square matrix of finite distances with "
            f"metric='precomputed'. Got an array of shape {D.shape}."
        )
    if np.any(np.abs(D.diagonal()) > 100 * np.finfo(np.float64).eps):
        raise ValueError(
            f"The precomputed distance matrix passed to {func} has non-zero elements on its "
            "diagonal; set them to 0 (np.fill_diagonal(X, 0))."
        )
    return D


def _dissimilarities(X, metric, params, func):
    """``(n_ts, dist)``: the number of series and ``dist(idx)``, the ``(len(idx), len(idx))``
    dissimilarities of the series ``idx`` (only those are computed)."""
    if isinstance(metric, str) and metric == "precomputed":
        if params:
            raise ValueError(
                f"{func} takes no metric parameters with metric='precomputed'. Got "
                f"{sorted(params)}."
            )
        D = _check_precomputed(X, func)
        return D.shape[0], lambda idx: D[np.ix_(idx, idx)]
    if not (metric is None or isinstance(metric, str) or callable(metric)):
        raise TypeError(
            f"The 'metric' parameter of {func} must be None, 'dtw', 'softdtw', 'euclidean', "
            f"'precomputed' or a callable (x, y) -> float. Got {metric!r} instead."
        )
    data = check_dataset(X, func)
    X_nan, lengths = data.nan_padded(), data.lengths
    if metric is None or isinstance(metric, str):
        chosen = check_metric("dtw" if metric is None else metric, params, func)
        if chosen.name == "euclidean" and not data.equal_size:
            raise ValueError(
                f"The 'X' parameter of {func} must hold series of equal lengths with "
                "metric='euclidean'."
            )
        return len(lengths), lambda idx: chosen.self_distances(X_nan[idx])

    def pairwise(idx):
        series = [X_nan[k, : lengths[k]] for k in idx]
        D = np.zeros((len(idx), len(idx)))
        for i in range(len(idx)):
            for j in range(i + 1, len(idx)):
                D[i, j] = D[j, i] = float(metric(series[i], series[j], **params))
        return D

    return len(lengths), pairwise


def _check_labels(labels, n: int, func: str):
    labels = np.asarray(to_numpy(labels) if is_torch_tensor(labels) else labels)
    if labels.shape != (n,):
        raise ValueError(
            f"The 'labels' parameter of {func} must have shape ({n},), one label per time "
            f"series. Got shape {labels.shape} instead."
        )
    codes = np.unique(labels, return_inverse=True)[1].ravel()
    k = int(codes.max()) + 1 if n else 0
    if not 2 <= k <= n - 1:
        raise ValueError(
            f"The 'labels' parameter of {func} must hold between 2 and n_ts - 1 = {n - 1} "
            f"distinct labels. Got {k}."
        )
    return codes, k


def _samples(D, codes, k):
    """Silhouette of each point from the distance matrix and label codes ``0..k-1``."""
    n = D.shape[0]
    onehot = np.zeros((n, k))
    onehot[np.arange(n), codes] = 1.0
    sums = D @ onehot  # (n, k): total distance of each point to each cluster
    sizes = onehot.sum(axis=0)
    own = sizes[codes]
    with np.errstate(divide="ignore", invalid="ignore"):
        a = sums[np.arange(n), codes] / (own - 1)
        means = sums / sizes
        means[np.arange(n), codes] = np.inf
        b = means.min(axis=1)
        s = (b - a) / np.maximum(a, b)
    s[own == 1] = 0.0  # a point alone in its cluster has silhouette 0
    return np.nan_to_num(s)


def silhouette_samples(X, labels, metric=None, metric_params=None, n_jobs=None, verbose=0, **kwds):
    r"""Silhouette coefficient of each time series.

    ``s_i = (b_i - a_i) / max(a_i, b_i)``, with ``a_i`` the mean dissimilarity of series
    ``i`` to the other series of its cluster and ``b_i`` the smallest mean dissimilarity to
    the series of another cluster (0 for a series alone in its cluster).

    Parameters
    ----------
    X : array-like, shape (n_ts, sz, d) or (n_ts, sz), a list of series, or, with
        ``metric="precomputed"``, a distance matrix ``(n_ts, n_ts)`` with a zero diagonal
    labels : array-like, shape (n_ts,)
        Between 2 and ``n_ts - 1`` distinct labels.
    metric : {None, "dtw", "softdtw", "euclidean", "precomputed"} or callable
        None means "dtw".  "softdtw" uses the soft-DTW divergence
        ``sdtw(x, y) - (sdtw(x, x) + sdtw(y, y)) / 2`` (>= 0, zero diagonal).  A callable
        ``metric(x, y, **metric_params) -> float`` gets two series without their padding.
    metric_params : dict or None
        ``gamma`` (soft-DTW) and the global constraint keys of :func:`tsgrad.metrics.dtw`.
    n_jobs, verbose
        Accepted for tslearn compatibility; not used.
    **kwds
        More metric parameters, as in tslearn (the keys ``be``, ``n_jobs`` and ``verbose``
        are ignored); unknown keys are an error.

    Returns
    -------
    ndarray, shape (n_ts,)

    Examples
    --------
    >>> X = [[0.0, 0.0], [0.0, 0.1], [5.0, 5.0], [5.0, 5.1]]
    >>> silhouette_samples(X, [0, 0, 1, 1], metric="euclidean").round(3).tolist()
    [0.986, 0.986, 0.986, 0.986]
    """
    func = "silhouette_samples"
    v.n_jobs(n_jobs, func)
    params = _metric_params(metric_params, kwds, func)
    n, dist = _dissimilarities(X, metric, params, func)
    codes, k = _check_labels(labels, n, func)
    return _samples(dist(np.arange(n)), codes, k)


def silhouette_score(
    X,
    labels,
    metric=None,
    sample_size=None,
    metric_params=None,
    n_jobs=None,
    verbose=0,
    random_state=None,
    **kwds,
):
    r"""Mean silhouette coefficient of a clustering of time series.

    See :func:`silhouette_samples` for the coefficient and the parameters shared with it.

    Parameters
    ----------
    X, labels, metric, metric_params, n_jobs, verbose, **kwds
        As in :func:`silhouette_samples`.
    sample_size : int or None (default: None)
        Score a random subset of this many series (only their distances are computed).
    random_state : None, int or numpy.random.RandomState
        Draws the subset (scikit-learn's draw: the same seed gives the same subset).

    Returns
    -------
    float

    Examples
    --------
    >>> X = [[0.0, 0.0, 1.0], [0.0, 0.1, 1.0], [5.0, 5.0, 4.0], [5.0, 5.0, 5.0, 4.0]]
    >>> round(silhouette_score(X, [0, 0, 1, 1], metric="dtw"), 3)
    0.994
    """
    func = "silhouette_score"
    v.n_jobs(n_jobs, func)
    params = _metric_params(metric_params, kwds, func)
    n, dist = _dissimilarities(X, metric, params, func)
    codes = _check_labels(labels, n, func)[0]
    idx = np.arange(n)
    if sample_size is not None:
        size = v.integer(sample_size, "sample_size", func, minimum=1)
        idx = v.random_state(random_state, func).permutation(n)[:size]
    codes, k = _check_labels(codes[idx], len(idx), func)
    return float(np.mean(_samples(dist(idx), codes, k)))

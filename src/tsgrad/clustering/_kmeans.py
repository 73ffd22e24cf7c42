"""k-means for time series under the Euclidean distance, DTW (DBA centers) or soft-DTW."""

from __future__ import annotations

import numpy as np

from .. import _validation as v
from ..backend import is_torch_tensor, to_numpy
from ..barycenters._checks import Dataset, check_dataset, resample
from ..barycenters._dba import _majorize_minimize
from ..barycenters._softdtw import _scipy_barycenter
from ._base import ParamsEstimator
from ._init import kmeans_plusplus, random_seeds
from ._metric import Metric, check_metric


class EmptyClusterError(ValueError):
    """Every k-means run left a cluster without any time series.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.arange(8.0).reshape(4, 2, 1)
    >>> twice_the_same = np.stack([X[0], X[0]])  # the second center never wins a series
    >>> try:
    ...     TimeSeriesKMeans(n_clusters=2, init=twice_the_same).fit(X)
    ... except EmptyClusterError as exc:
    ...     print(type(exc).__name__)
    EmptyClusterError
    """


class NotFittedError(ValueError, AttributeError):
    """The estimator is used before ``fit`` (also a ValueError and an AttributeError, as
    scikit-learn's)."""


# tslearn's settings of the barycenters inside k-means (``max_iter`` of both is the
# estimator's ``max_iter_barycenter``).
_DBA_TOL = 1e-5
_SOFTDTW_TOL = 1e-3
_DTW = Metric("dtw")


class TimeSeriesKMeans(ParamsEstimator):
    r"""k-means clustering of time series (tslearn's ``TimeSeriesKMeans``).

    Lloyd's iterations: assign every series to its nearest center, then replace each
    center by the barycenter of its series under the same metric, until the inertia
    changes by less than ``tol``.  ``metric="euclidean"`` uses the mean; ``"dtw"``, DTW
    Barycenter Averaging (:func:`tsgrad.barycenters.dtw_barycenter_averaging_petitjean`);
    ``"softdtw"``, :func:`tsgrad.barycenters.softdtw_barycenter` (L-BFGS).  The pairwise
    distances come from :func:`tsgrad.metrics.cdist_dtw` / :func:`~tsgrad.metrics.cdist_soft_dtw`
    (parallel numba kernels).

    A scikit-learn estimator (``get_params``, ``set_params``, ``clone``, pipelines) without
    depending on scikit-learn.  Inputs may be NumPy arrays, lists of series of different
    lengths (``"dtw"`` and ``"softdtw"``), NaN-padded datasets or CPU/GPU tensors (read once
    on the host); results are NumPy arrays.

    Parameters
    ----------
    n_clusters : int >= 1 (default: 3)
    max_iter : int >= 1 (default: 50)
        Maximum number of k-means iterations of one run.
    tol : float >= 0 (default: 1e-6)
        Stop when the inertia changes by less than ``tol`` between two iterations.
    n_init : int >= 1 (default: 1)
        Runs with different seeds; the one of lowest inertia is kept.  Runs that end with
        an empty cluster are retried, up to ``max(n_init, 10)`` attempts in all.
    metric : {"euclidean", "dtw", "softdtw"} (default: "euclidean")
        For assignments and barycenters.  "euclidean" needs series of equal lengths.
    max_iter_barycenter : int >= 0 (default: 100)
        Iterations of each barycenter computation (DBA or L-BFGS).  tslearn 0.10 uses it
        for "softdtw" only and always runs 30 DBA iterations for "dtw"; pass 30 to match.
    metric_params : dict or None (default: None)
        ``gamma`` (soft-DTW, default 1.0) and the global constraint
        (``global_constraint``, ``sakoe_chiba_radius``, ``itakura_max_slope``) for "dtw" and
        "softdtw"; a key ``n_jobs`` is ignored, any other is an error.
    n_jobs : None or int
        Accepted for tslearn compatibility; the kernels use every core numba is allowed.
    dtw_inertia : bool (default: False)
        Measure the inertia with (unconstrained) DTW whatever the metric.
    verbose : int (default: 0)
        Print the inertia at each iteration.
    random_state : None, int or numpy.random.RandomState
        Seeds of the initialisation; an int draws the same centers as tslearn.
    init : {"k-means++", "random"} or array-like, shape (n_clusters, sz_c, d)
        "k-means++" (greedy seeding among the series), "random" (distinct series drawn
        at random) or the initial centers (their length ``sz_c`` is that of the centers;
        NaN-padded centers are resampled to ``sz_c``).

    Attributes
    ----------
    cluster_centers_ : ndarray, shape (n_clusters, sz_c, d)
    labels_ : ndarray of int64, shape (n_ts,)
        Nearest center of each training series, for the final centers.
    inertia_ : float
        Mean over the series of the squared distance to their center: tslearn's
        definition (scikit-learn's KMeans sums instead); with "softdtw" the distance is the
        soft-DTW value, which may be negative.  Unlike tslearn, which reports the inertia
        of the assignment before the last center update, it is that of ``labels_`` and
        ``cluster_centers_``.
    n_iter_ : int
        Iterations of the kept run.
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = np.concatenate([rng.normal(0, 0.1, (10, 16, 1)), rng.normal(3, 0.1, (10, 16, 1))])
    >>> km = TimeSeriesKMeans(n_clusters=2, metric="dtw", random_state=0).fit(X)
    >>> km.cluster_centers_.shape
    (2, 16, 1)
    >>> sorted(np.bincount(km.labels_).tolist())
    [10, 10]
    >>> bool(np.all(km.predict(X) == km.labels_))
    True
    """

    def __init__(
        self,
        *,
        n_clusters=3,
        max_iter=50,
        tol=1e-6,
        n_init=1,
        metric="euclidean",
        max_iter_barycenter=100,
        metric_params=None,
        n_jobs=None,
        dtw_inertia=False,
        verbose=0,
        random_state=None,
        init="k-means++",
    ):
        self.n_clusters = n_clusters
        self.max_iter = max_iter
        self.tol = tol
        self.n_init = n_init
        self.metric = metric
        self.max_iter_barycenter = max_iter_barycenter
        self.metric_params = metric_params
        self.n_jobs = n_jobs
        self.dtw_inertia = dtw_inertia
        self.verbose = verbose
        self.random_state = random_state
        self.init = init

    def _allows_nan(self) -> bool:
        return self.metric != "euclidean"

    # ---------------------------------------------------------------- validation
    def _checked_params(self, func: str):
        v.integer(self.n_clusters, "n_clusters", func, minimum=1)
        v.integer(self.max_iter, "max_iter", func, minimum=1)
        v.real(self.tol, "tol", func, minimum=0.0)
        v.integer(self.n_init, "n_init", func, minimum=1)
        v.integer(self.max_iter_barycenter, "max_iter_barycenter", func, minimum=0)
        v.n_jobs(self.n_jobs, func)
        v.flag(self.dtw_inertia, "dtw_inertia", func)
        if not isinstance(self.verbose, bool):
            v.integer(self.verbose, "verbose", func, minimum=0)
        return check_metric(self.metric, self.metric_params, func)

    def _checked_init(self, data: Dataset, func: str):
        """The initial centers ``(n_clusters, sz_c, d)`` given as an array, or the name."""
        init = self.init
        if isinstance(init, str):
            if init not in ("k-means++", "random"):
                raise ValueError(
                    f"The 'init' parameter of {func} must be 'k-means++', 'random' or an array "
                    f"of shape (n_clusters, sz, d). Got {init!r} instead."
                )
            return init
        if not (hasattr(init, "__array__") or is_torch_tensor(init)):
            raise TypeError(
                f"The 'init' parameter of {func} must be 'k-means++', 'random' or an array of "
                f"shape (n_clusters, sz, d). Got {type(init).__name__} instead."
            )
        centers = np.array(to_numpy(init), dtype=np.float64)
        if centers.ndim == 2:
            centers = centers[:, :, None]
        d = data.values.shape[2]
        if centers.ndim != 3 or centers.shape[0] != self.n_clusters or centers.shape[2] != d:
            raise ValueError(
                f"The 'init' parameter of {func} must have shape (n_clusters={self.n_clusters}"
                f", sz, d={d}). Got an array of shape {centers.shape} instead."
            )
        if self.metric == "euclidean" and centers.shape[1] != data.values.shape[1]:
            raise ValueError(
                f"The 'init' parameter of {func} must have the length of the series "
                f"({data.values.shape[1]}) with metric='euclidean'. Got {centers.shape[1]}."
            )
        return _full_length(check_dataset(centers, func, "init"))

    def _checked_data(self, X, func: str, sz: int | None = None) -> Dataset:
        data = check_dataset(X, func)
        if self.metric == "euclidean":
            if not data.equal_size:
                raise ValueError(
                    f"The 'X' parameter of {func} must hold series of equal lengths with "
                    f"metric='euclidean'. Got lengths from {data.lengths.min()} to "
                    f"{data.lengths.max()}; use metric='dtw' or 'softdtw', or resample them."
                )
            if sz is not None and data.values.shape[1] != sz:
                raise ValueError(
                    f"The 'X' parameter of {func} must hold series of length {sz}, that of the "
                    f"cluster centers, with metric='euclidean'. Got {data.values.shape[1]}."
                )
        return data

    # ---------------------------------------------------------------- fitting
    def fit(self, X, y=None):
        """Compute the k-means clustering of ``X``.

        Parameters
        ----------
        X : array-like, shape (n_ts, sz, d) or (n_ts, sz), or a list of series
        y : ignored

        Returns
        -------
        self
        """
        func = "TimeSeriesKMeans.fit"
        metric = self._checked_params(func)
        data = self._checked_data(X, func)
        if data.values.shape[0] < self.n_clusters:
            raise ValueError(
                f"The 'X' parameter of {func} must hold at least n_clusters="
                f"{self.n_clusters} time series. Got {data.values.shape[0]}."
            )
        init = self._checked_init(data, func)
        rs = v.random_state(self.random_state, func)
        X_nan = data.nan_padded()
        best = None
        attempts = successes = 0
        while successes < self.n_init and attempts < max(self.n_init, 10):
            attempts += 1
            if self.verbose and self.n_init > 1:
                print(f"Init {successes + 1}")
            try:
                run = self._fit_one(data, X_nan, metric, init, rs)
            except EmptyClusterError:
                if self.verbose:
                    print("Resumed because of empty cluster")
                continue
            successes += 1
            if best is None or run[2] < best[2]:
                best = run
        if best is None:
            raise EmptyClusterError(
                f"{func}: each of the {attempts} k-means runs left a cluster empty. Try fewer "
                "clusters, init='k-means++', or other initial centers."
            )
        self.cluster_centers_, self.labels_, self.inertia_, self.n_iter_ = best
        self.n_features_in_ = data.values.shape[2]
        return self

    def _fit_one(self, data, X_nan, metric: Metric, init, rs):
        """One run from one initialisation: ``(centers, labels, inertia, n_iter)``."""
        centers = self._initial_centers(X_nan, metric, init, rs)
        previous = np.inf
        n_iter = 0
        while n_iter < self.max_iter:
            n_iter += 1
            dists = metric.distances(X_nan, centers)
            labels = dists.argmin(axis=1)
            counts = np.bincount(labels, minlength=self.n_clusters)
            if (counts == 0).any():
                raise EmptyClusterError(
                    f"cluster {int(np.flatnonzero(counts == 0)[0])} has no time series"
                )
            inertia = self._inertia(X_nan, centers, dists, labels, metric)
            if self.verbose:
                print(f"{inertia:.3f}", end=" --> ")
            centers = self._update_centers(data, centers, labels, metric)
            if abs(previous - inertia) < self.tol:
                break
            previous = inertia
        if self.verbose:
            print("")
        dists = metric.distances(X_nan, centers)
        labels = dists.argmin(axis=1)
        return centers, labels, self._inertia(X_nan, centers, dists, labels, metric), n_iter

    def _initial_centers(self, X_nan, metric: Metric, init, rs):
        if isinstance(init, np.ndarray):
            return init.copy()
        if init == "random":
            seeds = random_seeds(X_nan, self.n_clusters, rs)
        else:
            first = "choice" if metric.name == "euclidean" else "randint"
            seeds = kmeans_plusplus(
                X_nan, self.n_clusters, lambda a, b: metric.distances(a, b) ** 2, rs, first
            )
        return _full_length(check_dataset(seeds, "TimeSeriesKMeans.fit", "init"))

    def _inertia(self, X_nan, centers, dists, labels, metric: Metric) -> float:
        if self.dtw_inertia and metric.name != "dtw":
            dists = _DTW.distances(X_nan, centers)
        return float(np.mean(dists[np.arange(len(labels)), labels] ** 2))

    def _update_centers(self, data: Dataset, centers, labels, metric: Metric):
        if metric.name == "euclidean":
            return np.stack([data.values[labels == k].mean(axis=0) for k in range(self.n_clusters)])
        if metric.name == "dtw":
            # every cluster's DBA at once: one kernel call per iteration for all of them
            return _majorize_minimize(
                "TimeSeriesKMeans",
                data.values,
                data.lengths,
                np.ones(len(labels)),
                labels,
                centers,
                metric.constraint,
                self.max_iter_barycenter,
                _DBA_TOL,
                False,
                series_first=True,
            )[0]
        if self.max_iter_barycenter == 0:
            return centers.copy()
        new = np.empty_like(centers)
        for k in range(self.n_clusters):
            members = labels == k
            cluster = Dataset(data.values[members], data.lengths[members], None)
            new[k] = _scipy_barycenter(
                cluster,
                np.ones(int(members.sum())),
                metric.gamma,
                centers[k],
                "L-BFGS-B",
                _SOFTDTW_TOL,
                self.max_iter_barycenter,
                metric.constraint,
            )
        return new

    # ---------------------------------------------------------------- after fitting
    def _fitted(self, func: str):
        if not hasattr(self, "cluster_centers_"):
            raise NotFittedError(
                f"{func}: this TimeSeriesKMeans instance is not fitted yet; call 'fit' first."
            )
        return self._checked_params(func)

    def transform(self, X):
        """Distances of each series to each cluster center.

        Parameters
        ----------
        X : array-like, shape (n_ts, sz, d) or (n_ts, sz), or a list of series

        Returns
        -------
        ndarray, shape (n_ts, n_clusters)
            Euclidean or DTW distances, or soft-DTW values (``metric="softdtw"``).
        """
        func = "TimeSeriesKMeans.transform"
        metric = self._fitted(func)
        data = self._checked_data(X, func, self.cluster_centers_.shape[1])
        if data.values.shape[2] != self.n_features_in_:
            raise ValueError(
                f"The 'X' parameter of {func} must have {self.n_features_in_} feature(s), as "
                f"at fit time. Got {data.values.shape[2]}."
            )
        return metric.distances(data.nan_padded(), self.cluster_centers_)

    def predict(self, X):
        """Index of the nearest cluster center of each series, ``(n_ts,)`` int64."""
        return self.transform(X).argmin(axis=1)

    def fit_predict(self, X, y=None):
        """``fit(X)``, then the training labels ``labels_`` ``(n_ts,)``."""
        return self.fit(X, y).labels_


def _full_length(data: Dataset) -> np.ndarray:
    """Centers ``(k, sz, d)`` whose NaN padding is replaced by resampling each to ``sz``."""
    if data.equal_size:
        return data.values
    return resample(data.values, data.lengths, data.values.shape[1])

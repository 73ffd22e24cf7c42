"""The three k-means metrics: validated parameters and pairwise distance matrices."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.spatial.distance import cdist

from .. import _validation as v
from ..barycenters._checks import CONSTRAINT_KEYS, Constraint, check_constraint
from ..metrics import cdist_dtw, cdist_soft_dtw, cdist_soft_dtw_normalized

METRICS = ("euclidean", "dtw", "softdtw")
# Keys of ``metric_params`` each metric takes ("n_jobs" is dropped, as in tslearn).
_KEYS = {"euclidean": (), "dtw": CONSTRAINT_KEYS, "softdtw": ("gamma", *CONSTRAINT_KEYS)}


@dataclass(frozen=True)
class Metric:
    """A validated metric: its name, soft-DTW ``gamma`` and global constraint."""

    name: str
    gamma: float = 1.0
    constraint: Constraint = field(default_factory=Constraint)

    def distances(self, X, C) -> np.ndarray:
        """``(n, k)`` distances of NaN-padded datasets ``X`` ``(n, sz, d)``, ``C``: Euclidean,
        DTW, or soft-DTW values (which may be negative)."""
        if self.name == "euclidean":
            return cdist(X.reshape(len(X), -1), C.reshape(len(C), -1), metric="euclidean")
        if self.name == "dtw":
            return cdist_dtw(X, C, **self.constraint.kwargs)
        return cdist_soft_dtw(X, C, gamma=self.gamma, **self.constraint.kwargs)

    def self_distances(self, X) -> np.ndarray:
        """``(n, n)`` matrix of a dissimilarity with a zero diagonal: Euclidean, DTW, or the
        soft-DTW divergence ``sdtw(x, y) - (sdtw(x, x) + sdtw(y, y)) / 2``."""
        if self.name == "euclidean":
            flat = X.reshape(len(X), -1)
            return cdist(flat, flat, metric="euclidean")
        if self.name == "dtw":
            return cdist_dtw(X, **self.constraint.kwargs)
        return cdist_soft_dtw_normalized(X, gamma=self.gamma, **self.constraint.kwargs)


def check_metric(metric, metric_params, func: str) -> Metric:
    """The :class:`Metric` of ``metric`` ("euclidean", "dtw", "softdtw") and its params."""
    if metric not in METRICS:
        raise ValueError(
            f"The 'metric' parameter of {func} must be one of {list(METRICS)}. Got {metric!r} "
            "instead."
        )
    params = {} if metric_params is None else metric_params
    if not isinstance(params, dict):
        raise TypeError(
            f"The 'metric_params' parameter of {func} must be None or a dict. Got "
            f"{type(metric_params).__name__} instead."
        )
    params = {k: v for k, v in params.items() if k != "n_jobs"}
    unknown = sorted(set(params) - set(_KEYS[metric]))
    if unknown:
        raise ValueError(
            f"The 'metric_params' parameter of {func} takes the keys {list(_KEYS[metric])} "
            f"with metric={metric!r}. Got the unknown key(s) {unknown} instead."
        )
    gamma = 1.0
    if "gamma" in params:
        gamma = v.gamma(params.pop("gamma"), func)
    return Metric(metric, gamma, check_constraint(params, func))

"""Barycenters of time series: Euclidean, DTW (DBA) and soft-DTW.

A barycenter (Fréchet mean) of series :math:`x_i` with weights :math:`w_i` minimises
:math:`\\sum_i w_i\\, d(b, x_i)^2` over :math:`b`.  Names, signatures and defaults follow
tslearn's ``tslearn.barycenters`` so that switching is one import; inputs may be NumPy
arrays, lists of series of different lengths, NaN-padded datasets or torch tensors (the
result then is a tensor of the same dtype and device).

Functions
---------
euclidean_barycenter                  the weighted mean (equal lengths)
dtw_barycenter_averaging              DBA, majorize-minimize iterations
dtw_barycenter_averaging_petitjean    DBA in Petitjean's form (used by k-means)
dtw_barycenter_averaging_subgradient  DBA by stochastic subgradient descent
softdtw_barycenter                    soft-DTW barycenter (SciPy or torch optimisers)
"""

from ._dba import (
    ConvergenceWarning,
    dtw_barycenter_averaging,
    dtw_barycenter_averaging_petitjean,
    dtw_barycenter_averaging_subgradient,
)
from ._euclidean import euclidean_barycenter
from ._softdtw import softdtw_barycenter

__all__ = [
    "ConvergenceWarning",
    "dtw_barycenter_averaging",
    "dtw_barycenter_averaging_petitjean",
    "dtw_barycenter_averaging_subgradient",
    "euclidean_barycenter",
    "softdtw_barycenter",
]

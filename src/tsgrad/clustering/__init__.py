"""Clustering of time series: k-means under the Euclidean distance, DTW or soft-DTW.

Names, signatures and defaults follow tslearn's ``tslearn.clustering`` (k-means and the
silhouette), so that switching is one import.  ``TimeSeriesKMeans`` is a scikit-learn
estimator (``get_params`` / ``set_params``, ``clone``, pipelines) that does not need
scikit-learn to run.

Names
-----
TimeSeriesKMeans     k-means, with DBA or soft-DTW barycenters as centers
silhouette_score     mean silhouette coefficient under these metrics
silhouette_samples   silhouette coefficient of each series
EmptyClusterError    raised when every k-means run leaves a cluster empty
"""

from ._kmeans import EmptyClusterError, TimeSeriesKMeans
from ._silhouette import silhouette_samples, silhouette_score

__all__ = [
    "EmptyClusterError",
    "TimeSeriesKMeans",
    "silhouette_samples",
    "silhouette_score",
]

"""Alignment metrics: DTW, soft-DTW, their paths/alignments and pairwise matrices.

Names, signatures and return types follow tslearn's ``tslearn.metrics`` so that switching
is one import.  Every function takes ``be=`` (a backend, "numpy" or "pytorch", or None to
infer it from the inputs) and works on NumPy arrays and torch tensors; with tensors the
results are differentiable.  All functions share one kernel layer (``tsgrad._kernels``).
"""

from ._dtw import (
    cdist_dtw,
    compute_mask,
    dtw,
    dtw_path,
    itakura_mask,
    lb_envelope,
    lb_keogh,
    sakoe_chiba_mask,
)
from ._soft_dtw import (
    cdist_soft_dtw,
    cdist_soft_dtw_normalized,
    soft_dtw,
    soft_dtw_alignment,
    soft_dtw_normalized,
)
from ._utils import to_time_series, to_time_series_dataset, ts_size

__all__ = [
    "cdist_dtw",
    "cdist_soft_dtw",
    "cdist_soft_dtw_normalized",
    "compute_mask",
    "dtw",
    "dtw_path",
    "itakura_mask",
    "lb_envelope",
    "lb_keogh",
    "sakoe_chiba_mask",
    "soft_dtw",
    "soft_dtw_alignment",
    "soft_dtw_normalized",
    "to_time_series",
    "to_time_series_dataset",
    "ts_size",
]

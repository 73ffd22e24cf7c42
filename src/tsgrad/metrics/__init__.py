"""Alignment metrics: every public name of ``tslearn.metrics``, on tsgrad's kernels.

Names, signatures and return types follow tslearn's ``tslearn.metrics`` so that switching
is one import.  Every function takes ``be=`` (a backend, "numpy" or "pytorch", a tslearn
``Backend`` object, or None to infer it from the inputs) and works on NumPy arrays and torch
tensors; with tensors the results are differentiable where the mathematics allows (each
docstring says what is).  All functions share one kernel layer (``tsgrad._kernels``).

Families
--------
DTW              dtw, dtw_path, cdist_dtw, dtw_path_from_metric, dtw_accumulated_matrix,
                 dtw_limited_warping_length, dtw_path_limited_warping_length
subsequence DTW  dtw_subsequence_path, subsequence_cost_matrix, subsequence_path
soft-DTW         soft_dtw, soft_dtw_alignment, soft_dtw_normalized, cdist_soft_dtw,
                 cdist_soft_dtw_normalized, gamma_soft_dtw, SoftDTW, SquaredEuclidean,
                 SoftDTWLossPyTorch (imports torch on first use)
GAK              gak, unnormalized_gak, cdist_gak, sigma_gak
Frechet          frechet, frechet_path, frechet_path_from_metric, frechet_accumulated_matrix,
                 cdist_frechet
LCSS             lcss, lcss_path, lcss_path_from_metric
CTW              ctw, ctw_path, cdist_ctw (CCAProjection)
k-Shape, SAX     cdist_normalized_cc, y_shifted_sbd_vec, cdist_sax
constraints      compute_mask, sakoe_chiba_mask, itakura_mask, GLOBAL_CONSTRAINT_CODE,
                 GlobalConstraintError
bounds, data     lb_keogh, lb_envelope, to_time_series, to_time_series_dataset, ts_size
names            TSLEARN_VALID_METRICS, VARIABLE_LENGTH_METRICS
"""

from typing import Any

from .._validation import GlobalConstraintError
from ._cross_correlation import cdist_normalized_cc, y_shifted_sbd_vec
from ._ctw import CCAProjection, cdist_ctw, ctw, ctw_path
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
from ._dtw_variants import (
    dtw_accumulated_matrix,
    dtw_limited_warping_length,
    dtw_path_from_metric,
    dtw_path_limited_warping_length,
)
from ._frechet import (
    cdist_frechet,
    frechet,
    frechet_accumulated_matrix,
    frechet_path,
    frechet_path_from_metric,
)
from ._gak import SigmaError, cdist_gak, gak, gamma_soft_dtw, sigma_gak, unnormalized_gak
from ._lcss import lcss, lcss_path, lcss_path_from_metric
from ._sax import cdist_sax
from ._soft_dtw import (
    cdist_soft_dtw,
    cdist_soft_dtw_normalized,
    soft_dtw,
    soft_dtw_alignment,
    soft_dtw_normalized,
)
from ._subsequence import dtw_subsequence_path, subsequence_cost_matrix, subsequence_path
from ._tslearn_compat import (
    GLOBAL_CONSTRAINT_CODE,
    TSLEARN_VALID_METRICS,
    VARIABLE_LENGTH_METRICS,
    SoftDTW,
    SquaredEuclidean,
)
from ._utils import to_time_series, to_time_series_dataset, ts_size

__all__ = [
    "GLOBAL_CONSTRAINT_CODE",
    "TSLEARN_VALID_METRICS",
    "VARIABLE_LENGTH_METRICS",
    "CCAProjection",
    "GlobalConstraintError",
    "SigmaError",
    "SoftDTW",
    "SoftDTWLossPyTorch",
    "SquaredEuclidean",
    "cdist_ctw",
    "cdist_dtw",
    "cdist_frechet",
    "cdist_gak",
    "cdist_normalized_cc",
    "cdist_sax",
    "cdist_soft_dtw",
    "cdist_soft_dtw_normalized",
    "compute_mask",
    "ctw",
    "ctw_path",
    "dtw",
    "dtw_accumulated_matrix",
    "dtw_limited_warping_length",
    "dtw_path",
    "dtw_path_from_metric",
    "dtw_path_limited_warping_length",
    "dtw_subsequence_path",
    "frechet",
    "frechet_accumulated_matrix",
    "frechet_path",
    "frechet_path_from_metric",
    "gak",
    "gamma_soft_dtw",
    "itakura_mask",
    "lb_envelope",
    "lb_keogh",
    "lcss",
    "lcss_path",
    "lcss_path_from_metric",
    "sakoe_chiba_mask",
    "sigma_gak",
    "soft_dtw",
    "soft_dtw_alignment",
    "soft_dtw_normalized",
    "subsequence_cost_matrix",
    "subsequence_path",
    "to_time_series",
    "to_time_series_dataset",
    "ts_size",
    "unnormalized_gak",
    "y_shifted_sbd_vec",
]


def __getattr__(name: str) -> Any:
    # PEP 562: SoftDTWLossPyTorch is a torch.nn.Module; torch is imported only when it is
    # asked for, so that the NumPy metrics do not import it.
    if name == "SoftDTWLossPyTorch":
        from ._soft_dtw_loss_pytorch import SoftDTWLossPyTorch

        return SoftDTWLossPyTorch
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

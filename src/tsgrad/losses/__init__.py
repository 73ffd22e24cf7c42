"""Training losses: batched soft-DTW, soft-DTW divergence, DILATE, and DTW / TDI.

All functions take batches ``x`` ``(B, n, d)`` and ``y`` ``(B, m, d)`` (``n != m`` allowed),
run one dynamic programme per batch element in a single kernel call (numba on CPU,
anti-diagonal torch kernels on other devices), and have exact backwards (expected
alignment; Hessian-vector product for the DILATE temporal term).

Plain soft-DTW can be negative and ``soft_dtw_loss(x, x) != 0``; the soft-DTW
divergence is ``>= 0`` and zero iff ``x == y``.

Functions / modules
-------------------
soft_dtw_loss, SoftDTWLoss
soft_dtw_divergence, SoftDTWDivergence
dilate_loss, DILATELoss   -> (loss, shape_term, temporal_term)
dtw_batch                 DTW distances (sqrt of the accumulated squared cost), batched
tdi                       Temporal Distortion Index, batched
"""

from ._dilate import DILATELoss, dilate_loss
from ._evaluation import dtw_batch, tdi
from ._soft_dtw import SoftDTWDivergence, SoftDTWLoss, soft_dtw_divergence, soft_dtw_loss

__all__ = [
    "DILATELoss",
    "SoftDTWDivergence",
    "SoftDTWLoss",
    "dilate_loss",
    "dtw_batch",
    "soft_dtw_divergence",
    "soft_dtw_loss",
    "tdi",
]

"""Private kernel layer: the alignment dynamic programmes and the router that runs them.

The metrics and the losses call the four operations of :mod:`._router` (``values``,
``value_and_grad``, ``alignment``, ``temporal_distortion``) on a cost
(``SqEuclidean``, ``CostMatrix``, ``SqEuclideanPairs``) and :class:`Bands`; the router
picks the engine and its route.  Engine files are named by engine and algorithm:

``_router``                 engine and route choice (one table of thresholds), the 4 ops.
``_warm``                   a new installation compiles its numba kernels in the background.
``_numba_engine``           the numba engine's calls (NumPy in / out).
``_numba_dtw``              numba: hard DTW (matrix rows; series along anti-diagonals: values,
                            and optimal paths with one byte per cell).
``_numba_softdtw``          numba: soft-DTW, log domain, anti-diagonals (forward, expected
                            alignment, Hessian-vector product, DILATE).
``_numba_softdtw_scaled``   numba: soft-DTW in the scaled probability domain (one exp per cell).
``_numba_softdtw_lanes``    numba: soft-DTW / DILATE of short series, vectorised across problems.
``_numba_bands``            numba: global constraints as row bands.
``_numba_accumulate``       numba: accumulated matrices of DTW, Frechet and subsequence DTW
                            on one cost matrix, their paths and backward (tslearn's API).
``_numba_frechet``          numba: discrete Frechet values along anti-diagonals.
``_numba_gak``              numba: the global alignment kernel (scaled, log-domain fallback).
``_numba_lcss``             numba: LCSS lengths and tables.
``_numba_ldtw``             numba: DTW over paths of limited length.
``_numba_sax``              numba: MINDIST between SAX words.
``_numba_threads``          thread count of the parallel kernels, by the size of the work.
``_diag_layout``            the anti-diagonal table layout the numba soft-DTW kernels share.
``_fastmath``               branch-free exp / log / soft minimum that LLVM vectorises.
``_jit_cache``              drops numba's cached kernels when their sources change together.
``_bands``                  lengths + global constraints of a batch (:class:`Bands`).
``_torch_autograd``         torch autograd Functions over any engine; imports torch.
``_torch_accumulate``       the autograd Function of the accumulated matrices; imports torch.
``_wavefront``              anti-diagonal engine in array code: torch (any device) or NumPy.
``_triton_engine``          Triton engine (CUDA tensors; CPU ones under TRITON_INTERPRET=1).
``_triton_kernels``         its Triton kernels; both import torch and triton on first use only.

This package imports no torch at import time.
"""

from ._jit_cache import refresh as _refresh_jit_cache

_refresh_jit_cache()  # before any kernel module is imported (see _jit_cache)

from ._bands import CONSTRAINT_CODES, Bands, full_bands, make_bands  # noqa: E402
from ._router import (  # noqa: E402
    ENGINES,
    THRESHOLDS,
    CostMatrix,
    SqEuclidean,
    SqEuclideanPairs,
    alignment,
    cost_matrix,
    current_engine,
    dtw_paths,
    engine_for_run,
    temporal_distortion,
    use_engine,
    value_and_grad,
    values,
)

__all__ = [
    "CONSTRAINT_CODES",
    "ENGINES",
    "THRESHOLDS",
    "Bands",
    "CostMatrix",
    "SqEuclidean",
    "SqEuclideanPairs",
    "alignment",
    "cost_matrix",
    "current_engine",
    "dtw_paths",
    "engine_for_run",
    "full_bands",
    "make_bands",
    "temporal_distortion",
    "use_engine",
    "value_and_grad",
    "values",
]

"""Private kernel layer: alignment dynamic programmes over cost matrices.

``_numba_dp``        numba: bands, hard DTW (CPU, parallel over the batch), NumPy in / out.
``_numba_diag``      numba: soft-DTW on the anti-diagonal layout, vectorised (CPU), and the
                     fused squared-Euclidean soft-DTW / DILATE entry points.
``_numba_scaled``    numba: the same soft-DTW in the scaled probability domain (one exp per
                     cell), tried first by the squared-Euclidean entry points.
``_diag_layout``     the anti-diagonal table layout both share.
``_numba_lanes``     numba: the same for batches of short series, vectorised across problems.
``_numba_dtw_paths``  numba: hard-DTW optimal paths of series pairs, squared Euclidean cost
                     built inside (DTW barycenter averaging).
``_fastmath``        branch-free exp / log / soft minimum that LLVM vectorises.
``_jit_cache``       drops numba's cached kernels when their sources change together.
``_bands``           lengths + global constraints -> admissible row bands.
``_autograd``        torch autograd Functions (numba on CPU, wavefront elsewhere); imports torch.
``_torch_wavefront`` pure-torch anti-diagonal kernels for non-CPU devices; imports torch.

This package imports no torch at import time.
"""

from ._jit_cache import refresh as _refresh_jit_cache

_refresh_jit_cache()  # before any kernel module is imported (see _jit_cache)

from ._bands import CONSTRAINT_CODES, Bands, full_bands, make_bands  # noqa: E402

__all__ = ["CONSTRAINT_CODES", "Bands", "full_bands", "make_bands"]

"""Thread counts of torch and numba for the duration of a run, restored afterwards."""

from __future__ import annotations

from contextlib import contextmanager

import torch

# torch and numba threads used by fit and evaluate.  Measured with
# ``python benchmarks/bench_training.py --threads`` on the 2-core development machine (see
# the docstring of fit): 2 threads made an epoch 7-19% faster on an idle machine and 4-8x
# slower as soon as another process competed for the cores, so 1 is the default.
DEFAULT_NUM_THREADS = 1


@contextmanager
def thread_count(n: int | None):
    """Use ``n`` torch intra-op threads and ``n`` numba threads inside the block.

    Both pools matter: the models run in torch, the DTW losses and metrics in numba
    kernels.  ``None`` leaves both settings alone.  numba's setting is per calling thread
    and capped by the pool it started with.
    """
    if n is None:
        yield
        return
    import numba

    previous = torch.get_num_threads(), numba.get_num_threads()
    # numba first: with its OpenMP threading layer, numba.set_num_threads can reset the
    # OpenMP count that torch reads, so torch's setting must come last.
    numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
    torch.set_num_threads(n)
    try:
        yield
    finally:
        numba.set_num_threads(previous[1])
        torch.set_num_threads(previous[0])

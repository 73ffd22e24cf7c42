"""Thread count of the parallel numba kernels, by the size of the work.

A parallel region costs a thread-pool wake-up per call.  With one problem, or little
work, that costs more than it gains, and when another process holds a core the waiting
worker makes the call several times slower (measured on 2 cores under load: the bands of
one 1000 x 1000 pair took 1.3 ms on 2 threads and 0.01 ms on 1; its DTW 12.5 ms vs
6.4 ms).  :func:`sized` runs a kernel on ``min(threads, problems)`` threads, and on one
thread below ``MIN_PARALLEL_CELLS`` cells in all.
"""

from __future__ import annotations

import functools
import sys

import numba

MIN_PARALLEL_CELLS = 1 << 15


def sized(kernel, work):
    """``kernel`` run on as many threads as ``work(*args) -> (problems, cells)`` deserves."""

    @functools.wraps(kernel)
    def call(*args):
        problems, cells = work(*args)
        current = numba.get_num_threads()
        wanted = 1 if cells < MIN_PARALLEL_CELLS else max(1, min(current, problems))
        if wanted >= current:
            return kernel(*args)
        # With numba's OpenMP threading layer, set_num_threads also sets the OpenMP thread
        # count torch reads (one libgomp): keep torch's setting as the caller left it.
        torch = sys.modules.get("torch")
        torch_threads = torch.get_num_threads() if torch is not None else None
        numba.set_num_threads(wanted)
        try:
            return kernel(*args)
        finally:
            numba.set_num_threads(current)
            if torch_threads is not None and torch.get_num_threads() != torch_threads:
                torch.set_num_threads(torch_threads)

    call.kernel = kernel
    return call


# Work of the kernels' argument lists: (problems, cells).
def batch_work(D, *args):  # D: (B, n, m)
    return D.shape[0], D.size


def table_work(R, *args):  # R: (B, n + 1, m + 1)
    return R.shape[0], R.size


def flat_work(T, *args):  # T: (B, L) or (B, 3, L)
    return T.shape[0], T.shape[0] * T.shape[-1]


def series_work(X, Y, *args):  # X: (B, n, d), Y: (B, m, d)
    return X.shape[0], X.shape[0] * X.shape[1] * Y.shape[1]


def pairs_work(X, Y, lx, ly, ii, *args):  # the pairs (X[ii[p]], Y[jj[p]])
    return ii.shape[0], ii.shape[0] * X.shape[1] * Y.shape[1]

"""First calls in seconds: the numba kernels are compiled in the background, once.

numba compiles a kernel at its first call and caches the machine code on disk
(``cache=True``).  Compiling tsgrad's kernels takes minutes of CPU time in all (tens of
seconds for the first ``dtw`` or ``soft_dtw`` alone); later processes load them from the
cache in a fraction of a second.  So that a new installation's first calls do not wait:

* :func:`ready` tells whether this installation's cache holds the kernels: a stamp file,
  written next to numba's cache of the kernels by the warm-up once it compiled them all,
  names the kernels' sources, numba, Python and the CPU;
* until it does, the router (:mod:`._router`, engine ``"auto"``) runs NumPy arrays and CPU
  tensors on the wavefront engine (:mod:`._wavefront`, array code: correct, slower per
  cell, no compilation) and :func:`start` launches the warm-up, once: a detached,
  low-priority process (``python -m tsgrad._kernels``) that compiles every kernel
  route on tiny problems and writes the stamp;
* problems too large for the wavefront engine's full tables, and an explicit
  ``use_engine("numba")``, compile in the calling process as numba always did.

``TSGRAD_WARMUP=0`` in the environment disables the background process (the first calls
then use the wavefront engine until the cache is filled some other way, e.g. by
``python -m tsgrad._kernels``).
"""

from __future__ import annotations

import hashlib
import os
import platform
import subprocess
import sys
import time

_RECHECK_S = 1.0  # how often a process that found no stamp looks again
_STALE_LOCK_S = 30 * 60  # a warm-up still running after this is assumed dead

_ready = False
_checked_at = -1e9
_started = False


def _cache_dir() -> str:
    """Where numba keeps the kernels' cache (next to the sources, or its user-wide
    directory when they are read-only, or ``NUMBA_CACHE_DIR``)."""
    from . import _numba_softdtw

    return _numba_softdtw.softdtw_values.kernel._cache.cache_path


def _key() -> str:
    """What a cache built here depends on: the kernels' sources, numba, Python, the CPU."""
    import llvmlite.binding as llvm
    import numba

    from ._jit_cache import sources_digest

    parts = (
        sources_digest() or "",
        numba.__version__,
        platform.python_version(),
        llvm.get_host_cpu_name(),
        llvm.get_host_cpu_features().flatten(),
    )
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:24]


def _stamp() -> str:
    return os.path.join(_cache_dir(), f"tsgrad-warm-{_key()}")


def ready() -> bool:
    """Whether the numba kernels are compiled and cached for this installation."""
    global _ready, _checked_at
    if _ready:
        return True
    now = time.monotonic()
    if now - _checked_at < _RECHECK_S:
        return False
    _checked_at = now
    try:
        _ready = os.path.exists(_stamp())
    except OSError:
        _ready = False
    return _ready


def start() -> bool:
    """Launch the warm-up process unless one runs or ran; returns True when launched.

    Never raises: the worst case is that the kernels compile at their first use.
    """
    global _started
    if _started or os.environ.get("TSGRAD_WARMUP", "1") == "0":
        return False
    _started = True
    try:
        lock = _stamp() + ".lock"
        try:
            if time.time() - os.path.getmtime(lock) < _STALE_LOCK_S:
                return False  # another process is warming up
            os.remove(lock)
        except FileNotFoundError:
            pass
        fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        subprocess.Popen(
            [sys.executable, "-m", "tsgrad._kernels", lock],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # outlives the caller, which does not wait for it
        )
        return True
    except OSError:
        return False


def _workloads() -> None:
    """Every kernel route, on tiny problems: the argument types the library passes."""
    import dataclasses

    import numpy as np

    from .. import metrics
    from . import _router

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(7, 1)), rng.normal(size=(6, 1))
    X = rng.normal(size=(3, 7, 2))
    for kwargs in ({}, {"sakoe_chiba_radius": 2}, {"itakura_max_slope": 2.0}):
        metrics.dtw(x, y, **kwargs)
        metrics.dtw_path(x, y, **kwargs)
        metrics.soft_dtw(x, y, **kwargs)
        metrics.soft_dtw_alignment(x, y, **kwargs)
        metrics.cdist_dtw(X, **kwargs)
        metrics.cdist_soft_dtw(X, **kwargs)
    metrics.soft_dtw(x, y, gamma=1e-3)  # log domain after the scaled one gives up
    for kwargs in ({}, {"sakoe_chiba_radius": 2}):  # the rest of tslearn's metrics
        metrics.frechet_path(x, y, **kwargs)
        metrics.cdist_frechet(X, **kwargs)
        metrics.lcss_path(x, y, **kwargs)
    metrics.cdist_gak(X)
    metrics.dtw_accumulated_matrix(x, y, metrics.compute_mask(x, y))
    metrics.dtw_subsequence_path(x[:3], y)
    metrics.dtw_path_limited_warping_length(x, y, 10)
    metrics.ctw_path(X[0], X[1])
    from .. import barycenters

    barycenters.dtw_barycenter_averaging(X, max_iter=2)
    barycenters.softdtw_barycenter(X, max_iter=2)
    try:
        import torch
    except ImportError:
        return
    from .. import losses

    def torch_routes():
        for dtype in (torch.float64, torch.float32):
            for B, n in ((2, 9), (17, 5)):  # anti-diagonals, and lanes (short series)
                a = torch.randn(B, n, 2, dtype=dtype, requires_grad=True)
                b = torch.randn(B, n + 1, 2, dtype=dtype)
                with torch.no_grad():
                    losses.soft_dtw_loss(a, b)
                    losses.dilate_loss(a, b)
                terms = [
                    losses.soft_dtw_loss(a, b, normalize=True),
                    losses.soft_dtw_loss(a, b, cost=lambda u, v: torch.cdist(u, v) ** 2),
                    losses.dilate_loss(a, b, sakoe_chiba_radius=2)[0],
                    losses.dtw_batch(a, b).sum(),
                ]
                sum(terms).backward()
                losses.tdi(a, b)
                t = a[0].detach().double().requires_grad_(True)
                A, v = metrics.soft_dtw_alignment(t, b[0].double(), gamma=0.5)
                (v + A.sum()).backward()

    torch_routes()
    # The routes above these thresholds' sizes (recomputed weights).
    none = dataclasses.replace(
        _router.THRESHOLDS, series_weights_max_cells=0, matrix_weights_max_cells=0
    )
    saved, _router.THRESHOLDS = _router.THRESHOLDS, none
    try:
        torch_routes()
    finally:
        _router.THRESHOLDS = saved


def main(argv: list[str] | None = None) -> int:
    """Compile every kernel route into numba's cache, then write the stamp."""
    argv = sys.argv[1:] if argv is None else argv
    lock = argv[0] if argv else None
    try:
        os.nice(10)
    except (AttributeError, OSError):
        pass
    from ._router import use_engine

    try:
        with use_engine("numba"):
            _workloads()
        stamp = _stamp()
        with open(stamp + f".{os.getpid()}", "w") as f:
            f.write(time.strftime("%Y-%m-%d %H:%M:%S\n"))
        os.replace(stamp + f".{os.getpid()}", stamp)
        return 0
    finally:
        if lock is not None:
            try:
                os.remove(lock)
            except OSError:
                pass


if __name__ == "__main__":
    sys.exit(main())

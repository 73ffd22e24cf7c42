"""First-call and start-up times of tsgrad against tslearn, each in a new process.

Usage::

    python benchmarks/bench_startup.py [--repeats 3] [--no-tslearn] [--no-warmup]

Every measurement runs a new Python process (wall time of the whole process, imports
included) with ``NUMBA_CACHE_DIR`` pointed at a directory of its own:

* **fresh**: an empty cache, as right after ``pip install`` (tsgrad answers on the
  wavefront engine and launches the background compilation of its kernels);
* **compile here**: an empty cache with ``TSGRAD_ENGINE=numba``, tsgrad's behaviour
  before the background compilation existed (every kernel compiled at its first call);
* **later**: the cache the background compilation filled (measured once it ended);
* the baselines ``import numpy, numba`` and ``import torch``, and tslearn's first call
  (``dtw`` + ``soft_dtw``) with an empty cache and with its cache filled.

It also reports how long the background compilation took (wall time, from the first call
to its stamp), which competes with the user's work for the cores meanwhile.
"""

from __future__ import annotations

import argparse
import glob
import os
import statistics
import subprocess
import sys
import tempfile
import time

from _timing import table

METRICS = """
import tsgrad.metrics as m
m.dtw([1, 2, 3], [3, 4, -3])
m.soft_dtw([1, 2, 3], [3, 4, -3])
"""
LOSSES = """
import torch
from tsgrad.losses import dilate_loss, soft_dtw_loss
torch.set_num_threads(1)
x = torch.randn(8, 20, 1, requires_grad=True)
y = torch.randn(8, 20, 1)
soft_dtw_loss(x, y).backward()
dilate_loss(x, y)[0].backward()
"""
TSLEARN = """
from tslearn.metrics import dtw, soft_dtw
dtw([1, 2, 3], [3, 4, -3])
soft_dtw([1, 2, 3], [3, 4, -3])
"""
NUMPY_NUMBA = "import numpy, numba"
TORCH = "import torch"


def run(code: str, cache: str, **env) -> float:
    """Wall seconds of a new process running ``code`` with numba's cache in ``cache``."""
    full = {**os.environ, "NUMBA_CACHE_DIR": cache}
    full.pop("TSGRAD_ENGINE", None)  # the default ("auto") unless a row sets it
    full.update(env)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=full, check=True)
    return time.perf_counter() - t0


def wait_for_stamp(cache: str, started: float, timeout: float = 1800.0) -> float:
    """Seconds from ``started`` until the background compilation wrote its stamp."""
    while time.perf_counter() - started < timeout:
        names = [os.path.basename(p) for p in glob.glob(os.path.join(cache, "*", "tsgrad-warm-*"))]
        if any("." not in name for name in names):  # the stamp, not the lock
            return time.perf_counter() - started
        time.sleep(1.0)
    raise TimeoutError(f"no warm-up stamp in {cache} after {timeout} s")


def median_of(repeats: int, fn) -> float:
    return statistics.median(fn() for _ in range(repeats))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-tslearn", action="store_true")
    parser.add_argument(
        "--no-warmup",
        action="store_true",
        help="skip the background compilation's duration and the 'later' rows",
    )
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as root:

        def fresh(code, **env):
            return run(code, tempfile.mkdtemp(dir=root), TSGRAD_WARMUP="0", **env)

        base_np = median_of(args.repeats, lambda: run(NUMPY_NUMBA, root))
        base_torch = median_of(args.repeats, lambda: run(TORCH, root))
        rows.append(("import numpy, numba", "-", f"{base_np:.2f}", "-"))
        rows.append(("import torch", "-", f"{base_torch:.2f}", "-"))
        for name, code, base in (
            ("dtw + soft_dtw (metrics)", METRICS, base_np),
            ("soft_dtw_loss + dilate_loss backward", LOSSES, base_torch),
        ):
            t = median_of(args.repeats, lambda code=code: fresh(code))
            rows.append((f"tsgrad {name}", "fresh", f"{t:.2f}", f"{t - base:+.2f}"))
            t = fresh(code, TSGRAD_ENGINE="numba")
            rows.append((f"tsgrad {name}", "compile here", f"{t:.2f}", f"{t - base:+.2f}"))
        if not args.no_warmup:
            cache = tempfile.mkdtemp(dir=root)
            started = time.perf_counter()
            run(METRICS, cache, TSGRAD_WARMUP="1")  # launches the background compilation
            warm_s = wait_for_stamp(cache, started)
            rows.append(("background compilation (all kernels)", "fresh", f"{warm_s:.0f}", "-"))
            for name, code, base in (
                ("dtw + soft_dtw (metrics)", METRICS, base_np),
                ("soft_dtw_loss + dilate_loss backward", LOSSES, base_torch),
            ):
                t = median_of(args.repeats, lambda code=code: run(code, cache))
                rows.append((f"tsgrad {name}", "later", f"{t:.2f}", f"{t - base:+.2f}"))
        if not args.no_tslearn:
            try:
                import tslearn  # noqa: F401
            except ImportError:
                rows.append(("tslearn dtw + soft_dtw", "-", "not installed", "-"))
            else:
                cache = tempfile.mkdtemp(dir=root)
                t = run(TSLEARN, cache)
                rows.append(("tslearn dtw + soft_dtw", "fresh", f"{t:.2f}", f"{t - base_np:+.2f}"))
                t = median_of(args.repeats, lambda: run(TSLEARN, cache))
                rows.append(("tslearn dtw + soft_dtw", "later", f"{t:.2f}", f"{t - base_np:+.2f}"))
    print(table(rows, ("process", "numba cache", "wall s", "over its import baseline")))
    print(
        "\n'fresh': empty cache, as after pip install; 'compile here': the same with "
        "TSGRAD_ENGINE=numba (every kernel compiled in the process); 'later': the cache the "
        "background compilation filled.  Wall time of the whole new process."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Shared timing helpers for the benchmark scripts (interleaved repetitions, medians)."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable

# The benchmarks time tsgrad's kernels: the numba engine on CPU, compiled at its first call
# (the "JIT" columns), not the wavefront engine that a new installation's first calls use
# while the kernels compile in the background (bench_startup.py measures that, per process).
os.environ.setdefault("TSGRAD_ENGINE", "numba")


def warm(fn: Callable[[], object]) -> float:
    """Run ``fn`` once (JIT compilation, caches) and return how long it took, in seconds."""
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def interleaved(fns: dict[str, Callable[[], object]], repeats: int = 7, inner: int = 1):
    """Median seconds per call of each function, alternating between them every repeat.

    Interleaving spreads machine noise (other processes on the 2 cores) evenly over the
    contenders; ``inner`` calls are timed together and divided for fast functions.
    """
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            for _ in range(inner):
                fn()
            samples[name].append((time.perf_counter() - t0) / inner)
    return {name: statistics.median(v) for name, v in samples.items()}


def table(rows: list[tuple], headers: tuple[str, ...]) -> str:
    """A plain-text table (Markdown pipe syntax, so it pastes into the docs)."""
    cells = [tuple(str(c) for c in r) for r in rows]
    widths = [max(len(h), *(len(r[k]) for r in cells)) for k, h in enumerate(headers)]
    fmt = "| " + " | ".join(f"{{:<{w}}}" for w in widths) + " |"
    lines = [fmt.format(*headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += [fmt.format(*r) for r in cells]
    return "\n".join(lines)

"""Benchmark tsgrad.barycenters and tsgrad.clustering against tslearn in one run.

Usage::

    python benchmarks/bench_clustering.py [--repeats 3] [--threads N] [--quick]

Prints a table of median times (JIT warm-up excluded, reported separately) and the ratio
ours / tslearn (lower is better), with the target of each row; the k-means rows also print
both inertias and whether the two partitions are equal up to a permutation of the labels.
tslearn runs on one core; the numba kernels use ``--threads`` (default: every core), torch
one thread.  ``--quick`` clusters 100 ECG5000 series with soft-DTW instead of 500 (tslearn
takes minutes on the full set).
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path

import numba
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
import tsgrad.barycenters as B  # noqa: E402
import tsgrad.clustering as C  # noqa: E402
from _timing import interleaved, table, warm  # noqa: E402

ECG5000 = Path("/work/shared/data/ECG5000/ECG5000_TRAIN.txt")


def same_partition(a, b) -> bool:
    pairs = set(zip(a.tolist(), b.tolist(), strict=True))
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="repeats of the barycenter rows")
    parser.add_argument("--threads", type=int, default=numba.config.NUMBA_NUM_THREADS)
    parser.add_argument("--quick", action="store_true", help="soft-DTW k-means on 100 series")
    parser.add_argument("--data", type=Path, default=ECG5000, help="ECG5000_TRAIN.txt")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    numba.set_num_threads(args.threads)
    warnings.filterwarnings("ignore")  # tslearn's h5py notice

    from tslearn import barycenters as tsb
    from tslearn import clustering as tsc

    rng = np.random.default_rng(0)
    rows, notes = [], []

    def bench(name, ours, peer, target, repeats):
        jit = warm(ours)
        warm(peer)
        t = interleaved({"ours": ours, "peer": peer}, repeats=repeats)
        rows.append(
            (
                name,
                f"{t['ours'] * 1e3:.1f}",
                f"{t['peer'] * 1e3:.1f}",
                f"{t['ours'] / t['peer']:.3f}x",
                target,
                f"{jit:.2f}",
            )
        )

    # 1. soft-DTW barycenter of 100 random walks of length 100 (L-BFGS-B, 50 iterations)
    X = rng.normal(size=(100, 100, 1)).cumsum(axis=1)
    np.testing.assert_allclose(B.softdtw_barycenter(X), tsb.softdtw_barycenter(X), atol=1e-6)
    bench(
        "softdtw_barycenter, 100 x 100",
        lambda: B.softdtw_barycenter(X),
        lambda: tsb.softdtw_barycenter(X),
        "<= 0.1x",
        args.repeats,
    )

    # 2. DBA of the same series (30 iterations at most)
    np.testing.assert_allclose(
        B.dtw_barycenter_averaging(X), tsb.dtw_barycenter_averaging(X), atol=1e-10
    )
    bench(
        "dtw_barycenter_averaging, 100 x 100",
        lambda: B.dtw_barycenter_averaging(X),
        lambda: tsb.dtw_barycenter_averaging(X),
        "-",
        args.repeats,
    )

    # 3. k-means on ECG5000 (k = 5, random_state=0, k-means++): one fit of each per metric
    ecg = np.loadtxt(args.data)[:, 1:, None]
    tiny = ecg[:12]
    for metric, n, target in [
        ("euclidean", 500, "-"),
        ("dtw", 500, "<= 0.2x"),
        ("softdtw", 100 if args.quick else 500, "<= 0.2x"),
    ]:
        # tslearn 0.10 runs 30 DBA iterations whatever max_iter_barycenter is: the same here
        kw = {"n_clusters": 5, "metric": metric, "random_state": 0}
        ours_kw = {**kw, "max_iter_barycenter": 30} if metric == "dtw" else kw
        fitted = {}

        def ours(data=ecg[:n], kw=ours_kw, fitted=fitted):
            fitted["ours"] = C.TimeSeriesKMeans(**kw).fit(data)

        def peer(data=ecg[:n], kw=kw, fitted=fitted):
            fitted["peer"] = tsc.TimeSeriesKMeans(**kw).fit(data)

        # JIT warm-up on a few series, then one timed fit of each on the subset
        jit = warm(lambda kw=ours_kw: C.TimeSeriesKMeans(**{**kw, "max_iter": 1}).fit(tiny))
        warm(lambda kw=kw: tsc.TimeSeriesKMeans(**{**kw, "max_iter": 1}).fit(tiny))
        t = interleaved({"ours": ours, "peer": peer}, repeats=1)
        g, p = fitted["ours"], fitted["peer"]
        rows.append(
            (
                f"TimeSeriesKMeans({metric!r}), ECG5000 {n} x 140",
                f"{t['ours'] * 1e3:.0f}",
                f"{t['peer'] * 1e3:.0f}",
                f"{t['ours'] / t['peer']:.3f}x",
                target,
                f"{jit:.2f}",
            )
        )
        notes.append(
            f"{metric}, {n} series: inertia ours {g.inertia_:.6g} / tslearn {p.inertia_:.6g} "
            f"({100 * (g.inertia_ / p.inertia_ - 1):+.3f} %), iterations {g.n_iter_} / "
            f"{p.n_iter_}, same partition: {same_partition(g.labels_, p.labels_)}"
        )

    print(f"numba threads: {numba.get_num_threads()}, torch threads: 1, tslearn: 1 core")
    headers = ("case", "ours ms", "tslearn ms", "ours/tslearn", "target", "ours JIT s")
    print(table(rows, headers))
    print()
    for line in notes:
        print(line)


if __name__ == "__main__":
    main()

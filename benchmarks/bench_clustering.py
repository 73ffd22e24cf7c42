"""Benchmark tsgrad.barycenters and tsgrad.clustering against tslearn in one run.

Usage::

    python benchmarks/bench_clustering.py [--repeats 3] [--threads N] [--quick]

Prints a table of median times (JIT warm-up excluded, reported separately) and the ratios
ours / tslearn (lower is better), with the target of each row; the k-means rows also print
both inertias and whether the two partitions are equal up to a permutation of the labels.
tslearn runs on one core.  Ours runs twice, interleaved with tslearn in the same run: with
the numba kernels on every core (``--threads``, default all) and on one core, because on a
loaded machine a parallel region can wait tens of milliseconds for a descheduled worker.
torch uses one thread.  ``--quick`` clusters 100 ECG5000 series with soft-DTW instead of
500 (tslearn takes minutes on the full set).

OpenBLAS runs on one thread here (set before NumPy loads): SciPy's L-BFGS-B, which both
soft-DTW barycenters use, makes tiny BLAS calls that took ~400x longer with 2 OpenBLAS
threads than with 1 on a loaded 2-core machine (0.42 s against 1 ms for 22 iterations in
100 dimensions), a cost that would hide the soft-DTW work on both sides.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numba  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
import tsgrad.barycenters as B  # noqa: E402
import tsgrad.clustering as C  # noqa: E402
from _timing import interleaved, table, warm  # noqa: E402
from tsgrad.data import ecg5000_path  # noqa: E402


def same_partition(a, b) -> bool:
    pairs = set(zip(a.tolist(), b.tolist(), strict=True))
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="repeats of the barycenter rows")
    parser.add_argument("--threads", type=int, default=numba.config.NUMBA_NUM_THREADS)
    parser.add_argument("--quick", action="store_true", help="soft-DTW k-means on 100 series")
    parser.add_argument(
        "--data", type=Path, default=None, help="ECG5000_TRAIN.txt (default: tsgrad's copy)"
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    numba.set_num_threads(args.threads)
    warnings.filterwarnings("ignore")  # tslearn's h5py notice

    from tslearn import barycenters as tsb
    from tslearn import clustering as tsc

    rng = np.random.default_rng(0)
    rows, notes = [], []
    threads = numba.get_num_threads()

    def on_one_core(fn):
        def run():
            numba.set_num_threads(1)
            try:
                return fn()
            finally:
                numba.set_num_threads(threads)

        return run

    def timed(name, ours, peer, target, repeats, warmups=None, unit=1e3, fmt=".1f"):
        """One row: ours on every core and on one, interleaved with the peer."""
        ours_warm, peer_warm = warmups or (ours, peer)
        jit = warm(ours_warm)
        warm(on_one_core(ours_warm))
        warm(peer_warm)
        fns = {"ours": ours, "ours1": on_one_core(ours), "peer": peer}
        t = interleaved(fns, repeats=repeats)
        rows.append(
            (
                name,
                f"{t['ours'] * unit:{fmt}}",
                f"{t['ours1'] * unit:{fmt}}",
                f"{t['peer'] * unit:{fmt}}",
                f"{t['ours'] / t['peer']:.3f}x",
                f"{t['ours1'] / t['peer']:.3f}x",
                target,
                f"{jit:.2f}",
            )
        )

    # 1. soft-DTW barycenter of 100 series of length 100 (L-BFGS-B, 50 iterations): random
    # walks z-normalised as clustering pipelines do, and raw (costs >> gamma)
    walks = rng.normal(size=(100, 100, 1)).cumsum(axis=1)
    znorm = (walks - walks.mean(axis=1, keepdims=True)) / walks.std(axis=1, keepdims=True)
    for label, X in [("z-normalised", znorm), ("raw random walks", walks)]:
        np.testing.assert_allclose(
            B.softdtw_barycenter(X), tsb.softdtw_barycenter(X), atol=1e-6, rtol=1e-9
        )
        timed(
            f"softdtw_barycenter, 100 x 100, {label}",
            lambda X=X: B.softdtw_barycenter(X),
            lambda X=X: tsb.softdtw_barycenter(X),
            "<= 0.1x",
            args.repeats,
        )

    # 2. DBA of the same series (30 iterations at most)
    for label, X in [("z-normalised", znorm), ("raw random walks", walks)]:
        np.testing.assert_allclose(
            B.dtw_barycenter_averaging(X), tsb.dtw_barycenter_averaging(X), atol=1e-10
        )
        timed(
            f"dtw_barycenter_averaging, 100 x 100, {label}",
            lambda X=X: B.dtw_barycenter_averaging(X),
            lambda X=X: tsb.dtw_barycenter_averaging(X),
            "-",
            args.repeats,
        )

    # 3. k-means on ECG5000 (k = 5, random_state=0, k-means++): one fit of each per metric
    ecg = np.loadtxt(args.data or ecg5000_path())[:, 1:, None]
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

        warmups = (  # JIT warm-up on a few series
            lambda kw=ours_kw: C.TimeSeriesKMeans(**{**kw, "max_iter": 1}).fit(tiny),
            lambda kw=kw: tsc.TimeSeriesKMeans(**{**kw, "max_iter": 1}).fit(tiny),
        )
        timed(
            f"TimeSeriesKMeans({metric!r}), ECG5000 {n} x 140",
            ours,
            peer,
            target,
            1,
            warmups,
            unit=1.0,
            fmt=".2f",
        )
        g, p = fitted["ours"], fitted["peer"]
        notes.append(
            f"{metric}, {n} series: inertia ours {g.inertia_:.6g} / tslearn {p.inertia_:.6g} "
            f"({100 * (g.inertia_ / p.inertia_ - 1):+.3f} %), iterations {g.n_iter_} / "
            f"{p.n_iter_}, same partition: {same_partition(g.labels_, p.labels_)}"
        )

    print(
        f"numba threads: {threads} ('ours') and 1 ('ours 1 core'), torch threads: 1, "
        "tslearn: 1 core, OpenBLAS threads: " + os.environ["OPENBLAS_NUM_THREADS"]
    )
    print("barycenter rows in ms (median of --repeats), k-means rows in s (one fit each)")
    headers = (
        "case",
        "ours",
        "ours 1 core",
        "tslearn",
        "ours/tslearn",
        "ours 1 core/tslearn",
        "target",
        "ours JIT s",
    )
    print(table(rows, headers))
    print()
    for line in notes:
        print(line)


if __name__ == "__main__":
    main()

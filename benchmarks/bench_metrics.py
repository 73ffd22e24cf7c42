"""Benchmark tsgrad.metrics against its peers (tslearn, dtaidistance) in one run.

Usage::

    python benchmarks/bench_metrics.py [--repeats 7]

Prints a table of median times (JIT warm-up excluded, reported separately) and the ratio
ours / peer (lower is better), with the target of each row.  torch runs on one thread;
the numba kernels use every core (``cdist_dtw`` is parallel over pairs).
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
import tsgrad.metrics as M  # noqa: E402
from _timing import interleaved, table, warm  # noqa: E402


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument(
        "--section",
        choices=("all", "dtw", "tslearn-api"),
        default="all",
        help="dtw: the DTW / soft-DTW rows; tslearn-api: a row per function of the rest of "
        "tslearn.metrics (target <= 0.5x tslearn)",
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(1)

    from dtaidistance import dtw as dtai
    from tslearn import metrics as tsl

    rng = np.random.default_rng(0)
    rows = []

    def bench(name, ours, peer, peer_name, target, inner=1):
        jit = warm(ours)
        warm(peer)
        t = interleaved({"ours": ours, "peer": peer}, repeats=args.repeats, inner=inner)
        ratio = t["ours"] / t["peer"]
        rows.append(
            (
                name,
                f"{t['ours'] * 1e3:.3f}",
                f"{t['peer'] * 1e3:.3f}",
                peer_name,
                f"{ratio:.3f}x",
                target,
                f"{jit:.2f}",
            )
        )

    if args.section in ("all", "tslearn-api"):
        _tslearn_api_rows(bench, tsl, rng)
    if args.section == "tslearn-api":
        headers = ("case", "ours ms", "peer ms", "peer", "ours/peer", "target", "ours JIT s")
        print(table(rows, headers))
        return

    # 1. dtw, two series of length 1000
    a, b = rng.normal(size=1000), rng.normal(size=1000)
    assert abs(M.dtw(a, b) - dtai.distance_fast(a, b, use_pruning=False)) < 1e-8
    bench(
        "dtw, n=m=1000",
        lambda: M.dtw(a, b),
        lambda: dtai.distance_fast(a, b),
        "dtaidistance distance_fast",
        "<= 1.0x",
        inner=5,
    )
    # the same with a Sakoe-Chiba band of radius 10: dtaidistance's window=11 is the same band
    # (|i - j| <= 10); both visit only the band's cells
    band = M.dtw(a, b, sakoe_chiba_radius=10)
    assert abs(band - dtai.distance_fast(a, b, window=11, use_pruning=False)) < 1e-8
    bench(
        "dtw, n=m=1000, sakoe_chiba_radius=10",
        lambda: M.dtw(a, b, sakoe_chiba_radius=10),
        lambda: dtai.distance_fast(a, b, window=11),
        "dtaidistance distance_fast(window=11)",
        "<= 1.5x",
        inner=20,
    )

    # 2. cdist_dtw, 100 series of length 200
    X = rng.normal(size=(100, 200))
    ref = dtai.distance_matrix_fast(X, parallel=True)
    np.testing.assert_allclose(M.cdist_dtw(X[:, :, None]), np.where(np.isinf(ref), ref.T, ref))
    bench(
        "cdist_dtw, 100 x 200",
        lambda: M.cdist_dtw(X[:, :, None]),
        lambda: dtai.distance_matrix_fast(X, parallel=True),
        "dtaidistance distance_matrix_fast(parallel)",
        "<= 0.8x",
    )

    # 3. soft_dtw, NumPy, length 200
    s, t = rng.normal(size=(200, 1)), rng.normal(size=(200, 1))
    assert abs(M.soft_dtw(s, t, gamma=1.0) - tsl.soft_dtw(s, t, gamma=1.0)) < 1e-8
    bench(
        "soft_dtw (NumPy), n=m=200",
        lambda: M.soft_dtw(s, t, gamma=1.0),
        lambda: tsl.soft_dtw(s, t, gamma=1.0),
        "tslearn soft_dtw",
        "<= 0.8x",
        inner=5,
    )

    # 4. soft_dtw, torch forward + backward, length 100
    u = torch.randn(100, 1, dtype=torch.float64)
    v = torch.randn(100, 1, dtype=torch.float64)

    def fwd_bwd(fn):
        def run():
            x = u.clone().requires_grad_(True)
            fn(x, v, gamma=1.0).backward()
            return x.grad

        return run

    g1, g2 = fwd_bwd(M.soft_dtw)(), fwd_bwd(tsl.soft_dtw)()
    assert torch.allclose(g1, g2, rtol=1e-8)
    # Timed as 5 consecutive calls per repeat, like the NumPy row: a single call right
    # after the peer's 50 ms of torch ops finds cold caches and costs ~3x a warm one; the
    # second row shows that cold single call for reference.
    bench(
        "soft_dtw (torch) fwd+bwd, n=m=100",
        fwd_bwd(M.soft_dtw),
        fwd_bwd(tsl.soft_dtw),
        "tslearn soft_dtw (torch backend)",
        "<= 0.02x (>= 50x faster)",
        inner=5,
    )
    bench(
        "  same, 1 call after each peer call",
        fwd_bwd(M.soft_dtw),
        fwd_bwd(tsl.soft_dtw),
        "tslearn soft_dtw (torch backend)",
        "(cold caches, reference)",
    )

    headers = ("case", "ours ms", "peer ms", "peer", "ours/peer", "target", "ours JIT s")
    print(table(rows, headers))


def _close(a, b, rtol=1e-10):
    """Results agree before they are timed (values to ``rtol``, paths exactly)."""
    if isinstance(a, tuple):
        for u, v in zip(a, b, strict=True):
            _close(u, v, rtol)
    elif isinstance(a, list):
        assert a == b, "paths differ"
    elif not hasattr(a, "x_weights_"):
        a = a.detach().numpy() if isinstance(a, torch.Tensor) else a
        b = b.detach().numpy() if isinstance(b, torch.Tensor) else b
        np.testing.assert_allclose(
            np.asarray(a, float), np.asarray(b, float), rtol=rtol, atol=1e-12
        )


def _tslearn_api_rows(bench, tsl, rng) -> None:
    """A row per function of tslearn.metrics beyond DTW / soft-DTW (target <= 0.5x)."""
    target = "<= 0.5x"
    x, y = rng.normal(size=(300, 2)), rng.normal(size=(280, 2))
    xl, yl = rng.normal(size=(1000, 1)), rng.normal(size=(900, 1))
    X = rng.normal(size=(40, 100, 2))
    Y = rng.normal(size=(30, 100, 2))
    D = np.sqrt(((x[:, None] - y[None]) ** 2).sum(-1))
    mask = tsl.compute_mask(x, y, sakoe_chiba_radius=20)

    # Three consecutive calls per repetition (five for the fastest rows): a single call right
    # after the other library's finds cold caches (see the soft_dtw torch rows).
    def row(name, ours, peer, check=True, rtol=1e-10, inner=3):
        if check is True:
            _close(ours(), peer(), rtol)
        elif check:  # a pair of functions to compare instead of the timed ones
            _close(check[0](), check[1](), rtol)
        bench(name, ours, peer, f"tslearn {name.split(',')[0]}", target, inner=inner)

    row("frechet, 1000 x 900", lambda: M.frechet(xl, yl), lambda: tsl.frechet(xl, yl))
    row("frechet_path, 300 x 280", lambda: M.frechet_path(x, y), lambda: tsl.frechet_path(x, y))
    row(
        "frechet_path_from_metric, precomputed 300 x 280",
        lambda: M.frechet_path_from_metric(D),
        lambda: tsl.frechet_path_from_metric(D),
    )
    row(
        "frechet_accumulated_matrix, 300 x 280",
        lambda: M.frechet_accumulated_matrix(x, y, mask),
        lambda: tsl.frechet_accumulated_matrix(x, y, mask),
    )
    row(
        "cdist_frechet, 40 x 30 x 100",
        lambda: M.cdist_frechet(X, Y),
        lambda: tsl.cdist_frechet(X, Y),
    )
    row("lcss, 1000 x 900", lambda: M.lcss(xl, yl), lambda: tsl.lcss(xl, yl))
    row("lcss_path, 300 x 280", lambda: M.lcss_path(x, y), lambda: tsl.lcss_path(x, y))
    row(
        "lcss_path_from_metric, precomputed 300 x 280",
        lambda: M.lcss_path_from_metric(D, metric="precomputed"),
        lambda: tsl.lcss_path_from_metric(D, metric="precomputed"),
    )
    row("gak, 300 x 280", lambda: M.gak(x, y, sigma=2.0), lambda: tsl.gak(x, y, sigma=2.0))
    row(
        "unnormalized_gak, 150 x 150",
        lambda: M.unnormalized_gak(x[:150], y[:150], sigma=2.0),
        lambda: tsl.unnormalized_gak(x[:150], y[:150], sigma=2.0),
    )
    row("cdist_gak, 40 x 30 x 100", lambda: M.cdist_gak(X, Y), lambda: tsl.cdist_gak(X, Y))
    row(
        "sigma_gak, 40 x 100",
        lambda: M.sigma_gak(X, random_state=0),
        lambda: tsl.sigma_gak(X, random_state=0),
    )
    row(
        "gamma_soft_dtw, 40 x 100",
        lambda: M.gamma_soft_dtw(X, random_state=0),
        lambda: tsl.gamma_soft_dtw(X, random_state=0),
    )
    u = np.cumsum(rng.normal(size=(120, 1)), 0)
    v = u[np.sort(rng.integers(0, 120, size=100))] + 0.1 * rng.normal(size=(100, 1))
    xc, yc = rng.normal(size=(120, 3)), rng.normal(size=(100, 2))
    # CTW: values equal tslearn's for univariate series positively correlated along the
    # alignment only (see docs/metrics.md): increasing series here
    row("ctw, univariate 120 x 100", lambda: M.ctw(u, v), lambda: tsl.ctw(u, v))
    row(
        "ctw_path, 120 x 100, d = 3 and 2",
        lambda: M.ctw_path(xc, yc),
        lambda: tsl.ctw_path(xc, yc),
        check=False,
    )
    row(
        "cdist_ctw, 10 x 8 x 50, d = 1",
        lambda: M.cdist_ctw(
            np.cumsum(np.abs(X[:10, :50, :1]), 1), np.cumsum(Y[:8, :50, :1] ** 2, 1)
        ),
        lambda: tsl.cdist_ctw(
            np.cumsum(np.abs(X[:10, :50, :1]), 1), np.cumsum(Y[:8, :50, :1] ** 2, 1)
        ),
    )
    row("dtw_path, 300 x 280", lambda: M.dtw_path(x, y), lambda: tsl.dtw_path(x, y))
    row(
        "dtw_path_from_metric, sqeuclidean 300 x 280",
        lambda: M.dtw_path_from_metric(x, y, metric="sqeuclidean"),
        lambda: tsl.dtw_path_from_metric(x, y, metric="sqeuclidean"),
    )
    row(
        "dtw_accumulated_matrix, 300 x 280",
        lambda: M.dtw_accumulated_matrix(x, y, mask),
        lambda: tsl.dtw_accumulated_matrix(x, y, mask),
    )
    a, b = rng.normal(size=(40, 2)), rng.normal(size=(35, 2))
    row(
        "dtw_limited_warping_length, 40 x 35, max 50",
        lambda: M.dtw_limited_warping_length(a, b, 50),
        lambda: tsl.dtw_limited_warping_length(a, b, 50),
    )
    row(
        "dtw_path_limited_warping_length, 40 x 35, max 50",
        lambda: M.dtw_path_limited_warping_length(a, b, 50),
        lambda: tsl.dtw_path_limited_warping_length(a, b, 50),
    )
    q = rng.normal(size=(30, 1))
    row(
        "subsequence_cost_matrix, 30 in 1000",
        lambda: M.subsequence_cost_matrix(q, xl),
        lambda: tsl.subsequence_cost_matrix(q, xl),
    )
    acc = M.subsequence_cost_matrix(q, xl)
    row(
        "subsequence_path, 30 in 1000",
        lambda: M.subsequence_path(acc, 500),
        lambda: tsl.subsequence_path(acc, 500),
        inner=5,
    )
    row(
        "dtw_subsequence_path, 30 in 1000",
        lambda: M.dtw_subsequence_path(q, xl),
        lambda: tsl.dtw_subsequence_path(q, xl),
    )
    Z1, Z2 = rng.normal(size=(60, 128, 1)), rng.normal(size=(50, 128, 1))
    n1, n2 = -np.ones(60), -np.ones(50)
    row(
        "cdist_normalized_cc, 60 x 50 x 128",
        lambda: M.cdist_normalized_cc(Z1, Z2, n1, n2, False),
        lambda: tsl.cdist_normalized_cc(Z1, Z2, n1.copy(), n2.copy(), False),
    )
    row(
        "y_shifted_sbd_vec, 60 x 128",
        lambda: M.y_shifted_sbd_vec(Z2[0], Z1, -1.0, n1),
        lambda: tsl.y_shifted_sbd_vec(Z2[0], Z1, -1.0, n1.copy()),
    )
    S1, S2 = rng.integers(0, 8, size=(200, 16, 1)), rng.integers(0, 8, size=(150, 16, 1))
    bp = np.linspace(-1.2, 1.2, 7)
    row(
        "cdist_sax, 200 x 150 x 16",
        lambda: M.cdist_sax(S1, bp, 128, S2),
        lambda: tsl.cdist_sax(S1, bp, 128, S2),
    )
    row(
        "SquaredEuclidean.compute, 300 x 280",
        lambda: M.SquaredEuclidean(x, y).compute(),
        lambda: tsl.SquaredEuclidean(x, y).compute(),
        rtol=1e-9,
        inner=5,
    )

    def soft_dtw_object(lib):
        def run():
            sdtw = lib.SoftDTW(D**2, gamma=1.0)
            return sdtw.compute(), sdtw.grad()

        return run

    row("SoftDTW compute + grad, 300 x 280", soft_dtw_object(M), soft_dtw_object(tsl), rtol=1e-8)
    xb = torch.randn(32, 64, 2, dtype=torch.float64)
    yb = torch.randn(32, 60, 2, dtype=torch.float64)

    def loss_fwd_bwd(lib, **kw):
        def run():
            xg = xb.clone().requires_grad_(True)
            lib.SoftDTWLossPyTorch(gamma=0.5, **kw)(xg, yb).mean().backward()
            return xg.grad

        return run

    def loss_values(lib, **kw):
        return lambda: lib.SoftDTWLossPyTorch(gamma=0.5, **kw)(xb, yb)

    # tslearn keeps the DP table in float32 (torch.Tensor(...)): values agree to 1e-6 and
    # its gradients to ~1e-3 relative; ours are checked by gradcheck in the tests.
    row(
        "SoftDTWLossPyTorch fwd+bwd, B=32, 64 x 60",
        loss_fwd_bwd(M),
        loss_fwd_bwd(tsl),
        check=(loss_values(M), loss_values(tsl)),
        rtol=1e-6,
    )
    row(
        "  same, sakoe_chiba_radius=8",
        loss_fwd_bwd(M, sakoe_chiba_radius=8),
        loss_fwd_bwd(tsl, sakoe_chiba_radius=8),
        check=(loss_values(M, sakoe_chiba_radius=8), loss_values(tsl, sakoe_chiba_radius=8)),
        rtol=1e-6,
    )
    row(
        "compute_mask, itakura 300 x 280",
        lambda: M.compute_mask(x, y, itakura_max_slope=2.0),
        lambda: tsl.compute_mask(x, y, itakura_max_slope=2.0),
        inner=5,
    )


if __name__ == "__main__":
    main()

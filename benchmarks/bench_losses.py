"""Benchmark of tsgrad.losses against tslearn and a naive per-sample DILATE.

Run:  python benchmarks/bench_losses.py [--reps 15]

One torch thread; numba uses its default thread pool (all cores).  Each case is timed
forward + backward, methods interleaved within every repetition, the median reported;
the first call of every method (JIT compilation or cache load, allocations) is timed
separately and excluded.  Peak memory is the growth of the peak resident set size (Linux
VmHWM, reset after a small warm-up call) of a fresh subprocess running one forward +
backward.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numba
import numpy as np
import torch

# tsgrad's numba kernels, not the wavefront engine of a new installation's first calls
os.environ.setdefault("TSGRAD_ENGINE", "numba")

from tsgrad import use_engine
from tsgrad._kernels import _numba_softdtw as nd
from tsgrad._kernels import full_bands
from tsgrad.losses import dilate_loss, soft_dtw_loss

torch.set_num_threads(1)


# ------------------------------------------------------------------------- baselines
def tslearn_sdtw(x, y, gamma):
    from tslearn.metrics import SoftDTWLossPyTorch

    return SoftDTWLossPyTorch(gamma=gamma)(x, y).mean()


class _NaiveShape(torch.autograd.Function):
    """Soft-DTW of each sample in a Python loop (the reference code's SoftDTWBatch)."""

    @staticmethod
    def forward(ctx, D, gamma):
        B = D.shape[0]
        Dn = D.detach().double().numpy()
        Rs, vals = [], []
        for k in range(B):
            b = full_bands(1, *Dn.shape[1:])
            S, v = nd.softdtw_forward(Dn[k : k + 1], gamma, b.lx, b.ly, b.lo, b.hi)
            Rs.append(S)
            vals.append(v[0])
        ctx.save = (Dn, Rs, gamma)
        return torch.tensor(vals, dtype=D.dtype).mean()

    @staticmethod
    def backward(ctx, g):
        Dn, Rs, gamma = ctx.save
        B = Dn.shape[0]
        E = np.empty_like(Dn)
        for k in range(B):
            b = full_bands(1, *Dn.shape[1:])
            E[k] = nd.softdtw_backward(Rs[k], gamma, b.lx, b.ly, b.lo, b.hi, *Dn.shape[1:])[0]
        return g * torch.from_numpy(E).to(g.dtype) / B, None


class _NaivePath(torch.autograd.Function):
    """Batch-mean expected alignment, per sample, HVP per sample (PathDTWBatch)."""

    @staticmethod
    def forward(ctx, D, gamma):
        B = D.shape[0]
        Dn = D.detach().double().numpy()
        Rs, Es = [], np.empty_like(Dn)
        for k in range(B):
            b = full_bands(1, *Dn.shape[1:])
            S, _ = nd.softdtw_forward(Dn[k : k + 1], gamma, b.lx, b.ly, b.lo, b.hi)
            Es[k] = nd.softdtw_backward(S, gamma, b.lx, b.ly, b.lo, b.hi, *Dn.shape[1:])[0]
            Rs.append(S)
        ctx.save = (Dn, Rs, Es, gamma)
        return torch.from_numpy(Es.mean(0)).to(D.dtype)

    @staticmethod
    def backward(ctx, G):
        Dn, Rs, Es, gamma = ctx.save
        B = Dn.shape[0]
        Gn = G.detach().double().numpy()[None]
        H = np.empty_like(Dn)
        for k in range(B):
            b = full_bands(1, *Dn.shape[1:])
            H[k] = nd.softdtw_hvp(Rs[k], Es[k : k + 1], Gn, gamma, b.lx, b.ly, b.lo, b.hi)[0][0]
        return torch.from_numpy(H).to(G.dtype) / B, None


def naive_dilate(outputs, targets, alpha, gamma):
    """DILATE as the paper's reference code builds it: per-sample loops, 1-D series."""
    B, k = outputs.shape[:2]
    D = torch.zeros(B, k, k, dtype=outputs.dtype)
    for i in range(B):
        D[i] = (targets[i, :, 0][:, None] - outputs[i, :, 0][None, :]) ** 2
    shape = _NaiveShape.apply(D, gamma)
    path = _NaivePath.apply(D, gamma)
    omega = (torch.arange(k, dtype=D.dtype)[:, None] - torch.arange(k, dtype=D.dtype)) ** 2
    temporal = (path * omega).sum() / (k * k)
    return alpha * shape + (1 - alpha) * temporal


# ------------------------------------------------------------------------- timing
def _fwd_bwd(fn, x, y):
    x.grad = None
    loss = fn(x, y)
    loss.backward()
    return loss


def run_case(methods, x, y, reps):
    first = {}
    for name, fn in methods.items():
        t = time.perf_counter()
        _fwd_bwd(fn, x, y)
        first[name] = time.perf_counter() - t
        _fwd_bwd(fn, x, y)  # second warm-up call
    times = {name: [] for name in methods}
    for _ in range(reps):
        for name, fn in methods.items():
            t = time.perf_counter()
            _fwd_bwd(fn, x, y)
            times[name].append(time.perf_counter() - t)
    med = {name: statistics.median(ts) for name, ts in times.items()}
    return med, first


def _series(B, n, d, seed=0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(B, n, d, generator=g).to(dtype).requires_grad_(True)
    y = torch.randn(B, n, d, generator=g).to(dtype)
    return x, y


# ------------------------------------------------------------------------- memory
_MEM_SNIPPET = """
import json, sys, torch
torch.set_num_threads(1)
which, B, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
if which == "tsgrad":
    from tsgrad.losses import soft_dtw_loss
    fn = lambda x, y: soft_dtw_loss(x, y, 1.0)
else:
    from tslearn.metrics import SoftDTWLossPyTorch
    f = SoftDTWLossPyTorch(gamma=1.0)
    fn = lambda x, y: f(x, y).mean()
def go(B, n):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(B, n, 1, generator=g).requires_grad_(True)
    y = torch.randn(B, n, 1, generator=g)
    fn(x, y).backward()
def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1])  # KiB
go(2, 8)  # JIT compilation / cache load, allocator warm-up
with open("/proc/self/clear_refs", "w") as fh:
    fh.write("5")  # reset the peak RSS (VmHWM) to the current RSS
base = status("VmRSS")
go(B, n)
print(json.dumps({"peak_growth_mib": (status("VmHWM") - base) / 1024}))
"""


def peak_memory(which, B, n):
    out = subprocess.run(
        [sys.executable, "-c", _MEM_SNIPPET, which, str(B), str(n)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])["peak_growth_mib"]


# ------------------------------------------------------------------------- main
def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reps", type=int, default=15)
    p.add_argument("--no-memory", action="store_true")
    args = p.parse_args(argv)
    print(
        f"torch {torch.__version__} (1 thread), numba {numba.__version__} "
        f"({numba.get_num_threads()} threads), {os.cpu_count()} cpus, reps={args.reps}"
    )
    rows = []

    def wavefront_sdtw(x, y):
        with use_engine("wavefront"):
            return soft_dtw_loss(x, y, 1.0)

    for B, n, reps in ((64, 100, args.reps), (256, 256, max(3, args.reps // 3))):
        x, y = _series(B, n, 1)
        methods = {
            "tsgrad": lambda a, b: soft_dtw_loss(a, b, 1.0),
            "tslearn": lambda a, b: tslearn_sdtw(a, b, 1.0),
        }
        if B == 64:
            methods["wavefront"] = wavefront_sdtw
        med, first = run_case(methods, x, y, reps)
        case = f"soft-DTW fwd+bwd B={B} n={n} d=1"
        rows.append(
            (
                case,
                "tsgrad / tslearn",
                med["tsgrad"],
                med["tslearn"],
                0.1,
                (first["tsgrad"], first["tslearn"]),
            )
        )
        if "wavefront" in med:
            rows.append(
                (
                    case,
                    "wavefront(CPU) / tslearn",
                    med["wavefront"],
                    med["tslearn"],
                    None,
                    (first["wavefront"], first["tslearn"]),
                )
            )

    # A Sakoe-Chiba band prunes: only the band's cells are computed (issue 15: >= 20x).
    x, y = _series(64, 1000, 1)
    med, first = run_case(
        {
            "band": lambda a, b: soft_dtw_loss(a, b, 1.0, sakoe_chiba_radius=10),
            "full": lambda a, b: soft_dtw_loss(a, b, 1.0),
        },
        x,
        y,
        max(2, args.reps // 5),
    )
    rows.append(
        (
            "soft-DTW fwd+bwd B=64 n=1000, r=10",
            "radius 10 / no band",
            med["band"],
            med["full"],
            0.05,
            (first["band"], first["full"]),
        )
    )

    x, y = _series(100, 20, 1)
    ours = dilate_loss(x, y, 0.5, 0.01)[0]
    ref = naive_dilate(x, y, 0.5, 0.01)
    assert torch.allclose(ours, ref, rtol=1e-5), (ours, ref)
    gx = torch.autograd.grad(ours, x)[0]
    assert torch.allclose(gx, torch.autograd.grad(ref, x)[0], rtol=1e-4, atol=1e-6)
    med, first = run_case(
        {
            "tsgrad": lambda a, b: dilate_loss(a, b, 0.5, 0.01)[0],
            "naive": lambda a, b: naive_dilate(a, b, 0.5, 0.01),
        },
        x,
        y,
        args.reps,
    )
    rows.append(
        (
            "DILATE fwd+bwd B=100 k=20 d=1",
            "tsgrad / naive loop",
            med["tsgrad"],
            med["naive"],
            2e-3,
            (first["tsgrad"], first["naive"]),
        )
    )

    print()
    print(
        f"| {'case':36} | {'ratio':24} | {'ours ms':>9} | {'peer ms':>9} | {'ratio':>6} "
        f"| {'target':18} | {'first call ms (ours/peer)':>25} |"
    )
    print("|" + "|".join("-" * w for w in (38, 26, 11, 11, 8, 20, 27)) + "|")
    for case, label, ours_t, peer_t, target, first in rows:
        r = ours_t / peer_t
        if target is None:
            tgt = "(reference)"
        elif target == 2e-3:
            tgt = f"<= 2 ms: {'met' if ours_t <= target else 'MISSED'}"
        else:
            tgt = f"<= {target}x: {'met' if r <= target else 'MISSED'}"
        fc = f"{first[0] * 1e3:.0f} / {first[1] * 1e3:.0f}"
        print(
            f"| {case:36} | {label:24} | {ours_t * 1e3:9.2f} | {peer_t * 1e3:9.2f} | {r:6.3f} "
            f"| {tgt:18} | {fc:>25} |"
        )
    if not args.no_memory:
        ours_m = peak_memory("tsgrad", 256, 256)
        peer_m = peak_memory("tslearn", 256, 256)
        print()
        print(
            "| peak RSS growth, soft-DTW fwd+bwd B=256 n=256 d=1 float32 | tsgrad | tslearn "
            "| ratio |"
        )
        print("|---|---|---|---|")
        print(f"| MiB | {ours_m:.0f} | {peer_m:.0f} | {ours_m / peer_m:.2f} |")


if __name__ == "__main__":
    main()

"""GPU benchmark of tsgrad's Triton engine (issue 12) against the GPU soft-DTW users have.

Usage::

    python benchmarks/bench_gpu.py [--reps 10] [--only sdtw,dilate,epoch] [--wavefront]
    python benchmarks/bench_gpu.py --smoke     # toy sizes; on the CPU (Triton's interpreter)

Forward + backward of the batch-mean loss, float32, soft-DTW at gamma 1 and DILATE at
alpha 0.5, gamma 0.01, d = 1 unless stated; CUDA-synchronised medians of interleaved
repetitions, the first call (compilation, caches) timed apart.  Contenders:

* ``tsgrad``: the public losses under ``tsgrad.use_engine("triton")``.
* ``pysdtw`` (the numba-CUDA soft-DTW kernel, PyPI ``pysdtw``; its numba-cuda may need
  ``numpy <= 2.3``), if importable; it refuses series longer than 1024.
* ``tslearn``: ``SoftDTWLossPyTorch`` (its kernels run on the host; skipped above
  ``--tslearn-max-cells`` cells a batch, as it would take minutes).
* ``naive``: the per-sample DILATE reference of ``bench_losses.py`` (CPU).
* ``numba-cpu``: tsgrad's CPU engine on CPU tensors (numba, every core).
* ``wavefront`` (``--wavefront``): tsgrad's pure-torch CUDA engine, the fallback.

Peak GPU memory: ``torch.cuda.max_memory_allocated`` over one forward + backward, less
what was allocated before.  Each case also checks the loss and the gradient of
``tsgrad`` against ``numba-cpu`` (column ``check``: the largest relative difference;
float32 on the GPU against float64 arithmetic on the CPU).  Then a training epoch of the
DILATE benchmark's Seq2Seq GRU on CUDA, DILATE / MSE.

Without a CUDA device the script says so and exits 0; ``--smoke`` then runs every
contender once at toy sizes on the CPU, the Triton kernels in Triton's interpreter, to
check the script before a GPU run.  On a GPU the whole run takes about 3-5 minutes.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import os
import statistics
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import tsgrad  # noqa: E402
from tsgrad.losses import dilate_loss, soft_dtw_loss  # noqa: E402

# (B, n, d) and the target of tsgrad's time: a fraction of pysdtw's ("pysdtw") or of the
# CPU engine's ("numba-cpu"), from issue 12.
SDTW_CASES = [
    ((64, 100, 1), ("pysdtw", 0.5)),
    ((256, 256, 1), ("pysdtw", 0.5)),
    ((1024, 512, 1), ("pysdtw", 0.25)),
    ((4096, 128, 8), ("pysdtw", 0.25)),
    ((16, 2048, 1), ("numba-cpu", 0.2)),
]
# (B, k) and the target of tsgrad's time in seconds.
DILATE_CASES = [((100, 20), 0.3e-3), ((1024, 100), 3e-3)]
SMOKE_SDTW = [((4, 9, 1), ("pysdtw", 0.5)), ((3, 12, 2), ("numba-cpu", 0.2))]
SMOKE_DILATE = [((4, 6), 0.3e-3)]
MEMORY_TARGET = 0.5  # tsgrad's peak GPU memory / pysdtw's


# ------------------------------------------------------------------------- contenders
def _on(engine, loss):
    """``loss`` run under ``tsgrad.use_engine(engine)``."""

    def run(x, y):
        with tsgrad.use_engine(engine):
            return loss(x, y)

    return run


def _sdtw(x, y):
    return soft_dtw_loss(x, y, 1.0)


def _dilate(x, y):
    return dilate_loss(x, y, 0.5, 0.01)[0]


def pysdtw_sdtw(use_cuda):
    import pysdtw

    sdtw = pysdtw.SoftDTW(
        gamma=1.0, dist_func=pysdtw.distance.pairwise_l2_squared, use_cuda=use_cuda
    )
    return lambda x, y: sdtw(x, y).mean()


def tslearn_sdtw():
    from tslearn.metrics import SoftDTWLossPyTorch

    loss = SoftDTWLossPyTorch(gamma=1.0)
    return lambda x, y: loss(x, y).mean()


def naive_dilate(x, y):
    from bench_losses import naive_dilate as reference

    return reference(x, y, 0.5, 0.01)


# ------------------------------------------------------------------------- measuring
def _sync():
    if torch.cuda.is_available():
        torch.cuda.synchronize()


class Contender:
    """A loss on inputs of one device; ``run`` is one forward + backward."""

    def __init__(self, name, fn, x, y):
        self.name, self.fn = name, fn
        self.x = x.detach().clone().requires_grad_(True)
        self.y = y.detach().clone()
        self.error = None
        self.first = self.peak = None
        self.times = []

    def run(self):
        self.x.grad = None
        loss = self.fn(self.x, self.y)
        loss.backward()
        return loss

    def timed(self):
        _sync()
        t = time.perf_counter()
        self.run()
        _sync()
        return time.perf_counter() - t

    def warm(self):
        if self.error:
            return
        try:
            self.first = self.timed()
            self.run()
        except Exception as exc:  # a peer that refuses the case (pysdtw: n > 1024)
            self.error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:60]}"

    def memory(self):
        if self.error or self.x.device.type != "cuda":
            return
        _sync()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
        self.run()
        _sync()
        self.peak = (torch.cuda.max_memory_allocated() - base) / 2**20

    @property
    def median(self):
        return statistics.median(self.times) if self.times else float("nan")


def _peer(name, make, x, y):
    """A peer's contender, or one that says why it could not be made (not installed; on
    the lent H200, pysdtw's numba-cuda may refuse its numpy)."""
    try:
        return Contender(name, make(), x, y)
    except Exception as exc:
        c = Contender(name, None, x, y)
        c.error = (
            f"{type(exc).__name__}: {str(exc).splitlines()[0][:60]}"
            if str(exc)
            else type(exc).__name__
        )
        return c


def measure(contenders, reps):
    live = [c for c in contenders if c.error is None]
    for _ in range(reps):
        for c in live:
            c.times.append(c.timed())
    for c in contenders:
        c.memory()


def check(ours, ref):
    """Largest relative difference of the loss and of the gradient, ours vs ref."""
    a, b = ours.run(), ref.run()
    ga, gb = ours.x.grad.double().cpu(), ref.x.grad.double().cpu()
    dv = abs(a.item() - b.item()) / max(abs(b.item()), 1e-30)
    dg = (ga - gb).abs().max().item() / max(gb.abs().max().item(), 1e-30)
    return f"{max(dv, dg):.1e}"


def _series(B, n, d, device, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(B, n, d, generator=g)
    y = torch.randn(B, n, d, generator=g)
    return x.to(device), y.to(device)


def _row(case, c, ours, target_name, target, check_txt):
    ms = lambda s: f"{s * 1e3:.2f}"  # noqa: E731
    if c.error:
        return (case, c.name, "-", "-", "-", "-", c.error)
    ratio = ours.median / c.median
    tgt = ""
    if c.name == target_name:
        tgt = f"<= {target}x: {'met' if ratio <= target else 'MISSED'}"
    mem = f"{c.peak:.0f}" if c.peak is not None else "-"
    extra = check_txt if c is ours else ""
    return (case, c.name, ms(c.median), f"{ratio:.3f}", mem, tgt, extra)


def bench_sdtw(cases, device, reps, args):
    rows = []
    for (B, n, d), (target_name, target) in cases:
        x, y = _series(B, n, d, device)
        cpu = (x.cpu(), y.cpu())
        ours = Contender("tsgrad", _on("triton", _sdtw), x, y)
        cs = [ours]
        cs.append(_peer("pysdtw", lambda: pysdtw_sdtw(device == "cuda"), x, y))
        if B * n * n <= args.tslearn_max_cells:
            cs.append(_peer("tslearn", tslearn_sdtw, x, y))
        cs.append(Contender("numba-cpu", _on("numba", _sdtw), *cpu))
        if args.wavefront and device == "cuda":
            cs.append(Contender("wavefront", _on("wavefront", _sdtw), x, y))
        for c in cs:
            c.warm()
        if ours.error:
            raise RuntimeError(f"tsgrad failed on B={B} n={n} d={d}: {ours.error}")
        check_txt = check(ours, cs[[c.name for c in cs].index("numba-cpu")])
        measure(cs, reps)
        case = f"soft-DTW B={B} n={n} d={d}"
        rows += [_row(case, c, ours, target_name, target, check_txt) for c in cs]
        mem = {c.name: c.peak for c in cs if c.peak is not None}
        if "pysdtw" in mem and "tsgrad" in mem and mem["pysdtw"]:
            r = mem["tsgrad"] / mem["pysdtw"]
            ok = "met" if r <= MEMORY_TARGET else "MISSED"
            rows.append((case, "memory tsgrad / pysdtw", "", f"{r:.3f}", "", f"<= 0.5x: {ok}", ""))
        print(f"  done {case}: first call tsgrad {ours.first * 1e3:.0f} ms", flush=True)
    return rows


def bench_dilate(cases, device, reps):
    rows = []
    for (B, k), target in cases:
        x, y = _series(B, k, 1, device, seed=1)
        cpu = (x.cpu(), y.cpu())
        ours = Contender("tsgrad", _on("triton", _dilate), x, y)
        cs = [
            ours,
            Contender("naive", naive_dilate, *cpu),
            Contender("numba-cpu", _on("numba", _dilate), *cpu),
        ]
        if device == "cuda":
            cs.append(Contender("wavefront", _on("wavefront", _dilate), x, y))
        for c in cs:
            c.warm()
        if ours.error:
            raise RuntimeError(f"tsgrad failed on DILATE B={B} k={k}: {ours.error}")
        check_txt = check(ours, cs[2])
        measure(cs, reps)
        case = f"DILATE B={B} k={k}"
        for c in cs:
            row = list(_row(case, c, ours, "", 0, check_txt))
            if c is ours:
                row[5] = f"<= {target * 1e3:g} ms: {'met' if c.median <= target else 'MISSED'}"
            rows.append(tuple(row))
        print(f"  done {case}: first call tsgrad {ours.first * 1e3:.0f} ms", flush=True)
    return rows


def bench_epoch(device, reps, smoke):
    """One epoch of the DILATE benchmark's Seq2Seq GRU, DILATE / MSE, on ``device``."""
    from _timing import interleaved, warm
    from tsgrad.data import synthetic_step_datasets
    from tsgrad.models import Seq2SeqGRU
    from tsgrad.training import fit

    count, batch = (20, 10) if smoke else (500, 100)
    train = synthetic_step_datasets(count, 20, 20, 0.01, seed=0).train
    torch.manual_seed(0)
    model = Seq2SeqGRU(input_size=1, output_size=1, hidden_size=128, horizon=20)

    def epoch(loss):
        options = {"alpha": 0.5, "gamma": 0.01} if loss == "dilate" else None

        def run():
            with tsgrad.use_engine("triton"):
                fit(model, train, epochs=1, batch_size=batch, loss=loss, loss_options=options,
                    progress=False, num_threads=1, device=device)  # fmt: skip
            _sync()

        return run

    fns = {"mse": epoch("mse"), "dilate": epoch("dilate")}
    for f in fns.values():
        warm(f)
    t = interleaved(fns, repeats=reps)
    engine = "triton"
    ratio = t["dilate"] / t["mse"]
    case = f"epoch, Seq2Seq GRU, {count} series"
    verdict = "met" if ratio <= 1.15 else "MISSED"
    return [
        (case, "MSE", f"{t['mse'] * 1e3:.1f}", "", "", "", ""),
        (
            case,
            f"DILATE ({engine})",
            f"{t['dilate'] * 1e3:.1f}",
            f"{ratio:.2f}",
            "",
            f"<= 1.15x MSE: {verdict}",
            "",
        ),
    ]


# ------------------------------------------------------------------------- accuracy
def accuracy(device):
    """DILATE at gamma = 1 and 0.01 against the numba kernels (float64 arithmetic), float32
    and float64 inputs: the largest error of each gradient over the largest shape gradient
    (the temporal gradients are exponentially small where the alignment is nearly hard)."""
    from tsgrad._kernels import CONSTRAINT_CODES, make_bands
    from tsgrad._kernels._numba_engine import FusedRoute, NumbaEngine
    from tsgrad._kernels._triton_engine import TritonEngine

    def numba(X, Y, gamma, bands):  # the anti-diagonal route
        route = FusedRoute(lanes=False, weights_max=1 << 21)
        return NumbaEngine.sqeuclidean_dilate(X, Y, gamma, bands, True, route)

    B, n, m, d = 5, 7, 6, 2
    layouts = {
        "full": make_bands([n] * B, [m] * B, n),
        "ragged": make_bands([7, 3, 5, 1, 7], [6, 6, 2, 4, 1], n),
        "sakoe-chiba 1": make_bands([7, 6, 5, 7, 4], [6, 6, 6, 3, 4], n, 1, 1),
        "itakura 2": make_bands(
            [7, 6, 5, 7, 7], [6, 6, 6, 3, 6], n, CONSTRAINT_CODES["itakura"], 2.0
        ),
    }
    rows = []
    for gamma, scale, (name, bands) in itertools.product((1.0, 0.01), (1.0, 10.0), layouts.items()):
        g = torch.Generator().manual_seed(0)
        X = scale * torch.randn(B, n, d, generator=g, dtype=torch.float64)
        Y = scale * torch.randn(B, m, d, generator=g, dtype=torch.float64)
        out = [f"{gamma:g}", f"x {scale:g}, {name}", ""]
        for dtype in (torch.float32, torch.float64):
            Xd, Yd = X.to(dtype), Y.to(dtype)
            # numba on the same (rounded) series, in float64 arithmetic
            ref = numba(Xd.double().numpy(), Yd.double().numpy(), gamma, bands)
            got = TritonEngine.sqeuclidean_dilate(Xd.to(device), Yd.to(device), gamma, bands, True)
            got = [t.double().cpu().numpy() for t in got]
            sc = max(np.abs(ref[2]).max(), np.abs(ref[3]).max())
            shape_err = max(np.abs(got[k] - ref[k]).max() for k in (2, 3)) / sc
            temp_err = max(np.abs(got[k] - ref[k]).max() for k in (4, 5)) / sc
            fin = all(np.isfinite(t).all() for t in got[2:])
            out += [f"{shape_err:.1e}", f"{temp_err:.1e}" + ("" if fin else " NON-FINITE")]
            finite = np.isfinite(ref[0])
            out[2] = f"{np.abs(ref[0][finite]).max():.0f}"
        rows.append(tuple(out))
    return rows


# ------------------------------------------------------------------------- tuning
TUNE_CASES = [("soft-DTW", 64, 100, 1), ("soft-DTW", 1024, 512, 1), ("soft-DTW", 16, 2048, 1)]
TUNE_CASES += [("DILATE", 100, 20, 1), ("DILATE", 1024, 100, 1)]
SMOKE_TUNE = [("soft-DTW", 4, 9, 1), ("DILATE", 4, 6, 1)]


def tune(device, reps, smoke):
    """The fused value + gradient kernels alone (no autograd) over the engine's launch
    settings: problems a program (lanes in all), warps, and the exchange."""
    from tsgrad._kernels import _triton_engine as te
    from tsgrad._kernels import full_bands

    rows = []
    saved = (te.LANES_PER_PROGRAM, te.WARPS, te.EXCHANGE)
    try:
        for kind, B, n, d in SMOKE_TUNE if smoke else TUNE_CASES:
            x, y = _series(B, n, d, device, seed=2)
            bands = te.device_bands(full_bands(B, n, n), n, torch.device(device))
            if kind == "DILATE":
                call = functools.partial(
                    te.TritonEngine.sqeuclidean_dilate, x, y, 0.01, bands, True
                )
            else:
                call = functools.partial(
                    te.TritonEngine.sqeuclidean_softdtw, x, y, 1.0, bands, True
                )
            block = te._block(n)
            settings = []
            for lanes in (block, 2 * block, 4 * block) if block < 128 else (block,):
                for warps in (1, 2, 4, 8, 16):
                    if warps * 32 > lanes or warps * 32 * 16 < lanes:
                        continue  # threads without a lane of their own, or > 16 lanes each
                    for exchange in ("gather", "scratch") if warps == 1 else ("scratch",):
                        settings.append((lanes, warps, exchange))
            for lanes, warps, exchange in settings:
                te.LANES_PER_PROGRAM, te.WARPS, te.EXCHANGE = lanes, warps, exchange
                times = []
                try:
                    call()
                    for _ in range(reps):
                        _sync()
                        t = time.perf_counter()
                        call()
                        _sync()
                        times.append(time.perf_counter() - t)
                    ms = f"{statistics.median(times) * 1e3:.3f}"
                except Exception as exc:  # a setting the compiler refuses
                    ms = f"{type(exc).__name__}"
                case = f"{kind} B={B} n={n} d={d}"
                rows.append((case, str(lanes // block), str(warps), exchange, ms))
            print(f"  tuned {kind} B={B} n={n}", flush=True)
    finally:
        te.LANES_PER_PROGRAM, te.WARPS, te.EXCHANGE = saved
    return rows


# ------------------------------------------------------------------------- main
def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reps", type=int, default=10, help="timed repetitions (default 10)")
    p.add_argument(
        "--only",
        default="accuracy,sdtw,dilate,epoch",
        help="subset of accuracy,sdtw,dilate,epoch (default: all)",
    )
    p.add_argument("--wavefront", action="store_true", help="also time the torch wavefront")
    p.add_argument(
        "--tune",
        action="store_true",
        help="also time the kernels over the engine's launch settings (a minute more)",
    )
    p.add_argument(
        "--tslearn-max-cells",
        type=int,
        default=2**25,
        help="time tslearn only on batches of at most this many cells (default 2**25)",
    )
    p.add_argument(
        "--smoke",
        action="store_true",
        help="toy sizes, 1 repetition; without a GPU on the CPU under TRITON_INTERPRET=1",
    )
    args = p.parse_args(argv)
    parts = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(parts) - {"accuracy", "sdtw", "dilate", "epoch"}
    if unknown:
        p.error(f"--only: unknown part(s) {sorted(unknown)}; expected accuracy,sdtw,dilate,epoch")
    cuda = torch.cuda.is_available()
    if not cuda and not args.smoke:
        print(
            "bench_gpu.py: no CUDA device here (torch.cuda.is_available() is False), nothing "
            "to measure: skipped.  Run it on a machine with an NVIDIA GPU, or with --smoke to "
            "check the script on the CPU in Triton's interpreter."
        )
        return 0
    if not cuda:
        os.environ.setdefault("TRITON_INTERPRET", "1")  # before the kernels are defined
    device = "cuda" if cuda else "cpu"
    from tsgrad._kernels._triton_engine import available

    if not available(torch.zeros(1, device=device)):
        print("bench_gpu.py: Triton is not importable here (pip install triton): skipped.")
        return 0
    torch.set_num_threads(1)
    reps = 1 if args.smoke else args.reps
    import numba

    gpu = torch.cuda.get_device_name() if cuda else "none (smoke run, Triton interpreter)"
    print(
        f"GPU {gpu}; torch {torch.__version__}, numpy {np.__version__}, numba "
        f"{numba.__version__} ({numba.get_num_threads()} threads), {os.cpu_count()} CPUs; "
        f"{reps} interleaved repetitions, medians",
        flush=True,
    )
    from _timing import table

    if "accuracy" in parts:
        print("\nDILATE, B=5 n=7 m=6 d=2: error / largest shape gradient vs numba")
        heads = ("gamma", "series, bands", "largest R", "f32 shape grad", "f32 temporal grad")
        heads += ("f64 shape grad", "f64 temporal grad")
        print(table(accuracy(device), heads), flush=True)
    rows = []
    if "sdtw" in parts:
        rows += bench_sdtw(SMOKE_SDTW if args.smoke else SDTW_CASES, device, reps, args)
    if "dilate" in parts:
        rows += bench_dilate(SMOKE_DILATE if args.smoke else DILATE_CASES, device, reps)
    if "epoch" in parts:
        rows += bench_epoch(device, max(1, reps // 3), args.smoke)

    if args.tune:
        print("\nfused value + gradient kernels, ms (medians), by launch setting")
        heads = ("case", "problems a program", "warps", "exchange", "ms")
        print(table(tune(device, reps, args.smoke), heads), flush=True)
    if rows:
        print()
        print(
            table(
                rows,
                ("case", "contender", "ms", "tsgrad / it", "peak MiB", "target", "check vs CPU"),
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

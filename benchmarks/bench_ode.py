"""Benchmark tsgrad.ode against torchdiffeq in one run (1 torch thread, CPU).

Usage::

    python benchmarks/bench_ode.py [--repeats 5] [--quick] [--part all|explicit|stiff]

Rows:

1. spiral: 256 ODEs dy/dt = y**3 A, A = [[-0.1, 2], [-2, -0.1]], t in [0, 25] with 1000
   output times, dopri5, rtol 1e-7, atol 1e-9 (float32, as torchdiffeq's demo): wall time,
   max error against a SciPy DOP853 reference at rtol 1e-13 (float64), function evaluations.
2. neural ODE: MLP 2-50-2 (tanh) on y**3, batch 256, 10 output times on [0, 25], default
   tolerances, forward + backward with odeint_adjoint; plus the relative error of each
   gradient against backprop through odeint (the exact gradient of the discrete solver).
3. memory (ours only): peak resident memory added by forward + backward with rk4, 100 vs
   10,000 steps for odeint_adjoint, 100 vs 1,000 steps for odeint_checkpoint and backprop
   through odeint (each in a fresh subprocess).
4. per-sample step control (``options={"batch_dim": 0}``) on 256 Van der Pol oscillators
   with mu spread over 1..25, t in [0, 10], dopri5 rtol 1e-6: mean accepted steps per
   sample against the joint-batch solve, and wall time against torchdiffeq's joint solve.

5. stiff problems (``--part stiff``, a second table): Robertson's kinetics (t to 1e5) and Van
   der Pol with mu = 1000 (t to 3000), rtol 1e-6, atol 1e-10, with ``method="radau"``
   against SciPy's Radau and BDF at the same tolerances and dopri5 (Robertson to t = 16
   only: it needs thousands of steps per unit time there): accepted / rejected steps,
   function and Jacobian evaluations, the largest error at the final time against SciPy's
   Radau at rtol 1e-12, and the time; then 1024 Robertson systems with rate constants
   spread by factors of 0.5..2 (log-uniform, seed 0) in one per-sample solve, against a
   SciPy Radau loop over 64 of them scaled to 1024. Where JAX and diffrax are installed
   (not dependencies: ``pip install jax diffrax`` in a virtual environment of your own),
   diffrax's Kvaerno5 (PID controller at the same tolerances, float64, one XLA thread, jit
   compilation not timed) joins both tables, the batch under ``jax.vmap``; where they are
   not, its rows say so.

Times are medians of interleaved repetitions after one warm-up call; ratios are ours /
torchdiffeq (lower is better).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from _timing import interleaved, table, warm  # noqa: E402

A_SPIRAL = [[-0.1, 2.0], [-2.0, -0.1]]


class Counter:
    """Wraps a vector field and counts its evaluations."""

    def __init__(self, f):
        self.f, self.n = f, 0

    def __call__(self, t, y):
        self.n += 1
        return self.f(t, y)


def spiral_problem():
    gen = torch.Generator().manual_seed(0)
    y0 = torch.tensor([2.0, 0.0]) + 0.5 * torch.randn(256, 2, generator=gen)
    t = torch.linspace(0.0, 25.0, 1000)
    a = torch.tensor(A_SPIRAL)
    return y0, t, lambda t, y: torch.mm(y**3, a)


def spiral_reference(y0, t):
    from scipy.integrate import solve_ivp

    a = np.array(A_SPIRAL)

    def rhs(_, y):
        y = y.reshape(-1, 2)
        return ((y**3) @ a).reshape(-1)

    sol = solve_ivp(
        rhs,
        (0.0, 25.0),
        y0.double().numpy().reshape(-1),
        method="DOP853",
        t_eval=t.double().numpy(),
        rtol=1e-13,
        atol=1e-14,
    )
    return torch.tensor(sol.y.T.reshape(len(t), -1, 2))


class MLP(torch.nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.net = torch.nn.Sequential(
            torch.nn.Linear(2, 50), torch.nn.Tanh(), torch.nn.Linear(50, 2)
        )

    def forward(self, t, y):
        return self.net(y**3)


def neural_problem():
    gen = torch.Generator().manual_seed(1)
    y0 = torch.tensor([2.0, 0.0]) + 0.5 * torch.randn(256, 2, generator=gen)
    t = torch.linspace(0.0, 25.0, 10)
    return y0, t


def neural_grads(solver, func, y0, t):
    func.zero_grad()
    ys = solver(func, y0, t)
    ys.pow(2).mean().backward()
    return torch.cat([p.grad.reshape(-1) for p in func.parameters()])


MEMORY_SCRIPT = r"""
import sys, torch
torch.set_num_threads(1)
from tsgrad.ode import odeint, odeint_adjoint, odeint_checkpoint
kind, steps, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
torch.manual_seed(0)
class F(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.f = torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.Tanh(),
                                     torch.nn.Linear(32, 16))
    def forward(self, t, y):
        return self.f(y)
func = F()
y0 = torch.randn(batch, 16)
t = torch.tensor([0.0, 1.0])
solver = {"adjoint": odeint_adjoint, "checkpoint": odeint_checkpoint, "backprop": odeint}[kind]
solver(func, y0, t, method="rk4", options={"step_size": 0.5})[-1].sum().backward()  # warm-up
def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1])
open("/proc/self/clear_refs", "w").write("5")  # reset the peak (VmHWM) to the current RSS
base = status("VmRSS")
ys = solver(func, y0, t, method="rk4", options={"step_size": 1.0 / steps})
ys[-1].pow(2).sum().backward()
print((status("VmHWM") - base) / 1024)
"""


def peak_memory(kind: str, steps: int, batch: int) -> float:
    """Peak resident memory (MiB) added by one forward + backward, in a fresh process.

    glibc is told to serve every allocation above 16 KiB with mmap and to return it on
    free, so resident memory tracks live tensors; the kernel's peak counter is reset just
    before the solve.
    """
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="16384", MALLOC_TRIM_THRESHOLD_="0")
    out = subprocess.run(
        [sys.executable, "-c", MEMORY_SCRIPT, kind, str(steps), str(batch)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    return float(out.stdout.strip().splitlines()[-1])


ROBERTSON_K = (0.04, 3e7, 1e4)


def robertson(k: torch.Tensor):
    """Robertson's kinetics, rate constants ``k`` of shape (3,) or (B, 3)."""

    def f(t, y):
        a, b, c = y[..., 0], y[..., 1], y[..., 2]
        k1, k2, k3 = k[..., 0], k[..., 1], k[..., 2]
        return torch.stack([-k1 * a + k3 * b * c, k1 * a - k3 * b * c - k2 * b * b, k2 * b * b], -1)

    return f


def van_der_pol(mu: float):
    def f(t, y):
        x, v = y[..., 0], y[..., 1]
        return torch.stack([v, mu * (1 - x**2) * v - x], -1)

    return f


def robertson_numpy(k):
    """Robertson's right-hand side and Jacobian in NumPy, for SciPy (as a SciPy user would
    write them: SciPy is not charged for torch calls)."""
    k1, k2, k3 = (float(x) for x in k)

    def rhs(t, y):
        a, b, c = y
        return np.array([-k1 * a + k3 * b * c, k1 * a - k3 * b * c - k2 * b * b, k2 * b * b])

    def jac(t, y):
        a, b, c = y
        return np.array(
            [[-k1, k3 * c, k3 * b], [k1, -k3 * c - 2 * k2 * b, -k3 * b], [0.0, 2 * k2 * b, 0.0]]
        )

    return rhs, jac


def van_der_pol_numpy(mu):
    def rhs(t, y):
        return np.array([y[1], mu * (1 - y[0] ** 2) * y[1] - y[0]])

    def jac(t, y):
        return np.array([[0.0, 1.0], [-2 * mu * y[0] * y[1] - 1, mu * (1 - y[0] ** 2)]])

    return rhs, jac


def _jax():
    """``(jax, jax.numpy, diffrax)`` in float64 on one XLA thread, or None where JAX or
    diffrax is not installed (they are not dependencies of tsgrad)."""
    os.environ.setdefault(
        "XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
    )
    try:
        import diffrax
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)
    return jax, jnp, diffrax


def robertson_jax(t, y, k):
    import jax.numpy as jnp

    a, b, c = y
    return jnp.stack(
        [-k[0] * a + k[2] * b * c, k[0] * a - k[2] * b * c - k[1] * b * b, k[1] * b * b]
    )


def van_der_pol_jax(t, y, mu):
    import jax.numpy as jnp

    return jnp.stack([y[1], mu * (1 - y[0] ** 2) * y[1] - y[0]])


def diffrax_solver(jx, rhs, y0, t_end: float, batched: bool = False):
    """A jitted Kvaerno5 solve ``args -> (y(t_end), accepted, rejected)`` at rtol 1e-6,
    atol 1e-10 (vmapped over ``args`` with ``batched``)."""
    jax, jnp, diffrax = jx

    def solve(args):
        sol = diffrax.diffeqsolve(
            diffrax.ODETerm(rhs),
            diffrax.Kvaerno5(),
            0.0,
            t_end,
            None,
            jnp.asarray(y0, dtype=jnp.float64),
            args=args,
            stepsize_controller=diffrax.PIDController(rtol=1e-6, atol=1e-10),
            max_steps=1_000_000,
            saveat=diffrax.SaveAt(t1=True),
        )
        return sol.ys[-1], sol.stats["num_accepted_steps"], sol.stats["num_rejected_steps"]

    fn = jax.jit(jax.vmap(solve) if batched else solve)

    def run(args):
        return jax.block_until_ready(fn(args))

    return run


def _stiff_problem_rows(name, f, numpy_fns, jax_fn, y0_list, t_end, dopri_end, repeats, jx) -> list:
    """Ours (radau), SciPy's Radau and BDF, diffrax's Kvaerno5 (``jx`` from :func:`_jax`,
    or None) and dopri5 on one stiff problem; ``jax_fn = (rhs, args)``."""
    from scipy.integrate import solve_ivp

    from tsgrad.ode import SolverStats, odeint

    tol = dict(rtol=1e-6, atol=1e-10)
    rows = []
    rhs, jac = numpy_fns
    ref = solve_ivp(rhs, (0, t_end), y0_list, method="Radau", rtol=1e-12, atol=1e-16, jac=jac)
    y_ref = ref.y[:, -1]
    y0 = torch.tensor(y0_list, dtype=torch.float64)
    t = torch.tensor([0.0, t_end], dtype=torch.float64)

    def ours():
        return odeint(f, y0, t, method="radau", **tol)

    stats = SolverStats()
    y = odeint(f, y0, t, method="radau", options={"stats": stats}, **tol)
    sols = {
        m: solve_ivp(rhs, (0, t_end), y0_list, method=m, jac=jac, **tol) for m in ("Radau", "BDF")
    }
    contenders = {
        "ours": ours,
        "Radau": lambda: solve_ivp(rhs, (0, t_end), y0_list, method="Radau", jac=jac, **tol),
        "BDF": lambda: solve_ivp(rhs, (0, t_end), y0_list, method="BDF", jac=jac, **tol),
    }
    if jx is not None:
        jax_rhs, jax_args = jax_fn
        kvaerno = diffrax_solver(jx, jax_rhs, y0_list, t_end)
        y_dfx, acc_dfx, rej_dfx = kvaerno(jax_args)  # compiles
        contenders["diffrax"] = lambda: kvaerno(jax_args)
    timing = interleaved(contenders, repeats=repeats)
    err = float(np.abs(y[-1].numpy() - y_ref).max())
    rows.append(
        (
            name,
            "tsgrad radau",
            f"{stats.n_accepted} / {stats.n_rejected}",
            stats.nfe,
            stats.njev,
            f"{err:.1e}",
            f"{timing['ours'] * 1e3:.0f}",
        )
    )
    for m, sol in sols.items():
        e = float(np.abs(sol.y[:, -1] - y_ref).max())
        rows.append(
            (
                name,
                f"scipy {m}",
                f"{sol.t.size - 1}",
                sol.nfev,
                sol.njev,
                f"{e:.1e}",
                f"{timing[m] * 1e3:.0f}",
            )
        )
    if jx is None:
        rows.append((name, "diffrax Kvaerno5", "JAX / diffrax not installed", "", "", "", ""))
    else:
        e = float(np.abs(np.asarray(y_dfx) - y_ref).max())
        rows.append(
            (
                name,
                "diffrax Kvaerno5",
                f"{int(acc_dfx)} / {int(rej_dfx)}",
                "",
                "",
                f"{e:.1e}",
                f"{timing['diffrax'] * 1e3:.0f}",
            )
        )
    dstats = SolverStats()
    try:
        odeint(
            f,
            y0,
            torch.tensor([0.0, dopri_end], dtype=torch.float64),
            method="dopri5",
            options={"stats": dstats, "max_num_steps": 200_000},
            **tol,
        )
        note = f"to t = {dopri_end:g} only"
    except Exception as exc:  # noqa: BLE001 - reported in the table
        note = type(exc).__name__
    rows.append(
        (
            name,
            "tsgrad dopri5",
            f"{dstats.n_accepted} / {dstats.n_rejected}",
            dstats.nfe,
            0,
            note,
            "",
        )
    )
    return rows


def stiff_rows(repeats: int) -> tuple[list, list]:
    """The stiff table: one row per (problem, solver); and the batch rows."""
    from scipy.integrate import solve_ivp

    from tsgrad.ode import SolverStats, odeint

    tol = dict(rtol=1e-6, atol=1e-10)
    jx = _jax()
    problems = [
        (
            "Robertson, t to 1e5",
            robertson(torch.tensor(ROBERTSON_K, dtype=torch.float64)),
            robertson_numpy(ROBERTSON_K),
            (robertson_jax, np.array(ROBERTSON_K)),
            [1.0, 0.0, 0.0],
            1e5,
            16.0,
        ),
        (
            "Van der Pol mu=1000, t to 3000",
            van_der_pol(1000.0),
            van_der_pol_numpy(1000.0),
            (van_der_pol_jax, 1000.0),
            [2.0, 0.0],
            3000.0,
            3.0,
        ),
    ]
    rows = []
    for problem in problems:
        rows += _stiff_problem_rows(*problem, repeats, jx)

    # A batch of 1024 Robertson systems with different rate constants.
    batch = 1024
    gen = torch.Generator().manual_seed(0)
    spread = 2.0 ** (2 * torch.rand(batch, 3, generator=gen, dtype=torch.float64) - 1)
    k = torch.tensor(ROBERTSON_K, dtype=torch.float64) * spread
    f = robertson(k)
    y0 = torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64).repeat(batch, 1)
    t = torch.tensor([0.0, 1e5], dtype=torch.float64)
    stats = SolverStats()
    y = odeint(f, y0, t, method="radau", options={"batch_dim": 0, "stats": stats}, **tol)

    def ours_batch():
        return odeint(f, y0, t, method="radau", options={"batch_dim": 0}, **tol)

    sample = 64

    def scipy_loop():
        out = []
        for b in range(sample):
            rhs, jac = robertson_numpy(k[b])
            sol = solve_ivp(rhs, (0, 1e5), [1.0, 0.0, 0.0], method="Radau", jac=jac, **tol)
            out.append(sol.y[:, -1])
        return out

    contenders = {"ours": ours_batch, "scipy": scipy_loop}
    if jx is not None:
        kvaerno = diffrax_solver(jx, robertson_jax, [1.0, 0.0, 0.0], 1e5, batched=True)
        k_np = k.numpy()
        compile_s = warm(lambda: kvaerno(k_np))
        y_dfx, acc_dfx, rej_dfx = kvaerno(k_np)
        contenders["diffrax"] = lambda: kvaerno(k_np)
    tm = interleaved(contenders, repeats=max(1, repeats // 2))
    refs = []
    for b in range(8):
        rhs, jac = robertson_numpy(k[b])
        sol = solve_ivp(
            rhs, (0, 1e5), [1.0, 0.0, 0.0], method="Radau", rtol=1e-12, atol=1e-16, jac=jac
        )
        refs.append(sol.y[:, -1])
    err = max(float(np.abs(y[-1, b].numpy() - refs[b]).max()) for b in range(8))
    scipy_1024 = tm["scipy"] * batch / sample
    brows = [
        (
            "tsgrad radau, batch_dim=0",
            f"{tm['ours']:.2f}",
            f"max {stats.n_accepted} / mean {sum(stats.per_sample_accepted) / batch:.0f} "
            f"accepted per sample; nfe {stats.nfe}, njev {stats.njev}, nlu {stats.nlu}; "
            f"error {err:.1e} (8 samples)",
        ),
        (
            f"scipy Radau, loop (64 timed, x{batch // sample})",
            f"{scipy_1024:.2f}",
            f"ours / scipy = {tm['ours'] / scipy_1024:.3f}x",
        ),
    ]
    if jx is None:
        brows.append(
            (
                "diffrax Kvaerno5, jax.vmap",
                "not run",
                "JAX / diffrax not installed; issue 13 quotes 2.45 s on this machine class",
            )
        )
    else:
        err_dfx = max(float(np.abs(np.asarray(y_dfx[b]) - refs[b]).max()) for b in range(8))
        brows.append(
            (
                "diffrax Kvaerno5, jax.vmap",
                f"{tm['diffrax']:.2f}",
                f"max {int(acc_dfx.max())} / mean {float(acc_dfx.mean()):.0f} accepted, max "
                f"{int(rej_dfx.max())} rejected per sample; error {err_dfx:.1e} (8 samples); "
                f"jit compilation {compile_s:.1f} s, not timed",
            )
        )
        brows.append(
            (
                "ours / diffrax",
                f"{tm['ours'] / tm['diffrax']:.2f}x",
                "target <= 0.5x (issue 13)",
            )
        )
    return rows, brows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="fewer repeats, small memory run")
    parser.add_argument("--part", choices=("all", "explicit", "stiff"), default="all")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    if args.part in ("all", "stiff"):
        rows, brows = stiff_rows(3 if args.quick else args.repeats)
        print(
            table(
                rows,
                (
                    "problem",
                    "solver",
                    "steps acc / rej",
                    "nfe",
                    "njev",
                    "error at t_end",
                    "time ms",
                ),
            )
        )
        print()
        print(table(brows, ("1024 Robertson systems", "time s", "notes")))
        if args.part == "stiff":
            return
    import torchdiffeq

    from tsgrad.ode import SolverStats, odeint, odeint_adjoint, odeint_checkpoint

    repeats = 3 if args.quick else args.repeats
    rows = []

    # 1. spiral -----------------------------------------------------------------------
    y0, t, f = spiral_problem()
    ref = spiral_reference(y0, t)
    ours_f, peer_f = Counter(f), Counter(f)
    y_ours = odeint(ours_f, y0, t, rtol=1e-7, atol=1e-9, method="dopri5")
    y_peer = torchdiffeq.odeint(peer_f, y0, t, rtol=1e-7, atol=1e-9, method="dopri5")
    err_ours = float((y_ours.double() - ref).abs().max())
    err_peer = float((y_peer.double() - ref).abs().max())

    def run_ours():
        return odeint(f, y0, t, rtol=1e-7, atol=1e-9, method="dopri5")

    def run_peer():
        return torchdiffeq.odeint(f, y0, t, rtol=1e-7, atol=1e-9, method="dopri5")

    warm(run_ours)
    warm(run_peer)
    tm = interleaved({"ours": run_ours, "peer": run_peer}, repeats=repeats)
    rows.append(
        (
            "spiral 256, dopri5, 1000 outputs",
            f"{tm['ours'] * 1e3:.1f}",
            f"{tm['peer'] * 1e3:.1f}",
            f"{tm['ours'] / tm['peer']:.2f}x",
            "<= 0.5x",
            f"err {err_ours:.1e} vs {err_peer:.1e}; nfe {ours_f.n} vs {peer_f.n}",
        )
    )

    # 2. neural ODE, adjoint forward + backward ---------------------------------------
    y0n, tn = neural_problem()
    mlp_ours, mlp_peer = MLP(), MLP()

    def adj_ours():
        return neural_grads(odeint_adjoint, mlp_ours, y0n, tn)

    def adj_peer():
        return neural_grads(torchdiffeq.odeint_adjoint, mlp_peer, y0n, tn)

    warm(adj_ours)
    warm(adj_peer)
    tm = interleaved({"ours": adj_ours, "peer": adj_peer}, repeats=repeats)
    g_backprop = neural_grads(odeint, MLP(), y0n, tn)
    g_ckpt = neural_grads(odeint_checkpoint, MLP(), y0n, tn)

    def rel(g):
        return float((g - g_backprop).norm() / g_backprop.norm())

    rows.append(
        (
            "neural ODE 2-50-2, adjoint fwd+bwd",
            f"{tm['ours'] * 1e3:.1f}",
            f"{tm['peer'] * 1e3:.1f}",
            f"{tm['ours'] / tm['peer']:.2f}x",
            "<= 0.7x",
            f"grad vs backprop: ours {rel(adj_ours()):.1e}, tdq {rel(adj_peer()):.1e}, "
            f"checkpoint {rel(g_ckpt):.1e}",
        )
    )

    def ckpt():
        return neural_grads(odeint_checkpoint, mlp_ours, y0n, tn)

    warm(ckpt)
    tm2 = interleaved({"ours": ckpt, "peer": adj_peer}, repeats=repeats)
    rows.append(
        (
            "neural ODE, odeint_checkpoint fwd+bwd",
            f"{tm2['ours'] * 1e3:.1f}",
            f"{tm2['peer'] * 1e3:.1f}",
            f"{tm2['ours'] / tm2['peer']:.2f}x",
            "(vs tdq adjoint)",
            "exact gradient",
        )
    )

    # 3. memory -----------------------------------------------------------------------
    # The adjoint runs with a larger state (its footprint is a few states, so fixed
    # allocator overheads would otherwise dominate); the others with a smaller one (their
    # footprint grows with the steps).
    plan = {
        "adjoint": (100, 1000 if args.quick else 10_000, 4096),
        "checkpoint": (100, 1000, 1024),
        "backprop": (100, 1000, 1024),
    }
    for kind, (lo_steps, hi_steps, batch) in plan.items():
        lo, hi = peak_memory(kind, lo_steps, batch), peak_memory(kind, hi_steps, batch)
        rows.append(
            (
                f"peak memory {kind}, {lo_steps} -> {hi_steps} steps",
                f"{lo:.1f} MiB",
                f"{hi:.1f} MiB",
                f"{hi / max(lo, 1e-9):.2f}x",
                "flat (<= 1.1x)" if kind == "adjoint" else "",
                f"rk4, state {batch}x16, MLP 16-32-16 (ours only)",
            )
        )

    # 4. per-sample step control on a stiff-ish batch ------------------------------------
    mu = torch.linspace(1.0, 25.0, 256, dtype=torch.float64)

    def vdp(t, y):
        x, v = y[:, 0], y[:, 1]
        return torch.stack([v, mu * (1 - x**2) * v - x], dim=1)

    y0v = torch.tensor([2.0, 0.0], dtype=torch.float64).repeat(256, 1)
    tv = torch.linspace(0.0, 10.0, 100, dtype=torch.float64)
    joint, per = SolverStats(), SolverStats()
    odeint(vdp, y0v, tv, rtol=1e-6, atol=1e-8, options={"stats": joint})
    odeint(vdp, y0v, tv, rtol=1e-6, atol=1e-8, options={"stats": per, "batch_dim": 0})
    mean_steps = sum(per.per_sample_accepted) / len(per.per_sample_accepted)

    def run_joint():
        return odeint(vdp, y0v, tv, rtol=1e-6, atol=1e-8)

    def run_per():
        return odeint(vdp, y0v, tv, rtol=1e-6, atol=1e-8, options={"batch_dim": 0})

    def run_tdq():
        return torchdiffeq.odeint(vdp, y0v, tv, rtol=1e-6, atol=1e-8)

    warm(run_per)
    tm3 = interleaved({"ours": run_per, "joint": run_joint, "peer": run_tdq}, repeats=repeats)
    rows.append(
        (
            "Van der Pol x256, mu 1..25, per-sample",
            f"{tm3['ours'] * 1e3:.1f}",
            f"{tm3['peer'] * 1e3:.1f}",
            f"{tm3['ours'] / tm3['peer']:.2f}x",
            "steps <= 0.5x joint",
            f"mean steps/sample {mean_steps:.0f} vs joint {joint.n_accepted} "
            f"({mean_steps / joint.n_accepted:.2f}x); ours joint {tm3['joint'] * 1e3:.0f} ms",
        )
    )

    print(table(rows, ("benchmark", "ours ms", "torchdiffeq ms", "ratio", "target", "notes")))


if __name__ == "__main__":
    main()

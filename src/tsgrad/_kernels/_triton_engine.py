"""Triton engine of the alignment DPs: the engine interface of :mod:`._numba_engine` (cost
matrices, and squared-Euclidean costs made inside the kernels) for CUDA tensors (CPU
tensors under ``TRITON_INTERPRET=1``).

The kernels are in :mod:`._triton_kernels` (design, layout and numerics there); this
module only allocates, launches and returns torch tensors on the input's device.  Triton
is imported on first use, never when tsgrad is imported: :func:`available` tells whether
the engine can run a tensor.

Precision: float64 inputs are computed in float64, every other floating dtype in float32
(float32 tables, as the inputs' precision).  In float32 a weight that mixes soft-min terms
of comparable size is off by up to ``ulp(V) / gamma`` relative (``V`` the stored soft
minimum, about the accumulated cost); DILATE's temporal gradients carry about
``eps / gamma`` (docs/gpu.md measures both).

Memory (``B`` problems of ``n x m`` cells, ``s`` bytes per float of the compute dtype):
the forward state of the cost-matrix route keeps the table ``R``, ``B n m s``, and the
cost matrices (a reference, unless they had to be cast); the fused squared-Euclidean
value + gradient needs that table only inside the call, and DILATE a second one (the
tangent); values alone store no table.  Programs of several warps also
take a scratch of ``8 B BLOCK s`` (``BLOCK`` = ``n`` rounded up to a power of two).
"""

from __future__ import annotations

import importlib.util
import os
import sys
import weakref
from dataclasses import dataclass

import numpy as np
import torch

from ._bands import Bands

_KERNELS = "tsgrad._kernels._triton_kernels"


def _kernels():
    from . import _triton_kernels

    return _triton_kernels


def interpret_flag() -> bool:
    """``TRITON_INTERPRET`` as Triton reads it now (it does when kernels are defined)."""
    import triton

    knobs = getattr(triton, "knobs", None)  # Triton >= 3.4
    if knobs is not None:
        return bool(knobs.runtime.interpret)
    return os.environ.get("TRITON_INTERPRET", "0").lower() in ("1", "true", "on", "yes")


def _interpreting() -> bool:
    """Whether the kernels run in Triton's interpreter: as read when they were defined,
    or, before that, as it would be read now."""
    if _KERNELS in sys.modules:
        return sys.modules[_KERNELS].INTERPRET
    return interpret_flag()


def available(x: torch.Tensor) -> bool:
    """Whether the Triton engine can run tensors like ``x``: Triton importable, and ``x``
    on a CUDA device, or on the CPU under ``TRITON_INTERPRET=1`` (tests)."""
    if x.device.type not in ("cuda", "cpu") or importlib.util.find_spec("triton") is None:
        return False
    try:
        interpreting = _interpreting()
    except Exception:  # a broken Triton install: the engine cannot run
        return False
    return x.device.type == "cuda" or interpreting


def compute_dtype(dtype: torch.dtype) -> torch.dtype:
    """float64 for float64 inputs, float32 for every other dtype."""
    return torch.float64 if dtype == torch.float64 else torch.float32


def _block(n: int) -> int:
    """Lanes of a problem: its rows ``n``, rounded up to a power of two (at least 16)."""
    return max(16, 1 << max(0, n - 1).bit_length())


# Short series run several problems a program, LANES_PER_PROGRAM lanes in all (to be tuned
# on a GPU).  The interpreter runs up to INTERPRETER_PROBLEMS problems a program (a whole
# test batch), since its cost is per operation, whatever the size of the tiles.
LANES_PER_PROGRAM = 64
INTERPRETER_PROBLEMS = 64
# How lanes exchange a diagonal: "gather" (tl.gather: warp shuffles, no barrier) for
# one-warp programs, "scratch" (global scratch and a barrier) otherwise; the kernels'
# tl.gather on several warps goes through shared memory with generic code, far slower
# than a shift needs.  "gather" / "scratch" force one (tests, tuning).
EXCHANGE = "auto"
# Warps a program, when set (tuning: benchmarks/bench_gpu.py --tune); None: the rule below.
# At most one warp per 32 lanes: lanes held by several threads of different warps would
# update a column's gradient twice.
WARPS: int | None = None


def _gather(warps: int) -> bool:
    return EXCHANGE == "gather" or (EXCHANGE == "auto" and warps == 1)


def _launch_shape(B: int, n: int) -> tuple[int, int, int, int]:
    """``(problems a program P, lanes a problem BLOCK, programs, warps)``."""
    block = _block(n)
    if _kernels().INTERPRET:
        P = min(INTERPRETER_PROBLEMS, 1 << max(0, B - 1).bit_length())
    else:
        P = max(1, LANES_PER_PROGRAM // block)
    # About two lanes a thread, at most 16 warps: at 32 warps (1024 threads) a thread may
    # hold only 64 registers, and the float64 kernels spill (ptxas for sm_90).
    warps = min(16, max(1, P * block // 64)) if WARPS is None else WARPS
    return P, block, -(-B // P), warps


@dataclass(frozen=True)
class DeviceBands:
    """:class:`Bands` of a batch as int32 tensors on the device of its problems."""

    n: int
    m: int
    lx: torch.Tensor  # (B,)
    ly: torch.Tensor  # (B,)
    lo: torch.Tensor  # (B, n)
    hi: torch.Tensor  # (B, n)
    feasible: torch.Tensor  # (B,) 0 / 1

    @property
    def batch(self) -> int:
        return self.lx.shape[0]


_ON_DEVICE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def device_bands(bands: Bands | DeviceBands, m: int, device: torch.device) -> DeviceBands:
    """``bands`` (of problems with ``m`` padded columns) on ``device``, in one copy, kept
    with the :class:`Bands` object: the losses reuse one per batch shape (a training
    loop's steps copy nothing)."""
    if isinstance(bands, DeviceBands):
        return bands
    copies = _ON_DEVICE.setdefault(bands, {})
    key = (torch.device(device), int(m))
    if key not in copies:
        copies[key] = _copy_to_device(bands, int(m), torch.device(device))
    return copies[key]


def _copy_to_device(bands: Bands, m: int, device: torch.device) -> DeviceBands:
    B, n = bands.lo.shape
    host = np.empty((B, 2 * n + 3), dtype=np.int32)
    host[:, :n] = bands.lo
    host[:, n : 2 * n] = bands.hi
    host[:, 2 * n] = bands.lx
    host[:, 2 * n + 1] = bands.ly
    host[:, 2 * n + 2] = bands.feasible
    dev = torch.from_numpy(host).to(device)
    return DeviceBands(
        n=int(n),
        m=int(m),
        lx=dev[:, 2 * n].contiguous(),
        ly=dev[:, 2 * n + 1].contiguous(),
        lo=dev[:, :n].contiguous(),
        hi=dev[:, n : 2 * n].contiguous(),
        feasible=dev[:, 2 * n + 2].contiguous(),
    )


def full_device_bands(lx: torch.Tensor, ly: torch.Tensor, n: int, m: int) -> DeviceBands:
    """Unconstrained :class:`DeviceBands` of problems of lengths ``lx``, ``ly`` (integer
    tensors ``(B,)`` on the device, ``<= n``, ``<= m``), built on the device: no host
    round trip (padding masks give the lengths as ``mask.sum(1)``)."""
    lx = lx.to(torch.int32)
    ly = ly.to(torch.int32)
    rows = torch.arange(n, device=lx.device, dtype=torch.int32)[None, :] < lx[:, None]
    hi = torch.where(rows, ly[:, None], 0).to(torch.int32)
    feasible = ((lx > 0) & (ly > 0)).to(torch.int32)
    return DeviceBands(int(n), int(m), lx, ly, torch.zeros_like(hi), hi, feasible)


class _on:
    """Launch on ``device``: Triton launches on the current CUDA device, which need not be
    the tensors' (``cuda:1`` while ``cuda:0`` is current)."""

    def __init__(self, device):
        device = torch.device(device)
        self.guard = torch.cuda.device(device) if device.type == "cuda" else None

    def __enter__(self):
        if self.guard is not None:
            self.guard.__enter__()

    def __exit__(self, *exc):
        if self.guard is not None:
            self.guard.__exit__(*exc)


def _scratch(lanes: int, warps: int, dt, device) -> torch.Tensor:
    """The kernels' exchange buffer: 2 x 4 tiles of ``lanes``; unused by warp shuffles."""
    return torch.empty(1 if _gather(warps) else 8 * lanes, dtype=dt, device=device)


def _launch_forward(
    db: DeviceBands,
    dt: torch.dtype,
    device,
    *,
    cost: int,
    X: torch.Tensor,
    Y: torch.Tensor | None = None,
    gamma: float | None = None,
    store: bool = False,
    zmode: int = 0,
    Z: torch.Tensor | None = None,
):
    """Run :func:`._triton_kernels.forward_kernel`; returns ``(values, tangent end values
    or None, R table or None, Rd table or None)``."""
    tk = _kernels()
    B, n, m = db.batch, db.n, db.m
    P, block, programs, warps = _launch_shape(B, n)
    val = torch.empty(B, dtype=dt, device=device)
    tval = torch.empty(B, dtype=dt, device=device) if zmode else val
    R = torch.empty((B, n * m), dtype=dt, device=device) if store else val
    Rd = torch.empty((B, n * m), dtype=dt, device=device) if store and zmode else val
    g = torch.full((1,), 1.0 if gamma is None else float(gamma), dtype=dt, device=device)
    scratch = _scratch(programs * P * block, warps, dt, device)
    Y = X if Y is None else Y
    Zt = val if Z is None else Z
    zs = Z.stride() if Z is not None else (0, 0, 0)
    if B:
        with _on(device):
            tk.forward_kernel[(programs,)](
                X, Y, *X.stride(), *Y.stride(),
                Zt, *zs,
                db.lo, db.hi, db.lx, db.ly, db.feasible, g,
                val, tval, R, Rd, scratch,
                B, n, m, X.shape[2] if cost else 1,
                P=P, BLOCK=block, COST=cost, HARD=gamma is None, STORE=store, ZMODE=zmode,
                UNIVARIATE=bool(cost) and X.shape[2] == 1, GATHER=_gather(warps),
                num_warps=warps, num_stages=1,
            )  # fmt: skip
    return (
        val,
        tval if zmode else None,
        R if store else None,
        Rd if store and zmode else None,
    )


def _launch_reverse(
    db: DeviceBands,
    device,
    gamma: float,
    R: torch.Tensor,
    *,
    cost: int,
    X: torch.Tensor,
    Y: torch.Tensor | None = None,
    zmode: int = 0,
    Z: torch.Tensor | None = None,
    Rd: torch.Tensor | None = None,
):
    """Run :func:`._triton_kernels.reverse_kernel`.  Returns ``(E, Ed or None)`` ``(B, n,
    m)`` for cost matrices (``cost == 0``), ``(gx, gy, gxt or None, gyt or None)`` for the
    squared-Euclidean cost."""
    tk = _kernels()
    dt = R.dtype
    B, n, m = db.batch, db.n, db.m
    P, block, programs, warps = _launch_shape(B, n)
    g = torch.full((1,), float(gamma), dtype=dt, device=device)
    scratch = _scratch(programs * P * block, warps, dt, device)
    Y = X if Y is None else Y
    Zt = g if Z is None else Z
    zs = Z.stride() if Z is not None else (0, 0, 0)
    Rd = g if Rd is None else Rd
    if cost == 0:
        E = torch.zeros((B, n, m), dtype=dt, device=device)
        Ed = torch.zeros_like(E) if zmode else E
        outs = (E, Ed, g, g, g, g)
        es = E.stride()
        d = 1
    else:
        d = X.shape[2]
        # the univariate kernels write every row of gx (their rows stay in registers)
        new_gx = torch.empty if d == 1 else torch.zeros
        gx = new_gx((B, n, d), dtype=dt, device=device)
        gy = torch.zeros((B, m, d), dtype=dt, device=device)
        gxt = new_gx((B, n, d), dtype=dt, device=device) if zmode else gx
        gyt = torch.zeros_like(gy) if zmode else gy
        outs = (g, g, gx, gy, gxt, gyt)
        es = (0, 0, 0)
    if B:
        with _on(device):
            tk.reverse_kernel[(programs,)](
                X, Y, *X.stride(), *Y.stride(),
                Zt, *zs,
                db.lx, db.ly, db.feasible, g,
                R, Rd, outs[0], outs[1], *es,
                *outs[2:], scratch,
                B, n, m, d,
                P=P, BLOCK=block, COST=cost, ZMODE=zmode, UNIVARIATE=bool(cost) and d == 1,
                GATHER=_gather(warps), num_warps=warps, num_stages=1,
            )  # fmt: skip
    if cost == 0:
        return outs[0], (outs[1] if zmode else None)
    return outs[2], outs[3], (outs[4] if zmode else None), (outs[5] if zmode else None)


def _series(X: torch.Tensor, Y: torch.Tensor):
    dt = compute_dtype(torch.promote_types(X.dtype, Y.dtype))
    return X.detach().to(dt), Y.detach().to(dt), dt


def _matrix(D: torch.Tensor, bands):
    """Cost matrices in the compute dtype and their bands on their device."""
    return D.detach().to(compute_dtype(D.dtype)), device_bands(bands, D.shape[2], D.device)


@dataclass(frozen=True)
class _State:
    """What the reverse passes over cost matrices need: the forward's table and the costs
    (the weights are recomputed from both)."""

    R: torch.Tensor  # (B, n m) in the compute dtype
    D: torch.Tensor  # (B, n, m) in the compute dtype
    bands: DeviceBands
    gamma: float | None  # None: hard DTW


class TritonEngine:
    """The engine interface of :mod:`._numba_engine` on Triton kernels: torch tensors in
    (CUDA, or CPU under ``TRITON_INTERPRET=1``), tensors of the compute dtype out, on the
    input's device.  ``bands`` are :class:`Bands` (copied to the device at each call) or
    :class:`DeviceBands`.

    The forward state over cost matrices holds the table ``R`` and the costs; the reverse
    passes recompute the soft-min weights from both.  ``softdtw_hvp`` recomputes ``E``
    with the Hessian-vector product (the same kernel code as :meth:`softdtw_backward`), so
    its ``E`` argument is not read.  The numba routes (``store_weights``, ``route``) are
    accepted and ignored: this engine stores no weights and has one route.
    """

    name = "triton"

    # ---------------------------------------------------------------- cost matrices
    @staticmethod
    def softdtw_values(D: torch.Tensor, gamma: float, bands) -> torch.Tensor:
        """Soft-DTW values ``(B,)`` of cost matrices ``D`` ``(B, n, m)`` (no table)."""
        Dc, db = _matrix(D, bands)
        return _launch_forward(db, Dc.dtype, Dc.device, cost=0, X=Dc, gamma=gamma)[0]

    @staticmethod
    def softdtw_forward(D: torch.Tensor, gamma: float, bands, store_weights: bool = False):
        """``(state, values (B,))``."""
        Dc, db = _matrix(D, bands)
        val, _, R, _ = _launch_forward(
            db, Dc.dtype, Dc.device, cost=0, X=Dc, gamma=gamma, store=True
        )
        return _State(R, Dc, db, gamma), val

    @staticmethod
    def softdtw_backward(state: _State) -> torch.Tensor:
        """The expected alignments ``E`` ``(B, n, m)``."""
        return _launch_reverse(
            state.bands, state.D.device, state.gamma, state.R, cost=0, X=state.D
        )[0]

    @staticmethod
    def softdtw_hvp(state: _State, E, Z: torch.Tensor) -> torch.Tensor:
        """The Hessian-vector products ``(d^2 V / dD^2) Z`` ``(B, n, m)``."""
        Dc, db, g = state.D, state.bands, state.gamma
        Zc = Z.detach().to(dtype=Dc.dtype, device=Dc.device)
        _, _, R, Rd = _launch_forward(
            db, Dc.dtype, Dc.device, cost=0, X=Dc, gamma=g, store=True, zmode=1, Z=Zc
        )
        return _launch_reverse(db, Dc.device, g, R, cost=0, X=Dc, zmode=1, Z=Zc, Rd=Rd)[1]

    @staticmethod
    def dtw_forward(D: torch.Tensor, bands):
        """``(state, hard-DTW values (B,))``."""
        Dc, db = _matrix(D, bands)
        val, _, R, _ = _launch_forward(db, Dc.dtype, Dc.device, cost=0, X=Dc, store=True)
        return _State(R, Dc, db, None), val

    @staticmethod
    def dtw_path_matrix(state: _State) -> torch.Tensor:
        """0/1 matrices ``(B, n, m)`` of the optimal paths (ties: diagonal, up, left)."""
        R, db = state.R, state.bands
        B, n, m = db.batch, db.n, db.m
        A = torch.zeros((B, n, m), dtype=R.dtype, device=R.device)
        if B:
            with _on(R.device):
                _kernels().path_kernel[(B,)](
                    R, A, *A.stride(), db.lx, db.ly, db.feasible, n, m, num_warps=1, num_stages=1
                )
        return A

    # ---------------------------------------------------------------- series
    @staticmethod
    def sqeuclidean_softdtw(X, Y, gamma: float, bands, grad: bool, route=None):
        """Soft-DTW values ``(B,)`` of the squared Euclidean costs of ``X`` ``(B, n, d)``,
        ``Y`` ``(B, m, d)`` and, with ``grad``, their gradients ``(B, n, d)``,
        ``(B, m, d)`` (else None); values alone store no table."""
        Xc, Yc, dt = _series(X, Y)
        db = device_bands(bands, Y.shape[1], X.device)
        val, _, R, _ = _launch_forward(
            db, dt, X.device, cost=1, X=Xc, Y=Yc, gamma=gamma, store=grad
        )
        if not grad:
            return val, None, None
        gx, gy, _, _ = _launch_reverse(db, X.device, gamma, R, cost=1, X=Xc, Y=Yc)
        return val, gx, gy

    @staticmethod
    def sqeuclidean_dilate(X, Y, gamma: float, bands, grad: bool, route=None):
        """DILATE's shape ``(B,)`` and temporal ``(B,)`` terms of outputs ``X``
        ``(B, n, d)`` and targets ``Y`` ``(B, m, d)`` (temporal ``<E, Omega> / k^2``,
        ``k = ly``) and, with ``grad``, the gradients of each w.r.t. ``X`` and ``Y``
        (``gxs, gys, gxt, gyt``; else None).  Values alone run the forward and its tangent
        only (the temporal term is the tangent's end value)."""
        Xc, Yc, dt = _series(X, Y)
        db = device_bands(bands, Y.shape[1], X.device)
        shape, temporal, R, Rd = _launch_forward(
            db, dt, X.device, cost=1, X=Xc, Y=Yc, gamma=gamma, store=grad, zmode=2
        )
        if not grad:
            return shape, temporal, None, None, None, None
        grads = _launch_reverse(db, X.device, gamma, R, cost=1, X=Xc, Y=Yc, zmode=2, Rd=Rd)
        return (shape, temporal, *grads)

    @staticmethod
    def sqeuclidean_dtw(X, Y, bands) -> torch.Tensor:
        """Hard-DTW values ``(B,)`` of the squared Euclidean costs (no table)."""
        Xc, Yc, dt = _series(X, Y)
        db = device_bands(bands, Y.shape[1], X.device)
        return _launch_forward(db, dt, X.device, cost=1, X=Xc, Y=Yc)[0]

"""Anti-diagonal (wavefront) versions of the alignment DPs in array code: PyTorch tensors on
any device, and NumPy arrays.

The cells ``(i, j)`` of one anti-diagonal ``i + j = k`` only depend on the two previous
anti-diagonals, so each diagonal is one vectorized step over the whole batch.  The tables
are stored *skewed*: padded cell ``(I, J)`` (``I = i + 1``, ``J = j + 1``, as in
``R[b, I, J]`` of the numba kernels) lives at ``S[b, I + J, I]``, so that a diagonal and its
predecessors are plain slices (no gathers inside the loop):

* ``(I - 1, J - 1)`` -> ``S[:, K - 2, I - 1]``,  ``(I - 1, J)`` -> ``S[:, K - 1, I - 1]``,
  ``(I, J - 1)`` -> ``S[:, K - 1, I]``.

The skewed tables ``(B, n + m + 1, n + 1)`` are private to this engine (the autograd
Functions pass them back to it untouched); cost matrices, ``E`` and the Hessian-vector
products go in and out as ``(B, n, m)`` arrays of the input's kind, on the input's device.
The two array libraries differ in a few calls only, which :class:`_Torch` and
:class:`_NumPy` provide.

This engine runs tensors on devices that have neither numba nor Triton (Apple MPS), and
NumPy arrays and CPU tensors while the numba kernels are not compiled yet (a new
installation's first calls, see :mod:`._warm`).  It stores full tables: the router sends it
only problems whose tables fit (:data:`._router.THRESHOLDS`).

Precision: the tables are float64 (soft-min weights ``exp(diff / gamma)`` need it at small
``gamma``), except on devices without float64 (Apple MPS), where the input's floating dtype
(float32) is used and small ``gamma`` loses accuracy.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from ._bands import Bands

_INF = float("inf")


class _NumPy:
    """The array calls of the engine, in NumPy (float64 tables)."""

    @staticmethod
    def float_table(D):
        return np.asarray(D, dtype=np.float64)

    @staticmethod
    def index(a, like):
        return np.asarray(a)

    full_like = staticmethod(np.full_like)
    where = staticmethod(np.where)
    stack = staticmethod(np.stack)
    exp = staticmethod(np.exp)
    isfinite = staticmethod(np.isfinite)
    minimum = staticmethod(np.minimum)

    @staticmethod
    def logsumexp0(a):
        """``log(sum(exp(a), axis=0))``, ``-inf`` where every term is ``-inf``."""
        top = a.max(axis=0)
        shift = np.where(np.isfinite(top), top, 0.0)
        with np.errstate(divide="ignore"):
            return shift + np.log(np.exp(a - shift).sum(axis=0))

    @staticmethod
    def clamp_max0(a):
        return np.minimum(a, 0.0)

    @staticmethod
    def pad_tail(a, last: int, middle: int, value):
        """``a`` ``(B, K, I)`` padded with ``middle`` rows and ``last`` columns of ``value``."""
        B, K, I = a.shape
        out = np.full((B, K + middle, I + last), value, dtype=a.dtype)
        out[:, :K, :I] = a
        return out

    @staticmethod
    def zeros_like(a, dtype=None):
        return np.zeros_like(a, dtype=dtype)

    @staticmethod
    def zeros(shape, like):
        return np.zeros(shape, dtype=like.dtype)

    @staticmethod
    def arange(n, like):
        return np.arange(n)

    @staticmethod
    def copy(a):
        return a.copy()

    @staticmethod
    def as_int(a):
        return a.astype(np.int64)

    bool = np.bool_


class _Torch:
    """The same calls in PyTorch (any device; float64, or float32 where it is missing)."""

    def __init__(self):
        import torch

        self.torch = torch
        self.bool = torch.bool

    def float_table(self, D):
        dtype = self.torch.float32 if D.device.type == "mps" else self.torch.float64
        return D.detach().to(dtype)

    def index(self, a, like):
        return self.torch.as_tensor(a, device=like.device)

    def full_like(self, a, value):
        return self.torch.full_like(a, value)

    def where(self, cond, a, b):
        return self.torch.where(cond, a, b)

    def stack(self, arrays):
        return self.torch.stack(arrays)

    def exp(self, a):
        return self.torch.exp(a)

    def isfinite(self, a):
        return self.torch.isfinite(a)

    def minimum(self, a, b):
        return self.torch.minimum(a, b)

    def logsumexp0(self, a):
        return self.torch.logsumexp(a, dim=0)

    def clamp_max0(self, a):
        return self.torch.clamp(a, max=0.0)

    def pad_tail(self, a, last: int, middle: int, value):
        return self.torch.nn.functional.pad(a, (0, last, 0, middle), value=value)

    def zeros_like(self, a, dtype=None):
        return self.torch.zeros_like(a, dtype=dtype)

    def zeros(self, shape, like):
        return self.torch.zeros(shape, dtype=like.dtype, device=like.device)

    def arange(self, n, like):
        return self.torch.arange(n, device=like.device)

    @staticmethod
    def copy(a):
        return a.clone()

    @staticmethod
    def as_int(a):
        return a.long()


def _ops(x) -> Any:
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(x, torch.Tensor):
        return _torch_ops()
    return _NumPy


@lru_cache(maxsize=1)
def _torch_ops():
    return _Torch()


def compute_dtype(device) -> Any:
    """float64, or float32 on devices that have no float64 (MPS)."""
    import torch

    return torch.float32 if torch.device(device).type == "mps" else torch.float64


@dataclass(frozen=True)
class _WaveBands:
    """Bands of a batch, in the skewed layout, as arrays of the input's kind and device."""

    n: int
    m: int
    lx: Any  # (B,) int64
    ly: Any  # (B,) int64
    valid: Any  # (B, n + m + 1, n + 1) bool: admissible cells (padded coords)
    skew: Any  # (n + m + 1, n + 1) int64: flat index i * m + j, or 0 outside
    inside: Any  # (n + m + 1, n + 1) bool: 1 <= I <= n and 1 <= J <= m
    unskew: Any  # (n * m,) int64: flat skewed index of cell (i, j)


@lru_cache(maxsize=32)
def _skew_indices(n: int, m: int):
    K = np.arange(n + m + 1)[:, None]
    I = np.arange(n + 1)[None, :]
    J = K - I
    inside = (I >= 1) & (J >= 1) & (J <= m)
    skew = np.where(inside, (I - 1) * m + (J - 1), 0)
    i = np.arange(n)[:, None]
    j = np.arange(m)[None, :]
    unskew = ((i + j + 2) * (n + 1) + (i + 1)).reshape(-1)
    return skew, inside, unskew


def _skew(X, wb: _WaveBands, fill, xp) -> Any:
    """``(B, n, m)`` -> skewed ``(B, n + m + 1, n + 1)``, ``fill`` outside the matrix."""
    B = X.shape[0]
    flat = X.reshape(B, -1)[:, wb.skew.reshape(-1)].reshape(B, *wb.skew.shape)
    return xp.where(wb.inside, flat, fill)


def _unskew(S, wb: _WaveBands):
    """Skewed ``(B, n + m + 1 (+ pad), n + 1 (+ pad))`` -> ``(B, n, m)``."""
    B = S.shape[0]
    S = S[:, : wb.n + wb.m + 1, : wb.n + 1]
    return S.reshape(B, -1)[:, wb.unskew].reshape(B, wb.n, wb.m)


def _diag_range(K: int, n: int, m: int) -> tuple[int, int]:
    """Padded rows ``I`` of anti-diagonal ``K`` inside the matrix: ``lo <= I < hi``."""
    return max(1, K - m), min(n, K - 1) + 1


@dataclass(frozen=True)
class _State:
    S: Any  # skewed table (B, n + m + 1, n + 1)
    wb: _WaveBands
    gamma: float
    xp: Any
    soft: Any = None  # soft-DTW: each cell's soft minimum of its predecessors (skewed)


def _wave_bands(bands: Bands, n: int, m: int, like, xp) -> _WaveBands:
    skew, inside, unskew = (xp.index(a, like) for a in _skew_indices(n, m))
    lo, hi = xp.index(bands.lo, like), xp.index(bands.hi, like)
    lx, ly = xp.index(bands.lx, like), xp.index(bands.ly, like)
    j = xp.arange(m, like)
    rows = xp.arange(n, like)
    adm = (j >= lo[:, :, None]) & (j < hi[:, :, None])
    adm &= rows[None, :, None] < lx[:, None, None]
    adm = adm & xp.index(np.asarray(bands.feasible, dtype=bool), like)[:, None, None]
    wb = _WaveBands(n, m, lx, ly, None, skew, inside, unskew)
    return _WaveBands(n, m, lx, ly, _skew(adm, wb, False, xp), skew, inside, unskew)


class WavefrontEngine:
    """The engine interface of :mod:`._numba_engine` in array code (PyTorch on any device,
    or NumPy); cost matrices only (the router builds them for the squared Euclidean
    cost)."""

    name = "wavefront"

    @staticmethod
    def _prepare(D, bands: Bands):
        xp = _ops(D)
        B, n, m = D.shape
        Dt = xp.float_table(D)
        wb = _wave_bands(bands, n, m, Dt, xp)
        return _skew(Dt, wb, _INF, xp), wb, xp

    @staticmethod
    def _values(S, wb: _WaveBands, xp):
        b = xp.arange(S.shape[0], S)
        return S[b, wb.lx + wb.ly, wb.lx]

    @staticmethod
    def softdtw_values(D, gamma: float, bands: Bands):
        return WavefrontEngine.softdtw_forward(D, gamma, bands, False)[1]

    @staticmethod
    def softdtw_forward(D, gamma: float, bands: Bands, store_weights: bool):
        """``(state, values)``; the weights are always recomputed (``store_weights`` is the
        numba engine's choice)."""
        Ds, wb, xp = WavefrontEngine._prepare(D, bands)
        with np.errstate(invalid="ignore", over="ignore"):
            S, val = WavefrontEngine._softdtw_table(Ds, gamma, wb, xp)
        return _State(S, wb, gamma, xp, soft=Ds), val

    @staticmethod
    def softdtw_backward(state: _State):
        with np.errstate(invalid="ignore", over="ignore"):
            return WavefrontEngine._softdtw_backward(
                state.S, state.soft, state.gamma, state.wb, state.xp
            )

    @staticmethod
    def softdtw_hvp(state: _State, E, Z):
        with np.errstate(invalid="ignore", over="ignore"):
            return WavefrontEngine._softdtw_hvp(
                state.S, state.soft, E, Z, state.gamma, state.wb, state.xp
            )

    @staticmethod
    def dtw_forward(D, bands: Bands):
        Ds, wb, xp = WavefrontEngine._prepare(D, bands)
        with np.errstate(invalid="ignore"):
            S, val = WavefrontEngine._dtw_table(Ds, wb, xp)
        return _State(S, wb, 0.0, xp), val

    @staticmethod
    def dtw_path_matrix(state: _State):
        return WavefrontEngine._dtw_path_matrix(state.S, state.wb, state.xp)

    # ---------------------------------------------------------------------- soft-DTW
    @staticmethod
    def _softdtw_table(Ds, gamma: float, wb: _WaveBands, xp):
        """The skewed table ``S`` and the values; ``Ds`` (the skewed costs, a copy) is
        overwritten diagonal by diagonal with each cell's soft minimum of its predecessors,
        which the backward passes need (recomputing it there costs a third of their time)."""
        n, m = wb.n, wb.m
        S = xp.full_like(Ds, _INF)
        S[:, 0, 0] = 0.0
        for K in range(2, n + m + 1):
            a, c = _diag_range(K, n, m)
            prev = xp.stack(
                (S[:, K - 2, a - 1 : c - 1], S[:, K - 1, a - 1 : c - 1], S[:, K - 1, a:c])
            )
            soft = -gamma * xp.logsumexp0(prev / -gamma)
            S[:, K, a:c] = xp.where(wb.valid[:, K, a:c], Ds[:, K, a:c] + soft, _INF)
            Ds[:, K, a:c] = soft
        return S, WavefrontEngine._values(S, wb, xp)

    @staticmethod
    def _succ_terms(S, soft, wb: _WaveBands, xp):
        """``Q`` = each cell's soft minimum of its predecessors (``soft``, from the
        forward), on admissible finite cells, ``-inf`` elsewhere, padded by 2.

        The soft-min weight of predecessor ``p`` in the recursion of cell ``s`` is
        ``exp(min((Q[s] - R[p]) / gamma, 0))``.  ``Q`` is the soft minimum the forward
        computed from the predecessors, not ``R - D``: that difference loses the digits the
        weights need when ``R`` is large against ``gamma``.  ``Q = -inf`` makes the weights of cells
        that are not admissible 0, without NaNs.
        """
        ok = wb.valid & xp.isfinite(S)
        Q = xp.where(ok, soft, -_INF)
        return xp.pad_tail(Q, 1, 2, -_INF), ok

    @staticmethod
    def _softdtw_backward(S, soft, gamma: float, wb: _WaveBands, xp):
        B, n, m = S.shape[0], wb.n, wb.m
        Q, ok = WavefrontEngine._succ_terms(S, soft, wb, xp)
        Es = xp.zeros_like(Q)
        bidx = xp.arange(B, S)
        term = xp.zeros_like(Q, dtype=xp.bool)
        term[bidx, wb.lx + wb.ly, wb.lx] = True
        term &= xp.pad_tail(ok, 1, 2, False)
        inv = 1.0 / gamma

        def weight(q, r):
            return xp.exp(xp.clamp_max0((q - r) * inv))

        for K in range(n + m, 1, -1):
            a, c = _diag_range(K, n, m)
            r = S[:, K, a:c]
            acc = (
                Es[:, K + 1, a:c] * weight(Q[:, K + 1, a:c], r)
                + Es[:, K + 1, a + 1 : c + 1] * weight(Q[:, K + 1, a + 1 : c + 1], r)
                + Es[:, K + 2, a + 1 : c + 1] * weight(Q[:, K + 2, a + 1 : c + 1], r)
            )
            acc = xp.where(ok[:, K, a:c], acc, 0.0)
            Es[:, K, a:c] = xp.where(term[:, K, a:c], 1.0, acc)
        return _unskew(Es, wb)

    @staticmethod
    def _softdtw_hvp(S, soft, E, Z, gamma: float, wb: _WaveBands, xp):
        B, n, m = S.shape[0], wb.n, wb.m
        Q, ok = WavefrontEngine._succ_terms(S, soft, wb, xp)
        Zs = xp.pad_tail(_skew(xp.float_table(Z), wb, 0.0, xp), 1, 2, 0.0)
        Es = xp.pad_tail(_skew(xp.float_table(E), wb, 0.0, xp), 1, 2, 0.0)
        inv = 1.0 / gamma
        # Forward tangent: Rd[p] = Z[p] + sum_pred w(p <- pred) Rd[pred].
        Rd = xp.zeros_like(Q)
        for K in range(2, n + m + 1):
            a, c = _diag_range(K, n, m)
            q = Q[:, K, a:c]

            def w(r, q=q):
                return xp.exp(xp.clamp_max0((q - r) * inv))

            acc = (
                Zs[:, K, a:c]
                + w(S[:, K - 2, a - 1 : c - 1]) * Rd[:, K - 2, a - 1 : c - 1]
                + w(S[:, K - 1, a - 1 : c - 1]) * Rd[:, K - 1, a - 1 : c - 1]
                + w(S[:, K - 1, a:c]) * Rd[:, K - 1, a:c]
            )
            Rd[:, K, a:c] = xp.where(ok[:, K, a:c], acc, 0.0)
        # Reverse: Ed[p] = sum_s w(s <- p) (Ed[s] + E[s] (Rd[s] - Z[s] - Rd[p]) / gamma).
        bidx = xp.arange(B, S)
        term = xp.zeros_like(Q, dtype=xp.bool)
        term[bidx, wb.lx + wb.ly, wb.lx] = True
        Ed = xp.zeros_like(Q)
        for K in range(n + m, 1, -1):
            a, c = _diag_range(K, n, m)
            r = S[:, K, a:c]
            rdp = Rd[:, K, a:c]
            acc = xp.zeros_like(r)
            for ks, s0 in ((K + 1, a), (K + 1, a + 1), (K + 2, a + 1)):
                sl = (slice(None), ks, slice(s0, s0 + (c - a)))
                w = xp.exp(xp.clamp_max0((Q[sl] - r) * inv))
                acc = acc + w * (Ed[sl] + Es[sl] * (Rd[sl] - Zs[sl] - rdp) * inv)
            keep = ok[:, K, a:c] & ~term[:, K, a:c]
            Ed[:, K, a:c] = xp.where(keep, acc, 0.0)
        return _unskew(Ed, wb)

    # ---------------------------------------------------------------------- hard DTW
    @staticmethod
    def _dtw_table(Ds, wb: _WaveBands, xp):
        n, m = wb.n, wb.m
        S = xp.full_like(Ds, _INF)
        S[:, 0, 0] = 0.0
        for K in range(2, n + m + 1):
            a, c = _diag_range(K, n, m)
            best = xp.minimum(
                xp.minimum(S[:, K - 2, a - 1 : c - 1], S[:, K - 1, a - 1 : c - 1]),
                S[:, K - 1, a:c],
            )
            S[:, K, a:c] = xp.where(wb.valid[:, K, a:c], Ds[:, K, a:c] + best, _INF)
        return S, WavefrontEngine._values(S, wb, xp)

    @staticmethod
    def _dtw_path_matrix(S, wb: _WaveBands, xp):
        """0/1 matrices ``(B, n, m)`` of the optimal paths, backtracked for the whole batch.

        Ties prefer the diagonal, then the cell above, then the cell to the left (as the
        numba kernel).
        """
        B, n, m = S.shape[0], wb.n, wb.m
        bidx = xp.arange(B, S)
        I, J = xp.copy(wb.lx), xp.copy(wb.ly)
        active = xp.isfinite(WavefrontEngine._values(S, wb, xp))
        A = xp.zeros((B, n * m), S)
        for _ in range(n + m - 1):
            flat = xp.where(active, (I - 1) * m + (J - 1), 0)
            A[bidx, flat] = xp.where(active, 1.0, A[bidx, flat])
            active = active & ((I > 1) | (J > 1))
            Im, Jm = xp.where(I > 1, I - 1, 0), xp.where(J > 1, J - 1, 0)
            diag = S[bidx, Im + Jm, Im]
            up = S[bidx, Im + J, Im]
            left = S[bidx, I + Jm, I]
            go_diag = (diag <= up) & (diag <= left)
            go_up = ~go_diag & (up <= left)
            di = xp.where(J == 1, 1, xp.where(I == 1, 0, xp.as_int(go_diag | go_up)))
            dj = xp.where(I == 1, 1, xp.where(J == 1, 0, xp.as_int(~go_up)))
            I = xp.where(active, I - di, I)
            J = xp.where(active, J - dj, J)
        return A.reshape(B, n, m)

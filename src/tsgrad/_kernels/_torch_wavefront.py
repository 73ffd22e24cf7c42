"""Pure-torch anti-diagonal (wavefront) versions of the alignment DPs, for any device.

The cells ``(i, j)`` of one anti-diagonal ``i + j = k`` only depend on the two previous
anti-diagonals, so each diagonal is one vectorized step over the whole batch.  The tables
are stored *skewed*: padded cell ``(I, J)`` (``I = i + 1``, ``J = j + 1``, as in
``R[b, I, J]`` of the numba kernels) lives at ``S[b, I + J, I]``, so that a diagonal and its
predecessors are plain slices (no gathers inside the loop):

* ``(I - 1, J - 1)`` -> ``S[:, K - 2, I - 1]``,  ``(I - 1, J)`` -> ``S[:, K - 1, I - 1]``,
  ``(I, J - 1)`` -> ``S[:, K - 1, I]``.

The skewed tables ``(B, n + m + 1, n + 1)`` are private to this engine (the autograd
Functions pass them back to it untouched); cost matrices, ``E`` and the Hessian-vector
products go in and out as ``(B, n, m)`` tensors on the input's device.

Precision: the tables are float64 (soft-min weights ``exp(diff / gamma)`` need it at small
``gamma``), except on devices without float64 (Apple MPS), where the input's floating dtype
(float32) is used and small ``gamma`` loses accuracy.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

from ._bands import Bands

_INF = float("inf")


def compute_dtype(device: torch.device) -> torch.dtype:
    """float64, or float32 on devices that have no float64 (MPS)."""
    return torch.float32 if device.type == "mps" else torch.float64


@dataclass(frozen=True)
class _WaveBands:
    """Bands of a batch, on the device, in the skewed layout."""

    n: int
    m: int
    lx: torch.Tensor  # (B,) int64
    ly: torch.Tensor  # (B,) int64
    valid: torch.Tensor  # (B, n + m + 1, n + 1) bool: admissible cells (padded coords)
    skew: torch.Tensor  # (n + m + 1, n + 1) int64: flat index i * m + j, or 0 outside
    inside: torch.Tensor  # (n + m + 1, n + 1) bool: 1 <= I <= n and 1 <= J <= m
    unskew: torch.Tensor  # (n * m,) int64: flat skewed index of cell (i, j)


@lru_cache(maxsize=32)
def _skew_indices(n: int, m: int, device: torch.device):
    K = torch.arange(n + m + 1, device=device)[:, None]
    I = torch.arange(n + 1, device=device)[None, :]
    J = K - I
    inside = (I >= 1) & (J >= 1) & (J <= m)
    skew = torch.where(inside, (I - 1) * m + (J - 1), torch.zeros_like(J))
    i = torch.arange(n, device=device)[:, None]
    j = torch.arange(m, device=device)[None, :]
    unskew = ((i + j + 2) * (n + 1) + (i + 1)).reshape(-1)
    return skew, inside, unskew


def _skew(X: torch.Tensor, wb: _WaveBands, fill: float) -> torch.Tensor:
    """``(B, n, m)`` -> skewed ``(B, n + m + 1, n + 1)``, ``fill`` outside the matrix."""
    B = X.shape[0]
    flat = X.reshape(B, -1)[:, wb.skew.reshape(-1)].reshape(B, *wb.skew.shape)
    return torch.where(wb.inside, flat, torch.full((), fill, dtype=X.dtype, device=X.device))


def _unskew(S: torch.Tensor, wb: _WaveBands) -> torch.Tensor:
    """Skewed ``(B, n + m + 1 (+ pad), n + 1 (+ pad))`` -> ``(B, n, m)``."""
    B = S.shape[0]
    S = S[:, : wb.n + wb.m + 1, : wb.n + 1]
    return S.reshape(B, -1)[:, wb.unskew].reshape(B, wb.n, wb.m)


def _diag_range(K: int, n: int, m: int) -> tuple[int, int]:
    """Padded rows ``I`` of anti-diagonal ``K`` inside the matrix: ``lo <= I < hi``."""
    return max(1, K - m), min(n, K - 1) + 1


@dataclass(frozen=True)
class _State:
    S: torch.Tensor  # skewed table (B, n + m + 1, n + 1)
    wb: _WaveBands
    gamma: float


def _wave_bands(bands: Bands, n: int, m: int, dev: torch.device) -> _WaveBands:
    skew, inside, unskew = _skew_indices(n, m, dev)
    lo = torch.as_tensor(bands.lo, device=dev)
    hi = torch.as_tensor(bands.hi, device=dev)
    lx = torch.as_tensor(bands.lx, device=dev)
    ly = torch.as_tensor(bands.ly, device=dev)
    j = torch.arange(m, device=dev)
    rows = torch.arange(n, device=dev)
    adm = (j >= lo[:, :, None]) & (j < hi[:, :, None])
    adm &= rows[None, :, None] < lx[:, None, None]
    feasible = torch.as_tensor(np.asarray(bands.feasible, dtype=bool), device=dev)
    adm = adm & feasible[:, None, None]
    wb = _WaveBands(n, m, lx, ly, None, skew, inside, unskew)
    return _WaveBands(n, m, lx, ly, _skew(adm, wb, False), skew, inside, unskew)


class WavefrontEngine:
    """The engine interface of :mod:`._numba_engine`, in pure torch (any device); cost
    matrices only (the router builds them for the squared Euclidean cost)."""

    name = "wavefront"

    @staticmethod
    def _prepare(D: torch.Tensor, bands: Bands):
        B, n, m = D.shape
        wb = _wave_bands(bands, n, m, D.device)
        return _skew(D.detach().to(compute_dtype(D.device)), wb, _INF), wb

    @staticmethod
    def _values(S: torch.Tensor, wb: _WaveBands) -> torch.Tensor:
        b = torch.arange(S.shape[0], device=S.device)
        return S[b, wb.lx + wb.ly, wb.lx]

    @staticmethod
    def softdtw_values(D: torch.Tensor, gamma: float, bands: Bands) -> torch.Tensor:
        return WavefrontEngine.softdtw_forward(D, gamma, bands, False)[1]

    @staticmethod
    def softdtw_forward(D: torch.Tensor, gamma: float, bands: Bands, store_weights: bool):
        """``(state, values)``; the weights are always recomputed (``store_weights`` is the
        numba engine's choice)."""
        Ds, wb = WavefrontEngine._prepare(D, bands)
        S, val = WavefrontEngine._softdtw_table(Ds, gamma, wb)
        return _State(S, wb, gamma), val

    @staticmethod
    def softdtw_backward(state: _State) -> torch.Tensor:
        return WavefrontEngine._softdtw_backward(state.S, state.gamma, state.wb)

    @staticmethod
    def softdtw_hvp(state: _State, E: torch.Tensor, Z: torch.Tensor) -> torch.Tensor:
        return WavefrontEngine._softdtw_hvp(state.S, E, Z, state.gamma, state.wb)

    @staticmethod
    def dtw_forward(D: torch.Tensor, bands: Bands):
        Ds, wb = WavefrontEngine._prepare(D, bands)
        S, val = WavefrontEngine._dtw_table(Ds, wb)
        return _State(S, wb, 0.0), val

    @staticmethod
    def dtw_path_matrix(state: _State) -> torch.Tensor:
        return WavefrontEngine._dtw_path_matrix(state.S, state.wb)

    # ---------------------------------------------------------------------- soft-DTW
    @staticmethod
    def _softdtw_table(Ds: torch.Tensor, gamma: float, wb: _WaveBands):
        n, m = wb.n, wb.m
        S = torch.full_like(Ds, _INF)
        S[:, 0, 0] = 0.0
        for K in range(2, n + m + 1):
            a, c = _diag_range(K, n, m)
            prev = torch.stack(
                (S[:, K - 2, a - 1 : c - 1], S[:, K - 1, a - 1 : c - 1], S[:, K - 1, a:c])
            )
            soft = -gamma * torch.logsumexp(prev / -gamma, dim=0)
            S[:, K, a:c] = torch.where(wb.valid[:, K, a:c], Ds[:, K, a:c] + soft, _INF)
        return S, WavefrontEngine._values(S, wb)

    @staticmethod
    def _succ_terms(S: torch.Tensor, gamma: float, wb: _WaveBands):
        """``Q`` = each cell's soft minimum of its predecessors, on admissible finite cells,
        ``-inf`` elsewhere, padded by 2.

        The soft-min weight of predecessor ``p`` in the recursion of cell ``s`` is
        ``exp(min((Q[s] - R[p]) / gamma, 0))``.  ``Q`` is recomputed from the
        predecessors, not taken as ``R - D``: that difference loses the digits the weights
        need when ``R`` is large against ``gamma``.  ``Q = -inf`` makes the weights of cells
        that are not admissible 0, without NaNs.
        """
        ok = wb.valid & torch.isfinite(S)
        preds = torch.stack((S[:, :-2, :-1], S[:, 1:-1, :-1], S[:, 1:-1, 1:]))
        soft = torch.full_like(S, _INF)
        soft[:, 2:, 1:] = -gamma * torch.logsumexp(preds / -gamma, dim=0)
        Q = torch.where(ok, soft, -_INF)
        return torch.nn.functional.pad(Q, (0, 1, 0, 2), value=-_INF), ok

    @staticmethod
    def _softdtw_backward(S: torch.Tensor, gamma: float, wb: _WaveBands):
        B, n, m = S.shape[0], wb.n, wb.m
        Q, ok = WavefrontEngine._succ_terms(S, gamma, wb)
        Es = torch.zeros_like(Q)
        bidx = torch.arange(B, device=S.device)
        term = torch.zeros_like(Q, dtype=torch.bool)
        term[bidx, wb.lx + wb.ly, wb.lx] = True
        term &= torch.nn.functional.pad(ok, (0, 1, 0, 2), value=False)
        inv = 1.0 / gamma
        for K in range(n + m, 1, -1):
            a, c = _diag_range(K, n, m)
            r = S[:, K, a:c]
            acc = (
                Es[:, K + 1, a:c] * torch.exp(torch.clamp((Q[:, K + 1, a:c] - r) * inv, max=0.0))
                + Es[:, K + 1, a + 1 : c + 1]
                * torch.exp(torch.clamp((Q[:, K + 1, a + 1 : c + 1] - r) * inv, max=0.0))
                + Es[:, K + 2, a + 1 : c + 1]
                * torch.exp(torch.clamp((Q[:, K + 2, a + 1 : c + 1] - r) * inv, max=0.0))
            )
            acc = torch.where(ok[:, K, a:c], acc, 0.0)
            Es[:, K, a:c] = torch.where(term[:, K, a:c], 1.0, acc)
        return _unskew(Es, wb)

    @staticmethod
    def _softdtw_hvp(S, E, Z, gamma: float, wb: _WaveBands):
        B, n, m = S.shape[0], wb.n, wb.m
        dt = S.dtype
        Q, ok = WavefrontEngine._succ_terms(S, gamma, wb)
        Zs = torch.nn.functional.pad(_skew(Z.detach().to(dt), wb, 0.0), (0, 1, 0, 2))
        Es = torch.nn.functional.pad(_skew(E.to(dt), wb, 0.0), (0, 1, 0, 2))
        inv = 1.0 / gamma
        # Forward tangent: Rd[p] = Z[p] + sum_pred w(p <- pred) Rd[pred].
        Rd = torch.zeros_like(Q)
        for K in range(2, n + m + 1):
            a, c = _diag_range(K, n, m)
            q = Q[:, K, a:c]

            def w(r, q=q):
                return torch.exp(torch.clamp((q - r) * inv, max=0.0))

            acc = (
                Zs[:, K, a:c]
                + w(S[:, K - 2, a - 1 : c - 1]) * Rd[:, K - 2, a - 1 : c - 1]
                + w(S[:, K - 1, a - 1 : c - 1]) * Rd[:, K - 1, a - 1 : c - 1]
                + w(S[:, K - 1, a:c]) * Rd[:, K - 1, a:c]
            )
            Rd[:, K, a:c] = torch.where(ok[:, K, a:c], acc, 0.0)
        # Reverse: Ed[p] = sum_s w(s <- p) (Ed[s] + E[s] (Rd[s] - Z[s] - Rd[p]) / gamma).
        bidx = torch.arange(B, device=S.device)
        term = torch.zeros_like(Q, dtype=torch.bool)
        term[bidx, wb.lx + wb.ly, wb.lx] = True
        Ed = torch.zeros_like(Q)
        for K in range(n + m, 1, -1):
            a, c = _diag_range(K, n, m)
            r = S[:, K, a:c]
            rdp = Rd[:, K, a:c]
            acc = torch.zeros_like(r)
            for ks, s0 in ((K + 1, a), (K + 1, a + 1), (K + 2, a + 1)):
                sl = (slice(None), ks, slice(s0, s0 + (c - a)))
                w = torch.exp(torch.clamp((Q[sl] - r) * inv, max=0.0))
                acc = acc + w * (Ed[sl] + Es[sl] * (Rd[sl] - Zs[sl] - rdp) * inv)
            keep = ok[:, K, a:c] & ~term[:, K, a:c]
            Ed[:, K, a:c] = torch.where(keep, acc, 0.0)
        return _unskew(Ed, wb)

    # ---------------------------------------------------------------------- hard DTW
    @staticmethod
    def _dtw_table(Ds: torch.Tensor, wb: _WaveBands):
        n, m = wb.n, wb.m
        S = torch.full_like(Ds, _INF)
        S[:, 0, 0] = 0.0
        for K in range(2, n + m + 1):
            a, c = _diag_range(K, n, m)
            best = torch.minimum(
                torch.minimum(S[:, K - 2, a - 1 : c - 1], S[:, K - 1, a - 1 : c - 1]),
                S[:, K - 1, a:c],
            )
            S[:, K, a:c] = torch.where(wb.valid[:, K, a:c], Ds[:, K, a:c] + best, _INF)
        return S, WavefrontEngine._values(S, wb)

    @staticmethod
    def _dtw_path_matrix(S: torch.Tensor, wb: _WaveBands) -> torch.Tensor:
        """0/1 matrices ``(B, n, m)`` of the optimal paths, backtracked for the whole batch.

        Ties prefer the diagonal, then the cell above, then the cell to the left (as the
        numba kernel).
        """
        B, n, m = S.shape[0], wb.n, wb.m
        dev = S.device
        bidx = torch.arange(B, device=dev)
        I, J = wb.lx.clone(), wb.ly.clone()
        active = torch.isfinite(WavefrontEngine._values(S, wb))
        A = torch.zeros(B, n * m, dtype=S.dtype, device=dev)
        for _ in range(n + m - 1):
            flat = torch.where(active, (I - 1) * m + (J - 1), 0)
            A[bidx, flat] = torch.where(active, 1.0, A[bidx, flat])
            active = active & ((I > 1) | (J > 1))
            Im, Jm = (I - 1).clamp(min=0), (J - 1).clamp(min=0)
            diag = S[bidx, Im + Jm, Im]
            up = S[bidx, Im + J, Im]
            left = S[bidx, I + Jm, I]
            go_diag = (diag <= up) & (diag <= left)
            go_up = ~go_diag & (up <= left)
            di = torch.where(J == 1, 1, torch.where(I == 1, 0, (go_diag | go_up).long()))
            dj = torch.where(I == 1, 1, torch.where(J == 1, 0, (~go_up).long()))
            I = torch.where(active, I - di, I)
            J = torch.where(active, J - dj, J)
        return A.reshape(B, n, m)

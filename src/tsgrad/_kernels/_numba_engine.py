"""The numba engine: NumPy arrays in, NumPy arrays out, the CPU kernels in the middle.

Every engine (this one, :mod:`._wavefront`, :mod:`._triton_engine`) answers the same
calls, made by the router (:mod:`._router`) and the autograd Functions
(:mod:`._torch_autograd`):

* over cost matrices ``D`` ``(B, n, m)``: ``softdtw_values``, ``softdtw_forward`` (an
  opaque state and the values), ``softdtw_backward(state)`` (the expected alignment ``E``),
  ``softdtw_hvp(state, E, Z)`` (the Hessian-vector product), ``dtw_forward`` and
  ``dtw_path_matrix(state)``;
* over series ``X`` ``(B, n, d)``, ``Y`` ``(B, m, d)`` with the squared Euclidean cost
  made inside the kernels: ``sqeuclidean_softdtw`` (values and, with ``grad``, their
  gradients w.r.t. the series), ``sqeuclidean_dilate`` (DILATE's two terms and their
  gradients), ``sqeuclidean_dtw`` (hard DTW values) and ``sqeuclidean_dtw_paths`` (hard
  DTW values and optimal paths; only this engine has it, the router falls back to
  ``dtw_path_matrix`` elsewhere).

Routes inside an engine (lanes or diagonals, scaled or log domain, stored or recomputed
weights) are arguments: the router decides them from its table of thresholds.  Floating
inputs are read in their own precision (float32 is not copied to float64); tables and
results are float64.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from . import _numba_dtw as nb
from . import _numba_softdtw as ns
from . import _numba_softdtw_lanes as lanes
from ._bands import Bands


class FusedRoute(NamedTuple):
    """How the numba engine runs a batch of squared-Euclidean soft-DTW problems."""

    lanes: bool  # LANES problems at a time (short series) instead of anti-diagonals
    weights_max: int = 0  # log domain: problems of more table cells recompute their weights


@dataclass(frozen=True)
class _SoftState:
    S: np.ndarray  # skewed tables (B, L)
    W: np.ndarray | None  # stored weights (B, 3, L), or None: recomputed from S
    gamma: float
    bands: Bands
    shape: tuple[int, int]


@dataclass(frozen=True)
class _HardState:
    R: np.ndarray  # (B, n + 1, m + 1)
    bands: Bands


def _floats(a) -> np.ndarray:
    """float32 / float64 arrays as they are (the kernels cast each element); others as
    float64."""
    if a.dtype in (np.float32, np.float64):
        return np.ascontiguousarray(a)
    return np.ascontiguousarray(a, dtype=np.float64)


class NumbaEngine:
    """CPU kernels (numba), parallel over the problems of a batch."""

    name = "numba"

    # ---------------------------------------------------------------- cost matrices
    @staticmethod
    def softdtw_values(D, gamma: float, b: Bands) -> np.ndarray:
        return ns.softdtw_values(_floats(D), gamma, b.lx, b.ly, b.lo, b.hi)

    @staticmethod
    def softdtw_forward(D, gamma: float, b: Bands, store_weights: bool):
        D = _floats(D)
        if store_weights:
            S, val, W = ns.softdtw_forward_weights(D, gamma, b.lx, b.ly, b.lo, b.hi)
        else:
            (S, val), W = ns.softdtw_forward(D, gamma, b.lx, b.ly, b.lo, b.hi), None
        return _SoftState(S, W, gamma, b, D.shape[1:]), val

    @staticmethod
    def softdtw_backward(state: _SoftState) -> np.ndarray:
        b, (n, m) = state.bands, state.shape
        if state.W is not None:
            return ns.softdtw_backward_weights(state.W, state.S, b.lx, b.ly, b.lo, b.hi, n, m)
        return ns.softdtw_backward(state.S, state.gamma, b.lx, b.ly, b.lo, b.hi, n, m)

    @staticmethod
    def softdtw_hvp(state: _SoftState, E, Z) -> np.ndarray:
        b, g = state.bands, state.gamma
        E = np.ascontiguousarray(E, dtype=np.float64)
        Z = np.ascontiguousarray(Z, dtype=np.float64)
        if state.W is not None:
            return ns.softdtw_hvp_weights(state.W, state.S, E, Z, g, b.lx, b.ly, b.lo, b.hi)[0]
        return ns.softdtw_hvp(state.S, E, Z, g, b.lx, b.ly, b.lo, b.hi)[0]

    @staticmethod
    def dtw_forward(D, b: Bands):
        R, val = nb.dtw_forward(_floats(D), b.lx, b.ly, b.lo, b.hi)
        return _HardState(R, b), val

    @staticmethod
    def dtw_path_matrix(state: _HardState) -> np.ndarray:
        return nb.dtw_path_matrix(state.R, state.bands.lx, state.bands.ly)

    # ---------------------------------------------------------------- series
    @staticmethod
    def sqeuclidean_softdtw(X, Y, gamma: float, b: Bands, grad: bool, route: FusedRoute):
        """``(values (B,), dV/dX (B, n, d) or None, dV/dY (B, m, d) or None)``."""
        X, Y = _floats(X), _floats(Y)
        if route.lanes:
            val, _, gx, gy, _, _ = lanes.sqeuclidean(
                X, Y, gamma, b.lx, b.ly, b.lo, b.hi, grad, False
            )
        elif grad:
            val, gx, gy = ns.sqeuclidean_value_grad(
                X, Y, gamma, b.lx, b.ly, b.lo, b.hi, route.weights_max, True
            )
        else:
            val = ns.sqeuclidean_values(X, Y, gamma, b.lx, b.ly, b.lo, b.hi, True)
        return (val, gx, gy) if grad else (val, None, None)

    @staticmethod
    def sqeuclidean_dilate(X, Y, gamma: float, b: Bands, grad: bool, route: FusedRoute):
        """``(shape (B,), temporal (B,), gxs, gys, gxt, gyt)``: DILATE's terms and, with
        ``grad``, their gradients w.r.t. ``X`` and ``Y`` (else None)."""
        X, Y = _floats(X), _floats(Y)
        if route.lanes:
            out = lanes.sqeuclidean(X, Y, gamma, b.lx, b.ly, b.lo, b.hi, grad, True)
        else:
            out = ns.dilate_value_grad(X, Y, gamma, b.lx, b.ly, b.lo, b.hi, grad)
        return out if grad else (out[0], out[1], None, None, None, None)

    @staticmethod
    def sqeuclidean_dtw(X, Y, b: Bands) -> np.ndarray:
        return nb.dtw_sqeuclidean_values(_floats(X), _floats(Y), b.lx, b.ly, b.lo, b.hi)

    @staticmethod
    def sqeuclidean_dtw_paths(X, Y, b: Bands):
        """Hard-DTW values ``(B,)``, paths ``(B, n + m - 1, 2)`` (padded with -1) and path
        lengths ``(B,)``, the costs made in the sweep (no table of costs or of ``R``)."""
        return nb.dtw_sqeuclidean_paths(_floats(X), _floats(Y), b.lx, b.ly, b.lo, b.hi, b.feasible)

    # ---------------------------------------------------------------- pairs (cdist)
    @staticmethod
    def sqeuclidean_pairs(X, Y, lx, ly, ii, jj, gamma: float | None, b: Bands) -> np.ndarray:
        """Values of the pairs ``(X[ii[p]], Y[jj[p]])``, bands made per pair from ``b``'s
        constraint (no ``(P, n)`` band arrays); ``gamma=None`` gives hard DTW."""
        X, Y = _floats(X), _floats(Y)
        ii = np.ascontiguousarray(ii, dtype=np.int64)
        jj = np.ascontiguousarray(jj, dtype=np.int64)
        lx = np.ascontiguousarray(lx, dtype=np.int64)
        ly = np.ascontiguousarray(ly, dtype=np.int64)
        if gamma is None:
            return nb.dtw_pairs_value(X, Y, lx, ly, ii, jj, b.kind, b.param)
        return ns.softdtw_pairs_value(X, Y, lx, ly, ii, jj, gamma, b.kind, b.param)

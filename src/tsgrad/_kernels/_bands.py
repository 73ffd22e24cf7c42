"""Admissible cells of a batch of alignment problems: lengths and global constraints."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._numba_dp import ITAKURA, NO_CONSTRAINT, SAKOE_CHIBA, fill_bands

CONSTRAINT_CODES = {None: NO_CONSTRAINT, "sakoe_chiba": SAKOE_CHIBA, "itakura": ITAKURA}


@dataclass(frozen=True)
class Bands:
    """Lengths and row bands of a batch of ``(n, m)`` alignment problems.

    Attributes
    ----------
    lx, ly : ndarray of int64, shape (B,)
        True lengths of the two series of each problem (``<= n`` and ``<= m``).
    lo, hi : ndarray of int64, shape (B, n)
        Row ``i`` of problem ``b`` admits the columns ``lo[b, i] <= j < hi[b, i]``.
    feasible : ndarray of bool, shape (B,)
        False where the constraint leaves no admissible path.
    """

    lx: np.ndarray
    ly: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    feasible: np.ndarray


def make_bands(lx, ly, n: int, kind: int = NO_CONSTRAINT, param: float = 0.0) -> Bands:
    """Build the :class:`Bands` of a batch from its lengths and a constraint code."""
    lx = np.ascontiguousarray(lx, dtype=np.int64)
    ly = np.ascontiguousarray(ly, dtype=np.int64)
    if kind == NO_CONSTRAINT:  # full rows: NumPy is quicker than a kernel call here
        rows = np.arange(n)[None, :] < lx[:, None]
        hi = np.where(rows, ly[:, None], 0)
        return Bands(lx, ly, np.zeros_like(hi), hi, (lx > 0) & (ly > 0))
    lo, hi, ok = fill_bands(int(kind), float(param), lx, ly, int(n))
    return Bands(lx, ly, lo, hi, ok)


def full_bands(B: int, n: int, m: int) -> Bands:
    """Unconstrained bands of ``B`` problems of equal lengths ``(n, m)``."""
    return make_bands(np.full(B, n), np.full(B, m), n)

"""Admissible cells of a batch of alignment problems: lengths and global constraints."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ._numba_bands import ITAKURA, NO_CONSTRAINT, SAKOE_CHIBA, fill_bands

CONSTRAINT_CODES = {None: NO_CONSTRAINT, "sakoe_chiba": SAKOE_CHIBA, "itakura": ITAKURA}


@dataclass(frozen=True, eq=False)
class Bands:
    """Lengths and global constraint of a batch of alignment problems of padded size
    ``(n, m)``.

    Attributes
    ----------
    lx, ly : ndarray of int64, shape (B,)
        True lengths of the two series of each problem (``<= n`` and ``<= m``).
    n : int
        Padded length of the first series (rows of the band arrays).
    kind, param : int, float
        Global constraint code (``CONSTRAINT_CODES``) and its parameter (Sakoe-Chiba
        radius or Itakura maximum slope), applied to each problem with its own lengths.
    lo, hi : ndarray of int64, shape (B, n)
        Row ``i`` of problem ``b`` admits the columns ``lo[b, i] <= j < hi[b, i]``
        (computed on first use: the pair kernels of ``cdist`` make them per pair instead).
    feasible : ndarray of bool, shape (B,)
        False where the constraint leaves no admissible path.
    """

    lx: np.ndarray
    ly: np.ndarray
    n: int
    kind: int = NO_CONSTRAINT
    param: float = 0.0

    @cached_property
    def _filled(self):
        if self.kind == NO_CONSTRAINT:  # full rows: NumPy is quicker than a kernel call
            rows = np.arange(self.n)[None, :] < self.lx[:, None]
            hi = np.where(rows, self.ly[:, None], 0)
            return np.zeros_like(hi), hi, (self.lx > 0) & (self.ly > 0)
        return fill_bands(int(self.kind), float(self.param), self.lx, self.ly, int(self.n))

    @property
    def lo(self) -> np.ndarray:
        return self._filled[0]

    @property
    def hi(self) -> np.ndarray:
        return self._filled[1]

    @cached_property
    def feasible(self) -> np.ndarray:
        if "_filled" in self.__dict__ or self.kind == NO_CONSTRAINT:
            return self._filled[2]
        # One band per distinct pair of lengths: cheap even for the millions of pairs of a
        # large cdist, whose rows are never stored.
        pairs, inverse = np.unique(np.stack([self.lx, self.ly]), axis=1, return_inverse=True)
        ok = fill_bands(int(self.kind), float(self.param), pairs[0], pairs[1], int(self.n))[2]
        return ok[inverse.reshape(-1)]

    @property
    def batch(self) -> int:
        return int(self.lx.shape[0])

    @property
    def unconstrained(self) -> bool:
        return self.kind == NO_CONSTRAINT


def make_bands(lx, ly, n: int, kind: int = NO_CONSTRAINT, param: float = 0.0) -> Bands:
    """The :class:`Bands` of a batch from its lengths and a constraint code."""
    lx = np.ascontiguousarray(lx, dtype=np.int64)
    ly = np.ascontiguousarray(ly, dtype=np.int64)
    return Bands(lx, ly, int(n), int(kind), float(param))


def full_bands(B: int, n: int, m: int) -> Bands:
    """Unconstrained bands of ``B`` problems of equal lengths ``(n, m)``."""
    return make_bands(np.full(B, n), np.full(B, m), n)

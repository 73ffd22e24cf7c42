"""Global constraints as row bands (numba, CPU).

Row ``i`` of a ``(sz1, sz2)`` problem admits the columns ``lo[i] <= j < hi[i]``; a band
admits a path when every row is non-empty and consecutive rows overlap or touch (bands are
monotone: ``lo`` and ``hi`` never decrease with ``i``), which also makes the admissible
cells of every anti-diagonal one interval (the kernels prune with it, see
:func:`tsgrad._kernels._diag_layout.diag_band`).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from ._numba_threads import sized

# Global constraint codes shared with the Python layer.
NO_CONSTRAINT = 0
SAKOE_CHIBA = 1
ITAKURA = 2


@njit(cache=True, nogil=True)
def _round2(x):
    # numpy.round(x, 2): round half to even on x * 100.
    return np.rint(x * 100.0) / 100.0


@njit(cache=True, nogil=True)
def _fill_band_one(kind, param, sz1, sz2, lo, hi):
    """Row intervals ``[lo[i], hi[i])`` of the admissible cells of one ``(sz1, sz2)`` pair.

    Returns True when every row and every column has at least one admissible cell.
    """
    if kind == SAKOE_CHIBA:
        r = int(param)
        if sz1 <= sz2:
            width = sz2 - sz1 + r
            for i in range(sz1):
                lo[i] = max(0, i - r)
                hi[i] = min(sz2, i + width + 1)
        else:
            width = sz1 - sz2 + r
            for i in range(sz1):
                lo[i] = max(0, i - width)
                hi[i] = min(sz2, i + r + 1)
    elif kind == ITAKURA:
        # Itakura parallelogram, column by column, then turned into row intervals.
        ratio = sz1 / sz2
        max_s = param * ratio
        min_s = ratio / param
        for i in range(sz1):
            lo[i] = sz2
            hi[i] = 0
        for j in range(sz2):
            low = max(_round2(min_s * j), _round2((sz1 - 1) - max_s * (sz2 - 1) + max_s * j))
            up = min(_round2(max_s * j), _round2((sz1 - 1) - min_s * (sz2 - 1) + min_s * j))
            i0 = max(int(math.ceil(low)), 0)
            i1 = min(int(math.floor(up + 1.0)), sz1)
            for i in range(i0, i1):
                if j < lo[i]:
                    lo[i] = j
                if j + 1 > hi[i]:
                    hi[i] = j + 1
        for i in range(sz1):
            if hi[i] <= lo[i]:
                lo[i] = 0
                hi[i] = 0
    else:
        for i in range(sz1):
            lo[i] = 0
            hi[i] = sz2
    # Feasibility: rows non-empty, and columns covered (bands are monotone, so checking
    # that consecutive rows overlap or touch is enough).
    if sz1 == 0 or sz2 == 0:
        return False
    if lo[0] != 0 or hi[sz1 - 1] != sz2:
        return False
    for i in range(sz1):
        if hi[i] <= lo[i]:
            return False
        if i > 0 and lo[i] > hi[i - 1]:
            return False
    return True


@njit(cache=True, parallel=True)
def _fill_bands(kind, param, lx, ly, n):
    """Bands for a batch: returns ``lo, hi`` of shape ``(B, n)`` and a feasibility flag."""
    B = lx.shape[0]
    lo = np.zeros((B, n), dtype=np.int64)
    hi = np.zeros((B, n), dtype=np.int64)
    ok = np.zeros(B, dtype=np.bool_)
    for b in prange(B):
        ok[b] = _fill_band_one(kind, param, lx[b], ly[b], lo[b], hi[b])
    return lo, hi, ok


@njit(cache=True, nogil=True)
def pair_band(kind, param, lx, ly, n):
    """Row band ``(lo, hi)`` ``(n,)`` of one ``(lx, ly)`` pair, and whether it admits a path."""
    lo = np.empty(n, dtype=np.int64)
    hi = np.empty(n, dtype=np.int64)
    return lo, hi, _fill_band_one(kind, param, lx, ly, lo, hi)


def _bands_work(kind, param, lx, ly, n):
    return lx.shape[0], lx.shape[0] * n * 64  # filling a row is cheap: count it as 64 cells


fill_bands = sized(_fill_bands, _bands_work)

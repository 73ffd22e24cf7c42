"""MINDIST between SAX words, many pairs (numba, CPU).

SAX (Lin, Keogh, Lonardi & Chiu, DMKD 2003) replaces each segment mean by a symbol
``0 .. a - 1`` (the interval of the ``a - 1`` breakpoints ``beta`` it falls in).  The lower
bound of the Euclidean distance between two words of ``w`` symbols from series of length
``n`` is

``MINDIST = sqrt(n / w) * sqrt(sum_t cell(r_t, c_t)^2)``,
``cell(r, c) = 0`` if ``|r - c| <= 1``, else ``beta[max(r, c) - 1] - beta[min(r, c)]``.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._diag_layout import _PAR
from ._numba_threads import sized


@njit(**_PAR)
def sax_mindist_pairs(S1, S2, ii, jj, breakpoints, scale):
    """MINDIST ``(P,)`` of the words ``(S1[ii[p]], S2[jj[p]])`` (int64 ``(n, w, d)``);
    ``scale = n / w``; the features of a multivariate word add their squared cells."""
    P = ii.shape[0]
    w = S1.shape[1]
    d = S1.shape[2]
    out = np.empty(P)
    for p in prange(P):
        a = S1[ii[p]]
        b = S2[jj[p]]
        total = 0.0
        for t in range(w):
            for f in range(d):
                r = a[t, f]
                c = b[t, f]
                if abs(r - c) > 1:
                    gap = breakpoints[max(r, c) - 1] - breakpoints[min(r, c)]
                    total += gap * gap
        out[p] = np.sqrt(total * scale)
    return out


def _sax_work(S1, S2, ii, *args):
    return ii.shape[0], ii.shape[0] * S1.shape[1] * S1.shape[2]


sax_mindist_pairs = sized(sax_mindist_pairs, _sax_work)

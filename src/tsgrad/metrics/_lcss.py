"""Longest Common SubSequence similarity (Vlachos et al., 2002): value, path, from a metric."""

from __future__ import annotations

import numpy as np

from .. import _validation as v
from .._kernels._numba_lcss import lcss_backtrack, lcss_length, lcss_table
from ..backend import instantiate_backend
from ._common import bad_cost_values, band_rows, metric_cost_matrix, path_list, sq_cost


def _lcss(dist, eps, kind, param, func):
    """``(path, similarity)`` of a distance matrix ``dist`` ``(n, m)`` (NumPy); NaN or
    ``-inf`` in it is a ``ValueError`` (checked by the table's kernel as it reads them)."""
    dist = np.ascontiguousarray(dist, dtype=np.float64)
    n, m = dist.shape
    lo, hi = band_rows(n, m, kind, param, func)
    L, valid = lcss_table(dist, eps, lo, hi)
    if not valid:
        raise bad_cost_values(func)
    return lcss_backtrack(dist, eps, lo, hi, L), float(L[n, m]) / min(n, m)


def _series_distances(s1, s2, be, func):
    x, y = v.series_pair(s1, s2, be, func)
    numpy_be = instantiate_backend("numpy")
    return np.sqrt(sq_cost(be.to_numpy(x), be.to_numpy(y), numpy_be))


def lcss(
    s1,
    s2,
    eps=1.0,
    global_constraint=None,
    sakoe_chiba_radius=None,
    itakura_max_slope=None,
    be=None,
):
    r"""Longest Common SubSequence (LCSS) similarity of two time series.

    Samples ``x_i`` and ``y_j`` match when ``||x_i - y_j||_2 <= eps`` and ``(i, j)`` is an
    admissible cell of the global constraint (the paper's matching window).  The similarity
    is the length of the longest common subsequence of matching pairs (increasing in both
    ``i`` and ``j``) divided by ``min(sz1, sz2)``: 1 when the shorter series matches
    entirely, 0 when nothing matches (Vlachos, Kollios & Gunopulos, ICDE 2002).

    Parameters
    ----------
    s1 : array-like, shape (sz1, d) or (sz1,)
    s2 : array-like, shape (sz2, d) or (sz2,)
        Trailing NaN rows are padding and are removed.
    eps : float >= 0 (default: 1.0)
        Matching threshold on the Euclidean distance.
    global_constraint, sakoe_chiba_radius, itakura_max_slope
        As in :func:`dtw`: only admissible cells can match.
    be : Backend, str or None

    Returns
    -------
    float
        A Python float on every backend (a count: not differentiable).

    Notes
    -----
    With an Itakura parallelogram, a cell outside the band still carries the longest common
    subsequence of its prefixes (the paper's recursion); tslearn resets such cells to 0,
    which can drop a match (its Sakoe-Chiba results are the same as here).

    Examples
    --------
    >>> lcss([1, 2, 3], [1.0, 2.0, 2.0, 4.0])
    1.0
    >>> round(lcss([1, 2, 3], [-2.0, 5.0, 7.0], eps=3), 2)
    0.67
    """
    func = "lcss"
    be = instantiate_backend(be, s1, s2)
    eps = v.real(eps, "eps", func, minimum=0.0)
    x, y = v.series_pair(s1, s2, be, func)
    kind, param = v.constraint(global_constraint, sakoe_chiba_radius, itakura_max_slope, func)
    n, m = x.shape[0], y.shape[0]
    lo, hi = band_rows(n, m, kind, param, func)
    xn = np.ascontiguousarray(be.to_numpy(x), dtype=np.float64)
    yn = np.ascontiguousarray(be.to_numpy(y), dtype=np.float64)
    return lcss_length(xn, yn, eps, lo, hi) / min(n, m)


def lcss_path(
    s1,
    s2,
    eps=1,
    global_constraint=None,
    sakoe_chiba_radius=None,
    itakura_max_slope=None,
    be=None,
):
    r"""Matched pairs of the longest common subsequence, and the LCSS similarity.

    Parameters
    ----------
    s1, s2, eps, global_constraint, sakoe_chiba_radius, itakura_max_slope, be
        As in :func:`lcss` (``eps`` defaults to 1, as in tslearn).

    Returns
    -------
    path : list of (int, int)
        The matched pairs only, in increasing order (not a full alignment path).  Read back
        from the last cell: a matching cell is taken, else the move goes up when that keeps a
        strictly longer subsequence, left otherwise (tslearn's order).
    similarity : float

    Examples
    --------
    >>> lcss_path([1.0, 2.0, 3.0], [1.0, 2.0, 2.0, 3.0])
    ([(0, 1), (1, 2), (2, 3)], 1.0)
    """
    func = "lcss_path"
    be = instantiate_backend(be, s1, s2)
    eps = v.real(eps, "eps", func, minimum=0.0)
    dist = _series_distances(s1, s2, be, func)
    kind, param = v.constraint(global_constraint, sakoe_chiba_radius, itakura_max_slope, func)
    path, sim = _lcss(dist, eps, kind, param, func)
    return path_list(path), sim


def lcss_path_from_metric(
    s1,
    s2=None,
    eps=1,
    metric="euclidean",
    global_constraint=None,
    sakoe_chiba_radius=None,
    itakura_max_slope=None,
    be=None,
    **kwds,
):
    r"""LCSS path and similarity with any local distance, or a precomputed distance matrix.

    Parameters
    ----------
    s1 : array-like, shape (sz1, d) or (sz1,), or (sz1, sz2) with ``metric="precomputed"``
    s2 : array-like, shape (sz2, d) or (sz2,), or None with ``metric="precomputed"``
    eps : float >= 0 (default: 1)
        Two samples match when their distance is at most ``eps``.
    metric : "precomputed", a metric name or a callable (default: "euclidean")
        As in :func:`dtw_path_from_metric`.
    global_constraint, sakoe_chiba_radius, itakura_max_slope, be
        As in :func:`lcss`.
    **kwds
        Passed to the metric.

    Returns
    -------
    path : list of (int, int)
    similarity : float

    Examples
    --------
    >>> import numpy as np
    >>> D = np.array([[0.5, 3.0], [2.0, 0.1]])
    >>> lcss_path_from_metric(D, metric="precomputed")
    ([(0, 0), (1, 1)], 1.0)
    """
    func = "lcss_path_from_metric"
    be, D = metric_cost_matrix(s1, s2, metric, kwds, be, func, check_values=False)
    eps = v.real(eps, "eps", func, minimum=0.0)
    kind, param = v.constraint(global_constraint, sakoe_chiba_radius, itakura_max_slope, func)
    path, sim = _lcss(be.to_numpy(D), eps, kind, param, func)
    return path_list(path), sim

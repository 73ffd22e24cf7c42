"""DTW variants: any local metric, the accumulated matrix, a limited warping length."""

from __future__ import annotations

import numpy as np

from .. import _validation as v
from .._kernels import _numba_accumulate as na
from .._kernels._numba_ldtw import ldtw_backtrack, ldtw_best, ldtw_table
from ..backend import instantiate_backend
from ._common import (
    accumulated,
    accumulated_matrix,
    band_mask,
    metric_cost_matrix,
    path_list,
    safe_sqrt,
    scalar,
    sq_cost,
)


def dtw_path_from_metric(
    s1,
    s2=None,
    metric="euclidean",
    global_constraint=None,
    sakoe_chiba_radius=None,
    itakura_max_slope=None,
    be=None,
    **kwds,
):
    r"""DTW path and accumulated cost for any local metric, or a precomputed cost matrix.

    .. math:: \min_{\pi} \sum_{(i, j) \in \pi} c(x_i, y_j)

    (not square-rooted: with ``metric="sqeuclidean"`` this is ``dtw(s1, s2) ** 2``).

    Parameters
    ----------
    s1 : array-like, shape (sz1, d) or (sz1,), or (sz1, sz2) with ``metric="precomputed"``
    s2 : array-like, shape (sz2, d) or (sz2,), or None with ``metric="precomputed"``
    metric : "precomputed", a metric name or a callable (default: "euclidean")
        ``"euclidean"`` and ``"sqeuclidean"`` are computed by the backend (differentiable);
        a callable ``metric(x_i, y_j, **kwds)`` is called on every pair of samples (of the
        backend's type: differentiable if written in torch); any other name is a SciPy
        ``cdist`` metric (``"cityblock"``, ``"cosine"``, ...; scikit-learn's aliases ``"l1"``,
        ``"l2"``, ``"manhattan"`` accepted), without gradient.
    global_constraint, sakoe_chiba_radius, itakura_max_slope
        As in :func:`dtw`.
    be : Backend, str or None
    **kwds
        Passed to the metric (e.g. ``p`` of ``"minkowski"``).

    Returns
    -------
    path : list of (int, int)
        Ties prefer the diagonal, then the cell above, then the left one (tslearn's order).
    cost : numpy.float64, or a 0-d tensor
        Differentiable w.r.t. the cost matrix: the gradient is 1 on the path.

    Examples
    --------
    >>> path, cost = dtw_path_from_metric([1, 2, 3], [1.0, 2.0, 2.0, 4.0], metric="cityblock")
    >>> path, float(cost)
    ([(0, 0), (1, 1), (1, 2), (2, 3)], 1.0)
    """
    func = "dtw_path_from_metric"
    be, D = metric_cost_matrix(s1, s2, metric, kwds, be, func)
    kind, param = v.constraint(global_constraint, sakoe_chiba_radius, itakura_max_slope, func)
    n, m = D.shape
    R = accumulated(D, band_mask(n, m, kind, param, func), na.DTW, be)
    path = na.backtrack(np.ascontiguousarray(be.to_numpy(R)), n - 1, m - 1, False)
    return path_list(path), scalar(R[n - 1, m - 1], be, numpy_type=np.float64)


def dtw_accumulated_matrix(s1, s2, mask, be=None):
    r"""Accumulated cost matrix of DTW on the squared Euclidean cost.

    ``R[i, j] = ||x_i - y_j||^2 + min(R[i-1, j-1], R[i-1, j], R[i, j-1])`` on the cells where
    ``mask`` is True, ``+inf`` elsewhere; ``dtw`` is ``sqrt(R[-1, -1])``.

    Parameters
    ----------
    s1 : array-like, shape (sz1, d) or (sz1,)
    s2 : array-like, shape (sz2, d) or (sz2,)
        Used as given (no NaN padding removed: the mask fixes the sizes); NaN is an error.
    mask : bool array, shape (sz1, sz2)
        Admissible cells, e.g. from :func:`compute_mask`.
    be : Backend, str or None

    Returns
    -------
    array, shape (sz1, sz2)
        Differentiable for tensors (each entry is the sum of the costs of its optimal path).

    Examples
    --------
    >>> from tsgrad.metrics import compute_mask
    >>> dtw_accumulated_matrix([1, 2, 3], [1.0, 2.0, 2.0, 3.0], compute_mask(3, 4)).tolist()
    [[0.0, 1.0, 2.0, 6.0], [1.0, 0.0, 0.0, 1.0], [5.0, 1.0, 1.0, 0.0]]
    """
    return accumulated_matrix(s1, s2, mask, be, na.DTW, "dtw_accumulated_matrix")


def _ldtw(s1, s2, max_length, be, func):
    """``(path (L, 2), squared cost)``; the cost is differentiable for tensors."""
    be = instantiate_backend(be, s1, s2)
    x, y = v.series_pair(s1, s2, be, func)
    n, m = x.shape[0], y.shape[0]
    length = v.integer(max_length, "max_length", func, minimum=1)
    if length < max(n, m):
        raise ValueError(
            f"The 'max_length' parameter of {func} must be at least the length of the longer "
            f"series ({max(n, m)}): no shorter path aligns them. Got {max_length!r} instead."
        )
    D = sq_cost(x, y, be)
    C = ldtw_table(np.ascontiguousarray(be.to_numpy(D), dtype=np.float64), length)
    cost, steps = ldtw_best(C)
    path = ldtw_backtrack(C, steps)
    if be.backend_string == "numpy":
        return be, path, np.float64(cost)
    rows = be.array(path[:, 0], device=be.device(D))
    cols = be.array(path[:, 1], device=be.device(D))
    return be, path, be.sum(D[rows, cols])


def dtw_limited_warping_length(s1, s2, max_length, be=None):
    r"""DTW restricted to alignment paths of at most ``max_length`` cells (LDTW).

    Zhang, Tang, Huang & Bao, "Dynamic Time Warping under limited warping path length",
    Information Sciences 2017: a DP over ``(i, j, number of steps)``; it is :func:`dtw` when
    ``max_length`` is at least the length of DTW's optimal path, and larger below.

    Parameters
    ----------
    s1 : array-like, shape (sz1, d) or (sz1,)
    s2 : array-like, shape (sz2, d) or (sz2,)
    max_length : int
        Largest number of cells of a path, at least ``max(sz1, sz2)``.
    be : Backend, str or None

    Returns
    -------
    numpy.float64, or a 0-d tensor
        ``sqrt`` of the best path's squared cost.  Differentiable for tensors: the gradient
        follows that path (0 at a zero distance).

    Examples
    --------
    >>> float(dtw_limited_warping_length([1, 2, 3], [1.0, 2.0, 2.0, 3.0], max_length=4))
    0.0
    >>> float(dtw_limited_warping_length([1, 2, 3], [1.0, 2.0, 2.0, 3.0], max_length=3))
    Traceback (most recent call last):
    ...
    ValueError: The 'max_length' parameter of dtw_limited_warping_length must be at least ...
    """
    be, _, cost = _ldtw(s1, s2, max_length, be, "dtw_limited_warping_length")
    return scalar(safe_sqrt(cost, be), be, numpy_type=np.float64)


def dtw_path_limited_warping_length(s1, s2, max_length, be=None):
    r"""Optimal path and value of :func:`dtw_limited_warping_length`.

    Parameters
    ----------
    s1, s2, max_length, be
        As in :func:`dtw_limited_warping_length`.

    Returns
    -------
    path : list of (int, int)
        At most ``max_length`` cells; among the best paths, the one of fewest cells, read
        back with ties preferring the diagonal, then the cell above, then the left one.
    distance : numpy.float64, or a 0-d tensor (differentiable)

    Examples
    --------
    >>> path, dist = dtw_path_limited_warping_length([1, 2, 3], [1.0, 2.0, 2.0, 3.0], 4)
    >>> path, float(dist)
    ([(0, 0), (1, 1), (1, 2), (2, 3)], 0.0)
    """
    be, path, cost = _ldtw(s1, s2, max_length, be, "dtw_path_limited_warping_length")
    return path_list(path), scalar(safe_sqrt(cost, be), be, numpy_type=np.float64)

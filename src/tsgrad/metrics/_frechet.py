"""Discrete Frechet distance: value, path, path from a metric, accumulated matrix, cdist."""

from __future__ import annotations

import numpy as np

from .. import _validation as v
from .._kernels import _numba_accumulate as na
from .._kernels._numba_frechet import frechet_pairs, frechet_pairs_cells
from ..backend import instantiate_backend
from ._common import (
    PairSet,
    accumulated,
    accumulated_matrix,
    as_backend,
    band_mask,
    metric_cost_matrix,
    path_list,
    requires_grad,
    safe_sqrt,
    scalar,
    sq_cost,
)


def _values(X, Y, Xn, Yn, lx, ly, ii, jj, kind, param, be):
    """Frechet distances ``(P,)`` of the pairs ``(X[ii], Y[jj])``, differentiable for
    tensors through each pair's bottleneck cell."""
    if not requires_grad(X, Y):
        sq = frechet_pairs(Xn, Yn, lx, ly, ii, jj, kind, float(param))
        return np.sqrt(sq) if be.backend_string == "numpy" else as_backend(np.sqrt(sq), be, X)
    _, cell = frechet_pairs_cells(Xn, Yn, lx, ly, ii, jj, kind, float(param))
    idx = [be.array(a, device=be.device(X)) for a in (ii, cell[:, 0], jj, cell[:, 1])]
    diff = X[idx[0], idx[1]] - Y[idx[2], idx[3]]
    return safe_sqrt(be.sum(diff * diff, axis=-1), be)


def _setup(s1, s2, global_constraint, sakoe_chiba_radius, itakura_max_slope, be, func):
    be = instantiate_backend(be, s1, s2)
    x, y = v.series_pair(s1, s2, be, func)
    kind, param = v.constraint(global_constraint, sakoe_chiba_radius, itakura_max_slope, func)
    return be, x, y, kind, param


def frechet(
    s1, s2, global_constraint=None, sakoe_chiba_radius=None, itakura_max_slope=None, be=None
):
    r"""Discrete Frechet distance between two time series (Eiter & Mannila, 1994).

    The bottleneck version of DTW: the largest local distance along the best coupling,

    .. math:: F(x, y) = \min_{\pi} \max_{(i, j) \in \pi} \|x_i - y_j\|_2,

    over the alignment paths ``pi`` of DTW, computed by
    ``R[i, j] = max(d_ij^2, min(R[i-1, j-1], R[i-1, j], R[i, j-1]))``, ``F = sqrt(R[-1, -1])``.

    Parameters
    ----------
    s1 : array-like, shape (sz1, d) or (sz1,)
    s2 : array-like, shape (sz2, d) or (sz2,)
        Trailing NaN rows are padding and are removed.
    global_constraint, sakoe_chiba_radius, itakura_max_slope
        As in :func:`dtw`.
    be : Backend, str or None

    Returns
    -------
    float, or a 0-d float64 tensor for the PyTorch backend.  The tensor is differentiable
    (almost everywhere): its gradient is that of the distance between the two samples of the
    bottleneck cell (0 at a zero distance).

    Examples
    --------
    >>> frechet([1, 2, 3], [1.0, 2.0, 2.0, 3.0])
    0.0
    >>> frechet([1.0, 2, 3], [-2.0, 5.0, 7.0])
    4.0
    """
    be, x, y, kind, param = _setup(
        s1, s2, global_constraint, sakoe_chiba_radius, itakura_max_slope, be, "frechet"
    )
    n, m = x.shape[0], y.shape[0]
    v.pair_bands(n, m, kind, param, "frechet")
    Xn = np.ascontiguousarray(be.to_numpy(x)[None], dtype=np.float64)
    Yn = np.ascontiguousarray(be.to_numpy(y)[None], dtype=np.float64)
    lx, ly, zero = np.array([n]), np.array([m]), np.zeros(1, dtype=np.int64)
    vals = _values(x[None], y[None], Xn, Yn, lx, ly, zero, zero, kind, param, be)
    return scalar(vals[0], be)


def frechet_path(
    s1, s2, global_constraint=None, sakoe_chiba_radius=None, itakura_max_slope=None, be=None
):
    r"""Optimal coupling and discrete Frechet distance of two time series.

    Parameters
    ----------
    s1 : array-like, shape (sz1, d) or (sz1,)
    s2 : array-like, shape (sz2, d) or (sz2,)
    global_constraint, sakoe_chiba_radius, itakura_max_slope, be
        As in :func:`frechet`.

    Returns
    -------
    path : list of (int, int)
        From ``(0, 0)`` to ``(sz1 - 1, sz2 - 1)``, read back from the accumulated matrix
        (ties prefer the diagonal, then the cell above, then the left one, as in tslearn).
    distance : float, or a 0-d tensor (differentiable as in :func:`frechet`)

    Examples
    --------
    >>> frechet_path([1.0, 2, 3], [1.0, 0.0, 2.0, 4.0])
    ([(0, 0), (0, 1), (1, 2), (2, 3)], 1.0)
    """
    be, x, y, kind, param = _setup(
        s1, s2, global_constraint, sakoe_chiba_radius, itakura_max_slope, be, "frechet_path"
    )
    n, m = x.shape[0], y.shape[0]
    mask = band_mask(n, m, kind, param, "frechet_path")
    R = accumulated(sq_cost(x, y, be), mask, na.FRECHET, be)
    path = na.backtrack(be.to_numpy(R), n - 1, m - 1, False)
    return path_list(path), scalar(safe_sqrt(R[n - 1, m - 1], be), be)


def frechet_path_from_metric(
    s1,
    s2=None,
    metric="precomputed",
    global_constraint=None,
    sakoe_chiba_radius=None,
    itakura_max_slope=None,
    be=None,
    **kwds,
):
    r"""Frechet coupling and value for any local distance, or a precomputed cost matrix.

    Parameters
    ----------
    s1 : array-like, shape (sz1, d) or (sz1,), or (sz1, sz2) with ``metric="precomputed"``
    s2 : array-like, shape (sz2, d) or (sz2,), or None with ``metric="precomputed"``
    metric : "precomputed", a metric name or a callable (default: "precomputed")
        ``"euclidean"`` and ``"sqeuclidean"`` are computed by the backend; a callable
        ``metric(x_i, y_j, **kwds)`` is called on every pair of samples; any other name is a
        SciPy ``cdist`` metric (no gradient).
    global_constraint, sakoe_chiba_radius, itakura_max_slope, be
        As in :func:`frechet`.
    **kwds
        Passed to the metric.

    Returns
    -------
    path : list of (int, int)
    value : numpy.float64, or a 0-d tensor
        The largest cost along the coupling, **not** square-rooted (``frechet`` is the
        square root of this value with ``metric="sqeuclidean"``).  Differentiable w.r.t. the
        cost matrix (the bottleneck cell's entry).

    Examples
    --------
    >>> import numpy as np
    >>> D = np.array([[0.0, 4.0], [1.0, 0.5]])
    >>> frechet_path_from_metric(D)
    ([(0, 0), (1, 1)], np.float64(0.5))
    """
    func = "frechet_path_from_metric"
    be, D = metric_cost_matrix(s1, s2, metric, kwds, be, func)
    kind, param = v.constraint(global_constraint, sakoe_chiba_radius, itakura_max_slope, func)
    n, m = D.shape
    R = accumulated(D, band_mask(n, m, kind, param, func), na.FRECHET, be)
    path = na.backtrack(be.to_numpy(R), n - 1, m - 1, False)
    return path_list(path), scalar(R[n - 1, m - 1], be, numpy_type=np.float64)


def frechet_accumulated_matrix(s1, s2, mask, be=None):
    r"""Accumulated matrix of the discrete Frechet recursion on the squared distances.

    ``R[i, j] = max(||x_i - y_j||^2, min(R[i-1, j-1], R[i-1, j], R[i, j-1]))`` on the cells
    where ``mask`` is True, ``+inf`` elsewhere.

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
        Squared values (``frechet`` is ``sqrt(R[-1, -1])``).  Differentiable for tensors:
        every entry is the cost of one cell, whose gradient it gets.

    Examples
    --------
    >>> from tsgrad.metrics import compute_mask
    >>> frechet_accumulated_matrix([1, 2, 3], [1.0, 2.0, 2.0, 3.0], compute_mask(3, 4)).tolist()
    [[0.0, 1.0, 1.0, 4.0], [1.0, 0.0, 0.0, 1.0], [4.0, 1.0, 1.0, 0.0]]
    """
    return accumulated_matrix(s1, s2, mask, be, na.FRECHET, "frechet_accumulated_matrix")


def cdist_frechet(
    dataset1,
    dataset2=None,
    global_constraint=None,
    sakoe_chiba_radius=None,
    itakura_max_slope=None,
    n_jobs=None,
    verbose=0,
    be=None,
):
    r"""Cross-distance matrix of the discrete Frechet distance between two datasets.

    Parameters
    ----------
    dataset1 : array-like, shape (n_ts1, sz1, d) or a list of series of varying lengths
    dataset2 : array-like, shape (n_ts2, sz2, d), or None
        None computes the symmetric matrix of ``dataset1`` (upper triangle only).
    global_constraint, sakoe_chiba_radius, itakura_max_slope
        As in :func:`frechet`, applied to each pair with its own lengths.
    n_jobs, verbose
        Accepted for tslearn compatibility and ignored: the numba kernel runs the pairs in
        parallel on every core.
    be : Backend, str or None

    Returns
    -------
    array, shape (n_ts1, n_ts2)
        Differentiable for tensors that require grad (through each pair's bottleneck cell).

    Examples
    --------
    >>> cdist_frechet([[1, 2, 2, 3], [1.0, 2.0, 3.0, 4.0]], [[1, 2, 3], [2, 3, 4, 5]]).tolist()
    [[0.0, 2.0], [1.0, 1.0]]
    """
    func = "cdist_frechet"
    be = instantiate_backend(be, dataset1, dataset2)
    kind, param = v.constraint(global_constraint, sakoe_chiba_radius, itakura_max_slope, func)
    ps = PairSet(dataset1, dataset2, be, func, with_diagonal=False)
    ps.check_feasible(kind, param, func)
    X, Y = ps.zero_padded() if requires_grad(ps.X, ps.Y) else (ps.X, ps.Y)
    vals = _values(X, Y, ps.Xn, ps.Yn, ps.lx, ps.ly, ps.ii, ps.jj, kind, param, be)
    return ps.matrix(vals)

"""Soft-DTW (Cuturi & Blondel, 2017): value, alignment, normalized value, pairwise."""

from __future__ import annotations

import numpy as np

from .. import _validation as v
from .._kernels import SqEuclidean, SqEuclideanPairs, alignment, make_bands, values
from ..backend import instantiate_backend
from ._cdist import cdist_values, datasets
from ._common import safe_sqrt
from ._dtw import _scalar


def _setup(s1, s2, gamma, global_constraint, sakoe_chiba_radius, itakura_max_slope, be, func):
    """The public boundary of the pair functions: backend, gamma, series and bands."""
    be = instantiate_backend(be, s1, s2)
    gamma = v.gamma(gamma, func, allow_zero=True)
    x, y = v.series_pair(s1, s2, be, func)
    kind, param = v.constraint(global_constraint, sakoe_chiba_radius, itakura_max_slope, func)
    return be, gamma, x, y, kind, param


def soft_dtw_value(x, y, gamma: float, bands):
    """Core of :func:`soft_dtw` on validated series: ``gamma = 0`` is hard DTW's
    accumulated cost (tslearn's convention)."""
    return values(SqEuclidean(x, y), gamma or None, bands)


def soft_dtw(
    s1,
    s2,
    gamma=1.0,
    global_constraint=None,
    sakoe_chiba_radius=None,
    itakura_max_slope=None,
    be=None,
    compute_with_backend=False,
):
    r"""Soft-DTW similarity of two time series (squared Euclidean ground cost).

    .. math::
        \mathrm{sDTW}_\gamma(x, y) = \mathrm{min}^\gamma_{A} \langle A, \Delta(x, y)\rangle,
        \qquad \mathrm{min}^\gamma(a) = -\gamma \log \sum_k e^{-a_k / \gamma}

    Soft-DTW is not a distance: it can be negative, and ``soft_dtw(x, x) != 0`` in general
    (it tends to ``-inf`` as ``gamma`` grows).  Use :func:`soft_dtw_normalized` (the
    soft-DTW divergence, Blondel et al. 2021) for a quantity that is >= 0 and 0 at x == y.

    Parameters
    ----------
    s1 : array-like, shape (sz1, d) or (sz1,)
    s2 : array-like, shape (sz2, d) or (sz2,)
        Trailing NaN rows are treated as padding and removed.
    gamma : float (default: 1.0)
        Smoothing, a finite number >= 0.  ``gamma == 0`` gives the squared DTW (tslearn's
        convention).
    global_constraint, sakoe_chiba_radius, itakura_max_slope
        As in :func:`dtw`.
    be : Backend, str or None
    compute_with_backend : bool (default: False)
        Accepted for compatibility with tslearn 0.6.  tsgrad always computes with its
        kernels, and tensors always get gradients, whatever the value.

    Returns
    -------
    float, or a 0-d float64 tensor for the PyTorch backend (differentiable; the gradient
    w.r.t. the cost matrix is the expected alignment).

    Examples
    --------
    >>> round(soft_dtw([1, 2, 3], [3, 4, -3], gamma=1.0), 4)
    41.1876
    >>> round(soft_dtw([1, 2, 3], [1, 2, 3], gamma=1.0), 4)  # not 0: negative here
    -1.1904
    >>> import torch
    >>> ts1 = torch.tensor([[1.0], [2.0], [3.0]], requires_grad=True)
    >>> ts2 = torch.tensor([[3.0], [4.0], [-3.0]])
    >>> sim = soft_dtw(ts1, ts2, gamma=1.0)
    >>> print(sim)
    tensor(41.1876, dtype=torch.float64, grad_fn=<...>)
    >>> sim.backward()
    >>> print(ts1.grad)
    tensor([[-4.0001],
            [-2.2852],
            [10.1643]])
    """
    func = "soft_dtw"
    be, gamma, x, y, kind, param = _setup(
        s1, s2, gamma, global_constraint, sakoe_chiba_radius, itakura_max_slope, be, func
    )
    bands = v.pair_bands(x.shape[0], y.shape[0], kind, param, func)
    if gamma == 0.0:
        return _squared_dtw(soft_dtw_value(x, y, gamma, bands), be)
    return _scalar(soft_dtw_value(x, y, gamma, bands), be)


def _squared_dtw(acc, be):
    """``dtw(x, y) ** 2`` from the accumulated cost, tslearn's value at ``gamma = 0``.

    On NumPy it is the square of the rounded ``dtw`` (so ``soft_dtw(x, y, gamma=0) ==
    dtw(x, y) ** 2`` exactly, as in tslearn); tensors keep the accumulated cost itself (equal
    up to rounding), whose gradient is the optimal path's.
    """
    if be.backend_string == "numpy":
        return float(np.sqrt(acc)) ** 2
    return acc


def soft_dtw_alignment(
    s1,
    s2,
    gamma=1.0,
    global_constraint=None,
    sakoe_chiba_radius=None,
    itakura_max_slope=None,
    be=None,
    compute_with_backend=False,
):
    r"""Soft-DTW value and its expected alignment matrix.

    The alignment ``A = d sDTW / d Delta`` is the expectation of the alignment matrices
    under the Gibbs distribution of temperature ``gamma``; entries lie in [0, 1].

    Parameters
    ----------
    s1 : array-like, shape (sz1, d) or (sz1,)
    s2 : array-like, shape (sz2, d) or (sz2,)
    gamma : float (default: 1.0)
        Smoothing, a finite number >= 0.  ``gamma == 0`` gives tslearn's hard alignment: the
        optimal DTW path as a 0/1 matrix (not differentiable; for tensors in torch's default
        float dtype, as tslearn) and ``dtw(s1, s2) ** 2``.
    global_constraint, sakoe_chiba_radius, itakura_max_slope, be, compute_with_backend
        As in :func:`soft_dtw`.

    Returns
    -------
    alignment : array, shape (sz1, sz2)
        Differentiable for tensors (its backward is a Hessian-vector product of soft-DTW).
    similarity : float64 scalar (NumPy) or 0-d tensor
        Same as :func:`soft_dtw`.

    Examples
    --------
    >>> A, sim = soft_dtw_alignment([1, 2, 3], [3, 4, -3], gamma=1.0)
    >>> A.shape, round(float(sim), 4)
    ((3, 3), 41.1876)
    >>> A[0].round(4).tolist()
    [1.0, 0.0, 0.0]
    """
    func = "soft_dtw_alignment"
    be = instantiate_backend(be, s1, s2)
    gamma = v.gamma(gamma, func, allow_zero=True)
    x, y = v.series_pair(s1, s2, be, func)
    kind, param = v.constraint(global_constraint, sakoe_chiba_radius, itakura_max_slope, func)
    bands = v.pair_bands(x.shape[0], y.shape[0], kind, param, func)
    value, E = alignment(SqEuclidean(x, y), gamma or None, bands)
    if gamma == 0.0:  # tslearn: the optimal path as a 0/1 matrix, and dtw ** 2
        if be.backend_string == "numpy":
            return E, np.float64(_squared_dtw(value, be))
        return E.to(be.zeros(()).dtype), value  # torch's default float dtype, as tslearn
    return E, value


def soft_dtw_normalized(
    s1,
    s2,
    gamma=1.0,
    global_constraint=None,
    sakoe_chiba_radius=None,
    itakura_max_slope=None,
    be=None,
):
    r"""Soft-DTW divergence: ``sDTW(x, y) - (sDTW(x, x) + sDTW(y, y)) / 2``.

    Non-negative, and 0 when ``x == y`` (Blondel, Mensch & Vert, AISTATS 2021).

    Parameters
    ----------
    s1, s2, gamma, global_constraint, sakoe_chiba_radius, itakura_max_slope, be
        As in :func:`soft_dtw`.

    Returns
    -------
    float, or a 0-d tensor for the PyTorch backend.

    Examples
    --------
    >>> soft_dtw_normalized([1, 2, 3], [1, 2, 3], gamma=0.5)
    0.0
    >>> soft_dtw_normalized([1, 2, 3], [1, 2, 4], gamma=0.5) > 0
    True
    """
    func = "soft_dtw_normalized"
    be, gamma, x, y, kind, param = _setup(
        s1, s2, gamma, global_constraint, sakoe_chiba_radius, itakura_max_slope, be, func
    )
    n, m = x.shape[0], y.shape[0]
    xy = soft_dtw_value(x, y, gamma, v.pair_bands(n, m, kind, param, func))
    if gamma == 0.0:  # DTW of a series with itself is 0: tslearn's dtw ** 2
        return _squared_dtw(xy, be)
    xx = soft_dtw_value(x, x, gamma, v.pair_bands(n, n, kind, param, func))
    yy = soft_dtw_value(y, y, gamma, v.pair_bands(m, m, kind, param, func))
    return _scalar(xy - 0.5 * (xx + yy), be)


def cdist_soft_dtw(
    dataset1,
    dataset2=None,
    gamma=1.0,
    global_constraint=None,
    sakoe_chiba_radius=None,
    itakura_max_slope=None,
    n_jobs=None,
    verbose=0,
    be=None,
):
    r"""Cross-similarity matrix of soft-DTW between two datasets.

    Parameters
    ----------
    dataset1 : array-like, shape (n_ts1, sz1, d) or a list of series of varying lengths
    dataset2 : array-like, shape (n_ts2, sz2, d), or None
        None gives the (symmetric) self-similarity matrix of ``dataset1``; its diagonal is
        ``soft_dtw(x, x)``, which is not 0.
    gamma : float (default: 1.0)
        Smoothing, a finite number >= 0.  ``gamma == 0`` returns :func:`cdist_dtw` (DTW
        itself, **not** squared: tslearn's convention, unlike ``soft_dtw(x, y, gamma=0) ==
        dtw(x, y) ** 2``).
    global_constraint, sakoe_chiba_radius, itakura_max_slope
        As in :func:`dtw`.
    n_jobs, verbose
        Ignored (tslearn compatibility); the kernels use all cores.
    be : Backend, str or None

    Returns
    -------
    array, shape (n_ts1, n_ts2)

    Examples
    --------
    >>> cdist_soft_dtw([[1, 2, 3], [3, 4, -3]], gamma=1.0).round(4).tolist()
    [[-1.1904, 41.1876], [41.1876, -0.5514]]
    """
    func = "cdist_soft_dtw"
    be = instantiate_backend(be, dataset1, dataset2)
    gamma = v.gamma(gamma, func, allow_zero=True)
    kind, param = v.constraint(global_constraint, sakoe_chiba_radius, itakura_max_slope, func)
    X, lx, Y, ly = datasets(dataset1, dataset2, be, func)
    if gamma == 0.0:  # tslearn: cdist_dtw itself
        return _cdist_dtw(X, lx, Y, ly, be, kind, param, func)
    return cdist_values(
        X, lx, Y, ly, be, gamma=gamma, kind=kind, param=param, func=func, with_diagonal=True
    )


def _cdist_dtw(X, lx, Y, ly, be, kind, param, func):
    vals = cdist_values(
        X, lx, Y, ly, be, gamma=None, kind=kind, param=param, func=func, with_diagonal=False
    )
    return safe_sqrt(vals, be)


def cdist_soft_dtw_normalized(
    dataset1,
    dataset2=None,
    gamma=1.0,
    global_constraint=None,
    sakoe_chiba_radius=None,
    itakura_max_slope=None,
    n_jobs=None,
    verbose=0,
    be=None,
):
    r"""Cross matrix of the soft-DTW divergence (>= 0, zero diagonal for ``dataset2=None``).

    ``D[i, j] = sDTW(x_i, y_j) - (sDTW(x_i, x_i) + sDTW(y_j, y_j)) / 2``.

    Parameters
    ----------
    dataset1, dataset2, gamma, global_constraint, sakoe_chiba_radius, itakura_max_slope,
    n_jobs, verbose, be
        As in :func:`cdist_soft_dtw`.

    Returns
    -------
    array, shape (n_ts1, n_ts2)

    Examples
    --------
    >>> cdist_soft_dtw_normalized([[1, 2, 3], [3, 4, -3]], gamma=1.0).round(4).tolist()
    [[0.0, 42.0586], [42.0586, 0.0]]
    """
    func = "cdist_soft_dtw_normalized"
    be = instantiate_backend(be, dataset1, dataset2)
    gamma = v.gamma(gamma, func, allow_zero=True)
    kind, param = v.constraint(global_constraint, sakoe_chiba_radius, itakura_max_slope, func)
    X, lx, Y, ly = datasets(dataset1, dataset2, be, func)
    if gamma == 0.0:  # tslearn: cdist_dtw itself
        return _cdist_dtw(X, lx, Y, ly, be, kind, param, func)
    xy = cdist_values(
        X, lx, Y, ly, be, gamma=gamma, kind=kind, param=param, func=func, with_diagonal=True
    )
    if Y is X:
        xx = yy = xy.diagonal()
    else:
        xx = _self_values(X, lx, gamma, kind, param)
        yy = _self_values(Y, ly, gamma, kind, param)
    return xy - 0.5 * (xx[:, None] + yy[None, :])


def _self_values(X, lengths, gamma: float, kind: int, param: float):
    """``sDTW(x_i, x_i)`` ``(n_ts,)`` of every series of a validated dataset."""
    idx = np.arange(X.shape[0], dtype=np.int64)
    bands = make_bands(lengths, lengths, X.shape[1], kind, param)
    return values(SqEuclideanPairs(X, X, lengths, lengths, idx, idx), gamma or None, bands)

"""Soft-DTW (Cuturi & Blondel, 2017): value, alignment, normalized value, pairwise."""

from __future__ import annotations

import numpy as np

from .._kernels._dispatch import (
    dtw_pair_value,
    dtw_paths_and_values,
    soft_dtw_alignments,
    soft_dtw_pair_value,
    sqeuclidean_cost,
)
from ..backend import instantiate_backend
from ._cdist import cdist_values
from ._dtw import _scalar
from ._utils import check_gamma, constraint_code, pair_bands, series_pair

_SOFT_DTW_NOTE = """
    Soft-DTW is not a distance: it can be negative, and ``soft_dtw(x, x) != 0`` in general
    (it tends to ``-inf`` as ``gamma`` grows).  Use :func:`soft_dtw_normalized` (the
    soft-DTW divergence, Blondel et al. 2021) for a quantity that is >= 0 and 0 at x == y.
"""


def _setup(s1, s2, gamma, global_constraint, sakoe_chiba_radius, itakura_max_slope, be, func):
    be = instantiate_backend(be, s1, s2)
    gamma = check_gamma(gamma, func)
    x, y = series_pair(s1, s2, be, func)
    kind, param = constraint_code(global_constraint, sakoe_chiba_radius, itakura_max_slope, func)
    bands = pair_bands(x.shape[0], y.shape[0], kind, param, func)
    return be, gamma, x, y, kind, param, bands


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
    (
        r"""Soft-DTW similarity of two time series (squared Euclidean ground cost).

    .. math::
        \mathrm{sDTW}_\gamma(x, y) = \mathrm{min}^\gamma_{A} \langle A, \Delta(x, y)\rangle,
        \qquad \mathrm{min}^\gamma(a) = -\gamma \log \sum_k e^{-a_k / \gamma}
    """
        + _SOFT_DTW_NOTE
        + r"""
    Parameters
    ----------
    s1 : array-like, shape (sz1, d) or (sz1,)
    s2 : array-like, shape (sz2, d) or (sz2,)
    gamma : float (default: 1.0)
        Smoothing, >= 0.  ``gamma == 0`` gives the squared DTW (tslearn's convention).
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
    >>> import torch
    >>> ts1 = torch.tensor([[1.0], [2.0], [3.0]], requires_grad=True)
    >>> ts2 = torch.tensor([[3.0], [4.0], [-3.0]])
    >>> sim = soft_dtw(ts1, ts2, gamma=1.0, be="pytorch", compute_with_backend=True)
    >>> print(sim)
    tensor(41.1876, dtype=torch.float64, grad_fn=<SelectBackward0>)
    >>> sim.backward()
    >>> print(ts1.grad)
    tensor([[-4.0001],
            [-2.2852],
            [10.1643]])
    """
    )
    be, gamma, x, y, kind, param, bands = _setup(
        s1, s2, gamma, global_constraint, sakoe_chiba_radius, itakura_max_slope, be, "soft_dtw"
    )
    if gamma == 0.0:
        return _squared_dtw(dtw_pair_value(x, y, bands, kind, param, be), be)
    return _scalar(soft_dtw_pair_value(x, y, gamma, bands, kind, param, be), be)


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
        Smoothing, >= 0.  ``gamma == 0`` gives tslearn's hard alignment: the optimal DTW
        path as a 0/1 matrix (not differentiable; for tensors in torch's default float dtype,
        as tslearn) and ``dtw(s1, s2) ** 2``.
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
    be, gamma, x, y, kind, param, bands = _setup(
        s1,
        s2,
        gamma,
        global_constraint,
        sakoe_chiba_radius,
        itakura_max_slope,
        be,
        "soft_dtw_alignment",
    )
    if gamma == 0.0:  # tslearn: the optimal path as a 0/1 matrix, and dtw ** 2
        paths, vals = dtw_paths_and_values(sqeuclidean_cost(x, y)[None], bands, be)
        A = np.zeros((x.shape[0], y.shape[0]))
        A[tuple(np.array(paths[0]).T)] = 1.0
        value = _squared_dtw(vals[0], be)
        if be.backend_string == "numpy":
            return A, np.float64(value)
        # torch's default float dtype, as tslearn's be.zeros: a 0/1 matrix is exact in it
        return be.array(A, dtype=be.zeros(()).dtype, device=be.device(x)), value
    vals, E = soft_dtw_alignments(sqeuclidean_cost(x, y)[None], gamma, bands, be)
    return E[0], vals[0]


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
    """
    args = (gamma, global_constraint, sakoe_chiba_radius, itakura_max_slope, be)
    xy = soft_dtw(s1, s2, *args)
    xx = soft_dtw(s1, s1, *args)
    yy = soft_dtw(s2, s2, *args)
    return xy - 0.5 * (xx + yy)


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
        ``gamma == 0`` returns :func:`cdist_dtw` (DTW itself, **not** squared: tslearn's
        convention, which differs from ``soft_dtw(x, y, gamma=0) == dtw(x, y) ** 2``).
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
    be = instantiate_backend(be, dataset1, dataset2)
    gamma = check_gamma(gamma, "cdist_soft_dtw")
    kind, param = constraint_code(
        global_constraint, sakoe_chiba_radius, itakura_max_slope, "cdist_soft_dtw"
    )
    if gamma == 0.0:  # tslearn: cdist_dtw itself (not squared, unlike soft_dtw)
        vals = cdist_values(
            dataset1,
            dataset2,
            be,
            gamma=None,
            kind=kind,
            param=param,
            func="cdist_soft_dtw",
            with_diagonal=False,
        )
        return be.sqrt(vals)
    return cdist_values(
        dataset1,
        dataset2,
        be,
        gamma=gamma,
        kind=kind,
        param=param,
        func="cdist_soft_dtw",
        with_diagonal=True,
    )


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
    kw = dict(
        gamma=gamma,
        global_constraint=global_constraint,
        sakoe_chiba_radius=sakoe_chiba_radius,
        itakura_max_slope=itakura_max_slope,
        be=be,
    )
    be = instantiate_backend(be, dataset1, dataset2)
    xy = cdist_soft_dtw(dataset1, dataset2, **kw)
    if dataset2 is None:
        xx = xy.diagonal()
        yy = xx
    else:
        xx = _self_values(dataset1, kw)
        yy = _self_values(dataset2, kw)
    return xy - 0.5 * (xx[:, None] + yy[None, :])


def _self_values(dataset, kw):
    """``sDTW(x_i, x_i)`` for every series of a dataset (one pair per series)."""
    from ._cdist import dataset_lengths
    from ._utils import to_time_series_dataset

    be = instantiate_backend(kw["be"], dataset)
    X = to_time_series_dataset(dataset, be=be)
    lengths = dataset_lengths(be.to_numpy(X), "cdist_soft_dtw_normalized", "dataset")
    vals = [soft_dtw(X[k, : lengths[k]], X[k, : lengths[k]], **kw) for k in range(X.shape[0])]
    if be.backend_string == "numpy":
        return be.array(vals, dtype=be.float64)
    return be.stack(vals)

"""Global Alignment Kernel (Cuturi, 2011): normalized, unnormalized, pairwise, bandwidths."""

from __future__ import annotations

import numbers

import numpy as np

from .. import _validation as v
from .._kernels import CostMatrix, cost_matrix, full_bands, make_bands, values
from .._kernels._numba_gak import log_gak_pairs
from ..backend import instantiate_backend
from ._common import PairSet, as_backend, requires_grad, scalar


class SigmaError(ValueError, ZeroDivisionError):
    """``sigma = 0``: a ``ValueError``, and the ``ZeroDivisionError`` tslearn raises.

    Examples
    --------
    Code written for tslearn catches ``ZeroDivisionError``; ``ValueError`` catches it too:

    >>> from tsgrad.metrics import SigmaError, gak
    >>> try:
    ...     gak([1.0, 2.0, 3.0], [1.0, 2.0], sigma=0)
    ... except ZeroDivisionError as err:
    ...     print(type(err).__name__, isinstance(err, ValueError))
    ...     print(err)
    SigmaError True
    The 'sigma' parameter of gak must be > 0. Got 0 instead.
    """


def _check_sigma(sigma, func: str) -> float:
    if isinstance(sigma, bool) or not isinstance(sigma, numbers.Real) or sigma != sigma:
        raise TypeError(
            f"The 'sigma' parameter of {func} must be a real number > 0. Got {sigma!r} instead."
        )
    if sigma == 0:
        raise SigmaError(f"The 'sigma' parameter of {func} must be > 0. Got {sigma!r} instead.")
    if not 0 < sigma < np.inf:
        raise ValueError(
            f"The 'sigma' parameter of {func} must be a finite number > 0. Got {sigma!r} instead."
        )
    return float(sigma)


def _neg_log_kernel(X, Y, sigma, be):
    """``-log k(x_i, y_j)`` ``(..., n, m)``, the local cost of GAK (>= 0, 0 at x_i == y_j)."""
    s = cost_matrix(X, Y) / (2.0 * sigma * sigma)
    return s + be.log(2.0 - be.exp(-s))


def _log_gak(X, Y, Xn, Yn, lx, ly, ii, jj, sigma, be):
    """``log G`` ``(P,)`` of the pairs ``(X[ii], Y[jj])``.

    numba's log-domain kernel, or (tensors that require grad) soft-DTW with ``gamma = 1`` on
    the cost ``-log k``, differentiable: ``log G = -softDTW_1(-log k)``.
    """
    if not requires_grad(X, Y):
        logs = log_gak_pairs(Xn, Yn, lx, ly, ii, jj, 1.0 / (2.0 * sigma * sigma))
        return logs if be.backend_string == "numpy" else as_backend(logs, be, X)
    index = [be.array(a, device=be.device(X)) for a in (ii, jj)]
    C = _neg_log_kernel(X[index[0]], Y[index[1]], sigma, be)
    bands = make_bands(lx[ii], ly[jj], Xn.shape[1])
    return -values(CostMatrix(C), 1.0, bands)


def _pair_log_gak(x, y, sigma, be):
    """``log G(x, y)`` of two validated series (a 0-d value)."""
    if requires_grad(x, y):
        C = _neg_log_kernel(x[None], y[None], sigma, be)
        return -values(CostMatrix(C), 1.0, full_bands(1, x.shape[0], y.shape[0]))[0]
    Xn = np.ascontiguousarray(be.to_numpy(x)[None], dtype=np.float64)
    Yn = np.ascontiguousarray(be.to_numpy(y)[None], dtype=np.float64)
    zero = np.zeros(1, dtype=np.int64)
    lx, ly = np.array([x.shape[0]]), np.array([y.shape[0]])
    log_g = log_gak_pairs(Xn, Yn, lx, ly, zero, zero, 1.0 / (2.0 * sigma * sigma))[0]
    return log_g if be.backend_string == "numpy" else as_backend(log_g, be, x)


def unnormalized_gak(s1, s2, sigma=1.0, be=None):
    r"""Global Alignment Kernel of two time series, not normalized.

    The sum over all alignment paths ``pi`` of the product of a local kernel along the path
    (Cuturi, Vert, Birkenes & Matsui, 2007; Cuturi, 2011):

    .. math::
        G(x, y) = \sum_{\pi} \prod_{(i, j) \in \pi} k(x_i, y_j),\qquad
        k(a, b) = \frac{e^{-\|a - b\|^2 / (2\sigma^2)}}{2 - e^{-\|a - b\|^2 / (2\sigma^2)}}

    computed in the log domain (``log G`` is soft-DTW with ``gamma = 1`` on the cost
    ``-log k``).  ``G`` itself exceeds the float64 range for series longer than about 400
    samples (``inf`` is returned, as in tslearn): use :func:`gak`, which normalizes in the
    log domain.

    Parameters
    ----------
    s1 : array-like, shape (sz1, d) or (sz1,)
    s2 : array-like, shape (sz2, d) or (sz2,)
        Trailing NaN rows are padding and are removed.
    sigma : float > 0 (default: 1.0)
        Bandwidth of the local Gaussian kernel (see :func:`sigma_gak`).
    be : Backend, str or None

    Returns
    -------
    float, or a 0-d float64 tensor (differentiable: the gradient of ``log G`` w.r.t. the
    local cost is minus the expected alignment under the paths' weights).

    Raises
    ------
    SigmaError
        (a ``ValueError`` and a ``ZeroDivisionError``, as tslearn raises) if ``sigma == 0``.

    Examples
    --------
    >>> round(unnormalized_gak([1, 2, 2, 3], [1.0, 2.0, 3.0, 4.0]), 6)
    3.745675
    """
    func = "unnormalized_gak"
    sigma = _check_sigma(sigma, func)
    be = instantiate_backend(be, s1, s2)
    x, y = v.series_pair(s1, s2, be, func)
    return scalar(be.exp(_pair_log_gak(x, y, sigma, be)), be)


def gak(s1, s2, sigma=1.0, be=None):
    r"""Normalized Global Alignment Kernel of two time series.

    .. math:: K(x, y) = \frac{G(x, y)}{\sqrt{G(x, x)\, G(y, y)}}

    with ``G`` the :func:`unnormalized_gak`, computed from ``log G`` (no overflow): a
    positive definite kernel with ``K(x, x) = 1`` and values in ``(0, 1]``.

    Parameters
    ----------
    s1 : array-like, shape (sz1, d) or (sz1,)
    s2 : array-like, shape (sz2, d) or (sz2,)
    sigma : float > 0 (default: 1.0)
    be : Backend, str or None

    Returns
    -------
    numpy.float64, or a 0-d float64 tensor (differentiable).

    Examples
    --------
    >>> round(float(gak([1, 2, 2, 3], [1.0, 2.0, 3.0, 4.0], sigma=2)), 6)
    0.656297
    >>> float(gak([1, 2, 3], [1, 2, 3]))
    1.0
    """
    func = "gak"
    sigma = _check_sigma(sigma, func)
    be = instantiate_backend(be, s1, s2)
    x, y = v.series_pair(s1, s2, be, func)
    log_xy = _pair_log_gak(x, y, sigma, be)
    log_xx = _pair_log_gak(x, x, sigma, be)
    log_yy = _pair_log_gak(y, y, sigma, be)
    return scalar(be.exp(log_xy - 0.5 * (log_xx + log_yy)), be, numpy_type=np.float64)


def cdist_gak(dataset1, dataset2=None, sigma=1.0, n_jobs=None, verbose=0, be=None):
    r"""Cross-similarity matrix of the normalized Global Alignment Kernel.

    Parameters
    ----------
    dataset1 : array-like, shape (n_ts1, sz1, d) or a list of series of varying lengths
    dataset2 : array-like, shape (n_ts2, sz2, d), or None
        None gives the symmetric Gram matrix of ``dataset1`` (ones on the diagonal).
    sigma : float > 0 (default: 1.0)
    n_jobs, verbose
        Accepted for tslearn compatibility and ignored: the numba kernel runs the pairs in
        parallel on every core.
    be : Backend, str or None

    Returns
    -------
    array, shape (n_ts1, n_ts2)
        Differentiable for tensors that require grad.

    Examples
    --------
    >>> cdist_gak([[1, 2, 2, 3], [1.0, 2.0, 3.0, 4.0]], sigma=2.0).round(6).tolist()
    [[1.0, 0.656297], [0.656297, 1.0]]
    """
    func = "cdist_gak"
    sigma = _check_sigma(sigma, func)
    be = instantiate_backend(be, dataset1, dataset2)
    ps = PairSet(dataset1, dataset2, be, func, with_diagonal=True)
    X, Y = ps.zero_padded() if requires_grad(ps.X, ps.Y) else (ps.X, ps.Y)
    log_xy = ps.matrix(_log_gak(X, Y, ps.Xn, ps.Yn, ps.lx, ps.ly, ps.ii, ps.jj, sigma, be))
    if ps.symmetric:
        log_xx = log_yy = log_xy.diagonal()
    else:
        log_xx = _self_log_gak(X, ps.Xn, ps.lx, sigma, be)
        log_yy = _self_log_gak(Y, ps.Yn, ps.ly, sigma, be)
    return be.exp(log_xy - 0.5 * (log_xx[:, None] + log_yy[None, :]))


def _self_log_gak(X, Xn, lengths, sigma, be):
    k = np.arange(Xn.shape[0], dtype=np.int64)
    return _log_gak(X, X, Xn, Xn, lengths, lengths, k, k, sigma, be)


def sigma_gak(dataset, n_samples=100, random_state=None, be=None):
    r"""A bandwidth for GAK from the data (Cuturi, 2011): ``median(||x_i - x_j||) sqrt(sz)``.

    The median of the Euclidean distances between ``n_samples`` samples (time steps, all
    series pooled, NaN padding left out) drawn at random, times the square root of the
    series length.  The draw is tslearn's (``RandomState.choice``, with replacement only
    when there are fewer samples than ``n_samples``), so the same ``random_state`` gives the
    same value.

    Parameters
    ----------
    dataset : array-like, shape (n_ts, sz, d) or a list of series
    n_samples : int >= 2 (default: 100)
    random_state : None, int, numpy.random.RandomState or numpy.random.Generator
    be : Backend, str or None

    Returns
    -------
    numpy.float64, or a 0-d float64 tensor (a statistic of the data: not differentiable).

    Examples
    --------
    >>> float(sigma_gak([[1, 2, 2, 3], [1.0, 2.0, 3.0, 4.0]], n_samples=200, random_state=0))
    2.0
    """
    func = "sigma_gak"
    be = instantiate_backend(be, dataset)
    n_samples = v.integer(n_samples, "n_samples", func, minimum=2)
    rng = v.random_state(random_state, func)
    X = v.as_dataset(dataset, be, "dataset", func)
    Xn = be.to_numpy(X)
    sz, d = Xn.shape[1], Xn.shape[2]
    samples = Xn.reshape(-1, d)
    samples = samples[np.isfinite(samples.sum(axis=-1))]
    if samples.shape[0] == 0:
        raise ValueError(f"The 'dataset' parameter of {func} holds no finite sample.")
    drawn = samples[
        rng.choice(samples.shape[0], size=n_samples, replace=samples.shape[0] < n_samples)
    ]
    from scipy.spatial.distance import pdist

    sigma = np.median(pdist(drawn, metric="euclidean")) * np.sqrt(sz)
    return scalar(as_backend(sigma, be, X), be, numpy_type=np.float64)


def gamma_soft_dtw(dataset, n_samples=100, random_state=None, be=None):
    r"""A soft-DTW ``gamma`` from the data: ``2 sigma_gak(dataset) ** 2``.

    Soft-DTW with this ``gamma`` on the squared Euclidean cost matches GAK's bandwidth
    (Cuturi, 2011; tslearn's heuristic).

    Parameters
    ----------
    dataset, n_samples, random_state, be
        As in :func:`sigma_gak`.

    Returns
    -------
    numpy.float64, or a 0-d float64 tensor.

    Examples
    --------
    >>> float(gamma_soft_dtw([[1, 2, 2, 3], [1.0, 2.0, 3.0, 4.0]], n_samples=200, random_state=0))
    8.0
    """
    sigma = sigma_gak(dataset, n_samples=n_samples, random_state=random_state, be=be)
    return 2.0 * sigma**2

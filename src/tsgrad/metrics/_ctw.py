"""Canonical Time Warping (Zhou & De la Torre, NIPS 2009): DTW alternated with CCA."""

from __future__ import annotations

import numpy as np

from .. import _validation as v
from .._kernels import SqEuclidean, values
from .._kernels._numba_accumulate import DTW, accumulate_values, backtrack, sqeuclidean_matrix
from ..backend import instantiate_backend
from ._common import PairSet, band_mask, path_list, requires_grad, safe_sqrt

# Ridge added to each covariance before whitening, relative to its mean eigenvalue: it
# keeps constant or collinear features (rank-deficient covariances) well defined and moves
# full-rank directions by about this relative amount.
_RIDGE = 1e-10


class CCAProjection:
    """The canonical directions CTW projects the two series on.

    Parameters
    ----------
    x_weights : ndarray, shape (d1, n_components)
    y_weights : ndarray, shape (d2, n_components)
    n_iter : int
        As :func:`ctw_path` finds them: get a ``CCAProjection`` from that function, not
        from this constructor.

    Attributes
    ----------
    x_weights_ : ndarray, shape (d1, n_components)
    y_weights_ : ndarray, shape (d2, n_components)
        Unit-norm columns; component ``k`` of the pair is ``(x @ x_weights_[:, k],
        y @ y_weights_[:, k])``.
    n_components : int
    n_iter_ : int
        Number of CCA / DTW alternations run.

    Examples
    --------
    >>> _, cca, _ = ctw_path([[1.0, 0.0], [2.0, 0.5], [3.0, 0.1]], [1.0, 2.0, 3.0])
    >>> cca.x_weights_.shape, cca.y_weights_.shape
    ((2, 1), (1, 1))
    """

    def __init__(self, x_weights, y_weights, n_iter):
        self.x_weights_ = x_weights
        self.y_weights_ = y_weights
        self.n_components = int(x_weights.shape[1])
        self.n_iter_ = int(n_iter)

    def transform(self, X, Y=None):
        """``X @ x_weights_`` (and ``Y @ y_weights_``): the projected series.

        Parameters
        ----------
        X : array-like, shape (sz1, d1)
        Y : array-like, shape (sz2, d2), or None

        Returns
        -------
        array, shape (sz1, n_components), or a pair of arrays when ``Y`` is given
            Of the backend of ``X`` (tensors stay differentiable).
        """
        be = instantiate_backend(X)
        Xp = _project(be.asarray(X, dtype=be.float64), self.x_weights_, be)
        if Y is None:
            return Xp
        be_y = instantiate_backend(Y)
        return Xp, _project(be_y.asarray(Y, dtype=be_y.float64), self.y_weights_, be_y)

    def __repr__(self) -> str:
        return f"CCAProjection(n_components={self.n_components}, n_iter_={self.n_iter_})"


def _project(x, weights, be):
    return be.matmul(x, be.array(weights, dtype=be.float64, device=be.device(x)))


def _inverse_sqrt(C, be):
    """``(C + ridge I)^(-1/2)`` of a covariance (symmetric, >= 0), written on the backend."""
    d = C.shape[0]
    trace = float(np.trace(be.to_numpy(C)))
    ridge = _RIDGE * trace / d if trace > 0 else 1.0
    lam, V = be.linalg.eigh(C + ridge * be.eye(d, dtype=be.float64, device=be.device(C)))
    return be.matmul(V / be.sqrt(be.maximum(lam, np.finfo(float).tiny)), be.transpose(V))


def _unit_columns(W, be):
    norms = be.linalg.norm(W, axis=0)
    return W / be.where(norms > 0, norms, be.ones_like(norms))


def _cca_directions(A, B, k, be):
    """Unit-norm canonical directions ``(d1, k)``, ``(d2, k)`` of the aligned samples ``A``
    ``(T, d1)`` and ``B`` ``(T, d2)``: the first ``k`` pairs of the SVD of the whitened
    cross-covariance, signs making the largest entry of each ``A`` direction positive.

    Written on the backend: with tensors the directions are differentiable (while the
    canonical correlations are distinct).
    """
    A0 = A - be.mean(A, axis=0)
    B0 = B - be.mean(B, axis=0)
    Kx = _inverse_sqrt(be.matmul(be.transpose(A0), A0), be)
    Ky = _inverse_sqrt(be.matmul(be.transpose(B0), B0), be)
    cross = be.matmul(be.matmul(Kx, be.matmul(be.transpose(A0), B0)), Ky)
    U, _, Vh = be.linalg.svd(cross, False)
    Wx = _unit_columns(be.matmul(Kx, U[:, :k]), be)
    Wy = _unit_columns(be.matmul(Ky, be.transpose(Vh)[:, :k]), be)
    Wn = be.to_numpy(Wx)
    flip = np.sign(Wn[np.argmax(np.abs(Wn), axis=0), np.arange(k)])
    flip[flip == 0] = 1.0
    flip = be.array(flip, dtype=be.float64, device=be.device(A))
    return Wx * flip, Wy * flip


def _uniform_path(n, m):
    """The linear alignment of lengths ``n`` and ``m``: ``max(n, m)`` cells on the diagonal
    line from ``(0, 0)`` to ``(n - 1, m - 1)``."""
    T = max(n, m)
    t = np.arange(T) / max(T - 1, 1)
    rows, cols = np.rint(t * (n - 1)).astype(int), np.rint(t * (m - 1)).astype(int)
    return list(zip(rows.tolist(), cols.tolist(), strict=True))


def _ctw(x, y, max_iter, k, mask, verbose):
    """CTW of two NumPy series: ``(path (L, 2), projection, squared score, path of its
    CCA)``.

    From the uniform alignment, each iteration fits CCA on the aligned samples and aligns
    the projected series by DTW, until the path repeats (a fixed point, or a cycle) or
    ``max_iter`` iterations; the iterate of lowest score is returned.
    """
    numpy_be = instantiate_backend("numpy")
    n, m = x.shape[0], y.shape[0]
    path = np.array(_uniform_path(n, m))
    seen = set()
    best = None
    directions = None
    n_iter = 0
    for it in range(max_iter):
        Wx, Wy = _cca_directions(x[path[:, 0]], y[path[:, 1]], k, numpy_be)
        if directions is not None and all(map(np.array_equal, (Wx, Wy), directions)):
            break  # same projection: DTW would return the same path (a fixed point)
        directions = (Wx, Wy)
        n_iter = it + 1
        R = accumulate_values(sqeuclidean_matrix(x @ Wx, y @ Wy), mask, DTW, False)
        new_path = backtrack(R, n - 1, m - 1, False)
        score = R[n - 1, m - 1]
        if verbose:
            print(f"Iteration {n_iter}, score={np.sqrt(score)}")
        if best is None or score <= best[2]:
            best = (new_path, directions, score, path)
        key = new_path.tobytes()
        if np.array_equal(new_path, path) or key in seen:
            break
        seen.add(key)
        path = new_path
    return best[0], CCAProjection(*best[1], n_iter), best[2], best[3]


def _n_components(n_components, d1, d2, func):
    if n_components is None:
        return min(d1, d2)
    k = v.integer(n_components, "n_components", func, minimum=1)
    if k > min(d1, d2):
        raise ValueError(
            f"The 'n_components' parameter of {func} must be at most min(d1, d2) = "
            f"{min(d1, d2)} (the features of the two series). Got {n_components!r} instead."
        )
    return k


def ctw_path(
    s1,
    s2,
    max_iter=100,
    n_components=None,
    global_constraint=None,
    sakoe_chiba_radius=None,
    itakura_max_slope=None,
    verbose=False,
    be=None,
):
    r"""Canonical Time Warping: alignment path, canonical projection and score.

    CTW (Zhou & De la Torre, NIPS 2009) aligns series whose features differ by a linear map
    (even in number): starting from the uniform (linear) alignment, it alternates canonical
    correlation analysis (CCA) of the aligned samples, which gives the directions ``W_x``,
    ``W_y`` of largest correlation between the centred samples, and DTW between the
    projected series ``x @ W_x`` and ``y @ W_y``, until the alignment path repeats or
    ``max_iter`` alternations were run.  The directions have unit norm, so the score, the
    DTW (square root of the accumulated squared cost) of the projected series, keeps the
    scale of the data; the iterate of lowest score is returned.

    For univariate series each direction is +-1: the score is :func:`dtw` (of ``x`` and
    ``y``, or of ``x`` and ``-y`` when the samples are anti-correlated along the alignment).

    Parameters
    ----------
    s1 : array-like, shape (sz1, d1) or (sz1,)
    s2 : array-like, shape (sz2, d2) or (sz2,)
        ``d1 != d2`` is allowed.  Trailing NaN rows are padding and are removed.
    max_iter : int >= 1 (default: 100)
        Largest number of CCA / DTW alternations.
    n_components : int or None (default: None)
        Number of canonical components, at most (and by default) ``min(d1, d2)``.
    global_constraint, sakoe_chiba_radius, itakura_max_slope
        Constraint of every DTW step, as in :func:`dtw`.
    verbose : bool (default: False)
        Print the score of each alignment.
    be : Backend, str or None

    Returns
    -------
    path : list of (int, int)
    cca : CCAProjection
        The directions the score was computed with (``transform`` projects series).
    score : float, or a 0-d float64 tensor
        Differentiable for tensors: the last CCA step (through ``eigh`` and ``svd``; finite
        while the canonical correlations are distinct) and the last DTW step (through its
        path) are recomputed on the tensors, with the alignment the CCA was fitted on held
        fixed (it is piecewise constant).

    Notes
    -----
    tslearn's ``ctw_path`` starts from DTW on the first ``n_components`` features, stops
    after one CCA step whatever ``max_iter`` (its convergence test compares the path with
    itself) and returns the score of that first DTW with the path of the second one: for
    univariate series its scores are the ones here (up to the sign case above); for
    multivariate series they are DTW on raw features.  The paper normalizes the canonical
    variates to unit variance; unit-norm directions keep tslearn's scale.

    Examples
    --------
    >>> path, cca, score = ctw_path([1, 2, 3], [1.0, 2.0, 2.0, 3.0, 4.0])
    >>> path, score
    ([(0, 0), (1, 1), (1, 2), (2, 3), (2, 4)], 1.0)
    """
    func = "ctw_path"
    be = instantiate_backend(be, s1, s2)
    x = v.series(s1, be, "s1", func)
    y = v.series(s2, be, "s2", func)
    max_iter = v.integer(max_iter, "max_iter", func, minimum=1)
    k = _n_components(n_components, x.shape[1], y.shape[1], func)
    kind, param = v.constraint(global_constraint, sakoe_chiba_radius, itakura_max_slope, func)
    return _ctw_core(x, y, max_iter, k, kind, param, bool(verbose), be, func)


def _ctw_core(x, y, max_iter, k, kind, param, verbose, be, func):
    """``(path, projection, score)`` of two validated series of backend ``be``."""
    mask = band_mask(x.shape[0], y.shape[0], kind, param, func)
    xn = np.ascontiguousarray(be.to_numpy(x), dtype=np.float64)
    yn = np.ascontiguousarray(be.to_numpy(y), dtype=np.float64)
    path, cca, score, cca_path = _ctw(xn, yn, max_iter, k, mask, verbose)
    if requires_grad(x, y):
        # the last step again on the tensors: CCA on the alignment it used, then DTW
        bands = v.pair_bands(x.shape[0], y.shape[0], kind, param, func)
        rows, cols = (be.array(v, device=be.device(x)) for v in cca_path.T)
        Wx, Wy = _cca_directions(x[rows], y[cols], k, be)
        xp, yp = be.matmul(x, Wx), be.matmul(y, Wy)
        score = safe_sqrt(values(SqEuclidean(xp, yp), None, bands), be)
    elif be.backend_string == "numpy":
        score = float(np.sqrt(score))
    else:
        score = be.array(np.sqrt(score), dtype=be.float64, device=be.device(x))
    return path_list(path), cca, score


def ctw(
    s1,
    s2,
    max_iter=100,
    n_components=None,
    global_constraint=None,
    sakoe_chiba_radius=None,
    itakura_max_slope=None,
    verbose=False,
    be=None,
):
    r"""Canonical Time Warping score of two time series (see :func:`ctw_path`).

    Parameters
    ----------
    s1, s2, max_iter, n_components, global_constraint, sakoe_chiba_radius,
    itakura_max_slope, verbose, be
        As in :func:`ctw_path`.

    Returns
    -------
    float, or a 0-d float64 tensor (differentiable as in :func:`ctw_path`).

    Examples
    --------
    >>> ctw([1, 2, 3], [1.0, 2.0, 2.0, 3.0])
    0.0
    """
    return ctw_path(
        s1,
        s2,
        max_iter=max_iter,
        n_components=n_components,
        global_constraint=global_constraint,
        sakoe_chiba_radius=sakoe_chiba_radius,
        itakura_max_slope=itakura_max_slope,
        verbose=verbose,
        be=be,
    )[-1]


def cdist_ctw(
    dataset1,
    dataset2=None,
    max_iter=100,
    n_components=None,
    global_constraint=None,
    sakoe_chiba_radius=None,
    itakura_max_slope=None,
    n_jobs=None,
    verbose=0,
    be=None,
):
    r"""Cross-similarity matrix of Canonical Time Warping between two datasets.

    Parameters
    ----------
    dataset1 : array-like, shape (n_ts1, sz1, d) or a list of series of varying lengths
    dataset2 : array-like, shape (n_ts2, sz2, d), or None
        None gives the symmetric matrix of ``dataset1`` (upper triangle computed, zero
        diagonal).  Both datasets have the same number of features.
    max_iter, n_components, global_constraint, sakoe_chiba_radius, itakura_max_slope
        As in :func:`ctw_path`, for every pair.
    n_jobs, verbose
        Accepted for tslearn compatibility and ignored (``verbose`` does not print).
    be : Backend, str or None

    Returns
    -------
    array, shape (n_ts1, n_ts2)
        Differentiable for tensors as in :func:`ctw_path`.

    Examples
    --------
    >>> cdist_ctw([[1, 2, 2, 3], [1.0, 2.0, 3.0, 4.0]]).tolist()
    [[0.0, 1.0], [1.0, 0.0]]
    """
    func = "cdist_ctw"
    be = instantiate_backend(be, dataset1, dataset2)
    max_iter = v.integer(max_iter, "max_iter", func, minimum=1)
    kind, param = v.constraint(global_constraint, sakoe_chiba_radius, itakura_max_slope, func)
    ps = PairSet(dataset1, dataset2, be, func, with_diagonal=False)
    ps.check_feasible(kind, param, func)
    d = ps.Xn.shape[2]
    k = _n_components(n_components, d, d, func)
    grad = requires_grad(ps.X, ps.Y)
    X, Y = ps.zero_padded() if grad else (ps.X, ps.Y)
    vals = [
        _ctw_core(X[a, : ps.lx[a]], Y[b, : ps.ly[b]], max_iter, k, kind, param, False, be, func)[2]
        for a, b in zip(ps.ii, ps.jj, strict=True)
    ]
    if grad:
        return ps.matrix(be.stack(vals))
    return ps.matrix(np.array([float(v) for v in vals]))

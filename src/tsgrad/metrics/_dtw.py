"""Dynamic Time Warping: value, path, pairwise matrix, constraint masks, LB_Keogh."""

from __future__ import annotations

import numpy as np

from .. import _validation as v
from .._kernels import SqEuclidean, dtw_paths, make_bands, values
from .._kernels._numba_bands import ITAKURA, SAKOE_CHIBA
from ..backend import instantiate_backend
from ._cdist import cdist_values, datasets
from ._common import safe_sqrt
from ._tslearn_compat import constraint_name


def _scalar(value, be):
    # tslearn returns a Python float for NumPy and a 0-d tensor for torch
    return float(value) if be.backend_string == "numpy" else value


def dtw_value(x, y, bands):
    """Core of :func:`dtw`: the accumulated squared cost of validated ``x``, ``y``."""
    return values(SqEuclidean(x, y), None, bands)


def dtw(s1, s2, global_constraint=None, sakoe_chiba_radius=None, itakura_max_slope=None, be=None):
    r"""Dynamic Time Warping similarity of two time series.

    .. math:: \mathrm{DTW}(x, y) = \min_{\pi} \sqrt{\sum_{(i, j) \in \pi} \|x_i - y_j\|^2}

    Parameters
    ----------
    s1 : array-like, shape (sz1, d) or (sz1,)
    s2 : array-like, shape (sz2, d) or (sz2,)
        Trailing NaN rows are treated as padding and removed.
    global_constraint : {"sakoe_chiba", "itakura"} or None (default: None)
    sakoe_chiba_radius : int or None (default: None)
        Band radius; ``None`` with ``global_constraint="sakoe_chiba"`` means 1.
    itakura_max_slope : float or None (default: None)
        Maximum slope of the parallelogram; ``None`` with ``"itakura"`` means 2.
    be : Backend, str or None
        None infers the backend from ``s1`` and ``s2``.

    Returns
    -------
    float, or a 0-d float64 tensor for the PyTorch backend (differentiable: its gradient
    flows along the optimal path).

    Examples
    --------
    >>> dtw([1, 2, 3], [1.0, 2.0, 2.0, 3.0])
    0.0
    >>> import torch
    >>> s1 = torch.tensor([[1.0], [2.0], [3.0]], requires_grad=True)
    >>> s2 = torch.tensor([[3.0], [4.0], [-3.0]])
    >>> sim = dtw(s1, s2)
    >>> sim
    tensor(6.4807, dtype=torch.float64, grad_fn=<WhereBackward0>)
    >>> sim.backward()
    >>> print(s1.grad)
    tensor([[-0.3086],
            [-0.1543],
            [ 0.7715]])
    """
    be = instantiate_backend(be, s1, s2)
    x, y = v.series_pair(s1, s2, be, "dtw")
    kind, param = v.constraint(global_constraint, sakoe_chiba_radius, itakura_max_slope, "dtw")
    bands = v.pair_bands(x.shape[0], y.shape[0], kind, param, "dtw")
    return _scalar(safe_sqrt(dtw_value(x, y, bands), be), be)


def dtw_path(
    s1, s2, global_constraint=None, sakoe_chiba_radius=None, itakura_max_slope=None, be=None
):
    r"""Optimal DTW path and similarity of two time series.

    Parameters
    ----------
    s1 : array-like, shape (sz1, d) or (sz1,)
    s2 : array-like, shape (sz2, d) or (sz2,)
    global_constraint, sakoe_chiba_radius, itakura_max_slope, be
        As in :func:`dtw`.

    Returns
    -------
    path : list of (int, int)
        Index pairs ``(i, j)`` of the optimal alignment, from ``(0, 0)`` to
        ``(sz1 - 1, sz2 - 1)``.  Ties prefer the diagonal step.
    similarity : float, or a 0-d tensor for the PyTorch backend
        Same as :func:`dtw`.

    Examples
    --------
    >>> path, sim = dtw_path([1, 2, 3], [1.0, 2.0, 2.0, 3.0])
    >>> path
    [(0, 0), (1, 1), (1, 2), (2, 3)]
    >>> sim
    0.0
    """
    be = instantiate_backend(be, s1, s2)
    x, y = v.series_pair(s1, s2, be, "dtw_path")
    kind, param = v.constraint(global_constraint, sakoe_chiba_radius, itakura_max_slope, "dtw_path")
    bands = v.pair_bands(x.shape[0], y.shape[0], kind, param, "dtw_path")
    value, path = dtw_paths(SqEuclidean(x, y), bands)
    return path, _scalar(safe_sqrt(value, be), be)


def cdist_dtw(
    dataset1,
    dataset2=None,
    global_constraint=None,
    sakoe_chiba_radius=None,
    itakura_max_slope=None,
    n_jobs=None,
    verbose=0,
    be=None,
):
    r"""Cross-similarity matrix of DTW between two datasets.

    Parameters
    ----------
    dataset1 : array-like, shape (n_ts1, sz1, d) or a list of series of varying lengths
        NaN-padded variable-length series are supported (see
        :func:`to_time_series_dataset`).
    dataset2 : array-like, shape (n_ts2, sz2, d), or None
        None computes the self-similarity matrix of ``dataset1`` (symmetric, only the
        upper triangle is computed).
    global_constraint, sakoe_chiba_radius, itakura_max_slope
        As in :func:`dtw`; applied to each pair with its own lengths.
    n_jobs, verbose
        Accepted for tslearn compatibility and ignored: the numba kernels use all cores.
    be : Backend, str or None

    Returns
    -------
    array, shape (n_ts1, n_ts2)
        float64.  For tensors that require grad, the result is differentiable.

    Examples
    --------
    >>> cdist_dtw([[1, 2, 2, 3], [1.0, 2.0, 3.0, 4.0]]).round(4).tolist()
    [[0.0, 1.0], [1.0, 0.0]]
    """
    func = "cdist_dtw"
    be = instantiate_backend(be, dataset1, dataset2)
    kind, param = v.constraint(global_constraint, sakoe_chiba_radius, itakura_max_slope, func)
    X, lx, Y, ly = datasets(dataset1, dataset2, be, func)
    vals = cdist_values(
        X, lx, Y, ly, be, gamma=None, kind=kind, param=param, func=func, with_diagonal=False
    )
    return safe_sqrt(vals, be)


def _mask_from_bands(sz1: int, sz2: int, kind: int, param: float):
    bands = make_bands(np.array([sz1]), np.array([sz2]), sz1, kind, param)
    cols = np.arange(sz2)[None, :]
    mask = (cols >= bands.lo[0][:, None]) & (cols < bands.hi[0][:, None])
    return mask, bool(bands.feasible[0])


def _check_size(value, name: str, func: str) -> int:
    return v.integer(value, name, func, minimum=1)


def sakoe_chiba_mask(sz1, sz2, radius=1, be=None):
    """Admissible cells of the Sakoe-Chiba band.

    Parameters
    ----------
    sz1, sz2 : int
        Lengths of the two series.
    radius : int (default: 1)
        Band radius around the (stretched) diagonal.
    be : Backend, str or None

    Returns
    -------
    mask : bool array, shape (sz1, sz2)
        True where a cell is admissible.

    Examples
    --------
    >>> sakoe_chiba_mask(4, 4, radius=1).astype(int).tolist()
    [[1, 1, 0, 0], [1, 1, 1, 0], [0, 1, 1, 1], [0, 0, 1, 1]]
    """
    be = instantiate_backend(be)
    sz1 = _check_size(sz1, "sz1", "sakoe_chiba_mask")
    sz2 = _check_size(sz2, "sz2", "sakoe_chiba_mask")
    v.integer(radius, "radius", "sakoe_chiba_mask", minimum=0)
    mask, _ = _mask_from_bands(sz1, sz2, SAKOE_CHIBA, float(radius))
    return be.array(mask)


def itakura_mask(sz1, sz2, max_slope=2.0, be=None):
    """Admissible cells of the Itakura parallelogram.

    Parameters
    ----------
    sz1, sz2 : int
        Lengths of the two series.
    max_slope : float (default: 2)
        Maximum slope of the parallelogram.
    be : Backend, str or None

    Returns
    -------
    mask : bool array, shape (sz1, sz2)

    Raises
    ------
    ValueError
        If the parallelogram leaves no admissible path for these lengths.

    Examples
    --------
    >>> itakura_mask(6, 6, max_slope=3).astype(int).tolist()[1]
    [0, 1, 1, 1, 0, 0]
    """
    be = instantiate_backend(be)
    sz1 = _check_size(sz1, "sz1", "itakura_mask")
    sz2 = _check_size(sz2, "sz2", "itakura_mask")
    v.constraint("itakura", None, max_slope, "itakura_mask")
    mask, ok = _mask_from_bands(sz1, sz2, ITAKURA, float(max_slope))
    if not ok:
        raise ValueError(
            f"The 'max_slope' parameter of itakura_mask ({max_slope}) leaves no admissible "
            f"path for lengths {sz1} and {sz2}: increase it."
        )
    return be.array(mask)


def compute_mask(
    s1, s2, global_constraint=0, sakoe_chiba_radius=None, itakura_max_slope=None, be=None
):
    """Admissible-cell mask of a global constraint for two series (or two lengths).

    Parameters
    ----------
    s1, s2 : array-like or int
        Time series (their lengths, NaN padding included, as in tslearn) or lengths.
    global_constraint : {0, 1, 2}, {None, "", "itakura", "sakoe_chiba"} (default: 0)
        tslearn's integer codes (``GLOBAL_CONSTRAINT_CODE``: 0 none, 1 Itakura,
        2 Sakoe-Chiba) or the names :func:`dtw` takes.  With 0 / None, a single constraint
        parameter given picks its constraint.
    sakoe_chiba_radius, itakura_max_slope
        As in :func:`dtw`.
    be : Backend, str or None

    Returns
    -------
    mask : bool array, shape (sz1, sz2)

    Raises
    ------
    GlobalConstraintError
        (a ``ValueError`` and a ``RuntimeWarning``, as tslearn raises) when both parameters
        are given without a constraint, or the constraint leaves no admissible path.

    Examples
    --------
    >>> compute_mask(3, 3).all()
    np.True_
    >>> compute_mask(4, 4, global_constraint=2).astype(int).tolist()
    [[1, 1, 0, 0], [1, 1, 1, 0], [0, 1, 1, 1], [0, 0, 1, 1]]
    """
    be = instantiate_backend(be, s1, s2)
    sizes = []
    for name, s in (("s1", s1), ("s2", s2)):
        if isinstance(s, (int, np.integer)) and not isinstance(s, bool):
            sizes.append(_check_size(s, name, "compute_mask"))
        else:
            sizes.append(int(v.as_series(s, be, False, name, "compute_mask").shape[0]))
    name = constraint_name(global_constraint, "compute_mask")
    kind, param = v.constraint(name, sakoe_chiba_radius, itakura_max_slope, "compute_mask")
    mask, ok = _mask_from_bands(sizes[0], sizes[1], kind, param)
    if not ok:
        raise v.GlobalConstraintError(
            "The global constraint of compute_mask leaves no admissible path for lengths "
            f"{sizes[0]} and {sizes[1]}: increase 'itakura_max_slope' (or use 'sakoe_chiba')."
        )
    return be.array(mask)


def lb_envelope(ts, radius=1, be=None):
    """Lower and upper envelopes of a time series for LB_Keogh.

    Parameters
    ----------
    ts : array-like, shape (sz, d) or (sz,)
    radius : int (default: 1)
        Window half-width.
    be : Backend, str or None

    Returns
    -------
    lower, upper : arrays, shape (sz, d)
        Running minimum and maximum over ``[i - radius, i + radius]`` (differentiable for
        tensors: the gradient goes to the minimum / maximum of each window).

    Examples
    --------
    >>> lo, up = lb_envelope([1, 3, 2, 5], radius=1)
    >>> lo.ravel().tolist(), up.ravel().tolist()
    ([1.0, 1.0, 2.0, 2.0], [3.0, 3.0, 5.0, 5.0])
    """
    be = instantiate_backend(be, ts)
    radius = v.integer(radius, "radius", "lb_envelope", minimum=0)
    return _envelope(v.series(ts, be, "ts", "lb_envelope"), radius, be)


def _envelope(x, radius: int, be):
    """Running minimum and maximum of ``x`` ``(sz, d)`` over windows of half-width
    ``radius`` (clipped at the ends): ``2 r + 1`` shifted copies, padded with +-inf."""
    sz, d = x.shape
    r = min(radius, sz - 1)
    pad = be.full((r, d), be.inf, dtype=x.dtype)
    low = be.concatenate([pad, x, pad])
    high = be.concatenate([-pad, x, -pad])
    lower = be.min(be.stack([low[k : k + sz] for k in range(2 * r + 1)]), axis=0)
    upper = be.max(be.stack([high[k : k + sz] for k in range(2 * r + 1)]), axis=0)
    return lower, upper


def lb_keogh(ts_query, ts_candidate=None, radius=1, envelope_candidate=None):
    r"""LB_Keogh lower bound of DTW (Keogh, 2002).

    .. math:: \mathrm{LB}(q, c) = \sqrt{\sum_i \big(q_i - U_i\big)_+^2 + \big(L_i - q_i\big)_+^2}

    Parameters
    ----------
    ts_query : array-like, shape (sz, d) or (sz,)
    ts_candidate : array-like, shape (sz, d) or (sz,), or None
        Candidate series; ignored when ``envelope_candidate`` is given.
    radius : int (default: 1)
        Envelope radius (should match the Sakoe-Chiba radius for a valid bound).
    envelope_candidate : (lower, upper) or None
        Precomputed envelope of the candidate (see :func:`lb_envelope`), each
        ``(sz, d)`` or ``(sz,)``.

    Returns
    -------
    float, or a 0-d tensor when the inputs are tensors (differentiable).

    Examples
    --------
    >>> float(lb_keogh([1, 2, 3], [3, 4, -3]))
    2.0
    """
    func = "lb_keogh"
    envelope = envelope_candidate if isinstance(envelope_candidate, (tuple, list)) else ()
    be = instantiate_backend(ts_query, ts_candidate, *envelope)
    q = v.series(ts_query, be, "ts_query", func)
    if envelope_candidate is None:
        if ts_candidate is None:
            raise ValueError("lb_keogh needs 'ts_candidate' or 'envelope_candidate'. Got neither.")
        radius = v.integer(radius, "radius", func, minimum=0)
        lower, upper = _envelope(v.series(ts_candidate, be, "ts_candidate", func), radius, be)
    else:
        if not isinstance(envelope_candidate, (tuple, list)) or len(envelope_candidate) != 2:
            raise TypeError(
                "The 'envelope_candidate' parameter of lb_keogh must be a pair (lower, upper). "
                f"Got {type(envelope_candidate).__name__} instead."
            )
        lower = v.series(envelope_candidate[0], be, "envelope_candidate[0]", func)
        upper = v.series(envelope_candidate[1], be, "envelope_candidate[1]", func)
        if lower.shape != upper.shape:
            raise ValueError(
                "The 'envelope_candidate' parameter of lb_keogh must hold two arrays of one "
                f"shape. Got {tuple(lower.shape)} and {tuple(upper.shape)} instead."
            )
    if tuple(q.shape) != tuple(lower.shape):
        raise ValueError(
            "The 'ts_query' parameter of lb_keogh must have the candidate's shape "
            f"{tuple(lower.shape)}. Got {tuple(q.shape)} instead."
        )
    zero = be.zeros_like(q)
    above = be.maximum(q - upper, zero)
    below = be.maximum(lower - q, zero)
    return _scalar(safe_sqrt(be.sum(above * above + below * below), be), be)

"""Dynamic Time Warping: value, path, pairwise matrix, constraint masks, LB_Keogh."""

from __future__ import annotations

import numpy as np

from .._kernels import make_bands
from .._kernels._dispatch import dtw_pair_value, dtw_paths_and_values, sqeuclidean_cost
from ..backend import instantiate_backend
from ._cdist import cdist_values
from ._utils import (
    GlobalConstraintError,
    constraint_code,
    pair_bands,
    series_pair,
    to_time_series,
)


def _scalar(v, be):
    # tslearn returns a Python float for NumPy and a 0-d tensor for torch
    return float(v) if be.backend_string == "numpy" else v


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
    tensor(6.4807, dtype=torch.float64, grad_fn=<SqrtBackward0>)
    >>> sim.backward()
    >>> print(s1.grad)
    tensor([[-0.3086],
            [-0.1543],
            [ 0.7715]])
    """
    be = instantiate_backend(be, s1, s2)
    x, y = series_pair(s1, s2, be, "dtw")
    kind, param = constraint_code(global_constraint, sakoe_chiba_radius, itakura_max_slope, "dtw")
    bands = pair_bands(x.shape[0], y.shape[0], kind, param, "dtw")
    return _scalar(be.sqrt(dtw_pair_value(x, y, bands, kind, param, be)), be)


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
    x, y = series_pair(s1, s2, be, "dtw_path")
    kind, param = constraint_code(
        global_constraint, sakoe_chiba_radius, itakura_max_slope, "dtw_path"
    )
    bands = pair_bands(x.shape[0], y.shape[0], kind, param, "dtw_path")
    paths, vals = dtw_paths_and_values(sqeuclidean_cost(x, y)[None], bands, be)
    return paths[0], _scalar(be.sqrt(vals[0]), be)


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
    be = instantiate_backend(be, dataset1, dataset2)
    kind, param = constraint_code(
        global_constraint, sakoe_chiba_radius, itakura_max_slope, "cdist_dtw"
    )
    vals = cdist_values(
        dataset1,
        dataset2,
        be,
        gamma=None,
        kind=kind,
        param=param,
        func="cdist_dtw",
        with_diagonal=False,
    )
    return be.sqrt(vals)


def _mask_from_bands(sz1: int, sz2: int, kind: int, param: float):
    bands = make_bands(np.array([sz1]), np.array([sz2]), sz1, kind, param)
    cols = np.arange(sz2)[None, :]
    mask = (cols >= bands.lo[0][:, None]) & (cols < bands.hi[0][:, None])
    return mask, bool(bands.feasible[0])


def _check_size(v, name: str, func: str) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v <= 0:
        raise ValueError(f"The '{name}' parameter of {func} must be an integer > 0. Got {v!r}.")
    return int(v)


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
    from .._kernels._numba_dp import SAKOE_CHIBA

    be = instantiate_backend(be)
    sz1 = _check_size(sz1, "sz1", "sakoe_chiba_mask")
    sz2 = _check_size(sz2, "sz2", "sakoe_chiba_mask")
    constraint_code("sakoe_chiba", radius, None, "sakoe_chiba_mask")
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
    from .._kernels._numba_dp import ITAKURA

    be = instantiate_backend(be)
    sz1 = _check_size(sz1, "sz1", "itakura_mask")
    sz2 = _check_size(sz2, "sz2", "itakura_mask")
    constraint_code("itakura", None, max_slope, "itakura_mask")
    mask, ok = _mask_from_bands(sz1, sz2, ITAKURA, float(max_slope))
    if not ok:
        raise ValueError(
            f"The 'max_slope' parameter of itakura_mask ({max_slope}) leaves no admissible "
            f"path for lengths {sz1} and {sz2}: increase it."
        )
    return be.array(mask)


#: tslearn's integer codes of the global constraints, accepted by :func:`compute_mask`.
GLOBAL_CONSTRAINT_CODE = {None: 0, "": 0, "itakura": 1, "sakoe_chiba": 2}
_CODE_NAMES = {0: None, 1: "itakura", 2: "sakoe_chiba"}


def compute_mask(
    s1, s2, global_constraint=0, sakoe_chiba_radius=None, itakura_max_slope=None, be=None
):
    """Admissible-cell mask of a global constraint for two series (or two lengths).

    Parameters
    ----------
    s1, s2 : array-like or int
        Time series (their lengths, NaN padding included, as in tslearn) or lengths.
    global_constraint : {0, 1, 2}, {None, "", "itakura", "sakoe_chiba"} (default: 0)
        tslearn's integer codes (:data:`GLOBAL_CONSTRAINT_CODE`: 0 none, 1 Itakura,
        2 Sakoe-Chiba) or the names used by :func:`dtw`.  With 0 / None, a single constraint
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
        are given without a constraint, or an Itakura slope leaves no admissible path.

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
            sizes.append(int(to_time_series(s, be=be).shape[0]))
    if isinstance(global_constraint, (int, np.integer)) and not isinstance(global_constraint, bool):
        if int(global_constraint) not in _CODE_NAMES:
            raise ValueError(
                "The 'global_constraint' parameter of compute_mask must be 0, 1, 2 (tslearn's "
                "codes: none, Itakura, Sakoe-Chiba) or a constraint name. "
                f"Got {global_constraint!r} instead."
            )
        global_constraint = _CODE_NAMES[int(global_constraint)]
    kind, param = constraint_code(
        global_constraint, sakoe_chiba_radius, itakura_max_slope, "compute_mask"
    )
    mask, ok = _mask_from_bands(sizes[0], sizes[1], kind, param)
    if not ok:
        raise GlobalConstraintError(
            "The global constraint of compute_mask leaves no admissible path for lengths "
            f"{sizes[0]} and {sizes[1]}: increase 'itakura_max_slope' / 'sakoe_chiba_radius'."
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
        Running minimum and maximum over ``[i - radius, i + radius]``.

    Examples
    --------
    >>> lo, up = lb_envelope([1, 3, 2, 5], radius=1)
    >>> lo.ravel().tolist(), up.ravel().tolist()
    ([1.0, 1.0, 2.0, 2.0], [3.0, 3.0, 5.0, 5.0])
    """
    be = instantiate_backend(be, ts)
    radius = _check_radius(radius)
    x = be.to_numpy(to_time_series(ts, remove_nans=True, be=be))
    sz = x.shape[0]
    lower = np.empty_like(x)
    upper = np.empty_like(x)
    for i in range(sz):
        window = x[max(0, i - radius) : i + radius + 1]
        lower[i] = window.min(axis=0)
        upper[i] = window.max(axis=0)
    return be.array(lower, dtype=be.float64), be.array(upper, dtype=be.float64)


def _check_radius(radius) -> int:
    if isinstance(radius, bool) or not isinstance(radius, (int, np.integer)) or radius < 0:
        raise ValueError(f"The 'radius' parameter must be an integer >= 0. Got {radius!r}.")
    return int(radius)


def lb_keogh(ts_query, ts_candidate=None, radius=1, envelope_candidate=None):
    r"""LB_Keogh lower bound of DTW (Keogh, 2002).

    .. math:: \mathrm{LB}(q, c) = \sqrt{\sum_i \big(q_i - U_i\big)_+^2 + \big(L_i - q_i\big)_+^2}

    Parameters
    ----------
    ts_query : array-like, shape (sz, 1) or (sz,)
    ts_candidate : array-like, shape (sz, 1) or (sz,), or None
        Candidate series; ignored when ``envelope_candidate`` is given.
    radius : int (default: 1)
        Envelope radius (should match the Sakoe-Chiba radius for a valid bound).
    envelope_candidate : (lower, upper) or None
        Precomputed envelope of the candidate (see :func:`lb_envelope`).

    Returns
    -------
    float

    Examples
    --------
    >>> float(lb_keogh([1, 2, 3], [3, 4, -3]))
    2.0
    """
    if envelope_candidate is None:
        if ts_candidate is None:
            raise ValueError("lb_keogh needs 'ts_candidate' or 'envelope_candidate'. Got neither.")
        lower, upper = lb_envelope(ts_candidate, radius=radius, be="numpy")
    else:
        lower, upper = (np.asarray(e, dtype=np.float64) for e in envelope_candidate)
        lower, upper = lower.reshape(len(lower), -1), upper.reshape(len(upper), -1)
    q = to_time_series(ts_query, remove_nans=True, be="numpy")
    if q.shape != lower.shape:
        raise ValueError(
            "The 'ts_query' parameter of lb_keogh must have the candidate's shape "
            f"{lower.shape}. Got {q.shape}."
        )
    above = np.clip(q - upper, 0.0, None)
    below = np.clip(lower - q, 0.0, None)
    return np.sqrt(np.sum(above**2 + below**2))

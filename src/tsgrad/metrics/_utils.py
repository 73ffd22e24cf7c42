"""Time series containers (tslearn's): single series and NaN-padded datasets."""

from __future__ import annotations

import numpy as np

from .. import _validation as v
from ..backend import instantiate_backend


def ts_size(ts, be=None) -> int:
    """Length of a time series without its trailing NaN padding.

    Parameters
    ----------
    ts : array-like, shape (sz, d) or (sz,)
    be : Backend, str or None

    Returns
    -------
    int

    Examples
    --------
    >>> ts_size([1.0, 2.0, float("nan")])
    2
    """
    be = instantiate_backend(be, ts)
    x = to_time_series(ts, be=be)
    nan_rows = be.to_numpy(be.all(be.isnan(x), axis=1))
    valid = np.flatnonzero(~nan_rows)
    return 0 if valid.size == 0 else int(valid[-1]) + 1


def to_time_series(ts, remove_nans: bool = False, be=None, dtype=float):
    """Transform a time series so that it fits the format used in tsgrad (and tslearn).

    Parameters
    ----------
    ts : array-like, shape (sz,) or (sz, d)
        The time series.
    remove_nans : bool (default: False)
        Drop the trailing NaN rows (variable-length padding).
    be : Backend, str or None
        Backend; None infers it from ``ts`` (see :func:`tsgrad.backend.instantiate_backend`).
    dtype : data type (default: float)
        Only float64 is supported for the computations; kept for tslearn compatibility.

    Returns
    -------
    array, shape (sz, d)
        A float64 array of the backend (a tensor keeps its autograd graph).

    Examples
    --------
    >>> to_time_series([1, 2]).tolist()
    [[1.0], [2.0]]
    """
    be = instantiate_backend(be, ts)
    return v.as_series(ts, be, remove_nans, "ts", "to_time_series", copy=True)


def to_time_series_dataset(dataset, dtype=float, be=None):
    """Stack time series of possibly different lengths into a NaN-padded 3-D array.

    Parameters
    ----------
    dataset : array-like
        A list of time series (each ``(sz_i,)`` or ``(sz_i, d)``), a 2-D array of
        univariate series ``(n_ts, sz)``, or a 3-D array ``(n_ts, sz, d)``.
    dtype : data type (default: float)
        Kept for tslearn compatibility; computations use float64.
    be : Backend, str or None

    Returns
    -------
    array, shape (n_ts, max_sz, d)
        Shorter series are padded with NaN at the end.

    Examples
    --------
    >>> X = to_time_series_dataset([[1, 2], [1, 2, 3]])
    >>> X.shape
    (2, 3, 1)
    >>> bool(np.isnan(X[0, 2, 0]))
    True
    """
    be = instantiate_backend(be, dataset)
    return v.as_dataset(dataset, be, "dataset", "to_time_series_dataset")

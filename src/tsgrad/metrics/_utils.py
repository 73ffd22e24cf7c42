"""Time series containers and argument checks shared by the metrics."""

from __future__ import annotations

import functools
import math
import numbers

import numpy as np

from .._kernels import CONSTRAINT_CODES, Bands, make_bands
from ..backend import instantiate_backend

#: tslearn's text for an empty (or all-NaN) series, kept word for word: code written for
#: tslearn compares it.  The parameter and the function are named in a note.
EMPTY_SERIES_MESSAGE = "One of the input time series contains only nans or has zero length."


class GlobalConstraintError(ValueError, RuntimeWarning):
    """A global constraint that is ambiguous or leaves no admissible path.

    A ``ValueError``; also a ``RuntimeWarning``, the exception tslearn raises in these cases,
    so that code catching tslearn's exception keeps working.
    """


def _with_note(exc: BaseException, note: str) -> BaseException:
    if hasattr(exc, "add_note"):  # Python >= 3.11: shown in the traceback, not in str(exc)
        exc.add_note(note)
    return exc


def _float_array(x, be, name: str):
    """``x`` as a float64 array of backend ``be`` (tensors keep their autograd graph)."""
    if be.is_array(x):
        if be.backend_string == "numpy" and not np.issubdtype(x.dtype, np.number):
            raise TypeError(
                f"The '{name}' parameter must hold numbers. Got an array of dtype {x.dtype}."
            )
        return be.array(x, dtype=be.float64)
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"The '{name}' parameter must be an array-like of numbers. Got {type(x).__name__} "
            f"that cannot be converted ({exc})."
        ) from None
    return be.array(arr, dtype=be.float64)


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
    x = _float_array(ts, be, "ts")
    if x.ndim == 1:
        x = be.reshape(x, (-1, 1))
    if x.ndim != 2:
        raise ValueError(
            f"The 'ts' parameter must be a time series of shape (sz,) or (sz, d). "
            f"Got an array of shape {tuple(x.shape)} instead."
        )
    if remove_nans:
        nan_rows = be.to_numpy(be.all(be.isnan(x), axis=1))
        valid = np.flatnonzero(~nan_rows)
        x = x[: (int(valid[-1]) + 1 if valid.size else 0)]
    return x


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
    if be.is_array(dataset):
        x = _float_array(dataset, be, "dataset")
        if x.ndim == 1:
            return be.reshape(x, (1, -1, 1))
        if x.ndim == 2:
            return be.reshape(x, (x.shape[0], x.shape[1], 1))
        if x.ndim == 3:
            return x
        raise ValueError(
            "The 'dataset' parameter must have at most 3 dimensions. "
            f"Got an array of shape {tuple(x.shape)} instead."
        )
    try:
        items = list(dataset)
    except TypeError:
        raise TypeError(
            "The 'dataset' parameter must be an array or a list of time series. "
            f"Got {type(dataset).__name__} instead."
        ) from None
    if len(items) == 0:
        raise ValueError("The 'dataset' parameter must hold at least one time series. Got 0.")
    if all(isinstance(v, numbers.Number) for v in items):
        items = [items]
    series = [to_time_series(s, remove_nans=True, be=be) for s in items]
    dims = {int(s.shape[1]) for s in series}
    if len(dims) != 1:
        raise ValueError(
            "All time series in 'dataset' must have the same number of features. "
            f"Got feature sizes {sorted(dims)}."
        )
    d = dims.pop()
    sz = max(int(s.shape[0]) for s in series)
    out = be.full((len(series), sz, d), be.nan, dtype=be.float64)
    for k, s in enumerate(series):
        out[k, : s.shape[0]] = s
    return out


# ------------------------------------------------------------------------------------
# checks used at the public boundary
# ------------------------------------------------------------------------------------
def _drop_trailing_nans(x, be):
    """``(x without its trailing all-NaN rows, whether x had no NaN at all)``.

    One reduction when there is no NaN, the common case.
    """
    if not bool(be.to_numpy(be.any(be.isnan(x)))):
        return x, True
    nan_rows = be.to_numpy(be.all(be.isnan(x), axis=1))
    valid = np.flatnonzero(~nan_rows)
    return x[: (int(valid[-1]) + 1 if valid.size else 0)], False


def one_series(s, be, func: str, name: str):
    """A validated series ``(n, d)``, trailing NaN padding removed: non-empty, no NaN inside."""
    x, clean = _drop_trailing_nans(to_time_series(s, be=be), be)
    if x.shape[0] == 0:
        raise _with_note(
            ValueError(EMPTY_SERIES_MESSAGE),
            f"The '{name}' parameter of {func} must be a non-empty time series. "
            "Got a series of length 0 (or only NaN).",
        )
    if not clean and bool(be.to_numpy(be.any(be.isnan(x)))):
        raise ValueError(
            f"The '{name}' parameter of {func} contains NaN inside the series; NaN is "
            "only allowed as trailing padding of variable-length series."
        )
    return x


def series_pair(s1, s2, be, func: str, names: tuple[str, str] = ("s1", "s2")):
    """Validated ``(x (n, d), y (m, d))`` pair, trailing NaN padding removed.

    ``names`` are the parameter names used in the error messages.
    """
    x = one_series(s1, be, func, names[0])
    y = one_series(s2, be, func, names[1])
    if x.shape[1] != y.shape[1]:
        raise ValueError(
            f"The series passed to {func} must have the same number of features. "
            f"Got {names[0]} with {x.shape[1]} and {names[1]} with {y.shape[1]}."
        )
    return x, y


def check_gamma(gamma, func: str) -> float:
    if isinstance(gamma, bool) or not isinstance(gamma, numbers.Real) or math.isnan(gamma):
        raise TypeError(f"The 'gamma' parameter of {func} must be a real number. Got {gamma!r}.")
    if gamma < 0:
        raise ValueError(f"The 'gamma' parameter of {func} must be >= 0. Got {gamma!r} instead.")
    return float(gamma)


def constraint_code(global_constraint, sakoe_chiba_radius, itakura_max_slope, func: str):
    """``(kind, param)`` of a global constraint, with tslearn's inference rules.

    ``global_constraint=None`` with only one of the two parameters set picks that
    constraint; with both set the choice is ambiguous and is an error.  A constraint named
    without its parameter uses tslearn's default (radius 1, maximum slope 2).
    """
    if global_constraint == "":  # tslearn's other name for "no constraint"
        global_constraint = None
    if global_constraint not in CONSTRAINT_CODES:
        raise ValueError(
            f"The 'global_constraint' parameter of {func} must be one of None, "
            f"'sakoe_chiba', 'itakura' (or ''). Got {global_constraint!r} instead."
        )
    if sakoe_chiba_radius is not None:
        if (
            isinstance(sakoe_chiba_radius, bool)
            or not isinstance(sakoe_chiba_radius, numbers.Integral)
            or sakoe_chiba_radius < 0
        ):
            raise ValueError(
                f"The 'sakoe_chiba_radius' parameter of {func} must be an integer >= 0. "
                f"Got {sakoe_chiba_radius!r} instead."
            )
    if itakura_max_slope is not None:
        if (
            isinstance(itakura_max_slope, bool)
            or not isinstance(itakura_max_slope, numbers.Real)
            or not itakura_max_slope >= 1
        ):
            raise ValueError(
                f"The 'itakura_max_slope' parameter of {func} must be a number >= 1. "
                f"Got {itakura_max_slope!r} instead."
            )
    if global_constraint is None:
        if sakoe_chiba_radius is not None and itakura_max_slope is not None:
            raise GlobalConstraintError(
                f"{func} got both 'sakoe_chiba_radius' and 'itakura_max_slope' without "
                "'global_constraint': set global_constraint='sakoe_chiba' or 'itakura'."
            )
        if sakoe_chiba_radius is not None:
            global_constraint = "sakoe_chiba"
        elif itakura_max_slope is not None:
            global_constraint = "itakura"
    if global_constraint == "sakoe_chiba":
        r = 1 if sakoe_chiba_radius is None else sakoe_chiba_radius
        return CONSTRAINT_CODES["sakoe_chiba"], float(r)
    if global_constraint == "itakura":
        s = 2.0 if itakura_max_slope is None else itakura_max_slope
        return CONSTRAINT_CODES["itakura"], float(s)
    return CONSTRAINT_CODES[None], 0.0


def pair_bands(n: int, m: int, kind: int, param: float, func: str) -> Bands:
    bands = _pair_bands(int(n), int(m), int(kind), float(param))
    if not bands.feasible[0]:
        raise GlobalConstraintError(
            f"The global constraint of {func} leaves no admissible path for series of "
            f"lengths {n} and {m}: increase 'itakura_max_slope' / 'sakoe_chiba_radius'."
        )
    return bands


@functools.lru_cache(maxsize=256)
def _pair_bands(n: int, m: int, kind: int, param: float) -> Bands:
    # Cached: repeated calls on series of the same lengths (a training loop, a benchmark)
    # skip rebuilding them.  The kernels only read bands, so sharing the arrays is safe.
    bands = make_bands(np.array([n]), np.array([m]), n, kind, param)
    for a in (bands.lx, bands.ly, bands.lo, bands.hi, bands.feasible):
        a.flags.writeable = False
    return bands

"""The public boundary: the argument checks of tsgrad's metrics, losses, barycenters,
clustering, training, models and data loaders, in one place (the command line reaches them
through those).

Each public function validates its arguments once, here, then calls private cores that
trust them (composites such as ``soft_dtw_normalized``, the ``cdist_*`` functions and the
``forward`` of the loss modules call those cores, not the public functions again).

Messages follow one template, scikit-learn's: ``The 'x' parameter of f must be ... Got ...
instead.``, plus what to do where that is not obvious.  Type mistakes raise ``TypeError``,
out-of-range values ``ValueError``.

Series come in two forms:

* **metrics** (tslearn's conventions): one series ``(sz,)`` or ``(sz, d)``, or a dataset
  ``(n_ts, sz, d)``, as lists, NumPy arrays or tensors; trailing all-NaN rows are the
  padding of variable-length series;
* **losses**: batches ``(B, n, d)`` of floating tensors, padding given by boolean masks.

Both reject what no alignment can use: complex numbers, ``d = 0`` features, empty series,
NaN inside a series, and infinities.
"""

from __future__ import annotations

import functools
import math
import numbers
from typing import Any

import numpy as np

from ._kernels import CONSTRAINT_CODES, Bands, make_bands
from .backend import is_torch_tensor

#: tslearn's text for an empty (or all-NaN) series of a pair, raised word for word.
EMPTY_SERIES_MESSAGE = "One of the input time series contains only nans or has zero length."


class GlobalConstraintError(ValueError, RuntimeWarning):
    """A global constraint that is ambiguous or leaves no admissible path.

    A ``ValueError``; also a ``RuntimeWarning``, the exception tslearn raises in these cases,
    so that code catching tslearn's exception keeps working.

    Examples
    --------
    >>> [issubclass(GlobalConstraintError, e) for e in (ValueError, RuntimeWarning)]
    [True, True]
    """


# --------------------------------------------------------------------------------------
# Scalars
# --------------------------------------------------------------------------------------


def _is_real(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, numbers.Real)


def gamma(value: Any, func: str, *, allow_zero: bool = False) -> float:
    """Soft-DTW's smoothing: a finite real number ``> 0`` (``>= 0`` with ``allow_zero``).

    ``allow_zero`` is for tslearn's metrics, where ``gamma = 0`` means hard DTW.
    """
    bound = ">= 0" if allow_zero else "> 0"
    if not _is_real(value):
        raise TypeError(
            f"The 'gamma' parameter of {func} must be a real number {bound}. Got "
            f"{type(value).__name__} {value!r} instead."
        )
    g = float(value)
    if not math.isfinite(g) or g < 0.0 or (g == 0.0 and not allow_zero):
        hint = " (use dtw for the hard minimum)" if g == 0.0 else ""
        raise ValueError(
            f"The 'gamma' parameter of {func} must be a finite number {bound}. Got {g!r} "
            f"instead{hint}."
        )
    return g


def unit_interval(value: Any, name: str, func: str) -> float:
    """A real number in ``[0, 1]``."""
    if not _is_real(value):
        raise TypeError(
            f"The '{name}' parameter of {func} must be a real number in [0, 1]. Got "
            f"{type(value).__name__} {value!r} instead."
        )
    v = float(value)
    if not 0.0 <= v <= 1.0:
        raise ValueError(f"The '{name}' parameter of {func} must be in [0, 1]. Got {v!r} instead.")
    return v


def integer(value: Any, name: str, func: str, *, minimum: int | None = 1) -> int:
    """An integer ``>= minimum`` (any integer with ``minimum=None``); bools and floats are
    refused."""
    bound = "" if minimum is None else f" >= {minimum}"
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"The '{name}' parameter of {func} must be an integer{bound}. Got "
            f"{type(value).__name__} {value!r} instead."
        )
    if minimum is not None and value < minimum:
        raise ValueError(
            f"The '{name}' parameter of {func} must be an integer{bound}. Got {value!r} instead."
        )
    return int(value)


def positive_real(value: Any, name: str, func: str, *, allow_none: bool = False):
    """A finite real number ``> 0`` (or None with ``allow_none``)."""
    if value is None and allow_none:
        return None
    extra = " or None" if allow_none else ""
    if not _is_real(value):
        raise TypeError(
            f"The '{name}' parameter of {func} must be a finite number > 0{extra}. Got "
            f"{type(value).__name__} {value!r} instead."
        )
    if not (math.isfinite(value) and value > 0):
        raise ValueError(
            f"The '{name}' parameter of {func} must be a finite number > 0{extra}. Got "
            f"{value!r} instead."
        )
    return float(value)


def real(value: Any, name: str, func: str, *, minimum: float | None = None, strict=False):
    """A finite real number (not a bool), ``>= minimum`` (``> minimum`` with ``strict``)."""
    relation = ">" if strict else ">="
    bound = "" if minimum is None else f" {relation} {minimum}"
    if not _is_real(value):
        raise TypeError(
            f"The '{name}' parameter of {func} must be a finite number{bound}. Got "
            f"{type(value).__name__} {value!r} instead."
        )
    low_ok = minimum is None or (value > minimum if strict else value >= minimum)
    if not (math.isfinite(value) and low_ok):
        raise ValueError(
            f"The '{name}' parameter of {func} must be a finite number{bound}. Got {value!r} "
            "instead."
        )
    return float(value)


def random_state(value: Any, func: str):
    """A ``numpy.random.RandomState`` (or Generator) by scikit-learn's rules: None is NumPy's
    global one, an int seeds a new one (so a seed draws the numbers it draws there)."""
    if value is None:
        return np.random.mtrand._rand
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return np.random.RandomState(int(value))  # noqa: NPY002 - scikit-learn's draws
    if isinstance(value, (np.random.RandomState, np.random.Generator)):
        return value
    raise TypeError(
        f"The 'random_state' parameter of {func} must be None, an int, a "
        f"numpy.random.RandomState or a numpy.random.Generator. Got {value!r} instead."
    )


def n_jobs(value: Any, func: str) -> int | None:
    """tslearn's ``n_jobs``: None or an integer (accepted; numba sizes its own pool)."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, numbers.Integral)):
        raise TypeError(
            f"The 'n_jobs' parameter of {func} must be None or an integer. Got {value!r} instead."
        )
    return value


def fraction(value: Any, name: str, func: str, *, allow_zero: bool = False) -> float:
    """A real number in ``(0, 1)`` (``[0, 1)`` with ``allow_zero``)."""
    interval = "[0, 1)" if allow_zero else "(0, 1)"
    if not _is_real(value):
        raise TypeError(
            f"The '{name}' parameter of {func} must be a number in {interval}. Got "
            f"{type(value).__name__} {value!r} instead."
        )
    low_ok = value >= 0 if allow_zero else value > 0
    if not (low_ok and value < 1):
        raise ValueError(
            f"The '{name}' parameter of {func} must be in {interval}. Got {value!r} instead."
        )
    return float(value)


def flag(value: Any, name: str, func: str) -> bool:
    """A bool (not an int or a string)."""
    if not isinstance(value, bool):
        raise TypeError(
            f"The '{name}' parameter of {func} must be a bool. Got {type(value).__name__} "
            f"{value!r} instead."
        )
    return value


def choice(value: Any, name: str, func: str, options: tuple[str, ...]) -> str:
    """One of the strings ``options``."""
    if not isinstance(value, str) or value not in options:
        raise ValueError(
            f"The '{name}' parameter of {func} must be one of {options}. Got {value!r} instead."
        )
    return value


def constraint(global_constraint, sakoe_chiba_radius, itakura_max_slope, func: str):
    """``(kind, param)`` of a global constraint, with tslearn's inference rules.

    ``global_constraint=None`` with only one of the two parameters set picks that
    constraint; with both set the choice is ambiguous and is an error.  A constraint named
    without its parameter uses tslearn's default (radius 1, maximum slope 2).
    """
    if isinstance(global_constraint, str) and global_constraint == "":
        global_constraint = None  # tslearn's other name for "no constraint"
    if global_constraint not in CONSTRAINT_CODES:
        raise ValueError(
            f"The 'global_constraint' parameter of {func} must be one of None, "
            f"'sakoe_chiba', 'itakura' (or ''). Got {global_constraint!r} instead."
        )
    if sakoe_chiba_radius is not None:
        integer(sakoe_chiba_radius, "sakoe_chiba_radius", func, minimum=0)
    if itakura_max_slope is not None:
        ok = _is_real(itakura_max_slope) and math.isfinite(itakura_max_slope)
        if not (ok and itakura_max_slope >= 1):
            raise ValueError(
                f"The 'itakura_max_slope' parameter of {func} must be a finite number >= 1. "
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
    """The :class:`Bands` of one ``(n, m)`` problem; an error when the constraint leaves
    no admissible path."""
    bands = _pair_bands(int(n), int(m), int(kind), float(param))
    if not bands.feasible[0]:
        raise GlobalConstraintError(
            f"The global constraint of {func} leaves no admissible path for series of "
            f"lengths {n} and {m}: increase 'itakura_max_slope' (or use 'sakoe_chiba')."
        )
    return bands


@functools.lru_cache(maxsize=256)
def _pair_bands(n: int, m: int, kind: int, param: float) -> Bands:
    # Cached: repeated calls on series of the same lengths (a training loop, a benchmark)
    # skip rebuilding them.  The kernels only read bands.
    return make_bands(np.array([n]), np.array([m]), n, kind, param)


# --------------------------------------------------------------------------------------
# Series of the metrics (tslearn's conventions)
# --------------------------------------------------------------------------------------


def float_array(x: Any, be, name: str, func: str, *, copy: bool = False):
    """``x`` as a float64 array of backend ``be`` (a copy with ``copy``, else only when
    needed); a tensor keeps its autograd graph.

    Refuses complex numbers and non-numeric data (``TypeError``), and a tensor that
    requires grad when ``be`` is NumPy (the gradient would be silently lost).
    """
    where = f"The '{name}' parameter of {func}"
    if is_torch_tensor(x):
        if x.is_complex():
            raise TypeError(f"{where} must hold real numbers. Got a complex tensor instead.")
        if x.requires_grad and be.backend_string == "numpy":
            raise TypeError(
                f"{where} is a tensor that requires grad, but the NumPy backend (be='numpy') "
                "computes without gradients. Pass be='pytorch' (or be=None), or detach it."
            )
    elif not be.is_array(x):
        try:
            x = np.asarray(x)
        except (TypeError, ValueError) as exc:  # ragged nested lists, ...
            raise TypeError(
                f"{where} must be an array-like of numbers. Got {type(x).__name__} that cannot "
                f"be converted ({exc})."
            ) from None
    if isinstance(x, (np.ndarray, np.generic)) and x.dtype.kind not in "biuf":
        kind = "complex numbers" if x.dtype.kind == "c" else f"dtype {x.dtype}"
        raise TypeError(f"{where} must hold real numbers. Got {kind} instead.")
    return (be.array if copy else be.asarray)(x, dtype=be.float64)


def as_series(ts, be, remove_nans: bool, name: str, func: str, *, copy: bool = False):
    """``ts`` as a float64 ``(sz, d)`` array of ``be`` (tslearn's ``to_time_series``);
    ``remove_nans`` drops the trailing all-NaN rows."""
    x = float_array(ts, be, name, func, copy=copy)
    if x.ndim == 1:
        x = be.reshape(x, (-1, 1))
    if x.ndim != 2:
        raise ValueError(
            f"The '{name}' parameter of {func} must be a time series of shape (sz,) or "
            f"(sz, d). Got an array of shape {tuple(x.shape)} instead."
        )
    if remove_nans:
        nan_rows = be.to_numpy(be.all(be.isnan(x), axis=1))
        valid = np.flatnonzero(~nan_rows)
        x = x[: (int(valid[-1]) + 1 if valid.size else 0)]
    return x


def valid_length(x, be, name: str, func: str, *, empty_message: str | None = None) -> int:
    """Length of ``x`` ``(sz, d)`` without its trailing all-NaN rows, after checking the rest.

    NaN is only allowed as trailing padding (whole rows), infinities nowhere, and the
    series must not be empty (``empty_message``, if given, is the error's text, the usual
    one then a note).  One reduction in the common, all-finite case.
    """
    where = f"The '{name}' parameter of {func}"
    sz = int(x.shape[0])
    on_device = is_torch_tensor(x) and x.device.type != "cpu"
    if on_device and sz and bool(be.all(be.isfinite(x))):  # one synchronisation
        return sz
    xn = be.to_numpy(x)  # CPU tensors: a view
    if not on_device and sz and np.isfinite(xn).all():
        return sz
    nan_rows = np.isnan(xn).all(axis=1) if sz else np.zeros(0, dtype=bool)
    rows = np.flatnonzero(~nan_rows)
    length = int(rows[-1]) + 1 if rows.size else 0
    if length == 0:
        message = (
            f"{where} must be a non-empty time series. Got a series of length 0 (or only NaN)."
        )
        if empty_message is None:
            raise ValueError(message)
        error = ValueError(empty_message)
        if hasattr(error, "add_note"):  # Python >= 3.11: in the traceback, not in str(error)
            error.add_note(message)
        raise error
    head = xn[:length]
    if np.isnan(head).any():
        t = int(np.argwhere(np.isnan(head))[0][0])
        raise ValueError(
            f"{where} contains NaN inside the series (time index {t}); NaN is only allowed "
            "as trailing padding of variable-length series."
        )
    if not np.isfinite(head).all():
        t = int(np.argwhere(~np.isfinite(head))[0][0])
        raise ValueError(f"{where} must be finite. Got an infinite value at time index {t}.")
    return length


def series(ts: Any, be, name: str, func: str, *, empty_message: str | None = None):
    """One validated series ``(sz, d)`` of backend ``be``, its trailing NaN padding removed
    (``empty_message``: see :func:`valid_length`)."""
    x = as_series(ts, be, False, name, func)
    if x.shape[1] == 0:
        raise ValueError(
            f"The '{name}' parameter of {func} must have at least one feature (d >= 1). Got "
            f"shape {tuple(x.shape)} instead."
        )
    length = valid_length(x, be, name, func, empty_message=empty_message)
    return x if length == x.shape[0] else x[:length]


def series_pair(s1: Any, s2: Any, be, func: str):
    """Validated ``(x (n, d), y (m, d))``: see :func:`series`; same number of features.

    An empty series raises tslearn's message word for word (:data:`EMPTY_SERIES_MESSAGE`:
    code written for tslearn compares it), the parameter named in a note."""
    x = series(s1, be, "s1", func, empty_message=EMPTY_SERIES_MESSAGE)
    y = series(s2, be, "s2", func, empty_message=EMPTY_SERIES_MESSAGE)
    if x.shape[1] != y.shape[1]:
        raise ValueError(
            f"The series passed to {func} must have the same number of features. "
            f"Got s1 with {x.shape[1]} and s2 with {y.shape[1]}."
        )
    return x, y


def as_dataset(dataset, be, name: str, func: str):
    """``dataset`` as a NaN-padded float64 ``(n_ts, sz, d)`` array of ``be`` (tslearn's
    ``to_time_series_dataset``): a list of series of any lengths, or an array of up to 3
    dimensions."""
    where = f"The '{name}' parameter of {func}"
    if be.is_array(dataset):
        x = float_array(dataset, be, name, func)
        if x.ndim == 1:
            return be.reshape(x, (1, -1, 1))
        if x.ndim == 2:
            return be.reshape(x, (x.shape[0], x.shape[1], 1))
        if x.ndim == 3:
            return x
        raise ValueError(
            f"{where} must have at most 3 dimensions. Got an array of shape "
            f"{tuple(x.shape)} instead."
        )
    try:
        items = list(dataset)
    except TypeError:
        raise TypeError(
            f"{where} must be an array or a list of time series. Got "
            f"{type(dataset).__name__} instead."
        ) from None
    if len(items) == 0:
        raise ValueError(f"{where} must hold at least one time series. Got 0.")
    if all(isinstance(item, numbers.Number) for item in items):
        items = [items]
    series = [as_series(s, be, True, name, func) for s in items]
    dims = {int(s.shape[1]) for s in series}
    if len(dims) != 1:
        raise ValueError(
            f"All time series of the '{name}' parameter of {func} must have the same number "
            "of features. "
            f"Got feature sizes {sorted(dims)}."
        )
    d = dims.pop()
    sz = max(int(s.shape[0]) for s in series)
    out = be.full((len(series), sz, d), be.nan, dtype=be.float64)
    for k, s in enumerate(series):
        out[k, : s.shape[0]] = s
    return out


def dataset_lengths(X: np.ndarray, name: str, func: str) -> np.ndarray:
    """True lengths ``(n_ts,)`` of a NaN-padded dataset ``(n_ts, sz, d)`` (a NumPy view).

    NaN is only allowed as trailing padding, infinities nowhere; an empty series (length
    0 or all NaN) and ``d = 0`` are errors.
    """
    where = f"The '{name}' parameter of {func}"
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(
            f"{where} must hold at least one non-empty time series. Got shape {X.shape} instead."
        )
    if X.shape[2] == 0:
        raise ValueError(
            f"{where} must have at least one feature (d >= 1). Got shape {X.shape} instead."
        )
    if np.isfinite(X).all():
        return np.full(X.shape[0], X.shape[1], dtype=np.int64)
    nan = np.isnan(X)
    nan_rows = nan.all(axis=2)
    idx = np.arange(X.shape[1])
    lengths = np.where(~nan_rows, idx[None, :], -1).max(axis=1) + 1
    if np.any(lengths == 0):
        k = int(np.flatnonzero(lengths == 0)[0])
        raise ValueError(f"{where} holds an empty (all-NaN) time series at index {k}.")
    inside = idx[None, :] < lengths[:, None]
    bad_nan = nan.any(axis=2) & inside
    if bad_nan.any():
        k, t = (int(v) for v in np.argwhere(bad_nan)[0])
        raise ValueError(
            f"{where} contains NaN inside time series {k} (time index {t}); NaN is only "
            "allowed as trailing padding."
        )
    bad_inf = np.isinf(X).any(axis=2) & inside
    if bad_inf.any():
        k, t = (int(v) for v in np.argwhere(bad_inf)[0])
        raise ValueError(
            f"{where} must be finite. Got an infinite value in time series {k} (time index {t})."
        )
    return lengths.astype(np.int64)


# --------------------------------------------------------------------------------------
# Batches of the losses (tensors (B, n, d), padding by masks)
# --------------------------------------------------------------------------------------


def batch(x: Any, name: str, func: str):
    """``x`` must be a real floating tensor of shape ``(B, n, d)``, all sizes ``>= 1``."""
    if not is_torch_tensor(x):
        raise TypeError(
            f"The '{name}' parameter of {func} must be a torch.Tensor of shape (B, n, d). "
            f"Got {type(x).__name__} instead."
        )
    if not x.is_floating_point():
        raise TypeError(
            f"The '{name}' parameter of {func} must have a real floating dtype. Got {x.dtype} "
            "instead."
        )
    if x.ndim != 3:
        raise ValueError(
            f"The '{name}' parameter of {func} must have shape (B, n, d). Got shape "
            f"{tuple(x.shape)} instead; add a feature axis with x[..., None] for univariate "
            "series."
        )
    if min(x.shape) == 0:
        raise ValueError(
            f"The '{name}' parameter of {func} must have B >= 1, n >= 1 and d >= 1. Got shape "
            f"{tuple(x.shape)} instead."
        )
    return x


def batch_pair(x: Any, y: Any, names: tuple[str, str], func: str):
    """Two batches ``(B, n, d)``, ``(B, m, d)`` with the same ``B``, ``d``, dtype and device."""
    x = batch(x, names[0], func)
    y = batch(y, names[1], func)
    if x.shape[0] != y.shape[0] or x.shape[2] != y.shape[2]:
        raise ValueError(
            f"The '{names[0]}' and '{names[1]}' parameters of {func} must have shapes (B, n, d) "
            f"and (B, m, d) with the same B and d. Got {tuple(x.shape)} and {tuple(y.shape)} "
            "instead."
        )
    if x.dtype != y.dtype or x.device != y.device:
        raise TypeError(
            f"The '{names[0]}' and '{names[1]}' parameters of {func} must have the same dtype "
            f"and device. Got {x.dtype} on {x.device} and {y.dtype} on {y.device} instead."
        )
    return x, y


def _one_mask(mk: Any, n: int, B: int, name: str, func: str):
    import torch  # the losses' inputs are tensors: torch is loaded already

    if mk is None:
        return None
    if not isinstance(mk, torch.Tensor) or mk.dtype != torch.bool:
        got = mk.dtype if isinstance(mk, torch.Tensor) else type(mk).__name__
        raise TypeError(
            f"The '{name}' entry of the 'mask' parameter of {func} must be None or a bool "
            f"tensor of shape ({B}, {n}). Got {got} instead."
        )
    if tuple(mk.shape) != (B, n):
        raise ValueError(
            f"The '{name}' entry of the 'mask' parameter of {func} must have shape ({B}, {n}). "
            f"Got {tuple(mk.shape)} instead."
        )
    lengths = mk.sum(1)
    prefix = torch.arange(n, device=mk.device)[None, :] < lengths[:, None]
    if bool((lengths < 1).any()) or not bool((prefix == mk).all()):
        raise ValueError(
            f"The '{name}' entry of the 'mask' parameter of {func} must be True on a non-empty "
            "prefix of every row (valid steps first, padding at the end)."
        )
    return mk


def masks(mask: Any, x, y, names: tuple[str, str], func: str):
    """``mask`` is None or a pair ``(x_mask (B, n), y_mask (B, m))`` of bool tensors or None.

    Returns the two masks (each None when that side has no padding).
    """
    if mask is None:
        return None, None
    if not isinstance(mask, (tuple, list)) or len(mask) != 2:
        raise TypeError(
            f"The 'mask' parameter of {func} must be None or a pair ({names[0]}_mask, "
            f"{names[1]}_mask) of bool tensors of shapes (B, n) and (B, m) (None for an unpadded "
            f"side). Got {type(mask).__name__} instead."
        )
    B = x.shape[0]
    xm = _one_mask(mask[0], x.shape[1], B, f"{names[0]}_mask", func)
    ym = _one_mask(mask[1], y.shape[1], B, f"{names[1]}_mask", func)
    return xm, ym


def clean(x, mk, name: str, func: str):
    """Zero the padded steps (no gradient reaches them); NaN or inf elsewhere is an error."""
    import torch  # the losses' inputs are tensors: torch is loaded already

    if mk is not None:
        x = torch.where(mk[:, :, None], x, torch.zeros((), dtype=x.dtype, device=x.device))
    if not bool(torch.isfinite(x).all()):
        raise ValueError(
            f"The '{name}' parameter of {func} must be finite (no NaN or inf) on its valid "
            "steps. Got non-finite values instead."
        )
    return x


# --------------------------------------------------------------------------------------
# Forecasting: datasets and model inputs
# --------------------------------------------------------------------------------------


def map_dataset(data: Any, name: str, func: str, *, allow_none: bool = False):
    """A non-empty map-style dataset (``len`` and integer indexing), or None if allowed."""
    if data is None and allow_none:
        return None
    if not (hasattr(data, "__len__") and hasattr(data, "__getitem__")):
        raise TypeError(
            f"The '{name}' parameter of {func} must be a map-style torch Dataset whose items "
            f"are (input, target, ...) tuples. Got {type(data).__name__} instead."
        )
    if len(data) == 0:
        raise ValueError(f"The '{name}' parameter of {func} must not be empty. Got 0 items.")
    return data


def model_input(x: Any, input_size: int, func: str, *, length: int | None = None) -> None:
    """A forecasting model's input: a tensor ``(B, T, input_size)`` (``T = length`` when
    given, ``T >= 1``)."""
    if not is_torch_tensor(x):
        raise TypeError(
            f"The input of {func} must be a torch.Tensor of shape (B, T, {input_size}). "
            f"Got {type(x).__name__} instead."
        )
    expected_t = "T" if length is None else str(length)
    if (
        x.ndim != 3
        or x.shape[2] != input_size
        or x.shape[1] < 1
        or (length is not None and x.shape[1] != length)
    ):
        raise ValueError(
            f"The input of {func} must have shape (B, {expected_t}, {input_size}). "
            f"Got shape {tuple(x.shape)} instead."
        )

"""Argument checks of the barycenters (the public boundary) and their small helpers.

Every public function validates its arguments here once, then works on plain NumPy
float64 arrays: datasets zero-padded after each series' length, with the lengths beside.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field

import numpy as np

from ..backend import instantiate_backend, is_torch_tensor, to_numpy
from ..metrics import to_time_series, to_time_series_dataset
from ..metrics._cdist import dataset_lengths
from ..metrics._utils import constraint_code

# tslearn's integer codes of the global constraints (its ``GLOBAL_CONSTRAINT_CODE``), which
# its DBA passes straight to the DTW kernel: accepted beside the names.
_TSLEARN_CONSTRAINT_NAMES = {0: None, 1: "itakura", 2: "sakoe_chiba"}
CONSTRAINT_KEYS = ("global_constraint", "sakoe_chiba_radius", "itakura_max_slope")


@dataclass(frozen=True)
class Dataset:
    """A validated dataset: ``values`` ``(n_ts, sz, d)`` float64, zero after each series'
    length ``lengths[k]``; ``like`` is the input tensor's ``(dtype, device)`` or None."""

    values: np.ndarray
    lengths: np.ndarray
    like: tuple | None

    @property
    def equal_size(self) -> bool:
        return bool(np.all(self.lengths == self.values.shape[1]))

    def nan_padded(self) -> np.ndarray:
        X = self.values.copy()
        X[np.arange(X.shape[1])[None, :] >= self.lengths[:, None]] = np.nan
        return X


def _torch_like(x):
    import torch

    dtype = x.dtype if torch.is_floating_point(x) else torch.float64
    return dtype, x.device


def check_dataset(X, func: str, name: str = "X") -> Dataset:
    """``X`` (array-like ``(n_ts, sz, d)``, ``(n_ts, sz)``, a list of series or a tensor) as a
    :class:`Dataset`; NaN is allowed only as trailing padding, nothing else non-finite."""
    like = None
    if is_torch_tensor(X):
        like = _torch_like(X)
    elif isinstance(X, (list, tuple)) and X and is_torch_tensor(X[0]):
        like = _torch_like(X[0])
    be = instantiate_backend(None, X)
    try:
        values = to_numpy(to_time_series_dataset(X, be=be)).astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise type(exc)(
            f"The '{name}' parameter of {func} must be a time series dataset: an array of "
            f"shape (n_ts, sz, d) or (n_ts, sz), or a list of series ({exc})"
        ) from None
    if values.shape[0] == 0 or values.shape[1] == 0:
        raise ValueError(
            f"The '{name}' parameter of {func} must hold at least one non-empty time series. "
            f"Got an array of shape {values.shape} instead."
        )
    if values.shape[2] == 0:
        raise ValueError(
            f"The '{name}' parameter of {func} must have at least one feature. Got an array of "
            f"shape {values.shape} instead."
        )
    lengths = dataset_lengths(values, func, name)
    if np.isinf(values).any():
        k = int(np.argwhere(np.isinf(values))[0][0])
        raise ValueError(
            f"The '{name}' parameter of {func} contains an infinite value in time series {k}; "
            "only finite values (and trailing NaN padding) are allowed."
        )
    values[np.isnan(values)] = 0.0
    return Dataset(np.ascontiguousarray(values), lengths, like)


def check_series(ts, func: str, name: str, d: int | None = None) -> np.ndarray:
    """One finite time series ``(sz, d)`` float64 (trailing NaN padding removed)."""
    if is_torch_tensor(ts):
        ts = to_numpy(ts)
    try:
        x = np.array(to_time_series(ts, remove_nans=True, be="numpy"), dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise type(exc)(
            f"The '{name}' parameter of {func} must be a time series of shape (sz, d) or "
            f"(sz,) ({exc})"
        ) from None
    if x.shape[0] == 0 or not np.isfinite(x).all():
        raise ValueError(
            f"The '{name}' parameter of {func} must be a non-empty time series of finite "
            "values (NaN only as trailing padding)."
        )
    if d is not None and x.shape[1] != d:
        raise ValueError(
            f"The '{name}' parameter of {func} must have {d} feature(s), like the dataset. "
            f"Got a series of shape {x.shape} instead."
        )
    return x


def check_weights(weights, n: int, func: str) -> np.ndarray:
    """``weights`` ``(n,)``: None gives ones; otherwise finite, >= 0 and not all zero."""
    if weights is None:
        return np.ones(n)
    w = to_numpy(weights) if is_torch_tensor(weights) else weights
    try:
        w = np.asarray(w, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"The 'weights' parameter of {func} must be None or an array of {n} numbers. "
            f"Got {type(weights).__name__} instead."
        ) from None
    if w.shape != (n,):
        raise ValueError(
            f"The 'weights' parameter of {func} must have shape ({n},), one weight per time "
            f"series. Got shape {w.shape} instead."
        )
    if not np.isfinite(w).all() or (w < 0).any() or not w.sum() > 0:
        raise ValueError(
            f"The 'weights' parameter of {func} must hold finite numbers >= 0, not all zero. "
            f"Got {w.tolist() if n <= 8 else 'other values'} instead."
        )
    return w


def check_int(value, name: str, func: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(
            f"The '{name}' parameter of {func} must be an integer >= {minimum}. Got {value!r} "
            "instead."
        )
    return int(value)


def check_real(value, name: str, func: str, minimum: float = 0.0, strict: bool = False) -> float:
    ok = not isinstance(value, bool) and isinstance(value, numbers.Real)
    ok = ok and math.isfinite(value) and (value > minimum if strict else value >= minimum)
    if not ok:
        op = ">" if strict else ">="
        raise ValueError(
            f"The '{name}' parameter of {func} must be a finite number {op} {minimum}. Got "
            f"{value!r} instead."
        )
    return float(value)


@dataclass(frozen=True)
class Constraint:
    """A validated global constraint: code and parameter for the kernels, and the keyword
    arguments (names, not codes) that give it to :mod:`tsgrad.metrics`."""

    kind: int = 0
    param: float = 0.0
    kwargs: dict = field(default_factory=dict)


def check_constraint(params, func: str, name: str = "metric_params") -> Constraint:
    """The :class:`Constraint` of ``params``: None or a dict of the keys
    ``global_constraint``, ``sakoe_chiba_radius``, ``itakura_max_slope``."""
    params = {} if params is None else params
    if not isinstance(params, dict):
        raise TypeError(
            f"The '{name}' parameter of {func} must be None or a dict. Got "
            f"{type(params).__name__} instead."
        )
    unknown = sorted(set(params) - set(CONSTRAINT_KEYS))
    if unknown:
        raise ValueError(
            f"The '{name}' parameter of {func} accepts the keys {list(CONSTRAINT_KEYS)}. Got "
            f"the unknown key(s) {unknown} instead."
        )
    kwargs = {k: v for k, v in params.items() if v is not None}
    gc = kwargs.get("global_constraint")
    if isinstance(gc, numbers.Integral) and not isinstance(gc, bool):
        if gc not in _TSLEARN_CONSTRAINT_NAMES:
            raise ValueError(
                f"The 'global_constraint' entry of {name} of {func} must be None, "
                f"'sakoe_chiba', 'itakura' or one of tslearn's codes 0, 1, 2. Got {gc!r} instead."
            )
        kwargs["global_constraint"] = _TSLEARN_CONSTRAINT_NAMES[int(gc)]
    kind, param = constraint_code(
        kwargs.get("global_constraint"),
        kwargs.get("sakoe_chiba_radius"),
        kwargs.get("itakura_max_slope"),
        func,
    )
    return Constraint(kind, param, kwargs)


def resample(values: np.ndarray, lengths: np.ndarray, sz: int) -> np.ndarray:
    """Each series ``values[k, :lengths[k]]`` linearly interpolated to ``sz`` steps
    ``(n_ts, sz, d)``; a target of one step is the series' mean."""
    n, _, d = values.shape
    out = np.empty((n, sz, d))
    for k in range(n):
        x = values[k, : lengths[k]]
        if sz == 1:
            out[k] = x.mean(axis=0)
            continue
        grid = np.linspace(0.0, 1.0, sz)
        src = np.linspace(0.0, 1.0, lengths[k])
        for f in range(d):
            out[k, :, f] = np.interp(grid, src, x[:, f])
    return out


def like_input(result: np.ndarray, like):
    """``result`` as a NumPy array, or a tensor with the input's dtype and device."""
    if like is None:
        return result
    import torch

    dtype, device = like
    return torch.as_tensor(result, dtype=dtype, device=device)


def check_random_state(seed, func: str):
    """A ``numpy.random.RandomState`` from ``seed``: None (NumPy's global one), an int, or a
    RandomState (scikit-learn's rule, so that a seed draws the same numbers as there)."""
    if seed is None:
        return np.random.mtrand._rand
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        return np.random.RandomState(int(seed))
    if isinstance(seed, np.random.RandomState):
        return seed
    raise ValueError(
        f"The 'random_state' parameter of {func} must be None, an int or a "
        f"numpy.random.RandomState. Got {seed!r} instead."
    )


def check_n_jobs(n_jobs, func: str):
    """``n_jobs`` is accepted for tslearn compatibility and not used (the kernels use every
    core numba is allowed); it must still be None or an integer."""
    if n_jobs is not None and (
        isinstance(n_jobs, bool) or not isinstance(n_jobs, numbers.Integral)
    ):
        raise ValueError(
            f"The 'n_jobs' parameter of {func} must be None or an integer. Got {n_jobs!r} instead."
        )

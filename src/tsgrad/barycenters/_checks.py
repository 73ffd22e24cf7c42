"""Argument checks of the barycenters and the clustering, on tsgrad's validation layer.

Every public function validates its arguments here once (through :mod:`tsgrad._validation`,
the checks shared with the metrics and the losses), then works on plain NumPy float64
arrays: datasets zero-padded after each series' length, with the lengths beside.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field

import numpy as np

from .. import _validation as v
from ..backend import instantiate_backend, is_torch_tensor, to_numpy

# tslearn's integer codes of the global constraints (its ``GLOBAL_CONSTRAINT_CODE``), which
# its DBA passes straight to the DTW kernel: accepted beside the names.
_TSLEARN_CONSTRAINT_NAMES = {0: None, 1: "itakura", 2: "sakoe_chiba"}
CONSTRAINT_KEYS = ("global_constraint", "sakoe_chiba_radius", "itakura_max_slope")
_NUMPY = instantiate_backend("numpy")


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
        X = to_numpy(X)  # read once on the host; the gradient of X is not needed
    elif isinstance(X, (list, tuple)) and X and is_torch_tensor(X[0]):
        like = _torch_like(X[0])
        X = [to_numpy(x) for x in X]
    values = np.array(v.as_dataset(X, _NUMPY, name, func), dtype=np.float64)
    lengths = v.dataset_lengths(values, name, func)
    values[np.isnan(values)] = 0.0
    return Dataset(values, lengths, like)


def check_series(ts, func: str, name: str, d: int | None = None) -> np.ndarray:
    """One finite time series ``(sz, d)`` float64 (trailing NaN padding removed)."""
    if is_torch_tensor(ts):
        ts = to_numpy(ts)
    x = np.array(v.series(ts, _NUMPY, name, func), dtype=np.float64)
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
    kind, param = v.constraint(
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

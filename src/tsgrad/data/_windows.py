"""Forecasting pairs from long series (sliding windows) and from fixed-length collections."""

from __future__ import annotations

import numpy as np
import torch

from .. import _validation as check
from ._dataset import ForecastDataset, ForecastSplits

__all__ = ["StandardScaler", "fixed_length_pairs", "make_windows"]


class StandardScaler:
    """Per-channel standardisation ``(x - mean) / scale``, invertible.

    Parameters
    ----------
    mean : array, shape (d,)
    scale : array, shape (d,)
        Standard deviations; zeros (constant channels) are replaced by 1.

    Notes
    -----
    :meth:`transform` and :meth:`inverse_transform` act on the last axis of NumPy arrays
    or torch tensors of any leading shape ``(..., d)`` and return the same type (a tensor
    keeps its dtype and device, and gradients flow through).

    Examples
    --------
    >>> import numpy as np
    >>> scaler = StandardScaler.fit(np.array([[0.0], [2.0], [4.0]]))
    >>> scaler.transform(np.array([[4.0]])).tolist()
    [[1.224744871391589]]
    >>> scaler.inverse_transform(scaler.transform(np.array([[3.0]]))).tolist()
    [[3.0]]
    """

    def __init__(self, mean, scale) -> None:
        self.mean = np.asarray(mean, dtype=np.float64).reshape(-1)
        scale = np.asarray(scale, dtype=np.float64).reshape(-1)
        self.scale = np.where(scale > 0, scale, 1.0)
        if self.mean.shape != self.scale.shape:
            raise ValueError(
                "The 'scale' parameter of StandardScaler must have the shape of 'mean' "
                f"{self.mean.shape}. Got {self.scale.shape} instead."
            )

    @classmethod
    def fit(cls, series) -> StandardScaler:
        """Fit on ``series`` of shape (T, d) (NaN ignored)."""
        series = np.asarray(series, dtype=np.float64)
        return cls(np.nanmean(series, axis=0), np.nanstd(series, axis=0))

    def _params_like(self, x):
        if isinstance(x, torch.Tensor):
            return (
                torch.as_tensor(self.mean, dtype=x.dtype, device=x.device),
                torch.as_tensor(self.scale, dtype=x.dtype, device=x.device),
            )
        return self.mean, self.scale

    def transform(self, x):
        """``(x - mean) / scale`` over the last axis; ``x`` shape (..., d)."""
        mean, scale = self._params_like(x)
        return (x - mean) / scale

    def inverse_transform(self, x):
        """``x * scale + mean`` over the last axis; ``x`` shape (..., d)."""
        mean, scale = self._params_like(x)
        return x * scale + mean

    def __repr__(self) -> str:
        return f"StandardScaler(mean={self.mean.tolist()}, scale={self.scale.tolist()})"


def _as_series(series, where: str) -> np.ndarray:
    array = np.asarray(series, dtype=np.float64)
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2:
        raise ValueError(
            f"The 'series' parameter of {where} must have shape (T,) or (T, d). "
            f"Got shape {array.shape} instead."
        )
    bad = np.flatnonzero(~np.all(np.isfinite(array), axis=1))
    if bad.size:
        raise ValueError(
            f"The 'series' parameter of {where} must be finite. Got a NaN or inf at time "
            f"step {bad[0]} instead."
        )
    return array


def _windows(series: np.ndarray, starts: np.ndarray, input_len: int, horizon: int):
    offsets_in = starts[:, None] + np.arange(input_len)
    offsets_out = starts[:, None] + input_len + np.arange(horizon)
    return series[offsets_in], series[offsets_out]


def window_parts(
    n_steps: int,
    input_len: int,
    horizon: int,
    stride: int,
    val_fraction: float,
    test_fraction: float,
) -> tuple[int, int, dict[str, np.ndarray]]:
    """The split of :func:`make_windows`: ``(t1, t2, {part: window starts})``.

    A window starting at ``s`` has targets ``[s + L, s + L + H)`` and belongs to the part
    that holds its last target step (the part's inputs may reach back before it).
    """
    t2 = n_steps - int(round(test_fraction * n_steps))
    t1 = t2 - int(round(val_fraction * n_steps))
    starts = np.arange(0, n_steps - input_len - horizon + 1, stride)
    last_target = starts + input_len + horizon - 1
    parts = {
        "train": starts[last_target < t1],
        "val": starts[(starts + input_len >= t1) & (last_target < t2)],
        "test": starts[starts + input_len >= t2],
    }
    return t1, t2, parts


def pair_counts(n_series: int, val_fraction: float, test_fraction: float) -> tuple[int, int]:
    """The split of :func:`fixed_length_pairs`: ``(n_val, n_test)`` series."""
    return int(round(val_fraction * n_series)), int(round(test_fraction * n_series))


def make_windows(
    series,
    *,
    input_len: int,
    horizon: int,
    stride: int = 1,
    val_fraction: float = 0.1,
    test_fraction: float = 0.2,
    scale: bool = False,
) -> ForecastSplits:
    """Cut one long series into (input, target) windows with chronological splits.

    The time axis is cut at ``t1 = T - round((val_fraction + test_fraction) * T)`` and
    ``t2 = T - round(test_fraction * T)``. A window belongs to the part holding all its
    *target* steps: train windows lie entirely before ``t1``; validation targets lie in
    ``[t1, t2)`` and test targets in ``[t2, T)``, while their inputs may reach back into
    the previous part (the observed past, as at forecast time). No target is ever seen by
    an earlier part.

    Parameters
    ----------
    series : array, shape (T,) or (T, d)
        One series, finite; ``d`` channels forecast jointly.
    input_len : int >= 1
        Length ``L`` of the input windows.
    horizon : int >= 1
        Length ``H`` of the target windows.
    stride : int >= 1 (default: 1)
        Steps between the starts of consecutive windows.
    val_fraction : float in [0, 1) (default: 0.1)
        Share of the time steps whose targets go to validation; 0 gives ``val=None``.
    test_fraction : float in (0, 1) (default: 0.2)
        Share of the time steps whose targets go to the test part.
    scale : bool (default: False)
        Standardise each channel with the mean and standard deviation of the train part
        ``series[:t1]`` only; the fitted :class:`StandardScaler` is returned in
        ``splits.scaler`` to invert forecasts.

    Returns
    -------
    ForecastSplits
        Datasets of ``(input (L, d), target (H, d))`` float32 pairs.

    Raises
    ------
    ValueError
        If a part would hold no window.

    Examples
    --------
    >>> import numpy as np
    >>> splits = make_windows(np.arange(100.0), input_len=10, horizon=5, scale=True)
    >>> len(splits.train), len(splits.val), len(splits.test)
    (56, 6, 16)
    >>> x, y = splits.test[0]
    >>> x.shape, y.shape
    (torch.Size([10, 1]), torch.Size([5, 1]))
    >>> float(splits.scaler.inverse_transform(y)[0, 0])
    80.0
    """
    where = "make_windows"
    check.integer(input_len, "input_len", where, minimum=1)
    check.integer(horizon, "horizon", where, minimum=1)
    check.integer(stride, "stride", where, minimum=1)
    check.fraction(val_fraction, "val_fraction", where, allow_zero=True)
    check.fraction(test_fraction, "test_fraction", where)
    if val_fraction + test_fraction >= 1:
        raise ValueError(
            f"The 'val_fraction' and 'test_fraction' parameters of {where} must sum to < 1. "
            f"Got {val_fraction} + {test_fraction} instead."
        )
    if not isinstance(scale, bool):
        raise TypeError(f"The 'scale' parameter of {where} must be a bool. Got {scale!r} instead.")
    data = _as_series(series, where)
    n_steps = data.shape[0]
    t1, t2, parts = window_parts(n_steps, input_len, horizon, stride, val_fraction, test_fraction)
    scaler = StandardScaler.fit(data[:t1]) if scale else None
    if scaler is not None:
        data = scaler.transform(data)
    wanted = ["train", "test"] + (["val"] if val_fraction > 0 else [])
    for name in wanted:
        if parts[name].size == 0:
            raise ValueError(
                f"The {name} part of {where} holds no window of {input_len} + {horizon} steps "
                f"(series of {n_steps} steps, split at {t1} and {t2}). Got input_len={input_len}, "
                f"horizon={horizon}; use a longer series, shorter windows or larger fractions."
            )
    made = {
        name: ForecastDataset(*_windows(data, parts[name], input_len, horizon)) for name in wanted
    }
    return ForecastSplits(
        train=made["train"], val=made.get("val"), test=made["test"], scaler=scaler
    )


def fixed_length_pairs(
    values,
    *,
    input_len: int,
    horizon: int,
    val_fraction: float = 0.2,
    test_fraction: float = 0.2,
    seed: int = 0,
) -> ForecastSplits:
    """Forecast the last ``horizon`` points of each series from its first ``input_len``.

    For collections of equal-length series such as ECG5000 (140 points: the DILATE paper
    forecasts the last 56 from the first 84). The series are split into train /
    validation / test by a seeded random permutation (series are independent, so the
    split is not chronological); each part keeps the file's order.

    Parameters
    ----------
    values : array, shape (N, T) or (N, T, d)
        Finite series; ``input_len + horizon <= T`` (points in between, if any, are unused).
    input_len, horizon : int >= 1
    val_fraction : float in [0, 1) (default: 0.2)
        Share of series for validation, ``round(val_fraction * N)``; 0 gives ``val=None``.
    test_fraction : float in (0, 1) (default: 0.2)
        Share of series for the test part, ``round(test_fraction * N)``.
    seed : int (default: 0)
        Seed of the NumPy permutation.

    Returns
    -------
    ForecastSplits
        Datasets of ``(input (L, d), target (H, d))`` float32 pairs; no scaler.

    Examples
    --------
    >>> import numpy as np
    >>> values = np.random.default_rng(0).normal(size=(500, 140))
    >>> splits = fixed_length_pairs(values, input_len=84, horizon=56, seed=0)
    >>> len(splits.train), len(splits.val), len(splits.test)
    (300, 100, 100)
    >>> splits.train.inputs.shape, splits.train.targets.shape
    (torch.Size([300, 84, 1]), torch.Size([300, 56, 1]))
    """
    where = "fixed_length_pairs"
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 2:
        array = array[:, :, None]
    if array.ndim != 3:
        raise ValueError(
            f"The 'values' parameter of {where} must have shape (N, T) or (N, T, d). "
            f"Got shape {array.shape} instead."
        )
    n_series, length = array.shape[:2]
    check.integer(input_len, "input_len", where, minimum=1)
    check.integer(horizon, "horizon", where, minimum=1)
    if input_len + horizon > length:
        raise ValueError(
            f"The 'input_len' and 'horizon' parameters of {where} must sum to at most the "
            f"series length {length}. Got {input_len} + {horizon} instead."
        )
    check.fraction(val_fraction, "val_fraction", where, allow_zero=True)
    check.fraction(test_fraction, "test_fraction", where)
    check.integer(seed, "seed", where, minimum=None)
    bad = np.flatnonzero(~np.all(np.isfinite(array), axis=(1, 2)))
    if bad.size:
        raise ValueError(
            f"The 'values' parameter of {where} must be finite. Got NaN or inf in series "
            f"{bad[0]} instead (variable-length series padded with NaN cannot be paired)."
        )
    n_val, n_test = pair_counts(n_series, val_fraction, test_fraction)
    if n_test < 1 or (val_fraction > 0 and n_val < 1) or n_val + n_test >= n_series:
        raise ValueError(
            f"The 'val_fraction' and 'test_fraction' parameters of {where} must give each "
            f"part at least one of the {n_series} series. Got {val_fraction} and "
            f"{test_fraction} ({n_series - n_val - n_test} / {n_val} / {n_test}) instead."
        )
    perm = np.random.default_rng(seed).permutation(n_series)
    index = {
        "test": np.sort(perm[:n_test]),
        "val": np.sort(perm[n_test : n_test + n_val]),
        "train": np.sort(perm[n_test + n_val :]),
    }

    def part(rows):
        return ForecastDataset(array[rows, :input_len], array[rows, length - horizon :])

    return ForecastSplits(
        train=part(index["train"]),
        val=part(index["val"]) if n_val else None,
        test=part(index["test"]),
        scaler=None,
    )

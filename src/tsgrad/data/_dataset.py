"""The in-memory forecasting dataset and the (train, val, test) bundle every helper returns."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch
from torch.utils.data import Dataset

from .. import _validation as check

__all__ = ["ForecastDataset", "ForecastSplits"]


def _as_3d_float32(values, name: str) -> torch.Tensor:
    if isinstance(values, torch.Tensor):
        array = values.detach().to(device="cpu", dtype=torch.float32).clone()
    else:
        array = torch.tensor(np.asarray(values, dtype=np.float64), dtype=torch.float32)
    if array.ndim == 2:
        array = array.unsqueeze(-1)
    if array.ndim != 3:
        raise ValueError(
            f"The '{name}' parameter of ForecastDataset must have shape (N, T) or (N, T, d). "
            f"Got shape {tuple(array.shape)} instead."
        )
    return array.contiguous()


class ForecastDataset(Dataset):
    """Pairs of (input window, target window) held in memory as float32 tensors.

    Parameters
    ----------
    inputs : array or tensor, shape (N, L, d) or (N, L)
        Input windows; a 2-D array is read as univariate (``d = 1``).
    targets : array or tensor, shape (N, H, d) or (N, H)
        The values to forecast, one row per input window.
    breakpoints : array of int, shape (N,), optional
        Index, in the concatenated series of length ``L + H``, of a known change point
        (the synthetic step data set has one); items then carry it as a third element.

    Notes
    -----
    ``dataset[i]`` is ``(input (L, d), target (H, d))`` or, with breakpoints,
    ``(input, target, breakpoint)`` with the breakpoint a 0-d int64 tensor: a
    ``DataLoader`` stacks either into batch tensors. The arrays are copied, never shared
    with the caller.

    Examples
    --------
    >>> import numpy as np
    >>> ds = ForecastDataset(np.zeros((4, 20)), np.ones((4, 5)))
    >>> len(ds), ds[0][0].shape, ds[0][1].shape, ds[0][1].dtype
    (4, torch.Size([20, 1]), torch.Size([5, 1]), torch.float32)
    >>> train, val = ds.split(0.25, seed=0)
    >>> len(train), len(val)
    (3, 1)
    """

    def __init__(self, inputs, targets, breakpoints=None) -> None:
        super().__init__()
        self.inputs = _as_3d_float32(inputs, "inputs")
        self.targets = _as_3d_float32(targets, "targets")
        if self.inputs.shape[0] != self.targets.shape[0]:
            raise ValueError(
                "The 'targets' parameter of ForecastDataset must have as many rows as "
                f"'inputs' ({self.inputs.shape[0]}). Got {self.targets.shape[0]} instead."
            )
        if self.inputs.shape[2] != self.targets.shape[2]:
            raise ValueError(
                "The 'targets' parameter of ForecastDataset must have as many channels as "
                f"'inputs' ({self.inputs.shape[2]}). Got {self.targets.shape[2]} instead."
            )
        if breakpoints is None:
            self.breakpoints = None
        else:
            if isinstance(breakpoints, torch.Tensor):
                bp = breakpoints.detach().to(device="cpu", dtype=torch.int64).clone()
            else:
                bp = torch.tensor(np.asarray(breakpoints, dtype=np.int64))
            if bp.shape != (self.inputs.shape[0],):
                raise ValueError(
                    "The 'breakpoints' parameter of ForecastDataset must have shape "
                    f"({self.inputs.shape[0]},). Got {tuple(bp.shape)} instead."
                )
            self.breakpoints = bp

    @property
    def input_len(self) -> int:
        """Length ``L`` of the input windows."""
        return self.inputs.shape[1]

    @property
    def horizon(self) -> int:
        """Length ``H`` of the target windows."""
        return self.targets.shape[1]

    @property
    def n_channels(self) -> int:
        """Number ``d`` of channels of each series."""
        return self.inputs.shape[2]

    def __len__(self) -> int:
        return self.inputs.shape[0]

    def __getitem__(self, index: int):
        if self.breakpoints is None:
            return self.inputs[index], self.targets[index]
        return self.inputs[index], self.targets[index], self.breakpoints[index]

    def subset(self, indices) -> ForecastDataset:
        """A new dataset holding the rows ``indices`` (in that order).

        Parameters
        ----------
        indices : sequence of int, shape (M,)

        Returns
        -------
        ForecastDataset
            With ``M`` rows, copied.
        """
        idx = torch.tensor(np.asarray(indices, dtype=np.int64))
        bp = None if self.breakpoints is None else self.breakpoints[idx]
        return ForecastDataset(self.inputs[idx], self.targets[idx], bp)

    def split(self, fraction: float, *, seed: int = 0) -> tuple[ForecastDataset, ForecastDataset]:
        """Hold out a random ``fraction`` of the rows, deterministically for a given seed.

        Parameters
        ----------
        fraction : float in (0, 1)
            Share of rows in the second part, ``round(fraction * N)``, at least 1 and at most
            ``N - 1``.
        seed : int (default: 0)
            Seed of the NumPy permutation; the same seed gives the same split.

        Returns
        -------
        (rest, held_out) : tuple of ForecastDataset
            Both keep the original row order.
        """
        where = "ForecastDataset.split"
        check.fraction(fraction, "fraction", where)
        check.integer(seed, "seed", where, minimum=None)
        n = len(self)
        n_out = int(round(fraction * n))
        if n_out < 1 or n_out > n - 1:
            raise ValueError(
                f"The 'fraction' parameter of {where} must leave at least one row in each part "
                f"of the {n} rows. Got {fraction} ({n_out} held out) instead."
            )
        perm = np.random.default_rng(seed).permutation(n)
        return self.subset(np.sort(perm[n_out:])), self.subset(np.sort(perm[:n_out]))


class ForecastSplits(NamedTuple):
    """Train / validation / test datasets and the scaler fitted on the train part.

    Attributes
    ----------
    train : ForecastDataset
    val : ForecastDataset or None
        None where no validation part was asked for.
    test : ForecastDataset
    scaler : StandardScaler or None
        The scaler the data were transformed with (fitted on the train part only); use
        ``scaler.inverse_transform`` to bring forecasts back to the original units.

    Examples
    --------
    :func:`make_windows`, :func:`fixed_length_pairs` and :func:`synthetic_step_datasets`
    return it; a named tuple, it unpacks:

    >>> import numpy as np
    >>> from torch.utils.data import DataLoader
    >>> from tsgrad.data import make_windows, synthetic_step_datasets
    >>> series = np.sin(np.arange(200) / 10)
    >>> train, val, test, scaler = make_windows(series, input_len=20, horizon=10, scale=True)
    >>> len(train), len(val), len(test)
    (111, 11, 31)
    >>> x, y = next(iter(DataLoader(train, batch_size=8)))
    >>> x.shape, y.shape
    (torch.Size([8, 20, 1]), torch.Size([8, 10, 1]))
    >>> splits = synthetic_step_datasets(n_series=10)  # no validation part, no scaling
    >>> splits.val is None, splits.scaler is None
    (True, True)
    """

    train: ForecastDataset
    val: ForecastDataset | None
    test: ForecastDataset
    scaler: object | None = None

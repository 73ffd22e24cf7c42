"""The synthetic step data set of the DILATE paper (Le Guen & Thome, NeurIPS 2019).

The generator reproduces the reference implementation's stream of ``random`` calls
exactly, so that a seed gives the same series, bit for bit, as seeding Python's global
``random`` module and running the reference code.
"""

from __future__ import annotations

import random
from typing import NamedTuple

import numpy as np

from .. import _validation as check
from ._dataset import ForecastDataset, ForecastSplits

__all__ = ["SyntheticSteps", "generate_synthetic_steps", "synthetic_step_datasets"]

# i2 = randint(10, 18) indexes the series, so it must hold at least 19 points.
_MIN_LENGTH = 19


class SyntheticSteps(NamedTuple):
    """The raw synthetic arrays (float64), in the reference generator's order.

    Attributes
    ----------
    train_input : ndarray, shape (N, n_input)
    train_target : ndarray, shape (N, n_output)
    test_input : ndarray, shape (N, n_input)
    test_target : ndarray, shape (N, n_output)
    train_breakpoints : ndarray of int64, shape (N,)
    test_breakpoints : ndarray of int64, shape (N,)
        Index of the change point (the level shifts from there on), in the concatenated
        series of length ``n_input + n_output``.

    Examples
    --------
    :func:`generate_synthetic_steps` returns it; a :class:`ForecastDataset` carries the
    breakpoints along:

    >>> from tsgrad.data import ForecastDataset, generate_synthetic_steps
    >>> steps = generate_synthetic_steps(n_series=4, seed=0)
    >>> steps.train_input.shape, steps.train_target.shape, steps.train_breakpoints.tolist()
    ((4, 20), (4, 20), [35, 17, 34, 35])
    >>> train = ForecastDataset(steps.train_input, steps.train_target, steps.train_breakpoints)
    >>> x, y, breakpoint = train[0]
    >>> x.shape, y.shape, int(breakpoint)
    (torch.Size([20, 1]), torch.Size([20, 1]), 35)
    """

    train_input: np.ndarray
    train_target: np.ndarray
    test_input: np.ndarray
    test_target: np.ndarray
    train_breakpoints: np.ndarray
    test_breakpoints: np.ndarray


def _check_params(n_series, n_input, n_output, sigma, seed, where):
    check.integer(n_series, "n_series", where, minimum=1)
    check.integer(n_input, "n_input", where, minimum=1)
    check.integer(n_output, "n_output", where, minimum=1)
    if n_input + n_output < _MIN_LENGTH:
        raise ValueError(
            f"The 'n_input' and 'n_output' parameters of {where} must sum to at least "
            f"{_MIN_LENGTH} (the second step is placed at index 10 to 18). "
            f"Got {n_input} + {n_output} instead."
        )
    if isinstance(sigma, bool) or not isinstance(sigma, (int, float)) or not sigma >= 0:
        raise ValueError(
            f"The 'sigma' parameter of {where} must be a float >= 0. Got {sigma!r} instead."
        )
    check.integer(seed, "seed", where, minimum=None)


def generate_synthetic_steps(
    n_series: int = 500,
    n_input: int = 20,
    n_output: int = 20,
    sigma: float = 0.01,
    *,
    seed: int = 0,
) -> SyntheticSteps:
    """Generate the DILATE synthetic step series, bit-identical to the reference code.

    Each of the ``2 * n_series`` series of length ``T = n_input + n_output`` is built from
    one ``random.Random(seed)`` stream, in this order:

    1. noise ``sigma * random()`` at every point (uniform on ``[0, sigma)``, as the
       reference code does, although the paper says Gaussian);
    2. ``i1 = randint(1, 10)``, ``i2 = randint(10, 18)``, ``j1 = random()``, ``j2 = random()``,
       ``interval = |i2 - i1| + randint(-3, 3)``;
    3. ``x[i1] += j1``, ``x[i2] += j2``, ``x[i2 + interval:] += j2 - j1``; the breakpoint
       is ``i2 + interval``.

    The first ``n_series`` series are the train part, the last ``n_series`` the test part.

    Parameters
    ----------
    n_series : int >= 1 (default: 500)
        Series in each of the train and test parts.
    n_input, n_output : int >= 1 (default: 20, 20)
        Lengths of the input and target windows; ``n_input + n_output >= 19``.
    sigma : float >= 0 (default: 0.01)
        Amplitude of the uniform noise.
    seed : int (default: 0)
        Seed of the private ``random.Random`` instance; the global ``random`` state is
        neither read nor changed.

    Returns
    -------
    SyntheticSteps
        Float64 arrays ``train_input (N, n_input)``, ``train_target (N, n_output)``,
        ``test_input``, ``test_target`` and int64 ``train_breakpoints (N,)``,
        ``test_breakpoints``.

    Examples
    --------
    >>> data = generate_synthetic_steps(500, 20, 20, 0.01, seed=0)
    >>> data.train_input.shape, data.test_target.shape
    ((500, 20), (500, 20))
    >>> round(float(data.train_target.sum()), 6), data.train_breakpoints[:3].tolist()
    (-171.977146, [35, 17, 34])
    """
    _check_params(n_series, n_input, n_output, sigma, seed, "generate_synthetic_steps")
    rng = random.Random(seed)
    length = n_input + n_output
    series = np.empty((2 * n_series, length), dtype=np.float64)
    breakpoints = np.empty(2 * n_series, dtype=np.int64)
    for k in range(2 * n_series):
        row = series[k]
        # One Python float per point, in the reference's order: the stream must not change.
        row[:] = [sigma * rng.random() for _ in range(length)]
        i1 = rng.randint(1, 10)
        i2 = rng.randint(10, 18)
        j1 = rng.random()
        j2 = rng.random()
        interval = abs(i2 - i1) + rng.randint(-3, 3)
        row[i1] += j1
        row[i2] += j2
        row[i2 + interval :] += j2 - j1
        breakpoints[k] = i2 + interval
    train, test = series[:n_series], series[n_series:]
    return SyntheticSteps(
        train_input=train[:, :n_input].copy(),
        train_target=train[:, n_input:].copy(),
        test_input=test[:, :n_input].copy(),
        test_target=test[:, n_input:].copy(),
        train_breakpoints=breakpoints[:n_series].copy(),
        test_breakpoints=breakpoints[n_series:].copy(),
    )


def synthetic_step_datasets(
    n_series: int = 500,
    n_input: int = 20,
    n_output: int = 20,
    sigma: float = 0.01,
    *,
    seed: int = 0,
    val_fraction: float = 0.0,
    split_seed: int = 0,
) -> ForecastSplits:
    """The synthetic step data as torch datasets, with an optional validation part.

    Parameters
    ----------
    n_series, n_input, n_output, sigma, seed
        As in :func:`generate_synthetic_steps`.
    val_fraction : float in [0, 1) (default: 0.0)
        Share of the train series held out for validation (a seeded random choice, see
        :meth:`ForecastDataset.split`); 0 gives ``val=None``. The test part is never touched.
    split_seed : int (default: 0)
        Seed of the validation split.

    Returns
    -------
    ForecastSplits
        ``train``, ``val`` (or None), ``test``; items are ``(input (n_input, 1),
        target (n_output, 1), breakpoint)``, float32 windows and an int64 breakpoint;
        ``scaler`` is None.

    Examples
    --------
    >>> splits = synthetic_step_datasets(100, seed=0, val_fraction=0.2)
    >>> len(splits.train), len(splits.val), len(splits.test)
    (80, 20, 100)
    >>> x, y, breakpoint = splits.test[0]
    >>> x.shape, y.shape, x.dtype, breakpoint.dtype
    (torch.Size([20, 1]), torch.Size([20, 1]), torch.float32, torch.int64)
    """
    where = "synthetic_step_datasets"
    check.fraction(val_fraction, "val_fraction", where, allow_zero=True)
    check.integer(split_seed, "split_seed", where, minimum=None)
    data = generate_synthetic_steps(n_series, n_input, n_output, sigma, seed=seed)
    train = ForecastDataset(data.train_input, data.train_target, data.train_breakpoints)
    test = ForecastDataset(data.test_input, data.test_target, data.test_breakpoints)
    val = None
    if val_fraction > 0:
        train, val = train.split(val_fraction, seed=split_seed)
    return ForecastSplits(train=train, val=val, test=test, scaler=None)

"""Evaluation of forecasts on a test set, and mean / std over seeds."""

from __future__ import annotations

import math
import numbers

import torch
from torch.utils.data import DataLoader

from .. import _validation as check
from ._metrics import changepoints, hausdorff, ramp_score
from ._threads import DEFAULT_NUM_THREADS, thread_count

METRIC_NAMES: tuple[str, ...] = ("mse", "dtw", "tdi", "hausdorff", "ramp_score")

# Absolute thresholds in the units of the series, suited to series of amplitude ~1 with
# small noise (the DILATE synthetic data: steps of height up to 1, noise < 0.01).
DEFAULT_CHANGEPOINT_PENALTY = 0.05
DEFAULT_RAMP_EPSILON = 0.05


def forecast_metrics(
    outputs: torch.Tensor,
    targets: torch.Tensor,
    *,
    changepoint_penalty: float | None = None,
    changepoint_count: int | None = None,
    ramp_epsilon: float = DEFAULT_RAMP_EPSILON,
) -> dict[str, torch.Tensor]:
    r"""Per-series metrics of a batch of forecasts, computed for the whole batch at once.

    ==============  ===============================================================
    ``mse``         mean over time and features of ``(output - target)^2``
    ``dtw``         DTW, tslearn's convention: ``sqrt`` of the accumulated squared
                    Euclidean cost along the optimal path
    ``tdi``         Temporal Distortion Index: ``sum_{(i, j) in path} (i - j)^2 / k^2``
                    over the optimal DTW path, ``k`` the horizon
    ``hausdorff``   Hausdorff distance (in time steps) between the change points
                    detected in the target and in the output (:func:`changepoints`;
                    ``n`` when only one of them has any, see :func:`hausdorff`)
    ``ramp_score``  mean absolute slope difference of the swinging-door simplifications
                    (:func:`ramp_score` with ``ramp_epsilon``)
    ==============  ===============================================================

    Parameters
    ----------
    outputs, targets : Tensor, shape (B, n, d)
    changepoint_penalty : float > 0, optional
        Cost of one more segment in the change-point detection, units of ``y**2``
        (default 0.05 when ``changepoint_count`` is not given): the number of change
        points follows the data, and a flat series has none.
    changepoint_count : int >= 1, optional
        Detect exactly this many change points in every series instead (never empty, as
        with ruptures' ``Dynp(...).predict(n_bkps=count)``).  Give at most one of the two.
    ramp_epsilon : float > 0 (default: 0.05)
        Swinging-door tolerance, units of ``y``.

    Returns
    -------
    dict of str to Tensor, shape (B,)
        Keys :data:`METRIC_NAMES`, in the dtype of ``outputs``, no gradient.

    Examples
    --------
    >>> import torch
    >>> y = torch.zeros(3, 20, 1); y[:, 10:] = 1.0
    >>> m = forecast_metrics(y, y)
    >>> [float(m[k].sum()) for k in ("mse", "dtw", "tdi", "hausdorff", "ramp_score")]
    [0.0, 0.0, 0.0, 0.0, 0.0]
    """
    from tsgrad import losses

    func = "forecast_metrics"
    for name, t in (("outputs", outputs), ("targets", targets)):
        if not isinstance(t, torch.Tensor) or t.ndim != 3 or not t.is_floating_point():
            got = tuple(t.shape) if isinstance(t, torch.Tensor) else type(t).__name__
            raise ValueError(
                f"The '{name}' parameter of {func} must be a floating tensor of shape "
                f"(B, n, d). Got {got} instead."
            )
    if outputs.shape != targets.shape:
        raise ValueError(
            f"The 'outputs' and 'targets' parameters of {func} must have the same shape. "
            f"Got {tuple(outputs.shape)} and {tuple(targets.shape)} instead."
        )
    if changepoint_penalty is not None and changepoint_count is not None:
        raise ValueError(
            f"Give at most one of the 'changepoint_penalty' and 'changepoint_count' "
            f"parameters of {func}. Got {changepoint_penalty!r} and {changepoint_count!r}."
        )
    if changepoint_count is None:
        penalty = (
            DEFAULT_CHANGEPOINT_PENALTY
            if changepoint_penalty is None
            else (check.positive_real(changepoint_penalty, "changepoint_penalty", func))
        )
        detect = {"penalty": penalty}
    else:
        detect = {"count": check.integer(changepoint_count, "changepoint_count", func)}
    epsilon = check.positive_real(ramp_epsilon, "ramp_epsilon", func)
    with torch.no_grad():
        outputs, targets = outputs.detach(), targets.detach().to(outputs.dtype)
        B = targets.shape[0]
        both = torch.cat([targets, outputs])  # one segmentation pass for the pair
        values = {
            "mse": ((outputs - targets) ** 2).mean((1, 2)),
            "dtw": losses.dtw_batch(outputs, targets),
            "tdi": losses.tdi(outputs, targets),
            "hausdorff": hausdorff(*changepoints(both, **detect).split(B)),
            "ramp_score": ramp_score(outputs, targets, epsilon),
        }
        # One dtype for every metric (the timing metrics are computed in float64).
        return {k: v.to(outputs.dtype) for k, v in values.items()}


def _whole_batches(data, batch_size):
    """Batches of (inputs, targets); one indexing call when ``data`` holds tensors."""
    tensors = getattr(data, "tensors", None)
    if isinstance(tensors, tuple) and len(tensors) >= 2:  # TensorDataset: slice, no collate
        n = len(data)
        for start in range(0, n, batch_size):
            yield tensors[0][start : start + batch_size], tensors[1][start : start + batch_size]
        return
    for batch in DataLoader(data, batch_size=batch_size, shuffle=False):
        yield batch[0], batch[1]


def evaluate(
    model: torch.nn.Module,
    data,
    *,
    batch_size: int | None = None,
    device: str | torch.device | None = None,
    changepoint_penalty: float | None = None,
    changepoint_count: int | None = None,
    ramp_epsilon: float = DEFAULT_RAMP_EPSILON,
    per_series: bool = False,
    num_threads: int | None = DEFAULT_NUM_THREADS,
) -> dict:
    """Evaluate a forecaster on a test set: MSE, DTW, TDI, Hausdorff and ramp score.

    The model runs in eval mode without gradients (its mode is restored afterwards); each
    batch is scored by :func:`forecast_metrics` in one vectorized call.

    Parameters
    ----------
    model : nn.Module
        Maps inputs ``(B, n_in, d)`` to predictions shaped like the targets.
    data : Dataset
        Map-style dataset of ``(input, target, ...)`` tuples.
    batch_size : int >= 1, optional
        Default: the whole set in one batch.
    device : str or torch.device, optional
        Default: the device of the model's parameters.
    changepoint_penalty, changepoint_count, ramp_epsilon
        See :func:`forecast_metrics`.
    per_series : bool (default: False)
        Return the per-series values (Tensors of shape ``(N,)``) instead of their means.
    num_threads : int >= 1 or None (default: 1)
        torch and numba threads during the evaluation (restored afterwards); None leaves
        them alone.  See :func:`fit` for why 1.

    Returns
    -------
    dict of str to float (or to Tensor, shape (N,), with ``per_series=True``)
        Keys :data:`METRIC_NAMES`: the means over the ``N`` series.

    Examples
    --------
    >>> import torch
    >>> from torch.utils.data import TensorDataset
    >>> x = torch.randn(8, 10, 1)
    >>> class Repeat(torch.nn.Module):
    ...     def forward(self, x):
    ...         return x[:, -5:]
    >>> evaluate(Repeat(), TensorDataset(x, x[:, -5:]))["mse"]
    0.0
    """
    func = "evaluate"
    if not isinstance(model, torch.nn.Module):
        raise TypeError(
            f"The 'model' parameter of {func} must be a torch.nn.Module. "
            f"Got {type(model).__name__} instead."
        )
    data = check.map_dataset(data, "data", func)
    if batch_size is None:
        batch_size = len(data)
    batch_size = check.integer(batch_size, "batch_size", func)
    if device is None:
        p = next(model.parameters(), None)
        device = p.device if p is not None else torch.device("cpu")
    if num_threads is not None:
        num_threads = check.integer(num_threads, "num_threads", func)
    parts: dict[str, list[torch.Tensor]] = {k: [] for k in METRIC_NAMES}
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), thread_count(num_threads):
            for x, y in _whole_batches(data, batch_size):
                x, y = x.to(device), y.to(device)
                pred = model(x)
                if not isinstance(pred, torch.Tensor) or pred.shape != y.shape:
                    got = tuple(pred.shape) if isinstance(pred, torch.Tensor) else pred
                    raise ValueError(
                        f"The model's prediction must have the target's shape "
                        f"{tuple(y.shape)} in {func}. Got {got} instead."
                    )
                m = forecast_metrics(
                    pred,
                    y,
                    changepoint_penalty=changepoint_penalty,
                    changepoint_count=changepoint_count,
                    ramp_epsilon=ramp_epsilon,
                )
                for k in METRIC_NAMES:
                    parts[k].append(m[k].cpu())
    finally:
        model.train(was_training)
    values = {k: torch.cat(v) for k, v in parts.items()}
    if per_series:
        return values
    return {k: float(v.double().mean()) for k, v in values.items()}


def aggregate(results: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    """Mean and standard deviation of metrics over runs (e.g. one dict per seed).

    The standard deviation is the sample one (``ddof=1``, 0 for a single run), as in
    "mean +- std over 10 seeds".

    Parameters
    ----------
    results : list of dict of str to float
        Each dict from :func:`evaluate`; all must have the same keys.

    Returns
    -------
    dict of str to dict
        ``{name: {"mean": float, "std": float, "n": int}}``.

    Examples
    --------
    >>> aggregate([{"mse": 1.0}, {"mse": 3.0}])
    {'mse': {'mean': 2.0, 'std': 1.4142135623730951, 'n': 2}}
    """
    func = "aggregate"
    if not isinstance(results, (list, tuple)) or not results:
        raise ValueError(
            f"The 'results' parameter of {func} must be a non-empty list of dicts. "
            f"Got {results!r} instead."
        )
    keys = list(results[0])
    out = {}
    for i, r in enumerate(results):
        if not isinstance(r, dict) or list(r) != keys:
            raise ValueError(
                f"The 'results' parameter of {func} must hold dicts with the same keys "
                f"{keys}. Item {i} has {list(r) if isinstance(r, dict) else type(r).__name__}."
            )
    for k in keys:
        vals = [r[k] for r in results]
        if not all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in vals):
            raise ValueError(
                f"The 'results' parameter of {func} must hold numbers. Got {vals!r} for {k!r}."
            )
        n = len(vals)
        mean = math.fsum(vals) / n
        var = math.fsum((v - mean) ** 2 for v in vals) / (n - 1) if n > 1 else 0.0
        out[k] = {"mean": mean, "std": math.sqrt(var), "n": n}
    return out

"""Timing metrics of forecasts (DILATE paper, Table 2), vectorized over the batch.

* Change points: the exact minimiser of the penalised change-in-mean problem
  ``sum_segments sum_t ||y_t - mean_segment||^2 + penalty * (#segments)`` (optimal
  partitioning, the problem PELT solves with pruning), one ``O(n^2)`` dynamic programme
  run for the whole batch at once.
* Hausdorff distance between the change points of the target and of the prediction.
* Ramp score (Vallance et al., 2017): both series are simplified by the swinging door
  algorithm; the score is the mean absolute difference of the slopes of the two
  piecewise-linear simplifications.
"""

from __future__ import annotations

import torch

from .. import _validation as check


def _segment_costs(y: torch.Tensor, min_size: int) -> torch.Tensor:
    """``C[b, s, t]``: squared deviation from the mean of ``y[b, s:t]``; inf if too short."""
    B, n, d = y.shape
    zero = torch.zeros(B, 1, d, dtype=y.dtype, device=y.device)
    s1 = torch.cat([zero, y.cumsum(1)], 1)  # (B, n + 1, d) prefix sums
    s2 = torch.cat([zero[..., 0], (y * y).sum(2).cumsum(1)], 1)  # (B, n + 1)
    idx = torch.arange(n + 1, device=y.device)
    length = (idx[None, :] - idx[:, None]).to(y.dtype)  # t - s
    diff = s1[:, None, :, :] - s1[:, :, None, :]  # (B, s, t, d): sum of y[s:t]
    cost = (s2[:, None, :] - s2[:, :, None]) - (diff * diff).sum(3) / length.clamp_min(1.0)
    return torch.where(length >= min_size, cost.clamp_min(0.0), torch.inf)


def changepoints(
    y: torch.Tensor,
    penalty: float | None = None,
    *,
    count: int | None = None,
    min_size: int = 1,
) -> torch.Tensor:
    r"""Change points in the mean of each series of a batch (exact segmentation).

    With ``penalty``, the number of segments is chosen by the data: the segmentation of
    ``0..n-1`` into contiguous segments of at least ``min_size`` points minimises

    .. math:: \sum_{S} \Big(\sum_{t \in S} \|y_t - \bar y_S\|^2 + \text{penalty}\Big)

    (the problem PELT solves).  With ``count``, exactly ``count`` change points minimise
    the squared deviations (ruptures' ``Dynp`` with ``n_bkps=count``).  Both by dynamic
    programming on prefix sums (float64) for the whole batch at once.  Change point ``t``
    means that a new segment starts at index ``t`` (so ``1 <= t <= n - 1``).

    Parameters
    ----------
    y : Tensor, shape (B, n, d)
    penalty : float > 0, optional
        Cost of one more segment, in the units of ``y**2``: a jump of height ``h`` in the
        middle of ``n`` points is detected when ``n h^2 / 4 > penalty``.
    count : int >= 1, optional
        Exact number of change points (needs ``(count + 1) * min_size <= n``).  Give
        either ``penalty`` or ``count``.
    min_size : int >= 1 (default: 1)

    Returns
    -------
    Tensor of bool, shape (B, n)
        ``True`` at the change points (index 0 is always False).

    Examples
    --------
    >>> y = torch.tensor([0.0] * 5 + [1.0] * 5).reshape(1, 10, 1)
    >>> changepoints(y, penalty=0.5).nonzero()[:, 1].tolist()
    [5]
    >>> changepoints(y, count=1).nonzero()[:, 1].tolist()
    [5]
    """
    func = "changepoints"
    if (penalty is None) == (count is None):
        raise ValueError(
            f"Give exactly one of the 'penalty' and 'count' parameters of {func}. "
            f"Got penalty={penalty!r} and count={count!r}."
        )
    B, n, _ = y.shape
    min_size = check.integer(min_size, "min_size", func)
    if count is not None:
        count = check.integer(count, "count", func)
        if (count + 1) * min_size > n:
            raise ValueError(
                f"The 'count' parameter of {func} must allow {count + 1} segments of "
                f"min_size={min_size} in n={n} points. Got count={count} instead."
            )
    else:
        penalty = check.positive_real(penalty, "penalty", func)
    C = _segment_costs(y.detach().to(torch.float64), min_size)  # (B, n + 1, n + 1)
    rows = torch.arange(B, device=y.device)
    if count is None:
        best = torch.full((B, n + 1), torch.inf, dtype=C.dtype, device=y.device)
        best[:, 0] = 0.0
        arg = torch.zeros(B, n + 1, dtype=torch.long, device=y.device)
        for t in range(1, n + 1):
            best[:, t], arg[:, t] = (best[:, :t] + C[:, :t, t]).min(1)
            best[:, t] += penalty
        args = [arg] * n  # the same back-pointers at every depth
    else:
        best = C[:, 0, :]  # one segment [0, t)
        args = []
        for _ in range(count):  # one more segment: [s, t) after the best split of [0, s)
            best, arg = (best[:, :, None] + C).min(1)
            args.append(arg)
        args.reverse()
    mask = torch.zeros(B, n + 1, dtype=torch.bool, device=y.device)
    cur = torch.full((B,), n, dtype=torch.long, device=y.device)
    for arg in args:  # finished rows (cur == 0) stay at 0
        prev = arg[rows, cur]
        mask[rows, prev] |= (cur > 0) & (prev > 0)
        cur = prev
    return mask[:, :n]


def hausdorff(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    r"""Hausdorff distance between two sets of time indices, per batch element.

    .. math::
        H(A, B) = \max\Big(\max_{a \in A} \min_{b \in B} |a - b|,\
                           \max_{b \in B} \min_{a \in A} |a - b|\Big)

    Conventions for empty sets: ``H(\emptyset, \emptyset) = 0``; when exactly one set is
    empty the distance is ``n`` (the series length, larger than any distance between two
    indices), so that a missed or a spurious change counts as the worst timing error.

    Parameters
    ----------
    a, b : Tensor of bool, shape (B, n)
        Membership masks (e.g. from :func:`changepoints`).

    Returns
    -------
    Tensor, shape (B,), float64

    Examples
    --------
    >>> a = torch.zeros(1, 10, dtype=torch.bool); a[0, [2, 7]] = True
    >>> b = torch.zeros(1, 10, dtype=torch.bool); b[0, [3]] = True
    >>> hausdorff(a, b).tolist()
    [4.0]
    """
    n = a.shape[1]
    idx = torch.arange(n, dtype=torch.float64, device=a.device)
    dist = (idx[:, None] - idx[None, :]).abs()  # (n, n)
    inf = torch.tensor(torch.inf, dtype=torch.float64, device=a.device)
    a_to_b = torch.where(b[:, None, :], dist, inf).amin(2)  # (B, n): from each i to B
    b_to_a = torch.where(a[:, None, :], dist, inf).amin(2)
    h = torch.maximum(torch.where(a, a_to_b, -inf).amax(1), torch.where(b, b_to_a, -inf).amax(1))
    a_any, b_any = a.any(1), b.any(1)
    h = torch.where(a_any & b_any, h, torch.full_like(h, float(n)))
    return torch.where(~a_any & ~b_any, torch.zeros_like(h), h)


def swinging_door(y: torch.Tensor, epsilon: float) -> torch.Tensor:
    """Swinging-door simplification of each series: the piecewise-linear approximation.

    From the current archived point, the two "doors" are the lines through the points
    ``y_t +- epsilon``; the upper door closes to the lowest upper slope seen and the lower
    one opens to the highest lower slope.  When they cross (a new point cannot be reached
    within ``epsilon`` by one straight line), the previous point is archived and becomes
    the new pivot.  The first and last points are always archived; the result linearly
    interpolates the archived points.

    Parameters
    ----------
    y : Tensor, shape (B, n)
    epsilon : float > 0
        Tolerance (same units as ``y``).

    Returns
    -------
    Tensor, shape (B, n), float64
        The simplification evaluated at every time step.

    Examples
    --------
    >>> y = torch.tensor([[0.0, 0.0, 0.0, 1.0, 2.0, 3.0]])
    >>> swinging_door(y, 0.1).tolist()
    [[0.0, 0.0, 0.0, 1.0, 2.0, 3.0]]
    """
    B, n = y.shape
    y = y.detach().to(torch.float64)
    keep = torch.zeros(B, n, dtype=torch.bool, device=y.device)
    keep[:, 0] = keep[:, n - 1] = True
    anchor = torch.zeros(B, dtype=torch.long, device=y.device)
    value = y[:, 0].clone()
    upper = torch.full((B,), torch.inf, dtype=y.dtype, device=y.device)
    lower = -upper
    for t in range(1, n):
        dt = (t - anchor).to(y.dtype)
        up = torch.minimum(upper, (y[:, t] + epsilon - value) / dt)
        lo = torch.maximum(lower, (y[:, t] - epsilon - value) / dt)
        closed = lo > up
        keep[:, t - 1] |= closed
        anchor = torch.where(closed, torch.full_like(anchor, t - 1), anchor)
        value = torch.where(closed, y[:, t - 1], value)
        upper = torch.where(closed, y[:, t] + epsilon - value, up)
        lower = torch.where(closed, y[:, t] - epsilon - value, lo)
    idx = torch.arange(n, device=y.device).expand(B, n)
    prev = torch.where(keep, idx, torch.zeros_like(idx)).cummax(1).values
    nxt = torch.where(keep, idx, torch.full_like(idx, n - 1)).flip(1).cummin(1).values.flip(1)
    y_prev, y_next = y.gather(1, prev), y.gather(1, nxt)
    span = (nxt - prev).clamp_min(1).to(y.dtype)
    return y_prev + (y_next - y_prev) * (idx - prev).to(y.dtype) / span


def ramp_score(outputs: torch.Tensor, targets: torch.Tensor, epsilon: float) -> torch.Tensor:
    r"""Ramp score of each forecast (Vallance et al., 2017), lower is better.

    .. math::
        \mathrm{RS} = \frac{1}{n - 1} \int_0^{n-1}
        \Big|\frac{d\,\mathrm{SD}(\hat y)}{dt} - \frac{d\,\mathrm{SD}(y)}{dt}\Big|\,dt

    where ``SD`` is the swinging-door simplification (:func:`swinging_door`, tolerance
    ``epsilon``); the knots are on the time steps, so the integral is the sum over the unit
    intervals of the absolute slope differences.  Averaged over the ``d`` features.

    Parameters
    ----------
    outputs, targets : Tensor, shape (B, n, d)
    epsilon : float > 0

    Returns
    -------
    Tensor, shape (B,), float64

    Examples
    --------
    A forecast whose ramp starts one step late has a slope error of 1 on one of the 5 unit
    intervals:

    >>> import torch
    >>> from tsgrad.training import ramp_score
    >>> target = torch.tensor([0.0, 0.0, 0.0, 1.0, 2.0, 3.0]).reshape(1, 6, 1)
    >>> late = torch.tensor([0.0, 0.0, 0.0, 0.0, 1.0, 2.0]).reshape(1, 6, 1)
    >>> ramp_score(torch.cat([target, late]), torch.cat([target, target]), epsilon=0.1)
    tensor([0.0000, 0.2000], dtype=torch.float64)
    """
    B, n, d = targets.shape
    if n < 2:
        return torch.zeros(B, dtype=torch.float64, device=targets.device)
    both = torch.cat([outputs, targets], 0).transpose(1, 2).reshape(2 * B * d, n)
    slopes = swinging_door(both, epsilon).diff(dim=1).reshape(2, B, d, n - 1)
    return (slopes[0] - slopes[1]).abs().mean((1, 2))

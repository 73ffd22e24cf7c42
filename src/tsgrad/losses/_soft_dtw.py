"""Batched soft-DTW loss and soft-DTW divergence."""

from __future__ import annotations

import torch
from torch import nn

from .. import _validation as v
from .._kernels import values
from . import _common as c


def _divergence(x, y, xm, ym, bands, band, gamma: float, cost, func: str) -> torch.Tensor:
    """``sdtw(x, y) - (sdtw(x, x) + sdtw(y, y)) / 2`` ``(B,)`` of validated batches."""
    B, n, m = x.shape[0], x.shape[1], y.shape[1]
    xy = values(c.cost_of(x, y, cost, func), gamma, bands)
    xx = values(c.cost_of(x, x, cost, func), gamma, c.bands_for(xm, xm, B, n, n, band))
    yy = values(c.cost_of(y, y, cost, func), gamma, c.bands_for(ym, ym, B, m, m, band))
    return xy - 0.5 * (xx + yy)


def soft_dtw_core(x, y, mask, gamma: float, normalize: bool, reduction: str, cost, band, func: str):
    """:func:`soft_dtw_loss` on validated options (the loss modules call this); ``band`` is
    the ``(kind, param)`` of the global constraint."""
    x, y, xm, ym, bands = c.prepare(x, y, mask, band, ("x", "y"), func)
    if normalize:
        out = _divergence(x, y, xm, ym, bands, band, gamma, cost, func)
    else:
        out = values(c.cost_of(x, y, cost, func), gamma, bands)
    return c.reduce(out, reduction)


def soft_dtw_loss(
    x: torch.Tensor,
    y: torch.Tensor,
    gamma: float = 1.0,
    *,
    normalize: bool = False,
    reduction: str = "mean",
    cost="sqeuclidean",
    mask=None,
    global_constraint=None,
    sakoe_chiba_radius=None,
    itakura_max_slope=None,
) -> torch.Tensor:
    r"""Soft-DTW between the series of two batches, differentiable (Cuturi & Blondel, 2017).

    .. warning::
       Plain soft-DTW **can be negative and** ``soft_dtw(x, x) != 0`` (the soft-min of the
       costs of all alignments is below the cost of the best one).  Use
       ``normalize=True`` (the soft-DTW divergence, :func:`soft_dtw_divergence`) for a loss
       that is ``>= 0`` and zero iff ``x == y``.

    .. math::
        \mathrm{sdtw}_\gamma(x, y) = \min\nolimits_\gamma \{ \langle A, D(x, y) \rangle,
        A \in \mathcal{A}_{n, m} \},\quad
        \min\nolimits_\gamma(a) = -\gamma \log \sum_k e^{-a_k / \gamma}

    over all alignment matrices ``A`` (monotone paths from ``(0, 0)`` to ``(n-1, m-1)``),
    computed by one dynamic programme per batch element; the gradient is the expected
    alignment ``E = d sdtw / dD`` (a second DP), chained through the cost.

    Parameters
    ----------
    x : Tensor, shape (B, n, d)
    y : Tensor, shape (B, m, d)
        Batches of series; ``n != m`` is allowed.  Same dtype and device.
    gamma : float > 0 (default: 1.0)
        Smoothing; ``gamma -> 0`` gives DTW (accumulated cost).
    normalize : bool (default: False)
        Return the soft-DTW divergence ``sdtw(x, y) - (sdtw(x, x) + sdtw(y, y)) / 2``.
    reduction : {"mean", "sum", "none"} (default: "mean")
        Reduction over the batch; "none" returns shape ``(B,)``.
    cost : "sqeuclidean" or callable (default: "sqeuclidean")
        ``"sqeuclidean"``: ``D[b, i, j] = ||x[b, i] - y[b, j]||^2``.  A callable
        ``cost(x, y) -> (B, n, m)`` (differentiable torch code) is used as is.
    mask : None or pair (x_mask, y_mask)
        Padding masks, bool tensors of shapes ``(B, n)`` and ``(B, m)`` (either may be
        None), True on the valid steps, which must come first.  Padded steps have no
        influence on the values and receive zero gradients.
    global_constraint : {"sakoe_chiba", "itakura"} or None (default: None)
    sakoe_chiba_radius : int or None (default: None)
    itakura_max_slope : float or None (default: None)
        A global constraint on the alignments, applied to every pair with its own lengths
        (tslearn's rules, as in :func:`tsgrad.metrics.dtw`): only the band's cells are
        computed, so a Sakoe-Chiba band of radius ``r`` costs ``O(n r)``.

    Returns
    -------
    Tensor, shape () or (B,)
        In the dtype of ``x`` (the DP runs in float64 on CPU).

    Examples
    --------
    >>> import torch
    >>> x = torch.zeros(2, 3, 1, requires_grad=True)
    >>> y = torch.ones(2, 4, 1)
    >>> loss = soft_dtw_loss(x, y, gamma=0.1)
    >>> loss.backward()
    >>> round(loss.item(), 4), tuple(x.grad.shape)
    (3.8901, (2, 3, 1))
    >>> soft_dtw_loss(y, y, gamma=1.0).item() < 0  # not zero, and negative here
    True
    """
    func = "soft_dtw_loss"
    gamma = v.gamma(gamma, func)
    reduction = v.choice(reduction, "reduction", func, c.REDUCTIONS)
    cost = c.check_cost(cost, func)
    normalize = v.flag(normalize, "normalize", func)
    band = c.constraint(global_constraint, sakoe_chiba_radius, itakura_max_slope, func)
    return soft_dtw_core(x, y, mask, gamma, normalize, reduction, cost, band, func)


def soft_dtw_divergence(
    x: torch.Tensor,
    y: torch.Tensor,
    gamma: float = 1.0,
    *,
    reduction: str = "mean",
    cost="sqeuclidean",
    mask=None,
    global_constraint=None,
    sakoe_chiba_radius=None,
    itakura_max_slope=None,
) -> torch.Tensor:
    r"""Soft-DTW divergence (Blondel, Mensch & Vert, AISTATS 2021).

    .. math::
        \mathrm{div}_\gamma(x, y) = \mathrm{sdtw}_\gamma(x, y)
        - \tfrac12 \left(\mathrm{sdtw}_\gamma(x, x) + \mathrm{sdtw}_\gamma(y, y)\right)

    Unlike plain soft-DTW (which can be negative, with ``sdtw(x, x) != 0``), the
    divergence is ``>= 0`` and zero iff ``x == y`` (for the squared Euclidean cost).
    Same as ``soft_dtw_loss(..., normalize=True)``.

    Parameters
    ----------
    x : Tensor, shape (B, n, d)
    y : Tensor, shape (B, m, d)
    gamma : float > 0 (default: 1.0)
    reduction : {"mean", "sum", "none"} (default: "mean")
    cost : "sqeuclidean" or callable (x, y) -> (B, n, m) (default: "sqeuclidean")
        The callable is also called as ``cost(x, x)`` and ``cost(y, y)``.
    mask : None or pair (x_mask (B, n), y_mask (B, m)) of bool tensors
        See :func:`soft_dtw_loss`.
    global_constraint, sakoe_chiba_radius, itakura_max_slope
        See :func:`soft_dtw_loss`.

    Returns
    -------
    Tensor, shape () or (B,)

    Examples
    --------
    >>> import torch
    >>> x = torch.randn(4, 10, 2)
    >>> bool((soft_dtw_divergence(x, x + 0.1, reduction="none") > 0).all())
    True
    >>> abs(soft_dtw_divergence(x, x).item()) < 1e-9
    True
    """
    func = "soft_dtw_divergence"
    gamma = v.gamma(gamma, func)
    reduction = v.choice(reduction, "reduction", func, c.REDUCTIONS)
    cost = c.check_cost(cost, func)
    band = c.constraint(global_constraint, sakoe_chiba_radius, itakura_max_slope, func)
    return soft_dtw_core(x, y, mask, gamma, True, reduction, cost, band, func)


class SoftDTWLoss(nn.Module):
    """Module form of :func:`soft_dtw_loss`; ``forward(x, y, mask=None)``.

    The options, validated once here, are those of :func:`soft_dtw_loss`.

    Parameters
    ----------
    gamma : float > 0 (default: 1.0)
        Smoothing; ``gamma -> 0`` gives DTW (accumulated cost).
    normalize : bool (default: False)
        Use the soft-DTW divergence (``>= 0``, zero iff ``x == y``).
    reduction : {"mean", "sum", "none"} (default: "mean")
        Reduction over the batch.
    cost : "sqeuclidean" or callable (default: "sqeuclidean")
        The cost between the points of the two series.
    global_constraint, sakoe_chiba_radius, itakura_max_slope
        A global constraint on the alignments.

    Examples
    --------
    >>> import torch
    >>> loss_fn = SoftDTWLoss(gamma=0.1, normalize=True)
    >>> loss_fn(torch.zeros(2, 5, 1), torch.zeros(2, 5, 1)).abs().item() < 1e-9
    True
    """

    def __init__(
        self,
        gamma: float = 1.0,
        *,
        normalize: bool = False,
        reduction: str = "mean",
        cost="sqeuclidean",
        global_constraint=None,
        sakoe_chiba_radius=None,
        itakura_max_slope=None,
    ):
        super().__init__()
        func = "SoftDTWLoss"
        self.gamma = v.gamma(gamma, func)
        self.normalize = v.flag(normalize, "normalize", func)
        self.reduction = v.choice(reduction, "reduction", func, c.REDUCTIONS)
        self.cost = c.check_cost(cost, func)
        self.band = c.constraint(global_constraint, sakoe_chiba_radius, itakura_max_slope, func)

    def forward(self, x: torch.Tensor, y: torch.Tensor, mask=None) -> torch.Tensor:
        options = (self.gamma, self.normalize, self.reduction, self.cost, self.band)
        return soft_dtw_core(x, y, mask, *options, "SoftDTWLoss")


class SoftDTWDivergence(nn.Module):
    """Module form of :func:`soft_dtw_divergence`; ``forward(x, y, mask=None)``.

    The options, validated once here, are those of :func:`soft_dtw_divergence`.

    Parameters
    ----------
    gamma : float > 0 (default: 1.0)
        Smoothing.
    reduction : {"mean", "sum", "none"} (default: "mean")
        Reduction over the batch.
    cost : "sqeuclidean" or callable (default: "sqeuclidean")
        The cost between the points of the two series.
    global_constraint, sakoe_chiba_radius, itakura_max_slope
        A global constraint on the alignments.

    Examples
    --------
    >>> import torch
    >>> SoftDTWDivergence(gamma=1.0)(torch.zeros(2, 5, 1), torch.ones(2, 5, 1)).item() > 0
    True
    """

    def __init__(
        self,
        gamma: float = 1.0,
        *,
        reduction: str = "mean",
        cost="sqeuclidean",
        global_constraint=None,
        sakoe_chiba_radius=None,
        itakura_max_slope=None,
    ):
        super().__init__()
        func = "SoftDTWDivergence"
        self.gamma = v.gamma(gamma, func)
        self.reduction = v.choice(reduction, "reduction", func, c.REDUCTIONS)
        self.cost = c.check_cost(cost, func)
        self.band = c.constraint(global_constraint, sakoe_chiba_radius, itakura_max_slope, func)

    def forward(self, x: torch.Tensor, y: torch.Tensor, mask=None) -> torch.Tensor:
        options = (self.gamma, True, self.reduction, self.cost, self.band)
        return soft_dtw_core(x, y, mask, *options, "SoftDTWDivergence")

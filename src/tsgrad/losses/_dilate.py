"""DILATE: shape (soft-DTW) and temporal (soft path position) distortion loss."""

from __future__ import annotations

import torch
from torch import nn

from .. import _validation as v
from .._kernels import SqEuclidean, temporal_distortion
from . import _common as c


def dilate_core(outputs, targets, mask, alpha: float, gamma: float, reduction: str, band, func):
    """:func:`dilate_loss` on validated options (:class:`DILATELoss` calls this)."""
    names = ("outputs", "targets")
    x, y, _, _, bands = c.prepare(outputs, targets, mask, band, names, func)
    shape, temporal = temporal_distortion(SqEuclidean(x, y), gamma, bands)
    loss = alpha * shape + (1.0 - alpha) * temporal
    return c.reduce(loss, reduction), c.reduce(shape, reduction), c.reduce(temporal, reduction)


def dilate_loss(
    outputs: torch.Tensor,
    targets: torch.Tensor,
    alpha: float = 0.5,
    gamma: float = 0.01,
    *,
    reduction: str = "mean",
    mask=None,
    global_constraint=None,
    sakoe_chiba_radius=None,
    itakura_max_slope=None,
):
    r"""DILATE loss (Le Guen & Thome, NeurIPS 2019), batched, multivariate, exact gradients.

    .. math::
        \mathcal{L} = \alpha\, \mathrm{sdtw}_\gamma(D)
        + (1 - \alpha)\, \frac{\langle E_\gamma(D), \Omega\rangle}{k^2},\qquad
        E_\gamma = \frac{\partial\, \mathrm{sdtw}_\gamma}{\partial D},\quad
        \Omega_{ij} = (i - j)^2

    with ``D[b, i, j] = ||outputs[b, i] - targets[b, j]||^2`` (vector L2 over the ``d``
    features).  The shape term is soft-DTW (it can be negative, see
    :func:`soft_dtw_loss`); the temporal term is the soft path's squared time lag.
    The backward is exact: the shape term uses ``E``; the temporal term uses the
    Hessian-vector product ``(d^2 sdtw / dD^2) Omega / k^2`` computed by a second dynamic
    programme (Mensch & Blondel, 2018).  Gradients are those of the returned (reduced)
    loss; in particular with ``reduction="mean"`` they are divided by ``B`` (the reference
    implementation's custom backwards are ``B`` times too large).

    ``k`` is the horizon: the length ``m`` of ``targets`` (per element, its true length
    when ``mask`` pads it).  With ``n == m`` this is the paper's ``k``.

    Parameters
    ----------
    outputs : Tensor, shape (B, n, d)
        Predictions.
    targets : Tensor, shape (B, m, d)
        Ground truth; ``n != m`` allowed.
    alpha : float in [0, 1] (default: 0.5)
        Weight of the shape term.
    gamma : float > 0 (default: 0.01)
        Soft-DTW smoothing.
    reduction : {"mean", "sum", "none"} (default: "mean")
        Applied to the three returned tensors.
    mask : None or pair (outputs_mask (B, n), targets_mask (B, m)) of bool tensors
        Padding masks, True on the valid steps (which come first); either may be None.
    global_constraint, sakoe_chiba_radius, itakura_max_slope
        A global constraint on the alignments (see :func:`soft_dtw_loss`).

    Returns
    -------
    loss, shape_term, temporal_term : Tensor, shape () or (B,)

    Examples
    --------
    >>> import torch
    >>> outputs = torch.zeros(3, 20, 1, requires_grad=True)
    >>> targets = torch.linspace(0, 1, 20).repeat(3, 1)[..., None]
    >>> loss, shape, temporal = dilate_loss(outputs, targets, alpha=0.5, gamma=0.01)
    >>> loss.backward()
    >>> bool(torch.isclose(loss, 0.5 * shape + 0.5 * temporal))
    True
    """
    func = "dilate_loss"
    alpha = v.unit_interval(alpha, "alpha", func)
    gamma = v.gamma(gamma, func)
    reduction = v.choice(reduction, "reduction", func, c.REDUCTIONS)
    band = c.constraint(global_constraint, sakoe_chiba_radius, itakura_max_slope, func)
    return dilate_core(outputs, targets, mask, alpha, gamma, reduction, band, func)


class DILATELoss(nn.Module):
    """Module form of :func:`dilate_loss`; ``forward(outputs, targets, mask=None)``.

    Returns ``(loss, shape_term, temporal_term)``.

    Parameters
    ----------
    alpha : float in [0, 1] (default: 0.5)
        Weight of the shape term.
    gamma : float > 0 (default: 0.01)
        Soft-DTW smoothing.
    reduction : {"mean", "sum", "none"} (default: "mean")
        Applied to the three returned tensors.
    global_constraint, sakoe_chiba_radius, itakura_max_slope
        A global constraint on the alignments (see :func:`soft_dtw_loss`).

    Examples
    --------
    >>> import torch
    >>> loss, shape, temporal = DILATELoss(alpha=0.8)(torch.zeros(2, 6, 1), torch.ones(2, 6, 1))
    >>> round(temporal.item(), 6) >= 0
    True
    """

    def __init__(
        self,
        alpha: float = 0.5,
        gamma: float = 0.01,
        *,
        reduction: str = "mean",
        global_constraint=None,
        sakoe_chiba_radius=None,
        itakura_max_slope=None,
    ):
        super().__init__()
        func = "DILATELoss"
        self.alpha = v.unit_interval(alpha, "alpha", func)
        self.gamma = v.gamma(gamma, func)
        self.reduction = v.choice(reduction, "reduction", func, c.REDUCTIONS)
        self.band = c.constraint(global_constraint, sakoe_chiba_radius, itakura_max_slope, func)

    def forward(self, outputs: torch.Tensor, targets: torch.Tensor, mask=None):
        args = (self.alpha, self.gamma, self.reduction, self.band, "DILATELoss")
        return dilate_core(outputs, targets, mask, *args)

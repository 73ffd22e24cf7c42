"""DILATE: shape (soft-DTW) and temporal (soft path position) distortion loss."""

from __future__ import annotations

from functools import lru_cache

import torch
from torch import nn

from .._kernels._autograd import (
    dilate_sqeuclidean_batch,
    fused_sqeuclidean,
    soft_dtw_alignment_batch,
)
from . import _checks as ck
from ._cost import sqeuclidean_cost


@lru_cache(maxsize=32)
def _omega_cpu(n: int, m: int) -> torch.Tensor:
    i = torch.arange(n, dtype=torch.float64)[:, None]
    j = torch.arange(m, dtype=torch.float64)[None, :]
    return (i - j) ** 2


def omega(n: int, m: int, dtype: torch.dtype, device) -> torch.Tensor:
    """``Omega[i, j] = (i - j)^2``, shape ``(n, m)``."""
    return _omega_cpu(n, m).to(dtype=dtype, device=device)


def horizon(ym, B: int, m: int, like: torch.Tensor) -> torch.Tensor:
    """``k`` of each element: the (true) length of the target, shape ``(B,)``."""
    if ym is None:
        return torch.full((B,), float(m), dtype=like.dtype, device=like.device)
    return ym.sum(1).to(like.dtype)


def dilate_loss(
    outputs: torch.Tensor,
    targets: torch.Tensor,
    alpha: float = 0.5,
    gamma: float = 0.01,
    *,
    reduction: str = "mean",
    mask=None,
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
    outputs, targets = ck.check_pair(outputs, targets, ("outputs", "targets"), func)
    alpha = ck.check_alpha(alpha, func)
    gamma = ck.check_gamma(gamma, func)
    reduction = ck.check_reduction(reduction, func)
    om, tm = ck.check_mask(mask, outputs, targets, ("outputs", "targets"), func)
    outputs = ck.clean(outputs, om, "outputs", func)
    targets = ck.clean(targets, tm, "targets", func)
    B, n, m = outputs.shape[0], outputs.shape[1], targets.shape[1]
    bands = ck.bands_for(om, tm, B, n, m)
    if fused_sqeuclidean(outputs):
        shape, temporal = dilate_sqeuclidean_batch(outputs, targets, gamma, bands)
    else:
        D = sqeuclidean_cost(outputs, targets)
        shape, E = soft_dtw_alignment_batch(D, gamma, bands)
        k = horizon(tm, B, m, D)
        temporal = (E * omega(n, m, D.dtype, D.device)).sum((1, 2)) / (k * k)
    loss = alpha * shape + (1.0 - alpha) * temporal
    return (
        ck.reduce(loss, reduction),
        ck.reduce(shape, reduction),
        ck.reduce(temporal, reduction),
    )


class DILATELoss(nn.Module):
    """Module form of :func:`dilate_loss`; ``forward(outputs, targets, mask=None)``.

    Returns ``(loss, shape_term, temporal_term)``.

    Examples
    --------
    >>> import torch
    >>> loss, shape, temporal = DILATELoss(alpha=0.8)(torch.zeros(2, 6, 1), torch.ones(2, 6, 1))
    >>> round(temporal.item(), 6) >= 0
    True
    """

    def __init__(self, alpha: float = 0.5, gamma: float = 0.01, *, reduction: str = "mean"):
        super().__init__()
        self.alpha = ck.check_alpha(alpha, "DILATELoss")
        self.gamma = ck.check_gamma(gamma, "DILATELoss")
        self.reduction = ck.check_reduction(reduction, "DILATELoss")

    def forward(self, outputs: torch.Tensor, targets: torch.Tensor, mask=None):
        return dilate_loss(
            outputs, targets, self.alpha, self.gamma, reduction=self.reduction, mask=mask
        )

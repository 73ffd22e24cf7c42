"""Batched hard-DTW evaluation: DTW distance and Temporal Distortion Index."""

from __future__ import annotations

import torch

from .. import _validation as v
from .._kernels import SqEuclidean, temporal_distortion, values
from . import _common as c


def dtw_batch(
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    reduction: str = "none",
    mask=None,
    global_constraint=None,
    sakoe_chiba_radius=None,
    itakura_max_slope=None,
):
    r"""DTW distances of a batch of pairs, in one kernel call (tslearn's convention).

    .. math::
        \mathrm{dtw}(x, y) = \sqrt{\min_{A} \langle A, D(x, y)\rangle},\qquad
        D_{ij} = \|x_i - y_j\|^2

    (the square root of the accumulated squared Euclidean cost along the optimal path).
    Differentiable almost everywhere (the gradient follows the optimal path; it is set to
    0 where the distance is 0).

    Parameters
    ----------
    x : Tensor, shape (B, n, d)
    y : Tensor, shape (B, m, d)
    reduction : {"none", "mean", "sum"} (default: "none")
    mask : None or pair (x_mask (B, n), y_mask (B, m)) of bool tensors
        Padding masks, True on the valid steps (which come first).
    global_constraint, sakoe_chiba_radius, itakura_max_slope
        A global constraint on the alignments (see :func:`tsgrad.losses.soft_dtw_loss`).

    Returns
    -------
    Tensor, shape (B,) or ()

    Examples
    --------
    >>> import torch
    >>> x = torch.tensor([[[0.0], [1.0], [2.0]]])
    >>> y = torch.tensor([[[0.0], [2.0]]])
    >>> dtw_batch(x, y)
    tensor([1.])
    """
    func = "dtw_batch"
    reduction = v.choice(reduction, "reduction", func, c.REDUCTIONS)
    band = c.constraint(global_constraint, sakoe_chiba_radius, itakura_max_slope, func)
    x, y, _, _, bands = c.prepare(x, y, mask, band, ("x", "y"), func)
    acc = values(SqEuclidean(x, y), None, bands)
    pos = acc > 0  # sqrt with a zero (not NaN) gradient at 0
    dist = torch.where(pos, torch.sqrt(torch.where(pos, acc, torch.ones_like(acc))), 0.0)
    return c.reduce(dist, reduction)


def tdi(
    outputs: torch.Tensor,
    targets: torch.Tensor,
    *,
    reduction: str = "none",
    mask=None,
    global_constraint=None,
    sakoe_chiba_radius=None,
    itakura_max_slope=None,
):
    r"""Temporal Distortion Index of a batch (hard DTW path, one kernel call).

    .. math::
        \mathrm{TDI}(x, y) = \frac{1}{k^2} \sum_{(i, j) \in A^*} (i - j)^2

    where ``A*`` is the optimal DTW path of the squared Euclidean cost (ties prefer the
    diagonal) and ``k`` the target length (per element when ``mask`` pads it).  0 for the
    identity path; not bounded by 1: the worst monotone path of ``k = 20`` gives
    ``4579 / 400 = 11.4475``.  Piecewise constant, so returned without gradient.

    Parameters
    ----------
    outputs : Tensor, shape (B, n, d)
    targets : Tensor, shape (B, m, d)
    reduction : {"none", "mean", "sum"} (default: "none")
    mask : None or pair (outputs_mask (B, n), targets_mask (B, m)) of bool tensors
    global_constraint, sakoe_chiba_radius, itakura_max_slope
        A global constraint on the alignments (see :func:`tsgrad.losses.soft_dtw_loss`).

    Returns
    -------
    Tensor, shape (B,) or ()

    Examples
    --------
    >>> import torch
    >>> y = torch.randn(4, 20, 1)
    >>> tdi(y, y)
    tensor([0., 0., 0., 0.])
    """
    func = "tdi"
    reduction = v.choice(reduction, "reduction", func, c.REDUCTIONS)
    band = c.constraint(global_constraint, sakoe_chiba_radius, itakura_max_slope, func)
    x, y, _, _, bands = c.prepare(outputs, targets, mask, band, ("outputs", "targets"), func)
    _, index = temporal_distortion(SqEuclidean(x.detach(), y.detach()), None, bands)
    return c.reduce(index, reduction)

"""Batched hard-DTW evaluation: DTW distance and Temporal Distortion Index."""

from __future__ import annotations

import torch

from .._kernels._autograd import dtw_batch as _dtw_kernel
from . import _checks as ck
from ._cost import sqeuclidean_cost
from ._dilate import horizon, omega


def _prepare(x, y, reduction, mask, names, func):
    x, y = ck.check_pair(x, y, names, func)
    reduction = ck.check_reduction(reduction, func)
    xm, ym = ck.check_mask(mask, x, y, names, func)
    x = ck.clean(x, xm, names[0], func)
    y = ck.clean(y, ym, names[1], func)
    B, n, m = x.shape[0], x.shape[1], y.shape[1]
    return x, y, xm, ym, ck.bands_for(xm, ym, B, n, m), reduction


def dtw_batch(x: torch.Tensor, y: torch.Tensor, *, reduction: str = "none", mask=None):
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
    x, y, _, _, bands, reduction = _prepare(x, y, reduction, mask, ("x", "y"), func)
    v = _dtw_kernel(sqeuclidean_cost(x, y), bands)
    pos = v > 0
    safe = torch.where(pos, v, torch.ones_like(v))
    return ck.reduce(torch.where(pos, torch.sqrt(safe), torch.zeros_like(v)), reduction)


def tdi(outputs: torch.Tensor, targets: torch.Tensor, *, reduction: str = "none", mask=None):
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
    names = ("outputs", "targets")
    x, y, _, ym, bands, reduction = _prepare(outputs, targets, reduction, mask, names, func)
    B, n, m = x.shape[0], x.shape[1], y.shape[1]
    with torch.enable_grad():
        D = sqeuclidean_cost(x.detach(), y.detach()).requires_grad_(True)
        # The gradient of hard DTW w.r.t. its cost matrix is the 0/1 optimal-path matrix.
        (A,) = torch.autograd.grad(_dtw_kernel(D, bands).sum(), D)
    k = horizon(ym, B, m, A)
    v = (A * omega(n, m, A.dtype, A.device)).sum((1, 2)) / (k * k)
    return ck.reduce(v, reduction)

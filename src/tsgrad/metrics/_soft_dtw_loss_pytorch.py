"""tslearn's ``SoftDTWLossPyTorch`` on tsgrad's soft-DTW kernels (imports torch)."""

from __future__ import annotations

import torch

from .. import _validation as v
from .._kernels import CostMatrix, SqEuclidean, make_bands, values
from ..losses import soft_dtw_loss
from ._tslearn_compat import constraint_name


def _constraint(global_constraint, sakoe_chiba_radius, itakura_max_slope, func):
    """``(kind, param)`` from a constraint name or one of tslearn's integer codes."""
    name = constraint_name(global_constraint, func)
    return v.constraint(name, sakoe_chiba_radius, itakura_max_slope, func)


class _SoftDTWLossPyTorch:
    """Soft-DTW values of a batch of cost matrices: tslearn's ``_SoftDTWLossPyTorch``.

    ``apply(D, gamma, global_constraint=0, sakoe_chiba_radius=None,
    itakura_max_slope=None)`` returns the values ``(B,)`` of ``D`` ``(B, m, n)``,
    differentiable w.r.t. ``D`` (the gradient is the expected alignment), in ``D``'s dtype.
    """

    @staticmethod
    def apply(D, gamma, global_constraint=0, sakoe_chiba_radius=None, itakura_max_slope=None):
        func = "SoftDTWLossPyTorch"
        if not isinstance(D, torch.Tensor) or D.ndim != 3:
            raise ValueError(
                f"The 'D' parameter of {func} must be a tensor of cost matrices (B, m, n). "
                f"Got {type(D).__name__} of shape {tuple(getattr(D, 'shape', ()))}."
            )
        gamma = v.real(gamma, "gamma", func, minimum=0.0, strict=True)
        kind, param = _constraint(global_constraint, sakoe_chiba_radius, itakura_max_slope, func)
        B, m, n = D.shape
        bands = _bands(B, m, n, kind, param, func)
        out = values(CostMatrix(D.to(torch.float64)), gamma, bands)
        return out.to(D.dtype)


class SoftDTWLossPyTorch(torch.nn.Module):
    r"""Soft-DTW loss between two batches of series, tslearn's module.

    ``forward(x, y)`` returns the soft-DTW value of each pair ``(x[b], y[b])``, shape
    ``(B,)`` (no reduction), differentiable.  Without a global constraint it is
    :func:`tsgrad.losses.soft_dtw_loss` (fused cost, DP and gradient in one kernel for the
    squared Euclidean cost); with one, the same fused kernel runs banded (or, with a
    ``dist_func`` or off the CPU, the cost matrices are formed and banded).

    Parameters
    ----------
    gamma : float > 0 (default: 1.0)
    normalize : bool (default: False)
        Return the soft-DTW divergence ``sdtw(x, y) - (sdtw(x, x) + sdtw(y, y)) / 2``
        (>= 0, zero at ``x == y``).
    dist_func : callable or None (default: None)
        ``dist_func(x, y) -> (B, m, n)`` cost matrices in torch; None is the squared
        Euclidean distance.
    global_constraint : {"sakoe_chiba", "itakura"}, one of tslearn's codes 0, 1, 2, or None
    sakoe_chiba_radius, itakura_max_slope
        As in :func:`tsgrad.metrics.dtw`.

    Examples
    --------
    >>> import torch
    >>> loss = SoftDTWLossPyTorch(gamma=1.0)
    >>> x = torch.zeros(5, 10, 8, requires_grad=True)
    >>> values = loss(x, torch.ones(5, 12, 8))
    >>> values.shape, round(values[0].item(), 3)
    (torch.Size([5]), 91.981)
    >>> values.mean().backward()
    """

    def __init__(
        self,
        gamma=1.0,
        normalize=False,
        dist_func=None,
        global_constraint=None,
        sakoe_chiba_radius=None,
        itakura_max_slope=None,
    ):
        super().__init__()
        func = "SoftDTWLossPyTorch"
        self.gamma = v.real(gamma, "gamma", func, minimum=0.0, strict=True)
        self.normalize = bool(normalize)
        if dist_func is not None and not callable(dist_func):
            raise TypeError(
                f"The 'dist_func' parameter of {func} must be a callable or None. "
                f"Got {type(dist_func).__name__} instead."
            )
        self.dist_func = dist_func
        self.global_constraint = global_constraint
        self.sakoe_chiba_radius = sakoe_chiba_radius
        self.itakura_max_slope = itakura_max_slope
        kind, _ = _constraint(global_constraint, sakoe_chiba_radius, itakura_max_slope, func)
        self._banded = kind != v.constraint(None, None, None, func)[0]

    def forward(self, x, y):
        """Soft-DTW values ``(B,)`` of ``x`` ``(B, m, d)`` and ``y`` ``(B, n, d)``."""
        if not self._banded:
            cost = "sqeuclidean" if self.dist_func is None else self.dist_func
            return soft_dtw_loss(
                x, y, self.gamma, normalize=self.normalize, reduction="none", cost=cost
            )
        values = self._banded_values(x, y)
        if self.normalize:
            values = values - 0.5 * (self._banded_values(x, x) + self._banded_values(y, y))
        return values

    def _banded_values(self, x, y):
        if self.dist_func is None and x.dtype == y.dtype:
            # the squared Euclidean cost: the router fuses cost, DP and gradient, banded
            func = "SoftDTWLossPyTorch"
            kind, param = _constraint(
                self.global_constraint, self.sakoe_chiba_radius, self.itakura_max_slope, func
            )
            bands = _bands(x.shape[0], x.shape[1], y.shape[1], kind, param, func)
            return values(SqEuclidean(x, y), self.gamma, bands)
        D = self.dist_func(x, y) if self.dist_func is not None else _sqeuclidean(x, y)
        return _SoftDTWLossPyTorch.apply(
            D,
            self.gamma,
            self.global_constraint,
            self.sakoe_chiba_radius,
            self.itakura_max_slope,
        )


def _bands(B, m, n, kind, param, func):
    bands = make_bands([m] * B, [n] * B, m, kind, param)
    if not bands.feasible.all():
        raise v.GlobalConstraintError(
            f"The global constraint of {func} leaves no admissible path for series of "
            f"lengths {m} and {n}: increase the constraint's parameter."
        )
    return bands


def _sqeuclidean(x, y):
    diff = x[:, :, None, :] - y[:, None, :, :]
    return (diff * diff).sum(-1)

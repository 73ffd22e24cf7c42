"""Soft-DTW barycenter: minimise the weighted sum of soft-DTW values over the barycenter."""

from __future__ import annotations

import numpy as np

from .. import _validation as v
from ._checks import (
    CONSTRAINT_KEYS,
    Dataset,
    check_constraint,
    check_dataset,
    check_series,
    check_weights,
    like_input,
    resample,
)
from ._kernels import _softdtw_value_grad

# SciPy methods that take no gradient: given the value alone (SciPy warns otherwise).
_GRADIENT_FREE = {"nelder-mead", "powell", "cobyla", "cobyqa"}
# The option that bounds the iterations, where it is not "maxiter".
_MAXITER_OPTION = {"tnc": "maxfun"}


def _objective(Z, values, lengths, w, gamma, constraint):
    """``sum_i w_i sdtw(Z, x_i)`` and its gradient ``(n, d)``."""
    vals, grads = _softdtw_value_grad(Z, values, gamma, lengths, constraint.kind, constraint.param)
    return float(w @ vals), np.tensordot(w, grads, axes=1)


def _check_feasible(func, Z, values, lengths, gamma, constraint):
    """An error where the constraint admits no alignment of ``Z`` with some series."""
    vals = _softdtw_value_grad(Z, values, gamma, lengths, constraint.kind, constraint.param)[0]
    if not np.isfinite(vals).all():
        k = int(np.flatnonzero(~np.isfinite(vals))[0])
        raise ValueError(
            f"The global constraint of {func} leaves no admissible path between a barycenter "
            f"of length {Z.shape[0]} and time series {k} (length {lengths[k]}): relax the "
            "constraint or change the length of 'init'."
        )


def _scipy_barycenter(data: Dataset, w, gamma, init, method, tol, max_iter, constraint):
    """The barycenter by ``scipy.optimize.minimize`` (NumPy, float64) ``(n, d)``."""
    from scipy.optimize import minimize

    keep = w > 0  # zero-weight series do not change the objective: skip their DPs
    values, lengths, w = data.values[keep], data.lengths[keep], w[keep]
    shape = init.shape

    def value_and_grad(z):
        f, g = _objective(z.reshape(shape), values, lengths, w, gamma, constraint)
        return f, g.ravel()

    name = method.lower()
    options = {_MAXITER_OPTION.get(name, "maxiter"): max_iter}
    if name in _GRADIENT_FREE:
        res = minimize(
            lambda z: value_and_grad(z)[0], init.ravel(), method=method, tol=tol, options=options
        )
    else:
        res = minimize(
            value_and_grad, init.ravel(), method=method, jac=True, tol=tol, options=options
        )
    return res.x.reshape(shape)


def _torch_objective(Z, X, w, gamma, mask):
    """``sum_i w_i sdtw(Z, x_i)`` of a tensor ``Z`` ``(n, d)`` and a batch ``X`` ``(B, m, d)``
    (zero-padded, ``mask`` as in :func:`tsgrad.losses.soft_dtw_loss`), differentiable."""
    from ..losses import soft_dtw_loss

    Zb = Z.expand(X.shape[0], *Z.shape)
    return (w * soft_dtw_loss(Zb, X, gamma, reduction="none", mask=mask)).sum()


def _torch_barycenter(data: Dataset, w, gamma, init, make_optimizer, tol, max_iter):
    """The barycenter by a torch optimiser on ``soft_dtw_loss``, a tensor on the device and
    of the dtype of the input tensor (CPU float64 for NumPy inputs)."""
    import torch

    dtype, device = data.like or (torch.float64, torch.device("cpu"))
    sz = data.values.shape[1]
    keep = torch.as_tensor(w > 0)
    Xt = torch.as_tensor(data.values, dtype=dtype)[keep].to(device)
    wt = torch.as_tensor(w, dtype=dtype)[keep].to(device)
    lengths = torch.as_tensor(data.lengths)[keep].to(device)
    mask = None
    if not data.equal_size:
        mask = (None, torch.arange(sz, device=device)[None, :] < lengths[:, None])
    Z = torch.tensor(init, dtype=dtype, device=device, requires_grad=True)
    optimizer = make_optimizer([Z])
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(
            "The 'method' parameter of softdtw_barycenter, when callable, must return a "
            f"torch.optim.Optimizer from a list of parameters. Got {type(optimizer).__name__} "
            "instead."
        )

    def closure():
        optimizer.zero_grad()
        loss = _torch_objective(Z, Xt, wt, gamma, mask)
        loss.backward()
        return loss

    previous = None
    for _ in range(max_iter):
        loss = float(optimizer.step(closure).detach())
        if previous is not None and abs(previous - loss) <= tol * max(
            abs(previous), abs(loss), 1.0
        ):
            break
        previous = loss
    return Z.detach()


def softdtw_barycenter(
    X,
    gamma=1.0,
    weights=None,
    tol=1e-3,
    max_iter=50,
    init=None,
    n_jobs=None,
    method="L-BFGS-B",
    global_constraint=None,
    sakoe_chiba_radius=None,
    itakura_max_slope=None,
):
    r"""Barycenter of time series under soft-DTW (Cuturi & Blondel, 2017).

    Minimises over :math:`Z` ``(bsz, d)``

    .. math:: F(Z) = \sum_i w_i \, \mathrm{sdtw}_\gamma(Z, x_i)

    with the squared Euclidean cost.  Each evaluation of :math:`F` and of its gradient
    :math:`\sum_i w_i\, 2 \sum_j E^{(i)}_{tj} (Z_t - x_{ij})` (``E`` the expected
    alignment) is one parallel kernel call over the series, with the costs built inside
    the kernel (no ``(n_ts, bsz, sz)`` cost tensor).  Soft-DTW can be negative, and so can
    :math:`F`; the barycenter of a single series is not the series itself (it is smoothed).

    Parameters
    ----------
    X : array-like, shape (n_ts, sz, d) or (n_ts, sz), a list of series, or a tensor
        Time series dataset; NaN-padded variable-length series are supported.
    gamma : float > 0 (default: 1.0)
        Smoothing; smaller is closer to DTW.
    weights : None or array-like, shape (n_ts,)
        Non-negative weight of each series, not all zero; None means ones (the objective is
        not normalised, as in tslearn).  An array of the wrong length is an error.
    tol : float >= 0 (default: 1e-3)
        Tolerance of the optimiser: SciPy's ``tol``; for a torch optimiser, stop when the
        objective changes by at most ``tol * max(|F|, |F_prev|, 1)`` in a step.
    max_iter : int >= 0 (default: 50)
        Iterations of the SciPy method (``options={"maxiter": max_iter}``; ``maxfun`` for
        TNC), or steps of the torch optimiser; 0 returns the initial barycenter.
    init : array-like, shape (bsz, d), or None (default: None)
        Starting barycenter (its length sets the barycenter's); None means the weighted
        mean of the series, each first linearly resampled to ``sz`` steps when their
        lengths differ.
    n_jobs : None or int
        Accepted for tslearn compatibility; the kernel uses every core numba is allowed.
    method : str or callable (default: "L-BFGS-B")
        A string is a ``scipy.optimize.minimize`` method, run on the CPU in float64 with the
        exact gradient (gradient-free methods get the value alone).  A callable is a torch
        optimiser factory, called with ``[Z]`` (e.g. ``torch.optim.LBFGS`` or
        ``lambda p: torch.optim.Adam(p, lr=0.1)``): the loop runs in torch on the device and
        dtype of ``X`` with :func:`tsgrad.losses.soft_dtw_loss`, and takes no global
        constraint.  Tensors on other devices than the CPU need a torch optimiser.
    global_constraint, sakoe_chiba_radius, itakura_max_slope
        Global constraint of the alignments (see :func:`tsgrad.metrics.soft_dtw`); tslearn
        passes them through ``**metric_params``, as keyword arguments here too.

    Returns
    -------
    array, shape (bsz, d)
        NumPy for NumPy inputs; for a tensor, a tensor of its dtype on its device.

    Examples
    --------
    >>> b = softdtw_barycenter([[1, 2, 3, 4], [1, 2, 4, 5]], max_iter=5)
    >>> b.shape
    (4, 1)
    >>> b.ravel().round(3).tolist()
    [1.252, 2.038, 3.51, 4.361]

    The torch route, with a torch optimiser (any device):

    >>> import torch
    >>> X = torch.tensor([[1.0, 2, 3, 4], [1, 2, 4, 5]], dtype=torch.float64)
    >>> b = softdtw_barycenter(X, method=torch.optim.LBFGS, max_iter=20)
    >>> b.shape, b.dtype
    (torch.Size([4, 1]), torch.float64)
    """
    func = "softdtw_barycenter"
    gamma = v.gamma(gamma, func)
    tol = v.real(tol, "tol", func, minimum=0.0)
    max_iter = v.integer(max_iter, "max_iter", func, minimum=0)
    v.n_jobs(n_jobs, func)
    if not (isinstance(method, str) or callable(method)):
        raise TypeError(
            f"The 'method' parameter of {func} must be a scipy.optimize.minimize method name "
            f"or a torch optimiser factory (e.g. torch.optim.LBFGS). Got {method!r} instead."
        )
    params = dict(
        zip(
            CONSTRAINT_KEYS, (global_constraint, sakoe_chiba_radius, itakura_max_slope), strict=True
        )
    )
    constraint = check_constraint(params, func, "global_constraint")
    data = check_dataset(X, func)
    w = check_weights(weights, data.values.shape[0], func)
    d = data.values.shape[2]
    if init is None:
        series = (
            data.values
            if data.equal_size
            else resample(data.values, data.lengths, data.values.shape[1])
        )
        bary = np.average(series, axis=0, weights=w)
    else:
        # returned as given with max_iter=0, whatever its features (tslearn's behaviour)
        bary = check_series(init, func, "init", d if max_iter > 0 else None)
    if max_iter == 0:
        return like_input(bary, data.like)
    torch_route = not isinstance(method, str)
    if torch_route:
        if constraint.kind != 0:
            raise ValueError(
                f"{func} takes no global constraint with a torch optimiser as 'method'. Got "
                f"{constraint.kwargs}; use a SciPy method (e.g. method='L-BFGS-B') for "
                "constrained alignments."
            )
        result = _torch_barycenter(data, w, gamma, bary, method, tol, max_iter)
        return result if data.like is not None else result.cpu().numpy()
    if data.like is not None and data.like[1].type != "cpu":
        raise ValueError(
            f"The 'method' parameter of {func} names a SciPy method, which runs on the CPU; "
            f"X is on {data.like[1]}. Pass a torch optimiser (e.g. method=torch.optim.LBFGS) "
            "to stay on the device, or move X to the CPU."
        )
    _check_feasible(func, bary, data.values, data.lengths, gamma, constraint)
    result = _scipy_barycenter(data, w, gamma, bary, method, tol, max_iter, constraint)
    return like_input(result, data.like)

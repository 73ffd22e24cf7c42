"""The training losses by name: ``make_loss("dilate", alpha=0.5, gamma=0.01)``.

Every loss is a callable ``(pred, target) -> (loss, terms)``: ``loss`` is the scalar to
back-propagate (mean over the batch) and ``terms`` a dict of named, detached scalars for
logging (``{"shape": ..., "temporal": ...}`` for DILATE).  Adding a loss is data entry: a
function computing the pair and one row of ``_REGISTRY`` with its options and defaults.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from .. import _validation as check

Terms = dict[str, torch.Tensor]


def _mse(pred, target, opts):
    loss = torch.nn.functional.mse_loss(pred, target)
    return loss, {"mse": loss.detach()}


def _soft_dtw(pred, target, opts):
    from tsgrad import losses

    loss = losses.soft_dtw_loss(pred, target, opts["gamma"], normalize=opts["normalize"])
    return loss, {"soft_dtw": loss.detach()}


def _soft_dtw_divergence(pred, target, opts):
    from tsgrad import losses

    loss = losses.soft_dtw_divergence(pred, target, opts["gamma"])
    return loss, {"soft_dtw_divergence": loss.detach()}


def _dilate(pred, target, opts):
    from tsgrad import losses

    loss, shape, temporal = losses.dilate_loss(pred, target, opts["alpha"], opts["gamma"])
    return loss, {"shape": shape.detach(), "temporal": temporal.detach()}


def _gamma(value, func):
    return check.gamma(value, func)


def _alpha(value, func):
    return check.unit_interval(value, "alpha", func)


def _flag(name):
    def validate(value, func):
        return check.flag(value, name, func)

    return validate


# name -> (function, {option: (default, validate)})
_REGISTRY: dict[str, tuple[Callable, dict[str, tuple[object, Callable]]]] = {
    "mse": (_mse, {}),
    "soft_dtw": (_soft_dtw, {"gamma": (1.0, _gamma), "normalize": (False, _flag("normalize"))}),
    "soft_dtw_divergence": (_soft_dtw_divergence, {"gamma": (1.0, _gamma)}),
    "dilate": (_dilate, {"alpha": (0.5, _alpha), "gamma": (0.01, _gamma)}),
}

LOSS_NAMES: tuple[str, ...] = tuple(_REGISTRY)


class TrainingLoss:
    """A named training loss with its options; call it as ``loss_fn(pred, target)``.

    Build it with :func:`make_loss`, which checks the name and the options and fills in
    the defaults; this constructor checks nothing.  Picklable (it holds only a name and
    plain options), so it travels to data-parallel worker processes.

    Parameters
    ----------
    name : str
        One of :data:`LOSS_NAMES`.
    options : dict
        The complete options of that loss.

    Attributes
    ----------
    name : str
    options : dict
        The complete options, defaults filled in.

    Examples
    --------
    >>> import torch
    >>> from tsgrad.training import make_loss
    >>> loss_fn = make_loss("dilate", alpha=0.8)
    >>> loss_fn
    TrainingLoss('dilate', alpha=0.8, gamma=0.01)
    >>> loss, terms = loss_fn(torch.zeros(2, 5, 1), torch.ones(2, 5, 1))
    >>> round(loss.item(), 4), sorted(terms)  # what fit(..., loss=loss_fn) logs per epoch
    (4.0, ['shape', 'temporal'])
    """

    def __init__(self, name: str, options: dict):
        self.name = name
        self.options = dict(options)

    def __call__(self, pred: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, Terms]:
        """Loss (scalar, mean over the batch) and its named terms (detached scalars).

        Parameters
        ----------
        pred, target : Tensor, shape (B, n, d)

        Returns
        -------
        loss : Tensor, shape ()
            The value to back-propagate.
        terms : dict of str to Tensor, shape ()
            Named, detached terms for logging.
        """
        return _REGISTRY[self.name][0](pred, target, self.options)

    def __repr__(self) -> str:
        opts = ", ".join(f"{k}={v!r}" for k, v in self.options.items())
        return f"TrainingLoss({self.name!r}{', ' if opts else ''}{opts})"


def make_loss(name: str, **options) -> TrainingLoss:
    """Build a training loss by name.

    ============================  =====================================  =====================
    name                          options (defaults)                     logged terms
    ============================  =====================================  =====================
    ``"mse"``                     none                                   ``mse``
    ``"soft_dtw"``                ``gamma=1.0``, ``normalize=False``     ``soft_dtw``
    ``"soft_dtw_divergence"``     ``gamma=1.0``                          ``soft_dtw_divergence``
    ``"dilate"``                  ``alpha=0.5``, ``gamma=0.01``          ``shape``, ``temporal``
    ============================  =====================================  =====================

    Parameters
    ----------
    name : str
        One of :data:`LOSS_NAMES`.
    **options
        The loss's options (above); unknown options are errors.

    Returns
    -------
    TrainingLoss
        ``loss_fn(pred, target) -> (loss, terms)`` with ``pred``, ``target`` of shape
        ``(B, n, d)``, ``loss`` a scalar (mean over the batch) and ``terms`` a dict of
        detached scalars.

    Raises
    ------
    ValueError
        Unknown name or option, or an invalid option value.

    Examples
    --------
    >>> import torch
    >>> loss_fn = make_loss("mse")
    >>> loss, terms = loss_fn(torch.zeros(2, 5, 1), torch.ones(2, 5, 1))
    >>> float(loss), sorted(terms)
    (1.0, ['mse'])
    """
    func = "make_loss"
    if name not in _REGISTRY:
        raise ValueError(
            f"The 'name' parameter of {func} must be one of {', '.join(map(repr, LOSS_NAMES))}. "
            f"Got {name!r} instead."
        )
    spec = _REGISTRY[name][1]
    unknown = sorted(set(options) - set(spec))
    if unknown:
        valid = ", ".join(map(repr, spec)) or "none"
        raise ValueError(
            f"Unknown option(s) {', '.join(map(repr, unknown))} for the {name!r} loss of "
            f"{func}. Valid options: {valid}."
        )
    full = {
        k: validate(options.get(k, default), f"{func}({name!r})")
        for k, (default, validate) in spec.items()
    }
    return TrainingLoss(name, full)

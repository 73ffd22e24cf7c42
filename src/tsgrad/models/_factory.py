"""``build_model``: a forecaster by name, for configuration files and the command line."""

from __future__ import annotations

import inspect

from torch import nn

from .. import _validation as check
from ._mlp import MLPForecaster
from ._node import NeuralODEForecaster
from ._seq2seq import Seq2SeqGRU

__all__ = ["MODELS", "build_model"]

MODELS: dict[str, type[nn.Module]] = {
    "seq2seq": Seq2SeqGRU,
    "mlp": MLPForecaster,
    "node": NeuralODEForecaster,
}

# Set by build_model from its own arguments, never through **hyper.
_SHAPE_ARGS = ("input_size", "output_size", "input_len", "horizon")


def build_model(
    name: str, *, input_size: int, output_size: int, input_len: int, horizon: int, **hyper
) -> nn.Module:
    """Build a forecaster by name.

    Parameters
    ----------
    name : {"seq2seq", "mlp", "node"}
        :class:`Seq2SeqGRU`, :class:`MLPForecaster` or :class:`NeuralODEForecaster`.
    input_size, output_size : int >= 1
        Channels of the input and of the forecast.
    input_len : int >= 1
        Length of the input window (used by the MLP; the recurrent models take any length).
    horizon : int >= 1
        Steps to forecast.
    **hyper
        The model's other constructor arguments (e.g. ``hidden_size=64``); a name the
        model does not take is a ``TypeError`` that lists the ones it does.

    Returns
    -------
    torch.nn.Module
        Mapping ``(B, input_len, input_size)`` to ``(B, horizon, output_size)``.

    Examples
    --------
    >>> model = build_model("mlp", input_size=1, output_size=1, input_len=20, horizon=20,
    ...                     hidden_size=64)
    >>> type(model).__name__, model.hidden.out_features
    ('MLPForecaster', 64)
    """
    if name not in MODELS:
        raise ValueError(
            f"The 'name' parameter of build_model must be one of {sorted(MODELS)}. "
            f"Got {name!r} instead."
        )
    for arg, value in [
        ("input_size", input_size),
        ("output_size", output_size),
        ("input_len", input_len),
        ("horizon", horizon),
    ]:
        check.integer(value, arg, "build_model")
    cls = MODELS[name]
    accepted = [p for p in inspect.signature(cls).parameters if p not in _SHAPE_ARGS]
    unknown = sorted(set(hyper) - set(accepted))
    if unknown:
        raise TypeError(
            f"build_model({name!r}) got unknown hyperparameters {unknown}; "
            f"{cls.__name__} takes {accepted}."
        )
    shape = {"input_size": input_size, "output_size": output_size, "horizon": horizon}
    if "input_len" in inspect.signature(cls).parameters:
        shape["input_len"] = input_len
    return cls(**shape, **hyper)

"""The multilayer-perceptron forecaster of the DILATE paper."""

from __future__ import annotations

import torch
from torch import nn

from .. import _validation as check

__all__ = ["MLPForecaster"]


class MLPForecaster(nn.Module):
    """One-hidden-layer MLP from the flattened input window to the whole forecast.

    ``(B, L, d_in) -> flatten -> Linear(L * d_in, hidden_size) -> ReLU ->
    Linear(hidden_size, horizon * d_out) -> (B, horizon, d_out)``.

    Parameters
    ----------
    input_size : int (default: 1)
        Channels ``d_in`` of the input.
    output_size : int (default: 1)
        Channels ``d_out`` of the forecast.
    input_len : int
        Length ``L`` of the input window (fixed: it sizes the first layer).
    horizon : int
        Steps to forecast.
    hidden_size : int (default: 128)

    Examples
    --------
    >>> import torch
    >>> model = MLPForecaster(input_len=20, horizon=10, input_size=3, output_size=3)
    >>> model(torch.zeros(5, 20, 3)).shape
    torch.Size([5, 10, 3])
    """

    def __init__(
        self,
        *,
        input_size: int = 1,
        output_size: int = 1,
        input_len: int,
        horizon: int,
        hidden_size: int = 128,
    ) -> None:
        super().__init__()
        for name, value in [
            ("input_size", input_size),
            ("output_size", output_size),
            ("input_len", input_len),
            ("horizon", horizon),
            ("hidden_size", hidden_size),
        ]:
            check.integer(value, name, "MLPForecaster")
        self.input_size = input_size
        self.output_size = output_size
        self.input_len = input_len
        self.horizon = horizon
        self.hidden = nn.Linear(input_len * input_size, hidden_size)
        self.out = nn.Linear(hidden_size, horizon * output_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Forecast ``horizon`` steps.

        Parameters
        ----------
        x : tensor, shape (B, input_len, input_size)

        Returns
        -------
        tensor, shape (B, horizon, output_size)
        """
        check.model_input(x, self.input_size, "MLPForecaster.forward", length=self.input_len)
        flat = torch.relu(self.hidden(x.reshape(x.shape[0], -1)))
        return self.out(flat).reshape(x.shape[0], self.horizon, self.output_size)

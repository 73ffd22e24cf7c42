"""The sequence-to-sequence GRU forecaster of the DILATE paper."""

from __future__ import annotations

import torch
from torch import nn

from .. import _validation as check

__all__ = ["Seq2SeqGRU"]


class _Encoder(nn.Module):
    def __init__(self, input_size: int, hidden_size: int, num_layers: int) -> None:
        super().__init__()
        self.gru = nn.GRU(input_size, hidden_size, num_layers=num_layers, batch_first=True)


class _Decoder(nn.Module):
    def __init__(self, size: int, hidden_size: int, num_layers: int, fc_units: int) -> None:
        super().__init__()
        self.gru = nn.GRU(size, hidden_size, num_layers=num_layers, batch_first=True)
        self.fc = nn.Linear(hidden_size, fc_units)
        self.out = nn.Linear(fc_units, size)

    def forward(self, value: torch.Tensor, hidden: torch.Tensor):
        output, hidden = self.gru(value, hidden)
        return self.out(torch.relu(self.fc(output))), hidden


class Seq2SeqGRU(nn.Module):
    """Encoder-decoder GRU forecasting ``horizon`` steps autoregressively (Le Guen & Thome).

    The encoder GRU reads the input window; its final hidden state starts the decoder
    GRU, whose output goes through ``Linear(hidden_size, fc_units) -> ReLU ->
    Linear(fc_units, d)``. The first decoder input is the last input value; each
    prediction is fed back as the next decoder input.

    Parameters
    ----------
    input_size : int (default: 1)
        Channels ``d`` of the series.
    output_size : int (default: 1)
        Channels of the forecast; must equal ``input_size`` because predictions are fed
        back as decoder inputs.
    hidden_size : int (default: 128)
    num_layers : int (default: 1)
    fc_units : int (default: 16)
    horizon : int
        Steps to forecast.

    Notes
    -----
    The submodules are named as in the reference implementation (``encoder.gru``,
    ``decoder.gru``, ``decoder.fc``, ``decoder.out``), so its ``Net_GRU`` state dicts load
    with ``load_state_dict``. Unlike the reference, no batch size is baked into the
    initial hidden state (zeros of the input's batch size). Running the encoder GRU over
    the whole window in one call computes what the reference's step-by-step loop does.

    Shapes: ``forward(x)`` with ``x (B, T_in, d)`` returns ``(B, horizon, d)``.

    Examples
    --------
    >>> import torch
    >>> model = Seq2SeqGRU(horizon=20)
    >>> model(torch.zeros(7, 20, 1)).shape
    torch.Size([7, 20, 1])
    """

    def __init__(
        self,
        *,
        input_size: int = 1,
        output_size: int = 1,
        hidden_size: int = 128,
        num_layers: int = 1,
        fc_units: int = 16,
        horizon: int,
    ) -> None:
        super().__init__()
        where = "Seq2SeqGRU"
        for name, value in [
            ("input_size", input_size),
            ("output_size", output_size),
            ("hidden_size", hidden_size),
            ("num_layers", num_layers),
            ("fc_units", fc_units),
            ("horizon", horizon),
        ]:
            check.integer(value, name, where)
        if output_size != input_size:
            raise ValueError(
                f"The 'output_size' parameter of {where} must equal 'input_size' "
                f"({input_size}): predictions are fed back as decoder inputs. "
                f"Got {output_size} instead."
            )
        self.input_size = input_size
        self.output_size = output_size
        self.horizon = horizon
        self.encoder = _Encoder(input_size, hidden_size, num_layers)
        self.decoder = _Decoder(input_size, hidden_size, num_layers, fc_units)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Forecast ``horizon`` steps.

        Parameters
        ----------
        x : tensor, shape (B, T_in, d)

        Returns
        -------
        tensor, shape (B, horizon, d)
        """
        check.model_input(x, self.input_size, "Seq2SeqGRU.forward")
        _, hidden = self.encoder.gru(x)
        value = x[:, -1:, :]
        steps = []
        for _ in range(self.horizon):
            value, hidden = self.decoder(value, hidden)
            steps.append(value)
        return torch.cat(steps, dim=1)

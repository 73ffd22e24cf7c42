"""A neural-ODE forecaster: GRU encoder -> latent ODE -> linear decoder."""

from __future__ import annotations

import numbers

import torch
from torch import nn

from .. import _validation as check
from ..ode import available_methods, odeint, odeint_adjoint

__all__ = ["NeuralODEForecaster"]


class _LatentDynamics(nn.Module):
    """Autonomous latent vector field ``f(t, z) = W2 tanh(W1 z + b1) + b2``."""

    def __init__(self, latent_size: int, hidden_size: int) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(latent_size, hidden_size), nn.Tanh(), nn.Linear(hidden_size, latent_size)
        )

    def forward(self, t: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


class NeuralODEForecaster(nn.Module):
    """Encode the input window to a latent state, integrate latent dynamics, decode.

    1. A GRU reads the input window ``(B, T_in, d_in)``; a linear map of its final hidden
       state is the latent state ``z(0)``, shape ``(B, latent_size)``, at the last
       observed time.
    2. ``dz/dt = f(z)``, an MLP with one tanh hidden layer, is integrated with
       :func:`tsgrad.ode.odeint` (or :func:`tsgrad.ode.odeint_adjoint` with
       ``adjoint=True``) to the forecast times ``t_k = k * step``, ``k = 1..horizon``.
    3. A linear decoder maps each ``z(t_k)`` to the ``d_out`` channels.

    Parameters
    ----------
    input_size : int (default: 1)
        Channels ``d_in`` of the input.
    output_size : int (default: 1)
        Channels ``d_out`` of the forecast.
    horizon : int
        Steps to forecast.
    latent_size : int (default: 32)
    encoder_hidden_size : int (default: 64)
        Hidden size of the GRU encoder.
    ode_hidden_size : int (default: 64)
        Hidden units of the dynamics MLP.
    step : float > 0 (default: 1.0)
        Time between two forecast steps (the latent clock).
    method : str (default: "dopri5")
        Any name of :func:`tsgrad.ode.available_methods`.
    rtol, atol : float > 0 (default: 1e-3, 1e-4)
        Tolerances of adaptive methods (loose: the forecast error dominates).
    options : dict, optional
        Passed to the solver (e.g. ``{"step_size": 0.25}`` for ``method="rk4"``).
    adjoint : bool (default: False)
        Gradients by the backsolve adjoint (memory independent of the number of solver
        steps) instead of backpropagation through the solver.

    Examples
    --------
    >>> import torch
    >>> model = NeuralODEForecaster(horizon=10, input_size=2, output_size=2)
    >>> model(torch.zeros(4, 20, 2)).shape
    torch.Size([4, 10, 2])
    """

    def __init__(
        self,
        *,
        input_size: int = 1,
        output_size: int = 1,
        horizon: int,
        latent_size: int = 32,
        encoder_hidden_size: int = 64,
        ode_hidden_size: int = 64,
        step: float = 1.0,
        method: str = "dopri5",
        rtol: float = 1e-3,
        atol: float = 1e-4,
        options: dict | None = None,
        adjoint: bool = False,
    ) -> None:
        super().__init__()
        where = "NeuralODEForecaster"
        for name, value in [
            ("input_size", input_size),
            ("output_size", output_size),
            ("horizon", horizon),
            ("latent_size", latent_size),
            ("encoder_hidden_size", encoder_hidden_size),
            ("ode_hidden_size", ode_hidden_size),
        ]:
            check.integer(value, name, where)
        for name, value in [("step", step), ("rtol", rtol), ("atol", atol)]:
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value > 0:
                raise ValueError(
                    f"The '{name}' parameter of {where} must be a float > 0. Got {value!r} instead."
                )
        if method not in available_methods():
            raise ValueError(
                f"The 'method' parameter of {where} must be one of {available_methods()}. "
                f"Got {method!r} instead."
            )
        if options is not None and not isinstance(options, dict):
            raise TypeError(
                f"The 'options' parameter of {where} must be a dict or None. "
                f"Got {type(options).__name__} instead."
            )
        if not isinstance(adjoint, bool):
            raise TypeError(
                f"The 'adjoint' parameter of {where} must be a bool. Got {adjoint!r} instead."
            )
        self.input_size = input_size
        self.output_size = output_size
        self.horizon = horizon
        self.step = float(step)
        self.method = method
        self.rtol = float(rtol)
        self.atol = float(atol)
        self.options = dict(options) if options else None
        self.adjoint = adjoint
        self.encoder = nn.GRU(input_size, encoder_hidden_size, batch_first=True)
        self.to_latent = nn.Linear(encoder_hidden_size, latent_size)
        self.dynamics = _LatentDynamics(latent_size, ode_hidden_size)
        self.decoder = nn.Linear(latent_size, output_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Forecast ``horizon`` steps.

        Parameters
        ----------
        x : tensor, shape (B, T_in, input_size)

        Returns
        -------
        tensor, shape (B, horizon, output_size)
        """
        check.model_input(x, self.input_size, "NeuralODEForecaster.forward")
        _, hidden = self.encoder(x)
        z0 = self.to_latent(hidden[-1])
        t = torch.arange(self.horizon + 1, dtype=x.dtype, device=x.device) * self.step
        solve = odeint_adjoint if self.adjoint else odeint
        # A fresh dict per call: solvers may fill in defaults.
        options = dict(self.options) if self.options else None
        z = solve(
            self.dynamics,
            z0,
            t,
            rtol=self.rtol,
            atol=self.atol,
            method=self.method,
            options=options,
        )
        return self.decoder(z[1:].transpose(0, 1))

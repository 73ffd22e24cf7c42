"""Adams-Bashforth(-Moulton) multistep methods on a fixed grid.

Coefficients are computed for the actual (possibly non-uniform) grid by integrating the
Lagrange basis exactly with Gauss-Legendre quadrature, so a non-uniform ``grid_constructor``
keeps the order. The history is started with the 3/8-rule RK4 steps (not with Euler), so the
method has its full order from the first steps on.

``max_order`` has torchdiffeq's meaning and default (12): the predictor uses the last
``max_order - 1`` derivatives (Adams-Bashforth of order ``max_order - 1``), the corrector
adds the derivative at the new point (Adams-Moulton of order ``max_order``). Below
``max_order = 4`` the method is RK4, as in torchdiffeq.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from ._control import rms_norm
from ._rk import RKStepper
from ._step import Step, lincomb
from ._tableaus import get_tableau

__all__ = ["AdamsStepper", "adams_weights"]

_GL_X, _GL_W = np.polynomial.legendre.leggauss(8)


def adams_weights(nodes: list[float], a: float, b: float) -> list[float]:
    """``w_j = integral_a^b L_j(s) ds`` for the Lagrange basis on ``nodes`` (len <= 14)."""
    s = 0.5 * (b - a) * _GL_X + 0.5 * (b + a)
    out = []
    for j, tj in enumerate(nodes):
        lj = np.ones_like(s)
        for m, tm in enumerate(nodes):
            if m != j:
                lj *= (s - tm) / (tj - tm)
        out.append(float(0.5 * (b - a) * np.dot(_GL_W, lj)))
    return out


class AdamsStepper:
    """Explicit (Adams-Bashforth) or implicit (predictor-corrector) Adams steps.

    Parameters
    ----------
    func : callable
        Internal right-hand side ``f(t, y)`` with ``t`` a Python float.
    implicit : bool
        Correct the Adams-Bashforth prediction with Adams-Moulton (order ``max_order``),
        iterating up to ``max_iters`` times or until the correction is below tolerance.
    max_order : int
        One more than the number of past derivatives the predictor uses (torchdiffeq's).
    rtol, atol : float
        Convergence tolerance of the corrector iteration.
    """

    def __init__(
        self,
        func: Callable,
        *,
        implicit: bool,
        max_order: int = 12,
        max_iters: int = 4,
        rtol: float = 1e-7,
        atol: float = 1e-9,
        interp: str = "linear",
        perturb: bool = False,
        nudge: Callable[[float, float], float] | None = None,
    ):
        self.func = func
        self.implicit = implicit
        self.max_order = max_order
        self.max_iters = max_iters
        self.rtol, self.atol = rtol, atol
        self.n_past = max_order - 1 if max_order >= 4 else 0  # 0: always RK4
        self.order = self.n_past + (1 if implicit else 0) if self.n_past else 4
        self.perturb = perturb
        self._rk = RKStepper(
            get_tableau("rk4"), func, interp="hermite", perturb=perturb, nudge=nudge
        )
        self.nudge = self._rk.nudge
        self._interp = interp
        self.history: list[tuple[float, torch.Tensor]] = []

    def fresh(self) -> AdamsStepper:
        """A new stepper with an empty history (for a replay)."""
        return AdamsStepper(
            self.func,
            implicit=self.implicit,
            max_order=self.max_order,
            max_iters=self.max_iters,
            rtol=self.rtol,
            atol=self.atol,
            interp=self._interp,
            perturb=self.perturb,
            nudge=self.nudge,
        )

    @property
    def nfe(self) -> int:
        return self._rk.nfe

    def eval(self, t: float, y: torch.Tensor) -> torch.Tensor:
        return self._rk.eval(t, y)

    def step(
        self,
        t0: float,
        h: float,
        y0: torch.Tensor,
        f0: torch.Tensor,
        end_perturb: bool = False,
        with_error: bool = False,
    ) -> Step:
        if not self.history or self.history[-1][0] != t0:
            self.history.append((t0, f0))
        self.history = self.history[-(self.n_past + 1) :]
        t1 = t0 + h
        past = self.history[-self.n_past :] if self.n_past else []
        if not self.n_past or len(past) < self.n_past:
            st = self._rk.step(t0, h, y0, f0, with_error=False)
            st.t1 = t1
            return st
        # The increments are summed before they meet y0: one rounding at the magnitude of y
        # per step instead of one per term (the high-order weights are large).
        fs = [fj for _, fj in past]
        w = adams_weights([tp for tp, _ in past], t0, t1)
        y1 = lincomb(y0, fs, list(enumerate(w)), 1.0)
        f1 = None
        if self.implicit:
            # Corrector derivatives are the left limits at t1 when perturbing.
            t_corr = self.nudge(t1, t0) if self.perturb else t1
            nodes = [tp for tp, _ in past] + [t1]
            wc = adams_weights(nodes, t0, t1)
            increment = lincomb(None, fs, list(enumerate(wc[:-1])), 1.0)
            f1 = self._rk.eval(t_corr, y1)
            for _ in range(self.max_iters):
                y_new = y0 + torch.add(increment, f1, alpha=wc[-1])
                with torch.no_grad():
                    scale = self.atol + self.rtol * torch.maximum(y_new.abs(), y1.abs())
                    converged = float(rms_norm((y_new - y1) / scale)) < 1.0
                y1 = y_new
                f1 = self._rk.eval(t_corr, y1)
                if converged:
                    break
            if self.perturb:
                f1 = None  # the next step starts from the right limit
        return Step(t0=t0, h=h, y0=y0, y1=y1, f0=f0, f1=f1, t1=t1)

    def end_derivative(self, st: Step) -> torch.Tensor:
        return self._rk.end_derivative(st)

    def interp(self, st: Step, thetas: list[float]) -> torch.Tensor:
        self._rk.interp_kind = "linear" if self._interp == "linear" else "hermite"
        return self._rk.interp(st, thetas)

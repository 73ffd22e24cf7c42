"""Step-size control: error ratio, initial step, and the proposal of the next step.

The controller is its own piece: the stepping loop only asks it whether a step is accepted
and how long the next one should be. The error ratio is ``norm(err / (atol + rtol *
max(|y0|, |y1|)))``; a step is accepted when it is ``<= 1`` (or when the step already is
``min_step``). The next step is ``h * clip(safety * ratio**(-1/(q+1)), dfactor, ifactor)``,
never shrinking after an accepted step, where ``q`` is the order of the embedded method.

One rule, two arithmetics: Python floats for a joint solve (:meth:`error_ratio`,
:meth:`propose`: no tensor work on the host path) and one value per sample for per-sample
control (:meth:`error_ratios`, :meth:`propose_many`: tensors, no host synchronisation).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

__all__ = ["StepSizeController", "rms_norm"]


def rms_norm(x: torch.Tensor) -> torch.Tensor:
    """Root mean square of ``x`` (0-dim tensor; 0 for an empty tensor)."""
    if x.numel() == 0:
        return x.new_zeros((), dtype=x.real.dtype if x.is_complex() else x.dtype)
    return torch.linalg.vector_norm(x) / math.sqrt(x.numel())


def rms_per_sample(x: torch.Tensor) -> torch.Tensor:
    """Root mean square over all but the first (batch) dimension, shape (B,)."""
    x = x.reshape(x.shape[0], -1)
    if x.shape[1] == 0:
        return x.new_zeros(x.shape[0], dtype=x.real.dtype if x.is_complex() else x.dtype)
    return torch.linalg.vector_norm(x, dim=1) / math.sqrt(x.shape[1])


@dataclass
class StepSizeController:
    """Integral step-size controller (Hairer, Norsett & Wanner, II.4).

    Parameters
    ----------
    rtol, atol : float or tensor broadcastable to the state
    norm : callable
        Maps the scaled error (state-shaped) to a 0-dim tensor (joint solve).
    error_order : int
        Order ``q`` of the embedded solution.
    safety, ifactor, dfactor, min_step, max_step : float
        As in torchdiffeq.
    floor : float
        Smallest error scale, > 0 where ``atol`` may be 0: keeps ``0 / 0`` out of the ratio.
    """

    rtol: float | torch.Tensor
    atol: float | torch.Tensor
    norm: Callable[[torch.Tensor], torch.Tensor]
    error_order: int
    safety: float = 0.9
    ifactor: float = 10.0
    dfactor: float = 0.2
    min_step: float = 0.0
    max_step: float = math.inf
    floor: float = 0.0

    def scale(self, y0: torch.Tensor, y1: torch.Tensor | None = None) -> torch.Tensor:
        mag = y0.abs() if y1 is None else torch.maximum(y0.abs(), y1.abs())
        scale = self.atol + self.rtol * mag
        return scale.clamp_min(self.floor) if self.floor else scale

    def error_ratio(self, err: torch.Tensor, y0: torch.Tensor, y1: torch.Tensor) -> float:
        """The accept/reject quantity; the single host synchronisation of a step."""
        with torch.no_grad():
            return float(self.norm(err / self.scale(y0.detach(), y1.detach())))

    def error_ratios(self, err: torch.Tensor, y0: torch.Tensor, y1: torch.Tensor):
        """One RMS error ratio per sample (batch-first state), shape (B,), float64."""
        with torch.no_grad():
            ratio = rms_per_sample(err / self.scale(y0.detach(), y1.detach()))
            return ratio.to(torch.float64)

    def judge(self, st) -> tuple[bool, float, float]:
        """``(accepted, next_h, error_ratio)`` of an attempted joint step."""
        ratio = self.error_ratio(st.err, st.y0, st.y1)
        accepted, h = self.propose(st.h, ratio)
        return accepted, h, ratio

    def judge_many(self, st, h: torch.Tensor):
        """``(accepted, next_h, error_ratio)`` per sample, tensors (B,); ``h`` the steps
        taken (float64)."""
        ratio = self.error_ratios(st.err, st.y0, st.y1)
        accepted, h_new = self.propose_many(h, ratio)
        return accepted, h_new, ratio

    def clamp(self, h: float) -> float:
        return min(max(h, self.min_step), self.max_step)

    def propose(self, h: float, ratio: float) -> tuple[bool, float]:
        """``(accepted, next_h)`` from the current step ``h`` and its error ratio."""
        if not math.isfinite(ratio):
            return False, h * self.dfactor
        accepted = ratio <= 1.0 or h <= self.min_step
        if ratio == 0.0:
            factor = self.ifactor
        else:
            factor = self.safety * ratio ** (-1.0 / (self.error_order + 1))
            factor = min(self.ifactor, max(factor, 1.0 if accepted else self.dfactor))
        return accepted, self.clamp(h * factor)

    def propose_many(self, h: torch.Tensor, ratio: torch.Tensor):
        """:meth:`propose` for one step per sample: ``(accepted, next_h)``, tensors (B,)."""
        finite = torch.isfinite(ratio)
        accepted = finite & ((ratio <= 1.0) | (h <= self.min_step))
        factor = self.safety * ratio.clamp_min(1e-300) ** (-1.0 / (self.error_order + 1))
        factor = torch.where(ratio == 0, torch.full_like(factor, self.ifactor), factor)
        one, down = torch.ones_like(factor), torch.full_like(factor, self.dfactor)
        lower = torch.where(accepted, one, down)
        factor = torch.minimum(torch.maximum(factor, lower), torch.full_like(factor, self.ifactor))
        factor = torch.where(finite, factor, torch.full_like(factor, self.dfactor))
        return accepted, (h * factor).clamp(self.min_step, self.max_step)

    def initial_step(self, evaluate, t0: float, y0: torch.Tensor, f0: torch.Tensor) -> float:
        """Hairer's starting-step heuristic (one extra evaluation of ``evaluate(t, y)``)."""
        with torch.no_grad():
            return self._initial_step(evaluate, t0, y0.detach(), f0.detach())

    def _initial_step(self, evaluate, t0, y0, f0):
        # y0 and f0 are finite (checked by the caller), so are d0 and d1.
        scale = self.scale(y0)
        d0 = float(self.norm(y0 / scale))
        d1 = float(self.norm(f0 / scale))
        h0 = 1e-6 if d0 < 1e-5 or d1 < 1e-5 else 0.01 * d0 / d1
        h0 = min(h0, self.max_step)
        if not h0 > 0:  # |f0| so large that the guess underflows: let the loop report it
            return self.clamp(h0)
        f1 = evaluate(t0 + h0, y0 + h0 * f0)
        d2 = float(self.norm((f1 - f0) / scale)) / h0
        if not math.isfinite(d2):  # func blows up within h0: start small, the loop shrinks
            h1 = h0 * 1e-3
        elif d1 <= 1e-15 and d2 <= 1e-15:
            h1 = max(1e-6, h0 * 1e-3)
        else:
            h1 = (0.01 / max(d1, d2)) ** (1.0 / (self.error_order + 1))
        return self.clamp(min(100 * h0, h1))

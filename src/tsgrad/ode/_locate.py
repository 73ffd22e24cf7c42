"""Terminal events inside the stepping loop: detect a sign change of ``event_fn`` over a
step and locate it on the step's dense output.

The root is located without extra evaluations of ``func``, with the Illinois variant of
regula falsi, to a few ulps of the time. Making the event time differentiable is a
gradient route (``_events.py``), not the loop's business.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

__all__ = ["EventLocator"]


class EventLocator:
    """Wraps the internal event function ``g(s, y)`` (``s`` a float, ``y`` flat).

    Parameters
    ----------
    g : callable
        Returns a one-element tensor.
    direction : {-1, 0, 1}
        0 accepts any crossing, +1 only from negative to non-negative, -1 the reverse.
        (Internal time may be reversed; ``direction`` is in the user's time, and a crossing
        direction is the same in both since it compares values at the two ends of the step
        in the order they are visited.)
    """

    def __init__(self, g: Callable, direction: int = 0):
        self.g = g
        self.direction = direction

    def value(self, s: float, y: torch.Tensor) -> float:
        with torch.no_grad():
            v = self.g(s, y)
        if not isinstance(v, torch.Tensor) or v.numel() != 1:
            raise ValueError(
                "The 'event_fn' parameter of odeint must return a one-element tensor. "
                f"Got {v!r} instead."
            )
        return float(v)

    def at_zero(self, g0: float) -> bool:
        """An event function that is 0 at the initial time: the event is at ``t0`` (as in
        torchdiffeq). With a ``direction``, a zero at ``t0`` is no crossing in that
        direction, and the solve looks for the next one (as scipy does)."""
        return g0 == 0.0 and self.direction == 0

    def crossed(self, g0: float, g1: float) -> bool:
        if g0 == 0.0:
            return False
        up = g0 < 0.0 <= g1
        down = g0 > 0.0 >= g1
        if self.direction > 0:
            return up
        if self.direction < 0:
            return down
        return up or down

    def locate(self, stepper, st, g0: float, g1: float, max_iter: int = 200) -> float:
        """``theta`` in (0, 1] where the event function crosses zero inside ``st``."""
        if g1 == 0.0:
            return 1.0
        lo, hi, glo, ghi = 0.0, 1.0, g0, g1
        side = 0
        tol = 4 * math.ulp(max(abs(st.t0), abs(st.t1), 1.0)) / abs(st.h)
        with torch.no_grad():
            for _ in range(max_iter):
                if hi - lo <= tol:
                    break
                mid = (lo * ghi - hi * glo) / (ghi - glo)
                if not lo < mid < hi:
                    mid = 0.5 * (lo + hi)
                gm = self.value(st.t0 + mid * st.h, stepper.interp(st, [mid])[0])
                if gm == 0.0:
                    return mid
                if (gm < 0) == (glo < 0):
                    lo, glo = mid, gm
                    if side == -1:
                        ghi *= 0.5
                    side = -1
                else:
                    hi, ghi = mid, gm
                    if side == 1:
                        glo *= 0.5
                    side = 1
        return hi

"""Terminal events inside the stepping loop: detect a sign change of ``event_fn`` over a
step and locate it on the step's dense output.

``event_fn`` may return several values (any shape): the event is the first zero crossing
of any of them, as in torchdiffeq (which takes the minimum of the values times their
initial signs). The root is located without extra evaluations of ``func``, with the
Illinois variant of regula falsi on the crossing component(s), to a few ulps of the time.
Making the event time differentiable is a gradient route (``_events.py``), not the loop's
business.
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
        Returns a tensor of one or more values.
    direction : {-1, 0, 1}
        0 accepts any crossing, +1 only from negative to non-negative, -1 the reverse (for
        every component). (Internal time may be reversed; ``direction`` is in the user's
        time, and a crossing direction is the same in both since it compares values at the
        two ends of the step in the order they are visited.)
    """

    def __init__(self, g: Callable, direction: int = 0, where: str = "odeint"):
        self.g = g
        self.direction = direction
        self.where = where
        self.size: int | None = None

    def value(self, s: float, y: torch.Tensor) -> list[float]:
        """The event function's values (a list, one host synchronisation)."""
        with torch.no_grad():
            v = self.g(s, y)
        if not isinstance(v, torch.Tensor) or v.numel() == 0 or v.is_complex():
            raise ValueError(
                f"The 'event_fn' parameter of {self.where} must return a real tensor with at "
                f"least one element. Got {v!r} instead."
            )
        values = v.detach().reshape(-1).tolist()
        if self.size is None:
            self.size = len(values)
        elif len(values) != self.size:
            raise ValueError(
                f"The 'event_fn' parameter of {self.where} must return the same number of "
                f"values at every call. Got {len(values)} after {self.size}."
            )
        return values

    def at_zero(self, g0: list[float]) -> bool:
        """An event function that is 0 at the initial time: the event is at ``t0`` (as in
        torchdiffeq). With a ``direction``, a zero at ``t0`` is no crossing in that
        direction, and the solve looks for the next one (as scipy does)."""
        return self.direction == 0 and any(v == 0.0 for v in g0)

    def _crosses(self, a: float, b: float) -> bool:
        if a == 0.0:
            return False
        up = a < 0.0 <= b
        down = a > 0.0 >= b
        if self.direction > 0:
            return up
        if self.direction < 0:
            return down
        return up or down

    def crossed(self, g0: list[float], g1: list[float]) -> list[int]:
        """The components that cross zero over the step (empty: no event)."""
        return [k for k, (a, b) in enumerate(zip(g0, g1, strict=True)) if self._crosses(a, b)]

    def locate(self, stepper, st, g0: list[float], g1: list[float], components: list[int]):
        """``theta`` in (0, 1] of the earliest crossing among ``components`` inside ``st``."""
        return min(self._root(stepper, st, k, g0[k], g1[k]) for k in components)

    def _root(self, stepper, st, k: int, g0: float, g1: float, max_iter: int = 200) -> float:
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
                gm = self.value(st.t0 + mid * st.h, stepper.interp(st, [mid])[0])[k]
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

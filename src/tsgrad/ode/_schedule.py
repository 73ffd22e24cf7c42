"""Where the loop steps: the adaptive schedule (controller-driven, landing exactly on
``step_t`` / ``jump_t`` / the final time) and fixed grids (output times, a uniform
``step_size`` generated on the fly, or a ``grid_constructor``'s grid).

Both are joint-time schedules (Python floats); per-sample step control keeps one time and
one step size per sample in the loop's per-sample clock instead.
"""

from __future__ import annotations

import math

import torch

from ._control import StepSizeController
from ._step import Step

__all__ = ["AdaptiveSchedule", "GridSchedule", "build_grid"]


class AdaptiveSchedule:
    """Proposes step ends from the controller, landing exactly on step_t / jump_t / the end."""

    adaptive = True

    def __init__(self, controller: StepSizeController, *, first_step, t_stop, step_t, jump_t):
        self.controller = controller
        self.first_step = first_step
        self.jumps = set(jump_t or ())
        self.barriers = sorted({*(step_t or ()), *self.jumps, t_stop})
        self.h = math.nan
        self.ratio = 0.0

    def start(self, t, y, f0, stepper) -> None:
        self.barriers = [b for b in self.barriers if b > t]
        if self.first_step is not None:
            self.h = self.controller.clamp(self.first_step)
        else:
            self.h = self.controller.initial_step(stepper.eval, t, y, f0)

    def propose(self, t: float) -> tuple[float, bool]:
        while self.barriers and self.barriers[0] <= t:
            self.barriers.pop(0)
        t1 = t + self.h
        if self.barriers and t1 >= self.barriers[0]:
            stop = self.barriers[0]
            return stop, stop in self.jumps
        return t1, False

    def judge(self, st: Step) -> bool:
        accepted, self.h, self.ratio = self.controller.judge(st)
        return accepted


def build_grid(
    t_out: list[float],
    step_size: float | None,
    grid_constructor,
    func,
    y0,
    t_user: torch.Tensor,
    reverse: bool,
) -> list[float] | None:
    """The step boundaries (internal, increasing time) of a fixed-grid solve.

    Without ``step_size`` or ``grid_constructor`` the grid is the output times themselves.
    With ``step_size`` it is ``t0, t0 + step_size, ...`` and the final time (the last step is
    shorter); ``None`` is returned for it, and GridSchedule generates it lazily so memory does
    not grow with the number of steps. ``grid_constructor(func, y0, t)`` is called with the
    user's ``func``, ``y0`` and ``t`` and may return any monotonic grid from ``t[0]`` to
    ``t[-1]``; it is mapped to internal time here.
    """
    t0, t1 = t_out[0], t_out[-1]
    if step_size is not None:
        return None  # a uniform grid, generated on the fly by GridSchedule (O(1) memory)
    if grid_constructor is not None:
        grid = grid_constructor(func, y0, t_user)
        grid = [float(x) for x in torch.as_tensor(grid).detach().cpu().double().tolist()]
        if reverse:
            grid = [-x for x in grid]
        if len(grid) < 2 or any(b <= a for a, b in zip(grid, grid[1:], strict=False)):
            raise ValueError(
                "The 'grid_constructor' option of odeint must return a strictly monotonic "
                f"grid with at least 2 points, in the direction of t. Got {grid[:5]}... "
                "instead."
            )
        if not (math.isclose(grid[0], t0) and math.isclose(grid[-1], t1)):
            raise ValueError(
                "The 'grid_constructor' option of odeint must return a grid from t[0] to "
                f"t[-1]. Got a grid from {grid[0]} to {grid[-1]} (internal time, where the "
                f"interval is {t0} to {t1}) instead."
            )
        grid[0], grid[-1] = t0, t1
        return grid
    return list(t_out)


class GridSchedule:
    """Steps from grid point to grid point, accepting every step.

    Either an explicit ``grid`` or a uniform one ``t0 + k * step_size`` (generated on the fly)
    that ends exactly at ``t_end`` (the last step is shorter) or, with ``t_end = inf``, is
    unbounded (event location).
    """

    adaptive = False

    def __init__(
        self,
        grid: list[float] | None,
        t0: float,
        step_size: float | None = None,
        t_end: float = math.inf,
    ):
        self.grid = grid
        self.t0 = t0
        self.step_size = step_size
        self.t_end = t_end
        self.n_uniform = (
            math.inf
            if not math.isfinite(t_end) or step_size is None
            else max(1, math.ceil((t_end - t0) / step_size - 1e-9))
        )
        self.k = 0
        self.h = step_size if step_size is not None else math.inf
        self.ratio = 0.0  # a grid step is never rejected

    def fresh(self) -> GridSchedule:
        """The same grid, from its start (for a replay)."""
        return GridSchedule(self.grid, self.t0, self.step_size, self.t_end)

    @property
    def n_steps(self) -> float:
        """Steps of the whole grid (inf for an unbounded one)."""
        return self.n_uniform if self.grid is None else len(self.grid) - 1

    def start(self, t, y, f0, stepper) -> None:
        pass

    def propose(self, t: float) -> tuple[float, bool] | None:
        if self.grid is None:
            if self.k >= self.n_uniform:
                return None
            if self.k + 1 == self.n_uniform:
                return self.t_end, False
            return self.t0 + (self.k + 1) * self.step_size, False
        if self.k + 1 >= len(self.grid):
            return None
        return self.grid[self.k + 1], False

    def judge(self, step) -> bool:
        self.k += 1
        return True

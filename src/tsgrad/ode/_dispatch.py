"""The one dispatcher: from a :class:`~tsgrad.ode._problem.Problem` to an ``Outcome``.

:func:`make_stepper` and :func:`make_schedule` build what a method needs (Runge-Kutta or
Adams stepper; adaptive schedule, fixed grid, or none with per-sample control);
:func:`solve` runs the loop (or ``solve_ivp`` for ``scipy_solver``) and fills in the
statistics. Every gradient route calls these, never the public functions.
"""

from __future__ import annotations

import math

import torch

from ._adams import AdamsStepper
from ._control import StepSizeController
from ._errors import MaxStepsExceededError
from ._loop import Outcome, integrate
from ._methods import ADAMS
from ._problem import Problem
from ._rk import RKStepper
from ._schedule import AdaptiveSchedule, GridSchedule, build_grid
from ._scipy import solve_scipy
from ._tableaus import TABLEAUS

__all__ = ["fill_stats", "make_schedule", "make_stepper", "solve"]


def _per_sample_func(prob: Problem):
    """``f(t, y)`` on the batch-first state with one time per sample (any shape of ``t``
    holding ``B`` values)."""
    d, rhs, time_dtype = prob.batch_dim, prob.rhs, prob.time_dtype

    def f(t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return rhs(t.reshape(-1).to(time_dtype), y.movedim(0, d)).movedim(d, 0)

    return f


def _tol_max(value) -> float:
    return float(value.max()) if isinstance(value, torch.Tensor) else float(value)


def make_stepper(prob: Problem):
    """The stepper of ``prob``'s method (not for ``scipy_solver``)."""
    opts = prob.options
    if prob.kind == "adams":
        return AdamsStepper(
            prob.func,
            implicit=ADAMS[prob.method],
            max_order=opts.max_order,
            max_iters=4 if opts.max_iters is None else opts.max_iters,
            rtol=_tol_max(prob.rtol),
            atol=_tol_max(prob.atol),
            interp=opts.interp,
            perturb=opts.perturb,
            nudge=prob.nudge,
        )
    tab = TABLEAUS[prob.method]
    if prob.batch_dim is not None:
        return RKStepper(tab, _per_sample_func(prob), interp="dense")
    if prob.kind == "adaptive":
        return RKStepper(tab, prob.func, interp="dense", nudge=prob.nudge)
    interp = "hermite" if opts.interp == "cubic" else "linear"
    return RKStepper(tab, prob.func, interp=interp, perturb=opts.perturb, nudge=prob.nudge)


def make_schedule(prob: Problem, stepper):
    """Where a joint solve steps (None with per-sample control: the loop's clock decides)."""
    if prob.batch_dim is not None:
        return None
    opts = prob.options
    if prob.kind == "adaptive":
        ctrl = StepSizeController(
            rtol=prob.rtol,
            atol=prob.atol,
            norm=prob.norm,
            error_order=stepper.error_order,
            safety=opts.safety,
            ifactor=opts.ifactor,
            dfactor=opts.dfactor,
            min_step=opts.min_step,
            max_step=opts.max_step,
            floor=prob.scale_floor,
        )
        return AdaptiveSchedule(
            ctrl,
            first_step=opts.first_step,
            t_stop=prob.t_out[-1] if prob.event is None else math.inf,
            step_t=prob.step_t,
            jump_t=prob.jump_t,
        )
    if prob.event is not None:
        if opts.step_size is None:
            raise ValueError(
                f"Event handling with the fixed-grid method {prob.method!r} needs the "
                "'step_size' option. Got step_size=None instead."
            )
        return GridSchedule(None, prob.t_out[0], opts.step_size)
    func, y0_user, t_user = prob.grid_args
    grid = build_grid(
        list(prob.t_out),
        opts.step_size,
        opts.grid_constructor,
        func,
        y0_user,
        t_user,
        prob.reverse,
    )
    schedule = GridSchedule(grid, prob.t_out[0], opts.step_size, prob.t_out[-1])
    if schedule.n_steps > opts.max_num_steps:
        t0, t1 = prob.user_time(prob.t_out[0]), prob.user_time(prob.t_out[-1])
        raise MaxStepsExceededError(
            f"The grid has {schedule.n_steps} steps from t={t0} to t={t1}, more than "
            f"max_num_steps={opts.max_num_steps}",
            t=t0,
            step=0,
            hint="Try a larger 'step_size' (or raise options['max_num_steps']).",
        )
    return schedule


def fill_stats(prob: Problem, out: Outcome) -> None:
    """Add ``out``'s counts to the ``stats`` option, if given."""
    stats = prob.options.stats
    if stats is not None:
        stats.nfe += out.nfe
        stats.n_accepted += out.n_accepted
        stats.n_rejected += out.n_rejected
        if out.per_sample_accepted is not None:
            stats.per_sample_accepted = out.per_sample_accepted
            stats.per_sample_rejected = out.per_sample_rejected


def solve(
    prob: Problem,
    y0: torch.Tensor | None = None,
    *,
    stepper=None,
    record: bool = False,
    recorder=None,
) -> Outcome:
    """Solve ``prob`` from ``y0`` (default ``prob.y0``), autograd through the solver."""
    y0 = prob.y0 if y0 is None else y0
    if prob.kind == "scipy":
        out = solve_scipy(prob)
    else:
        stepper = make_stepper(prob) if stepper is None else stepper
        schedule = make_schedule(prob, stepper)
        out = integrate(prob, y0, stepper, schedule, record=record, recorder=recorder)
    fill_stats(prob, out)
    return out

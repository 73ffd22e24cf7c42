"""The one dispatcher: from a :class:`~tsgrad.ode._problem.Problem` to an ``Outcome``.

:func:`make_stepper` and :func:`make_schedule` build what a method needs (Runge-Kutta or
Adams stepper; adaptive schedule, fixed grid, or none with per-sample control);
:func:`solve` runs the loop (or ``solve_ivp`` for ``scipy_solver``) and fills in the
statistics. Every gradient route calls these, never the public functions.
"""

from __future__ import annotations

import math
import warnings

import torch

from ._adams import AdamsStepper
from ._control import StepSizeController
from ._errors import MaxStepsExceededError
from ._implicit import ImplicitRKStepper
from ._jacobian import FuncJacobian
from ._loop import Outcome, integrate
from ._methods import ADAMS, STIFF
from ._problem import Problem
from ._radau import RadauController, RadauStepper
from ._rk import RKStepper
from ._schedule import AdaptiveSchedule, GridSchedule, build_grid
from ._scipy import solve_scipy
from ._tableaus import IMPLICIT_TABLEAUS, TABLEAUS

__all__ = [
    "fill_stats",
    "jacobian_of",
    "make_controller",
    "make_schedule",
    "make_stepper",
    "solve",
]


def _per_sample_func(prob: Problem):
    """``f(t, y)`` on the batch-first state with one time per sample (any shape of ``t``
    holding ``B`` values)."""
    d, rhs, time_dtype = prob.batch_dim, prob.rhs, prob.time_dtype

    def f(t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return rhs(t.reshape(-1).to(time_dtype), y.movedim(0, d)).movedim(d, 0)

    return f


def _tol_max(value) -> float:
    return float(value.max()) if isinstance(value, torch.Tensor) else float(value)


def _tol_min(value) -> float:
    return float(value.min()) if isinstance(value, torch.Tensor) else float(value)


def jacobian_of(prob: Problem, func=None):
    """``df/dy`` of ``prob``: its own provider (the adjoint's), else by autograd
    (per-sample blocks, batch-first, with per-sample control)."""
    if prob.jacobian is not None:
        return prob.jacobian
    if prob.batch_dim is not None:
        shape = prob.y0.movedim(prob.batch_dim, 0).shape
        return FuncJacobian(func, shape, batch_dim=0)
    return FuncJacobian(prob.func, prob.y0.shape)


def make_controller(prob: Problem, error_order: int, cls=StepSizeController):
    """The step-size controller of an adaptive solve (tolerances batch-first with
    per-sample control, whose norm is always the RMS per sample)."""
    opts, d = prob.options, prob.batch_dim

    def moved(tol):
        if d is not None and isinstance(tol, torch.Tensor) and tol.dim() > 0:
            return tol.movedim(d, 0)
        return tol

    return cls(
        rtol=moved(prob.rtol),
        atol=moved(prob.atol),
        norm=prob.norm,
        error_order=error_order,
        safety=opts.safety,
        ifactor=opts.ifactor,
        dfactor=opts.dfactor,
        min_step=opts.min_step,
        max_step=opts.max_step,
        floor=prob.scale_floor,
    )


def make_stepper(prob: Problem):
    """The stepper of ``prob``'s method (not for ``scipy_solver``)."""
    opts = prob.options
    if prob.kind == "adams":
        if opts.max_order < 4:
            warnings.warn(
                f"max_order={opts.max_order} is below 4, so {prob.method!r} reduces to rk4 "
                "(as in torchdiffeq).",
                UserWarning,
                stacklevel=4,
            )
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
    if prob.kind == "stiff":
        func = _per_sample_func(prob) if prob.batch_dim is not None else prob.func
        controller = make_controller(prob, RadauStepper.error_order, RadauController)
        return RadauStepper(
            IMPLICIT_TABLEAUS[STIFF[prob.method]],
            func,
            jacobian_of(prob, func),
            controller,
            per_sample=prob.batch_dim is not None,
        )
    if prob.kind == "implicit":
        return ImplicitRKStepper(
            IMPLICIT_TABLEAUS[prob.method],
            prob.func,
            jacobian_of(prob),
            rtol=_tol_min(prob.rtol),
            atol=_tol_min(prob.atol),
            max_iters=100 if opts.max_iters is None else opts.max_iters,
            interp="hermite" if opts.interp == "cubic" else "linear",
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
    """Where a joint solve steps; with per-sample control, the controller itself (the
    loop's per-sample clock keeps the times)."""
    opts = prob.options
    adaptive = prob.kind in ("adaptive", "stiff")
    if adaptive:
        ctrl = getattr(stepper, "controller", None)
        if ctrl is None:
            ctrl = make_controller(prob, stepper.error_order)
        if prob.batch_dim is not None:
            return ctrl
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
            step=None,  # refused before the first step
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
        stats.njev += out.njev
        stats.nlu += out.nlu
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
        out = solve_scipy(prob, y0)
    else:
        stepper = make_stepper(prob) if stepper is None else stepper
        schedule = make_schedule(prob, stepper)
        out = integrate(prob, y0, stepper, schedule, record=record, recorder=recorder)
    fill_stats(prob, out)
    return out

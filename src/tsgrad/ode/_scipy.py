"""``method="scipy_solver"``: ``scipy.integrate.solve_ivp`` behind the odeint interface.

The state is integrated in float64 NumPy and returned in the dtype of ``y0``. No gradients
flow through SciPy: use ``odeint_adjoint(..., adjoint_method="dopri5")`` for them.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.integrate import solve_ivp

from ._errors import (
    MaxStepsExceededError,
    NonFiniteStateError,
    ODESolverError,
    StepSizeUnderflowError,
)
from ._loop import Outcome
from ._problem import Problem

__all__ = ["solve_scipy"]


def solve_scipy(prob: Problem, y0: torch.Tensor | None = None) -> Outcome:
    """Solve ``prob`` from ``y0`` (default ``prob.y0``) with ``solve_ivp`` (float64 NumPy,
    no autograd)."""
    opts = prob.options
    y0 = (prob.y0 if y0 is None else y0).detach()
    shape, dtype, device = y0.shape, y0.dtype, y0.device
    t_out = prob.t_out
    if len(t_out) == 1 and prob.event is None:
        return Outcome(ys=y0.unsqueeze(0).clone())
    nfe = [0]
    np_dtype = np.complex128 if y0.is_complex() else np.float64
    work_dtype = torch.complex128 if y0.is_complex() else torch.float64

    max_nfe = opts.max_num_steps

    last_s = [t_out[0]]

    def rhs(s, y):
        # solve_ivp carries on with NaN / inf (LSODA even loops on them): stop it here.
        nfe[0] += 1
        last_s[0] = float(s)
        if nfe[0] > max_nfe:
            raise MaxStepsExceededError(
                f"max_num_steps={max_nfe} function evaluations reached in solve_ivp",
                t=prob.user_time(float(s)),
                step=None,
            )
        with torch.no_grad():
            yy = torch.as_tensor(y, dtype=work_dtype).reshape(shape).to(dtype=dtype, device=device)
            out = prob.func(float(s), yy)
        out = out.detach().to("cpu", work_dtype).reshape(-1).numpy()
        if not (np.isfinite(y).all() and np.isfinite(out).all()):
            raise NonFiniteStateError(
                f"The ODE state or func(t, y) became non-finite in solve_ivp after {nfe[0]} "
                "function evaluations",
                t=prob.user_time(float(s)),
                step=None,
            )
        return out

    def tol(x):
        return x.detach().cpu().double().reshape(-1).numpy() if isinstance(x, torch.Tensor) else x

    kwargs = {}
    if opts.min_step > 0:
        if opts.solver != "LSODA":
            raise ValueError(
                f"The 'min_step' option of odeint with method='scipy_solver' is used by "
                f"solver='LSODA' only (solve_ivp ignores it otherwise). Got "
                f"min_step={opts.min_step!r} with solver={opts.solver!r}."
            )
        kwargs["min_step"] = opts.min_step
    if opts.first_step is not None:
        kwargs["first_step"] = opts.first_step
    y_start = y0.to("cpu", work_dtype).reshape(-1).numpy().astype(np_dtype)
    span = (t_out[0], t_out[-1])
    if prob.event is not None:
        locator = prob.event
        g0 = locator.value(t_out[0], y0)
        if locator.at_zero(g0):  # the event is at t0, as in the loop
            return Outcome(ys=torch.stack([y0, y0]), event_t=t_out[0])

        def component(k):
            def event(s, y):
                yy = torch.as_tensor(y, dtype=work_dtype).reshape(shape)
                return locator.value(float(s), yy.to(dtype=dtype, device=device))[k]

            event.terminal = True
            event.direction = locator.direction
            return event

        kwargs["events"] = [component(k) for k in range(len(g0))]
        span = (t_out[0], np.inf)
    sol = solve_ivp(
        rhs,
        span,
        y_start,
        method=opts.solver,
        t_eval=None if prob.event else t_out,
        rtol=tol(prob.rtol),
        atol=tol(prob.atol),
        max_step=opts.max_step,
        **kwargs,
    )
    if not sol.success:
        error = StepSizeUnderflowError if "step size" in sol.message else ODESolverError
        raise error(
            f"scipy.integrate.solve_ivp failed: {sol.message}",
            t=prob.user_time(last_s[0]),
            step=None,
        )
    if prob.event is not None:
        events = zip(sol.t_events, sol.y_events, strict=True)
        hits = [(float(te[0]), ye[0]) for te, ye in events if te.size]
        if not hits:
            raise ODESolverError(
                "solve_ivp stopped before the event", t=prob.user_time(float(sol.t[-1])), step=None
            )
        event_t, y_event = min(hits, key=lambda hit: hit[0])
        y_event = torch.as_tensor(y_event).to(device=device, dtype=dtype)
        ys = torch.stack([y0, y_event.reshape(shape)])
        return Outcome(ys=ys, event_t=event_t, nfe=nfe[0])
    if not np.isfinite(sol.y).all():
        raise NonFiniteStateError(
            "solve_ivp returned a non-finite state", t=prob.user_time(float(sol.t[-1])), step=None
        )
    ys = torch.as_tensor(sol.y.T.copy()).to(device=device, dtype=dtype)
    return Outcome(ys=ys.reshape(len(t_out), *shape), nfe=nfe[0])

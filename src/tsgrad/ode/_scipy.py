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


def solve_scipy(prob: Problem) -> Outcome:
    """Solve ``prob`` with ``solve_ivp`` (float64 NumPy, no autograd)."""
    opts = prob.options
    y0 = prob.y0.detach()
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

        def event(s, y):
            yy = torch.as_tensor(y, dtype=work_dtype).reshape(shape).to(dtype=dtype, device=device)
            return locator.value(float(s), yy)

        event.terminal = True
        event.direction = locator.direction
        kwargs["events"] = event
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
        if not sol.t_events[0].size:
            raise ODESolverError(
                "solve_ivp stopped before the event", t=prob.user_time(float(sol.t[-1])), step=None
            )
        y_event = torch.as_tensor(sol.y_events[0][0]).to(device=device, dtype=dtype)
        ys = torch.stack([y0, y_event.reshape(shape)])
        return Outcome(ys=ys, event_t=float(sol.t_events[0][0]), nfe=nfe[0])
    if not np.isfinite(sol.y).all():
        raise NonFiniteStateError(
            "solve_ivp returned a non-finite state", t=prob.user_time(float(sol.t[-1])), step=None
        )
    ys = torch.as_tensor(sol.y.T.copy()).to(device=device, dtype=dtype)
    return Outcome(ys=ys.reshape(len(t_out), *shape), nfe=nfe[0])

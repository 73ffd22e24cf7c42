"""``odeint_dense``: a solution that can be evaluated anywhere on the interval."""

from __future__ import annotations

import bisect

import torch

from ._solve import integrate, make_stepper, prepare, require_joint_rk
from ._stats import SolverStats

__all__ = ["DenseSolution", "odeint_dense"]


class DenseSolution:
    """The dense output of an adaptive or fixed-grid solve on ``[t0, t1]``.

    Call it with a tensor of times (any order, inside the interval) to get the states,
    shape ``(n, *S)`` (or ``*S`` for a 0-dim time); differentiable like :func:`odeint`.

    Attributes
    ----------
    t0, t1 : float
        The interval (user time).
    ts : tensor, shape (n_steps + 1,)
        The accepted step boundaries (user time, in integration order).
    stats : SolverStats
        Function evaluations and accepted / rejected steps.
    """

    def __init__(self, prob, stepper, steps, stats: SolverStats):
        self._prob, self._stepper, self._steps = prob, stepper, steps
        self._starts = [st.t0 for st in steps]
        self.t0 = prob.user_time(prob.t_out[0])
        self.t1 = prob.user_time(prob.t_out[-1])
        bounds = [prob.t_out[0]] + [st.t1 for st in steps]
        self.ts = torch.tensor([prob.user_time(x) for x in bounds], dtype=prob.time_dtype)
        self.stats = stats

    def __call__(self, t) -> torch.Tensor:
        prob = self._prob
        t = torch.as_tensor(t, dtype=prob.time_dtype)
        scalar = t.dim() == 0
        values = [prob.user_time(x) for x in t.reshape(-1).double().tolist()]
        lo, hi = sorted((prob.t_out[0], prob.t_out[-1]))
        if any(not lo <= s <= hi for s in values):
            raise ValueError(
                f"The 't' parameter of DenseSolution.__call__ must lie in [{self.t0}, "
                f"{self.t1}]. Got {t.tolist()} instead."
            )
        groups: dict[int, list[int]] = {}
        for i, s in enumerate(values):
            k = max(0, bisect.bisect_right(self._starts, s) - 1)
            groups.setdefault(k, []).append(i)
        out = [None] * len(values)
        for k, idx in groups.items():
            st = self._steps[k]
            ys = self._stepper.interp(st, [(values[i] - st.t0) / st.h for i in idx])
            for j, i in enumerate(idx):
                out[i] = ys[j]
        ys = torch.stack(out) if out else prob.y0.new_zeros((0, *prob.y0.shape))
        res = prob.to_user(ys)
        if scalar:
            return tuple(r[0] for r in res) if isinstance(res, tuple) else res[0]
        return res


def odeint_dense(func, y0, t0, t1, *, rtol=1e-7, atol=1e-9, method=None, options=None):
    """Solve on ``[t0, t1]`` and return a callable dense solution.

    Parameters
    ----------
    func, y0, rtol, atol, method, options
        As in :func:`odeint` (Runge-Kutta methods; fixed-grid ones need ``step_size``).
    t0, t1 : float or 0-dim tensor
        The interval; ``t1 < t0`` integrates backwards.

    Returns
    -------
    DenseSolution
        ``sol(t)`` evaluates the solution at any times in the interval; ``sol.stats`` holds
        the solver statistics and ``sol.ts`` the step boundaries.

    Examples
    --------
    >>> import math, torch
    >>> from tsgrad.ode import odeint_dense
    >>> sol = odeint_dense(lambda t, y: -y, torch.ones(1, dtype=torch.float64), 0.0, 2.0)
    >>> abs(sol(torch.tensor(1.5)).item() - math.exp(-1.5)) < 1e-6
    True
    >>> sol.stats.n_accepted > 0
    True
    """
    where = "odeint_dense"
    ts = []
    for name, value in (("t0", t0), ("t1", t1)):
        v = torch.as_tensor(
            value, dtype=torch.float64 if not isinstance(value, torch.Tensor) else None
        )
        if v.numel() != 1 or not v.is_floating_point():
            raise ValueError(
                f"The {name!r} parameter of {where} must be a real scalar. Got {value!r} instead."
            )
        ts.append(v.reshape(()))
    if float(ts[0]) == float(ts[1]):
        raise ValueError(f"The 't0' and 't1' parameters of {where} must differ. Got {t0} twice.")
    t = torch.stack([ts[0], ts[1].to(ts[0].dtype)])
    prob = prepare(func, y0, t, rtol=rtol, atol=atol, method=method, options=options, where=where)
    require_joint_rk(prob, where)
    if (
        prob.kind == "fixed"
        and prob.options["step_size"] is None
        and (prob.options["grid_constructor"] is None)
    ):
        raise ValueError(
            f"The fixed-grid method {prob.method!r} in {where} needs the 'step_size' or "
            "'grid_constructor' option. Got neither."
        )
    stepper, schedule = make_stepper(prob)
    out = integrate(prob, prob.y0, stepper=stepper, schedule=schedule, record=True)
    stats = prob.options.get("stats") or SolverStats()
    stats.nfe += out.nfe
    stats.n_accepted += out.n_accepted
    stats.n_rejected += out.n_rejected
    return DenseSolution(prob, stepper, out.steps, stats)

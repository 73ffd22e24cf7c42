"""``odeint_dense``: a solution that can be evaluated anywhere on the interval."""

from __future__ import annotations

import bisect

import torch

from ._dispatch import fill_stats, make_schedule, make_stepper
from ._loop import integrate
from ._problem import Problem, require_joint_rk
from ._stats import SolverStats

__all__ = ["DenseSolution", "dense_solve"]


class DenseSolution:
    """The dense output of an adaptive or fixed-grid solve on ``[t0, t1]``.

    Call it with a tensor of times (any order, inside the interval) to get the states,
    shape ``(n, *S)`` (or ``*S`` for a 0-dim time); differentiable like :func:`odeint`.

    Parameters
    ----------
    prob, stepper, steps, stats
        The solved problem, its stepper, the accepted steps and the counters, as
        :func:`odeint_dense` builds them: get a ``DenseSolution`` from that function, not
        from this constructor.

    Attributes
    ----------
    t0, t1 : float
        The interval (user time).
    ts : tensor, shape (n_steps + 1,)
        The accepted step boundaries (user time, in integration order).
    stats : SolverStats
        Function evaluations and accepted / rejected steps.

    Examples
    --------
    >>> import torch
    >>> from tsgrad.ode import odeint_dense
    >>> sol = odeint_dense(lambda t, y: -y, torch.ones(1, dtype=torch.float64), 0.0, 2.0)
    >>> sol.t0, sol.t1
    (0.0, 2.0)
    >>> sol(torch.tensor([1.5, 0.5, 1.0], dtype=torch.float64))  # exp(-t), shape (3, 1)
    tensor([[0.2231],
            [0.6065],
            [0.3679]], dtype=torch.float64)
    >>> sol(1.0)  # a 0-dim time: the state's shape
    tensor([0.3679], dtype=torch.float64)
    >>> len(sol.ts) == sol.stats.n_accepted + 1
    True
    >>> sol(3.0)
    Traceback (most recent call last):
    ...
    ValueError: The 't' parameter of DenseSolution.__call__ must lie in [0.0, 2.0]. Got 3.0
    instead.
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


def dense_solve(prob: Problem, where: str) -> DenseSolution:
    """Solve ``prob`` keeping every step, for evaluation anywhere on the interval."""
    require_joint_rk(prob, where)
    opts = prob.options
    if prob.kind == "fixed" and opts.step_size is None and opts.grid_constructor is None:
        raise ValueError(
            f"The fixed-grid method {prob.method!r} in {where} needs the 'step_size' or "
            "'grid_constructor' option. Got neither."
        )
    stepper = make_stepper(prob)
    out = integrate(prob, prob.y0, stepper, make_schedule(prob, stepper), record=True)
    fill_stats(prob, out)
    stats = opts.stats
    if stats is None:
        stats = SolverStats(nfe=out.nfe, n_accepted=out.n_accepted, n_rejected=out.n_rejected)
    return DenseSolution(prob, stepper, out.steps, stats)

"""Gradients with respect to the output times, for the routes that backpropagate through
the solver (``odeint`` and ``odeint_checkpoint``)."""

from __future__ import annotations

import torch

from ._problem import Problem

__all__ = ["attach_time_gradients"]


def attach_time_gradients(prob: Problem, y0: torch.Tensor):
    """Make the solution differentiable w.r.t. the output times.

    ``dy(t_i)/dt_i = f(t_i, y_i)`` and ``dy(t_i)/dt_0 = -Phi(t_i, t_0) f(t_0, y_0)``. Both are
    produced by ordinary autograd: ``y0 - (t0 - t0.detach()) f0`` is fed to the solver and
    ``(t_i - t_i.detach()) f_i`` is added to each output; the values are unchanged.
    Returns ``(y0_for_solver, finish)`` where ``finish(ys)`` adds the output terms.
    """
    t = prob.t
    if not (t.requires_grad and torch.is_grad_enabled()):
        return y0, lambda ys: ys
    dt = t - t.detach()
    with torch.no_grad():
        f0 = prob.func(prob.t_out[0], y0)
    y0_in = y0 - dt[0].to(f0.dtype) * f0

    def finish(ys):
        if ys.shape[0] < 2:
            return ys
        with torch.no_grad():
            fs = torch.stack([prob.func(s, ys[i]) for i, s in enumerate(prob.t_out) if i > 0])
        shape = (-1,) + (1,) * (ys.dim() - 1)
        corr = dt[1 : ys.shape[0]].to(fs.dtype).reshape(shape) * fs
        # y(t0) = y0 does not depend on t0: the first output is the original y0.
        return torch.cat([y0.unsqueeze(0), ys[1:] + corr])

    return y0_in, finish

"""The default gradient route: autograd through the solver (``odeint``)."""

from __future__ import annotations

import torch

from ._dispatch import solve
from ._loop import Outcome
from ._problem import Problem
from ._timegrad import attach_time_gradients

__all__ = ["backprop_solve"]


def backprop_solve(prob: Problem, *, record: bool = False) -> Outcome:
    """Solve ``prob`` with autograd through every step (and through the output times)."""
    if prob.kind == "scipy" or prob.batch_dim is not None:
        return solve(prob)  # no time gradients there (scipy has no graph at all)
    y0_in, finish = attach_time_gradients(prob, prob.y0)
    out = solve(prob, y0_in, record=record)
    if prob.event is None:
        out.ys = finish(out.ys)
    elif y0_in is not prob.y0:  # the first output is y0 itself, not its stand-in
        out.ys = torch.cat([prob.y0.unsqueeze(0), out.ys[1:]])
    return out

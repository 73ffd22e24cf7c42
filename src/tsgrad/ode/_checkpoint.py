"""Exact gradients at low memory: recompute the accepted steps in the backward pass.

The forward solve keeps, per accepted step, only its times ``(t0, h)`` (floats), and the
start state ``y0`` of every ``stride``-th step: no autograd graph, no stages. ``stride``
doubles (and every other kept state is dropped) whenever more than about ``2 sqrt(steps)``
states are kept, so about ``sqrt(steps)`` states are held. The backward pass walks these
segments in reverse: it replays one segment's steps without autograd from its kept start
(the states of at most ``stride`` steps), then recomputes each of its steps with autograd,
last first, and back-propagates through it (and through the outputs interpolated inside
it). The result is the gradient of the discrete solver, identical to backprop through
:func:`odeint` up to rounding; memory is ``O(sqrt(steps) * state)`` instead of
backprop's ``O(steps * stages * graph)``, for two more forward solves of function
evaluations (two-level "sqrt" checkpointing; binomial checkpointing would need fewer states).
"""

from __future__ import annotations

import math

import torch

from ._dispatch import fill_stats, make_schedule, make_stepper
from ._loop import integrate, step_outputs
from ._problem import Problem
from ._timegrad import attach_time_gradients

__all__ = ["checkpoint_solve"]


class _CheckpointFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, prob, y0, *params):
        stepper = make_stepper(prob)
        rec = _SegmentRecorder()
        out = integrate(prob, y0, stepper, make_schedule(prob, stepper), recorder=rec)
        fill_stats(prob, out)
        ctx.prob = prob
        ctx.records = rec.records
        ctx.per_step = rec.per_step
        ctx.kept = sorted(rec.starts)
        ctx.save_for_backward(*(rec.starts[i] for i in ctx.kept), *params)
        return out.ys

    @staticmethod
    def backward(ctx, grad_ys):
        prob = ctx.prob
        saved = ctx.saved_tensors
        n_steps = len(ctx.records)
        kept, params = ctx.kept, saved[len(ctx.kept) :]
        stepper = make_stepper(prob)
        a = None
        g_params = [torch.zeros_like(p) for p in params]
        end = grad_ys.shape[0]  # outputs [end - n_k, end) belong to the current step
        t_out = prob.t_out
        starts: dict[int, torch.Tensor] = {}
        for k in range(n_steps - 1, -1, -1):
            if k not in starts:  # replay the segment that ends with step k
                first = max(i for i in kept if i <= k)
                starts = _replay(stepper, ctx.records, saved[kept.index(first)], first, k)
            t0, h, t1, f0_t, end_perturb = ctx.records[k]
            n_k = ctx.per_step[k]
            with torch.enable_grad():
                y0 = starts.pop(k).detach().requires_grad_(True)
                f0 = stepper.eval(f0_t, y0)
                st = stepper.step(t0, h, y0, f0, end_perturb=end_perturb, with_error=False)
                st.t1 = t1
                outs, gouts = [], []
                if n_k:
                    outs.append(step_outputs(stepper, st, list(t_out[end - n_k : end])))
                    gouts.append(grad_ys[end - n_k : end])
                if a is not None:
                    outs.append(st.y1)
                    gouts.append(a)
                if not outs:
                    continue
                grads = torch.autograd.grad(outs, (y0, *params), gouts, allow_unused=True)
            end -= n_k
            a = grads[0] if grads[0] is not None else torch.zeros_like(y0)
            for i, g in enumerate(grads[1:]):
                if g is not None:
                    g_params[i] = g_params[i] + g
        a = grad_ys[0] if a is None else a + grad_ys[0]
        return (None, a, *g_params)


class _SegmentRecorder:
    """Keeps each accepted step's times and output count, and about ``2 sqrt(steps)``
    start states: those of the steps whose index is a multiple of ``stride``."""

    def __init__(self):
        self.records: list[tuple] = []
        self.per_step: list[int] = []
        self.starts: dict[int, torch.Tensor] = {}
        self.stride = 1

    def add(self, st, n_outputs: int) -> None:
        i = len(self.records)
        self.records.append((st.t0, st.h, st.t1, st.f0_t, st.end_perturb))
        self.per_step.append(n_outputs)
        if i % self.stride:
            return
        self.starts[i] = st.y0
        if len(self.starts) > max(16, 2 * math.isqrt(i + 1)):
            self.stride *= 2
            self.starts = {j: y for j, y in self.starts.items() if j % self.stride == 0}


def _replay(stepper, records, y_first, first: int, last: int) -> dict[int, torch.Tensor]:
    """The start states of steps ``first..last``, replayed without autograd from step
    ``first``'s kept start with the recorded step sizes."""
    starts = {first: y_first}
    y = y_first
    with torch.no_grad():
        for i in range(first, last):
            t0, h, _t1, f0_t, end_perturb = records[i]
            y = stepper.step(t0, h, y, stepper.eval(f0_t, y), end_perturb=end_perturb).y1
            starts[i + 1] = y
    return starts


def checkpoint_solve(prob: Problem, params: tuple) -> torch.Tensor:
    """The outputs of ``prob`` (internal layout), differentiable w.r.t. ``prob.y0``, the
    output times and ``params`` by recomputation."""
    y0_in, finish = attach_time_gradients(prob, prob.y0)
    return finish(_CheckpointFunction.apply(prob, y0_in, *params))

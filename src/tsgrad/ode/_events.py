"""The event gradient route: the event time and the state at it, made differentiable by
the implicit function theorem.

The loop locates the event (``_locate.py``); here ``g(t_e, y(t_e; theta)) = 0`` gives
``dt_e = -(dg/dy . dy|_t + dg/dtheta_g) / (dg/dt + dg/dy . f)``, and the state at the event
moves by ``f dt_e``.
"""

from __future__ import annotations

import torch

__all__ = ["reroute_event_gradient"]


def _pack(state, is_tuple):
    return tuple(state) if is_tuple else state[0]


class _ImplicitEventGradient(torch.autograd.Function):
    """Identity on ``(event_t, *state)`` whose backward applies the implicit function theorem.

    At the event ``g(t_e, y(t_e; theta)) = 0``, hence
    ``dt_e = -(dg/dy . dy|_t + dg/dtheta_g) / (dg/dt + dg/dy . f)``, and the state at the
    event moves by ``f dt_e``. The incoming ``state`` is the solution at the (fixed) event
    time; its own gradient path is left to the solver.
    """

    @staticmethod
    def forward(ctx, func, event_fn, component, is_tuple, event_t, *state):
        ctx.func, ctx.event_fn, ctx.is_tuple = func, event_fn, is_tuple
        ctx.component = component
        ctx.save_for_backward(event_t, *state)
        return (event_t.clone(), *(s.clone() for s in state))

    @staticmethod
    def backward(ctx, grad_t, *grad_state):
        event_t, *state = ctx.saved_tensors
        with torch.enable_grad():
            te = event_t.detach().requires_grad_(True)
            ys = [s.detach().requires_grad_(True) for s in state]
            g = ctx.event_fn(te, _pack(ys, ctx.is_tuple)).reshape(-1)[ctx.component]
            dg = torch.autograd.grad(g, [te, *ys], allow_unused=True)
        with torch.no_grad():
            f = ctx.func(te.detach(), _pack([y.detach() for y in ys], ctx.is_tuple))
            fs = list(f) if ctx.is_tuple else [f]
            dg_dt = dg[0] if dg[0] is not None else torch.zeros_like(te)
            dg_dy = [
                torch.zeros_like(y) if d is None else d for d, y in zip(dg[1:], ys, strict=True)
            ]
            gs = [
                torch.zeros_like(y) if gy is None else gy
                for gy, y in zip(grad_state, ys, strict=True)
            ]
            gt = torch.zeros_like(te) if grad_t is None else grad_t
            total_dg = dg_dt + sum((d * fi).sum() for d, fi in zip(dg_dy, fs, strict=True))
            total_gt = gt + sum((gy * fi).sum() for gy, fi in zip(gs, fs, strict=True))
            coef = -total_gt / total_dg
            grads = [gy + coef * d for gy, d in zip(gs, dg_dy, strict=True)]
        return (None, None, None, None, None, *grads)


def reroute_event_gradient(func, event_fn, event_t, state):
    """Make ``(event_t, state)`` differentiable through the event condition.

    With a multi-output ``event_fn`` the condition is that of the component that fired: the
    one closest to zero at the event.
    """
    is_tuple = isinstance(state, tuple)
    parts = list(state) if is_tuple else [state]
    with torch.no_grad():
        g = event_fn(event_t, _pack([p.detach() for p in parts], is_tuple)).reshape(-1)
    component = int(g.abs().argmin())
    out = _ImplicitEventGradient.apply(func, event_fn, component, is_tuple, event_t, *parts)
    return out[0], _pack(out[1:], is_tuple)

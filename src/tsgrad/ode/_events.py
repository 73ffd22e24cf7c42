"""Terminal events: detect a sign change of ``event_fn`` over a step and locate it.

The root is located on the step's dense output (no extra evaluations of ``func``) with the
Illinois variant of regula falsi, to a few ulps of the time. The event time is then made
differentiable by :func:`odeint_event` (below) via the implicit function
theorem.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

__all__ = ["EventLocator"]


class EventLocator:
    """Wraps the internal event function ``g(s, y)`` (``s`` a float, ``y`` flat).

    Parameters
    ----------
    g : callable
        Returns a one-element tensor.
    direction : {-1, 0, 1}
        0 accepts any crossing, +1 only from negative to non-negative, -1 the reverse.
        (Internal time may be reversed; ``direction`` is in the user's time, and a crossing
        direction is the same in both since it compares values at the two ends of the step
        in the order they are visited.)
    """

    def __init__(self, g: Callable, direction: int = 0):
        self.g = g
        self.direction = direction

    def value(self, s: float, y: torch.Tensor) -> float:
        with torch.no_grad():
            v = self.g(s, y)
        if not isinstance(v, torch.Tensor) or v.numel() != 1:
            raise ValueError(
                "The 'event_fn' parameter of odeint must return a one-element tensor. "
                f"Got {v!r} instead."
            )
        return float(v)

    def at_zero(self, g0: float) -> bool:
        """An event function that is 0 at the initial time: the event is at ``t0`` (as in
        torchdiffeq). With a ``direction``, a zero at ``t0`` is no crossing in that
        direction, and the solve looks for the next one (as scipy does)."""
        return g0 == 0.0 and self.direction == 0

    def crossed(self, g0: float, g1: float) -> bool:
        if g0 == 0.0:
            return False
        up = g0 < 0.0 <= g1
        down = g0 > 0.0 >= g1
        if self.direction > 0:
            return up
        if self.direction < 0:
            return down
        return up or down

    def locate(self, stepper, st, g0: float, g1: float, max_iter: int = 200) -> float:
        """``theta`` in (0, 1] where the event function crosses zero inside ``st``."""
        if g1 == 0.0:
            return 1.0
        lo, hi, glo, ghi = 0.0, 1.0, g0, g1
        side = 0
        tol = 4 * math.ulp(max(abs(st.t0), abs(st.t1), 1.0)) / abs(st.h)
        with torch.no_grad():
            for _ in range(max_iter):
                if hi - lo <= tol:
                    break
                mid = (lo * ghi - hi * glo) / (ghi - glo)
                if not lo < mid < hi:
                    mid = 0.5 * (lo + hi)
                gm = self.value(st.t0 + mid * st.h, stepper.interp(st, [mid])[0])
                if gm == 0.0:
                    return mid
                if (gm < 0) == (glo < 0):
                    lo, glo = mid, gm
                    if side == -1:
                        ghi *= 0.5
                    side = -1
                else:
                    hi, ghi = mid, gm
                    if side == 1:
                        glo *= 0.5
                    side = 1
        return hi


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
    def forward(ctx, func, event_fn, is_tuple, event_t, *state):
        ctx.func, ctx.event_fn, ctx.is_tuple = func, event_fn, is_tuple
        ctx.save_for_backward(event_t, *state)
        return (event_t.clone(), *(s.clone() for s in state))

    @staticmethod
    def backward(ctx, grad_t, *grad_state):
        event_t, *state = ctx.saved_tensors
        with torch.enable_grad():
            te = event_t.detach().requires_grad_(True)
            ys = [s.detach().requires_grad_(True) for s in state]
            g = ctx.event_fn(te, _pack(ys, ctx.is_tuple))
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
        return (None, None, None, None, *grads)


def reroute_event_gradient(func, event_fn, event_t, state):
    """Make ``(event_t, state)`` differentiable through the event condition."""
    is_tuple = isinstance(state, tuple)
    parts = list(state) if is_tuple else [state]
    out = _ImplicitEventGradient.apply(func, event_fn, is_tuple, event_t, *parts)
    return out[0], _pack(out[1:], is_tuple)


def odeint_event(func, y0, t0, *, event_fn, reverse_time=False, odeint_interface=None, **kwargs):
    """Integrate from ``t0`` until ``event_fn(t, y)`` crosses zero (torchdiffeq API).

    The event time is differentiable (implicit function theorem): with ``g(t_e, y(t_e)) =
    0``, ``dt_e/dtheta = -(dg/dy . dy/dtheta) / (dg/dt + dg/dy . f)``, and the returned
    state includes the motion ``f dt_e`` of the event. Gradients w.r.t. parameters that
    ``event_fn`` itself closes over are not propagated.

    Parameters
    ----------
    func : callable
        ``func(t, y)``, as in :func:`odeint`.
    y0 : tensor or tuple of tensors
        State at ``t0``.
    t0 : tensor, 0-dim
        Initial time.
    event_fn : callable
        ``event_fn(t, y) -> scalar tensor``; the event is its first zero crossing (set the
        attribute ``event_fn.direction = +1`` or ``-1`` to keep only upward / downward ones).
    reverse_time : bool
        Integrate towards decreasing time.
    odeint_interface : callable
        :func:`odeint` (default) or :func:`odeint_adjoint`.
    **kwargs
        Passed to ``odeint_interface`` (rtol, atol, method, options, adjoint_*).

    Returns
    -------
    event_t : tensor, 0-dim
    state : tensor or tuple, the state at ``event_t``.

    Examples
    --------
    >>> import math, torch
    >>> from tsgrad.ode import odeint_event
    >>> y0 = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
    >>> t_e, y_e = odeint_event(lambda t, y: -y, y0, torch.tensor(0.0, dtype=torch.float64),
    ...                         event_fn=lambda t, y: y.sum() - 0.5)
    >>> abs(t_e.item() - math.log(2)) < 1e-6
    True
    >>> t_e.backward()
    >>> round(y0.grad.item(), 6)  # d/dy0 log(2 y0) = 1 / y0
    1.0
    """
    from ._adjoint import odeint_adjoint
    from ._solve import odeint

    if odeint_interface is None:
        odeint_interface = odeint
    t0 = torch.as_tensor(t0)
    if t0.numel() != 1 or not t0.is_floating_point():
        raise ValueError(
            "The 't0' parameter of odeint_event must be a floating one-element tensor. "
            f"Got {t0!r} instead."
        )
    t0 = t0.reshape(-1)
    t = torch.cat([t0, t0.detach() + (-1.0 if reverse_time else 1.0)])
    event_t, solution = odeint_interface(func, y0, t, event_fn=event_fn, **kwargs)
    state = tuple(s[-1] for s in solution) if isinstance(solution, tuple) else solution[-1]
    if odeint_interface is odeint_adjoint:  # already rerouted
        return event_t, state
    return reroute_event_gradient(func, event_fn, event_t, state)

"""The backsolve adjoint: gradients by solving the adjoint ODE backwards in time.

Forward: the solution is computed without an autograd graph. Backward: between consecutive
output times the augmented state ``(a_t, y, a, a_theta)`` (torchdiffeq's layout, so norms
written for it work unchanged) is integrated from ``t_i`` back to ``t_{i-1}`` with

    dy/dt = f(t, y),  da/dt = -a^T df/dy,  da_theta/dt = -a^T df/dtheta,
    da_t/dt = -a^T df/dt,

starting from the stored forward solution at ``t_i``. Memory is independent of the number of
steps (one vector-Jacobian product graph at a time); the price is that the backward
re-integration of ``y`` is only accurate to the tolerances, so the gradient is approximate
(see :func:`~tsgrad.ode.odeint_checkpoint` for the exact gradient of the discrete solver).
Time gradients are closed-form: ``dL/dt_i = <dL/dy_i, f(t_i, y_i)>`` and
``dL/dt_0 = -<a(t_0), f(t_0, y_0)>``.
"""

from __future__ import annotations

import math

import torch

from ._control import rms_norm
from ._errors import NonFiniteStateError
from ._options import gradient_params, parse_options
from ._solve import available_methods, integrate, method_kind, prepare

__all__ = ["odeint_adjoint"]


def _split(x: torch.Tensor, sizes: list[int] | None) -> list[torch.Tensor]:
    return [x] if sizes is None else list(torch.split(x, sizes))


def default_adjoint_norm(sizes: list[int] | None, seminorm: bool):
    """Max of the RMS of each part of ``(a_t, y, a, *a_params)``, ``y`` and ``a`` split into
    the user's tuple components; the seminorm (Kidger et al., 2021) skips ``a_params``."""

    def norm(z: tuple) -> torch.Tensor:
        parts = [z[0], *_split(z[1], sizes), *_split(z[2], sizes)]
        if not seminorm:
            parts += list(z[3:])
        return torch.stack([rms_norm(p) for p in parts]).max()

    return norm


def _user_adjoint_norm(user_norm, prob):
    """A user norm sees ``(a_t, *y_parts, *a_parts, *a_params)`` with the user's shapes."""
    if prob.shapes is None:
        return user_norm

    def norm(z: tuple) -> torch.Tensor:
        ys, adj = prob.unflatten(z[1], lead=0), prob.unflatten(z[2], lead=0)
        return user_norm((z[0], *ys, *adj, *z[3:]))

    return norm


class _Augmented:
    """``(a_t, y, a, *a_params)`` dynamics; forwards ``callback_*_adjoint`` of the user's func."""

    def __init__(self, tensor_func, params, user_func):
        self.tensor_func = tensor_func
        self.params = params
        for name in ("callback_step", "callback_accept_step", "callback_reject_step"):
            cb = getattr(user_func, name + "_adjoint", None)
            if cb is not None:
                setattr(self, name, cb)

    def __call__(self, s, z):
        y, a = z[1], z[2]
        with torch.enable_grad():
            s_ = s.detach().requires_grad_(True)
            y_ = y.detach().requires_grad_(True)
            f = self.tensor_func(s_, y_)
            grads = torch.autograd.grad(
                f, (s_, y_, *self.params), -a, allow_unused=True, retain_graph=False
            )
        out = [
            torch.zeros_like(z[0]) if grads[0] is None else grads[0].to(z[0].dtype),
            f.detach(),
        ]
        for g, like in zip(grads[1:], (y_, *self.params), strict=True):
            out.append(torch.zeros_like(like) if g is None else g)
        return tuple(out)


def _check_cotangent(grad_ys: torch.Tensor, prob) -> None:
    """A NaN / inf gradient would make the backward solve fail step after step: name it."""
    finite = torch.isfinite(grad_ys.reshape(grad_ys.shape[0], -1)).all(dim=1)
    if not bool(finite.all()):
        row = int((~finite).nonzero()[0])
        raise NonFiniteStateError(
            f"The gradient flowing into the output of odeint_adjoint holds NaN or inf (at "
            f"output {row})",
            t=prob.user_time(prob.t_out[row]),
            step=None,
            hint="The loss or the layers after the solve produce it; "
            "torch.autograd.set_detect_anomaly(True) shows which.",
        )


class _AdjointFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, prob, adj, y0, t, *params):
        if prob.kind == "scipy":
            from ._scipy import solve_scipy

            out = solve_scipy(prob)
        elif prob.kind == "adaptive" and prob.options["batch_dim"] is not None:
            from ._batched import integrate_per_sample

            out = integrate_per_sample(prob)
        else:
            out = integrate(prob, y0)
        stats = prob.options.get("stats")
        if stats is not None:
            stats.nfe += out.nfe
            stats.n_accepted += out.n_accepted
            stats.n_rejected += out.n_rejected
        ctx.prob, ctx.adj = prob, adj
        # torchdiffeq exposes the backward options on grad_fn; so do we.
        ctx.adjoint_options = adj["options"]
        ctx.save_for_backward(t, out.ys, *params)
        return out.ys

    @staticmethod
    def backward(ctx, grad_ys):
        from ._solve import odeint

        t, ys, *params = ctx.saved_tensors
        prob, adj = ctx.prob, ctx.adj
        _check_cotangent(grad_ys, prob)
        params = tuple(params)
        aug = _Augmented(prob.tensor_func, params, prob.user_func)
        t_out = prob.t_out
        n = len(t_out)
        a = torch.zeros_like(ys[0])
        a_t = torch.zeros(
            (), dtype=ys.real.dtype if ys.is_complex() else ys.dtype, device=ys.device
        )
        a_params = [torch.zeros_like(p) for p in params]
        grad_t = torch.zeros(n, dtype=t.dtype, device=t.device)
        want_t = ctx.needs_input_grad[3]
        with torch.no_grad():
            for i in range(n - 1, 0, -1):
                if want_t:
                    fi = prob.func(t_out[i], ys[i])
                    grad_t[i] = (grad_ys[i] * fi).sum().real.to(t.dtype)
                a = a + grad_ys[i]
                span = torch.tensor([t_out[i], t_out[i - 1]], dtype=torch.float64, device=ys.device)
                zs = odeint(
                    aug,
                    (a_t, ys[i], a, *a_params),
                    span,
                    rtol=adj["rtol"],
                    atol=adj["atol"],
                    method=adj["method"],
                    options=ctx.adjoint_options,
                )
                a_t, a = zs[0][-1], zs[2][-1]
                a_params = [z[-1] for z in zs[3:]]
            if want_t and n > 1:
                f0 = prob.func(t_out[0], ys[0])
                grad_t[0] = -(a * f0).sum().real.to(t.dtype)
            a = a + grad_ys[0]
        return (None, None, a, grad_t, *a_params)


def odeint_adjoint(
    func,
    y0,
    t,
    *,
    rtol=1e-7,
    atol=1e-9,
    method=None,
    options=None,
    event_fn=None,
    adjoint_rtol=None,
    adjoint_atol=None,
    adjoint_method=None,
    adjoint_options=None,
    adjoint_params=None,
):
    """:func:`odeint` with gradients by the backsolve adjoint method (torchdiffeq API).

    Memory does not grow with the number of solver steps. The gradient is that of the
    continuous problem, computed to the adjoint tolerances; it may differ from backprop
    through the solver by more than the forward tolerance on chaotic or stiff problems.

    Parameters
    ----------
    func : torch.nn.Module or callable
        ``func(t, y)``. Must be an ``nn.Module`` (its parameters get gradients) unless
        ``adjoint_params`` is given.
    y0, t, rtol, atol, method, options, event_fn
        As in :func:`odeint`.
    adjoint_rtol, adjoint_atol, adjoint_method : optional
        For the backward solve; default to the forward ones.
    adjoint_options : dict, optional
        Options of the backward solve (default: the forward options without ``norm``).
        ``norm="seminorm"`` measures the error on ``(y, a)`` only, skipping the parameter
        adjoints: usually far fewer backward steps. A callable norm receives the tuple
        ``(y, a, *a_params)`` of scaled errors.
    adjoint_params : sequence of tensors, optional
        The tensors to differentiate ``func`` with respect to (default
        ``tuple(func.parameters())``).

    Returns
    -------
    Same as :func:`odeint`.

    Examples
    --------
    >>> import torch
    >>> from tsgrad.ode import odeint_adjoint
    >>> class Decay(torch.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.k = torch.nn.Parameter(torch.tensor(1.0, dtype=torch.float64))
    ...     def forward(self, t, y):
    ...         return -self.k * y
    >>> f = Decay()
    >>> y = odeint_adjoint(f, torch.ones(1, dtype=torch.float64),
    ...                    torch.tensor([0.0, 1.0], dtype=torch.float64))
    >>> y[-1].sum().backward()
    >>> round(f.k.grad.item(), 6)  # d/dk exp(-k) at k = 1
    -0.367879
    """
    where = "odeint_adjoint"
    params = gradient_params(func, adjoint_params, where)
    if event_fn is not None:
        return _adjoint_event(
            func,
            y0,
            t,
            event_fn,
            dict(
                rtol=rtol,
                atol=atol,
                method=method,
                options=options,
                adjoint_rtol=adjoint_rtol,
                adjoint_atol=adjoint_atol,
                adjoint_method=adjoint_method,
                adjoint_options=adjoint_options,
                adjoint_params=adjoint_params,
            ),
        )
    prob = prepare(func, y0, t, rtol=rtol, atol=atol, method=method, options=options, where=where)

    adj_method = (method or "dopri5") if adjoint_method is None else adjoint_method
    if not isinstance(adj_method, str) or adj_method not in available_methods():
        raise ValueError(
            f"The 'adjoint_method' parameter of {where} must be one of {available_methods()}. "
            f"Got {adjoint_method!r} instead."
        )
    if adjoint_options is None:
        # The augmented state is a tuple: per-sample control does not carry over.
        dropped = ("norm", "stats", "batch_dim")
        adj_options = {k: v for k, v in (options or {}).items() if k not in dropped}
    else:
        adj_options = dict(adjoint_options)
    if prob.reverse:  # the backward solve runs in the forward problem's internal time
        for key in ("step_t", "jump_t"):
            if adj_options.get(key) is not None:
                adj_options[key] = -torch.as_tensor(adj_options[key])
    sizes = None if prob.shapes is None else [int(math.prod(s)) for s in prob.shapes]
    adaptive = method_kind(adj_method) == "adaptive"
    if adaptive and adj_options.get("norm") in (None, "seminorm"):
        adj_options["norm"] = default_adjoint_norm(sizes, adj_options.get("norm") == "seminorm")
    elif callable(adj_options.get("norm")):
        adj_options["norm"] = _user_adjoint_norm(adj_options["norm"], prob)
    checked = {k: v for k, v in adj_options.items() if not (adaptive and k == "norm")}
    parse_options(method_kind(adj_method), checked, adj_method, where=f"{where} (adjoint_options)")
    if "norm" in adj_options and not callable(adj_options["norm"]):
        raise ValueError(
            f"The 'norm' adjoint option of {where} must be 'seminorm' or a callable. "
            f"Got {adj_options['norm']!r} instead."
        )
    adj = dict(
        rtol=rtol if adjoint_rtol is None else adjoint_rtol,
        atol=atol if adjoint_atol is None else adjoint_atol,
        method=adj_method,
        options=adj_options,
    )
    ys = _AdjointFunction.apply(prob, adj, prob.y0, prob.t, *params)
    return prob.to_user(ys)


def _adjoint_event(func, y0, t, event_fn, kwargs):
    """Event with the adjoint: locate the event without a graph, then solve to it."""
    from ._events import reroute_event_gradient
    from ._solve import odeint

    forward = {k: kwargs[k] for k in ("rtol", "atol", "method", "options")}
    with torch.no_grad():
        event_t, _ = odeint(func, y0, t, event_fn=event_fn, **forward)
    span = torch.stack([t[0], event_t.to(t.dtype)])
    sol = odeint_adjoint(func, y0, span, **kwargs)
    if isinstance(sol, tuple):
        event_t, state = reroute_event_gradient(func, event_fn, event_t, tuple(s[-1] for s in sol))
        return event_t, tuple(torch.stack([s[0], e]) for s, e in zip(sol, state, strict=True))
    event_t, state = reroute_event_gradient(func, event_fn, event_t, sol[-1])
    return event_t, torch.stack([sol[0], state])

"""The public functions of ``tsgrad.ode``: validate once, then hand over to a route.

Each function builds a :class:`~tsgrad.ode._problem.Problem` with :func:`prepare` and calls
one gradient route: backprop through the solver (``odeint``), the backsolve adjoint
(``odeint_adjoint``), recomputation (``odeint_checkpoint``), the implicit function theorem
at an event (``odeint_event``), or the recorded steps (``odeint_dense``).
"""

from __future__ import annotations

import torch

from ._adjoint import adjoint_solve, adjoint_spec
from ._backprop import backprop_solve
from ._checkpoint import checkpoint_solve
from ._dense import DenseSolution, dense_solve
from ._events import reroute_event_gradient
from ._loop import Outcome
from ._options import gradient_params
from ._problem import Problem, prepare, require_joint_rk

__all__ = ["odeint", "odeint_adjoint", "odeint_checkpoint", "odeint_dense", "odeint_event"]


def _finish(prob: Problem, out: Outcome):
    """The user-facing return value (tuple unflattening, dtype, event time)."""
    sol = prob.to_user(out.ys)
    if prob.event is None:
        return sol
    te = prob.user_time(out.event_t)
    return torch.tensor(te, dtype=prob.time_dtype, device=prob.y0.device), sol


def odeint(func, y0, t, *, rtol=1e-7, atol=1e-9, method=None, options=None, event_fn=None):
    """Solve ``dy/dt = func(t, y)`` and return ``y`` at the times ``t`` (torchdiffeq API).

    Gradients flow by ordinary autograd through the solver (w.r.t. ``y0``, the parameters
    ``func`` closes over, and ``t``). Use :func:`odeint_adjoint` or :func:`odeint_checkpoint`
    for memory that does not grow with the number of steps.

    Parameters
    ----------
    func : callable
        ``func(t, y)`` returning a tensor (or tuple of tensors) shaped like ``y``; ``t`` is a
        0-dim tensor with the dtype of ``t``.
    y0 : tensor, shape (*S), or tuple of tensors
        Initial state at ``t[0]``: floating or complex, any shape.
    t : tensor, shape (T,)
        Output times, strictly increasing or strictly decreasing; ``t[0]`` is the initial
        time. May be float64 with a float32 state.
    rtol, atol : float or tensor
        Relative and absolute tolerances of adaptive methods (the local error is kept below
        ``atol + rtol * |y|`` in the RMS norm). Also the corrector tolerance of
        ``implicit_adams``.
    method : str, optional
        One of ``dopri5`` (default), ``dopri8``, ``tsit5``, ``bosh3``, ``fehlberg2``,
        ``adaptive_heun`` (adaptive), ``radau`` (adaptive, implicit: stiff problems),
        ``euler``, ``midpoint``, ``heun2``, ``heun3``, ``rk4`` (fixed grid),
        ``implicit_euler``, ``implicit_midpoint``, ``trapezoid``, ``radauIIA3``,
        ``radauIIA5``, ``gl4``, ``gl6``, ``sdirk2``, ``trbdf2`` (fixed grid, implicit),
        ``explicit_adams``, ``implicit_adams`` / ``fixed_adams`` (fixed grid, multistep),
        ``scipy_solver`` (``scipy.integrate.solve_ivp``; no gradients).
    options : dict, optional
        Method options with torchdiffeq's names (see ``docs/ode.md``); unknown keys raise
        ``ValueError``. ``{"stats": SolverStats()}`` collects solver statistics.
    event_fn : callable, optional
        ``event_fn(t, y) -> tensor`` (one or more values). Integrate from ``t[0]`` (in the
        direction of ``t[1]``) until one of its values changes sign; an optional attribute
        ``event_fn.direction`` (+1 / -1) only accepts upward / downward crossings.

    Returns
    -------
    solution : tensor, shape (T, *S) (or tuple)
        ``solution[i]`` is the state at ``t[i]``.
    (event_t, solution) : with ``event_fn``; ``solution`` has shape (2, *S): the states at
        ``t[0]`` and at the event time.

    Raises
    ------
    ValueError, TypeError
        Bad arguments (unknown method or option, non-monotonic ``t``, negative tolerances).
    StepSizeUnderflowError, MaxStepsExceededError, NonFiniteStateError
        The solver could not proceed (subclasses of :class:`ODESolverError`).

    Examples
    --------
    >>> import torch
    >>> from tsgrad.ode import odeint
    >>> t = torch.linspace(0, 1, 5, dtype=torch.float64)
    >>> y = odeint(lambda t, y: -y, torch.ones(2, dtype=torch.float64), t)
    >>> torch.allclose(y[:, 0], torch.exp(-t), atol=1e-7)
    True
    """
    prob = prepare(
        func,
        y0,
        t,
        rtol=rtol,
        atol=atol,
        method=method,
        options=options,
        event_fn=event_fn,
        where="odeint",
    )
    return _finish(prob, backprop_solve(prob))


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
    spec = adjoint_spec(
        prob, options, adjoint_rtol, adjoint_atol, adjoint_method, adjoint_options, where
    )
    return prob.to_user(adjoint_solve(prob, spec, params))


def _event_solution(func, event_fn, event_t, solution):
    """``(event_t, [y(t0), y(t_e)])`` with the last row and ``event_t`` rerouted through
    the event condition (torchdiffeq's return value)."""
    if isinstance(solution, tuple):
        event_t, state = reroute_event_gradient(
            func, event_fn, event_t, tuple(s[-1] for s in solution)
        )
        return event_t, tuple(torch.stack([s[0], e]) for s, e in zip(solution, state, strict=True))
    event_t, state = reroute_event_gradient(func, event_fn, event_t, solution[-1])
    return event_t, torch.stack([solution[0], state])


def _adjoint_event(func, y0, t, event_fn, kwargs):
    """Event with the adjoint: locate the event without a graph, then solve to it."""
    forward = {k: kwargs[k] for k in ("rtol", "atol", "method", "options")}
    with torch.no_grad():
        event_t, _ = odeint(func, y0, t, event_fn=event_fn, **forward)
    if float(event_t) == float(t[0].detach()):  # the event is at t0: nothing to integrate
        sol = tuple(torch.stack([x, x]) for x in y0) if isinstance(y0, tuple | list) else None
        sol = torch.stack([y0, y0]) if sol is None else sol
    else:
        sol = odeint_adjoint(func, y0, torch.stack([t[0], event_t.to(t.dtype)]), **kwargs)
    return _event_solution(func, event_fn, event_t, sol)


def odeint_checkpoint(
    func, y0, t, *, rtol=1e-7, atol=1e-9, method=None, options=None, adjoint_params=None
):
    """:func:`odeint` with exact gradients of the solver at low memory (recomputation).

    The forward pass keeps the start state of about ``sqrt(steps)`` accepted steps; the
    backward pass replays each segment between them without autograd, then recomputes its
    steps one at a time with autograd. The gradient equals backprop through :func:`odeint`
    (to rounding), unlike the backsolve :func:`odeint_adjoint`, whose gradient is only as
    accurate as the backward re-integration. Costs about two extra forward solves of
    function evaluations plus their vector-Jacobian products; memory grows with
    ``sqrt(steps)`` times the state size.

    Parameters
    ----------
    func : torch.nn.Module or callable
        Must be an ``nn.Module`` unless ``adjoint_params`` is given.
    y0, t, rtol, atol, method, options
        As in :func:`odeint`; Runge-Kutta methods only (fixed or adaptive), no events.
    adjoint_params : sequence of tensors, optional
        Tensors to differentiate with respect to (default ``func.parameters()``).

    Returns
    -------
    solution : tensor, shape (T, *S) (or tuple), as :func:`odeint`.

    Examples
    --------
    >>> import torch
    >>> from tsgrad.ode import odeint_checkpoint
    >>> k = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    >>> y = odeint_checkpoint(lambda t, y: -k * y, torch.ones(1, dtype=torch.float64),
    ...                       torch.tensor([0.0, 1.0], dtype=torch.float64),
    ...                       adjoint_params=(k,))
    >>> y[-1].sum().backward()
    >>> round(k.grad.item(), 6)
    -0.367879
    """
    where = "odeint_checkpoint"
    params = gradient_params(func, adjoint_params, where)
    prob = prepare(func, y0, t, rtol=rtol, atol=atol, method=method, options=options, where=where)
    require_joint_rk(prob, where)
    return prob.to_user(checkpoint_solve(prob, params))


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
        ``event_fn(t, y) -> tensor``; the event is the first zero crossing of any of its
        values (set the attribute ``event_fn.direction = +1`` or ``-1`` to keep only upward /
        downward ones). A value that is 0 at ``t0`` (without a direction) is an event at
        ``t0``, as in torchdiffeq.
    reverse_time : bool
        Integrate towards decreasing time.
    odeint_interface : callable
        :func:`odeint` (default) or :func:`odeint_adjoint`.
    **kwargs
        Passed to ``odeint_interface`` (rtol, atol, method, options, adjoint_*).

    Returns
    -------
    event_t : tensor, 0-dim
    solution : tensor, shape (2, *S) (or tuple)
        The states at ``t0`` and at ``event_t`` (torchdiffeq's convention): the state at the
        event is ``solution[-1]``.

    Examples
    --------
    >>> import math, torch
    >>> from tsgrad.ode import odeint_event
    >>> y0 = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
    >>> t_e, sol = odeint_event(lambda t, y: -y, y0, torch.tensor(0.0, dtype=torch.float64),
    ...                         event_fn=lambda t, y: y.sum() - 0.5)
    >>> abs(t_e.item() - math.log(2)) < 1e-6, sol.shape
    (True, torch.Size([2, 1]))
    >>> t_e.backward()
    >>> round(y0.grad.item(), 6)  # d/dy0 log(2 y0) = 1 / y0
    1.0
    """
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
    if odeint_interface is odeint_adjoint:  # already rerouted
        return event_t, solution
    return _event_solution(func, event_fn, event_t, solution)


def odeint_dense(
    func, y0, t0, t1, *, rtol=1e-7, atol=1e-9, method=None, options=None
) -> DenseSolution:
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
    return dense_solve(prob, where)

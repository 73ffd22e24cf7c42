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

The backward pass builds the augmented :class:`~tsgrad.ode._problem.Problem` once from the
options validated in the forward call (:class:`AdjointSpec`) and solves it interval by
interval through the dispatcher; nothing is validated again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch

from ._control import rms_norm
from ._dispatch import solve
from ._errors import NonFiniteStateError
from ._jacobian import BlockJacobian, FuncJacobian, Part
from ._methods import check_method, method_kind
from ._options import FAMILY_KEYS, Options, parse_options
from ._problem import CALLBACK_NAMES, Callbacks, Problem

__all__ = ["AdjointSpec", "adjoint_solve", "adjoint_spec"]


@dataclass
class AdjointSpec:
    """The backward solve's settings, validated once in the forward call.

    ``exposed`` is the dict torchdiffeq shows as ``grad_fn.adjoint_options``; its
    ``"norm"`` entry (for adaptive methods) is looked up when the backward pass starts, so
    replacing it after the forward call takes effect, as in torchdiffeq.
    """

    rtol: float
    atol: float
    method: str
    kind: str
    options: Options
    exposed: dict


def _split_sizes(prob: Problem) -> list[int] | None:
    return None if prob.shapes is None else [int(math.prod(s)) for s in prob.shapes]


def default_adjoint_norm(sizes: list[int] | None, seminorm: bool):
    """Max of the RMS of each part of ``(a_t, y, a, *a_params)``, ``y`` and ``a`` split into
    the user's tuple components; the seminorm (Kidger et al., 2021) skips ``a_params``."""

    def split(x):
        return [x] if sizes is None else list(torch.split(x.reshape(-1), sizes))

    def norm(z: tuple) -> torch.Tensor:
        parts = [z[0], *split(z[1]), *split(z[2])]
        if not seminorm:
            parts += list(z[3:])
        return torch.stack([rms_norm(p) for p in parts]).max()

    return norm


def _user_adjoint_norm(user_norm, prob: Problem):
    """A user norm sees ``(a_t, *y_parts, *a_parts, *a_params)`` with the user's shapes."""
    if prob.shapes is None:
        return user_norm

    def norm(z: tuple) -> torch.Tensor:
        ys, adj = prob.unflatten(z[1], lead=0), prob.unflatten(z[2], lead=0)
        return user_norm((z[0], *ys, *adj, *z[3:]))

    return norm


def _scalar_tol(value) -> float:
    """Adjoint tolerances apply to the whole augmented state: a tensor one gives its
    tightest entry."""
    return float(value.min()) if isinstance(value, torch.Tensor) else float(value)


def adjoint_spec(
    prob: Problem, forward_options, rtol, atol, method, options, where: str
) -> AdjointSpec:
    """Validate the ``adjoint_*`` arguments of ``odeint_adjoint`` against ``prob``."""
    adj_method = check_method(method, where, name="adjoint_method", default=prob.method)
    kind = method_kind(adj_method)
    if options is None:
        # The augmented state is a tuple: per-sample control does not carry over.
        dropped = ("norm", "stats", "batch_dim")
        raw = {k: v for k, v in (forward_options or {}).items() if k not in dropped}
        raw = {k: v for k, v in raw.items() if k in FAMILY_KEYS[kind]}
    else:
        if not isinstance(options, dict):
            raise TypeError(
                f"The 'adjoint_options' parameter of {where} must be a dict or None. "
                f"Got {type(options).__name__} instead."
            )
        raw = dict(options)
    norm = raw.pop("norm", None)
    adaptive = kind in ("adaptive", "stiff")
    typed = parse_options(kind, raw, adj_method, where=f"{where} (adjoint_options)")
    exposed = dict(raw)
    if norm is not None and not adaptive:
        parse_options(kind, {"norm": norm}, adj_method, where=f"{where} (adjoint_options)")
    if norm is not None and norm != "seminorm" and not callable(norm):
        raise ValueError(
            f"The 'norm' adjoint option of {where} must be 'seminorm' or a callable. "
            f"Got {norm!r} instead."
        )
    if adaptive:
        if norm is None or norm == "seminorm":
            exposed["norm"] = default_adjoint_norm(_split_sizes(prob), norm == "seminorm")
        else:
            exposed["norm"] = _user_adjoint_norm(norm, prob)
    return AdjointSpec(
        rtol=_scalar_tol(prob.rtol if rtol is None else rtol),
        atol=_scalar_tol(prob.atol if atol is None else atol),
        method=adj_method,
        kind=kind,
        options=typed,
        exposed=exposed,
    )


class _Augmented:
    """The adjoint dynamics on the flat augmented vector ``z = [a_t, y, a, a_params]``, in
    the forward problem's internal time ``s``."""

    def __init__(self, rhs, params: tuple, y_shape: torch.Size):
        self.rhs, self.params, self.y_shape = rhs, params, y_shape
        self.n = math.prod(y_shape)
        self.param_sizes = [p.numel() for p in params]
        self._sizes = [1, self.n, *self.param_sizes]  # the gradients: a_t, a, a_params
        self._zeros = None

    def split(self, z: torch.Tensor):
        """``(a_t, y, a, a_params)`` views of ``z``, ``y`` and ``a`` in the state's shape."""
        n, shape = self.n, self.y_shape
        a_t, y, a = z[0], z[1 : 1 + n].view(shape), z[1 + n : 1 + 2 * n].view(shape)
        rest = torch.split(z[1 + 2 * n :], self.param_sizes) if self.params else ()
        return a_t, y, a, [r.view(p.shape) for r, p in zip(rest, self.params, strict=True)]

    def __call__(self, s: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        n, shape = self.n, self.y_shape
        y, a = z[1 : 1 + n].view(shape), z[1 + n : 1 + 2 * n].view(shape)
        with torch.enable_grad():
            s_ = s.detach().requires_grad_(True)
            y_ = y.detach().requires_grad_(True)
            f = self.rhs(s_, y_)
            grads = torch.autograd.grad(
                f, (s_, y_, *self.params), -a, allow_unused=True, retain_graph=False
            )
        if self._zeros is None or self._zeros.dtype != z.dtype:  # for unused inputs
            self._zeros = torch.zeros(z.numel(), dtype=z.dtype, device=z.device)
        parts = []
        offset = 0
        for g, size in zip(grads, self._sizes, strict=True):
            if g is None:
                parts.append(self._zeros[offset : offset + size])
            else:
                g = g.reshape(-1)
                parts.append(g if g.dtype == z.dtype else g.to(z.dtype))
            offset += size
        parts.insert(1, f.detach().reshape(-1))
        return torch.cat(parts)


class _AugmentedJacobian:
    """The Jacobian of the backward problem for the implicit methods' simplified Newton:
    ``-J`` on ``y`` and ``J^T`` on ``a`` (in the backward time ``sigma = -s``), zero on the
    quadratures ``a_t`` and ``a_theta``. The true Jacobian adds a block coupling ``a`` to
    ``y`` (below the diagonal), so Newton with this one converges, a little slower.
    ``J`` is the forward ``func``'s, per-sample blocks if the forward solve had them."""

    def __init__(self, prob: Problem, aug: _Augmented):
        device = prob.y0.device

        def func(s: float, y):  # float64 time, like the augmented dynamics
            return prob.rhs(torch.tensor(s, dtype=torch.float64, device=device), y)

        self.forward = FuncJacobian(func, aug.y_shape, prob.batch_dim)
        self.aug = aug
        self.n = aug.n
        self.total = 1 + 2 * aug.n + sum(aug.param_sizes)

    @property
    def njev(self) -> int:
        return self.forward.njev

    def __call__(self, sigma, z: torch.Tensor) -> BlockJacobian:
        _, y, _, _ = self.aug.split(z)
        j = self.forward.blocks(-sigma, y)
        n, shape, bd = self.n, tuple(self.aug.y_shape), self.forward.batch_dim
        parts = [Part(1, 1 + n, shape, bd, -j), Part(1 + n, 1 + 2 * n, shape, bd, j.mT)]
        return BlockJacobian(parts, self.total)


def _augmented_problem(prob: Problem, spec: AdjointSpec, aug: _Augmented) -> Problem:
    """The backward problem, built once per backward pass; its "user" time is the forward
    problem's internal time ``s``, integrated downwards (internal ``sigma = -s``)."""
    holder = spec.exposed

    def user_parts(z):
        a_t, y, a, a_params = aug.split(z)
        return (a_t, y, a, *a_params)

    def norm(z):
        return holder["norm"](user_parts(z))

    def rhs(sigma: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        return -aug(-sigma, z)

    sign = 1.0 if prob.reverse else -1.0  # user time t -> backward internal time
    flip = lambda pts: tuple(sorted(sign * x for x in pts))  # noqa: E731
    user_func = prob.rhs.func if hasattr(prob.rhs, "func") else prob.rhs
    fns = {
        name: getattr(user_func, name + "_adjoint")
        for name in CALLBACK_NAMES
        if hasattr(user_func, name + "_adjoint")
    }
    callbacks = Callbacks(fns, spec.kind, user_parts, True, torch.float64)
    return Problem(
        rhs=rhs,
        y0=prob.y0,  # a placeholder: each interval starts from its own state
        t=prob.t.detach(),
        t_out=(),
        reverse=True,
        shapes=None,
        method=spec.method,
        kind=spec.kind,
        options=spec.options,
        rtol=spec.rtol,
        atol=spec.atol,
        norm=norm,
        time_dtype=torch.float64,
        where="odeint_adjoint (backward)",
        step_t=flip(spec.options.step_t),
        jump_t=flip(spec.options.jump_t),
        callbacks=callbacks if callbacks else None,
        grid_args=None,
        jacobian=_AugmentedJacobian(prob, aug),
    )


def _check_cotangent(grad_ys: torch.Tensor, prob: Problem) -> None:
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
    def forward(ctx, prob, spec, y0, t, *params):
        out = solve(prob)
        ctx.prob, ctx.spec = prob, spec
        # torchdiffeq exposes the backward options on grad_fn; so do we.
        ctx.adjoint_options = spec.exposed
        ctx.save_for_backward(t, out.ys, *params)
        return out.ys

    @staticmethod
    def backward(ctx, grad_ys):
        t, ys, *params = ctx.saved_tensors
        prob, spec = ctx.prob, ctx.spec
        _check_cotangent(grad_ys, prob)
        params = tuple(params)
        aug = _Augmented(prob.rhs, params, ys.shape[1:])
        template = _augmented_problem(prob, spec, aug)
        t_out = prob.t_out
        a = torch.zeros_like(ys[0])
        a_t = torch.zeros((), dtype=ys.dtype, device=ys.device)
        a_params = [torch.zeros(p.numel(), dtype=ys.dtype, device=ys.device) for p in params]
        grad_t = torch.zeros(len(t_out), dtype=t.dtype, device=t.device)
        want_t = ctx.needs_input_grad[3]
        with torch.no_grad():
            for i in range(len(t_out) - 1, 0, -1):
                if want_t:
                    fi = prob.func(t_out[i], ys[i])
                    grad_t[i] = (grad_ys[i] * fi).sum().real.to(t.dtype)
                a = a + grad_ys[i]
                span = (-t_out[i], -t_out[i - 1])
                z0 = torch.cat([a_t.reshape(1), ys[i].reshape(-1), a.reshape(-1), *a_params])
                grid_args = (aug, aug.split(z0), torch.tensor([t_out[i], t_out[i - 1]]))
                interval = replace(
                    template,
                    t_out=span,
                    t=torch.tensor(span, dtype=torch.float64),
                    grid_args=grid_args,
                )
                z1 = solve(interval, z0).ys[-1]
                a_t, _, a_flat, a_params = aug.split(z1)
                a = a_flat
                a_params = [g.reshape(-1) for g in a_params]
            if want_t and len(t_out) > 1:
                f0 = prob.func(t_out[0], ys[0])
                grad_t[0] = -(a * f0).sum().real.to(t.dtype)
            a = a + grad_ys[0]
        grads = [
            g.view(p.shape).to(p.dtype) if not p.is_complex() else g.view(p.shape)
            for g, p in zip(a_params, params, strict=True)
        ]
        return (None, None, a, grad_t, *grads)


def adjoint_solve(prob: Problem, spec: AdjointSpec, params: tuple) -> torch.Tensor:
    """The outputs of ``prob`` (internal layout), differentiable by the adjoint method."""
    return _AdjointFunction.apply(prob, spec, prob.y0, prob.t, *params)

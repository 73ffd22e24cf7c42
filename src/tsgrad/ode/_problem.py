"""The input funnel: one validated :class:`Problem` per public call.

:func:`prepare` validates the public arguments once and hides from every solver what they
need not know: tuple states (flattened into one vector), decreasing time (``s = -t``,
``f_int(s, y) = -f(-s, y)``, so solvers only integrate forwards), low-precision states
(widened to float32), the user's callbacks, norm and event function. Everything after it
reads the ``Problem`` and never re-validates.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import torch

from ._control import rms_norm
from ._errors import NonFiniteStateError
from ._locate import EventLocator
from ._methods import check_method, method_kind
from ._options import Options, parse_options, validate_callable
from ._tableaus import TABLEAUS

__all__ = ["Callbacks", "Problem", "check_time", "prepare", "require_joint_rk"]


# --- the state ------------------------------------------------------------------------------


def flatten(y) -> torch.Tensor:
    """A tuple of tensors as one flat vector."""
    return torch.cat([x.reshape(-1) for x in y])


def _check_state(y0, where: str):
    if isinstance(y0, torch.Tensor):
        tensors = [y0]
    elif isinstance(y0, tuple | list) and len(y0) > 0:
        tensors = list(y0)
    else:
        raise TypeError(
            f"The 'y0' parameter of {where} must be a tensor or a non-empty tuple of tensors. "
            f"Got {type(y0).__name__} instead."
        )
    for x in tensors:
        if not isinstance(x, torch.Tensor):
            raise TypeError(
                f"The 'y0' parameter of {where} must contain only tensors. "
                f"Got {type(x).__name__} instead."
            )
        if not (x.is_floating_point() or x.is_complex()):
            raise TypeError(
                f"The 'y0' parameter of {where} must have a floating or complex dtype. "
                f"Got {x.dtype} instead."
            )


def _describe(value) -> str:
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {tuple(value.shape)}"
    if isinstance(value, tuple | list):
        return f"a {type(value).__name__} of {len(value)}"
    return type(value).__name__


def _non_finite_where(y0, shapes) -> str:
    """Where the first non-finite entry of the user's initial state is."""
    parts = list(y0) if shapes is not None else [y0]
    total = sum(int((~torch.isfinite(p.detach())).sum()) for p in parts)
    for k, p in enumerate(parts):
        bad = (~torch.isfinite(p.detach())).nonzero()
        if bad.numel():
            index = tuple(int(i) for i in bad[0])
            part = f"component {k}, " if shapes is not None else ""
            size = sum(q.numel() for q in parts)
            return f"{total} of {size} entries; the first at {part}index {index}"
    return "no entry"  # not reached: the caller saw a non-finite entry


# Low-precision states are integrated in a wider dtype: float16 cannot hold a useful error
# test (its epsilon is 1e-3) and the step-size control would stall on rounding.
_WORK_DTYPE = {
    torch.float16: torch.float32,
    torch.bfloat16: torch.float32,
    torch.complex32: torch.complex64,
}


# --- time -----------------------------------------------------------------------------------


def check_time(t, where: str, *, name: str = "t", min_len: int = 1) -> torch.Tensor:
    if not isinstance(t, torch.Tensor):
        raise TypeError(
            f"The {name!r} parameter of {where} must be a 1-D floating tensor. "
            f"Got {type(t).__name__} instead."
        )
    if t.dim() != 1 or not t.is_floating_point() or t.numel() < min_len:
        raise ValueError(
            f"The {name!r} parameter of {where} must be a 1-D floating tensor with at least "
            f"{min_len} element(s). Got shape {tuple(t.shape)} and dtype {t.dtype} instead."
        )
    return t


# --- tolerances -----------------------------------------------------------------------------


def _check_tol(value, name: str, where: str, state_shape: torch.Size):
    if isinstance(value, torch.Tensor):
        if value.is_complex() or not (value.is_floating_point() or value.dtype == torch.int64):
            raise TypeError(
                f"The {name!r} parameter of {where} must be a non-negative float or real tensor. "
                f"Got a tensor of dtype {value.dtype} instead."
            )
        try:
            fits = torch.broadcast_shapes(value.shape, state_shape) == state_shape
        except RuntimeError:
            fits = False
        if not fits:
            raise ValueError(
                f"The {name!r} parameter of {where} must be a float or a tensor broadcastable to "
                f"the state's shape {tuple(state_shape)}. Got a tensor of shape "
                f"{tuple(value.shape)} instead."
            )
        bad = bool((value < 0).any()) or not bool(torch.isfinite(value).all())
    elif isinstance(value, int | float) and not isinstance(value, bool):
        bad = not (value >= 0 and math.isfinite(value))
    else:
        raise TypeError(
            f"The {name!r} parameter of {where} must be a non-negative float or tensor. "
            f"Got {type(value).__name__} instead."
        )
    if bad:
        raise ValueError(
            f"The {name!r} parameter of {where} must be finite and >= 0. Got {value} instead."
        )
    return value


def _tolerance(value, name: str, where: str, shapes, flat: torch.Tensor):
    """A validated tolerance; for a tuple state, a tuple of per-component tolerances (each
    a float or a tensor broadcastable to its component) becomes one flat tensor."""
    if shapes is None or not isinstance(value, tuple | list):
        return _check_tol(value, name, where, flat.shape)
    if len(value) != len(shapes):
        raise ValueError(
            f"The {name!r} parameter of {where} must be a float, a tensor, or a tuple with one "
            f"entry per component of y0 ({len(shapes)}). Got a tuple of {len(value)} instead."
        )
    real = flat.real.dtype if flat.is_complex() else flat.dtype
    real = _WORK_DTYPE.get(real, real)
    parts = []
    for k, (v, shape) in enumerate(zip(value, shapes, strict=True)):
        v = _check_tol(v, f"{name}[{k}]", where, shape)
        parts.append(torch.as_tensor(v, dtype=real, device=flat.device).expand(shape).reshape(-1))
    return torch.cat(parts)


def _check_error_test(rtol, atol, shape, where: str) -> None:
    """An error test ``atol + rtol * |y|`` that can be 0 is refused: no step could pass it."""
    both_zero = (torch.as_tensor(rtol, dtype=torch.float64) == 0) & (
        torch.as_tensor(atol, dtype=torch.float64) == 0
    )
    if bool(both_zero.broadcast_to(shape).any() if both_zero.dim() else both_zero):
        raise ValueError(
            f"The 'rtol' and 'atol' parameters of {where} must not both be 0 (for any component) "
            "with an adaptive method: the error test atol + rtol * |y| would accept no step. "
            f"Got rtol={rtol} and atol={atol} instead; use e.g. atol=1e-12 for a purely "
            "relative test."
        )


def _tol_min(value) -> float:
    return float(value.min()) if isinstance(value, torch.Tensor) else float(value)


# --- func and norm --------------------------------------------------------------------------


class Rhs:
    """The user's ``func`` in internal coordinates: flat state, increasing time ``s``.

    ``func(t, y)`` is called with the user's time ``t = -s`` (decreasing time) and state
    structure; its output is flattened and negated to match. The first output is checked
    (a tensor, or tuple of tensors, of the state's shapes, on its device, of a floating
    dtype), so a broadcast or a dtype slip is an error naming ``func`` instead of another
    ODE being solved; a floating dtype other than the state's is cast, as torchdiffeq does.
    """

    def __init__(self, func, *, shapes, reverse, work_dtype, user_dtype, where, name="func"):
        self.func = func
        self.shapes = shapes
        self.reverse = reverse
        self.work_dtype = work_dtype
        self.user_dtype = user_dtype  # set when the state is integrated in a wider dtype
        self.where = where
        self.name = name
        self.checked = False
        self.cast = None

    def unflat(self, y):
        if self.shapes is None:
            return y
        out, start = [], 0
        for shape in self.shapes:
            n = math.prod(shape)
            out.append(y[start : start + n].view(shape))
            start += n
        return tuple(out)

    def __call__(self, s: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        yy = y if self.user_dtype is None else y.to(self.user_dtype)
        out = self.func(-s if self.reverse else s, self.unflat(yy))
        if not self.checked:
            self._check(out, yy)
        if self.shapes is not None:
            out = flatten(out)
        if not self.checked:
            self.checked = True
            if out.dtype != self.work_dtype:
                self.cast = self.work_dtype
        if self.cast is not None:
            out = out.to(self.cast)
        return -out if self.reverse else out

    def _fail(self, error, expected: str, got: str):
        return error(
            f"The {self.name!r} parameter of {self.where} must return {expected}. "
            f"Got {got} instead."
        )

    def _check(self, out, y) -> None:
        if self.shapes is not None:
            n = len(self.shapes)
            if not isinstance(out, tuple | list) or len(out) != n:
                raise self._fail(TypeError, f"a tuple of {n} tensors, like y0", _describe(out))
            parts, shapes, label = list(out), self.shapes, "tensors"
        else:
            if not isinstance(out, torch.Tensor):
                raise self._fail(TypeError, "a tensor shaped like y", _describe(out))
            parts, shapes, label = [out], [y.shape], "a tensor"
        for part, shape in zip(parts, shapes, strict=True):
            if not isinstance(part, torch.Tensor):
                raise self._fail(TypeError, f"{label} shaped like y", _describe(part))
            if part.shape != shape:
                raise self._fail(
                    ValueError,
                    f"{label} of the state's shape {tuple(shape)} (it is not broadcast)",
                    f"shape {tuple(part.shape)}",
                )
            if part.device != y.device:
                raise self._fail(
                    ValueError, f"{label} on the state's device {y.device}", f"device {part.device}"
                )
            if not (part.is_floating_point() or part.is_complex()):
                raise self._fail(TypeError, f"{label} of a floating dtype", f"dtype {part.dtype}")
            if part.is_complex() and not self.work_dtype.is_complex:
                raise self._fail(
                    TypeError, f"{label} of a real dtype for a real state", f"dtype {part.dtype}"
                )


class _UserNorm:
    """The user's error norm on the user's state structure; its first result is checked."""

    def __init__(self, norm, unflat, where):
        self.norm, self.unflat, self.where = norm, unflat, where
        self.checked = False

    def __call__(self, x):
        out = self.norm(self.unflat(x))
        if not self.checked:
            if isinstance(out, torch.Tensor):
                ok = out.numel() == 1 and not out.is_complex()
            else:
                ok = isinstance(out, int | float) and not isinstance(out, bool)
            if not ok:
                raise ValueError(
                    f"The 'norm' option of {self.where} must return a real scalar (a tensor "
                    f"with one element). Got {_describe(out)} instead."
                )
            self.checked = True
        return out


def mixed_norm(sizes: list[int]):
    """Max over the parts of a flat vector (of the given sizes) of their RMS."""
    bounds = [0]
    for n in sizes:
        bounds.append(bounds[-1] + n)
    slices = list(zip(bounds, bounds[1:], strict=False))

    def norm(x):
        return torch.stack([rms_norm(x[a:b]) for a, b in slices]).max()

    return norm


# --- callbacks ------------------------------------------------------------------------------

# The callbacks each kind of method calls: fixed-grid steps are never rejected, so (as in
# torchdiffeq) they only have callback_step; solve_ivp calls none.
CALLBACK_NAMES = ("callback_step", "callback_accept_step", "callback_reject_step")
VALID_CALLBACKS = {
    "adaptive": frozenset(CALLBACK_NAMES),
    "fixed": frozenset({"callback_step"}),
    "adams": frozenset({"callback_step"}),
    "implicit": frozenset({"callback_step"}),
    "stiff": frozenset(CALLBACK_NAMES),
    "scipy": frozenset(),
}


class Callbacks:
    """``callback_step / callback_accept_step / callback_reject_step(t, y, dt)`` of an
    object, those that ``kind`` calls, called with the user's time, state and step."""

    def __init__(self, fns: dict[str, Callable], kind: str, to_user, reverse, time_dtype):
        self._fns = [fns.get(n) if n in VALID_CALLBACKS[kind] else None for n in CALLBACK_NAMES]
        self._to_user, self._sign, self._time_dtype = to_user, -1 if reverse else 1, time_dtype

    def __bool__(self):
        return any(fn is not None for fn in self._fns)

    def _call(self, which: int, t: float, y, h: float):
        fn = self._fns[which]
        if fn is not None:
            tt = torch.tensor(self._sign * t, dtype=self._time_dtype)
            dt = torch.tensor(self._sign * h, dtype=self._time_dtype)
            fn(tt, self._to_user(y), dt)

    def step(self, t: float, y, h: float) -> None:
        self._call(0, t, y, h)

    def accept(self, t: float, y, h: float) -> None:
        self._call(1, t, y, h)

    def reject(self, t: float, y, h: float) -> None:
        self._call(2, t, y, h)


def warn_unsupported_callbacks(kind: str, method: str, func) -> None:
    """Warn (as torchdiffeq does) about callbacks on ``func`` that ``method`` never calls."""
    unsupported = [n for n in CALLBACK_NAMES if n not in VALID_CALLBACKS[kind] and hasattr(func, n)]
    if unsupported:
        warnings.warn(
            f"Solver {method!r} does not support the callbacks {unsupported} defined on "
            f"func; they are not called (supported: {sorted(VALID_CALLBACKS[kind])}).",
            UserWarning,
            stacklevel=5,
        )


# --- the problem ----------------------------------------------------------------------------


@dataclass
class Problem:
    """A validated odeint call, in internal coordinates (flat state, increasing time).

    Attributes
    ----------
    rhs : Rhs or callable
        ``rhs(s, y)`` with ``s`` a tensor (0-dim, or one time per sample).
    y0 : tensor, shape (n,) (or the user's shape for a tensor state)
        The initial state, in the working dtype.
    t : tensor
        Internal output times (differentiable if the user's ``t`` is).
    t_out : tuple of float
        Internal output times, increasing (only ``t_out[0]`` with an event).
    """

    rhs: Callable
    y0: torch.Tensor
    t: torch.Tensor
    t_out: tuple[float, ...]
    reverse: bool
    shapes: list[torch.Size] | None
    method: str
    kind: str
    options: Options
    rtol: float | torch.Tensor
    atol: float | torch.Tensor
    norm: Callable
    time_dtype: torch.dtype
    where: str = "odeint"
    event: EventLocator | None = None
    step_t: tuple[float, ...] = ()
    jump_t: tuple[float, ...] = ()
    callbacks: Callbacks | None = None
    grid_args: tuple | None = None  # (func, y0, t) as the user gave them: grid_constructor's
    user_dtype: torch.dtype | None = None  # set when a low-precision state is widened
    batch_dim: int | None = None  # per-sample step control along this dimension of y0
    jacobian: Callable | None = None  # df/dy provider of the implicit methods (default: func's)

    def __post_init__(self):
        self._device = self.y0.device

    def func(self, s: float, y: torch.Tensor) -> torch.Tensor:
        """``rhs`` at a Python-float time."""
        return self.rhs(torch.tensor(s, dtype=self.time_dtype, device=self._device), y)

    def nudge(self, s: float, toward: float) -> float:
        """The next time after ``s`` towards ``toward`` that the time dtype can represent."""
        x = torch.tensor(s, dtype=self.time_dtype)
        return float(torch.nextafter(x, torch.tensor(toward, dtype=self.time_dtype)))

    def user_time(self, s: float) -> float:
        return -s if self.reverse else s

    def unflatten(self, y: torch.Tensor, lead: int = 1):
        """Split a flat (lead..., n) tensor back into the user's tuple of tensors."""
        if self.shapes is None:
            return y
        out, start = [], 0
        head = y.shape[:lead]
        for shape in self.shapes:
            n = math.prod(shape)
            out.append(y[..., start : start + n].reshape(tuple(head) + tuple(shape)))
            start += n
        return tuple(out)

    def to_user(self, ys: torch.Tensor):
        """Solver output (lead, n) -> the user's dtype and tuple structure."""
        if self.user_dtype is not None:
            ys = ys.to(self.user_dtype)
        return self.unflatten(ys)

    def with_times(self, t_out) -> Problem:
        """The same problem over other internal output times."""
        return replace(self, t_out=tuple(t_out))

    @property
    def scale_floor(self) -> float:
        """The smallest error scale: > 0 only where ``atol`` has zeros (a purely relative
        test meets y = 0), so that ``0 / 0`` never enters the error ratio."""
        if _tol_min(self.atol) > 0:
            return 0.0
        y = self.y0
        return torch.finfo(y.real.dtype if y.is_complex() else y.dtype).tiny


def _check_per_sample(
    batch_dim: int, method: str, shapes, event_fn, opts: Options, t, ndim, where
) -> int:
    """Validate per-sample step control; return the (non-negative) batch dimension."""
    tab = TABLEAUS.get(method)
    problems = []
    if shapes is not None:
        problems.append("a tensor state (not a tuple)")
    dense = method == "radau" or (tab is not None and tab.dense is not None and tab.adaptive)
    if not dense:
        problems.append(
            "an adaptive method with dense output (dopri5, tsit5, bosh3, dopri8, radau)"
        )
    if event_fn is not None:
        problems.append("no event_fn")
    if opts.step_t or opts.jump_t or opts.norm is not None:
        problems.append("no step_t, jump_t or norm option")
    if t.requires_grad and torch.is_grad_enabled():
        problems.append("t without requires_grad (time gradients are not supported)")
    if problems:
        raise ValueError(
            f"The 'batch_dim' option of {where} needs {', '.join(problems)}. "
            f"Got method={method!r} and such arguments instead."
        )
    if not -ndim <= batch_dim < ndim:
        raise ValueError(
            f"The 'batch_dim' option of {where} must be a dimension of y0 (ndim {ndim}). "
            f"Got {batch_dim} instead."
        )
    return batch_dim % ndim


def prepare(
    func, y0, t, *, rtol, atol, method, options, event_fn=None, where: str = "odeint"
) -> Problem:
    """Validate the public arguments of ``where`` and build the internal :class:`Problem`."""
    validate_callable(func, "func", where)
    _check_state(y0, where)
    t = check_time(t, where)
    method = check_method(method, where)
    kind = method_kind(method)
    opts = parse_options(kind, options, method, where)
    warn_unsupported_callbacks(kind, method, func)

    shapes = None
    if isinstance(y0, tuple | list):
        shapes = [x.shape for x in y0]
        y0_flat = flatten(y0)
    else:
        y0_flat = y0
    rtol = _tolerance(rtol, "rtol", where, shapes, y0_flat)
    atol = _tolerance(atol, "atol", where, shapes, y0_flat)
    if kind in ("adaptive", "stiff"):
        _check_error_test(rtol, atol, y0_flat.shape, where)
    if kind in ("implicit", "stiff") and y0_flat.is_complex():
        raise TypeError(
            f"The 'y0' parameter of {where} must be real with the implicit method {method!r} "
            f"(its Newton iterations use real Jacobians). Got dtype {y0_flat.dtype} instead."
        )
    if t.device != y0_flat.device:
        t = t.to(y0_flat.device)

    tv = t.detach().cpu().double().tolist()
    if not all(math.isfinite(x) for x in tv):
        raise ValueError(f"The 't' parameter of {where} must be finite. Got {t} instead.")
    reverse = len(tv) >= 2 and tv[1] < tv[0]
    diffs = [b - a for a, b in zip(tv, tv[1:], strict=False)]
    if event_fn is None and not (all(d > 0 for d in diffs) or all(d < 0 for d in diffs)):
        raise ValueError(
            f"The 't' parameter of {where} must be strictly increasing or strictly "
            f"decreasing. Got {t} instead."
        )
    if event_fn is not None:
        validate_callable(event_fn, "event_fn", where)
    batch_dim = opts.batch_dim
    if batch_dim is not None:
        batch_dim = _check_per_sample(
            batch_dim, method, shapes, event_fn, opts, t, y0_flat.dim(), where
        )
    if not bool(torch.isfinite(y0_flat.detach()).all()):
        raise NonFiniteStateError(
            f"The initial state y0 holds NaN or inf ({_non_finite_where(y0, shapes)})",
            t=tv[0],
            step=None,
            hint="Check what produces y0 (e.g. a NaN in the data fed to an encoder).",
        )
    t_out = tuple(-x for x in tv) if reverse else tuple(tv)
    if event_fn is not None:
        t_out = t_out[:1]

    user_dtype = y0_flat.dtype
    work_dtype = _WORK_DTYPE.get(user_dtype, user_dtype)
    widened = work_dtype != user_dtype
    if widened:
        y0_flat = y0_flat.to(work_dtype)
    rhs = Rhs(
        func,
        shapes=shapes,
        reverse=reverse,
        work_dtype=work_dtype,
        user_dtype=user_dtype if widened else None,
        where=where,
    )
    norm = _error_norm(opts.norm, shapes, rhs.unflat, where)
    flip = (lambda pts: tuple(sorted(-x for x in pts))) if reverse else tuple
    time_dtype, device = t.dtype, y0_flat.device
    event = None
    if event_fn is not None:
        event = _event_locator(event_fn, reverse, time_dtype, device, rhs.unflat)

    prob = Problem(
        rhs=rhs,
        y0=y0_flat,
        t=-t if reverse else t,
        t_out=t_out,
        reverse=reverse,
        shapes=shapes,
        method=method,
        kind=kind,
        options=opts,
        rtol=rtol,
        atol=atol,
        norm=norm,
        time_dtype=time_dtype,
        where=where,
        event=event,
        step_t=flip(opts.step_t),
        jump_t=flip(opts.jump_t),
        grid_args=(func, y0, t),
        user_dtype=user_dtype if widened else None,
        batch_dim=batch_dim,
    )
    fns = {name: getattr(func, name) for name in CALLBACK_NAMES if hasattr(func, name)}
    callbacks = Callbacks(fns, kind, lambda y: prob.unflatten(y, lead=0), reverse, time_dtype)
    prob.callbacks = callbacks if callbacks else None
    return prob


def _error_norm(user_norm, shapes, unflat, where):
    if user_norm is not None:
        return _UserNorm(user_norm, unflat, where)
    if shapes is not None and len(shapes) > 1:
        return mixed_norm([math.prod(s) for s in shapes])
    return rms_norm


def _event_locator(event_fn, reverse, time_dtype, device, unflat) -> EventLocator:
    direction = getattr(event_fn, "direction", 0)
    if direction not in (-1, 0, 1):
        raise ValueError(
            f"The 'direction' attribute of event_fn must be -1, 0 or +1. Got {direction!r} instead."
        )

    def g_int(s: float, y: torch.Tensor) -> Any:
        tt = torch.tensor(-s if reverse else s, dtype=time_dtype, device=device)
        return event_fn(tt, unflat(y))

    return EventLocator(g_int, direction=direction)


def require_joint_rk(prob: Problem, where: str) -> None:
    """Routes that record the Runge-Kutta steps (checkpoint, dense output) need a joint
    solve with a Runge-Kutta method."""
    if prob.batch_dim is not None:
        raise ValueError(
            f"The 'batch_dim' option is not supported by {where}. Got "
            f"batch_dim={prob.options.batch_dim} instead; use odeint or odeint_adjoint."
        )
    if prob.kind not in ("adaptive", "fixed", "implicit", "stiff"):
        raise ValueError(
            f"The 'method' parameter of {where} must be a Runge-Kutta method. "
            f"Got {prob.method!r} instead."
        )

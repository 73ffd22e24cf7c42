"""The input funnel and the one stepping loop shared by every odeint method.

``prepare`` validates the public arguments once and hides tuple states (flattened into one
vector) and decreasing time (``s = -t``, ``f_int(s, y) = -f(-s, y)``) from the solvers, which
therefore only ever integrate forwards in time. ``integrate`` walks a schedule (an adaptive
controller or a fixed grid), asks a stepper (Runge-Kutta or Adams) for steps, and interpolates
all the output times that fall inside an accepted step in one batched operation. Time
arithmetic happens in Python floats (float64), so the only host synchronisation per step is
the error norm that decides acceptance.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from ._adams import AdamsStepper
from ._control import StepSizeController, rms_norm
from ._errors import (
    MaxStepsExceededError,
    NonFiniteStateError,
    ODESolverError,
    StepSizeUnderflowError,
)
from ._events import EventLocator
from ._fixed import GridSchedule, build_grid
from ._options import parse_options, validate_callable
from ._rk import RKStepper, Step
from ._tableaus import TABLEAUS

__all__ = ["Problem", "available_methods", "integrate", "odeint", "prepare"]

_ADAMS = {"explicit_adams": False, "implicit_adams": True, "fixed_adams": True}


def available_methods() -> list[str]:
    """Names accepted by ``odeint(method=...)``, including registered tableaus."""
    return sorted([*TABLEAUS, *_ADAMS, "scipy_solver"])


def method_kind(method: str) -> str:
    if method == "scipy_solver":
        return "scipy"
    if method in _ADAMS:
        return "adams"
    return "adaptive" if TABLEAUS[method].adaptive else "fixed"


@dataclass
class Problem:
    """A validated odeint call, in internal coordinates (flat state, increasing time)."""

    func: Callable  # f_int(s: float, y) -> flat derivative
    y0: torch.Tensor
    t: torch.Tensor  # internal times (differentiable if the user's t is)
    t_out: list[float]
    reverse: bool
    shapes: list[torch.Size] | None
    method: str
    kind: str
    options: dict[str, Any]
    rtol: float | torch.Tensor
    atol: float | torch.Tensor
    norm: Callable
    user_func: Callable
    time_dtype: torch.dtype
    event: EventLocator | None = None
    tensor_func: Callable | None = None  # f_int(s: tensor, y)
    extras: dict = field(default_factory=dict)
    user_dtype: torch.dtype | None = None  # set when a low-precision state is widened

    def to_user(self, ys: torch.Tensor):
        """Solver output (lead, n) -> the user's dtype and tuple structure."""
        if self.user_dtype is not None:
            ys = ys.to(self.user_dtype)
        return self.unflatten(ys)

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


def _flatten(y) -> torch.Tensor:
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


def _tol_min(value) -> float:
    return float(value.min()) if isinstance(value, torch.Tensor) else float(value)


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


def _mixed_norm(slices):
    def norm(x):
        return torch.stack([rms_norm(x[a:b]) for a, b in slices]).max()

    return norm


# Low-precision states are integrated in a wider dtype: float16 cannot hold a useful error
# test (its epsilon is 1e-3) and the step-size control would stall on rounding.
_WORK_DTYPE = {
    torch.float16: torch.float32,
    torch.bfloat16: torch.float32,
    torch.complex32: torch.complex64,
}


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


class _Rhs:
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
        if self.shapes is not None:
            if not self.checked:
                self._check(out, yy)
            out = _flatten(out)
        elif not self.checked:
            self._check(out, yy)
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
            parts, shapes = list(out), self.shapes
        else:
            if not isinstance(out, torch.Tensor):
                raise self._fail(TypeError, "a tensor shaped like y", _describe(out))
            parts, shapes = [out], [y.shape]
        for part, shape in zip(parts, shapes, strict=True):
            label = "tensors" if self.shapes is not None else "a tensor"
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


class _Norm:
    """The error norm, with its first result checked to be a finite-or-not scalar."""

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


def prepare(func, y0, t, *, rtol, atol, method, options, event_fn=None, where="odeint"):
    """Validate the public arguments and build the internal :class:`Problem`."""
    validate_callable(func, "func", where)
    _check_state(y0, where)
    t = check_time(t, where)
    if method is None:
        method = "dopri5"
    if not isinstance(method, str) or method not in available_methods():
        raise ValueError(
            f"The 'method' parameter of {where} must be one of {available_methods()}. "
            f"Got {method!r} instead."
        )
    kind = method_kind(method)
    opts = parse_options(kind, options, method, where)
    warn_unsupported_callbacks(kind, method, func)

    shapes = None
    if isinstance(y0, tuple | list):
        shapes = [x.shape for x in y0]
        y0_flat = _flatten(y0)
    else:
        y0_flat = y0
    rtol = _check_tol(rtol, "rtol", where, y0_flat.shape)
    atol = _check_tol(atol, "atol", where, y0_flat.shape)
    if kind == "adaptive":
        _check_error_test(rtol, atol, y0_flat.shape, where)
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
    if not bool(torch.isfinite(y0_flat.detach()).all()):
        raise NonFiniteStateError(
            f"The initial state y0 holds NaN or inf ({_non_finite_where(y0, shapes)})",
            t=tv[0],
            step=None,
            hint="Check what produces y0 (e.g. a NaN in the data fed to an encoder).",
        )
    t_int = -t if reverse else t
    t_out = [-x for x in tv] if reverse else tv
    if event_fn is not None:
        validate_callable(event_fn, "event_fn", where)
        t_out = t_out[:1]

    time_dtype = t.dtype
    device = y0_flat.device
    user_dtype = y0_flat.dtype
    work_dtype = _WORK_DTYPE.get(user_dtype, user_dtype)
    if work_dtype != user_dtype:
        y0_flat = y0_flat.to(work_dtype)
    tensor_func = _Rhs(
        func,
        shapes=shapes,
        reverse=reverse,
        work_dtype=work_dtype,
        user_dtype=None if work_dtype == user_dtype else user_dtype,
        where=where,
    )
    unflat = tensor_func.unflat

    def f_int(s: float, y: torch.Tensor) -> torch.Tensor:
        return tensor_func(torch.tensor(s, dtype=time_dtype, device=device), y)

    user_norm = opts.get("norm")
    if user_norm is not None:
        norm = _Norm(user_norm, unflat, where)
    elif shapes is not None and len(shapes) > 1:
        bounds = [0]
        for shape in shapes:
            bounds.append(bounds[-1] + math.prod(shape))
        norm = _mixed_norm(list(zip(bounds, bounds[1:], strict=False)))
    else:
        norm = rms_norm

    for key in ("step_t", "jump_t"):
        if opts.get(key):
            pts = sorted(-x for x in opts[key]) if reverse else list(opts[key])
            opts[key] = pts

    event = None
    if event_fn is not None:
        direction = getattr(event_fn, "direction", 0)
        if direction not in (-1, 0, 1):
            raise ValueError(
                f"The 'direction' attribute of event_fn must be -1, 0 or +1. "
                f"Got {direction!r} instead."
            )

        def g_int(s: float, y: torch.Tensor) -> torch.Tensor:
            tt = torch.tensor(-s if reverse else s, dtype=time_dtype, device=device)
            return event_fn(tt, unflat(y))

        event = EventLocator(g_int, direction=direction)

    return Problem(
        func=f_int,
        y0=y0_flat,
        t=t_int,
        t_out=t_out,
        reverse=reverse,
        shapes=shapes,
        method=method,
        kind=kind,
        options=opts,
        rtol=rtol,
        atol=atol,
        norm=norm,
        user_func=func,
        time_dtype=time_dtype,
        event=event,
        tensor_func=tensor_func,
        extras={"user_y0": y0, "user_t": t},
        user_dtype=None if work_dtype == user_dtype else user_dtype,
    )


class AdaptiveSchedule:
    """Proposes step ends from the controller, landing exactly on step_t / jump_t / the end."""

    adaptive = True

    def __init__(self, controller: StepSizeController, *, first_step, t_stop, step_t, jump_t):
        self.controller = controller
        self.first_step = first_step
        self.jumps = set(jump_t or ())
        self.barriers = sorted({*(step_t or ()), *self.jumps, t_stop})
        self.h = math.nan
        self.ratio = 0.0

    def start(self, t, y, f0, stepper) -> None:
        self.barriers = [b for b in self.barriers if b > t]
        if self.first_step is not None:
            self.h = self.controller.clamp(self.first_step)
        else:
            self.h = self.controller.initial_step(stepper.eval, t, y, f0)

    def propose(self, t: float) -> tuple[float, bool]:
        while self.barriers and self.barriers[0] <= t:
            self.barriers.pop(0)
        t1 = t + self.h
        if self.barriers and t1 >= self.barriers[0]:
            stop = self.barriers[0]
            return stop, stop in self.jumps
        return t1, False

    def judge(self, st: Step) -> bool:
        self.ratio = self.controller.error_ratio(st.err, st.y0, st.y1)
        accepted, self.h = self.controller.propose(st.h, self.ratio)
        return accepted


def _scale_floor(prob: Problem) -> float:
    """The smallest error scale: > 0 only where ``atol`` has zeros (a purely relative test
    meets y = 0), so that ``0 / 0`` never enters the error ratio."""
    if _tol_min(prob.atol) > 0:
        return 0.0
    y = prob.y0
    return torch.finfo(y.real.dtype if y.is_complex() else y.dtype).tiny


def make_stepper(prob: Problem):
    """The stepper and schedule for ``prob`` (not for scipy_solver)."""
    opts = prob.options
    if prob.kind == "adams":
        stepper = AdamsStepper(
            prob.func,
            implicit=_ADAMS[prob.method],
            max_order=opts["max_order"],
            max_iters=opts["max_iters"],
            rtol=float(prob.rtol)
            if not isinstance(prob.rtol, torch.Tensor)
            else float(prob.rtol.max()),
            atol=float(prob.atol)
            if not isinstance(prob.atol, torch.Tensor)
            else float(prob.atol.max()),
            interp=opts["interp"],
            perturb=opts["perturb"],
            nudge=prob.nudge,
        )
    else:
        tab = TABLEAUS[prob.method]
        if prob.kind == "adaptive":
            stepper = RKStepper(tab, prob.func, interp="dense", nudge=prob.nudge)
        else:
            interp = "hermite" if opts["interp"] == "cubic" else "linear"
            stepper = RKStepper(
                tab, prob.func, interp=interp, perturb=opts["perturb"], nudge=prob.nudge
            )
    if prob.kind == "adaptive":
        tab = TABLEAUS[prob.method]
        ctrl = StepSizeController(
            rtol=prob.rtol,
            atol=prob.atol,
            norm=prob.norm,
            error_order=tab.error_order,
            safety=opts["safety"],
            ifactor=opts["ifactor"],
            dfactor=opts["dfactor"],
            min_step=opts["min_step"],
            max_step=opts["max_step"],
            floor=_scale_floor(prob),
        )
        t_stop = prob.t_out[-1] if prob.event is None else math.inf
        schedule = AdaptiveSchedule(
            ctrl,
            first_step=opts["first_step"],
            t_stop=t_stop,
            step_t=opts["step_t"],
            jump_t=opts["jump_t"],
        )
    else:
        if prob.event is not None:
            if opts["step_size"] is None:
                raise ValueError(
                    f"Event handling with the fixed-grid method {prob.method!r} needs the "
                    "'step_size' option. Got step_size=None instead."
                )
            schedule = GridSchedule(None, prob.t_out[0], opts["step_size"])
        else:
            grid = build_grid(
                prob.t_out,
                opts["step_size"],
                opts["grid_constructor"],
                prob.user_func,
                prob.extras["user_y0"],
                prob.extras["user_t"],
                prob.reverse,
            )
            schedule = GridSchedule(grid, prob.t_out[0], opts["step_size"], prob.t_out[-1])
            if schedule.n_steps > opts["max_num_steps"]:
                raise MaxStepsExceededError(
                    f"The grid has {schedule.n_steps} steps from t={prob.user_time(prob.t_out[0])}"
                    f" to t={prob.user_time(prob.t_out[-1])}, more than max_num_steps="
                    f"{opts['max_num_steps']}",
                    t=prob.user_time(prob.t_out[0]),
                    step=0,
                    hint="Try a larger 'step_size' (or raise options['max_num_steps']).",
                )
    return stepper, schedule


@dataclass
class Outcome:
    """What a run of the loop produced (internal coordinates)."""

    ys: torch.Tensor  # (n_out, *y0.shape); with an event: (2, *y0.shape) = [y0, y(t_event)]
    event_t: float | None = None
    steps: list[Step] | None = None
    outputs_per_step: list[int] | None = None
    n_accepted: int = 0
    n_rejected: int = 0
    nfe: int = 0


def _step_outputs(stepper, st: Step, times: list[float]) -> torch.Tensor:
    exact_end = times[-1] == st.t1
    inner = times[:-1] if exact_end else times
    parts = []
    if inner:
        parts.append(stepper.interp(st, [(x - st.t0) / st.h for x in inner]))
    if exact_end:
        parts.append(st.y1.unsqueeze(0))
    return parts[0] if len(parts) == 1 else torch.cat(parts)


def integrate(
    prob: Problem,
    y0: torch.Tensor,
    *,
    stepper=None,
    schedule=None,
    record: bool = False,
    recorder=None,
    check_steps: bool = False,
) -> Outcome:
    """Run the stepping loop from ``prob.t_out[0]`` over all output times (or to an event).

    ``record=True`` keeps every accepted :class:`Step` (with its stages, for dense output);
    a ``recorder`` gets ``recorder.add(step, n_outputs)`` for each accepted step instead
    and keeps what it needs. ``check_steps=True`` checks every accepted state for NaN / inf
    (one host synchronisation per step): the fixed-grid methods replay a failed solve so.

    Every run ends: ``max_num_steps`` bounds the attempted steps (accepted and rejected), a
    step that cannot advance the time raises, and a non-finite ``func`` value ends in a
    named error.
    """
    if stepper is None:
        stepper, schedule = make_stepper(prob)
    opts = prob.options
    max_num_steps = opts["max_num_steps"]
    t_out, n_out, event = prob.t_out, len(prob.t_out), prob.event
    callbacks = None if check_steps else _callbacks(prob)
    outs = [y0.unsqueeze(0)]
    per_step: list[int] = [] if record else None
    steps: list[Step] = [] if record else None
    idx, t, y = 1, t_out[0], y0
    f0, f0_t, after_jump, started = None, t, False, False
    n_acc = n_rej = 0
    g0 = event.value(t, y) if event is not None else None
    event_t = None
    if event is not None and event.at_zero(g0):  # torchdiffeq: an event at t0 is the event
        event_t = t
        outs.append(y0.unsqueeze(0))
    while event_t is None and (event is not None or idx < n_out):
        if f0 is None:
            f0_t = stepper.nudge(t, math.inf) if (after_jump or stepper.perturb) else t
            f0 = stepper.eval(f0_t, y)
        if not started:
            _check_start(prob, f0, t)
            schedule.start(t, y, f0, stepper)
            _check_first_step(prob, schedule.h, t)
            started = True
        proposal = schedule.propose(t)
        if proposal is None:
            break
        where = dict(t=prob.user_time(t), step=n_acc)
        if n_acc + n_rej >= max_num_steps:
            raise MaxStepsExceededError(
                f"max_num_steps={max_num_steps} reached ({n_acc} accepted and {n_rej} "
                "rejected steps)",
                **where,
            )
        t1, end_jump = proposal
        if not t1 > t:  # a step the time cannot resolve (or a NaN step size)
            raise StepSizeUnderflowError(
                f"The step size fell to {t1 - t:.3g}, below what t can resolve", **where
            )
        if t1 == math.inf:
            raise NonFiniteStateError(
                "The time became infinite",
                **where,
                hint="The event function never crossed zero: check event_fn and its sign.",
            )
        h = t1 - t
        if callbacks:
            callbacks.step(t, y, h)
        st = stepper.step(t, h, y, f0, end_perturb=end_jump, with_error=schedule.adaptive)
        st.t1, st.f0_t, st.end_perturb = t1, f0_t, end_jump
        if not schedule.judge(st):
            n_rej += 1
            if callbacks:
                callbacks.reject(t, y, h)
            if not math.isfinite(schedule.ratio):
                _explain_non_finite_ratio(prob, st, schedule.ratio, where)
            if schedule.h < 8 * math.ulp(max(abs(t), 1.0)):
                if not bool(torch.isfinite(st.y1).all()):
                    raise NonFiniteStateError("The ODE state became non-finite", **where)
                raise StepSizeUnderflowError(
                    f"The step size fell to {schedule.h:.3g}, below what t can resolve", **where
                )
            continue
        n_acc += 1
        if callbacks:
            callbacks.accept(t, y, h)
        if check_steps and not bool(torch.isfinite(st.y1).all()):
            raise NonFiniteStateError(
                f"The ODE state became non-finite in the step from t={prob.user_time(t):.17g} "
                f"to t={prob.user_time(t1):.17g}",
                **where,
            )
        if event is not None:
            g1 = event.value(t1, st.y1)
            if event.crossed(g0, g1):
                theta = event.locate(stepper, st, g0, g1)
                event_t = t + theta * h
                y_event = st.y1 if theta == 1.0 else stepper.interp(st, [theta])[0]
                outs.append(y_event.unsqueeze(0))
                if record:
                    steps.append(st)
                    per_step.append(1)
                if recorder is not None:
                    recorder.add(st, 1)
                break
            g0 = g1
        j = idx
        while j < n_out and t_out[j] <= t1:
            j += 1
        if j > idx:
            outs.append(_step_outputs(stepper, st, t_out[idx:j]))
        if record:
            steps.append(st)
            per_step.append(j - idx)
        if recorder is not None:
            recorder.add(st, j - idx)
        idx = j
        t, y = t1, st.y1
        after_jump = end_jump
        f0 = None if (end_jump or stepper.perturb) else st.f1
        f0_t = t
    ys = torch.cat(outs) if len(outs) > 1 else outs[0]
    if not schedule.adaptive and not bool(torch.isfinite(ys).all()):
        t_bad = t if event is not None else None
        _raise_fixed_grid_non_finite(prob, y0, ys, t_bad, n_acc, replay=not check_steps)
    return Outcome(
        ys=ys,
        event_t=event_t,
        steps=steps,
        outputs_per_step=per_step,
        n_accepted=n_acc,
        n_rejected=n_rej,
        nfe=stepper.nfe,
    )


def _check_start(prob: Problem, f0: torch.Tensor, t: float) -> None:
    """``f(t0, y0)`` must be finite: the step-size heuristic and every step use it."""
    if not bool(torch.isfinite(f0).all()):
        raise NonFiniteStateError(
            "func(t0, y0) is NaN or inf",
            t=prob.user_time(t),
            step=0,
            hint="Check func at the initial state (a division by zero, a log of 0, ...).",
        )


def _check_first_step(prob: Problem, h: float, t: float) -> None:
    """The initial step from finite ``y0`` and ``f0`` is NaN only through the error norm."""
    if math.isnan(h):
        raise NonFiniteStateError(
            "The initial step size is nan (the error norm of the finite y0 and f0 is not finite)",
            t=prob.user_time(t),
            step=0,
            hint="Check the 'norm' option: it must return a finite, non-negative scalar.",
        )


def _explain_non_finite_ratio(prob: Problem, st: Step, ratio: float, where: dict) -> None:
    """A NaN / inf error ratio of a finite step can only come from the norm: say so."""
    with torch.no_grad():
        finite = all(bool(torch.isfinite(x).all()) for x in (st.y1, st.err) if x is not None)
    if finite and math.isnan(ratio):
        raise NonFiniteStateError(
            f"The error norm is {ratio} for a finite error estimate",
            **where,
            hint="Check the 'norm' option: it must return a finite, non-negative scalar.",
        )


def _raise_fixed_grid_non_finite(prob, y0, ys, t_event, n_acc, replay: bool) -> None:
    """Name the step where a fixed-grid solve became non-finite.

    The loop does not synchronise per step to look; a failed solve is replayed once,
    without autograd or callbacks, checking every step (fixed grids are deterministic).
    Should the replay not see it (a NaN only in an interpolated output), the first
    non-finite output time is named.
    """
    if replay:
        with torch.no_grad():
            try:
                integrate(prob, y0.detach(), check_steps=True)
            except NonFiniteStateError:
                raise
            except ODESolverError:
                pass
    rows = (~torch.isfinite(ys.reshape(ys.shape[0], -1))).any(dim=1)
    bad = int(rows.nonzero()[0])
    t_bad = prob.t_out[bad] if t_event is None else t_event
    raise NonFiniteStateError(
        "The ODE state became non-finite", t=prob.user_time(t_bad), step=n_acc
    )


class _Callbacks:
    """``func.callback_step / callback_accept_step / callback_reject_step(t, y, dt)``.

    The adjoint's augmented function carries the user's ``*_adjoint`` callbacks under these
    names, so the backward solve calls them without a special case here.
    """

    def __init__(self, prob: Problem, func):
        self.prob = prob
        self._step = getattr(func, "callback_step", None)
        self._accept = getattr(func, "callback_accept_step", None)
        self._reject = getattr(func, "callback_reject_step", None)

    def __bool__(self):
        return any(c is not None for c in (self._step, self._accept, self._reject))

    def _call(self, cb, t, y, h):
        if cb is not None:
            p = self.prob
            tt = torch.tensor(p.user_time(t), dtype=p.time_dtype)
            dt = torch.tensor(-h if p.reverse else h, dtype=p.time_dtype)
            cb(tt, p.unflatten(y, lead=0), dt)

    def step(self, t, y, h):
        self._call(self._step, t, y, h)

    def accept(self, t, y, h):
        self._call(self._accept, t, y, h)

    def reject(self, t, y, h):
        self._call(self._reject, t, y, h)


# The callbacks each kind of method calls: fixed-grid steps are never rejected, so (as in
# torchdiffeq) they only have callback_step; solve_ivp calls none.
_CALLBACK_NAMES = ("callback_step", "callback_accept_step", "callback_reject_step")
VALID_CALLBACKS = {
    "adaptive": frozenset(_CALLBACK_NAMES),
    "fixed": frozenset({"callback_step"}),
    "adams": frozenset({"callback_step"}),
    "scipy": frozenset(),
}


def warn_unsupported_callbacks(kind: str, method: str, func) -> None:
    """Warn (as torchdiffeq does) about callbacks on ``func`` that ``method`` never calls."""
    unsupported = [
        n for n in _CALLBACK_NAMES if n not in VALID_CALLBACKS[kind] and hasattr(func, n)
    ]
    if unsupported:
        warnings.warn(
            f"Solver {method!r} does not support the callbacks {unsupported} defined on "
            f"func; they are not called (supported: {sorted(VALID_CALLBACKS[kind])}).",
            UserWarning,
            stacklevel=4,
        )


def _callbacks(prob: Problem):
    cb = _Callbacks(prob, prob.user_func)
    for name, attr in zip(_CALLBACK_NAMES, ("_step", "_accept", "_reject"), strict=True):
        if name not in VALID_CALLBACKS[prob.kind]:
            setattr(cb, attr, None)
    return cb if cb else None


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


def require_joint_rk(prob: Problem, where: str) -> None:
    """Functions that record the Runge-Kutta steps (checkpoint, dense output) need a joint
    solve with a Runge-Kutta method."""
    if prob.options.get("batch_dim") is not None:
        raise ValueError(
            f"The 'batch_dim' option is not supported by {where}. Got "
            f"batch_dim={prob.options['batch_dim']} instead; use odeint or odeint_adjoint."
        )
    if prob.kind not in ("adaptive", "fixed"):
        raise ValueError(
            f"The 'method' parameter of {where} must be a Runge-Kutta method. "
            f"Got {prob.method!r} instead."
        )


def _fill_stats(prob: Problem, out: Outcome) -> None:
    stats = prob.options.get("stats")
    if stats is not None:
        stats.nfe += out.nfe
        stats.n_accepted += out.n_accepted
        stats.n_rejected += out.n_rejected


def run(prob: Problem, *, record: bool = False) -> Outcome:
    """Solve ``prob`` with autograd through the solver."""
    if prob.kind == "scipy":
        from ._scipy import solve_scipy

        out = solve_scipy(prob)
        _fill_stats(prob, out)
        return out
    if prob.kind == "adaptive" and prob.options["batch_dim"] is not None:
        from ._batched import integrate_per_sample

        out = integrate_per_sample(prob)
        _fill_stats(prob, out)
        return out
    y0_in, finish = attach_time_gradients(prob, prob.y0)
    out = integrate(prob, y0_in, record=record)
    if prob.event is None:
        out.ys = finish(out.ys)
    elif y0_in is not prob.y0:
        out.ys = torch.cat([prob.y0.unsqueeze(0), out.ys[1:]])
    _fill_stats(prob, out)
    return out


def finish_output(prob: Problem, out: Outcome):
    """The user-facing return value of odeint (tuple unflattening, event time)."""
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
        ``adaptive_heun`` (adaptive), ``euler``, ``midpoint``, ``heun2``, ``heun3``, ``rk4``
        (fixed grid), ``explicit_adams``, ``implicit_adams`` / ``fixed_adams`` (fixed grid,
        multistep), ``scipy_solver`` (``scipy.integrate.solve_ivp``; no gradients).
    options : dict, optional
        Method options with torchdiffeq's names (see ``docs/ode.md``); unknown keys raise
        ``ValueError``. ``{"stats": SolverStats()}`` collects solver statistics.
    event_fn : callable, optional
        ``event_fn(t, y) -> scalar tensor``. Integrate from ``t[0]`` (in the direction of
        ``t[1]``) until it changes sign; an optional attribute ``event_fn.direction`` (+1 / -1)
        only accepts upward / downward crossings.

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
    return finish_output(prob, run(prob))

"""The ``options`` of odeint, typed and validated once (unknown keys are errors).

:class:`Options` holds every option with its one default; each method family accepts a
subset of them (:data:`FAMILY_KEYS`). :func:`parse_options` turns the user's dict into an
``Options`` at the public boundary; the solvers read its attributes and never re-validate.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

import torch

from ._stats import SolverStats

__all__ = [
    "FAMILY_KEYS",
    "Options",
    "SCIPY_SOLVERS",
    "gradient_params",
    "parse_options",
    "validate_callable",
]

SCIPY_SOLVERS = ("RK45", "RK23", "DOP853", "Radau", "BDF", "LSODA")


@dataclass(frozen=True)
class Options:
    """Every solver option with its default (torchdiffeq's names and defaults).

    ``step_t`` and ``jump_t`` are sorted tuples of (user) times; ``max_iters=None`` means
    the method's own count (4 corrector iterations for the Adams methods, 100 Newton
    iterations for the implicit Runge-Kutta methods).
    """

    first_step: float | None = None
    min_step: float = 0.0
    max_step: float = math.inf
    safety: float = 0.9
    ifactor: float = 10.0
    dfactor: float = 0.2
    max_num_steps: int = 2**31 - 1
    dtype: torch.dtype = torch.float64  # accepted for compatibility: time is float64
    step_t: tuple[float, ...] = ()
    jump_t: tuple[float, ...] = ()
    norm: Callable | None = None
    batch_dim: int | None = None
    step_size: float | None = None
    grid_constructor: Callable | None = None
    interp: str = "linear"
    perturb: bool = False
    max_iters: int | None = None
    max_order: int = 12
    solver: str = "LSODA"
    stats: SolverStats | None = None


_ADAPTIVE = {
    "first_step",
    "min_step",
    "max_step",
    "safety",
    "ifactor",
    "dfactor",
    "max_num_steps",
    "dtype",
    "step_t",
    "jump_t",
    "norm",
    "stats",
    "batch_dim",
}
_FIXED = {"max_num_steps", "step_size", "grid_constructor", "interp", "perturb", "stats"}
FAMILY_KEYS: dict[str, frozenset[str]] = {
    "adaptive": frozenset(_ADAPTIVE),
    "fixed": frozenset(_FIXED),
    "adams": frozenset(_FIXED | {"max_iters", "max_order"}),
    "implicit": frozenset(_FIXED | {"max_iters"}),
    "stiff": frozenset(_ADAPTIVE),
    "scipy": frozenset({"solver", "first_step", "min_step", "max_step", "max_num_steps", "stats"}),
}

# Names of torchdiffeq < 0.2 that are now spelled differently.
_RENAMED = {
    "grid_points": "step_t",
    "jump_locations": "jump_t",
    "eps": "perturb (for fixed-grid methods) or jump_t (for adaptive methods)",
}


def _err(name: str, expected: str, got: Any, where: str) -> ValueError:
    return ValueError(f"The {name!r} option of {where} must be {expected}. Got {got!r} instead.")


def _as_float(value: Any, name: str, where: str) -> float:
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            raise _err(name, "a scalar", value, where)
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(
            f"The {name!r} option of {where} must be a real number. "
            f"Got {type(value).__name__} instead."
        )
    return float(value)


def _positive(name, value, where, *, allow_inf=False, allow_zero=False):
    x = _as_float(value, name, where)
    ok = (x >= 0 if allow_zero else x > 0) and (allow_inf or math.isfinite(x))
    if not ok or math.isnan(x):
        raise _err(name, "> 0" if not allow_zero else ">= 0", value, where)
    return x


def _in_range(name, value, where, lo, hi, text):
    x = _as_float(value, name, where)
    if not (lo(x) and hi(x)):
        raise _err(name, text, value, where)
    return x


def _times(name, value, where) -> tuple[float, ...]:
    if value is None:
        return ()
    t = torch.as_tensor(value).detach()
    if t.dim() != 1 or not (t.is_floating_point() or t.dtype in (torch.int32, torch.int64)):
        raise _err(name, "a 1-D tensor (or sequence) of times", value, where)
    out = tuple(sorted(float(x) for x in t.cpu().double().tolist()))
    if not all(math.isfinite(x) for x in out):
        raise _err(name, "finite times", value, where)
    return out


def _count(name, value, where, hi=None):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _err(name, "an integer >= 1", value, where)
    if hi is not None and value > hi:
        raise _err(name, f"an integer in [1, {hi}]", value, where)
    return value


def _callable_or_none(name, value, where):
    if value is not None and not callable(value):
        raise _err(name, "a callable or None", value, where)
    return value


def _choice(choices):
    def check(name, value, where):
        if value not in choices:
            raise _err(name, " or ".join(repr(c) for c in choices), value, where)
        return value

    return check


def _dtype(name, value, where):
    if not isinstance(value, torch.dtype) or not value.is_floating_point:
        raise _err(name, "a floating torch.dtype", value, where)
    return value


def _bool(name, value, where):
    if not isinstance(value, bool):
        raise _err(name, "a bool", value, where)
    return value


def _stats(name, value, where):
    if value is not None and not isinstance(value, SolverStats):
        raise TypeError(
            f"The 'stats' option of {where} must be a tsgrad.ode.SolverStats. "
            f"Got {type(value).__name__} instead."
        )
    return value


def _batch_dim(name, value, where):
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise _err(name, "an int (the batch dimension of the state) or None", value, where)
    return value


_CHECKS: dict[str, Callable[[str, Any, str], Any]] = {
    "first_step": lambda n, v, w: None if v is None else _positive(n, v, w),
    "min_step": lambda n, v, w: _positive(n, v, w, allow_zero=True),
    "max_step": lambda n, v, w: _positive(n, v, w, allow_inf=True),
    "safety": lambda n, v, w: _in_range(n, v, w, lambda x: x > 0, lambda x: x <= 1, "in (0, 1]"),
    "ifactor": lambda n, v, w: _in_range(n, v, w, lambda x: x >= 1, math.isfinite, ">= 1"),
    "dfactor": lambda n, v, w: _in_range(n, v, w, lambda x: x > 0, lambda x: x <= 1, "in (0, 1]"),
    "max_num_steps": _count,
    "max_iters": _count,
    "max_order": lambda n, v, w: _count(n, v, w, hi=12),
    "dtype": _dtype,
    "step_t": _times,
    "jump_t": _times,
    "norm": _callable_or_none,
    "grid_constructor": _callable_or_none,
    "step_size": lambda n, v, w: None if v is None else _positive(n, v, w),
    "interp": _choice(("linear", "cubic")),
    "perturb": _bool,
    "solver": _choice(SCIPY_SOLVERS),
    "stats": _stats,
    "batch_dim": _batch_dim,
}
if set(_CHECKS) != {f.name for f in fields(Options)}:  # internal invariant, kept under -O
    raise RuntimeError(
        "tsgrad.ode._options: every Options field needs exactly one check in _CHECKS; "
        f"fields without one: {sorted({f.name for f in fields(Options)} - set(_CHECKS))}, "
        f"checks without a field: {sorted(set(_CHECKS) - {f.name for f in fields(Options)})}"
    )


def parse_options(
    kind: str, options: dict[str, Any] | None, method: str, where: str = "odeint"
) -> Options:
    """Validate ``options`` for a method family; the defaults fill in the rest.

    Parameters
    ----------
    kind : str
        A key of :data:`FAMILY_KEYS`.
    options : dict or None
    method : str
        The method name, for the error message.
    where : str
        The public function, for the error message.

    Returns
    -------
    Options
    """
    if options is None:
        options = {}
    if not isinstance(options, dict):
        raise TypeError(
            f"The 'options' parameter of {where} must be a dict or None. "
            f"Got {type(options).__name__} instead."
        )
    allowed = FAMILY_KEYS[kind]
    values = {}
    for key, value in options.items():
        if key not in allowed:
            hint = ""
            if key in _RENAMED:
                hint = f" This torchdiffeq option is now called {_RENAMED[key]}."
            raise ValueError(
                f"Unknown option {key!r} for method {method!r} in {where}. "
                f"Valid options: {sorted(allowed)}.{hint}"
            )
        values[key] = _CHECKS[key](key, value, where)
    out = Options(**values)
    if out.min_step > out.max_step:
        raise ValueError(
            f"The 'min_step' option of {where} must be <= 'max_step'. "
            f"Got min_step={out.min_step} and max_step={out.max_step} instead."
        )
    if out.step_size is not None and out.grid_constructor is not None:
        raise ValueError(
            f"The 'step_size' and 'grid_constructor' options of {where} are mutually "
            "exclusive. Got both instead."
        )
    return out


def validate_callable(func: Callable, name: str, where: str) -> None:
    """``TypeError`` unless ``func`` is callable."""
    if not callable(func):
        raise TypeError(
            f"The {name!r} parameter of {where} must be callable. "
            f"Got {type(func).__name__} instead."
        )


def gradient_params(func, adjoint_params, where: str) -> tuple:
    """The tensors that ``odeint_adjoint`` / ``odeint_checkpoint`` differentiate: the
    ``adjoint_params`` given, else ``func.parameters()``; those requiring grad."""
    if adjoint_params is None:
        if not isinstance(func, torch.nn.Module):
            raise TypeError(
                f"The 'func' parameter of {where} must be a torch.nn.Module when "
                f"'adjoint_params' is not given. Got {type(func).__name__} instead; pass "
                "adjoint_params=(...) with the tensors func depends on, or use odeint."
            )
        return tuple(p for p in func.parameters() if p.requires_grad)
    params = tuple(adjoint_params)
    for p in params:
        if not isinstance(p, torch.Tensor):
            raise TypeError(
                f"The 'adjoint_params' parameter of {where} must contain only tensors. "
                f"Got {type(p).__name__} instead."
            )
    return tuple(p for p in params if p.requires_grad)

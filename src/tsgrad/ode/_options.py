"""Typed validation of the ``options`` dictionary of odeint (unknown keys are errors)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch

from ._stats import SolverStats

__all__ = ["SCIPY_SOLVERS", "parse_options"]

SCIPY_SOLVERS = ("RK45", "RK23", "DOP853", "Radau", "BDF", "LSODA")

# Names of torchdiffeq < 0.2 that are now spelled differently.
_RENAMED = {
    "grid_points": "step_t",
    "jump_locations": "jump_t",
    "eps": "perturb (for fixed-grid methods) or jump_t (for adaptive methods)",
}

_DEFAULTS_ADAPTIVE = {
    "first_step": None,
    "min_step": 0.0,
    "max_step": math.inf,
    "safety": 0.9,
    "ifactor": 10.0,
    "dfactor": 0.2,
    "max_num_steps": 2**31 - 1,
    "dtype": torch.float64,
    "step_t": None,
    "jump_t": None,
    "norm": None,
    "stats": None,
    "batch_dim": None,
}
_DEFAULTS_FIXED = {
    "max_num_steps": 2**31 - 1,
    "step_size": None,
    "grid_constructor": None,
    "interp": "linear",
    "perturb": False,
    "stats": None,
}
_DEFAULTS_ADAMS = {**_DEFAULTS_FIXED, "max_iters": 4, "max_order": 4}
_DEFAULTS_SCIPY = {
    "solver": "LSODA",
    "first_step": None,
    "min_step": 0.0,  # used by LSODA only (as in solve_ivp)
    "max_step": math.inf,
    "max_num_steps": 2**31 - 1,  # bounds the function evaluations (steps are not reported)
    "stats": None,
}

DEFAULTS = {
    "adaptive": _DEFAULTS_ADAPTIVE,
    "fixed": _DEFAULTS_FIXED,
    "adams": _DEFAULTS_ADAMS,
    "scipy": _DEFAULTS_SCIPY,
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


def _times(name, value, where):
    if value is None:
        return None
    t = torch.as_tensor(value).detach()
    if t.dim() != 1 or not (t.is_floating_point() or t.dtype in (torch.int32, torch.int64)):
        raise _err(name, "a 1-D tensor (or sequence) of times", value, where)
    return sorted(float(x) for x in t.cpu().double().tolist())


def _check(name: str, value: Any, where: str) -> Any:  # noqa: C901 - one case per option
    if name == "first_step":
        return None if value is None else _positive(name, value, where)
    if name == "min_step":
        return _positive(name, value, where, allow_zero=True)
    if name == "max_step":
        return _positive(name, value, where, allow_inf=True)
    if name == "safety":
        x = _as_float(value, name, where)
        if not 0 < x <= 1:
            raise _err(name, "in (0, 1]", value, where)
        return x
    if name == "ifactor":
        x = _as_float(value, name, where)
        if not x >= 1:
            raise _err(name, ">= 1", value, where)
        return x
    if name == "dfactor":
        x = _as_float(value, name, where)
        if not 0 < x <= 1:
            raise _err(name, "in (0, 1]", value, where)
        return x
    if name in ("max_num_steps", "max_iters", "max_order"):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise _err(name, "an integer >= 1", value, where)
        if name == "max_order" and value > 12:
            raise _err(name, "an integer in [1, 12]", value, where)
        return value
    if name == "dtype":
        if not isinstance(value, torch.dtype) or not value.is_floating_point:
            raise _err(name, "a floating torch.dtype", value, where)
        return value
    if name in ("step_t", "jump_t"):
        return _times(name, value, where)
    if name in ("norm", "grid_constructor"):
        if value is not None and not callable(value):
            raise _err(name, "a callable or None", value, where)
        return value
    if name == "step_size":
        return None if value is None else _positive(name, value, where)
    if name == "interp":
        if value not in ("linear", "cubic"):
            raise _err(name, "'linear' or 'cubic'", value, where)
        return value
    if name == "perturb":
        if not isinstance(value, bool):
            raise _err(name, "a bool", value, where)
        return value
    if name == "solver":
        if value not in SCIPY_SOLVERS:
            raise _err(name, f"one of {SCIPY_SOLVERS}", value, where)
        return value
    if name == "stats":
        if value is not None and not isinstance(value, SolverStats):
            raise TypeError(
                f"The 'stats' option of {where} must be a tsgrad.ode.SolverStats. "
                f"Got {type(value).__name__} instead."
            )
        return value
    if name == "batch_dim":
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise _err(name, "an int (the batch dimension of the state) or None", value, where)
        return value
    raise AssertionError(f"no validator for option {name!r}")  # internal invariant


def parse_options(
    kind: str, options: dict[str, Any] | None, method: str, where: str = "odeint"
) -> dict[str, Any]:
    """Validate ``options`` for a method family and fill in the defaults.

    Parameters
    ----------
    kind : {"adaptive", "fixed", "adams", "scipy"}
    options : dict or None
    method : str
        The method name, for the error message.

    Returns
    -------
    dict
        Every option of the family, validated, with defaults for those not given.
    """
    if options is None:
        options = {}
    if not isinstance(options, dict):
        raise TypeError(
            f"The 'options' parameter of {where} must be a dict or None. "
            f"Got {type(options).__name__} instead."
        )
    defaults = DEFAULTS[kind]
    out = dict(defaults)
    for key, value in options.items():
        if key not in defaults:
            hint = ""
            if key in _RENAMED:
                hint = f" This torchdiffeq option is now called {_RENAMED[key]}."
            raise ValueError(
                f"Unknown option {key!r} for method {method!r} in {where}. "
                f"Valid options: {sorted(defaults)}.{hint}"
            )
        out[key] = _check(key, value, where)
    if kind == "adaptive" and out["min_step"] > out["max_step"]:
        raise ValueError(
            f"The 'min_step' option of {where} must be <= 'max_step'. "
            f"Got min_step={out['min_step']} and max_step={out['max_step']} instead."
        )
    if kind in ("fixed", "adams"):
        if out["step_size"] is not None and out["grid_constructor"] is not None:
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

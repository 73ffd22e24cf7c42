"""Problems with closed-form solutions, shared by the ODE tests.

Each problem has ``f(t, y)``, ``y0``, an interval and ``exact(t)`` (shape ``(len(t), *S)``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.linalg
import torch

F64 = torch.float64


@dataclass
class Problem:
    name: str
    f: Callable
    y0: torch.Tensor
    t0: float
    t1: float
    exact: Callable

    def times(self, n: int = 7, reverse: bool = False, dtype=F64) -> torch.Tensor:
        t = torch.linspace(self.t0, self.t1, n, dtype=dtype)
        return t.flip(0) if reverse else t

    def start(self, t: torch.Tensor) -> torch.Tensor:
        return self.exact(t[:1])[0].to(self.y0.dtype)


def _constant():
    a, b = 0.2, 3.0
    return Problem(
        "constant",
        lambda t, y: a + (y - (a * t + b)) ** 5,
        torch.full((2,), b + a, dtype=F64),
        1.0,
        8.0,
        lambda t: (a * t + b)[:, None].expand(-1, 2),
    )


def _sine():
    def exact(t):
        return (
            -0.5 * t**4 * torch.cos(2 * t)
            + 0.5 * t**3 * torch.sin(2 * t)
            + 0.25 * t**2 * torch.cos(2 * t)
            - t**3
            + 2 * t**4
            + (math.pi - 0.25) * t**2
        )[:, None]

    return Problem(
        "sine",
        lambda t, y: 2 * y / t + t**4 * torch.sin(2 * t) - t**2 + 4 * t**3,
        exact(torch.tensor([1.0], dtype=F64))[0],
        1.0,
        4.0,
        exact,
    )


def _linear():
    gen = torch.Generator().manual_seed(0)
    u = torch.randn(4, 4, generator=gen, dtype=F64) * 0.5
    a = u - u.T - 0.1 * torch.eye(4, dtype=F64)  # damped rotation
    y0 = torch.ones(4, dtype=F64)
    a_np = a.numpy()

    def exact(t):
        rows = [scipy.linalg.expm(a_np * float(s)) @ np.ones(4) for s in t]
        return torch.tensor(np.stack(rows), dtype=F64)

    return Problem("linear_expm", lambda t, y: a @ y, y0, 0.0, 3.0, exact)


def _exponential():
    k = torch.tensor([0.5, -1.0, 1.5], dtype=F64)
    return Problem(
        "exponential",
        lambda t, y: k * y,
        torch.ones(3, dtype=F64),
        0.0,
        2.0,
        lambda t: torch.exp(t[:, None] * k),
    )


def _time_dependent():
    return Problem(
        "exp_sin",
        lambda t, y: y * torch.cos(t),
        torch.ones(2, dtype=F64),
        0.0,
        3.0,
        lambda t: torch.exp(torch.sin(t))[:, None].expand(-1, 2),
    )


PROBLEMS = [_constant(), _sine(), _linear(), _exponential(), _time_dependent()]
PROBLEM_IDS = [p.name for p in PROBLEMS]

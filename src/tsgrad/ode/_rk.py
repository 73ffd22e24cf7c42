"""One explicit Runge-Kutta step for any registered tableau, and its dense output.

The stepper turns a :class:`~tsgrad.ode._tableaus.ButcherTableau` into tensor operations:
each stage is ``y0 + sum_j (h a_ij) k_j`` accumulated in place with Python-float weights (no
per-stage tensor of coefficients, no host synchronisation), zero coefficients are skipped,
and the error estimate is computed without building an autograd graph.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from ._interp import combine, hermite_weights, linear_weights, polynomial_weights
from ._tableaus import ButcherTableau

__all__ = ["RKStepper", "Step"]


@dataclass
class Step:
    """An attempted step from ``t0`` to ``t0 + h`` (internal, increasing time)."""

    t0: float
    h: float
    y0: torch.Tensor
    y1: torch.Tensor
    f0: torch.Tensor
    k: list[torch.Tensor] = field(default_factory=list)
    f1: torch.Tensor | None = None
    err: torch.Tensor | None = None
    t1: float = math.nan  # exact end time (the clip target), set by the loop
    f0_t: float = math.nan  # time at which f0 was evaluated (nudged after a jump)
    end_perturb: bool = False


def _lincomb(base: torch.Tensor | None, k: list[torch.Tensor], coeffs, h: float):
    """``base + sum_j (h a_j) k_j``.

    The small increments are summed first and added to ``base`` once: in float32 this
    rounds once at the magnitude of ``y`` per stage instead of once per term.
    """
    if not coeffs:
        return base
    (j0, a0), rest = coeffs[0], coeffs[1:]
    acc = k[j0] * (h * a0)
    for j, a in rest:
        acc.add_(k[j], alpha=h * a)
    return acc if base is None else base + acc


class RKStepper:
    """Explicit Runge-Kutta stepping for ``tableau``.

    Parameters
    ----------
    tableau : ButcherTableau
    func : callable
        Internal right-hand side ``f(t, y)`` with ``t`` a Python float.
    interp : {"dense", "hermite", "linear"}
        Dense output inside a step: the tableau's continuous extension, cubic Hermite (uses
        ``f1``, which is reused as the next step's first stage) or linear.
    perturb : bool
        Evaluate the first stage just after ``t0`` and stages at ``c = 1`` just before
        ``t1`` (``nextafter``), for right-hand sides with jumps at step boundaries.
    nudge : callable, optional
        ``nudge(t, toward)``: the next representable time after ``t`` in the time dtype
        (default: float64 ``math.nextafter``).
    """

    def __init__(
        self,
        tableau: ButcherTableau,
        func: Callable,
        interp: str = "dense",
        perturb: bool = False,
        nudge: Callable[[float, float], float] | None = None,
    ):
        self.tableau = tableau
        self.func = func
        self.perturb = perturb
        self.nudge = nudge or math.nextafter
        self.nfe = 0
        if interp == "dense" and tableau.dense is None:
            interp = "hermite"
        self.interp_kind = interp
        self.order = tableau.order
        self._a = [[(j, a) for j, a in enumerate(row) if a != 0.0] for row in tableau.a]
        self._b = [(j, b) for j, b in enumerate(tableau.b) if b != 0.0]
        self._e = (
            None
            if tableau.b_err is None
            else [(j, e) for j, e in enumerate(tableau.b_err) if e != 0.0]
        )
        self._dense = (
            None if tableau.dense is None else torch.tensor(tableau.dense, dtype=torch.float64)
        )

    def eval(self, t: float, y: torch.Tensor) -> torch.Tensor:
        self.nfe += 1
        return self.func(t, y)

    def step(
        self,
        t0: float,
        h: float,
        y0: torch.Tensor,
        f0: torch.Tensor,
        end_perturb: bool = False,
        with_error: bool = True,
    ) -> Step:
        """Attempt one step; ``end_perturb`` nudges stages at ``c = 1`` before ``t0 + h``."""
        tab = self.tableau
        k = [f0]
        yi = y0
        t1 = t0 + h
        for i in range(1, tab.stages):
            yi = _lincomb(y0, k, self._a[i], h)
            c = tab.c[i]
            ti = t1 if c == 1.0 else t0 + c * h
            if c == 1.0 and (end_perturb or self.perturb):
                ti = self.nudge(t1, t0)
            k.append(self.eval(ti, yi))
        if tab.fsal:
            y1, f1 = yi, k[-1]
        else:
            y1, f1 = _lincomb(y0, k, self._b, h), None
        err = None
        if with_error and self._e is not None:
            with torch.no_grad():
                err = _lincomb(None, [x.detach() for x in k], self._e, h)
        return Step(t0=t0, h=h, y0=y0, y1=y1, f0=f0, k=k, f1=f1, err=err)

    def end_derivative(self, st: Step) -> torch.Tensor:
        """``f(t1, y1)``, computed once and cached on the step."""
        if st.f1 is None:
            st.f1 = self.eval(self.nudge(st.t1, st.t0) if self.perturb else st.t1, st.y1)
        return st.f1

    def interp(self, st: Step, thetas: list[float]) -> torch.Tensor:
        """States at ``t0 + theta*h`` for each theta in (0, 1], shape (n, *y.shape)."""
        if self.interp_kind == "dense":
            w = polynomial_weights(thetas, self._dense, st.h)
            return combine(w, [st.y0, *st.k])
        if self.interp_kind == "linear":
            return combine(linear_weights(thetas), [st.y0, st.y1])
        f1 = self.end_derivative(st)
        return combine(hermite_weights(thetas, st.h), [st.y0, st.f0, st.y1, f1])

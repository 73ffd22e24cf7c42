"""One explicit Runge-Kutta step for any registered tableau, and its dense output.

The stepper turns a :class:`~tsgrad.ode._tableaus.ButcherTableau` into tensor operations:
each stage is ``y0 + sum_j (h a_ij) k_j`` accumulated in place with Python-float weights (no
per-stage tensor of coefficients, no host synchronisation), zero coefficients are skipped,
and the error estimate is computed without building an autograd graph. The same code runs
a joint step (float ``t0``, ``h``) and a per-sample one (``h`` a tensor per sample).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from ._interp import combine, combine_rows, hermite_weights, linear_weights, polynomial_weights
from ._step import Step, lincomb
from ._tableaus import ButcherTableau

__all__ = ["RKStepper"]


class RKStepper:
    """Explicit Runge-Kutta stepping for ``tableau``.

    Parameters
    ----------
    tableau : ButcherTableau
    func : callable
        Internal right-hand side ``f(t, y)``: ``t`` a Python float (joint solve) or a tensor
        of per-sample times (per-sample solve).
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
        self._interp_arg = interp
        self.perturb = perturb
        self.nudge = nudge or math.nextafter
        self.nfe = 0
        if interp == "dense" and tableau.dense is None:
            interp = "hermite"
        self.interp_kind = interp
        self.order = tableau.order
        self.error_order = tableau.error_order
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
        self._rows_cache = None  # (dense^T, powers) on the state's device

    def fresh(self) -> RKStepper:
        """A new stepper of the same method (for a replay)."""
        return RKStepper(self.tableau, self.func, self._interp_arg, self.perturb, self.nudge)

    def eval(self, t, y: torch.Tensor) -> torch.Tensor:
        self.nfe += 1
        return self.func(t, y)

    def step(self, t0, h, y0: torch.Tensor, f0: torch.Tensor, end_perturb=False, with_error=True):
        """Attempt one step; ``end_perturb`` nudges stages at ``c = 1`` before ``t0 + h``."""
        tab = self.tableau
        k = [f0]
        yi = y0
        t1 = t0 + h
        for i in range(1, tab.stages):
            yi = lincomb(y0, k, self._a[i], h)
            c = tab.c[i]
            ti = t1 if c == 1.0 else t0 + c * h
            if c == 1.0 and (end_perturb or self.perturb):
                ti = self.nudge(t1, t0)
            k.append(self.eval(ti, yi))
        if tab.fsal:
            y1, f1 = yi, k[-1]
        else:
            y1, f1 = lincomb(y0, k, self._b, h), None
        err = None
        if with_error and self._e is not None:
            with torch.no_grad():
                err = lincomb(None, [x.detach() for x in k], self._e, h)
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

    @property
    def has_dense_rows(self) -> bool:
        """Whether :meth:`interp_rows` (per-sample dense output) is available."""
        return self.interp_kind == "dense"

    def interp_rows(self, st: Step, thetas: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
        """Per-sample dense output: the state of sample ``rows[n]`` at ``t0 + thetas[n] h``
        of that sample's step, shape (n, *y.shape[1:])."""
        if self._rows_cache is None or self._rows_cache[0].device != thetas.device:
            dense = self._dense.to(thetas.device)
            powers = torch.arange(1, dense.shape[1] + 1, dtype=torch.float64, device=dense.device)
            self._rows_cache = (dense.T.contiguous(), powers)
        dense_t, powers = self._rows_cache
        h = st.h.reshape(-1)[rows].to(torch.float64)
        w = (thetas.to(torch.float64)[:, None] ** powers @ dense_t) * h[:, None]  # (n, s)
        stages = torch.stack(st.k, dim=1)[rows]  # (n, s, ...): one gather
        return st.y0[rows] + combine_rows(w, stages)

"""One implicit Runge-Kutta step on a fixed grid: Newton on the stage equations.

The stage values ``Z_i = y0 + h sum_j a_ij f(t0 + c_i h, Z_j)`` are found by simplified
Newton iterations with the Jacobian ``J`` of ``func`` at the step's start
(:mod:`~tsgrad.ode._jacobian`: autograd, batched LU):

* a diagonally implicit method solves its stages in turn, ``(I - h a_ii J) dZ_i = -R_i``
  (an explicit first stage is ``f(t0, y0)``); the stage derivative is recovered as
  ``(Z_i - y0 - h sum_{j<i} a_ij K_j) / (h a_ii)``, which does not amplify the Newton error
  by the stiffness as ``f(Z_i)`` would;
* a fully implicit method solves all stages at once, ``(I - h A (x) J) dW = -R`` for the
  increments ``W = Z - y0``, and ends with ``y1 = y0 + b^T A^-1 W``.

Newton stops when the estimated error ``theta / (1 - theta) |dZ|`` (``theta`` the
contraction rate) is below ``kappa (atol + rtol |y0|)`` (RMS; :func:`newton_tolerance`);
after ``max_iters`` iterations without convergence, or on divergence, a step with a fresh
Jacobian is tried, then the step is kept with a warning, as torchdiffeq does. The
Jacobian and the factors of the Newton matrices are kept from step to step while Newton
contracts fast (rate below 0.1); a slow or failed iteration refreshes them.

Gradients: the iterations run without autograd; a differentiable final Newton step with the
*exact* Jacobian at the converged stages, ``Z = Z* - M^-1 R(Z*)``, has the implicit function
theorem's derivative ``dZ = -M^-1 dR``, so backpropagation (and the checkpointed route) get
the gradient of the exact discrete step at the cost of one Jacobian per stage.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import torch

from ._interp import combine, hermite_weights, linear_weights
from ._step import Step, lincomb
from ._tableaus import ImplicitTableau

__all__ = ["ImplicitRKStepper", "newton_tolerance"]

_REFRESH_RATE = 0.1  # a slower Newton contraction refreshes the Jacobian for the next step


def newton_tolerance(rtol: float, atol: float, dtype: torch.dtype) -> tuple[float, float, float]:
    """``(rtol, atol, kappa)`` of the Newton iterations: the error scale (floored above the
    dtype's rounding) and the target in its units, ``max(10 eps / rtol, min(0.03,
    sqrt(rtol)))`` (Hairer's RADAU5, as in SciPy)."""
    eps = torch.finfo(dtype).eps
    rtol, atol = max(rtol, eps), max(atol, torch.finfo(dtype).tiny)
    return rtol, atol, max(10 * eps / rtol, min(0.03, math.sqrt(rtol)))


def _rms(x: torch.Tensor) -> float:
    return float(torch.linalg.vector_norm(x) / math.sqrt(max(x.numel(), 1)))


class ImplicitRKStepper:
    """Fixed-grid steps of an implicit Runge-Kutta ``tableau``.

    Parameters
    ----------
    tableau : ImplicitTableau
    func : callable
        Internal right-hand side ``f(t, y)`` (``t`` a Python float).
    jacobian : callable
        ``jacobian(t, y) -> BlockJacobian``.
    rtol, atol : float
        The Newton iterations' tolerance (floored by :func:`newton_tolerance`).
    max_iters : int
        Newton iterations per stage system.
    interp : {"linear", "hermite"}
        Output between grid points.
    perturb : bool
        Evaluate just inside each step (for jumps at grid points).
    nudge : callable
        ``nudge(t, toward)``: the next representable time.
    """

    def __init__(
        self,
        tableau: ImplicitTableau,
        func: Callable,
        jacobian: Callable,
        *,
        rtol: float,
        atol: float,
        max_iters: int,
        interp: str = "linear",
        perturb: bool = False,
        nudge: Callable[[float, float], float] = math.nextafter,
    ):
        self.tableau, self.func, self.jacobian = tableau, func, jacobian
        self.rtol, self.atol, self.max_iters = rtol, atol, max_iters
        self.interp_kind, self.perturb, self.nudge = interp, perturb, nudge
        self.order = tableau.order
        self.nfe = 0
        self.warned = False
        self._jac = None  # (Jacobian, {coefficient: factor}), kept while Newton is fast
        self._rate, self._failed, self._kappa = 0.0, False, 0.03
        a = torch.tensor(tableau.a, dtype=torch.float64)
        self._a = a
        if not tableau.diagonally_implicit:
            # y1 = y0 + b^T A^-1 W: the weights on the increments
            self._d = torch.linalg.solve(a.T, torch.tensor(tableau.b, dtype=torch.float64))
            self._a_inv = torch.linalg.inv(a)

    def fresh(self) -> ImplicitRKStepper:
        """A new stepper of the same method (for a replay)."""
        return ImplicitRKStepper(
            self.tableau,
            self.func,
            self.jacobian,
            rtol=self.rtol,
            atol=self.atol,
            max_iters=self.max_iters,
            interp=self.interp_kind,
            perturb=self.perturb,
            nudge=self.nudge,
        )

    @property
    def njev(self) -> int:
        return self.jacobian.njev

    def eval(self, t, y: torch.Tensor) -> torch.Tensor:
        self.nfe += 1
        return self.func(t, y)

    def _stage_time(self, t0: float, h: float, c: float, end_perturb: bool) -> float:
        if c == 1.0:
            t1 = t0 + h
            return self.nudge(t1, t0) if (end_perturb or self.perturb) else t1
        if c == 0.0 and self.perturb:
            return self.nudge(t0, t0 + h)
        return t0 + c * h

    def step(self, t0, h, y0, f0, end_perturb=False, with_error=False) -> Step:
        """One step; the stages are solved by Newton (see the module docstring)."""
        grad = torch.is_grad_enabled() and (y0.requires_grad or f0.requires_grad)
        rtol, atol, self._kappa = newton_tolerance(self.rtol, self.atol, y0.dtype)
        scale = (atol + rtol * y0.detach().abs()).reshape(-1)
        times = [self._stage_time(t0, h, c, end_perturb) for c in self.tableau.c]
        solve = self._dirk if self.tableau.diagonally_implicit else self._firk
        for retry in (False, True):
            fresh = retry or self._jac is None or self._rate > _REFRESH_RATE
            if fresh:
                t_jac = self.nudge(t0, t0 + h) if self.perturb else t0
                self._jac = (self.jacobian(t_jac, y0), {})
            self._rate, self._failed = 0.0, False
            y1 = solve(times, h, y0, f0, self._jac[0], scale, grad)
            if not self._failed or fresh:
                break
        if self._failed and not self.warned:
            self.warned = True
            warnings.warn(
                f"The Newton iterations of {self.tableau.name!r} did not converge within "
                f"max_iters={self.max_iters}; the solution may be inaccurate. Try a smaller "
                "step_size or a larger options['max_iters'].",
                RuntimeWarning,
                stacklevel=4,
            )
        return Step(t0=t0, h=h, y0=y0, y1=y1, f0=f0)

    # -- Newton ---------------------------------------------------------------------------

    def _newton(self, residual, x: torch.Tensor, factor, scale: torch.Tensor) -> torch.Tensor:
        """Simplified Newton on ``residual(x) = 0`` from ``x`` (shape (s, n)), no autograd.

        Converged when ``rate / (1 - rate) |dx| <= kappa`` (scaled RMS); a rate >= 1 or an
        iteration count that cannot reach it is a failure (``self._failed``).
        """
        kappa, previous = self._kappa, None
        for k in range(self.max_iters):
            dx = -factor.solve(residual(x)).to(x.dtype)
            size = _rms(dx / scale)
            if not math.isfinite(size):
                break
            x = x + dx
            if size <= 0.1 * kappa:  # far below the target (or at rounding, rate noisy)
                return x
            if previous is not None:
                rate = size / previous
                self._rate = max(self._rate, rate)
                if rate >= 1 or rate ** (self.max_iters - k) / (1 - rate) * size > kappa:
                    break
                if rate / (1 - rate) * size <= kappa:
                    return x
            previous = size
        self._rate, self._failed = math.inf, True
        return x

    def _dirk(self, times, h, y0, f0, jac, scale, grad):
        tab = self.tableau
        shape = y0.shape
        k: list[torch.Tensor] = []
        factors = self._jac[1]
        z = y0
        for i in range(tab.stages):
            if i == 0 and tab.explicit_first:
                k.append(f0)
                continue
            g = h * tab.a[i][i]
            base = lincomb(y0, k, [(j, a) for j, a in enumerate(tab.a[i][:i]) if a != 0.0], h)
            ti = times[i]
            if g not in factors:
                if len(factors) > 8:  # step sizes come and go (the last step of a grid)
                    factors.clear()
                factors[g] = jac.factor(torch.tensor([[g]], dtype=torch.float64))
            base_d = base.detach()
            guess = base_d + g * (k[-1] if k else f0).detach()

            def residual(x, ti=ti, base_d=base_d, g=g):
                z_ = x.reshape(shape)
                return (z_ - base_d - g * self.eval(ti, z_)).reshape(1, -1)

            with torch.no_grad():
                z_star = self._newton(residual, guess.reshape(1, -1), factors[g], scale)
            z_star = z_star.reshape(shape)
            if grad:  # one differentiable Newton step with the exact Jacobian at Z*
                exact = jac.factor(
                    torch.tensor([[g]], dtype=torch.float64), [self.jacobian(ti, z_star)]
                )
                r = z_star - base - g * self.eval(ti, z_star)
                z = z_star - exact.solve(r.reshape(1, -1)).to(r.dtype).reshape(shape)
            else:
                z = z_star
            k.append((z - base) / g)
        if tab.stiffly_accurate:
            return z
        return lincomb(y0, k, [(j, b) for j, b in enumerate(tab.b) if b != 0.0], h)

    def _firk(self, times, h, y0, f0, jac, scale, grad):
        tab = self.tableau
        s, shape = tab.stages, y0.shape
        a = self._a.to(device=y0.device, dtype=y0.dtype)
        coeff = h * self._a
        factors = self._jac[1]
        if h not in factors:
            factors.clear()  # one step size at a time
            factors[h] = jac.factor(coeff)
        factor = factors[h]
        y0_d = y0.detach()

        def stage_f(w, y_base):
            return torch.stack(
                [self.eval(times[i], (y_base + w[i].reshape(shape))).reshape(-1) for i in range(s)]
            )

        def residual(w):
            return w - h * (a @ stage_f(w, y0_d))

        c = torch.tensor(tab.c, dtype=y0.dtype, device=y0.device)
        guess = (h * c[:, None]) * f0.detach().reshape(1, -1)
        with torch.no_grad():
            w_star = self._newton(residual, guess, factor, scale)
        if grad:
            stages = [self.jacobian(times[i], y0_d + w_star[i].reshape(shape)) for i in range(s)]
            exact = jac.factor(coeff, stages)
            r = w_star - h * (a @ stage_f(w_star, y0))
            w = w_star - exact.solve(r).to(r.dtype)
        else:
            w = w_star
        d = self._d.to(device=y0.device, dtype=y0.dtype)
        return y0 + (d @ w).reshape(shape)

    # -- output between grid points -------------------------------------------------------

    def end_derivative(self, st: Step) -> torch.Tensor:
        """``f(t1, y1)``, computed once and cached on the step."""
        if st.f1 is None:
            st.f1 = self.eval(self.nudge(st.t1, st.t0) if self.perturb else st.t1, st.y1)
        return st.f1

    def interp(self, st: Step, thetas: list[float]) -> torch.Tensor:
        """States at ``t0 + theta*h`` for each theta in (0, 1], shape (n, *y.shape)."""
        if self.interp_kind == "linear":
            return combine(linear_weights(thetas), [st.y0, st.y1])
        f1 = self.end_derivative(st)
        return combine(hermite_weights(thetas, st.h), [st.y0, st.f0, st.y1, f1])

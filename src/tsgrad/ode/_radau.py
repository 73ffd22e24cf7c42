"""``method="radau"``: the adaptive, L-stable Radau IIA method of order 5 for stiff problems.

This is Hairer & Wanner's RADAU5 (Solving ODEs II, IV.8), the algorithm of SciPy's
``Radau``, on tensors: batched over samples, with gradients.

* **The method is the registered ``radauIIA5`` tableau.** Everything else is derived from it
  (:func:`radau_constants`): the real eigenvalue ``mu`` and the complex pair of ``A^-1`` and
  the basis ``T`` that block-diagonalises it, the embedded third-order error estimate
  ``err = (I - h/mu J)^-1 (h/mu f0 + e . Z)`` (weights from the order conditions with
  ``b0 = 1/mu``), and the collocation polynomial used for dense output.
* **Newton.** The three stage equations are solved by simplified Newton in the basis ``T``
  (``W = T^-1 Z``), where the ``3d x 3d`` Newton matrix ``I - h A (x) J`` falls apart into
  one real ``d x d`` system (``mu/h I - J``, also the error estimate's) and one complex
  ``d x d`` system (``(alpha - i beta)/h I - J``): two small factorisations per step size
  and Jacobian instead of one three times as large, kept while ``h`` and ``J`` stay; the
  iterations stop on SciPy's convergence and divergence tests (at most 6), a failure
  refreshes a stale Jacobian and then halves the step.
* **Jacobian reuse.** ``J`` (batched autograd, :mod:`~tsgrad.ode._jacobian`) is recomputed
  only after a step whose Newton iterations were slow (more than 2 and rate > 1e-3), as in
  RADAU5; the controller keeps ``h`` (and so the factors) when it would change it by
  less than 20 %.
* **Batches.** With per-sample step control (``options={"batch_dim": d}``) every sample has
  its own ``h``, Newton convergence, Jacobian block and error test; the linear algebra is
  one batched ``torch.linalg`` call for the whole batch, and only the samples whose ``h``
  or ``J`` changed are factored again.
* **Gradients.** Newton runs without autograd; in autograd mode one last Newton step with
  the exact stage Jacobians makes the stages differentiable (implicit function theorem), for
  backpropagation and the checkpointed route; the adjoint uses the method on the adjoint
  system with its own Jacobian.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from ._control import StepSizeController
from ._interp import combine, combine_rows
from ._jacobian import INVERSE_SIZE, BlockJacobian, NewtonFactor
from ._step import Step
from ._tableaus import ImplicitTableau

__all__ = ["RadauController", "RadauStepper", "RadauSystems", "radau_constants"]

NEWTON_MAXITER = 6


@dataclass(frozen=True)
class RadauConstants:
    """What RADAU5 derives from the Radau IIA(5) tableau (float64 tensors)."""

    c: torch.Tensor  # (3,) stage times
    a: torch.Tensor  # (3, 3) the Butcher matrix
    mu_real: float  # the real eigenvalue of A^-1
    mu_complex: complex  # alpha - i beta, from the complex pair of A^-1
    t: torch.Tensor  # (3, 3) basis: A^-1 = T blockdiag(mu, [[alpha, beta], [-beta, alpha]]) T^-1
    ti: torch.Tensor  # (3, 3) its inverse
    e: torch.Tensor  # (3,) error weights on Z, divided by 1/mu (SciPy's E)
    p: torch.Tensor  # (3, 3) dense output: y(t0 + x h) = y0 + sum_k (Z^T P)_k x^(k+1)


def radau_constants(tableau: ImplicitTableau) -> RadauConstants:
    """Derive RADAU5's constants from a 3-stage Radau IIA tableau."""
    a = np.array(tableau.a)
    c = np.array(tableau.c)
    b = np.array(tableau.b)
    a_inv = np.linalg.inv(a)
    lam, vec = np.linalg.eig(a_inv)
    ir, ic = int(np.argmin(np.abs(lam.imag))), int(np.argmax(lam.imag))
    mu_real = float(lam[ir].real)
    basis = np.column_stack([vec[:, ir].real, vec[:, ic].real, vec[:, ic].imag])
    # The embedded solution: y0 + h (b0 f0 + sum b_hat_i f(Y_i)), b0 = 1/mu, of order 3.
    b0 = 1.0 / mu_real
    b_hat = np.linalg.solve(np.vstack([np.ones(3), c, c**2]), np.array([1 - b0, 0.5, 1 / 3]))
    e = a_inv.T @ (b_hat - b) / b0
    dense = np.linalg.inv(np.column_stack([c, c**2, c**3])).T

    def tensor(x):
        return torch.tensor(np.real(x), dtype=torch.float64)

    return RadauConstants(
        c=tensor(c),
        a=tensor(a),
        mu_real=mu_real,
        mu_complex=complex(lam[ic].conjugate()),
        t=tensor(basis),
        ti=tensor(np.linalg.inv(basis)),
        e=tensor(e),
        p=tensor(dense),
    )


ELEMENTWISE_SIZE = 8  # unknowns per sample up to which a solve is a broadcast product


class RadauSystems:
    """The factored Newton systems of one step size and Jacobian, per sample.

    In the basis ``T`` the Newton matrix is ``I - h Lambda^-1 (x) J`` with ``h Lambda^-1 =
    blockdiag(h/mu, [[g_r, -g_i], [g_i, g_r]])``, ``g = h/mu_c``: one real system ``I - h/mu J``
    and one complex system ``I - h/mu_c J`` of ``d`` unknowns, factored by
    :meth:`BlockJacobian.factor <tsgrad.ode._jacobian.BlockJacobian.factor>`.

    Where ``J`` is one set of small per-sample blocks (at most :data:`ELEMENTWISE_SIZE`
    unknowns) the two inverses are kept as columns ``(d, d, B)``, the batch last, and a
    solve is one broadcast multiply and sum over the batch: for a large batch of small
    systems this is several times cheaper than a batched matrix product, whose cost is per
    matrix. Other Jacobians (several parts, zero blocks, larger blocks) solve with
    :class:`~tsgrad.ode._jacobian.NewtonFactor`.
    """

    def __init__(self, real: NewtonFactor | None, cplx: NewtonFactor | None, cols=None):
        self.real, self.cplx, self.cols = real, cplx, cols

    @classmethod
    def factor(cls, jac: BlockJacobian, h: torch.Tensor, k: RadauConstants) -> RadauSystems:
        """Factors for the step sizes ``h`` (float64, (B, 1, 1))."""
        real = jac.factor(h / k.mu_real)
        cplx = jac.factor(h / k.mu_complex)
        (part, *more) = jac.parts
        small = (
            not more
            and part.blocks is not None
            and part.batch_dim in (None, 0)
            and part.stop - part.start == jac.n
            and part.blocks.shape[-1] <= min(ELEMENTWISE_SIZE, INVERSE_SIZE)
        )
        if not small:
            return cls(real, cplx)
        cols = tuple(f.lus[0][0].permute(1, 2, 0).contiguous() for f in (real, cplx))
        return cls(None, None, cols)

    def merged(self, other: RadauSystems, rows: torch.Tensor) -> RadauSystems:
        """These factors with the samples ``rows`` taken from ``other``."""
        if self.cols is not None:
            cols = zip(self.cols, other.cols, strict=True)
            return RadauSystems(None, None, tuple(a.index_copy(2, rows, b) for a, b in cols))
        return RadauSystems(self.real.merged(other.real, rows), self.cplx.merged(other.cplx, rows))

    def solve(self, r: torch.Tensor) -> torch.Tensor:
        """``(I - h Lambda^-1 (x) J)^-1 r`` for stages ``r`` as columns (3, d, B)."""
        if self.cols is not None:
            real, cplx = self.cols
            d_real = (real * r[0]).sum(1)
            d_cplx = (cplx * torch.complex(r[1], r[2])).sum(1)
        else:
            d_real = self.real.solve(r[0].T.reshape(1, -1)).reshape(r.shape[2], -1).T
            rc = torch.complex(r[1], r[2]).T.reshape(1, -1)
            d_cplx = self.cplx.solve(rc).reshape(r.shape[2], -1).T
        return torch.stack([d_real, d_cplx.real, d_cplx.imag]).to(r.dtype)

    def solve_real(self, v: torch.Tensor) -> torch.Tensor:
        """``(I - h/mu J)^-1 v`` for columns ``v`` (d, B)."""
        if self.cols is not None:
            return (self.cols[0] * v).sum(1)
        out = self.real.solve(v.T.reshape(1, -1)).reshape(v.shape[1], -1).T
        return out.to(v.dtype)


class RadauStepper:
    """RADAU5 steps; joint (float ``t0``, ``h``) or per sample (batch-first state, ``h`` a
    tensor ``(B, 1, ..., 1)``, ``0`` for a finished sample).

    Inside, a state is held as columns ``(d, B)``, the batch last, and the stages as ``(3,
    d, B)`` (``B = 1``, ``d = n`` for a joint state), so one code path serves both: the
    stage mixing (``T``, ``T^-1``, ``A``) is one small matrix product and the per-sample
    masks, scalars (``(B,)`` tensors) and small solves broadcast along the contiguous batch.

    Parameters
    ----------
    tableau : ImplicitTableau
        Radau IIA of order 5 (``radauIIA5``).
    func : callable
        Internal right-hand side ``f(t, y)``.
    jacobian : callable
        ``jacobian(t, y) -> BlockJacobian``.
    controller : StepSizeController
        Its ``scale`` and ``rtol`` set the Newton tolerance and judge the second error
        estimate after a rejection.
    per_sample : bool
        One time, step size and Newton convergence per sample (the state is batch-first).
    """

    order = 5
    error_order = 3
    perturb = False
    has_dense_rows = True

    def __init__(self, tableau, func: Callable, jacobian, controller, per_sample: bool = False):
        self.tableau, self.func, self.jacobian = tableau, func, jacobian
        self.controller, self.per_sample = controller, per_sample
        self.k = radau_constants(tableau)
        self.nfe = 0
        self.nlu = 0
        self.nudge = math.nextafter
        self._jac = None  # BlockJacobian at the step start of ``_current`` samples
        self._current = None  # (B,) bool: J was evaluated at this sample's step start
        self._lu = None  # (h key, RadauSystems)
        self._refactor = None  # (B,) samples whose J changed since their factorisation
        self._last = None  # the previous attempt: (t0 as given, t0, y0, Z, h, recompute)
        self._prev = None  # the last accepted step, per sample: (t0, h, y0, Z, known)
        self._cache = {}  # constants in the state's dtype, the Newton tolerance

    def fresh(self) -> RadauStepper:
        """A new stepper (no Jacobian, factors or history: for a replay)."""
        return RadauStepper(
            self.tableau, self.func, self.jacobian, self.controller, self.per_sample
        )

    @property
    def njev(self) -> int:
        return self.jacobian.njev

    def eval(self, t, y: torch.Tensor) -> torch.Tensor:
        self.nfe += 1
        return self.func(t, y)

    # -- layout ---------------------------------------------------------------------------

    def _cols(self, x: torch.Tensor) -> torch.Tensor:
        """A state-shaped tensor as columns (d, B) (a view)."""
        return x.reshape(x.shape[0], -1).T if self.per_sample else x.reshape(-1, 1)

    @staticmethod
    def _state(x: torch.Tensor, shape) -> torch.Tensor:
        """Columns (d, B) as a contiguous state of ``shape``."""
        return x.T.contiguous().reshape(shape)

    def _per_sample(self, v, batch: int, like: torch.Tensor) -> torch.Tensor:
        """Time / step (float, or a tensor with one value per sample) as (B,)."""
        if isinstance(v, torch.Tensor):
            return v.reshape(batch).to(like.dtype)
        return torch.full((batch,), v, dtype=like.dtype, device=like.device)

    @staticmethod
    def _norm(x: torch.Tensor) -> torch.Tensor:
        """RMS per sample (B,) of columns (d, B) or stages (3, d, B)."""
        return x.square().reshape(-1, x.shape[-1]).mean(0).sqrt()

    def _constants(self, like: torch.Tensor) -> dict:
        """RADAU5's constants in the state's dtype and device (cached)."""
        key = (like.dtype, like.device)
        if self._cache.get("key") != key:
            k, as_ = self.k, dict(dtype=like.dtype, device=like.device)
            self._cache = {
                "key": key,
                "t": k.t.to(**as_),  # W -> Z
                "ti": k.ti.to(**as_),  # Z -> W
                "tia": (k.ti @ k.a).to(**as_),  # F -> T^-1 A F = Lambda^-1 T^-1 F
                "pt": k.p.T.to(**as_),  # Z -> the dense polynomial's coefficients
                "e_mu": (k.e / k.mu_real).to(**as_),
                "c": k.c.to(**as_),
            }
        return self._cache

    @staticmethod
    def _mix(m: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """A (3, 3) matrix times stages (3, d, B)."""
        return (m @ z.reshape(3, -1)).reshape(z.shape)

    # -- bookkeeping between attempts -----------------------------------------------------

    def _follow_up(self, t0, batch: int, dev):
        """After the previous attempt: which samples moved on (accepted) and whether the
        Jacobian must be recomputed (a slow Newton in an accepted step)."""
        if self._last is None:
            return None, torch.zeros(batch, dtype=torch.bool, device=dev)
        l_raw, l_t0, l_y0, l_z, l_h, recompute = self._last
        if self.per_sample:
            moved = t0.reshape(-1) != l_raw.reshape(-1)
        else:
            moved = torch.full((1,), t0 != l_raw, dtype=torch.bool, device=dev)
        if self._prev is None:
            self._prev = (l_t0, l_h, l_y0, l_z, moved)
        else:
            p_t0, p_h, p_y0, p_z, known = self._prev
            self._prev = (
                torch.where(moved, l_t0, p_t0),
                torch.where(moved, l_h, p_h),
                torch.where(moved, l_y0, p_y0),
                torch.where(moved, l_z, p_z),
                known | moved,
            )
        self._current = self._current & ~moved
        return moved, moved & recompute

    def _guess(self, t0, h, y0) -> torch.Tensor:
        """Z0 (3, d, B): the last accepted step's collocation polynomial, extrapolated."""
        if self._prev is None:
            return y0.new_zeros((3, *y0.shape))
        p_t0, p_h, p_y0, p_z, known = self._prev
        const = self._constants(y0)
        x = ((t0 + const["c"][:, None] * h - p_t0) / p_h).unsqueeze(1)  # (3 stages, 1, B)
        q = self._mix(const["pt"], p_z)  # (3 powers, d, B)
        guess = x * (q[0] + x * (q[1] + x * q[2])) + (p_y0 - y0)
        return torch.where(known, guess, 0.0)

    def _factors(self, h_key, h, batch: int) -> RadauSystems:
        """The Newton systems, factored once per step size and Jacobian; with per-sample
        control only the samples whose ``h`` or ``J`` changed are factored again (one
        batched call for those)."""
        hh = h.to(torch.float64).reshape(batch, 1, 1)
        if self._lu is not None:
            if not self.per_sample:
                if self._lu[0] == h_key:
                    return self._lu[1]
            else:
                changed = (h_key != self._lu[0]) | self._refactor
                rows = changed.nonzero().reshape(-1)
                if not len(rows):
                    return self._lu[1]
                if len(rows) < batch:
                    self.nlu += 1
                    sub = RadauSystems.factor(self._jac.rows(rows), hh[rows], self.k)
                    systems = self._lu[1].merged(sub, rows)
                    self._lu = (h_key, systems)
                    self._refactor = torch.zeros_like(self._refactor)
                    return systems
        self.nlu += 1
        systems = RadauSystems.factor(self._jac, hh, self.k)
        self._lu = (h_key, systems)
        if self.per_sample:
            self._refactor = torch.zeros(batch, dtype=torch.bool, device=h.device)
        return systems

    def _new_jacobian(self, t0, y0, batch: int, mask=None) -> None:
        """``J`` at the step start (of the samples in ``mask``; all by default)."""
        jac = self.jacobian(t0, y0)
        if mask is None or self._jac is None or not self.per_sample:
            self._jac = jac
            self._lu = None
            self._current = torch.ones(batch, dtype=torch.bool, device=y0.device)
            return
        self._jac = self._jac.replaced(jac, mask)
        self._refactor = self._refactor | mask
        self._current = self._current | mask

    # -- Newton ---------------------------------------------------------------------------

    def _newton(self, t_stage, y0c, shape, hs, z0, scale, tol, active, systems):
        """SciPy's collocation iterations for every sample at once, on the transformed
        stages ``W = T^-1 Z``.

        The stage equations ``Z = h (A (x) I) F(y0 + Z)`` read ``W = h (Lambda^-1 T^-1 (x)
        I) F``, ``Lambda = T^-1 A^-1 T``, so simplified Newton is ``(I - h Lambda^-1 (x) J)
        dW = h (T^-1 A (x) I) F - W`` (:class:`RadauSystems`). The convergence and
        divergence tests are RADAU5's, on ``dW``: a sample stops when its estimated
        remaining error ``rate / (1 - rate) |dW|`` is below ``tol``, and fails when the
        rate reaches 1, when the error it predicts after the last allowed iteration is
        above ``tol``, or when ``|dW|`` is not finite (a NaN / inf in ``func``'s values).
        Returns ``(converged, n_iter, Z, rate)``, per sample.
        """
        const = self._constants(y0c)
        batch, dev = y0c.shape[-1], y0c.device
        inv_scale = scale.reciprocal()
        z = z0
        w = self._mix(const["ti"], z0)
        converged = torch.zeros(batch, dtype=torch.bool, device=dev)
        todo = active
        n_iter = torch.zeros(batch, dtype=torch.long, device=dev)
        rate = torch.full((batch,), math.nan, dtype=torch.float64, device=dev)
        old = None
        for it in range(NEWTON_MAXITER):
            f = torch.stack(
                [
                    self._cols(self.eval(t_stage[i], self._state(y0c + z[i], shape)))
                    for i in range(3)
                ]
            )
            dw = systems.solve(hs * self._mix(const["tia"], f) - w)
            size = self._norm(dw * inv_scale).to(torch.float64)
            ok = todo & (size < math.inf)
            slack = None
            if old is not None:
                rate = torch.where(todo, size / old, rate)
                slack = tol * (1 - rate)  # > 0 where rate < 1
                ok = ok & (rate < 1) & (rate ** (NEWTON_MAXITER - it) * size <= slack)
            n_iter = n_iter + ok
            w = torch.where(ok, w + dw, w)
            z = self._mix(const["t"], w)
            done = size == 0
            if slack is not None:
                done = done | (rate * size < slack)
            converged = converged | (ok & done)
            todo = ok & ~done
            old = size
            if not bool(todo.any()):
                break
        return converged, n_iter, z, rate

    # -- the step -------------------------------------------------------------------------

    def _tolerance(self, dtype) -> float:
        """The Newton tolerance (RADAU5's), from the controller's largest ``rtol``."""
        if self._cache.get("tol_dtype") != dtype:
            rtol = self.controller.rtol
            rtol = float(rtol.max()) if isinstance(rtol, torch.Tensor) else float(rtol)
            eps = torch.finfo(dtype).eps
            rtol = max(rtol, eps)
            self._cache["tol"] = max(10 * eps / rtol, min(0.03, math.sqrt(rtol)))
            self._cache["tol_dtype"] = dtype
        return self._cache["tol"]

    def step(self, t0, h, y0, f0, end_perturb=False, with_error=True) -> Step:
        """One RADAU5 step from ``(t0, y0)`` with ``f0 = f(t0, y0)``."""
        shape, dev = y0.shape, y0.device
        y0d = y0.detach()
        y0c = self._cols(y0d)
        batch = y0c.shape[-1]
        moved, recompute = self._follow_up(t0, batch, dev)
        # A retry of the same step (the previous attempt was rejected) for these samples:
        retried = None if moved is None else ~moved
        if self.per_sample:
            active = h.reshape(-1) > 0
            h_safe = torch.where(h > 0, h, 1.0)  # finished samples idle
            h_key = h_safe.reshape(-1)
        else:
            active = torch.ones(1, dtype=torch.bool, device=dev)
            h_safe = h_key = h
        hs = self._per_sample(h_safe, batch, y0c)  # (B,)
        ts = self._per_sample(t0, batch, y0c)
        if self._jac is None:
            self._new_jacobian(t0, y0d, batch)
        elif bool(recompute.any()):  # one batched call evaluates every sample's block
            self._new_jacobian(t0, y0d, batch)
        tol = self._tolerance(y0.dtype)
        scale = self._cols(self.controller.scale(y0d).expand(shape))
        z0 = self._guess(ts, hs, y0c)
        t_stage = [t0 + ci * h_safe for ci in self.k.c.tolist()]
        with torch.no_grad():
            systems = self._factors(h_key, hs, batch)
            out = self._newton(t_stage, y0c, shape, hs, z0, scale, tol, active, systems)
            stale = active & ~out[0] & ~self._current
            if bool(stale.any()):  # a stale Jacobian: refresh it and try again
                self._new_jacobian(t0, y0d, batch)
                systems = self._factors(h_key, hs, batch)
                out = self._newton(t_stage, y0c, shape, hs, z0, scale, tol, active, systems)
        converged, n_iter, z, rate = out
        if torch.is_grad_enabled() and (y0.requires_grad or f0.requires_grad):
            z = self._differentiable_stages(t_stage, y0, shape, hs, z)
        stages = [self._state(z[i], shape) for i in range(3)]
        y1 = y0 + stages[2]  # stiffly accurate: the step ends on the last stage
        err = None
        if with_error:
            with torch.no_grad():
                err = self._error(
                    t0, y0c, shape, hs, f0.detach(), z.detach(), y1.detach(), systems, retried
                )
        self._last = (t0, ts, y0c, z.detach(), hs, (n_iter > 2) & (rate > 1e-3))
        st = Step(t0=t0, h=h, y0=y0, y1=y1, f0=f0, k=stages, err=err)
        failed = active & ~converged
        if self.per_sample:
            st.extra = {"n_iter": n_iter, "failed": failed, "recompute": self._last[-1]}
        else:
            st.extra = {
                "n_iter": int(n_iter[0]),
                "failed": bool(failed[0]),
                "recompute": bool(self._last[-1][0]),
            }
        return st

    def _error(self, t0, y0c, shape, hs, f0, z, y1, systems, retried):
        """The embedded estimate ``(I - h/mu J)^-1 (h/mu f0 + e.Z/mu)``; for a retried
        sample whose estimate fails the error test, SciPy's improved second estimate with
        ``f(y0 + err)`` in place of ``f0``."""
        ze = (self._constants(y0c)["e_mu"] @ z.reshape(3, -1)).reshape(y0c.shape)
        g = hs / self.k.mu_real
        err = systems.solve_real(g * self._cols(f0) + ze)
        if retried is None or not bool(retried.any()):
            return self._state(err, shape)
        scale = self._cols(self.controller.scale(self._state(y0c, shape), y1).expand(shape))
        redo = retried & (self._norm(err / scale) > 1)
        if not bool(redo.any()):
            return self._state(err, shape)
        f_err = self._cols(self.eval(t0, self._state(y0c + err, shape)))
        err2 = systems.solve_real(g * f_err + ze)
        return self._state(torch.where(redo, err2, err), shape)

    def _differentiable_stages(self, t_stage, y0, shape, hs, z_star):
        """One Newton step with the exact stage Jacobians, with autograd: ``dZ`` is the
        implicit function theorem's (``z_star`` solves the stage equations)."""
        k = self.k
        zs = z_star.detach().transpose(1, 2)  # (3, B, d)
        y0r = y0.reshape(zs.shape[1], -1)
        y0d = y0r.detach()
        stages = [self.jacobian(t_stage[i], (y0d + zs[i]).reshape(shape)) for i in range(3)]
        batch = zs.shape[1]
        exact = self._jac.factor(hs.to(torch.float64).reshape(batch, 1, 1) * k.a, stages)
        f = torch.stack(
            [
                self.eval(t_stage[i], (y0r + zs[i]).reshape(shape)).reshape(y0r.shape)
                for i in range(3)
            ]
        )
        resid = zs - hs[:, None] * torch.einsum("ij,jbd->ibd", k.a.to(zs.dtype), f)
        z = zs - exact.solve(resid.reshape(3, -1)).to(resid.dtype).reshape(zs.shape)
        return z.transpose(1, 2)

    # -- dense output ---------------------------------------------------------------------

    def interp(self, st: Step, thetas: list[float]) -> torch.Tensor:
        """The collocation polynomial at ``t0 + theta h``, shape (n, *y.shape)."""
        x = torch.tensor(thetas, dtype=torch.float64)
        w = torch.stack([x, x**2, x**3], dim=1) @ self.k.p.T  # (n, 3 stages)
        w = torch.cat([torch.ones(len(thetas), 1, dtype=torch.float64), w], dim=1)
        return combine(w, [st.y0, *st.k])

    def interp_rows(self, st: Step, thetas: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
        """Per-sample dense output: sample ``rows[n]`` at ``t0 + thetas[n] h``."""
        x = thetas.to(torch.float64)
        p = self.k.p.to(x.device)
        w = torch.stack([x, x**2, x**3], dim=1) @ p.T
        w = torch.cat([torch.ones(len(x), 1, dtype=torch.float64, device=x.device), w], dim=1)
        return combine_rows(w, torch.stack([st.y0, *st.k], dim=1)[rows])


@dataclass
class RadauController(StepSizeController):
    """RADAU5's step-size control (SciPy's ``Radau``): Gustafsson's predictive controller,
    a safety factor that falls with the Newton iterations, ``h`` kept when the change would
    be below 20 % (so the LU factors are reused), halved after a Newton failure.

    ``ifactor`` and ``dfactor`` bound the change (10 and 0.2 by default, as RADAU5's).
    """

    def __post_init__(self):
        self.h_old = None
        self.err_old = None

    def _safety(self, n_iter):
        return self.safety * (2 * NEWTON_MAXITER + 1) / (2 * NEWTON_MAXITER + n_iter)

    def judge(self, st) -> tuple[bool, float, float]:
        h, x = st.h, st.extra
        if x["failed"]:
            return False, self.clamp(h * 0.5), math.inf
        ratio = self.error_ratio(st.err, st.y0, st.y1)
        safety = self._safety(x["n_iter"])
        if not math.isfinite(ratio):
            return False, self.clamp(h * self.dfactor), ratio
        if ratio == 0.0:
            factor = math.inf
        else:
            mult = 1.0
            if self.err_old is not None and self.h_old is not None:
                mult = h / self.h_old * (self.err_old / ratio) ** 0.25
            factor = min(1.0, mult) * ratio**-0.25
        if ratio > 1.0 and h > self.min_step:
            return False, self.clamp(h * max(self.dfactor, safety * factor)), ratio
        factor = min(self.ifactor, safety * factor)
        if not x["recompute"] and factor < 1.2:
            factor = 1.0
        self.h_old, self.err_old = h, ratio
        return True, self.clamp(h * factor), ratio

    def judge_many(self, st, h: torch.Tensor):
        x = st.extra
        ratio = self.error_ratios(st.err, st.y0, st.y1)
        n_iter = x["n_iter"].to(torch.float64)
        safety = self._safety(n_iter)
        finite = torch.isfinite(ratio)
        if self.h_old is None:
            self.h_old = torch.full_like(h, math.nan)
            self.err_old = torch.full_like(h, math.nan)
        known = torch.isfinite(self.err_old) & torch.isfinite(self.h_old)
        safe_ratio = ratio.clamp_min(1e-300)
        mult = torch.where(
            known,
            h / self.h_old.clamp_min(1e-300) * (self.err_old / safe_ratio) ** 0.25,
            torch.ones_like(h),
        )
        factor = torch.clamp(mult, max=1.0) * safe_ratio**-0.25
        accept = finite & ~x["failed"] & ((ratio <= 1.0) | (h <= self.min_step))
        down = torch.clamp(safety * factor, min=self.dfactor)
        up = torch.clamp(safety * factor, max=self.ifactor)
        keep = ~x["recompute"] & (up < 1.2)
        up = torch.where(keep, torch.ones_like(up), up)
        new = torch.where(accept, h * up, h * down)
        new = torch.where(finite, new, h * self.dfactor)
        new = torch.where(x["failed"], h * 0.5, new)
        self.h_old = torch.where(accept, h, self.h_old)
        self.err_old = torch.where(accept, ratio, self.err_old)
        return accept, new.clamp(self.min_step, self.max_step), ratio

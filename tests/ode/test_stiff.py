"""method="radau": the adaptive, L-stable Radau IIA(5) on stiff problems.

Oracles: SciPy's Radau (the same algorithm: the same steps, function evaluations and error
on Robertson), closed forms, finite differences for the three gradient routes.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.integrate import solve_ivp

from tsgrad.ode import SolverStats, odeint, odeint_adjoint, odeint_checkpoint
from tsgrad.ode._jacobian import BlockJacobian, FuncJacobian, Part
from tsgrad.ode._radau import ELEMENTWISE_SIZE, RadauSystems, radau_constants
from tsgrad.ode._tableaus import IMPLICIT_TABLEAUS

F64 = torch.float64


def robertson(k):
    """Robertson's chemical kinetics with rate constants ``k`` (3,) or (B, 3)."""

    def f(t, y):
        a, b, c = y[..., 0], y[..., 1], y[..., 2]
        k1, k2, k3 = k[..., 0], k[..., 1], k[..., 2]
        return torch.stack([-k1 * a + k3 * b * c, k1 * a - k3 * b * c - k2 * b * b, k2 * b * b], -1)

    return f


K = torch.tensor([0.04, 3e7, 1e4], dtype=F64)


def test_derived_constants_are_radau5s():
    # SciPy's hard-coded RADAU5 constants, derived here from the registered tableau.
    k = radau_constants(IMPLICIT_TABLEAUS["radauIIA5"])
    s6 = math.sqrt(6)
    assert abs(k.mu_real - (3 + 3 ** (2 / 3) - 3 ** (1 / 3))) < 1e-12
    mu_c = 3 + 0.5 * (3 ** (1 / 3) - 3 ** (2 / 3)) - 0.5j * (3 ** (5 / 6) + 3 ** (7 / 6))
    assert abs(k.mu_complex - mu_c) < 1e-12
    e = torch.tensor([-13 - 7 * s6, -13 + 7 * s6, -1], dtype=F64) / 3
    assert float((k.e - e).abs().max()) < 1e-12
    p = torch.tensor(
        [
            [13 / 3 + 7 * s6 / 3, -23 / 3 - 22 * s6 / 3, 10 / 3 + 5 * s6],
            [13 / 3 - 7 * s6 / 3, -23 / 3 + 22 * s6 / 3, 10 / 3 - 5 * s6],
            [1 / 3, -8 / 3, 10 / 3],
        ],
        dtype=F64,
    )
    assert float((k.p - p).abs().max()) < 1e-11


def _transformed_matrix(k, h: float, jac: torch.Tensor) -> torch.Tensor:
    """The dense Newton matrix of the transformed stages, ``I - h Lambda^-1 (x) J``, with
    ``Lambda^-1 = T^-1 A T``, rows ordered stage first (``3 n x 3 n``)."""
    lam_inv = k.ti @ k.a @ k.t
    n = jac.shape[-1]
    return torch.eye(3 * n, dtype=F64) - torch.kron(h * lam_inv, jac)


# (samples, unknowns per sample, batch_dim of the blocks): small per-sample blocks (the
# broadcast path), blocks above ELEMENTWISE_SIZE (inverses), above INVERSE_SIZE (LU), and
# one joint block.
SYSTEMS = [(5, 3, 0), (3, ELEMENTWISE_SIZE + 2, 0), (2, 40, 0), (1, 4, None)]


@pytest.mark.parametrize("b, d, batch_dim", SYSTEMS, ids=["small", "inverse", "lu", "joint"])
def test_radau_systems_solve_the_transformed_newton_system(b, d, batch_dim):
    k = radau_constants(IMPLICIT_TABLEAUS["radauIIA5"])
    gen = torch.Generator().manual_seed(1)
    blocks = -5 * torch.rand(b, d, d, generator=gen, dtype=F64)
    h = torch.rand(b, generator=gen, dtype=F64) + 0.1
    shape = (b, d) if batch_dim is not None else (d,)
    jac = BlockJacobian([Part(0, b * d, shape, batch_dim, blocks)], b * d)
    systems = RadauSystems.factor(jac, h.reshape(b, 1, 1), k)
    assert (systems.cols is not None) == (d <= ELEMENTWISE_SIZE)
    r = torch.randn(3, d, b, generator=gen, dtype=F64)  # stages as columns
    v = torch.randn(d, b, generator=gen, dtype=F64)
    dw, real = systems.solve(r), systems.solve_real(v)
    for i in range(b):
        m = _transformed_matrix(k, float(h[i]), blocks[i])
        expected = torch.linalg.solve(m, r[:, :, i].reshape(-1)).reshape(3, d)
        assert float((dw[:, :, i] - expected).abs().max()) < 1e-10
        expected = torch.linalg.solve(
            torch.eye(d, dtype=F64) - h[i] / k.mu_real * blocks[i], v[:, i]
        )
        assert float((real[:, i] - expected).abs().max()) < 1e-10


@pytest.mark.parametrize("b, d, batch_dim", SYSTEMS[:2], ids=["small", "inverse"])
def test_refactoring_some_samples_equals_factoring_all(b, d, batch_dim):
    # Per-sample control factors again only the samples whose h changed.
    k = radau_constants(IMPLICIT_TABLEAUS["radauIIA5"])
    gen = torch.Generator().manual_seed(2)
    blocks = -5 * torch.rand(b, d, d, generator=gen, dtype=F64)
    jac = BlockJacobian([Part(0, b * d, (b, d), batch_dim, blocks)], b * d)
    h_old = torch.full((b, 1, 1), 0.3, dtype=F64)
    h_new = h_old.clone()
    rows = torch.tensor([0, b - 1])
    h_new[rows] = 0.7
    merged = RadauSystems.factor(jac, h_old, k).merged(
        RadauSystems.factor(jac.rows(rows), h_new[rows], k), rows
    )
    r = torch.randn(3, d, b, generator=gen, dtype=F64)
    direct = RadauSystems.factor(jac, h_new, k)
    assert float((merged.solve(r) - direct.solve(r)).abs().max()) < 1e-12


def test_newton_with_several_jacobian_parts_solves_each_part():
    # The adjoint's Jacobian: blocks on some slices of the state, zero on the rest.
    k = radau_constants(IMPLICIT_TABLEAUS["radauIIA5"])
    gen = torch.Generator().manual_seed(3)
    j1, j2 = (-3 * torch.rand(1, 2, 2, generator=gen, dtype=F64) for _ in range(2))
    parts = [Part(1, 3, (2,), None, j1), Part(3, 5, (2,), None, j2)]
    jac = BlockJacobian(parts, 6)
    h = 0.4
    systems = RadauSystems.factor(jac, torch.full((1, 1, 1), h, dtype=F64), k)
    assert systems.cols is None
    full = torch.zeros(6, 6, dtype=F64)
    full[1:3, 1:3], full[3:5, 3:5] = j1[0], j2[0]
    r = torch.randn(3, 6, 1, generator=gen, dtype=F64)
    expected = torch.linalg.solve(_transformed_matrix(k, h, full), r.reshape(-1))
    assert float((systems.solve(r).reshape(-1) - expected).abs().max()) < 1e-10


@pytest.mark.parametrize("batch_dim", [None, 1], ids=["joint", "per-sample"])
def test_jacobian_blocks_match_autograd(batch_dim):
    # Samples along dimension 1 of a (2, B) state: y' = (-y0^2 + y1 k, y0 y1 - k y1^3).
    kk = torch.tensor([0.5, 2.0, -1.0], dtype=F64)

    def f(t, y):
        return torch.stack([-(y[0] ** 2) + y[1] * kk, y[0] * y[1] - kk * y[1] ** 3])

    y = torch.randn(2, 3, dtype=F64)
    blocks = FuncJacobian(f, y.shape, batch_dim).blocks(0.0, y)
    full = torch.autograd.functional.jacobian(lambda yy: f(0.0, yy), y)  # (2, 3, 2, 3)
    if batch_dim is None:
        assert float((blocks[0] - full.reshape(6, 6)).abs().max()) < 1e-14
    else:
        for b in range(3):
            assert float((blocks[b] - full[:, b, :, b]).abs().max()) < 1e-14


class _NoVmap(torch.autograd.Function):
    """``y**2`` with a backward that vmap cannot batch (it reads a value with ``.item()``)."""

    @staticmethod
    def forward(ctx, y):
        ctx.save_for_backward(y)
        return y**2

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        two = 2.0 + 0.0 * g.abs().max().item()
        return two * y * g


def test_jacobian_falls_back_to_one_product_per_row():
    y = torch.randn(4, 3, dtype=F64)
    jac = FuncJacobian(lambda t, yy: -_NoVmap.apply(yy), y.shape, 0)
    blocks = jac.blocks(0.0, y)
    assert not jac._batched  # the vmapped backward failed, the loop took over
    assert float((blocks - torch.diag_embed(-2 * y)).abs().max()) < 1e-14
    independent = FuncJacobian(lambda t, yy: torch.ones_like(yy), y.shape, 0)
    assert float(independent.blocks(0.0, y).abs().max()) == 0.0


def test_per_sample_blocks_above_the_broadcast_size_match_the_closed_form():
    # Linear stiff systems y' = M_b y of 10 unknowns each (rates 1..2000): the
    # batched-inverse path of RadauSystems, with per-sample refactorisation.
    gen = torch.Generator().manual_seed(4)
    d = ELEMENTWISE_SIZE + 2
    q = torch.linalg.qr(torch.randn(3, d, d, generator=gen, dtype=F64))[0]
    rates = torch.logspace(0, 3, d, dtype=F64) * torch.tensor([[1.0], [2.0], [0.5]], dtype=F64)
    m = -q @ torch.diag_embed(rates) @ q.mT

    def f(t, y):
        return (m @ y.unsqueeze(-1)).squeeze(-1)

    y0 = torch.randn(3, d, generator=gen, dtype=F64)
    t = torch.tensor([0.0, 0.01, 3.0], dtype=F64)
    stats = SolverStats()
    ys = odeint(
        f, y0, t, method="radau", rtol=1e-6, atol=1e-10, options={"batch_dim": 0, "stats": stats}
    )
    exact = torch.stack([torch.linalg.matrix_exp(m * s) @ y0.unsqueeze(-1) for s in t])
    assert float((ys - exact.squeeze(-1)).abs().max()) < 1e-6
    assert len(set(stats.per_sample_accepted)) > 1
    assert stats.n_accepted < 300  # dopri5 takes 480, 930 and 1830 steps here


def test_robertson_takes_scipys_steps_with_scipys_error():
    f = robertson(K)
    y0 = torch.tensor([1.0, 0.0, 0.0], dtype=F64)
    t = torch.tensor([0.0, 1e5], dtype=F64)
    stats = SolverStats()
    y = odeint(f, y0, t, method="radau", rtol=1e-6, atol=1e-10, options={"stats": stats})

    def rhs(t, y):
        return f(t, torch.from_numpy(y)).numpy()

    ours = solve_ivp(rhs, (0, 1e5), [1.0, 0.0, 0.0], method="Radau", rtol=1e-6, atol=1e-10)
    ref = solve_ivp(rhs, (0, 1e5), [1.0, 0.0, 0.0], method="Radau", rtol=1e-10, atol=1e-14)
    err = float(np.abs(y[-1].numpy() - ref.y[:, -1]).max())
    err_scipy = float(np.abs(ours.y[:, -1] - ref.y[:, -1]).max())
    assert err < 2 * err_scipy
    assert stats.n_accepted <= 1.5 * (ours.t.size - 1)
    assert abs(stats.nfe - ours.nfev) <= 0.1 * ours.nfev


@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
def test_stiff_linear_problem_against_closed_form(reverse):
    # y' = -1000 (y - cos t) - sin t: y = cos t + (y0 - 1) exp(-1000 t) for t >= 0.
    lam = 1000.0

    def f(t, y):
        return -lam * (y - torch.cos(t)) - torch.sin(t)

    t = torch.linspace(0, 2, 9, dtype=F64)
    y0 = torch.tensor([2.0, 1.0], dtype=F64)
    exact = torch.cos(t)[:, None] + (y0 - 1) * torch.exp(-lam * t)[:, None]
    if reverse:  # start from the end state, integrate back (the transient is gone)
        t, exact = t.flip(0)[:-1], exact.flip(0)[:-1]
        y0 = exact[0]
    stats = SolverStats()
    y = odeint(f, y0, t, method="radau", rtol=1e-8, atol=1e-10, options={"stats": stats})
    assert float((y - exact).abs().max()) < 1e-6
    assert stats.n_accepted < 200  # dopri5 would need ~1000 steps per unit time here


def test_per_sample_batch_of_robertson_systems():
    # Different rate constants: each sample its own step sizes; each matches its own solve.
    gen = torch.Generator().manual_seed(0)
    k = K * 2.0 ** (2 * torch.rand(6, 3, generator=gen, dtype=F64) - 1)
    y0 = torch.tensor([1.0, 0.0, 0.0], dtype=F64).repeat(6, 1)
    t = torch.tensor([0.0, 1.0, 1e3, 1e5], dtype=F64)
    stats = SolverStats()
    ys = odeint(
        robertson(k),
        y0,
        t,
        method="radau",
        rtol=1e-6,
        atol=1e-10,
        options={"batch_dim": 0, "stats": stats},
    )
    assert ys.shape == (4, 6, 3)
    assert len(set(stats.per_sample_accepted)) > 1
    for b in (0, 5):
        alone = odeint(robertson(k[b]), y0[b], t, method="radau", rtol=1e-6, atol=1e-10)
        # its own steps (the Jacobian refreshes follow the batch, so not bit for bit)
        assert float((ys[:, b] - alone).abs().max()) < 1e-7
    assert float((ys.sum(-1) - 1).abs().max()) < 1e-8  # mass is conserved


class Stiff(torch.nn.Module):
    """A stiff, nonlinear, parametrised field on a batch (B, 2)."""

    def __init__(self):
        super().__init__()
        self.k = torch.nn.Parameter(torch.tensor([50.0, 2.0], dtype=F64))

    def forward(self, t, y):
        a, b = y[..., 0], y[..., 1]
        return torch.stack([-self.k[0] * (a - torch.tanh(b)), -self.k[1] * b + a * b], -1)


def _loss(ys):
    return (ys * torch.linspace(-1, 1, ys.numel(), dtype=F64).reshape(ys.shape)).sum()


@pytest.mark.slow
@pytest.mark.parametrize("route", ["backprop", "checkpoint", "adjoint"])
def test_gradients_of_the_three_routes_match_finite_differences(route):
    f = Stiff()
    y0 = torch.tensor([[1.0, 0.5], [0.2, -0.4], [-0.5, 0.8]], dtype=F64, requires_grad=True)
    t = torch.tensor([0.0, 0.25, 0.5], dtype=F64)
    tol = dict(rtol=1e-9, atol=1e-11, method="radau")
    solve = {"backprop": odeint, "checkpoint": odeint_checkpoint, "adjoint": odeint_adjoint}[route]
    g_y0, g_k = torch.autograd.grad(_loss(solve(f, y0, t, **tol)), (y0, f.k))
    eps = 1e-6
    for index, grad in [((0,), g_k), ((1,), g_k)]:
        vals = []
        for sign in (1, -1):
            with torch.no_grad():
                f.k[index] += sign * eps
                vals.append(float(_loss(odeint(f, y0, t, **tol))))
                f.k[index] -= sign * eps
        fd = (vals[0] - vals[1]) / (2 * eps)
        assert abs(float(grad[index]) - fd) < 1e-5 * max(1.0, abs(fd)), (route, index, fd)
    vals = []
    for sign in (1, -1):
        with torch.no_grad():
            y = y0.detach().clone()
            y[2, 1] += sign * eps
            vals.append(float(_loss(odeint(f, y, t, **tol))))
    fd = (vals[0] - vals[1]) / (2 * eps)
    assert abs(float(g_y0[2, 1]) - fd) < 1e-5 * max(1.0, abs(fd))


@pytest.mark.slow
@pytest.mark.parametrize("route", ["backprop", "adjoint"])
def test_per_sample_gradient_matches_the_joint_solves(route):
    # Joint backprop is the reference. The adjoint integrates y backwards too, where the
    # stiff mode (rate 50) grows: over an interval of 0.5 that would amplify the solver's
    # error by e^25, so the outputs are taken 0.25 apart (torchdiffeq's adjoint does the same).
    f = Stiff()
    y0 = torch.tensor([[1.0, 0.5], [0.2, -0.4]], dtype=F64, requires_grad=True)
    t = torch.tensor([0.0, 0.25, 0.5], dtype=F64)
    tol = dict(rtol=1e-9, atol=1e-11, method="radau")
    solve = {"backprop": odeint, "adjoint": odeint_adjoint}[route]
    joint = torch.autograd.grad(_loss(odeint(f, y0, t, **tol)), (y0, f.k))
    per = torch.autograd.grad(_loss(solve(f, y0, t, options={"batch_dim": 0}, **tol)), (y0, f.k))
    for a, b in zip(per, joint, strict=True):
        assert float((a - b).abs().max()) < 1e-6 * max(1.0, float(b.abs().max()))

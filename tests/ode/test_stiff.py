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
from tsgrad.ode._radau import radau_constants
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
def test_per_sample_gradient_by_backprop():
    f = Stiff()
    y0 = torch.tensor([[1.0, 0.5], [0.2, -0.4]], dtype=F64, requires_grad=True)
    t = torch.tensor([0.0, 0.5], dtype=F64)
    tol = dict(rtol=1e-9, atol=1e-11, method="radau")
    joint = torch.autograd.grad(_loss(odeint(f, y0, t, **tol)), (y0, f.k))
    per = torch.autograd.grad(_loss(odeint(f, y0, t, options={"batch_dim": 0}, **tol)), (y0, f.k))
    for a, b in zip(per, joint, strict=True):
        assert float((a - b).abs().max()) < 1e-6 * max(1.0, float(b.abs().max()))

"""odeint_dense: evaluation anywhere, statistics, differentiability."""

from __future__ import annotations

import math

import torch

from tsgrad.ode import SolverStats, odeint, odeint_dense

from ._problems import F64, PROBLEMS


def test_dense_solution_matches_closed_form_everywhere():
    p = PROBLEMS[4]
    sol = odeint_dense(p.f, p.y0, p.t0, p.t1, rtol=1e-9, atol=1e-11)
    t = torch.rand(50, dtype=F64, generator=torch.Generator().manual_seed(1)) * 3.0
    y = sol(t)
    assert y.shape == (50, 2)
    assert float((y - p.exact(t)).abs().max()) < 1e-7
    assert sol.ts[0] == p.t0 and sol.ts[-1] == p.t1
    assert sol.stats.n_accepted == len(sol.ts) - 1
    assert abs(float(sol(torch.tensor(1.0, dtype=F64))[0]) - math.exp(math.sin(1.0))) < 1e-7


def test_dense_agrees_with_odeint_at_output_times():
    p = PROBLEMS[2]
    t = p.times()
    sol = odeint_dense(p.f, p.y0, p.t0, p.t1)
    torch.testing.assert_close(sol(t), odeint(p.f, p.y0, t), rtol=0, atol=1e-12)


def test_dense_backwards_in_time_and_tuple_state():
    f = lambda t, y: (y[1], -y[0])  # noqa: E731
    y0 = (torch.zeros(1, dtype=F64), torch.ones(1, dtype=F64))
    stats = SolverStats()
    sol = odeint_dense(f, y0, 0.0, -3.0, options={"stats": stats})
    a, b = sol(torch.tensor([-1.0, -2.5], dtype=F64))
    assert float((a[:, 0] - torch.sin(torch.tensor([-1.0, -2.5], dtype=F64))).abs().max()) < 1e-6
    assert stats.nfe > 0 and sol.stats is stats


def test_dense_is_differentiable():
    k = torch.tensor(0.8, dtype=F64, requires_grad=True)
    sol = odeint_dense(
        lambda t, y: -k * y, torch.ones(1, dtype=F64), 0.0, 2.0, rtol=1e-10, atol=1e-12
    )
    (g,) = torch.autograd.grad(sol(torch.tensor(1.3, dtype=F64)).sum(), k)
    assert abs(g.item() + 1.3 * math.exp(-0.8 * 1.3)) < 1e-7


def test_dense_fixed_grid_method():
    p = PROBLEMS[4]
    sol = odeint_dense(p.f, p.y0, 0.0, 3.0, method="rk4", options={"step_size": 0.01})
    assert sol.stats.n_accepted == 300 and sol.stats.n_rejected == 0
    t = torch.tensor([0.123, 2.5], dtype=F64)
    assert float((sol(t) - p.exact(t)).abs().max()) < 1e-4

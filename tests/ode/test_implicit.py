"""The fixed-grid implicit methods: tableaus, measured orders, stiffness, gradients."""

from __future__ import annotations

import math

import pytest
import torch
from torch.autograd import gradcheck

from tsgrad.ode import odeint, odeint_adjoint, odeint_checkpoint
from tsgrad.ode._tableaus import IMPLICIT_TABLEAUS, ImplicitTableau, order_defect

F64 = torch.float64
IMPLICIT = [
    "implicit_euler",
    "implicit_midpoint",
    "trapezoid",
    "radauIIA3",
    "radauIIA5",
    "gl4",
    "gl6",
    "sdirk2",
    "trbdf2",
]


def test_the_nine_torchdiffeq_methods_are_registered():
    assert set(IMPLICIT) <= set(IMPLICIT_TABLEAUS)


@pytest.mark.parametrize("name", IMPLICIT)
def test_tableau_has_exactly_its_order(name):
    tab = IMPLICIT_TABLEAUS[name]
    assert order_defect(tab.a, tab.b, tab.order)[0] < 1e-12
    assert order_defect(tab.a, tab.b, tab.order + 1)[0] > 1e-6


def test_torchdiffeqs_gl4_stage_times_are_refused():
    # torchdiffeq's gl4 puts both stages at 1/2 - sqrt(3)/6; the rows of a then miss c.
    r3 = math.sqrt(3)
    with pytest.raises(ValueError, match="row 1 of a sums to"):
        ImplicitTableau(
            name="bad_gl4",
            c=(0.5 - r3 / 6, 0.5 - r3 / 6),
            a=((0.25, 0.25 - r3 / 6), (0.25 + r3 / 6, 0.25)),
            b=(0.5, 0.5),
            order=4,
        )
    with pytest.raises(ValueError, match="order condition"):
        ImplicitTableau(name="bad", c=(1,), a=((1,),), b=(1,), order=2)


# Step sizes per method: the error stays far above rounding and in the asymptotic regime.
STEPS = {
    "implicit_euler": (0.1, 0.05, 0.025),
    "implicit_midpoint": (0.1, 0.05, 0.025),
    "trapezoid": (0.1, 0.05, 0.025),
    "radauIIA3": (0.2, 0.1, 0.05),
    "radauIIA5": (0.3, 0.15, 0.075),
    "gl4": (0.3, 0.15, 0.075),
    "gl6": (0.5, 0.25, 0.125),
    "sdirk2": (0.1, 0.05, 0.025),
    "trbdf2": (0.02, 0.01, 0.005),
}


@pytest.mark.parametrize("name", IMPLICIT)
def test_measured_convergence_order(name):
    # y' = y cos t on [0, 1.5]: y = exp(sin t).
    t = torch.tensor([0.0, 1.5], dtype=F64)
    errs = []
    for h in STEPS[name]:
        y = odeint(
            lambda t, y: y * torch.cos(t),
            torch.ones(2, dtype=F64),
            t,
            method=name,
            options={"step_size": h},
            rtol=1e-13,
            atol=1e-14,
        )
        errs.append(abs(float(y[-1, 0]) - math.exp(math.sin(1.5))))
    slope = math.log(errs[0] / errs[-1]) / math.log(STEPS[name][0] / STEPS[name][-1])
    order = IMPLICIT_TABLEAUS[name].order
    assert order - 0.25 < slope < order + 0.6, (errs, slope)


@pytest.mark.parametrize("name", ["implicit_euler", "radauIIA3", "radauIIA5", "sdirk2", "trbdf2"])
def test_l_stable_methods_take_large_steps_on_a_stiff_problem(name):
    # y' = -1000 (y - cos t): y follows cos t after a fast transient; h = 0.1 is 100 times
    # the explicit stability limit. Exact: y = cos-like particular solution + decaying part.
    lam = 1000.0
    t = torch.linspace(0, 2, 21, dtype=F64)

    def exact(t):
        part = (lam**2 * torch.cos(t) + lam * torch.sin(t)) / (lam**2 + 1)
        return part + (1 - lam**2 / (lam**2 + 1)) * torch.exp(-lam * t)

    y = odeint(
        lambda t, y: -lam * (y - torch.cos(t)),
        torch.ones(1, dtype=F64),
        t,
        method=name,
        options={"step_size": 0.1},
    )
    err = float((y[1:, 0] - exact(t[1:])).abs().max())
    assert err < (2e-3 if name == "implicit_euler" else 2e-4)
    explicit = odeint(
        lambda t, y: -lam * (y - torch.cos(t)),
        torch.ones(1, dtype=F64),
        t,
        method="rk4",
        options={"step_size": 0.1},
    )
    assert float(explicit.abs().max()) > 1e10  # rk4 at 100x its stability limit blows up


class Field(torch.nn.Module):
    def __init__(self):
        super().__init__()
        gen = torch.Generator().manual_seed(0)
        self.w = torch.nn.Parameter(torch.randn(2, 2, generator=gen, dtype=F64) * 0.7)

    def forward(self, t, y):
        return torch.tanh(y @ self.w) - 0.5 * y


@pytest.mark.parametrize("name", ["sdirk2", "radauIIA3", "trbdf2"])
def test_gradcheck_through_the_newton_solve(name):
    # The differentiable last Newton step with the exact Jacobian gives the implicit
    # function theorem's gradient of the discrete step: gradcheck at batch 3 in float64.
    y0 = torch.tensor([[0.5, -0.2], [1.0, 0.3], [-0.4, 0.8]], dtype=F64, requires_grad=True)
    w = Field().w.detach().clone().requires_grad_(True)
    t = torch.tensor([0.0, 0.3, 0.6], dtype=F64)

    def fn(y0, w):
        return odeint(
            lambda t, y: torch.tanh(y @ w) - 0.5 * y,
            y0,
            t,
            method=name,
            options={"step_size": 0.1},
            rtol=1e-12,
            atol=1e-12,
        )

    assert gradcheck(fn, (y0, w), atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("name", ["gl4", "sdirk2"])
def test_checkpoint_and_adjoint_gradients_of_implicit_methods(name):
    f = Field()
    y0 = torch.tensor([[0.5, -0.2], [1.0, 0.3]], dtype=F64, requires_grad=True)
    t = torch.tensor([0.0, 0.5, 1.0], dtype=F64)
    kw = dict(method=name, options={"step_size": 0.05}, rtol=1e-12, atol=1e-12)
    grads = []
    for solve in (odeint, odeint_checkpoint, odeint_adjoint):
        ys = solve(f, y0, t, **kw)
        grads.append(torch.autograd.grad(ys.pow(2).sum(), (y0, f.w)))
    for g_route in grads[1:2]:  # checkpoint: the same discrete gradient, to Newton tolerance
        for a, b in zip(g_route, grads[0], strict=True):
            assert float((a - b).abs().max()) < 1e-9
    for a, b in zip(grads[2], grads[0], strict=True):  # adjoint: the continuous one
        assert float((a - b).abs().max()) < 5e-3 * float(b.abs().max())

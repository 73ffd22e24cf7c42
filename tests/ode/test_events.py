"""Events: known event times, their gradients (implicit function theorem), direction."""

from __future__ import annotations

import math

import pytest
import torch

from tsgrad.ode import odeint, odeint_adjoint, odeint_event

F64 = torch.float64


def decay(t, y):
    return -y


def half(t, y):
    return y.sum() - 0.5


@pytest.mark.parametrize("method", ["dopri5", "tsit5", "bosh3", "dopri8"])
def test_decay_reaches_half_at_log2(method):
    y0 = torch.tensor([1.0], dtype=F64)
    t_e, sol = odeint_event(
        decay, y0, torch.tensor(0.0, dtype=F64), event_fn=half, method=method, rtol=1e-9, atol=1e-12
    )
    assert abs(t_e.item() - math.log(2)) < 1e-7
    assert sol.shape == (2, 1) and torch.equal(sol[0], y0)
    assert abs(sol[-1].item() - 0.5) < 1e-12


def test_odeint_event_return_convention():
    y0 = torch.tensor([1.0], dtype=F64)
    t = torch.tensor([0.0, 1.0], dtype=F64)
    t_e, sol = odeint(decay, y0, t, event_fn=half)
    assert sol.shape == (2, 1)
    torch.testing.assert_close(sol[0], y0)
    assert abs(float(sol[1]) - 0.5) < 1e-9 and abs(float(t_e) - math.log(2)) < 1e-6


@pytest.mark.parametrize("interface", ["odeint", "odeint_adjoint"])
def test_event_time_gradient_by_implicit_function_theorem(interface):
    # y = y0 exp(-k t) = c  =>  t_e = log(y0 / c) / k, dt/dy0 = 1/(k y0), dt/dk = -t_e / k.
    k = torch.tensor(1.3, dtype=F64, requires_grad=True)
    y0 = torch.tensor([2.0], dtype=F64, requires_grad=True)
    func = lambda t, y: -k * y  # noqa: E731
    kwargs = dict(rtol=1e-10, atol=1e-12)
    if interface == "odeint_adjoint":
        kwargs.update(odeint_interface=odeint_adjoint, adjoint_params=(k,))
    t_e, _ = odeint_event(func, y0, torch.tensor(0.0, dtype=F64), event_fn=half, **kwargs)
    exact = math.log(2.0 / 0.5) / 1.3
    assert abs(t_e.item() - exact) < 1e-8
    g_y0, g_k = torch.autograd.grad(t_e, (y0, k))
    assert abs(g_y0.item() - 1 / (1.3 * 2.0)) < 1e-6
    assert abs(g_k.item() + exact / 1.3) < 1e-6


def test_event_time_gradient_wrt_initial_time():
    # With y' = -y the event time shifts one-for-one with t0.
    t0 = torch.tensor(0.3, dtype=F64, requires_grad=True)
    t_e, _ = odeint_event(
        decay, torch.tensor([1.0], dtype=F64), t0, event_fn=half, rtol=1e-10, atol=1e-12
    )
    (g,) = torch.autograd.grad(t_e, t0)
    assert abs(t_e.item() - (0.3 + math.log(2))) < 1e-8
    assert abs(g.item() - 1.0) < 1e-6


def test_state_at_event_gradient_includes_the_event_motion():
    # A loss on the state at the event: y_e is pinned to 0.5 whatever y0, so d y_e / d y0 = 0.
    y0 = torch.tensor([1.0], dtype=F64, requires_grad=True)
    _, sol = odeint_event(decay, y0, torch.tensor(0.0, dtype=F64), event_fn=half)
    (g,) = torch.autograd.grad(sol[-1].sum(), y0)
    assert abs(g.item()) < 1e-6


def test_reverse_time_event():
    # y' = -y backwards from y(0) = 1 reaches 2 at t = -log 2.
    y0 = torch.tensor([1.0], dtype=F64)
    t_e, sol = odeint_event(
        decay,
        y0,
        torch.tensor(0.0, dtype=F64),
        event_fn=lambda t, y: y.sum() - 2.0,
        reverse_time=True,
    )
    assert abs(t_e.item() + math.log(2)) < 1e-6 and abs(sol[-1].item() - 2.0) < 1e-6


def test_crossing_direction():
    # sin(t) starts at 0 (ignored), crosses 0 downwards at pi and upwards at 2 pi.
    f = lambda t, y: torch.stack([y[1], -y[0]])  # noqa: E731
    y0 = torch.tensor([0.0, 1.0], dtype=F64)

    def up(t, y):
        return y[0]

    up.direction = 1

    def down(t, y):
        return y[0]

    down.direction = -1
    t_up, _ = odeint_event(f, y0, torch.tensor(0.0, dtype=F64), event_fn=up)
    t_down, _ = odeint_event(f, y0, torch.tensor(0.0, dtype=F64), event_fn=down)
    assert abs(t_down.item() - math.pi) < 1e-6
    assert abs(t_up.item() - 2 * math.pi) < 1e-6


def test_fixed_grid_event_and_tuple_state():
    f = lambda t, y: (-y[0], torch.zeros_like(y[1]))  # noqa: E731
    y0 = (torch.tensor([1.0], dtype=F64), torch.tensor([3.0], dtype=F64))
    t_e, (a, b) = odeint(
        f,
        y0,
        torch.tensor([0.0, 1.0], dtype=F64),
        event_fn=lambda t, y: y[0].sum() - 0.5,
        method="rk4",
        options={"step_size": 0.01, "interp": "cubic"},
    )
    assert abs(float(t_e) - math.log(2)) < 1e-6
    assert a.shape == (2, 1) and float(b[-1]) == 3.0


def test_adjoint_event_backward_runs():
    k = torch.tensor(1.0, dtype=F64, requires_grad=True)
    t_e, sol = odeint_adjoint(
        lambda t, y: -k * y,
        torch.tensor([1.0], dtype=F64),
        torch.tensor([0.0, 1.0], dtype=F64),
        event_fn=half,
        adjoint_params=(k,),
    )
    assert abs(t_e.item() - math.log(2)) < 1e-6
    (g,) = torch.autograd.grad(t_e, k)
    assert abs(g.item() + math.log(2)) < 1e-5


def test_multi_output_event_fires_on_the_first_component_to_cross():
    # y' = -y from (1, 2): component 0 reaches 0.5 at log 2, component 1 reaches 0.4 at
    # log 5; the event is the earlier one, and its gradient follows that component.
    y0 = torch.tensor([1.0, 2.0], dtype=F64, requires_grad=True)
    thresholds = torch.tensor([0.5, 0.4], dtype=F64)
    t_e, sol = odeint_event(
        decay,
        y0,
        torch.tensor(0.0, dtype=F64),
        event_fn=lambda t, y: y - thresholds,
        rtol=1e-10,
        atol=1e-12,
    )
    assert abs(t_e.item() - math.log(2)) < 1e-8 and sol.shape == (2, 2)
    g = torch.autograd.grad(t_e, y0)[0]  # t_e = log(y0[0] / 0.5)
    assert abs(g[0].item() - 1.0) < 1e-6 and abs(g[1].item()) < 1e-9
    later = torch.tensor([0.1, 0.4], dtype=F64)
    t_e, _ = odeint_event(decay, y0, torch.tensor(0.0, dtype=F64), event_fn=lambda t, y: y - later)
    assert abs(t_e.item() - math.log(5)) < 1e-6


def test_multi_output_event_with_a_zero_component_at_t0_fires_at_t0():
    y0 = torch.tensor([1.0, 2.0], dtype=F64)
    t_e, sol = odeint(
        decay,
        y0,
        torch.tensor([0.0, 1.0], dtype=F64),
        event_fn=lambda t, y: torch.stack([y[0] - 1.0, y[1] - 0.5]),
    )
    assert float(t_e) == 0.0 and torch.equal(sol[1], y0)


def test_bouncing_ball_as_torchdiffeq_runs_it():
    # torchdiffeq's examples/bouncing_ball.py: read the state at the event from solution[-1]
    # of a tuple state, bounce, restart from the event time; gradients by the adjoint too.
    class Ball(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.gravity = torch.nn.Parameter(torch.tensor([9.8], dtype=F64))

        def forward(self, t, state):
            pos, vel = state
            return vel, -self.gravity.expand_as(vel)

        def event_fn(self, t, state):
            return state[0] - 0.2

    ball = Ball()
    t0 = torch.tensor([0.0], dtype=F64)
    state = (torch.tensor([10.0], dtype=F64), torch.tensor([0.0], dtype=F64))
    times = []
    for interface in (odeint, odeint_adjoint):
        t, s = t0, state
        for _ in range(2):
            t, solution = odeint_event(
                ball, s, t, event_fn=ball.event_fn, atol=1e-8, rtol=1e-8, odeint_interface=interface
            )
            s = (solution[0][-1] + 1e-7, -0.8 * solution[1][-1])
            times.append(t)
    # Falling 9.8 m takes sqrt(2 h / g) = sqrt(2); the bounce at 0.8 times the impact speed
    # flies 1.6 sqrt(2) more. Both scale as 1 / sqrt(g): dt/dg = -t / (2 g).
    for first, second in (times[:2], times[2:]):
        assert abs(float(first.detach()) - math.sqrt(2)) < 1e-6
        assert abs(float(second.detach()) - 2.6 * math.sqrt(2)) < 1e-5
        (g,) = torch.autograd.grad(second, ball.gravity)
        assert abs(float(g) + float(second.detach()) / (2 * 9.8)) < 1e-5

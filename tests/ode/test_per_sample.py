"""Per-sample step-size control (options={"batch_dim": d})."""

from __future__ import annotations

import pytest
import torch

from tsgrad.ode import SolverStats, odeint

F64 = torch.float64


def test_per_sample_matches_closed_form_and_saves_steps():
    rates = torch.tensor([0.1, 1.0, 8.0, 30.0], dtype=F64)
    t = torch.linspace(0, 2, 9, dtype=F64)
    y0 = torch.ones(4, 3, dtype=F64)

    def f(t, y):
        assert t.shape == (4,)  # per-sample times
        return -rates[:, None] * y * (1 + 0.5 * torch.sin(t)[:, None])

    stats = SolverStats()
    y = odeint(f, y0, t, rtol=1e-8, atol=1e-10, options={"batch_dim": 0, "stats": stats})
    phase = t + 0.5 * (1 - torch.cos(t))  # integral of 1 + 0.5 sin
    exact = torch.exp(-rates[None, :] * phase[:, None])[:, :, None].expand(-1, -1, 3)
    assert y.shape == (9, 4, 3)
    assert float((y - exact).abs().max()) < 1e-7
    steps = stats.per_sample_accepted
    assert steps == sorted(steps) and steps[0] < steps[-1] / 3
    joint = SolverStats()
    odeint(
        lambda t, y: -rates[:, None] * y * (1 + 0.5 * torch.sin(t)),
        y0,
        t,
        rtol=1e-8,
        atol=1e-10,
        options={"stats": joint},
    )
    assert sum(steps) / len(steps) < 0.6 * joint.n_accepted


def test_batch_dim_not_first_and_reverse_time():
    rates = torch.tensor([0.5, 2.0], dtype=F64)
    t = torch.linspace(1, 0, 5, dtype=F64)
    y0 = torch.ones(3, 2, dtype=F64)  # batch along dim 1
    y = odeint(
        lambda t, y: -rates[None, :] * y, y0, t, rtol=1e-9, atol=1e-11, options={"batch_dim": 1}
    )
    exact = torch.exp(-rates[None, None, :] * (t[:, None, None] - 1)).expand(-1, 3, -1)
    assert y.shape == (5, 3, 2)
    assert float((y - exact).abs().max()) < 1e-7


def test_per_sample_gradient_matches_joint_solve():
    k = torch.tensor([0.3, 1.7], dtype=F64, requires_grad=True)
    y0 = torch.tensor([[1.0, 0.5], [2.0, -1.0]], dtype=F64, requires_grad=True)
    t = torch.linspace(0, 1.5, 4, dtype=F64)

    def f(t, y):
        return -k[:, None] * torch.tanh(y)

    grads = []
    for options in (None, {"batch_dim": 0}):
        y = odeint(f, y0, t, rtol=1e-10, atol=1e-12, options=options)
        grads.append(torch.autograd.grad(y.pow(2).sum(), (k, y0)))
    for a, b in zip(*grads, strict=True):
        assert float((a - b).abs().max()) < 1e-7


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"method": "fehlberg2"}, "dense output"),
        ({"options": {"batch_dim": 0, "norm": torch.linalg.norm}}, "norm"),
        ({"options": {"batch_dim": 5}}, "dimension of y0"),
    ],
    ids=["no_dense_output", "custom_norm", "bad_dim"],
)
def test_per_sample_argument_errors(kwargs, match):
    kwargs.setdefault("options", {"batch_dim": 0})
    with pytest.raises(ValueError, match=match):
        odeint(lambda t, y: -y, torch.ones(2, 2), torch.tensor([0.0, 1.0]), **kwargs)


def test_per_sample_tuple_state_is_refused():
    with pytest.raises(ValueError, match="tensor state"):
        odeint(
            lambda t, y: (-y[0],),
            (torch.ones(2, 2),),
            torch.tensor([0.0, 1.0]),
            options={"batch_dim": 0},
        )


def test_per_sample_forward_with_adjoint_gradient():
    k = torch.tensor([0.3, 1.7], dtype=F64, requires_grad=True)
    y0 = torch.tensor([[1.0, 0.5], [2.0, -1.0]], dtype=F64)
    t = torch.linspace(0, 1.5, 4, dtype=F64)
    f = lambda t, y: -k[:, None] * torch.tanh(y)  # noqa: E731
    from tsgrad.ode import odeint_adjoint, odeint_checkpoint

    tol = dict(rtol=1e-10, atol=1e-12)
    y = odeint_adjoint(f, y0, t, options={"batch_dim": 0}, adjoint_params=(k,), **tol)
    (ga,) = torch.autograd.grad(y.pow(2).sum(), k)
    (gd,) = torch.autograd.grad(odeint(f, y0, t, **tol).pow(2).sum(), k)
    assert float((ga - gd).abs().max()) < 1e-7
    with pytest.raises(ValueError, match="not supported by odeint_checkpoint"):
        odeint_checkpoint(f, y0, t, options={"batch_dim": 0}, adjoint_params=(k,))

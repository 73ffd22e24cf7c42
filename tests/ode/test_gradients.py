"""Gradients: gradcheck of odeint, adjoint vs backprop vs finite differences, checkpoint."""

from __future__ import annotations

import math

import pytest
import torch
from torch.autograd import gradcheck

from tsgrad.ode import SolverStats, odeint, odeint_adjoint, odeint_checkpoint

F64 = torch.float64


class Field(torch.nn.Module):
    """A small nonlinear, time-dependent vector field on a batch of states (B, 2)."""

    def __init__(self, seed: int = 0):
        super().__init__()
        gen = torch.Generator().manual_seed(seed)
        self.w = torch.nn.Parameter(torch.randn(2, 2, generator=gen, dtype=F64) * 0.7)
        self.b = torch.nn.Parameter(torch.randn(2, generator=gen, dtype=F64) * 0.3)

    def forward(self, t, y):
        return torch.tanh(y @ self.w + self.b) - 0.1 * y * torch.sin(t)


def _inputs(reverse=False):
    y0 = torch.tensor([[0.5, -0.2], [1.0, 0.3], [-0.4, 0.8]], dtype=F64, requires_grad=True)
    t = torch.tensor([0.0, 0.4, 1.1, 1.5], dtype=F64)
    t = (t.flip(0) if reverse else t).requires_grad_(True)
    return y0, t


@pytest.mark.parametrize(
    "method", ["dopri5", "tsit5", "dopri8", "rk4", "midpoint", "explicit_adams", "implicit_adams"]
)
def test_gradcheck_odeint(method):
    f = Field()
    y0, t = _inputs()
    options = (
        {"step_size": 0.05}
        if method in ("rk4", "midpoint", "explicit_adams", "implicit_adams")
        else None
    )
    if method == "dopri8":
        # Its few, long steps make the 4th-order interpolant's error (which moves with the
        # step sizes when gradcheck perturbs inputs) exceed gradcheck's tolerance: land the
        # steps on the output times instead.
        options = {"step_t": t.detach()}

    def fn(y0, t, w):
        f.w.data = w  # gradcheck perturbs w; keep it a leaf input
        return odeint(
            lambda s, y: torch.tanh(y @ w + f.b) - 0.1 * y * torch.sin(s),
            y0,
            t,
            rtol=1e-11,
            atol=1e-12,
            method=method,
            options=options,
        )

    if options is not None and "step_size" in options:
        # Time gradients are those of the exact flow (f(t_i, y_i)); on a coarse fixed grid
        # the discrete output differs from it by O(h**p), so check y0 and w only.
        t = t.detach()
    w = f.w.detach().clone().requires_grad_(True)
    assert gradcheck(fn, (y0, t, w), atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
def test_gradcheck_odeint_adjoint(reverse):
    f = Field()
    y0, t = _inputs(reverse)

    def fn(y0, t, w, b):
        f.w, f.b = torch.nn.Parameter(w), torch.nn.Parameter(b)
        return odeint_adjoint(
            lambda s, y: torch.tanh(y @ w + b) - 0.1 * y * torch.sin(s),
            y0,
            t,
            rtol=1e-11,
            atol=1e-12,
            adjoint_params=(w, b),
        )

    w = f.w.detach().clone().requires_grad_(True)
    b = f.b.detach().clone().requires_grad_(True)
    assert gradcheck(fn, (y0, t, w, b), atol=1e-6, rtol=1e-5)


def _grads(solver, reverse=False, **kwargs):
    f = Field()
    y0, t = _inputs(reverse)
    ys = solver(f, y0, t, **kwargs)
    weights = torch.linspace(-1, 1, ys.numel(), dtype=F64).reshape(ys.shape)
    loss = (ys * weights).sum()
    return torch.autograd.grad(loss, (y0, t, f.w, f.b))


def _rel(a, b):
    return float((a - b).abs().max() / b.abs().max().clamp_min(1e-300))


@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
def test_adjoint_matches_backprop_and_finite_differences(reverse):
    tol = dict(rtol=1e-10, atol=1e-12)
    direct = _grads(odeint, reverse, **tol)
    adjoint = _grads(odeint_adjoint, reverse, **tol)
    for a, d in zip(adjoint, direct, strict=True):
        assert _rel(a, d) < 1e-6
    # finite differences on one parameter entry
    f = Field()
    y0, t = _inputs(reverse)
    weights = None
    vals = []
    for eps in (1e-6, -1e-6):
        with torch.no_grad():
            f.w[0, 1] += eps
            ys = odeint(f, y0, t, **tol)
            f.w[0, 1] -= eps
        weights = torch.linspace(-1, 1, ys.numel(), dtype=F64).reshape(ys.shape)
        vals.append(float((ys * weights).sum()))
    fd = (vals[0] - vals[1]) / 2e-6
    assert abs(float(adjoint[2][0, 1]) - fd) < 1e-6 * max(1.0, abs(fd))


@pytest.mark.parametrize("method", ["dopri5", "tsit5", "bosh3", "adaptive_heun", "rk4"])
@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
def test_checkpoint_matches_backprop(method, reverse):
    options = {"step_size": 0.1} if method == "rk4" else None
    kw = dict(rtol=1e-6, atol=1e-8, method=method, options=options)
    direct = _grads(odeint, reverse, **kw)
    ckpt = _grads(odeint_checkpoint, reverse, **kw)
    for c, d in zip(ckpt, direct, strict=True):
        assert _rel(c, d) < 1e-9


@pytest.mark.parametrize(
    "method,options,tol,t_end",
    [
        ("rk4", {"step_size": 0.01}, {}, 3.0),
        ("dopri5", None, {"rtol": 1e-12, "atol": 1e-14}, 20.0),
    ],
    ids=["rk4-300-steps", "dopri5-tight-long"],
)
def test_checkpoint_keeps_about_sqrt_steps_states_and_stays_exact(
    method, options, tol, t_end, monkeypatch
):
    # Hundreds of steps: the kept starts are thinned several times and the backward pass
    # replays segments from them; the gradient must still equal backprop's.
    from tsgrad.ode import _checkpoint

    seen = {}
    real_add = _checkpoint._SegmentRecorder.add

    def spy(self, st, n):
        real_add(self, st, n)
        seen["steps"] = len(self.records)
        seen["most_kept"] = max(seen.get("most_kept", 0), len(self.starts))

    monkeypatch.setattr(_checkpoint._SegmentRecorder, "add", spy)
    kw = dict(method=method, options=options, **tol)
    f = Field()
    y0 = torch.tensor([[0.5, -0.3], [1.0, 0.2]], dtype=F64)
    t = torch.linspace(0.0, t_end, 7, dtype=F64)
    direct = torch.autograd.grad(odeint(f, y0, t, **kw).square().sum(), tuple(f.parameters()))
    ckpt = torch.autograd.grad(
        odeint_checkpoint(f, y0, t, **kw).square().sum(), tuple(f.parameters())
    )
    assert seen["steps"] >= 200
    assert seen["most_kept"] <= 2 * math.isqrt(seen["steps"]) + 2
    for c, d in zip(ckpt, direct, strict=True):
        assert _rel(c, d) < 1e-9


def test_checkpoint_with_tuple_state_and_jump_t():
    w = torch.tensor(0.7, dtype=F64, requires_grad=True)

    def f(t, y):
        return (-w * y[0] * (1.0 + (t > 0.5)), w * y[0] - y[1])

    y0 = (torch.ones(3, dtype=F64), torch.zeros(3, dtype=F64))
    t = torch.linspace(0, 1, 5, dtype=F64)
    opts = {"jump_t": torch.tensor([0.5])}
    a = odeint(f, y0, t, options=opts)
    b = odeint_checkpoint(f, y0, t, options=opts, adjoint_params=(w,))
    ga = torch.autograd.grad(sum(x.sum() for x in a), w)[0]
    gb = torch.autograd.grad(sum(x.sum() for x in b), w)[0]
    assert _rel(gb, ga) < 1e-9


def test_adjoint_tuple_state():
    w = torch.tensor(0.7, dtype=F64, requires_grad=True)
    f = lambda t, y: (-w * y[0], w * y[0] - y[1])  # noqa: E731
    y0 = (torch.ones(2, dtype=F64), torch.zeros(2, dtype=F64))
    t = torch.linspace(0, 2, 4, dtype=F64)
    a = odeint(f, y0, t, rtol=1e-10, atol=1e-12)
    b = odeint_adjoint(f, y0, t, rtol=1e-10, atol=1e-12, adjoint_params=(w,))
    ga = torch.autograd.grad(sum(x.sum() for x in a), w)[0]
    gb = torch.autograd.grad(sum(x.sum() for x in b), w)[0]
    assert _rel(gb, ga) < 1e-7


def test_seminorm_takes_fewer_backward_steps_with_the_same_gradient():
    class Counting(Field):
        nfe = 0

        def forward(self, t, y):
            Counting.nfe += 1
            return super().forward(t, y)

    grads, nfes = [], []
    for adjoint_options in (None, {"norm": "seminorm"}):
        f = Counting()
        y0, t = _inputs()
        ys = odeint_adjoint(f, y0, t, rtol=1e-7, atol=1e-9, adjoint_options=adjoint_options)
        Counting.nfe = 0
        ys.sum().backward()
        nfes.append(Counting.nfe)
        grads.append(f.w.grad.clone())
    assert nfes[1] <= nfes[0]
    assert _rel(grads[1], grads[0]) < 1e-4


def test_adjoint_parameters_not_used_get_zero_or_no_grad():
    class WithUnused(Field):
        def __init__(self):
            super().__init__()
            self.unused = torch.nn.Linear(2, 3).double()

    f = WithUnused()
    y0, t = _inputs()
    odeint_adjoint(f, y0, t).sum().backward()
    assert f.unused.weight.grad is None or float(f.unused.weight.grad.abs().max()) == 0.0
    assert f.w.grad is not None


def test_adjoint_stats_count_forward_steps():
    stats = SolverStats()
    f = Field()
    y0, t = _inputs()
    odeint_adjoint(f, y0, t, options={"stats": stats})
    assert stats.n_accepted > 0 and stats.nfe > 0


def test_adjoint_callbacks_are_called_in_the_backward_solve():
    class F(Field):
        def __init__(self):
            super().__init__()
            self.calls = {"forward": 0, "backward": 0}

        def callback_accept_step(self, t, y, dt):
            self.calls["forward"] += 1

        def callback_accept_step_adjoint(self, t, y, dt):
            self.calls["backward"] += 1

    f = F()
    y0, t = _inputs()
    ys = odeint_adjoint(f, y0, t)
    assert f.calls == {"forward": f.calls["forward"], "backward": 0} and f.calls["forward"] > 0
    ys.sum().backward()
    assert f.calls["backward"] > 0

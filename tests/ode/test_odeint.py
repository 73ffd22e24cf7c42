"""odeint against closed-form solutions: every method, errors in units of the tolerance."""

from __future__ import annotations

import math

import pytest
import torch

from tsgrad.ode import SolverStats, odeint

from ._problems import F64, PROBLEM_IDS, PROBLEMS

ADAPTIVE = ["dopri5", "dopri8", "tsit5", "bosh3", "fehlberg2", "adaptive_heun"]
FIXED = [
    "euler",
    "midpoint",
    "heun2",
    "heun3",
    "rk4",
    "explicit_adams",
    "implicit_adams",
    "fixed_adams",
]
RTOL, ATOL = 1e-6, 1e-8
# Max global error, in tolerance units, over the problem inventory (measured: 6, 40, 7, 20,
# 11 and 2800). fehlberg2 controls the error of its first-order embedded solution with a
# 1/512 weight, so its second-order solution drifts by hundreds of tolerances per unit time.
GLOBAL_ERROR_BOUND = {
    "dopri5": 20,
    "dopri8": 100,
    "tsit5": 20,
    "bosh3": 60,
    "adaptive_heun": 40,
    "fehlberg2": 6000,
}


def tol_units(y, exact, rtol=RTOL, atol=ATOL):
    """Max error measured in units of the requested tolerance ``atol + rtol |y|``."""
    return float(((y - exact).abs() / (atol + rtol * exact.abs())).max())


@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@pytest.mark.parametrize("problem", PROBLEMS, ids=PROBLEM_IDS)
@pytest.mark.parametrize("method", ADAPTIVE)
def test_adaptive_error_in_tolerance_units(method, problem, reverse):
    t = problem.times(reverse=reverse)
    y = odeint(problem.f, problem.start(t), t, rtol=RTOL, atol=ATOL, method=method)
    exact = problem.exact(t)
    assert y.shape == exact.shape
    # Global error is a modest multiple of the local tolerance.
    assert tol_units(y, exact) < GLOBAL_ERROR_BOUND[method]


@pytest.mark.parametrize("method", ["dopri5", "tsit5", "dopri8", "bosh3"])
def test_tolerance_proportionality(method):
    """Tighter tolerances give proportionally smaller errors (the controller works)."""
    problem = PROBLEMS[3]
    t = problem.times()
    errs = []
    for tol in (1e-5, 1e-8):
        y = odeint(problem.f, problem.y0, t, rtol=tol, atol=tol, method=method)
        errs.append(float((y - problem.exact(t)).abs().max()))
    assert errs[1] < errs[0] / 30


@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@pytest.mark.parametrize("method", FIXED)
def test_fixed_grid_methods_on_exp_sin(method, reverse):
    problem = PROBLEMS[4]
    t = problem.times(reverse=reverse)
    y = odeint(problem.f, problem.start(t), t, method=method, options={"step_size": 1e-3})
    bound = 5e-3 if method == "euler" else 1e-5
    assert float((y - problem.exact(t)).abs().max()) < bound


def _fit_order(method, step_sizes, problem=PROBLEMS[4], **options):
    t = torch.tensor([problem.t0, problem.t1], dtype=F64)
    errs = []
    for h in step_sizes:
        y = odeint(problem.f, problem.y0, t, method=method, options={"step_size": h, **options})
        errs.append(float((y[-1] - problem.exact(t)[-1]).abs().max()))
    logs_h = [math.log(h) for h in step_sizes]
    logs_e = [math.log(e) for e in errs]
    n = len(step_sizes)
    mh, me = sum(logs_h) / n, sum(logs_e) / n
    return sum((a - mh) * (b - me) for a, b in zip(logs_h, logs_e, strict=True)) / sum(
        (a - mh) ** 2 for a in logs_h
    )


@pytest.mark.parametrize(
    ("method", "order", "options"),
    [
        ("euler", 1, {}),
        ("midpoint", 2, {}),
        ("heun2", 2, {}),
        ("heun3", 3, {}),
        ("rk4", 4, {}),
        # torchdiffeq's max_order: Adams-Bashforth of order max_order - 1, the corrector
        # (Adams-Moulton) of order max_order.
        ("explicit_adams", 4, {"max_order": 5}),
        ("implicit_adams", 5, {"max_order": 5}),
        ("explicit_adams", 3, {"max_order": 4}),
    ],
    ids=lambda v: str(v).replace(" ", "") if isinstance(v, dict) else None,
)
def test_fixed_step_convergence_order(method, order, options):
    fitted = _fit_order(method, [0.1, 0.05, 0.025, 0.0125], **options)
    assert order - 0.25 < fitted < order + 0.6


def test_nonuniform_grid_constructor_keeps_adams_order():
    def grid(func, y0, t):
        u = torch.linspace(0, 1, 41, dtype=F64)
        return t[0] + (t[-1] - t[0]) * (u + 0.05 * torch.sin(math.pi * u) ** 2)

    problem = PROBLEMS[4]
    t = torch.tensor([problem.t0, problem.t1], dtype=F64)
    y = odeint(
        problem.f,
        problem.y0,
        t,
        method="explicit_adams",
        options={"grid_constructor": grid, "max_order": 5},
    )
    assert float((y[-1] - problem.exact(t)[-1]).abs().max()) < 1e-4


def test_fixed_grid_default_is_output_times_and_linear_interp():
    f = lambda t, y: torch.ones_like(y)  # noqa: E731
    t = torch.tensor([0.0, 0.25, 1.0], dtype=F64)
    y = odeint(f, torch.zeros(1, dtype=F64), t, method="euler")
    torch.testing.assert_close(y[:, 0], t)
    # step_size + linear interpolation is exact for a linear solution
    y = odeint(f, torch.zeros(1, dtype=F64), t, method="euler", options={"step_size": 0.3})
    torch.testing.assert_close(y[:, 0], t)


def test_cubic_interp_beats_linear_between_grid_points():
    problem = PROBLEMS[4]
    t = torch.linspace(0, 3, 31, dtype=F64)
    errs = {}
    for interp in ("linear", "cubic"):
        y = odeint(
            problem.f, problem.y0, t, method="rk4", options={"step_size": 0.25, "interp": interp}
        )
        errs[interp] = float((y - problem.exact(t)).abs().max())
    assert errs["cubic"] < errs["linear"] / 10


def test_no_integration_returns_y0():
    y0 = torch.randn(3, dtype=F64)
    for method in ADAPTIVE + FIXED:
        y = odeint(lambda t, y: y, y0, torch.tensor([1.5], dtype=F64), method=method)
        assert y.shape == (1, 3)
        torch.testing.assert_close(y[0], y0)


def test_tuple_state_matches_tensor_state():
    f = lambda t, y: (y[1], -y[0])  # noqa: E731
    t = torch.linspace(0, 4, 9, dtype=F64)
    ya, yb = odeint(f, (torch.zeros(2, dtype=F64), torch.ones(2, dtype=F64)), t)
    assert ya.shape == (9, 2) and yb.shape == (9, 2)
    torch.testing.assert_close(ya[:, 0], torch.sin(t), rtol=0, atol=1e-6)
    torch.testing.assert_close(yb[:, 1], torch.cos(t), rtol=0, atol=1e-6)


def test_tuple_state_of_different_shapes():
    f = lambda t, y: (-y[0], 2 * y[1])  # noqa: E731
    y0 = (torch.ones((), dtype=F64), torch.ones(2, 3, dtype=F64))
    t = torch.tensor([0.0, 1.0], dtype=F64)
    a, b = odeint(f, y0, t)
    assert a.shape == (2,) and b.shape == (2, 2, 3)
    assert abs(float(a[-1]) - math.exp(-1)) < 1e-6
    assert float((b[-1] - math.exp(2)).abs().max()) < 1e-5


def test_float32_state_with_float64_time():
    problem = PROBLEMS[4]
    t = problem.times()
    seen = []

    def f(t, y):
        seen.append(t.dtype)
        return y * torch.cos(t).to(y.dtype)

    y = odeint(f, torch.ones(2), t, rtol=1e-5, atol=1e-6)
    assert y.dtype == torch.float32 and set(seen) == {torch.float64}
    assert float((y.double() - problem.exact(t)).abs().max()) < 1e-4


def test_complex_state():
    t = torch.linspace(0, 2, 5, dtype=F64)
    y = odeint(lambda t, y: 1j * y, torch.ones(2, dtype=torch.complex128), t)
    torch.testing.assert_close(y[:, 0], torch.exp(1j * t), rtol=0, atol=1e-6)


def test_stats_count_function_evaluations():
    calls = [0]

    def f(t, y):
        calls[0] += 1
        return -y

    stats = SolverStats()
    odeint(
        f, torch.ones(2, dtype=F64), torch.tensor([0.0, 5.0], dtype=F64), options={"stats": stats}
    )
    assert stats.nfe == calls[0]
    # dopri5 is FSAL: 6 evaluations per attempted step, plus the first and the initial guess
    assert stats.nfe == 6 * (stats.n_accepted + stats.n_rejected) + 2


def test_step_t_and_jump_t_reduce_work_at_a_discontinuity():
    def count(options):
        stats = SolverStats()
        f = lambda t, y: -0.5 * y if t < 0.5 else y**2  # noqa: E731
        odeint(
            f,
            torch.tensor([1.0, 2.0], dtype=F64),
            torch.tensor([0.0, 1.0], dtype=F64),
            options={**options, "stats": stats},
        )
        return stats.nfe

    plain = count({})
    assert count({"jump_t": torch.tensor([0.5])}) < plain


def test_user_norm_is_called_with_the_state_structure():
    seen = []

    def norm(x):
        seen.append(type(x))
        return x[0].abs().max() if isinstance(x, tuple) else x.abs().max()

    odeint(lambda t, y: y, torch.ones(2), torch.tensor([0.0, 1.0]), options={"norm": norm})
    odeint(
        lambda t, y: y,
        (torch.ones(2), torch.ones(1)),
        torch.tensor([0.0, 1.0]),
        options={"norm": norm},
    )
    assert seen[0] is torch.Tensor and seen[-1] is tuple


def test_callbacks_are_called():
    class F(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.log = {"step": 0, "accept": 0, "reject": 0}

        def forward(self, t, y):
            return -y

        def callback_step(self, t, y, dt):
            self.log["step"] += 1

        def callback_accept_step(self, t, y, dt):
            self.log["accept"] += 1

        def callback_reject_step(self, t, y, dt):
            self.log["reject"] += 1

    f = F()
    stats = SolverStats()
    odeint(f, torch.ones(1), torch.tensor([0.0, 3.0]), options={"stats": stats})
    assert f.log["accept"] == stats.n_accepted > 0
    assert f.log["step"] == stats.n_accepted + stats.n_rejected


@pytest.mark.parametrize("solver", ["RK45", "DOP853", "Radau", "LSODA"])
def test_scipy_solver(solver):
    problem = PROBLEMS[2]
    t = problem.times(reverse=True)
    y = odeint(
        problem.f,
        problem.start(t),
        t,
        method="scipy_solver",
        options={"solver": solver},
        rtol=1e-9,
        atol=1e-11,
    )
    assert float((y - problem.exact(t)).abs().max()) < 1e-6


@pytest.mark.parametrize(
    "method,callback",
    [
        ("euler", "callback_accept_step"),
        ("rk4", "callback_reject_step"),
        ("explicit_adams", "callback_accept_step"),
        ("scipy_solver", "callback_step"),
        ("scipy_solver", "callback_accept_step"),
    ],
)
def test_callbacks_the_method_never_calls_are_warned_about_and_not_called(method, callback):
    # torchdiffeq's contract (its TestCallbacks.test_wrong_callback): fixed-grid methods only
    # call callback_step, solve_ivp calls none.
    calls = []
    f = _Decay()
    setattr(f, callback, lambda t, y, dt: calls.append(t))
    options = {"step_size": 0.1} if method != "scipy_solver" else None
    with pytest.warns(UserWarning, match=f"does not support the callbacks \\['{callback}'\\]"):
        odeint(f, torch.ones(2), torch.tensor([0.0, 1.0]), method=method, options=options)
    assert calls == []


def test_fixed_grid_methods_call_callback_step_once_per_step():
    calls = []
    f = _Decay()
    f.callback_step = lambda t, y, dt: calls.append(float(dt))
    odeint(f, torch.ones(2), torch.tensor([0.0, 1.0]), method="rk4", options={"step_size": 0.1})
    assert len(calls) == 10 and calls[0] == pytest.approx(0.1)


class _Decay(torch.nn.Module):
    def forward(self, t, y):
        return -y


def test_scipy_lsoda_takes_min_step_and_other_solvers_refuse_it(monkeypatch):
    import tsgrad.ode._scipy as scipy_path

    seen = {}
    real = scipy_path.solve_ivp

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(scipy_path, "solve_ivp", spy)
    f, y0, t = _Decay(), torch.ones(2, dtype=torch.float64), torch.tensor([0.0, 4.0])
    y = odeint(f, y0, t, method="scipy_solver", options={"min_step": 1e-3})
    assert seen["min_step"] == 1e-3 and seen["method"] == "LSODA"
    assert torch.allclose(y[-1], torch.exp(torch.tensor(-4.0, dtype=torch.float64)), rtol=1e-4)
    with pytest.raises(ValueError, match="'min_step' option .* solver='RK45'"):
        odeint(f, y0, t, method="scipy_solver", options={"solver": "RK45", "min_step": 0.5})


class _Decay(torch.nn.Module):
    def forward(self, t, y):
        return -y


@pytest.mark.parametrize("max_order", [4, 6, 12])
def test_explicit_adams_max_order_means_what_it_means_in_torchdiffeq(max_order):
    # Same name, same meaning: the outputs agree with torchdiffeq's up to the start-up (RK4
    # steps here, a ramp of orders there), both far below the method's own error.
    torchdiffeq = pytest.importorskip("torchdiffeq")
    problem = PROBLEMS[4]
    t = torch.linspace(0, 3, 7, dtype=F64)
    options = {"step_size": 0.01, "max_order": max_order}
    ours = odeint(problem.f, problem.y0, t, method="explicit_adams", options=options)
    theirs = torchdiffeq.odeint(problem.f, problem.y0, t, method="explicit_adams", options=options)
    assert float((ours - theirs).abs().max()) < 1e-6  # the old meaning differed by 1e-2
    assert float((ours - problem.exact(t)).abs().max()) < 5e-6


def test_tuple_tolerances_for_a_tuple_state():
    # A loose tolerance on the first component only: it takes fewer steps than a tight
    # one on both, and the tight component stays accurate.
    f = lambda t, y: (-y[0], torch.cos(t) * y[1])  # noqa: E731
    y0 = (torch.ones(2, dtype=F64), torch.ones(3, dtype=F64))
    t = torch.linspace(0, 3, 4, dtype=F64)
    tight, mixed = SolverStats(), SolverStats()
    odeint(f, y0, t, rtol=1e-10, atol=1e-12, options={"stats": tight})
    a, b = odeint(
        f,
        y0,
        t,
        rtol=(1e-3, 1e-10),
        atol=(1e-3, torch.full((3,), 1e-12, dtype=F64)),
        options={"stats": mixed},
    )
    assert mixed.n_accepted < tight.n_accepted
    assert float((b - torch.exp(torch.sin(t))[:, None]).abs().max()) < 1e-8
    with pytest.raises(ValueError, match="one entry per component of y0 \\(2\\)"):
        odeint(f, y0, t, rtol=(1e-3, 1e-3, 1e-3))
    with pytest.raises(ValueError, match="'atol\\[1\\]' parameter"):
        odeint(f, y0, t, atol=(1e-3, torch.ones(2, dtype=F64)))

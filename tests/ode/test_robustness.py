"""Every solve ends: the hangs of issue 13 end within seconds with a named error.

Each call that used to hang runs under a deadline (``_deadline.outcome_within``), so a
regression fails here instead of hanging CI.
"""

from __future__ import annotations

import math

import pytest
import torch

from tsgrad.ode import (
    MaxStepsExceededError,
    NonFiniteStateError,
    SolverStats,
    StepSizeUnderflowError,
    odeint,
    odeint_adjoint,
)

from ._deadline import outcome_within, raises_within

F64 = torch.float64
T3 = torch.linspace(0, 1, 3, dtype=F64)


def decay(t, y):
    return -y


class Decay(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.k = torch.nn.Parameter(torch.tensor(1.0, dtype=F64))

    def forward(self, t, y):
        return -self.k * y


# --- the hangs listed in the issue ----------------------------------------------------------


@pytest.mark.parametrize("method", ["dopri5", "rk4", "explicit_adams", "scipy_solver"])
def test_nan_in_y0_is_named(method):
    y0 = torch.tensor([1.0, float("nan")], dtype=F64)
    options = {"max_num_steps": 100} if method != "rk4" else {"step_size": 0.1}
    err = raises_within(
        NonFiniteStateError,
        lambda: odeint(decay, y0, T3, method=method, options=options),
        match=r"initial state y0 holds NaN or inf \(1 of 2 entries; the first at index \(1,\)\)",
    )
    assert err.t == 0.0


def test_zero_tolerances_are_a_clear_value_error():
    raises_within(
        ValueError,
        lambda: odeint(decay, torch.ones(2, dtype=F64), T3, rtol=0.0, atol=0.0),
        match="'rtol' and 'atol' parameters of odeint must not both be 0",
    )
    tensor_atol = torch.tensor([1e-9, 0.0], dtype=F64)
    raises_within(
        ValueError, lambda: odeint(decay, torch.ones(2, dtype=F64), T3, rtol=0.0, atol=tensor_atol)
    )


def test_purely_relative_test_meets_a_zero_state():
    kind, y = outcome_within(lambda: odeint(decay, torch.zeros(2, dtype=F64), T3, atol=0.0))
    assert kind == "ok" and bool((y == 0).all())
    # and a non-zero state is solved to the relative tolerance
    kind, y = outcome_within(
        lambda: odeint(decay, torch.ones(2, dtype=F64), T3, rtol=1e-8, atol=0.0)
    )
    assert kind == "ok"
    assert float(((y[:, 0] - torch.exp(-T3)) / torch.exp(-T3)).abs().max()) < 1e-7


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16], ids=["float16", "bfloat16"])
def test_low_precision_state_is_integrated_in_float32(dtype):
    seen = []

    def f(t, y):
        seen.append(y.dtype)
        return -y

    kind, y = outcome_within(lambda: odeint(f, torch.ones(2, dtype=dtype), T3))
    assert kind == "ok" and y.dtype == dtype and set(seen) == {dtype}
    assert float((y[:, 0].double() - torch.exp(-T3)).abs().max()) < 1e-2


def test_tiny_fixed_step_is_refused_before_stepping():
    err = raises_within(
        MaxStepsExceededError,
        lambda: odeint(
            decay, torch.ones(2, dtype=F64), T3, method="rk4", options={"step_size": 1e-12}
        ),
        match="1000000000000 steps",
    )
    assert err.step is None  # refused before the first step


def test_fixed_grid_max_num_steps_bounds_the_grid():
    raises_within(
        MaxStepsExceededError,
        lambda: odeint(
            decay,
            torch.ones(2, dtype=F64),
            T3,
            method="euler",
            options={"step_size": 0.01, "max_num_steps": 50},
        ),
    )


def test_event_exactly_at_t0_is_the_event():
    y0 = torch.tensor([1.0, 2.0], dtype=F64)
    kind, (t_e, sol) = outcome_within(
        lambda: odeint(decay, y0, T3, event_fn=lambda t, y: t * y.sum())
    )
    assert kind == "ok" and float(t_e) == 0.0
    assert sol.shape == (2, 2) and torch.equal(sol[0], y0) and torch.equal(sol[1], y0)


def test_event_that_never_happens_ends():
    # The search for an event is bounded by max_num_steps (counted as in any solve) ...
    raises_within(
        MaxStepsExceededError,
        lambda: odeint(
            decay,
            torch.ones(1, dtype=F64),
            T3,
            event_fn=lambda t, y: y.sum() + 1.0,
            options={"max_num_steps": 1000},
        ),
    )
    # ... and by the state or the time becoming infinite.
    raises_within(
        NonFiniteStateError,
        lambda: odeint(
            lambda t, y: y, torch.ones(1, dtype=F64), T3, event_fn=lambda t, y: y.sum() + 1.0
        ),
    )
    raises_within(
        NonFiniteStateError,
        lambda: odeint(
            lambda t, y: torch.zeros_like(y),
            torch.ones(1, dtype=F64),
            T3,
            event_fn=lambda t, y: y.sum() + 1.0,
        ),
        match="time became infinite.*event function never crossed zero",
    )


def test_adjoint_backward_with_nan_cotangent_is_named():
    f = Decay()
    ys = odeint_adjoint(f, torch.ones(2, dtype=F64), T3)

    def backward():
        (ys * torch.tensor(float("nan"), dtype=F64)).sum().backward()

    raises_within(NonFiniteStateError, backward, match="gradient flowing into the output")


def test_infinite_derivative_at_t0_is_named_not_zero_division():
    raises_within(
        NonFiniteStateError,
        lambda: odeint(lambda t, y: y / 0.0, torch.ones(2, dtype=F64), T3),
        match=r"func\(t0, y0\) is NaN or inf",
    )


@pytest.mark.parametrize("per_sample", [False, True], ids=["joint", "per_sample"])
def test_derivative_that_becomes_nan_is_named_with_its_time(per_sample):
    def f(t, y):
        late = (t > 0.5).reshape(-1, *([1] * (y.dim() - 1))) if t.dim() else t > 0.5
        return torch.where(late, torch.full_like(y, math.nan), -y)

    options = {"batch_dim": 0} if per_sample else None
    err = raises_within(
        NonFiniteStateError,
        lambda: odeint(f, torch.ones(3, 2, dtype=F64), T3, options=options),
        match="non-finite",
    )
    assert abs(err.t - 0.5) < 1e-3


def test_max_num_steps_counts_rejected_steps():
    class Counting(Decay):
        attempts = 0

        def forward(self, t, y):
            return -50 * self.k * (y - torch.cos(t))

        def callback_step(self, t, y, dt):
            Counting.attempts += 1

    stats = SolverStats()
    odeint(Counting(), torch.zeros(1, dtype=F64), T3, options={"stats": stats, "first_step": 1.0})
    assert stats.n_rejected > 0  # the large first step is rejected
    limit = stats.n_accepted + stats.n_rejected - 1
    Counting.attempts = 0
    err = raises_within(
        MaxStepsExceededError,
        lambda: odeint(
            Counting(),
            torch.zeros(1, dtype=F64),
            T3,
            options={"first_step": 1.0, "max_num_steps": limit},
        ),
        match=f"max_num_steps={limit} attempted steps reached, [1-9][0-9]* of them rejected",
    )
    assert Counting.attempts == limit and err.step < limit


def test_user_norm_that_returns_nan_is_named():
    raises_within(
        NonFiniteStateError,
        lambda: odeint(
            decay, torch.ones(2, dtype=F64), T3, options={"norm": lambda x: x.sum() * math.nan}
        ),
        match="'norm' option",
    )


def test_vector_valued_norm_is_a_clear_error():
    raises_within(
        ValueError,
        lambda: odeint(decay, torch.ones(2, dtype=F64), T3, options={"norm": lambda x: x.abs()}),
        match="'norm' option of odeint must return a real scalar.*shape \\(2,\\)",
    )


def test_atol_of_the_wrong_shape_is_a_clear_error():
    raises_within(
        ValueError,
        lambda: odeint(decay, torch.ones(2, dtype=F64), T3, atol=torch.ones(3, dtype=F64)),
        match="'atol' parameter of odeint must be a float or a tensor broadcastable to the "
        "state's shape \\(2,\\). Got a tensor of shape \\(3,\\)",
    )


# --- func's output is checked once -------------------------------------------------------

WRONG_SHAPE_METHODS = ["euler", "midpoint", "rk4", "explicit_adams", "implicit_adams", "dopri5"]


@pytest.mark.parametrize("method", WRONG_SHAPE_METHODS)
def test_wrongly_shaped_derivative_is_not_broadcast(method):
    options = {"step_size": 0.1} if method != "dopri5" else None
    raises_within(
        ValueError,
        lambda: odeint(
            lambda t, y: -y.sum().reshape(1),
            torch.ones(2, dtype=F64),
            T3,
            method=method,
            options=options,
        ),
        match=r"'func' parameter of odeint must return a tensor of the state's shape \(2,\)",
    )


@pytest.mark.parametrize(
    ("func", "error", "match"),
    [
        (lambda t, y: None, TypeError, "must return a tensor shaped like y. Got NoneType"),
        (lambda t, y: y.long(), TypeError, "floating dtype. Got dtype torch.int64"),
        (lambda t, y: y * 1j, TypeError, "real dtype for a real state"),
        (lambda t, y: torch.empty(2, device="meta"), ValueError, "device"),
    ],
    ids=["none", "integer", "complex", "device"],
)
def test_bad_derivative_names_func(func, error, match):
    raises_within(error, lambda: odeint(func, torch.ones(2, dtype=F64), T3), match=match)


def test_tuple_derivative_of_the_wrong_structure_names_func():
    y0 = (torch.ones(2, dtype=F64), torch.ones(3, dtype=F64))
    raises_within(
        TypeError,
        lambda: odeint(lambda t, y: (-y[0],), y0, T3),
        match="'func' parameter of odeint must return a tuple of 2 tensors",
    )
    raises_within(
        ValueError,
        lambda: odeint(lambda t, y: (-y[0], -y[0]), y0, T3),
        match=r"state's shape \(3,\)",
    )


def test_wider_derivative_dtype_is_cast_as_torchdiffeq_does():
    y = odeint(lambda t, y: -y.double(), torch.ones(2), T3)
    assert y.dtype == torch.float32
    assert float((y[:, 0].double() - torch.exp(-T3)).abs().max()) < 1e-6


# --- scipy_solver and fixed grids ----------------------------------------------------------


@pytest.mark.parametrize(
    ("solver", "error"), [("LSODA", NonFiniteStateError), ("RK45", StepSizeUnderflowError)]
)
def test_scipy_solver_blow_up_is_named(solver, error):
    # y' = y^2, y(0) = 1 blows up at t = 1; LSODA used to loop forever on the inf.
    err = raises_within(
        error,
        lambda: odeint(
            lambda t, y: y**2,
            torch.ones(1, dtype=F64),
            torch.tensor([0.0, 2.0], dtype=F64),
            method="scipy_solver",
            options={"solver": solver},
        ),
    )
    assert abs(err.t - 1.0) < 1e-2


def test_scipy_solver_nan_derivative_is_named():
    raises_within(
        NonFiniteStateError,
        lambda: odeint(
            lambda t, y: y * torch.log(0.5 - t),
            torch.ones(1, dtype=F64),
            T3,
            method="scipy_solver",
        ),
    )


def test_fixed_grid_non_finite_names_the_step_where_it_appeared():
    # Euler on y' = y^2 from y(0) = 1 with h = 0.1: find the first infinite step by hand.
    y, k = 1.0, 0
    while math.isfinite(y):
        y, k = y + 0.1 * (y * y), k + 1
    t_start = (k - 1) * 0.1  # the step from t_start to t_start + h produced the inf
    err = raises_within(
        NonFiniteStateError,
        lambda: odeint(
            lambda t, y: y**2,
            torch.ones(1, dtype=F64),
            torch.linspace(0, 3, 4, dtype=F64),
            method="euler",
            options={"step_size": 0.1},
        ),
        match="in the step from t=",
    )
    assert abs(err.t - t_start) < 1e-9 and err.step == k - 1


def test_step_size_underflow_on_accepted_steps_is_named():
    # min_step forces acceptance of steps too small to move t: named, not an endless loop.
    raises_within(
        StepSizeUnderflowError,
        lambda: odeint(
            decay,
            torch.ones(1, dtype=F64),
            torch.tensor([1e20, 1e20 + 1e6], dtype=F64),
            options={"first_step": 1.0, "max_step": 1.0},
        ),
    )

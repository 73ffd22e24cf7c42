"""Bad arguments raise ValueError/TypeError naming the parameter; failures are named."""

from __future__ import annotations

import pytest
import torch

from tsgrad.ode import (
    MaxStepsExceededError,
    ODESolverError,
    StepSizeUnderflowError,
    odeint,
    odeint_adjoint,
    odeint_checkpoint,
    odeint_dense,
    odeint_event,
)

Y0 = torch.ones(2)
T = torch.tensor([0.0, 1.0])


def decay(t, y):
    return -y


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"method": "rk45"}, ValueError, "'method' parameter of odeint must be one of"),
        ({"rtol": -1.0}, ValueError, "'rtol' parameter of odeint must be finite and >= 0"),
        ({"atol": float("nan")}, ValueError, "'atol' parameter"),
        ({"rtol": "tight"}, TypeError, "'rtol' parameter"),
        ({"options": {"max_steps": 3}}, ValueError, "Unknown option 'max_steps'"),
        ({"options": {"grid_points": T}}, ValueError, "now called step_t"),
        ({"options": {"step_size": 0.1}}, ValueError, "Unknown option 'step_size' for method"),
        ({"method": "euler", "options": {"rtol": 1}}, ValueError, "Unknown option 'rtol'"),
        ({"options": {"safety": 2.0}}, ValueError, "'safety' option of odeint must be in"),
        ({"options": {"max_num_steps": 0}}, ValueError, "'max_num_steps' option"),
        ({"options": {"min_step": 1.0, "max_step": 0.5}}, ValueError, "'min_step' option"),
        ({"options": {"first_step": -0.1}}, ValueError, "'first_step' option"),
        ({"options": {"dtype": torch.int32}}, ValueError, "'dtype' option"),
        ({"options": {"stats": {}}}, TypeError, "'stats' option"),
        ({"options": "fast"}, TypeError, "'options' parameter of odeint must be a dict"),
        ({"method": "euler", "options": {"interp": "quadratic"}}, ValueError, "'interp'"),
        (
            {"method": "rk4", "options": {"step_size": 0.1, "grid_constructor": print}},
            ValueError,
            "mutually exclusive",
        ),
        ({"method": "scipy_solver", "options": {"solver": "RK4"}}, ValueError, "'solver'"),
        ({"method": "explicit_adams", "options": {"max_order": 20}}, ValueError, "max_order"),
    ],
    ids=lambda v: v if isinstance(v, str) and " " not in v else None,
)
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        odeint(decay, Y0, T, **kwargs)


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        ((decay, Y0, torch.tensor([0.0, 1.0, 0.5])), ValueError, "strictly increasing"),
        ((decay, Y0, torch.tensor([0.0, 0.0])), ValueError, "strictly increasing"),
        ((decay, Y0, torch.tensor([[0.0, 1.0]])), ValueError, "'t' parameter"),
        ((decay, Y0, torch.tensor([0, 1])), ValueError, "floating"),
        ((decay, Y0, [0.0, 1.0]), TypeError, "'t' parameter"),
        ((decay, Y0, torch.tensor([0.0, float("inf")])), ValueError, "must be finite"),
        ((decay, [1.0, 2.0], T), TypeError, "'y0' parameter"),
        ((decay, torch.ones(2, dtype=torch.int64), T), TypeError, "floating or complex"),
        (("f", Y0, T), TypeError, "'func' parameter"),
    ],
    ids=[
        "non_monotonic",
        "repeated",
        "2d_t",
        "int_t",
        "list_t",
        "inf_t",
        "list_y0",
        "int_y0",
        "func_not_callable",
    ],
)
def test_bad_positional_arguments(args, error, match):
    with pytest.raises(error, match=match):
        odeint(*args)


def test_adjoint_requires_module_or_params():
    with pytest.raises(TypeError, match="must be a torch.nn.Module"):
        odeint_adjoint(decay, Y0, T)
    with pytest.raises(ValueError, match="'adjoint_method'"):
        odeint_adjoint(decay, Y0, T, adjoint_params=(), adjoint_method="bogus")
    with pytest.raises(ValueError, match="Unknown option 'bogus'"):
        odeint_adjoint(decay, Y0, T, adjoint_params=(), adjoint_options={"bogus": 1})


@pytest.mark.parametrize("solve", [odeint_adjoint, odeint_checkpoint], ids=lambda f: f.__name__)
def test_gradient_parameters_are_checked_alike(solve):
    with pytest.raises(TypeError, match="'func' parameter of .* must be a torch.nn.Module"):
        solve(decay, Y0, T)
    with pytest.raises(TypeError, match="'adjoint_params' parameter .* only tensors. Got float"):
        solve(decay, Y0, T, adjoint_params=(1.0,))


def test_event_and_dense_argument_errors():
    with pytest.raises(ValueError, match="'step_size' option"):
        odeint(decay, Y0, T, method="rk4", event_fn=lambda t, y: y.sum() - 1.0)
    with pytest.raises(ValueError, match="real tensor with at least one element"):
        odeint(decay, Y0, T, event_fn=lambda t, y: None)
    with pytest.raises(ValueError, match="'t0' parameter of odeint_event"):
        odeint_event(decay, Y0, torch.tensor([0.0, 1.0]), event_fn=lambda t, y: y.sum())
    with pytest.raises(ValueError, match="must differ"):
        odeint_dense(decay, Y0, 1.0, 1.0)
    sol = odeint_dense(decay, Y0, 0.0, 1.0)
    with pytest.raises(ValueError, match="must lie in"):
        sol(torch.tensor([1.5]))


def test_step_size_underflow_is_named_and_explained():
    # y' = y^2, y(0) = 1 blows up at t = 1.
    with pytest.raises(StepSizeUnderflowError) as info:
        odeint(
            lambda t, y: y**2,
            torch.ones(1, dtype=torch.float64),
            torch.tensor([0.0, 2.0], dtype=torch.float64),
        )
    err = info.value
    assert isinstance(err, ODESolverError) and not isinstance(err, AssertionError)
    assert abs(err.t - 1.0) < 1e-3 and err.step > 10
    assert "t=" in str(err) and "Try" in str(err)


def test_max_num_steps_is_named():
    with pytest.raises(
        MaxStepsExceededError, match="max_num_steps=5 attempted steps reached.*Try increasing"
    ) as info:
        odeint(
            lambda t, y: torch.cos(10 * t) * y,
            torch.ones(1),
            torch.tensor([0.0, 10.0]),
            options={"max_num_steps": 5},
        )
    # each count said once: the attempts and rejections, then where and the accepted steps
    text = str(info.value)
    assert text.count("accepted") == 1 and "of them rejected (at t=" in text


def test_max_num_steps_messages_of_one_sample_and_of_a_refused_grid():
    t = torch.tensor([0.0, 10.0], dtype=torch.float64)
    y0 = torch.ones(3, 1, dtype=torch.float64)
    with pytest.raises(MaxStepsExceededError, match="reached by one sample [(]at t=") as info:
        odeint(lambda t, y: -y, y0, t, options={"max_num_steps": 2, "batch_dim": 0})
    assert str(info.value).count("accepted") == 1
    with pytest.raises(
        MaxStepsExceededError, match=r"more than max_num_steps=3 \(at t=0\)\."
    ) as info:
        odeint(lambda t, y: -y, y0, t, method="rk4", options={"step_size": 0.1, "max_num_steps": 3})
    assert info.value.step is None

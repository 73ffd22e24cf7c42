"""Named failures of the ODE solvers.

Every solver failure is an :class:`ODESolverError` that says where it happened (the time and
the step count) and what to try. None of them is an ``AssertionError``, so ``python -O`` does
not strip them.
"""

from __future__ import annotations

__all__ = [
    "MaxStepsExceededError",
    "NonFiniteStateError",
    "ODESolverError",
    "StepSizeUnderflowError",
]


class ODESolverError(RuntimeError):
    """Base class of the errors raised when a solver cannot proceed.

    Catch it to handle any solver failure; it is a ``RuntimeError``.  The message ends with
    a hint of what to try: the class's ``hint``, or the ``hint`` passed to the constructor
    when the cause is known more precisely.

    Attributes
    ----------
    t : float
        The (user-facing) time at which the solver stopped.
    step : int or None
        The number of accepted steps taken before the failure (None where the solver does
        not report it: ``scipy_solver``, the initial state, a fixed grid refused before
        its first step).

    Examples
    --------
    ``y' = y**2, y(0) = 1`` has the solution ``1 / (1 - t)``, infinite at ``t = 1``:

    >>> import torch
    >>> from tsgrad.ode import ODESolverError, odeint
    >>> y0 = torch.ones(1, dtype=torch.float64)
    >>> t = torch.tensor([0.0, 2.0], dtype=torch.float64)
    >>> for method, options in [("dopri5", None), ("rk4", {"step_size": 0.25})]:
    ...     try:
    ...         odeint(lambda t, y: y**2, y0, t, method=method, options=options)
    ...     except ODESolverError as err:
    ...         print(f"{method}: {type(err).__name__} at t={err.t:.3f}")
    dopri5: StepSizeUnderflowError at t=1.000
    rk4: NonFiniteStateError at t=1.500
    >>> issubclass(ODESolverError, RuntimeError)
    True
    """

    hint = ""

    def __init__(self, message: str, *, t: float, step: int | None, hint: str | None = None):
        self.t = float(t)
        self.step = None if step is None else int(step)
        where = f"at t={self.t:.17g}"
        if self.step is not None:
            where += f", after {self.step} accepted steps"
        text = f"{message} ({where})."
        hint = self.hint if hint is None else hint
        if hint:
            text += " " + hint
        super().__init__(text)


class StepSizeUnderflowError(ODESolverError):
    """The adaptive step size fell below what the floating-point time can resolve.

    Examples
    --------
    ``y' = y**2, y(0) = 1`` has the solution ``1 / (1 - t)``, infinite at ``t = 1``; the
    adaptive steps shrink towards the singularity until ``t + h == t``:

    >>> import torch
    >>> from tsgrad.ode import StepSizeUnderflowError, odeint
    >>> y0 = torch.ones(1, dtype=torch.float64)
    >>> try:
    ...     odeint(lambda t, y: y**2, y0, torch.tensor([0.0, 2.0], dtype=torch.float64))
    ... except StepSizeUnderflowError as err:
    ...     print(f"stopped at t={err.t:.6f}")
    stopped at t=1.000000
    """

    hint = (
        "The problem may be stiff or have a singularity here. Try the stiff solver "
        "method='radau', looser tolerances, float64 state, or options={'min_step': ...} to "
        "force progress."
    )


class MaxStepsExceededError(ODESolverError):
    """The solver reached ``max_num_steps`` before the final time.

    Examples
    --------
    >>> import torch
    >>> from tsgrad.ode import MaxStepsExceededError, odeint
    >>> y0 = torch.ones(1, dtype=torch.float64)
    >>> t = torch.tensor([0.0, 10.0], dtype=torch.float64)
    >>> try:
    ...     odeint(lambda t, y: -y, y0, t, options={"max_num_steps": 3})
    ... except MaxStepsExceededError as err:
    ...     print(err.step, err.t < 10.0)
    ...     print(err)
    3 True
    max_num_steps=3 attempted steps reached, 0 of them rejected (at t=0.334..., after 3
    accepted steps). Try increasing options['max_num_steps'], loosening rtol/atol, or the
    stiff solver method='radau' if the problem is stiff.
    >>> y = odeint(lambda t, y: -y, y0, t, options={"max_num_steps": 1000})
    >>> torch.allclose(y[-1], torch.exp(-t[-1]))
    True
    """

    hint = (
        "Try increasing options['max_num_steps'], loosening rtol/atol, or the stiff solver "
        "method='radau' if the problem is stiff."
    )


class NonFiniteStateError(ODESolverError):
    """The state or its derivative became NaN or infinite.

    Examples
    --------
    A fixed step size walks past the blow-up of ``y' = y**2, y(0) = 1`` at ``t = 1``:

    >>> import torch
    >>> from tsgrad.ode import NonFiniteStateError, odeint
    >>> y0 = torch.ones(1, dtype=torch.float64)
    >>> t = torch.tensor([0.0, 2.0], dtype=torch.float64)
    >>> try:
    ...     odeint(lambda t, y: y**2, y0, t, method="rk4", options={"step_size": 0.25})
    ... except NonFiniteStateError as err:
    ...     print(err.t, err.step)
    ...     print(err)
    1.5 6
    The ODE state became non-finite in the step from t=1.5 to t=1.75 (at t=1.5, after 6
    accepted steps). Check that func(t, y) is finite along the trajectory (a blow-up or a
    division by zero), or try tighter tolerances / a smaller step_size.
    """

    hint = (
        "Check that func(t, y) is finite along the trajectory (a blow-up or a division by "
        "zero), or try tighter tolerances / a smaller step_size."
    )

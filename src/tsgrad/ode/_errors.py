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

    Attributes
    ----------
    t : float
        The (user-facing) time at which the solver stopped.
    step : int or None
        The number of accepted steps taken before the failure (None where the solver does
        not report it: ``scipy_solver``, the initial state).

    The message ends with a hint of what to try: the class's ``hint``, or the ``hint``
    passed to the constructor when the cause is known more precisely.
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
    """The adaptive step size fell below what the floating-point time can resolve."""

    hint = (
        "The problem may be stiff or have a singularity here. Try the stiff solver "
        "method='radau', looser tolerances, float64 state, or options={'min_step': ...} to "
        "force progress."
    )


class MaxStepsExceededError(ODESolverError):
    """The solver reached ``max_num_steps`` before the final time."""

    hint = (
        "Try increasing options['max_num_steps'], loosening rtol/atol, or the stiff solver "
        "method='radau' if the problem is stiff."
    )


class NonFiniteStateError(ODESolverError):
    """The state or its derivative became NaN or infinite."""

    hint = (
        "Check that func(t, y) is finite along the trajectory (a blow-up or a division by "
        "zero), or try tighter tolerances / a smaller step_size."
    )

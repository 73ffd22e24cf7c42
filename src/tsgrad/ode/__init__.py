"""torchdiffeq-compatible ODE solvers with gradients.

Replace ``from torchdiffeq import odeint, odeint_adjoint, odeint_event`` by
``from tsgrad.ode import odeint, odeint_adjoint, odeint_event``.

Functions
---------
odeint             Solve an ODE; gradients by autograd through the solver.
odeint_adjoint     Same, gradients by the backsolve adjoint (memory independent of steps).
odeint_checkpoint  Same, exact gradients of the discrete solver by recomputing each step.
odeint_event       Integrate until an event; the event time is differentiable.
odeint_dense       A callable dense solution on an interval.

Classes
-------
SolverStats        Counters filled in with ``options={"stats": stats}``.
ButcherTableau     An explicit Runge-Kutta method as data (``register_tableau`` adds it).
ImplicitTableau    An implicit Runge-Kutta method as data (fixed grid, solved by Newton).
ODESolverError     Base class of StepSizeUnderflowError, MaxStepsExceededError,
                   NonFiniteStateError.
"""

from ._api import odeint, odeint_adjoint, odeint_checkpoint, odeint_dense, odeint_event
from ._dense import DenseSolution
from ._errors import (
    MaxStepsExceededError,
    NonFiniteStateError,
    ODESolverError,
    StepSizeUnderflowError,
)
from ._methods import available_methods
from ._stats import SolverStats
from ._tableaus import ButcherTableau, ImplicitTableau, register_tableau

__all__ = [
    "ButcherTableau",
    "DenseSolution",
    "ImplicitTableau",
    "MaxStepsExceededError",
    "NonFiniteStateError",
    "ODESolverError",
    "SolverStats",
    "StepSizeUnderflowError",
    "available_methods",
    "odeint",
    "odeint_adjoint",
    "odeint_checkpoint",
    "odeint_dense",
    "odeint_event",
    "register_tableau",
]

"""The names ``odeint(method=...)`` accepts and the family each belongs to.

A family decides which options a method takes (``_options.FAMILY_KEYS``) and which stepper
and schedule the dispatcher builds for it.
"""

from __future__ import annotations

from ._tableaus import IMPLICIT_TABLEAUS, TABLEAUS

__all__ = ["ADAMS", "STIFF", "available_methods", "check_method", "method_kind"]

# Adams methods: name -> whether the corrector is applied.
ADAMS = {"explicit_adams": False, "implicit_adams": True, "fixed_adams": True}
# Adaptive implicit methods for stiff problems: name -> the tableau they are built on.
STIFF = {"radau": "radauIIA5"}


def available_methods() -> list[str]:
    """Names accepted by ``odeint(method=...)``, including registered tableaus.

    Returns
    -------
    list of str
        Sorted: the built-in methods (explicit and implicit Runge-Kutta, Adams, the stiff
        ``"radau"``, ``"scipy_solver"``) and every name given to :func:`register_tableau`.

    Examples
    --------
    >>> from tsgrad.ode import available_methods
    >>> methods = available_methods()
    >>> "dopri5" in methods, "radau" in methods, "scipy_solver" in methods
    (True, True, True)
    >>> methods == sorted(methods)
    True
    """
    return sorted([*TABLEAUS, *IMPLICIT_TABLEAUS, *ADAMS, *STIFF, "scipy_solver"])


def method_kind(method: str) -> str:
    """The family of a method: "adaptive", "fixed", "implicit", "stiff", "adams" or "scipy"."""
    if method == "scipy_solver":
        return "scipy"
    if method in STIFF:
        return "stiff"
    if method in ADAMS:
        return "adams"
    if method in IMPLICIT_TABLEAUS:
        return "implicit"
    return "adaptive" if TABLEAUS[method].adaptive else "fixed"


def check_method(method, where: str, name: str = "method", default: str = "dopri5") -> str:
    """The method name (``default`` for None); ``ValueError`` for an unknown one."""
    if method is None:
        return default
    if not isinstance(method, str) or method not in available_methods():
        raise ValueError(
            f"The {name!r} parameter of {where} must be one of {available_methods()}. "
            f"Got {method!r} instead."
        )
    return method

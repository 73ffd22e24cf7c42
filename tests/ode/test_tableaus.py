"""Butcher tableaus: self-validation, measured order of every registered method."""

from __future__ import annotations

import math

import pytest
import torch

from tsgrad.ode import ButcherTableau, available_methods, odeint, register_tableau
from tsgrad.ode._rk import RKStepper
from tsgrad.ode._tableaus import TABLEAUS, derive_dense_output

from ._problems import F64, PROBLEMS

NAMES = sorted(TABLEAUS)
PROBLEM = PROBLEMS[4]  # y' = y cos t, y = exp(sin t)


def _f(t, y):
    return y * math.cos(t)


def _fixed_step_error(tab, n):
    """Error at t=3 of n fixed steps of ``tab`` (adaptive tableaus too: no controller)."""
    stepper = RKStepper(tab, _f, interp="linear")
    h = 3.0 / n
    y = torch.ones(1, dtype=F64)
    f0 = stepper.eval(0.0, y)
    for i in range(n):
        st = stepper.step(i * h, h, y, f0, with_error=False)
        y = st.y1
        f0 = st.f1 if st.f1 is not None else stepper.eval((i + 1) * h, y)
    return abs(float(y[0]) - math.exp(math.sin(3.0)))


def _slope(xs, ys):
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly, strict=True)) / sum(
        (a - mx) ** 2 for a in lx
    )


@pytest.mark.parametrize("name", NAMES)
def test_registered_tableau_is_consistent(name):
    tab = TABLEAUS[name]
    for i, row in enumerate(tab.a):
        assert math.isclose(math.fsum(row), tab.c[i], abs_tol=1e-12 * max(1, sum(map(abs, row))))
    assert math.isclose(math.fsum(tab.b), 1.0, abs_tol=1e-12)
    if tab.b_err is not None:
        assert abs(math.fsum(tab.b_err)) < 1e-12


@pytest.mark.parametrize("name", NAMES)
def test_measured_order_of_every_tableau(name):
    tab = TABLEAUS[name]
    # Step counts chosen so the error stays far above rounding for high orders.
    ns = (
        [6, 8, 10, 12]
        if tab.order >= 7
        else ([16, 24, 32, 48] if tab.order >= 4 else [32, 64, 128, 256])
    )
    errs = [_fixed_step_error(tab, n) for n in ns]
    order = _slope([3.0 / n for n in ns], errs)
    assert tab.order - 0.3 < order < tab.order + 1.0, (name, order, errs)


@pytest.mark.parametrize("name", [n for n in NAMES if TABLEAUS[n].dense is not None])
def test_dense_output_is_fourth_order(name):
    """Interpolation error at mid-step shrinks like h**(p+1) with p >= 3 (>= 4 for order 5+)."""
    tab = TABLEAUS[name]
    stepper = RKStepper(tab, _f, interp="dense")
    y0 = torch.tensor([math.exp(math.sin(0.3))], dtype=F64)
    errs, hs = [], [0.2, 0.1, 0.05]
    for h in hs:
        st = stepper.step(0.3, h, y0, stepper.eval(0.3, y0), with_error=False)
        y_mid = stepper.interp(st, [0.37])[0]
        errs.append(abs(float(y_mid[0]) - math.exp(math.sin(0.3 + 0.37 * h))))
    expected = min(tab.order, 4) + 1 if tab.order >= 4 else tab.order + 1
    assert _slope(hs, errs) > expected - 0.4


def test_bad_tableaus_are_refused():
    with pytest.raises(ValueError, match="row 1 of a sums to"):
        ButcherTableau(name="bad", c=(0, 0.5), a=((), (0.4,)), b=(0, 1), order=2)
    with pytest.raises(ValueError, match="summing to 1"):
        ButcherTableau(name="bad", c=(0, 0.5), a=((), (0.5,)), b=(0.1, 1), order=2)
    with pytest.raises(ValueError, match="b_err must sum to 0"):
        ButcherTableau(
            name="bad",
            c=(0, 1),
            a=((), (1,)),
            b=(0.5, 0.5),
            order=2,
            b_err=(0.5, 0.4),
            error_order=1,
        )
    with pytest.raises(ValueError, match="c must start with 0"):
        ButcherTableau(name="bad", c=(0.1,), a=((),), b=(1,), order=1)
    with pytest.raises(ValueError, match="continuity"):
        ButcherTableau(name="bad", c=(0,), a=((),), b=(1,), order=1, dense=((0.5,),))
    with pytest.raises(TypeError, match="ButcherTableau"):
        register_tableau("rk4")


def test_register_tableau_refuses_built_in_names_and_bad_aliases():
    euler = ButcherTableau(name="my_euler_test", c=(0,), a=((),), b=(1,), order=1)
    for name in ("dopri5", "radau", "scipy_solver", "gl4", "explicit_adams"):
        renamed = ButcherTableau(name=name, c=(0,), a=((),), b=(1,), order=1)
        with pytest.raises(ValueError, match=f"cannot replace the built-in method '{name}'"):
            register_tableau(renamed)
        with pytest.raises(ValueError, match=f"built-in method '{name}'"):
            register_tableau(euler, name)
    with pytest.raises(TypeError, match="aliases of register_tableau"):
        register_tableau(euler, 3)
    with pytest.raises(TypeError, match="aliases of register_tableau"):
        register_tableau(euler, "")
    assert "my_euler_test" not in available_methods()  # nothing registered by a refusal
    assert TABLEAUS["dopri5"].name == "dopri5" and TABLEAUS["dopri5"].adaptive


def test_a_new_method_is_data_entry():
    ralston = ButcherTableau(
        name="ralston_test", c=(0, 2 / 3), a=((), (2 / 3,)), b=(1 / 4, 3 / 4), order=2
    )
    register_tableau(ralston)
    try:
        assert "ralston_test" in available_methods()
        t = torch.tensor([0.0, 3.0], dtype=F64)
        y = odeint(PROBLEM.f, PROBLEM.y0, t, method="ralston_test", options={"step_size": 0.01})
        assert float((y[-1] - PROBLEM.exact(t)[-1]).abs().max()) < 1e-3
    finally:
        del TABLEAUS["ralston_test"]


def test_derived_dense_output_refuses_impossible_order():
    with pytest.raises(ValueError, match="no continuous extension"):
        derive_dense_output(TABLEAUS["heun3"])  # 3 stages cannot carry 4th order
    with pytest.raises(ValueError, match="degree"):
        derive_dense_output(TABLEAUS["rk4"], degree=3)

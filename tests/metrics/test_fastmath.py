"""The branch-free ``exp_neg`` / ``log_1_4`` of the soft-DTW kernels against NumPy.

Errors are counted in units in the last place (ulp) of the NumPy result: for two positive
doubles the distance between their bit patterns.  The wrappers use the kernels' own
compilation flags (fused multiply-adds allowed), so what is measured is what runs.
"""

import math

import numba
import numpy as np
import pytest

from tsgrad._kernels._fastmath import EXP_FLUSH, JIT, exp_neg, log_1_4


@numba.njit(**JIT)
def _exp_neg_array(x):
    out = np.empty_like(x)
    for i in range(x.size):
        out[i] = exp_neg(x[i])
    return out


@numba.njit(**JIT)
def _log_1_4_array(s):
    out = np.empty_like(s)
    for i in range(s.size):
        out[i] = log_1_4(s[i])
    return out


def _ulps(got, ref):
    """Distance in ulp between arrays of non-negative finite doubles."""
    assert (got >= 0).all() and (ref >= 0).all()
    return np.abs(got.view(np.int64) - ref.view(np.int64))


def _exp_points():
    rng = np.random.default_rng(0)
    x = np.concatenate(
        [
            np.linspace(EXP_FLUSH, 0.0, 500_001)[1:],  # -42 itself flushes (tested below)
            -42.0 * rng.random(480_000),
            -np.geomspace(1e-300, 1.0, 20_000),  # results next to 1
        ]
    )
    return x[x > EXP_FLUSH]


def _log_points():
    rng = np.random.default_rng(1)
    return np.concatenate(
        [
            np.linspace(1.0, 4.0, 500_001),
            1.0 + 3.0 * rng.random(480_000),
            1.0 + np.geomspace(np.finfo(float).eps, 0.5, 20_000),  # results next to 0
        ]
    )


def test_exp_neg_within_1_ulp_of_numpy():
    x = _exp_points()
    assert x.size > 990_000
    assert _ulps(_exp_neg_array(x), np.exp(x)).max() <= 1


def test_log_1_4_within_1_ulp_of_numpy():
    s = _log_points()
    assert _ulps(_log_1_4_array(s), np.log(s)).max() <= 1


@pytest.mark.parametrize(
    "x,expected",
    [
        pytest.param(0.0, 1.0, id="zero"),
        pytest.param(-0.0, 1.0, id="minus-zero"),
        pytest.param(-5e-324, 1.0, id="minus-subnormal"),
        pytest.param(-42.0, 0.0, id="flush-at-minus-42"),
        pytest.param(np.nextafter(-42.0, -np.inf), 0.0, id="flush-below-minus-42"),
        pytest.param(-1e300, 0.0, id="minus-1e300"),
        pytest.param(-np.inf, 0.0, id="minus-inf"),
        pytest.param(np.nan, 0.0, id="nan"),
    ],
)
def test_exp_neg_edge_cases(x, expected):
    got = _exp_neg_array(np.array([x]))[0]
    assert got == expected and math.copysign(1.0, got) == 1.0


def test_exp_neg_just_above_the_flush_is_not_flushed():
    x = np.nextafter(EXP_FLUSH, 0.0)
    got = _exp_neg_array(np.array([x]))
    assert got[0] > 0.0
    assert _ulps(got, np.exp([x]))[0] <= 1


@pytest.mark.parametrize(
    "s,max_ulps",
    [
        pytest.param(1.0, 0, id="one"),
        pytest.param(np.nextafter(1.0, 2.0), 1, id="one-plus-eps"),
        pytest.param(2.0, 0, id="two"),
        pytest.param(4.0, 0, id="four"),
        pytest.param(math.sqrt(2.0), 1, id="sqrt2"),
        pytest.param(np.nextafter(math.sqrt(2.0), 2.0), 1, id="above-sqrt2"),
        pytest.param(3.0, 1, id="three"),
    ],
)
def test_log_1_4_special_values(s, max_ulps):
    got = _log_1_4_array(np.array([s]))
    assert _ulps(got, np.log([s]))[0] <= max_ulps


def test_log_1_4_is_exactly_zero_at_one():
    # The soft-min of one finite value and two flushed ones is exactly that value.
    got = _log_1_4_array(np.array([1.0]))[0]
    assert got == 0.0 and math.copysign(1.0, got) == 1.0

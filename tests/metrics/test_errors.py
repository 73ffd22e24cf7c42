"""Bad input at the public boundary: clear ValueError / TypeError naming the parameter."""

import numpy as np
import pytest

import tsgrad.metrics as M

x3 = np.arange(3.0)


@pytest.mark.parametrize(
    "call,exc,match",
    [
        pytest.param(
            lambda: M.dtw(np.ones((3, 2)), np.ones((4, 3))),
            ValueError,
            "same number of features",
            id="feature-dims",
        ),
        pytest.param(lambda: M.dtw([], x3), ValueError, "only nans or has zero", id="empty"),
        pytest.param(
            lambda: M.dtw([np.nan, np.nan], x3), ValueError, "only nans or has zero", id="all-nan"
        ),
        pytest.param(
            lambda: M.soft_dtw([1.0, np.nan, 2.0], x3), ValueError, "NaN inside", id="inner-nan"
        ),
        pytest.param(
            lambda: M.soft_dtw(x3, x3, gamma=-1.0), ValueError, "'gamma'", id="negative-gamma"
        ),
        pytest.param(
            lambda: M.soft_dtw(x3, x3, gamma="a"), TypeError, "'gamma'", id="string-gamma"
        ),
        pytest.param(
            lambda: M.dtw(x3, x3, global_constraint="sakoe"),
            ValueError,
            "'global_constraint'",
            id="unknown-constraint",
        ),
        pytest.param(
            lambda: M.dtw(x3, x3, sakoe_chiba_radius=1, itakura_max_slope=2.0),
            ValueError,
            "global_constraint",
            id="ambiguous-constraint",
        ),
        pytest.param(
            lambda: M.dtw(x3, x3, sakoe_chiba_radius=-1),
            ValueError,
            "'sakoe_chiba_radius'",
            id="negative-radius",
        ),
        pytest.param(
            lambda: M.dtw(x3, x3, global_constraint="itakura", itakura_max_slope=0.5),
            ValueError,
            "'itakura_max_slope'",
            id="slope-below-one",
        ),
        pytest.param(
            lambda: M.dtw(np.ones(2), np.ones(9), global_constraint="itakura"),
            ValueError,
            "no admissible path",
            id="infeasible-itakura",
        ),
        pytest.param(lambda: M.dtw(["a", "b"], x3), TypeError, "'s1'", id="non-numeric"),
        pytest.param(lambda: M.dtw(np.ones((2, 2, 2)), x3), ValueError, "shape", id="3d-series"),
        pytest.param(
            lambda: M.cdist_dtw(np.array([[[1.0], [np.nan], [2.0]]])),
            ValueError,
            "NaN inside time series 0",
            id="cdist-inner-nan",
        ),
        pytest.param(
            lambda: M.cdist_dtw(np.ones((2, 3, 1)), np.ones((2, 3, 2))),
            ValueError,
            "same number of features",
            id="cdist-feature-dims",
        ),
        pytest.param(lambda: M.lb_keogh(x3), ValueError, "ts_candidate", id="lb-no-candidate"),
        pytest.param(lambda: M.sakoe_chiba_mask(0, 3), ValueError, "'sz1'", id="mask-size"),
    ],
)
def test_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_trailing_nan_padding_is_removed():
    assert M.dtw([1.0, 2.0, np.nan], [1.0, 2.0]) == 0.0
    assert M.ts_size([[1.0, np.nan], [np.nan, np.nan]]) == 1

"""Bad input to the barycenters: errors that name the parameter, the expectation, the value."""

import numpy as np
import pytest
import torch

import tsgrad.barycenters as B

from ._data import dataset

X = dataset(seed=0, n=4, sz=6)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: B.euclidean_barycenter(dataset(ragged=True)), ValueError, "equal lengths"),
        (lambda: B.euclidean_barycenter(X, weights=[1, 2]), ValueError, r"'weights'.*\(4,\)"),
        (lambda: B.euclidean_barycenter(X, weights=[1, -1, 1, 1]), ValueError, "'weights'"),
        (lambda: B.euclidean_barycenter(X, weights=np.zeros(4)), ValueError, "not all zero"),
        (lambda: B.euclidean_barycenter([[1.0, np.nan, 2.0]]), ValueError, "NaN inside"),
        (lambda: B.euclidean_barycenter([[1.0, np.inf]]), ValueError, "infinite"),
        (lambda: B.euclidean_barycenter("abc"), TypeError, "'X'"),
        (
            lambda: B.dtw_barycenter_averaging(X, metric_params={"radius": 2}),
            ValueError,
            r"unknown key\(s\) \['radius'\]",
        ),
        (
            lambda: B.dtw_barycenter_averaging(X, metric_params={"global_constraint": 5}),
            ValueError,
            "global_constraint",
        ),
        (
            lambda: B.dtw_barycenter_averaging(
                X, barycenter_size=2, init_barycenter=np.ones((3, 2))
            ),
            ValueError,
            "'barycenter_size'",
        ),
        (
            lambda: B.dtw_barycenter_averaging(X, init_barycenter=np.ones((3, 3))),
            ValueError,
            r"'init_barycenter'.*2 feature",
        ),
        (lambda: B.dtw_barycenter_averaging(X, max_iter=-1), ValueError, "'max_iter'"),
        (lambda: B.dtw_barycenter_averaging(X, n_init=0), ValueError, "'n_init'"),
        (lambda: B.dtw_barycenter_averaging(X, n_jobs="all"), TypeError, "'n_jobs'"),
        (
            lambda: B.dtw_barycenter_averaging(
                X, barycenter_size=2, metric_params={"itakura_max_slope": 1.0}
            ),
            ValueError,
            "no admissible path",
        ),
        (
            lambda: B.dtw_barycenter_averaging_subgradient(X, random_state="x"),
            TypeError,
            "'random_state'",
        ),
        (
            lambda: B.dtw_barycenter_averaging_subgradient(X, initial_step_size=0),
            ValueError,
            "'initial_step_size'",
        ),
        (lambda: B.softdtw_barycenter(X, gamma=0.0), ValueError, "'gamma'.*> 0"),
        (lambda: B.softdtw_barycenter(X, method=3), TypeError, "'method'"),
        (
            lambda: B.softdtw_barycenter(X, method=lambda p: None),
            TypeError,
            "torch.optim.Optimizer",
        ),
        (
            lambda: B.softdtw_barycenter(
                X, method=torch.optim.LBFGS, global_constraint="sakoe_chiba"
            ),
            ValueError,
            "no global constraint with a torch optimiser",
        ),
        (
            lambda: B.softdtw_barycenter(
                X, init=np.ones((2, 2)), global_constraint="itakura", itakura_max_slope=1.0
            ),
            ValueError,
            "no admissible path",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_bad_input_raises(call, error, match):
    with pytest.raises(error, match=match):
        call()

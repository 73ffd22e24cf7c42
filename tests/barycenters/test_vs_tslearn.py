"""The barycenters against tslearn's (a dev-only oracle): deterministic, so tight."""

import warnings

import numpy as np
import pytest

import tsgrad.barycenters as ours

from ._data import dataset

tsl = pytest.importorskip("tslearn.barycenters")

DBA_CASES = [
    pytest.param({}, {}, id="defaults"),
    pytest.param({"ragged": True}, {}, id="ragged"),
    pytest.param({}, {"barycenter_size": 6}, id="size6"),
    pytest.param({"ragged": True}, {"metric_params": {"sakoe_chiba_radius": 2}}, id="sakoe2"),
    pytest.param({}, {"metric_params": {"itakura_max_slope": 2.0}}, id="itakura2"),
    pytest.param({}, {"weights": np.linspace(0.0, 2.0, 8)}, id="weights"),
    pytest.param({"d": 1}, {"max_iter": 3, "tol": 0.0}, id="univariate"),
]


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tslearn's h5py notice and ConvergenceWarnings
        yield


@pytest.mark.parametrize(("data", "kw"), DBA_CASES)
@pytest.mark.parametrize("name", ["dtw_barycenter_averaging", "dtw_barycenter_averaging_petitjean"])
def test_dba_equals_tslearn(name, data, kw):
    X = dataset(seed=len(kw), **data)
    np.testing.assert_allclose(
        getattr(ours, name)(X, **kw), getattr(tsl, name)(X, **kw), rtol=0, atol=1e-12
    )


def test_dba_from_an_initial_barycenter_of_another_length_equals_tslearn():
    X = dataset(seed=3, ragged=True)
    init = np.random.RandomState(4).randn(7, 2)
    kw = {"init_barycenter": init, "max_iter": 10}
    np.testing.assert_allclose(
        ours.dtw_barycenter_averaging(X, **kw), tsl.dtw_barycenter_averaging(X, **kw), atol=1e-12
    )


@pytest.mark.parametrize("seed", [0, 1])
def test_subgradient_dba_equals_tslearn(seed):
    # tslearn 0.10 returns the last epoch's barycenter and tsgrad the best one: on these
    # data the cost decreases at every epoch, so the two coincide.
    X = dataset(seed=seed, n=6)
    kw = {"max_iter": 8, "random_state": seed, "weights": np.arange(1.0, 7.0)}
    np.testing.assert_allclose(
        ours.dtw_barycenter_averaging_subgradient(X, **kw),
        tsl.dtw_barycenter_averaging_subgradient(X, **kw),
        atol=1e-12,
    )


SOFTDTW_CASES = [
    pytest.param({}, {"max_iter": 5}, id="5iter"),
    pytest.param({}, {"max_iter": 40, "gamma": 0.1}, id="40iter-gamma0.1"),
    pytest.param({"ragged": True}, {"max_iter": 10}, id="ragged"),
    pytest.param(
        {"ragged": True},
        {"max_iter": 10, "global_constraint": "sakoe_chiba", "sakoe_chiba_radius": 2},
        id="sakoe2",
    ),
    pytest.param({}, {"max_iter": 10, "weights": np.linspace(0.5, 2.0, 8)}, id="weights"),
    pytest.param({}, {"max_iter": 10, "init": np.zeros((7, 2))}, id="init7"),
]


@pytest.mark.parametrize(("data", "kw"), SOFTDTW_CASES)
def test_softdtw_barycenter_equals_tslearn(data, kw):
    # Same objective, same L-BFGS-B run: the gradients agree to ~1e-13, so the iterates do.
    X = dataset(seed=5, **data)
    np.testing.assert_allclose(
        ours.softdtw_barycenter(X, **kw), tsl.softdtw_barycenter(X, **kw), atol=1e-8
    )

"""The barycenters against closed forms, their optimality conditions and brute force."""

import numpy as np
import pytest
import torch

from tsgrad import use_engine
from tsgrad.barycenters import (
    dtw_barycenter_averaging,
    dtw_barycenter_averaging_petitjean,
    dtw_barycenter_averaging_subgradient,
    euclidean_barycenter,
    softdtw_barycenter,
)
from tsgrad.barycenters._checks import Constraint
from tsgrad.barycenters._softdtw import _objective, _torch_objective
from tsgrad.metrics import dtw, dtw_path

from .._oracles import brute_soft_dtw, sq_cost
from ._data import dataset


def dba_cost(b, X, w=None):
    """``sum_i w_i DTW(b, x_i)^2 / sum_i w_i`` with tsgrad.metrics.dtw (NaN padding dropped)."""
    w = np.ones(len(X)) if w is None else np.asarray(w)
    return sum(wi * dtw(b, x) ** 2 for wi, x in zip(w, X, strict=True)) / w.sum()


def dba_step(b, X, w):
    """One DBA update written out from the paths of tsgrad.metrics.dtw_path."""
    sums, counts = np.zeros_like(b), np.zeros(len(b))
    for wi, x in zip(w, X, strict=True):
        x = x[~np.isnan(x).all(axis=1)]
        for t, j in dtw_path(b, x)[0]:
            sums[t] += wi * x[j]
            counts[t] += wi
    return sums / counts[:, None]


def test_euclidean_barycenter_is_the_weighted_mean():
    X = dataset(seed=0)
    w = np.random.RandomState(1).rand(len(X))
    expected = (w[:, None, None] * X).sum(axis=0) / w.sum()
    np.testing.assert_allclose(euclidean_barycenter(X, weights=w), expected, rtol=1e-14)
    np.testing.assert_allclose(euclidean_barycenter(X), X.mean(axis=0), rtol=1e-14)
    t = euclidean_barycenter(torch.tensor(X, dtype=torch.float32))
    assert isinstance(t, torch.Tensor) and t.dtype == torch.float32
    np.testing.assert_allclose(t.numpy(), X.mean(axis=0), rtol=1e-6)


@pytest.mark.parametrize("ragged", [False, True], ids=["equal", "ragged"])
def test_dba_is_a_fixed_point_of_its_update_and_decreases_the_cost(ragged):
    X = dataset(seed=2, ragged=ragged)
    w = np.linspace(0.5, 1.5, len(X))
    costs = [
        dba_cost(dtw_barycenter_averaging(X, weights=w, max_iter=k, tol=0.0), X, w)
        for k in (1, 2, 4, 8)
    ]
    assert all(b <= a + 1e-12 for a, b in zip(costs[:-1], costs[1:], strict=True))
    b = dtw_barycenter_averaging(X, weights=w, max_iter=100, tol=0.0)
    np.testing.assert_allclose(dba_step(b, X, w), b, atol=1e-12)


def test_dba_one_step_equals_the_written_out_update():
    X = dataset(seed=3, ragged=True)
    w = np.arange(1.0, len(X) + 1.0)
    b0 = np.random.RandomState(0).randn(7, 2)
    for f in (dtw_barycenter_averaging, dtw_barycenter_averaging_petitjean):
        b1 = f(X, init_barycenter=b0, weights=w, max_iter=1)
        np.testing.assert_allclose(b1, dba_step(b0, X, w), atol=1e-13)


def test_dba_barycenter_of_one_series_of_a_point_is_the_mean_of_the_points():
    # Every step of a length-1 barycenter is aligned with every point: the optimum is the
    # weighted mean of all points (closed form).
    X = dataset(seed=4, ragged=True)
    w = np.linspace(1.0, 2.0, len(X))
    b = dtw_barycenter_averaging(X, weights=w, barycenter_size=1, max_iter=3)
    valid = ~np.isnan(X).all(axis=2)
    pts = np.concatenate([x[v] for x, v in zip(X, valid, strict=True)])
    pw = np.concatenate([np.full(v.sum(), wi) for wi, v in zip(w, valid, strict=True)])
    np.testing.assert_allclose(b[0], (pw[:, None] * pts).sum(0) / pw.sum(), rtol=1e-13)


def test_subgradient_dba_returns_the_best_epoch_and_keeps_a_single_series():
    X = dataset(seed=5, n=6)
    b = dtw_barycenter_averaging_subgradient(X, max_iter=6, random_state=0)
    last_epochs = [
        dba_cost(dtw_barycenter_averaging_subgradient(X, max_iter=k, random_state=0), X)
        for k in range(1, 7)
    ]
    assert dba_cost(b, X) == pytest.approx(min(last_epochs), rel=1e-12)
    np.testing.assert_array_equal(dtw_barycenter_averaging_subgradient(X[:1]), X[0])
    # no iteration: the initial barycenter comes back as given (its features unchecked)
    init = dtw_barycenter_averaging_subgradient(X, init_barycenter=[0.0], max_iter=0)
    np.testing.assert_array_equal(init, [[0.0]])


@pytest.mark.parametrize("n,m", [(1, 3), (3, 3), (4, 2)], ids=["1x3", "3x3", "4x2"])
def test_softdtw_objective_matches_enumeration(n, m):
    rng = np.random.default_rng(n * m)
    Z, X = rng.normal(size=(n, 2)), rng.normal(size=(3, m, 2))
    w, gamma = np.array([0.5, 1.0, 2.0]), 0.7
    value, _ = _objective(Z, X, np.full(3, m), w, gamma, Constraint())
    expected = sum(wi * brute_soft_dtw(sq_cost(Z, x), gamma)[0] for wi, x in zip(w, X, strict=True))
    assert value == pytest.approx(expected, rel=1e-12)


def test_softdtw_objective_gradient_matches_finite_differences():
    X = dataset(seed=6, ragged=True)
    lengths = (~np.isnan(X).all(axis=2)).sum(axis=1)
    Xz = np.nan_to_num(X)
    w = np.linspace(0.5, 1.5, len(X))
    Z = np.random.RandomState(7).randn(6, 2)
    for constraint in (Constraint(), Constraint(1, 2.0)):  # none, Sakoe-Chiba radius 2
        _, grad = _objective(Z, Xz, lengths, w, 0.5, constraint)
        fd = np.zeros_like(Z)
        h = 1e-6
        for idx in np.ndindex(*Z.shape):
            e = np.zeros_like(Z)
            e[idx] = h
            fp = _objective(Z + e, Xz, lengths, w, 0.5, constraint)[0]
            fm = _objective(Z - e, Xz, lengths, w, 0.5, constraint)[0]
            fd[idx] = (fp - fm) / (2 * h)
        np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-7)


def test_softdtw_barycenter_is_stationary():
    X = dataset(seed=8, ragged=True)
    b = softdtw_barycenter(X, gamma=0.5, tol=1e-12, max_iter=500)
    lengths = (~np.isnan(X).all(axis=2)).sum(axis=1)
    _, grad = _objective(b, np.nan_to_num(X), lengths, np.ones(len(X)), 0.5, Constraint())
    assert np.abs(grad).max() < 1e-5


def test_torch_objective_gradcheck_at_batch_3():
    rng = np.random.default_rng(9)
    Z = torch.tensor(rng.normal(size=(4, 2)), requires_grad=True)
    X = torch.tensor(rng.normal(size=(3, 5, 2)), requires_grad=True)
    w = torch.tensor([0.5, 1.0, 2.0], dtype=torch.float64)
    mask = (None, torch.tensor([[True] * 5, [True] * 3 + [False] * 2, [True] * 4 + [False]]))
    assert torch.autograd.gradcheck(
        lambda z, x: _torch_objective(z, x, w, 0.7, mask), (Z, X), atol=1e-7, rtol=1e-6
    )


@pytest.mark.parametrize("engine", ["numba", "wavefront"])  # wavefront: any device
@pytest.mark.parametrize("ragged", [False, True], ids=["equal", "ragged"])
def test_torch_route_reaches_the_scipy_barycenter(engine, ragged):
    X = dataset(seed=10, n=5, sz=8, ragged=ragged)
    w = np.linspace(0.5, 1.5, 5)
    ref = softdtw_barycenter(X, weights=w, gamma=0.5, tol=1e-12, max_iter=300)
    with use_engine(engine):
        got = softdtw_barycenter(
            torch.tensor(X), weights=w, gamma=0.5, method=torch.optim.LBFGS, tol=1e-14, max_iter=40
        )
    assert isinstance(got, torch.Tensor) and got.dtype == torch.float64
    np.testing.assert_allclose(got.numpy(), ref, atol=1e-5)


@pytest.mark.parametrize("method", ["BFGS", "CG", "TNC", "Newton-CG", "Powell"])
def test_other_scipy_methods_reach_the_same_objective(method, recwarn):
    X = dataset(seed=11, n=5, sz=6, d=1)
    lengths, w = np.full(5, 6), np.ones(5)
    ref = softdtw_barycenter(X, gamma=0.5, tol=1e-10, max_iter=200)
    got = softdtw_barycenter(X, gamma=0.5, tol=1e-10, max_iter=200, method=method)
    f_ref = _objective(ref, X, lengths, w, 0.5, Constraint())[0]
    f_got = _objective(got, X, lengths, w, 0.5, Constraint())[0]
    assert f_got == pytest.approx(f_ref, rel=1e-6)
    assert not [x for x in recwarn if "solver options" in str(x.message)]


@pytest.mark.parametrize(
    "f",
    [dtw_barycenter_averaging, dtw_barycenter_averaging_petitjean, softdtw_barycenter],
    ids=lambda f: f.__name__,
)
def test_a_tensor_in_gives_a_tensor_of_its_dtype_out(f):
    X = dataset(seed=12, n=4, sz=6, ragged=True)
    ref = f(X, max_iter=5)
    got = f(torch.tensor(X, dtype=torch.float32), max_iter=5)
    assert isinstance(got, torch.Tensor) and got.dtype == torch.float32
    np.testing.assert_allclose(got.numpy(), ref, rtol=1e-4, atol=1e-5)

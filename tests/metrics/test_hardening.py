"""Regression tests of an adversarial review of the metrics (issue 15): bad inputs get
clear errors, gradients at a zero distance are zero, and every route gives the same
numbers at extreme cost / gamma ratios."""

import dataclasses

import numpy as np
import pytest
import torch

from tsgrad._kernels import SqEuclidean, _router, make_bands, value_and_grad
from tsgrad.losses import dilate_loss, soft_dtw_loss
from tsgrad.metrics import (
    cdist_dtw,
    cdist_soft_dtw,
    dtw,
    dtw_path,
    lb_envelope,
    lb_keogh,
    soft_dtw,
    soft_dtw_alignment,
    soft_dtw_normalized,
)

INF = float("inf")
X3 = [1.0, 2.0, 3.0]


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: dtw(np.zeros((5, 0)), np.zeros((6, 0))), ValueError, r"'s1'.*d >= 1"),
        (lambda: soft_dtw(np.zeros((5, 0)), np.zeros((6, 0))), ValueError, r"'s1'.*d >= 1"),
        (lambda: cdist_dtw(np.zeros((2, 5, 0))), ValueError, r"'dataset1'.*d >= 1"),
        (lambda: dilate_loss(torch.zeros(2, 5, 0), torch.zeros(2, 5, 0)), ValueError, "d >= 1"),
        (lambda: soft_dtw_loss(torch.zeros(2, 5, 0), torch.zeros(2, 5, 0)), ValueError, "d >= 1"),
        (lambda: dtw_path([1, INF, 3], [3, 4, -3]), ValueError, r"'s1'.*finite.*index 1"),
        (lambda: soft_dtw_normalized([1, 2, 3], [3, -INF, 4]), ValueError, r"'s2'.*finite"),
        (lambda: cdist_dtw([[1, 2], [3, INF]]), ValueError, r"infinite.*series 1"),
        (lambda: soft_dtw(X3, X3, gamma=INF), ValueError, "'gamma'.*finite"),
        (lambda: soft_dtw(X3, X3, gamma=float("nan")), ValueError, "'gamma'"),
        (lambda: soft_dtw(X3, X3, gamma=-1.0), ValueError, "'gamma'"),
        (lambda: soft_dtw(X3, X3, gamma="1"), TypeError, "'gamma'"),
        (lambda: soft_dtw_loss(torch.ones(1, 3, 1), torch.ones(1, 3, 1), 0.0), ValueError, "gamma"),
        (lambda: lb_keogh([1, np.nan, 3], X3), ValueError, "'ts_query'.*NaN inside"),
        (lambda: lb_keogh([], []), ValueError, "'ts_query'.*non-empty"),
        (lambda: lb_keogh(X3, [1, INF, 3]), ValueError, "'ts_candidate'.*finite"),
        (lambda: lb_envelope([1, 2], radius=-1), ValueError, "'radius'"),
        (lambda: lb_keogh(X3, envelope_candidate=np.ones(3)), TypeError, "pair"),
        (lambda: dtw(np.array([1 + 1j, 2]), [1, 2]), TypeError, "'s1'.*complex"),
        (lambda: dtw(torch.tensor([1j, 2]), torch.ones(2)), TypeError, "'s1'.*complex"),
        (lambda: cdist_dtw([[1 + 2j, 1]]), TypeError, "'dataset1'.*complex"),
        (lambda: cdist_dtw([[]]), ValueError, "'dataset1'.*non-empty"),
        (
            lambda: soft_dtw(torch.ones(2, requires_grad=True), [1, 2], be="numpy"),
            TypeError,
            "'s1'.*requires grad.*be='pytorch'",
        ),
        (
            lambda: dtw(X3, [1] * 7, global_constraint="itakura", itakura_max_slope=INF),
            ValueError,
            "'itakura_max_slope'.*finite",
        ),
    ],
    ids=[
        "dtw-d0",
        "soft-dtw-d0",
        "cdist-d0",
        "dilate-d0",
        "loss-d0",
        "dtw-path-inf",
        "normalized-inf",
        "cdist-inf",
        "gamma-inf",
        "gamma-nan",
        "gamma-negative",
        "gamma-str",
        "loss-gamma0",
        "lb-keogh-nan",
        "lb-keogh-empty",
        "lb-keogh-candidate-inf",
        "lb-envelope-radius",
        "lb-keogh-envelope-type",
        "complex-array",
        "complex-tensor",
        "cdist-complex",
        "cdist-empty-series",
        "grad-tensor-numpy-backend",
        "itakura-inf",
    ],
)
def test_bad_input_gets_a_clear_error(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


@pytest.mark.parametrize("func", ["dtw", "dtw_path", "cdist_dtw", "lb_keogh"])
def test_gradient_at_zero_distance_is_zero_not_nan(func):
    x = torch.tensor([[1.0], [2.0], [3.0]], dtype=torch.float64, requires_grad=True)
    y = x.detach().clone()
    if func == "dtw":
        v = dtw(x, y)
    elif func == "dtw_path":
        v = dtw_path(x, y)[1]
    elif func == "cdist_dtw":
        v = cdist_dtw(torch.stack([x, y])).sum()
    else:
        v = lb_keogh(x, y)
    (g,) = torch.autograd.grad(v, x)
    assert float(v.detach()) == 0.0
    assert torch.equal(g, torch.zeros_like(g))


def test_lb_keogh_is_differentiable_and_matches_numpy():
    q = torch.tensor([1.0, 5.0, -2.0, 0.5], dtype=torch.float64, requires_grad=True)
    c = [0.0, 1.0, 2.0, 3.0]
    v = lb_keogh(q, c, radius=1)
    assert float(v.detach()) == pytest.approx(lb_keogh(q.detach().numpy(), c, radius=1), rel=1e-15)
    (g,) = torch.autograd.grad(v, q)
    # d sqrt(S) / dq = (q - U)_+ / LB - (L - q)_+ / LB: U = [1, 2, 3, 3], L = [0, 0, 1, 2]
    lb = float(v.detach())
    want = torch.tensor([0.0, 3.0, -3.0, -1.5], dtype=torch.float64) / lb
    torch.testing.assert_close(g, want, rtol=1e-12, atol=0)


def test_alignment_of_numpy_and_torch_inputs_agree_at_extreme_scales():
    # costs ~1e6, gamma 1e-4: weights once recomputed as exp((R - D - R_pred) / gamma)
    # lost digits (E[0, 0] = 0.99998); they are now the soft minimum of the predecessors.
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(30, 1)) * 1e3, rng.normal(size=(25, 1)) * 1e3
    A_np, v_np = soft_dtw_alignment(a, b, gamma=1e-4)
    A_t, v_t = soft_dtw_alignment(torch.from_numpy(a), torch.from_numpy(b), gamma=1e-4)
    np.testing.assert_allclose(A_t.numpy(), A_np, rtol=0, atol=1e-10)
    assert A_np[0, 0] == pytest.approx(1.0, abs=1e-12)
    assert float(v_t) == pytest.approx(float(v_np), rel=1e-14)


def test_recomputed_and_stored_weights_agree_at_extreme_scales(monkeypatch):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(3, 40, 2)) * 1e3
    Y = rng.normal(size=(3, 35, 2)) * 1e3
    bands = make_bands([40, 31, 40], [35, 35, 20], 40)
    stored = value_and_grad(SqEuclidean(X, Y), 1e-3, bands)
    none = dataclasses.replace(_router.THRESHOLDS, series_weights_max_cells=0)
    monkeypatch.setattr(_router, "THRESHOLDS", none)
    recomputed = value_and_grad(SqEuclidean(X, Y), 1e-3, bands)
    np.testing.assert_allclose(recomputed[0], stored[0], rtol=1e-14)
    for got, want in zip(recomputed[1], stored[1], strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10 * np.abs(want).max())


def test_zero_gamma_follows_tslearn():
    # soft_dtw(gamma=0) is dtw ** 2, cdist_soft_dtw(gamma=0) is cdist_dtw (not squared)
    X = np.random.default_rng(2).normal(size=(3, 6, 1))
    np.testing.assert_allclose(cdist_soft_dtw(X, gamma=0.0), cdist_dtw(X), rtol=1e-12)
    assert soft_dtw(X[0], X[1], gamma=0.0) == dtw(X[0], X[1]) ** 2
    A, value = soft_dtw_alignment(X[0], X[1], gamma=0.0)
    assert value == dtw(X[0], X[1]) ** 2
    assert {tuple(c) for c in np.argwhere(A == 1)} == set(dtw_path(X[0], X[1])[0])

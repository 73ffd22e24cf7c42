"""soft_dtw_loss / soft_dtw_divergence against brute force, plain autograd and gradcheck."""

import math

import numpy as np
import pytest
import torch

from tsgrad.losses import SoftDTWDivergence, SoftDTWLoss, soft_dtw_divergence, soft_dtw_loss

from .._oracles import brute_soft_dtw, softdtw_recursion, sqeuclidean

REDUCTIONS = ["none", "mean", "sum"]
SHAPES = [(3, 4, 4, 1), (3, 5, 3, 2), (2, 3, 6, 3)]
SHAPE_IDS = ["B3-n4-m4-d1", "B3-n5-m3-d2", "B2-n3-m6-d3"]


def _pair(B, n, m, d, seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(B, n, d, generator=g, dtype=dtype)
    y = torch.randn(B, m, d, generator=g, dtype=dtype)
    return x.requires_grad_(True), y.requires_grad_(True)


def _reduce(v, reduction):
    return {"none": v, "mean": v.mean(), "sum": v.sum()}[reduction]


@pytest.mark.parametrize("gamma", [0.1, 1.0], ids=["gamma0.1", "gamma1"])
@pytest.mark.parametrize("nm", [(2, 2), (3, 4), (4, 3)], ids=["2x2", "3x4", "4x3"])
def test_value_and_alignment_match_brute_force(nm, gamma, engine):
    n, m = nm
    D = torch.rand(2, n, m, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    D = D.requires_grad_(True)
    z = torch.zeros(2, max(n, m), 1, dtype=torch.float64)
    v = soft_dtw_loss(z[:, :n], z[:, :m], gamma, reduction="none", cost=lambda x, y: D)
    (E,) = torch.autograd.grad(v.sum(), D)
    for b in range(2):
        bv, bE = brute_soft_dtw(D[b].detach().numpy(), gamma)
        assert v[b].item() == pytest.approx(bv, rel=1e-12, abs=1e-12)
        np.testing.assert_allclose(E[b].numpy(), bE, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", SHAPES, ids=SHAPE_IDS)
def test_values_and_gradients_match_plain_autograd(shape, reduction, engine):
    x, y = _pair(*shape)
    ours = soft_dtw_loss(x, y, 0.7, reduction=reduction)
    ref = _reduce(softdtw_recursion(sqeuclidean(x, y), 0.7), reduction)
    torch.testing.assert_close(ours, ref, rtol=1e-6, atol=0)
    w = torch.rand(ours.shape, dtype=ours.dtype)
    g_ours = torch.autograd.grad((ours * w).sum(), (x, y))
    g_ref = torch.autograd.grad((ref * w).sum(), (x, y))
    for a, b in zip(g_ours, g_ref, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("normalize", [False, True], ids=["sdtw", "divergence"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", SHAPES[1:], ids=SHAPE_IDS[1:])
def test_gradcheck_inputs(shape, reduction, normalize):
    x, y = _pair(*shape, seed=1)
    assert torch.autograd.gradcheck(
        lambda a, b: soft_dtw_loss(a, b, 0.5, normalize=normalize, reduction=reduction), (x, y)
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gradcheck_divergence_and_cost_matrix(reduction):
    x, y = _pair(3, 4, 5, 2, seed=2)
    assert torch.autograd.gradcheck(
        lambda a, b: soft_dtw_divergence(a, b, 0.3, reduction=reduction), (x, y)
    )
    D = torch.rand(3, 4, 5, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda M: soft_dtw_loss(
            x.detach(), y.detach(), 0.3, reduction=reduction, cost=lambda a, b: M
        ),
        (D,),
    )


def test_callable_cost_is_used_with_its_graph():
    x, y = _pair(2, 4, 3, 2, seed=4)

    def l1(a, b):
        return (a[:, :, None, :] - b[:, None, :, :]).abs().sum(-1)

    ours = soft_dtw_loss(x, y, 0.5, cost=l1, reduction="sum")
    ref = softdtw_recursion(l1(x, y), 0.5).sum()
    torch.testing.assert_close(ours, ref, rtol=1e-12, atol=0)
    torch.testing.assert_close(torch.autograd.grad(ours, x)[0], torch.autograd.grad(ref, x)[0])


def test_plain_soft_dtw_is_negative_and_nonzero_on_equal_series():
    y = torch.zeros(1, 10, 1, dtype=torch.float64)
    v = soft_dtw_loss(y, y, 1.0)
    # All alignments have zero cost: the value is -log(number of paths), the Delannoy
    # number D(9, 9) = 1462563.
    assert math.isclose(v.item(), -math.log(1462563), rel_tol=1e-12)
    assert soft_dtw_divergence(y, y).item() == 0.0


def test_divergence_is_nonnegative_and_zero_iff_equal():
    x, y = _pair(6, 7, 7, 2, seed=5)
    x, y = x.detach(), y.detach()
    div = soft_dtw_divergence(x, y, 0.5, reduction="none")
    assert bool((div > 0).all())
    torch.testing.assert_close(
        soft_dtw_divergence(x, x, 0.5, reduction="none"),
        torch.zeros(6, dtype=torch.float64),
        rtol=0,
        atol=1e-12,
    )
    torch.testing.assert_close(div, soft_dtw_loss(x, y, 0.5, normalize=True, reduction="none"))
    sxy = softdtw_recursion(sqeuclidean(x, y), 0.5)
    sxx = softdtw_recursion(sqeuclidean(x, x), 0.5)
    syy = softdtw_recursion(sqeuclidean(y, y), 0.5)
    torch.testing.assert_close(div, sxy - 0.5 * (sxx + syy), rtol=1e-10, atol=1e-12)


def test_small_gamma_tends_to_dtw():
    x, y = _pair(3, 6, 5, 1, seed=6)
    from tsgrad.losses import dtw_batch

    sd = soft_dtw_loss(x, y, 1e-4, reduction="none")
    torch.testing.assert_close(sd, dtw_batch(x, y) ** 2, rtol=1e-3, atol=1e-3)


def test_modules_match_functions():
    x, y = _pair(3, 5, 4, 2, seed=7)
    torch.testing.assert_close(SoftDTWLoss(0.3)(x, y), soft_dtw_loss(x, y, 0.3))
    torch.testing.assert_close(
        SoftDTWLoss(0.3, normalize=True, reduction="sum")(x, y),
        soft_dtw_divergence(x, y, 0.3, reduction="sum"),
    )
    torch.testing.assert_close(SoftDTWDivergence(0.3)(x, y), soft_dtw_divergence(x, y, 0.3))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("gamma", [1e-4, 1e-2, 1.0, 100.0], ids=lambda g: f"gamma{g:g}")
@pytest.mark.parametrize("scale", [1.0, 1e3], ids=["cost1", "cost1e6"])
def test_stability(gamma, scale, dtype):
    x, y = _pair(4, 30, 25, 2, seed=8, dtype=dtype)
    x = (x.detach() * scale).requires_grad_(True)
    y = (y.detach() * scale).requires_grad_(True)
    for normalize in (False, True):
        v = soft_dtw_loss(x, y, gamma, normalize=normalize)
        gx, gy = torch.autograd.grad(v, (x, y))
        assert v.dtype == dtype and bool(torch.isfinite(v))
        assert bool(torch.isfinite(gx).all()) and bool(torch.isfinite(gy).all())
    v64 = soft_dtw_loss(x.detach().double(), y.detach().double(), gamma)
    v = soft_dtw_loss(x, y, gamma)
    assert math.isclose(v.item(), v64.item(), rel_tol=1e-5 if dtype == torch.float32 else 1e-12)

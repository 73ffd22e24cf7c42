"""dilate_loss: plain-autograd reference, gradcheck, batch-mean gradients, masks."""

import pytest
import torch

from tsgrad.losses import DILATELoss, dilate_loss

from .._oracles import dilate_reference

REDUCTIONS = ["none", "mean", "sum"]
SHAPES = [(3, 6, 6, 1), (3, 5, 4, 2), (2, 4, 7, 3)]
SHAPE_IDS = ["B3-k6-d1", "B3-n5-m4-d2", "B2-n4-m7-d3"]


def _pair(B, n, m, d, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(B, n, d, generator=g, dtype=torch.float64).requires_grad_(True)
    y = torch.randn(B, m, d, generator=g, dtype=torch.float64).requires_grad_(True)
    return x, y


def _reduce(v, reduction):
    return {"none": v, "mean": v.mean(), "sum": v.sum()}[reduction]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", SHAPES, ids=SHAPE_IDS)
def test_matches_plain_autograd_reference(shape, reduction, engine):
    x, y = _pair(*shape)
    ours = dilate_loss(x, y, alpha=0.3, gamma=0.1, reduction=reduction)
    ref = [_reduce(t, reduction) for t in dilate_reference(x, y, 0.3, 0.1)]
    for a, b in zip(ours, ref, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-12)
    for term in range(3):  # loss, shape, temporal separately: the HVP is the temporal one
        w = torch.rand(ours[term].shape, dtype=torch.float64)
        g_ours = torch.autograd.grad((ours[term] * w).sum(), (x, y), retain_graph=True)
        g_ref = torch.autograd.grad((ref[term] * w).sum(), (x, y), retain_graph=True)
        for a, b in zip(g_ours, g_ref, strict=True):
            torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-10)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", SHAPES[1:], ids=SHAPE_IDS[1:])
def test_gradcheck(shape, reduction):
    x, y = _pair(*shape, seed=1)
    assert torch.autograd.gradcheck(
        lambda a, b: dilate_loss(a, b, alpha=0.4, gamma=0.5, reduction=reduction), (x, y)
    )


def test_mean_gradient_is_the_gradient_of_the_batch_mean():
    """The reference code's backwards are B times too large; ours must not be."""
    B = 8
    x, y = _pair(B, 10, 10, 1, seed=2)
    loss, _, _ = dilate_loss(x, y, alpha=0.5, gamma=0.05, reduction="mean")
    (g_batch,) = torch.autograd.grad(loss, x)
    for b in (0, B - 1):
        single, _, _ = dilate_loss(x[b : b + 1], y[b : b + 1], alpha=0.5, gamma=0.05)
        (g_single,) = torch.autograd.grad(single, x)
        torch.testing.assert_close(g_batch[b], g_single[b] / B, rtol=1e-10, atol=1e-14)
    # ... and the temporal term's gradient (the HVP) alone as well.
    _, _, temporal = dilate_loss(x, y, alpha=0.5, gamma=0.05, reduction="mean")
    _, _, t_none = dilate_loss(x, y, alpha=0.5, gamma=0.05, reduction="none")
    torch.testing.assert_close(
        torch.autograd.grad(temporal, x)[0], torch.autograd.grad(t_none.sum(), x)[0] / B
    )


def test_terms_combine_and_alpha_extremes():
    x, y = _pair(4, 8, 8, 2, seed=3)
    loss, shape, temporal = dilate_loss(x, y, alpha=0.25, gamma=0.1, reduction="none")
    torch.testing.assert_close(loss, 0.25 * shape + 0.75 * temporal)
    assert bool((temporal >= 0).all())
    torch.testing.assert_close(dilate_loss(x, y, alpha=1.0, gamma=0.1)[0], shape.mean())
    torch.testing.assert_close(dilate_loss(x, y, alpha=0.0, gamma=0.1)[0], temporal.mean())


def test_temporal_term_zero_for_identical_series_at_small_gamma():
    y = torch.linspace(0, 3, 12, dtype=torch.float64).reshape(1, 12, 1).repeat(2, 1, 1)
    _, _, temporal = dilate_loss(y, y, gamma=1e-3, reduction="none")
    torch.testing.assert_close(temporal, torch.zeros(2, dtype=torch.float64), atol=1e-12, rtol=0)


def test_module_matches_function():
    x, y = _pair(3, 6, 5, 1, seed=4)
    for a, b in zip(
        DILATELoss(0.2, 0.3, reduction="sum")(x, y),
        dilate_loss(x, y, 0.2, 0.3, reduction="sum"),
        strict=True,
    ):
        torch.testing.assert_close(a, b)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("gamma", [1e-4, 1e-2, 1.0, 100.0], ids=lambda g: f"gamma{g:g}")
@pytest.mark.parametrize("scale", [1.0, 1e3], ids=["cost1", "cost1e6"])
def test_stability(gamma, scale, dtype):
    g = torch.Generator().manual_seed(5)
    x = (torch.randn(4, 20, 2, generator=g) * scale).to(dtype).requires_grad_(True)
    y = (torch.randn(4, 20, 2, generator=g) * scale).to(dtype)
    out = dilate_loss(x, y, alpha=0.5, gamma=gamma)
    (gx,) = torch.autograd.grad(out[0], x)
    assert all(t.dtype == dtype and bool(torch.isfinite(t)) for t in out)
    assert bool(torch.isfinite(gx).all())

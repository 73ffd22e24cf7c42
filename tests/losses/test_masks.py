"""Padding masks: padded steps change neither values nor gradients."""

import pytest
import torch

from tsgrad.losses import dilate_loss, dtw_batch, soft_dtw_divergence, soft_dtw_loss, tdi

from .._oracles import dilate_reference, softdtw_recursion, sqeuclidean

LX = [5, 3, 6, 1]
LY = [4, 6, 2, 6]


def _padded(seed=0, pad_value=1e3):
    """Padded batch (B=4, n=6, m=6, d=2) with garbage in the padding, and the masks."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(4, 6, 2, generator=g, dtype=torch.float64)
    y = torch.randn(4, 6, 2, generator=g, dtype=torch.float64)
    xm = torch.arange(6)[None, :] < torch.tensor(LX)[:, None]
    ym = torch.arange(6)[None, :] < torch.tensor(LY)[:, None]
    x = torch.where(xm[..., None], x, pad_value).requires_grad_(True)
    y = torch.where(ym[..., None], y, pad_value).requires_grad_(True)
    return x, y, xm, ym


def _per_element(fn, x, y):
    """``fn`` on each unpadded element, stacked: the oracle for the masked batch."""
    return torch.stack([fn(x[b : b + 1, : LX[b]], y[b : b + 1, : LY[b]])[0] for b in range(4)])


CASES = {
    "sdtw": lambda x, y, mask: soft_dtw_loss(x, y, 0.5, reduction="none", mask=mask),
    "divergence": lambda x, y, mask: soft_dtw_divergence(x, y, 0.5, reduction="none", mask=mask),
    "dilate": lambda x, y, mask: dilate_loss(x, y, 0.5, 0.5, reduction="none", mask=mask)[0],
    "dtw": lambda x, y, mask: dtw_batch(x, y, mask=mask),
}


@pytest.mark.parametrize("name", list(CASES))
def test_masked_equals_unpadded(name, engine):
    fn = CASES[name]
    x, y, xm, ym = _padded()
    v = fn(x, y, (xm, ym))
    ref = _per_element(lambda a, b: fn(a, b, None), x, y)
    torch.testing.assert_close(v, ref, rtol=1e-12, atol=1e-12)
    w = torch.rand(4, dtype=torch.float64)
    gx, gy = torch.autograd.grad((v * w).sum(), (x, y))
    rx, ry = torch.autograd.grad((ref * w).sum(), (x, y))
    torch.testing.assert_close(gx, rx, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(gy, ry, rtol=1e-10, atol=1e-12)
    assert bool((gx[~xm] == 0).all()) and bool((gy[~ym] == 0).all())


def test_masked_matches_plain_autograd_with_lengths():
    x, y, xm, ym = _padded(seed=1, pad_value=0.0)
    v = soft_dtw_loss(x, y, 0.3, reduction="none", mask=(xm, ym))
    torch.testing.assert_close(v, softdtw_recursion(sqeuclidean(x, y), 0.3, LX, LY))
    ours = dilate_loss(x, y, 0.5, 0.3, reduction="none", mask=(xm, ym))
    ref = dilate_reference(x, y, 0.5, 0.3, LX, LY)
    for a, b in zip(ours, ref, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-12)
    g = torch.autograd.grad(ours[2].sum(), x)[0]
    torch.testing.assert_close(g, torch.autograd.grad(ref[2].sum(), x)[0], rtol=1e-6, atol=1e-10)


def test_nan_padding_is_allowed():
    x, y, xm, ym = _padded(pad_value=float("nan"))
    v = soft_dtw_loss(x, y, 0.5, reduction="sum", mask=(xm, ym))
    gx, gy = torch.autograd.grad(v, (x, y))
    assert bool(torch.isfinite(v)) and bool(torch.isfinite(gx).all() & torch.isfinite(gy).all())


def test_one_sided_mask_and_tdi_horizon():
    x, y, _, ym = _padded(seed=2)
    v = tdi(x, y, mask=(None, ym))
    ref = torch.stack([tdi(x[b : b + 1], y[b : b + 1, : LY[b]])[0] for b in range(4)])
    torch.testing.assert_close(v, ref)


def test_gradcheck_masked():
    x, y, xm, ym = _padded(seed=3, pad_value=0.0)
    assert torch.autograd.gradcheck(
        lambda a, b: dilate_loss(a, b, 0.5, 0.7, mask=(xm, ym))[0], (x, y)
    )

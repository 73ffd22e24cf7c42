"""The Triton engine behind tsgrad's autograd Functions and public losses.

``_autograd`` calls an engine through ``prepare``, ``softdtw_forward``,
``softdtw_backward``, ``softdtw_hvp``, ``dtw_forward``, ``dtw_path_matrix`` and
``to_torch``; here its engine choice is pointed at ``TritonEngine`` (and the losses at
the cost-matrix route), so the public losses run on the Triton kernels exactly as a
router would run them, and are compared with the default (numba) route.
"""

import numpy as np
import pytest
import torch

from tsgrad._kernels import _autograd
from tsgrad._kernels._triton_engine import TritonEngine
from tsgrad.losses import (
    _dilate,
    _soft_dtw,
    dilate_loss,
    dtw_batch,
    soft_dtw_divergence,
    soft_dtw_loss,
    tdi,
)

pytest.importorskip("triton")

DEVICE = "cuda" if torch.cuda.is_available() else "cpu"


@pytest.fixture
def triton_engine(monkeypatch):
    """Run the autograd Functions on the Triton engine, losses by cost matrices; yields
    the list of the engine's ``prepare`` calls (each test checks the engine ran)."""
    calls = []

    class Counted(TritonEngine):
        @staticmethod
        def prepare(D, bands):
            calls.append(D.shape)
            return TritonEngine.prepare(D, bands)

    monkeypatch.setattr(_autograd, "_engine", lambda D: Counted)
    monkeypatch.setattr(_soft_dtw, "fused_sqeuclidean", lambda x: False)
    monkeypatch.setattr(_dilate, "fused_sqeuclidean", lambda x: False)
    yield calls
    assert calls, "the Triton engine did not run"


def _inputs(seed, n=6, m=5, d=2, B=3):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(B, n, d, generator=g, dtype=torch.float64)
    y = torch.randn(B, m, d, generator=g, dtype=torch.float64)
    lengths = torch.tensor([m, m - 2, 2])[:B]
    y_mask = torch.arange(m) < lengths[:, None]
    return x, y, (None, y_mask)


def _loss_and_grad(fn, x, y):
    x = x.detach().clone().to(DEVICE).requires_grad_(True)
    loss = fn(x, y.to(DEVICE))
    loss.backward()
    return loss.detach().cpu().numpy(), x.grad.cpu().numpy()


LOSSES = {
    "soft-dtw": lambda x, y, mask: soft_dtw_loss(x, y, 0.5, mask=mask),
    "divergence": lambda x, y, mask: soft_dtw_divergence(x, y, 0.5, mask=mask),
    "dilate": lambda x, y, mask: dilate_loss(x, y, 0.5, 0.1, mask=mask)[0],
    "dtw": lambda x, y, mask: dtw_batch(x, y, reduction="mean", mask=mask),
}


@pytest.mark.parametrize("loss", list(LOSSES))
def test_public_losses_on_the_triton_engine(loss, request):
    """Values and gradients as the default route's (ragged targets)."""
    x, y, mask = _inputs(0)
    mask = (None, mask[1].to(DEVICE))

    def fn(a, b):
        return LOSSES[loss](a, b, mask)

    ref = _loss_and_grad(fn, x, y)
    request.getfixturevalue("triton_engine")
    got = _loss_and_grad(fn, x, y)
    for g, r in zip(got, ref, strict=True):
        np.testing.assert_allclose(g, r, rtol=1e-12, atol=1e-12 * np.abs(r).max())


def test_tdi_on_the_triton_engine(request):
    """TDI takes the hard-DTW path matrix (``dtw_path_matrix``)."""
    x, y, _ = _inputs(1)
    ref = tdi(x.to(DEVICE), y.to(DEVICE)).cpu().numpy()
    request.getfixturevalue("triton_engine")
    got = tdi(x.to(DEVICE), y.to(DEVICE)).cpu().numpy()
    np.testing.assert_allclose(got, ref, rtol=1e-12)


def test_gradcheck_dilate_through_the_engine(triton_engine):
    """DILATE by cost matrices: ``E`` and its backward, the Hessian-vector product."""
    x, y, mask = _inputs(2, n=4, m=4, d=1)
    x = x.to(DEVICE).requires_grad_(True)
    y = y.to(DEVICE).requires_grad_(True)
    mask = (None, mask[1].to(DEVICE))
    assert torch.autograd.gradcheck(
        lambda a, b: dilate_loss(a, b, 0.5, 0.2, mask=mask, reduction="none")[0],
        (x, y),
        fast_mode=True,
    )

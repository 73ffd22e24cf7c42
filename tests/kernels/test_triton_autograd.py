"""The Triton engine through the router, the autograd Functions and the public API.

``use_engine("triton")`` runs tensors on the Triton engine (here CPU tensors in Triton's
interpreter, on a GPU machine CUDA tensors): every public loss and the tensor metrics
give the values and gradients of the numba engine.
"""

import numpy as np
import pytest
import torch

from tsgrad import use_engine
from tsgrad._kernels import _router
from tsgrad._kernels._triton_engine import TritonEngine
from tsgrad.losses import dilate_loss, dtw_batch, soft_dtw_divergence, soft_dtw_loss, tdi
from tsgrad.metrics import cdist_soft_dtw, soft_dtw, soft_dtw_alignment

pytest.importorskip("triton")

DEVICE = "cuda" if torch.cuda.is_available() else "cpu"


@pytest.fixture(autouse=True)
def _engine_setting_restored(monkeypatch):
    monkeypatch.setattr(_router, "_chosen", None)
    monkeypatch.delenv("TSGRAD_ENGINE", raising=False)


def _inputs(seed, n=6, m=5, d=2, B=3):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(B, n, d, generator=g, dtype=torch.float64).to(DEVICE)
    y = torch.randn(B, m, d, generator=g, dtype=torch.float64).to(DEVICE)
    lengths = torch.tensor([m, m - 2, 2])[:B]
    y_mask = (torch.arange(m) < lengths[:, None]).to(DEVICE)
    return x, y, (None, y_mask)


def _run(engine, fn, x, y):
    """``fn``'s result and the gradient of its sum w.r.t. ``x`` and ``y``, on ``engine``
    (the numba engine reads CPU copies)."""
    if engine == "numba":
        x, y = x.cpu(), y.cpu()
    x = x.detach().clone().requires_grad_(True)
    y = y.detach().clone().requires_grad_(True)
    with use_engine(engine):
        out = fn(x, y)
        if out.requires_grad:
            out.sum().backward()
    grads = [g.cpu().numpy() for g in (x.grad, y.grad) if g is not None]
    return [out.detach().cpu().numpy(), *grads]


def _mask(mask, like):
    return (None, mask[1].to(like.device))


CASES = {
    "soft_dtw_loss": lambda x, y, mask: soft_dtw_loss(x, y, 0.5, mask=_mask(mask, x)),
    "divergence": lambda x, y, mask: soft_dtw_divergence(x, y, 0.5, mask=_mask(mask, x)),
    "dilate_loss": lambda x, y, mask: dilate_loss(x, y, 0.5, 0.1, mask=_mask(mask, x))[0],
    "dtw_batch": lambda x, y, mask: dtw_batch(x, y, reduction="mean", mask=_mask(mask, x)),
    "tdi": lambda x, y, mask: tdi(x, y, mask=_mask(mask, x)),
    # a pair: the expected alignment, whose backward is the Hessian-vector product
    "soft_dtw_alignment": lambda x, y, mask: (
        soft_dtw_alignment(x[0], y[0], gamma=0.5)[0]
        * torch.arange(30.0, device=x.device).reshape(6, 5)
    ),
    "cdist_soft_dtw": lambda x, y, mask: cdist_soft_dtw(x, y, gamma=0.5),
    "soft_dtw_pair": lambda x, y, mask: soft_dtw(x[1], y[1], gamma=0.5),
}


def _spy(monkeypatch) -> list:
    """Record the Triton engine's entry calls (each test checks the engine ran)."""
    calls = []

    def spy(name):
        method = getattr(TritonEngine, name)

        def spied(*args):
            calls.append(name)
            return method(*args)

        return staticmethod(spied)

    for name in ("softdtw_forward", "dtw_forward", "sqeuclidean_softdtw", "sqeuclidean_dilate"):
        monkeypatch.setattr(TritonEngine, name, spy(name))
    return calls


@pytest.mark.parametrize("case", list(CASES))
def test_public_api_on_the_triton_engine(case, monkeypatch):
    """Values and gradients as the numba engine's (float64, ragged targets)."""
    calls = _spy(monkeypatch)
    x, y, mask = _inputs(0)

    def fn(a, b):
        return CASES[case](a, b, mask)

    ref = _run("numba", fn, x, y)
    got = _run("triton", fn, x, y)
    assert calls, "the Triton engine did not run"
    for g, r in zip(got, ref, strict=True):
        np.testing.assert_allclose(g, r, rtol=1e-12, atol=1e-12 * np.abs(r).max())


def test_gradcheck_dilate_through_the_router():
    """DILATE's fused Function on the Triton engine, ragged targets."""
    x, y, mask = _inputs(2, n=4, m=4, d=1)
    x, y = x.requires_grad_(True), y.requires_grad_(True)
    with use_engine("triton"):
        assert torch.autograd.gradcheck(
            lambda a, b: dilate_loss(a, b, 0.5, 0.2, mask=mask, reduction="none")[0],
            (x, y),
            fast_mode=True,
        )

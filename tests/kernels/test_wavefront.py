"""The pure-torch wavefront engine (used for CUDA / MPS tensors) against the numba one."""

import numpy as np
import pytest
import torch

from tsgrad._kernels import full_bands
from tsgrad._kernels._numba_engine import NumbaEngine
from tsgrad._kernels._torch_wavefront import WavefrontEngine, compute_dtype

from .._oracles import BANDS, B, M, N


@pytest.mark.parametrize("gamma", [1.0, 0.05], ids=["gamma1", "gamma0.05"])
@pytest.mark.parametrize("band", list(BANDS))
def test_engine_parity(band, gamma):
    bands = BANDS[band]()
    g = torch.Generator().manual_seed(0)
    D = torch.rand(B, N, M, dtype=torch.float64, generator=g) * 3
    Z = torch.randn(B, N, M, dtype=torch.float64, generator=g)
    nb, wf = NumbaEngine, WavefrontEngine
    state, v = nb.softdtw_forward(D.numpy(), gamma, bands, True)
    wstate, vw = wf.softdtw_forward(D, gamma, bands, True)
    np.testing.assert_allclose(vw.numpy(), v, rtol=1e-12)  # inf where infeasible, in both
    E = nb.softdtw_backward(state)
    Ew = wf.softdtw_backward(wstate)
    np.testing.assert_allclose(Ew.numpy(), E, rtol=1e-10, atol=1e-13)
    H = nb.softdtw_hvp(state, E, Z.numpy())
    Hw = wf.softdtw_hvp(wstate, Ew, Z)
    np.testing.assert_allclose(Hw.numpy(), H, rtol=1e-10, atol=1e-10)
    hstate, vh = nb.dtw_forward(D.numpy(), bands)
    whstate, vhw = wf.dtw_forward(D, bands)
    np.testing.assert_allclose(vhw.numpy(), vh, rtol=1e-12)
    np.testing.assert_array_equal(wf.dtw_path_matrix(whstate).numpy(), nb.dtw_path_matrix(hstate))


def test_hard_path_ties_follow_the_numba_rule():
    D = torch.zeros(3, 5, 4, dtype=torch.float64)  # all ties
    D[1, 2, :] = 1.0
    bands = full_bands(3, 5, 4)
    state, _ = NumbaEngine.dtw_forward(D.numpy(), bands)
    wstate, _ = WavefrontEngine.dtw_forward(D, bands)
    np.testing.assert_array_equal(
        WavefrontEngine.dtw_path_matrix(wstate).numpy(), NumbaEngine.dtw_path_matrix(state)
    )


def test_large_costs_and_small_gamma_keep_the_alignment_exact():
    # The weights are the soft minimum of each cell's predecessors, not exp((R - D -
    # R_pred) / gamma), whose rounding (eps |R| / gamma) reached 2e-5 here.
    g = torch.Generator().manual_seed(3)
    D = torch.rand(2, 7, 6, dtype=torch.float64, generator=g) * 3e6
    bands = full_bands(2, 7, 6)
    state, _ = NumbaEngine.softdtw_forward(D.numpy(), 1e-4, bands, True)
    wstate, _ = WavefrontEngine.softdtw_forward(D, 1e-4, bands, False)
    E = NumbaEngine.softdtw_backward(state)
    np.testing.assert_allclose(WavefrontEngine.softdtw_backward(wstate).numpy(), E, atol=1e-12)


def test_compute_dtype():
    assert compute_dtype(torch.device("cpu")) == torch.float64
    assert compute_dtype(torch.device("mps")) == torch.float32


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_losses_on_cuda_match_cpu():
    from tsgrad.losses import dilate_loss

    x = torch.randn(4, 12, 2, dtype=torch.float64, requires_grad=True)
    y = torch.randn(4, 12, 2, dtype=torch.float64)
    loss = dilate_loss(x, y, gamma=0.1)[0]
    xc = x.detach().cuda().requires_grad_(True)
    loss_c = dilate_loss(xc, y.cuda(), gamma=0.1)[0]
    torch.testing.assert_close(loss_c.cpu(), loss)
    torch.testing.assert_close(
        torch.autograd.grad(loss_c, xc)[0].cpu(), torch.autograd.grad(loss, x)[0]
    )

"""The router's engine choice: ``use_engine``, ``TSGRAD_ENGINE`` and the errors for inputs
an engine cannot run."""

import numpy as np
import pytest
import torch

import tsgrad
from tsgrad._kernels import _router, current_engine, use_engine
from tsgrad._kernels._numba_engine import NumbaEngine
from tsgrad._kernels._wavefront import WavefrontEngine
from tsgrad.losses import dilate_loss, soft_dtw_loss
from tsgrad.metrics import dtw, soft_dtw


@pytest.fixture(autouse=True)
def _engine_setting_restored(monkeypatch):
    monkeypatch.setattr(_router, "_chosen", None)  # restored after each test
    monkeypatch.delenv("TSGRAD_ENGINE", raising=False)
    monkeypatch.setattr(_router._warm, "ready", lambda: True)  # a compiled installation


def test_use_engine_is_a_context_manager_and_a_plain_call():
    assert current_engine() == "auto"
    with use_engine("wavefront") as chosen:
        assert chosen.name == "wavefront" and current_engine() == "wavefront"
        with use_engine("numba"):
            assert current_engine() == "numba"
        assert current_engine() == "wavefront"
    assert current_engine() == "auto"
    tsgrad.use_engine("wavefront")  # the top-level name; a plain call sets it until changed
    assert current_engine() == "wavefront"
    use_engine("numba")
    assert current_engine() == "numba"


def test_unknown_engine_names_are_errors(monkeypatch):
    with pytest.raises(ValueError, match="'name' parameter of use_engine.*'cuda'"):
        use_engine("cuda")
    assert current_engine() == "auto"  # unchanged by the failed call
    monkeypatch.setenv("TSGRAD_ENGINE", "gpu")
    with pytest.raises(ValueError, match="TSGRAD_ENGINE.*'gpu'"):
        soft_dtw([1.0, 2.0], [2.0, 3.0])


def test_environment_variable_sets_the_default(monkeypatch):
    monkeypatch.setenv("TSGRAD_ENGINE", "wavefront")
    x = torch.zeros(2, 4, 1)
    assert _router.engine_for(x) is WavefrontEngine
    with use_engine("numba"):  # an explicit choice wins
        assert _router.engine_for(x) is NumbaEngine


def test_auto_chooses_by_device():
    assert _router.engine_for(np.zeros(3)) is NumbaEngine
    assert _router.engine_for(torch.zeros(3)) is NumbaEngine
    assert _router.engine_for(torch.zeros(3, device="meta")) is WavefrontEngine


@pytest.mark.parametrize(
    "engine, data, match",
    [
        ("numba", lambda: torch.zeros(3, device="meta"), "'numba' engine runs NumPy arrays"),
        ("triton", lambda: np.zeros(3), "'triton' engine runs torch tensors"),
    ],
    ids=["numba-on-meta", "triton-numpy"],
)
def test_an_engine_that_cannot_run_the_input_says_so(engine, data, match):
    with use_engine(engine), pytest.raises(ValueError, match=match):
        _router.engine_for(data())


def test_the_wavefront_engine_runs_numpy_arrays_too():
    x, y = np.random.default_rng(0).normal(size=(2, 6, 1))
    with use_engine("wavefront"):
        assert _router.engine_for(x) is WavefrontEngine
        got = soft_dtw(x, y), dtw(x, y)
    np.testing.assert_allclose(got, (soft_dtw(x, y), dtw(x, y)), rtol=1e-13)


def test_triton_without_triton_says_what_it_needs(monkeypatch):
    monkeypatch.setattr(_router, "_triton", lambda x: None)
    with use_engine("triton"), pytest.raises(ValueError, match="needs the 'triton' package"):
        soft_dtw_loss(torch.zeros(2, 3, 1), torch.ones(2, 3, 1))


@pytest.mark.parametrize("engine", ["numba", "wavefront"])
def test_every_engine_gives_the_same_losses(engine):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(3, 7, 2, dtype=torch.float64, generator=g, requires_grad=True)
    y = torch.randn(3, 5, 2, dtype=torch.float64, generator=g)
    ref = [soft_dtw_loss(x, y, 0.5), *dilate_loss(x, y, 0.5, 0.5)]
    with use_engine(engine):
        got = [soft_dtw_loss(x, y, 0.5), *dilate_loss(x, y, 0.5, 0.5)]
    for a, b in zip(got, ref, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)
        ga = torch.autograd.grad(a, x, retain_graph=True)[0]
        gb = torch.autograd.grad(b, x, retain_graph=True)[0]
        torch.testing.assert_close(ga, gb, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    ("kind", "param"), [(0, 0.0), (1, 2.0), (2, 1.5)], ids=["free", "sakoe", "itakura"]
)
def test_dtw_paths_of_the_fused_kernel_equal_the_path_matrix_route(kind, param):
    # numba's one-sweep paths against the wavefront engine's path matrix (the fallback
    # route), on a ragged batch; the Itakura slope of 1.5 admits no path for two pairs
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(4, 7, 2)), rng.normal(size=(4, 9, 2))
    lx, ly = np.array([7, 5, 7, 3]), np.array([9, 9, 7, 9])
    bands = tsgrad._kernels.make_bands(lx, ly, 7, kind, param)
    cost = tsgrad._kernels.SqEuclidean(x, y)
    with use_engine("numba"):
        v, paths = tsgrad._kernels.dtw_paths(cost, bands)
    with use_engine("wavefront"):
        v_ref, paths_ref = tsgrad._kernels.dtw_paths(cost, bands)
    np.testing.assert_allclose(v, v_ref, rtol=1e-12)
    assert paths == paths_ref
    for b in range(4):
        if np.isfinite(v[b]):
            assert paths[b][0] == (0, 0) and paths[b][-1] == (lx[b] - 1, ly[b] - 1)
        else:
            assert paths[b] == []
    assert np.isinf(v).sum() == (2 if kind == 2 else 0)


def test_dtw_paths_values_are_differentiable_for_tensors():
    x = torch.randn(6, 2, dtype=torch.float64, requires_grad=True)
    y = torch.randn(5, 2, dtype=torch.float64)
    bands = tsgrad._kernels.make_bands(np.array([6]), np.array([5]), 6)
    with use_engine("numba"):
        v, path = tsgrad._kernels.dtw_paths(tsgrad._kernels.SqEuclidean(x, y), bands)
    (g,) = torch.autograd.grad(v, x)
    # the gradient of the path's cost sum over (i, j) of |x_i - y_j|^2
    want = torch.zeros_like(x)
    for i, j in path:
        want[i] += 2 * (x[i] - y[j]).detach()
    assert torch.allclose(g, want)

"""A new installation's first calls: the wavefront engine while the numba kernels compile
in the background (tsgrad._kernels._warm), and the warm-up's stamp and lock."""

import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from tsgrad import metrics
from tsgrad._kernels import (
    SqEuclidean,
    _router,
    _warm,
    engine_for_run,
    full_bands,
    use_engine,
    value_and_grad,
)
from tsgrad._kernels._numba_engine import NumbaEngine
from tsgrad._kernels._wavefront import WavefrontEngine
from tsgrad.losses import dilate_loss, soft_dtw_loss


@pytest.fixture
def cold(monkeypatch):
    """'auto' with no compiled kernels yet; records the warm-up launches."""
    monkeypatch.setattr(_router, "_chosen", None)
    monkeypatch.delenv("TSGRAD_ENGINE", raising=False)
    monkeypatch.setattr(_warm, "ready", lambda: False)
    launches = []
    monkeypatch.setattr(_warm, "start", lambda: launches.append(1) or True)
    return launches


def test_cold_cpu_inputs_run_on_the_wavefront_engine_and_start_the_warm_up(cold):
    assert _router.engine_for(np.zeros((2, 3, 1)), 100) is WavefrontEngine
    assert _router.engine_for(torch.zeros(2, 3, 1), 100) is WavefrontEngine
    assert cold  # the background compilation was asked for
    big = _router.THRESHOLDS.cold_wavefront_max_cells + 1
    assert _router.engine_for(np.zeros(3), big) is NumbaEngine  # too large: compile now
    with use_engine("numba"):  # an explicit choice always compiles
        assert _router.engine_for(np.zeros(3), 100) is NumbaEngine


def test_cold_results_equal_the_numba_engine(cold):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(9, 2)), rng.normal(size=(7, 2))
    X = rng.normal(size=(3, 8, 1))
    calls = [
        lambda: metrics.dtw(x, y),
        lambda: metrics.dtw(x, y, sakoe_chiba_radius=1),
        lambda: metrics.soft_dtw(x, y, gamma=0.5),
        lambda: metrics.dtw_path(x, y),
        lambda: metrics.soft_dtw_alignment(x, y, gamma=0.5),
        lambda: metrics.cdist_dtw(X),
        lambda: metrics.cdist_soft_dtw(X, gamma=0.3),
        lambda: value_and_grad(SqEuclidean(X[:, :5], X), 0.5, full_bands(3, 5, 8)),
    ]
    got = [_flat(call()) for call in calls]
    with use_engine("numba"):
        want = [_flat(call()) for call in calls]
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12)


def _flat(result) -> np.ndarray:
    """A result (a number, an array, a path, or nested tuples of them) as one vector."""
    if isinstance(result, tuple):
        return np.concatenate([_flat(part) for part in result])
    return np.ravel(np.asarray(result, dtype=float))


def test_cold_losses_and_gradients_equal_the_numba_engine(cold):
    g = torch.Generator().manual_seed(1)
    x = torch.randn(3, 7, 2, dtype=torch.float64, generator=g, requires_grad=True)
    y = torch.randn(3, 6, 2, dtype=torch.float64, generator=g)

    def run():
        out = [soft_dtw_loss(x, y, 0.5), *dilate_loss(x, y, 0.5, 0.1)]
        return out, [torch.autograd.grad(o, x, retain_graph=True)[0] for o in out]

    got = run()
    with use_engine("numba"):
        want = run()
    for a, b in zip([*got[0], *got[1]], [*want[0], *want[1]], strict=True):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)


def test_a_run_uses_the_numba_engine_on_the_cpu(cold):
    with engine_for_run("cpu"):
        assert _router.engine_for(np.zeros(3), 100) is NumbaEngine
    assert _router.engine_for(np.zeros(3), 100) is WavefrontEngine
    with use_engine("wavefront"), engine_for_run("cpu"):  # an explicit choice is kept
        assert _router.current_engine() == "wavefront"


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A cache directory of our own, and no real compilation."""
    monkeypatch.setattr(_warm, "_cache_dir", lambda: str(tmp_path))
    monkeypatch.setattr(_warm, "_ready", False)
    monkeypatch.setattr(_warm, "_checked_at", -1e9)
    monkeypatch.setattr(_warm, "_started", False)
    monkeypatch.setenv("TSGRAD_WARMUP", "1")
    return tmp_path


def test_the_warm_up_writes_the_stamp_and_releases_its_lock(cache, monkeypatch):
    ran = []
    monkeypatch.setattr(_warm, "_workloads", lambda: ran.append(1))
    lock = _warm._stamp() + ".lock"
    open(lock, "w").close()
    assert not _warm.ready()
    assert _warm.main([lock]) == 0
    assert ran and not os.path.exists(lock) and os.path.exists(_warm._stamp())
    monkeypatch.setattr(_warm, "_checked_at", -1e9)
    assert _warm.ready()


def test_the_warm_up_is_launched_once(cache, monkeypatch):
    launched = []
    monkeypatch.setattr(subprocess, "Popen", lambda args, **kw: launched.append(args))
    assert _warm.start()
    assert not _warm.start()  # once per process
    assert launched[0][1:3] == ["-m", "tsgrad._kernels"]
    monkeypatch.setattr(_warm, "_started", False)
    assert not _warm.start()  # another process holds the lock
    monkeypatch.setattr(_warm, "_started", False)
    os.utime(launched[0][3], (0, 0))  # a lock left by a dead warm-up is replaced
    assert _warm.start() and len(launched) == 2
    monkeypatch.setattr(_warm, "_started", False)
    monkeypatch.setenv("TSGRAD_WARMUP", "0")
    assert not _warm.start()


def test_a_new_installation_answers_without_compiling(tmp_path):
    # An empty numba cache, no background compilation: dtw and soft_dtw of NumPy data
    # answer through the wavefront engine without compiling a kernel or importing torch.
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path), "TSGRAD_WARMUP": "0"}
    env.pop("TSGRAD_ENGINE", None)
    code = (
        "import sys, numpy as np, tsgrad.metrics as m\n"
        "print(m.dtw([1, 2, 3], [3, 4, -3]), m.soft_dtw([1, 2, 3], [3, 4, -3]))\n"
        "print('torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    dtw_value, soft_value, torch_imported = out.stdout.split()
    assert float(dtw_value) == pytest.approx(metrics.dtw([1, 2, 3], [3, 4, -3]), rel=1e-14)
    assert float(soft_value) == pytest.approx(metrics.soft_dtw([1, 2, 3], [3, 4, -3]), rel=1e-12)
    assert torch_imported == "False"
    compiled = [f for _, _, files in os.walk(tmp_path) for f in files if f.endswith(".nbc")]
    assert compiled == []


def test_python_m_tsgrad_kernels_runs_the_warm_up_without_a_runpy_warning():
    # The command the background process and the docs use; the warm-up itself is replaced
    # by a stub returning 7 (compiling every kernel takes minutes).
    code = (
        "import runpy, tsgrad._kernels._warm as w\n"
        "w.main = lambda argv=None: 7\n"
        "runpy.run_module('tsgrad._kernels', run_name='__main__', alter_sys=True)\n"
    )
    out = subprocess.run(
        [sys.executable, "-W", "error::RuntimeWarning", "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 7, out.stderr
    assert "RuntimeWarning" not in out.stderr

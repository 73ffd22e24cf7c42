"""Suite-wide settings: one torch thread per test (see DEVELOPERS.md: the 2 cores are shared),
and the numba engine for NumPy arrays and CPU tensors.

numba kernels keep their own pool (they size it by the work, see tsgrad._kernels).  A new
installation runs its first calls on the wavefront engine while a background process
compiles the numba kernels (tsgrad._kernels._warm); the tests pin the engine instead
(TSGRAD_ENGINE, inherited by the command-line and torchrun subprocesses) and start no
background compilation (TSGRAD_WARMUP=0).  The tests of that start-up behaviour set these
themselves.
"""

import os

import pytest

os.environ.setdefault("TSGRAD_ENGINE", "numba")
os.environ.setdefault("TSGRAD_WARMUP", "0")

try:
    import torch
except ImportError:  # pragma: no cover - the NumPy path is usable without torch
    torch = None


@pytest.fixture(autouse=True)
def _one_torch_thread():
    if torch is None:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)

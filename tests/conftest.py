"""Suite-wide settings: one torch thread per test (see DEVELOPERS.md: the 2 cores are shared).

numba kernels keep their own pool (they size it by the work, see tsgrad._kernels).
"""

import pytest

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

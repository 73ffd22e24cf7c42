"""Suite-wide settings: one torch thread (see DEVELOPERS.md), deterministic seeds."""

import pytest

try:
    import torch
except ImportError:  # pragma: no cover - the NumPy path is usable without torch
    torch = None


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    if torch is not None:
        torch.set_num_threads(1)
    yield

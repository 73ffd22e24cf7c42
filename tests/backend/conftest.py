"""One torch thread for the backend tests (the machine is shared)."""

import pytest

try:
    import torch
except ImportError:  # pragma: no cover - the NumPy path is tested without torch too
    torch = None


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    if torch is not None:
        torch.set_num_threads(1)
    yield

"""Losses tests: one torch thread (the machine is shared; numba keeps its own pool)."""

import pytest
import torch

from tsgrad._kernels._autograd import set_cpu_engine


@pytest.fixture(autouse=True)
def _one_torch_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(params=["numba", "wavefront"])
def engine(request):
    """Run a test with each CPU engine (the wavefront one is what CUDA tensors use)."""
    previous = set_cpu_engine(request.param)
    yield request.param
    set_cpu_engine(previous)

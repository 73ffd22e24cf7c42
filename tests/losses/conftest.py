"""Losses tests: the CPU engine fixture (torch threads are pinned by tests/conftest.py)."""

import pytest

from tsgrad._kernels._autograd import set_cpu_engine


@pytest.fixture(params=["numba", "wavefront"])
def engine(request):
    """Run a test with each CPU engine (the wavefront one is what CUDA tensors use)."""
    previous = set_cpu_engine(request.param)
    yield request.param
    set_cpu_engine(previous)

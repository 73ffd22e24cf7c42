"""Losses tests: the CPU engine fixture (torch threads are pinned by tests/conftest.py)."""

import pytest

from tsgrad import use_engine


@pytest.fixture(params=["numba", "wavefront"])
def engine(request):
    """Run a test with each CPU engine (the wavefront one is what other devices use)."""
    with use_engine(request.param):
        yield request.param

"""The docstring examples of the backend modules run and print what they say."""

import doctest

import pytest
import torch  # noqa: F401 - the examples use it

import tsgrad.backend._base
import tsgrad.backend._instantiate
import tsgrad.backend._numpy
import tsgrad.backend._pytorch  # noqa: E402  (needs torch)


@pytest.mark.parametrize(
    "module",
    [
        tsgrad.backend._base,
        tsgrad.backend._instantiate,
        tsgrad.backend._numpy,
        tsgrad.backend._pytorch,
    ],
    ids=lambda m: m.__name__,
)
def test_doctests(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0

"""The docstring examples of the metrics run and print what they say."""

import doctest

import numpy as np
import pytest
import torch  # noqa: F401 - the examples use it

import tsgrad.metrics._dtw
import tsgrad.metrics._soft_dtw
import tsgrad.metrics._utils


@pytest.mark.parametrize(
    "module",
    [tsgrad.metrics._dtw, tsgrad.metrics._soft_dtw, tsgrad.metrics._utils],
    ids=lambda m: m.__name__,
)
def test_doctests(module):
    result = doctest.testmod(
        module, extraglobs={"np": np}, optionflags=doctest.NORMALIZE_WHITESPACE
    )
    assert result.attempted > 0
    assert result.failed == 0

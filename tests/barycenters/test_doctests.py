"""The docstring examples of the barycenters run and print what they say."""

import doctest

import numpy as np
import pytest

import tsgrad.barycenters._dba
import tsgrad.barycenters._euclidean
import tsgrad.barycenters._softdtw


@pytest.mark.parametrize(
    "module",
    [tsgrad.barycenters._dba, tsgrad.barycenters._euclidean, tsgrad.barycenters._softdtw],
    ids=lambda m: m.__name__,
)
def test_doctests(module):
    result = doctest.testmod(
        module, extraglobs={"np": np}, optionflags=doctest.NORMALIZE_WHITESPACE
    )
    assert result.attempted > 0
    assert result.failed == 0

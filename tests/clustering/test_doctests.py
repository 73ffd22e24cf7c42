"""The docstring examples of the clustering run and print what they say."""

import doctest

import numpy as np
import pytest

import tsgrad.clustering._kmeans
import tsgrad.clustering._silhouette


@pytest.mark.parametrize(
    "module",
    [tsgrad.clustering._kmeans, tsgrad.clustering._silhouette],
    ids=lambda m: m.__name__,
)
def test_doctests(module):
    result = doctest.testmod(
        module, extraglobs={"np": np}, optionflags=doctest.NORMALIZE_WHITESPACE
    )
    assert result.attempted > 0
    assert result.failed == 0

"""The docstring examples of tsgrad.data run."""

import doctest

import pytest

import tsgrad.data._bundled
import tsgrad.data._dataset
import tsgrad.data._loaders
import tsgrad.data._synthetic
import tsgrad.data._windows


@pytest.mark.parametrize(
    "module",
    [
        tsgrad.data._bundled,
        tsgrad.data._dataset,
        tsgrad.data._loaders,
        tsgrad.data._synthetic,
        tsgrad.data._windows,
    ],
    ids=["bundled", "dataset", "loaders", "synthetic", "windows"],
)
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0

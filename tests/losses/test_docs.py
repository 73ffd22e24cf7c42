"""The examples of docs/losses.md and of the docstrings of tsgrad.losses run."""

import doctest
from pathlib import Path

import pytest
import torch

import tsgrad.losses._dilate
import tsgrad.losses._evaluation
import tsgrad.losses._soft_dtw

DOC = Path(__file__).resolve().parents[2] / "docs" / "losses.md"


@pytest.mark.parametrize(
    "module",
    [tsgrad.losses._soft_dtw, tsgrad.losses._dilate, tsgrad.losses._evaluation],
    ids=["soft_dtw", "dilate", "evaluation"],
)
def test_docstring_examples(module):
    torch.manual_seed(0)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_docs_examples():
    torch.manual_seed(0)
    result = doctest.testfile(
        str(DOC), module_relative=False, optionflags=doctest.NORMALIZE_WHITESPACE
    )
    assert result.attempted > 0 and result.failed == 0

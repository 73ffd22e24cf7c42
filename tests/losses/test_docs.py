"""The examples of docs/losses.md run (those of the docstrings: tests/test_public_api.py)."""

import doctest
from pathlib import Path

import torch

DOC = Path(__file__).resolve().parents[2] / "docs" / "losses.md"


def test_docs_examples():
    torch.manual_seed(0)
    result = doctest.testfile(
        str(DOC), module_relative=False, optionflags=doctest.NORMALIZE_WHITESPACE
    )
    assert result.attempted > 0 and result.failed == 0

"""Every ```python block of docs/clustering.md runs as written (each in a fresh namespace)."""

import re
from pathlib import Path

import numpy as np
import pytest

PAGE = Path(__file__).resolve().parents[2] / "docs" / "clustering.md"
BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
BLOCKS = BLOCK.findall(PAGE.read_text(encoding="utf-8"))


def test_the_page_has_examples():
    assert len(BLOCKS) >= 4


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{k}" for k in range(1, len(BLOCKS) + 1)])
def test_block_runs(code, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    np.random.seed(0)  # noqa: NPY002 - the legacy global generator is what examples draw from
    namespace = {"__name__": "clustering_md"}
    exec(compile(code, str(PAGE), "exec"), namespace)
    assert set(namespace) - {"__name__", "__builtins__"}

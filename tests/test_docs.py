"""Every Python example of README.md and docs/*.md runs as written.

* A ```` ```python ```` block with ``>>>`` prompts is a doctest: each ``docs/*.md`` page
  with prompts runs as a doctest file, its output compared (``docs/losses.md`` and
  ``docs/cli.md`` are run by ``tests/losses/test_docs.py`` and ``tests/cli/test_docs.py``,
  so they are skipped here, not run twice).
* Every other ```` ```python ```` block, of README.md and of every docs page, is executed
  on its own, in a fresh namespace, as a reader who pastes it would run it.  A signature
  is not Python that runs: it belongs in a ```` ``` ```` or ```` ```text ```` fence.

All run in a temporary working directory, with ``tempfile`` pointed there too (the pages
write small files), after seeding ``random``, NumPy and torch, with one torch thread.
"""

import doctest
import random
import re
import tempfile
from pathlib import Path

import numpy as np
import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
README = ROOT / "README.md"

# Doctests run elsewhere (with their own fixtures); their plain blocks still run here.
RUN_ELSEWHERE = {"losses.md": "tests/losses/test_docs.py", "cli.md": "tests/cli/test_docs.py"}
# Pages that must keep runnable examples (a page losing all of them is a regression).
MUST_HAVE_EXAMPLES = ["metrics.md", "losses.md", "ode.md", "getting-started.md", "forecasting.md"]

PAGES = sorted(p.name for p in DOCS.glob("*.md"))
PYTHON_BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
HEADING = re.compile(r"^#+[ \t]+(.+)$", re.MULTILINE)


def _has_examples(page: str) -> bool:
    return ">>>" in (DOCS / page).read_text(encoding="utf-8")


def _python_blocks(path: Path) -> list[tuple[str, str]]:
    """``(id, code)`` of each python block without prompts, named after its heading."""
    text = path.read_text(encoding="utf-8")
    blocks = []
    for k, match in enumerate(PYTHON_BLOCK.finditer(text), start=1):
        code = match.group(1)
        if ">>>" in code:  # a doctest block: run by the page's doctest
            continue
        headings = HEADING.findall(text, 0, match.start())
        title = headings[-1] if headings else "top"
        slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
        blocks.append((f"{path.name}:{k}-{slug}", code))
    return blocks


PLAIN_BLOCKS = [b for path in [README, *sorted(DOCS.glob("*.md"))] for b in _python_blocks(path)]


@pytest.fixture
def clean_state(tmp_path, monkeypatch):
    """Seeded generators, one torch thread, a temporary cwd and tempdir."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    random.seed(0)
    np.random.seed(0)  # noqa: NPY002 - the legacy global generator is what examples draw from
    torch.manual_seed(0)
    yield tmp_path
    torch.set_num_threads(threads)


def test_the_pages_that_must_have_examples_have_them():
    missing = [page for page in MUST_HAVE_EXAMPLES if page not in PAGES]
    assert not missing, f"missing pages: {missing}"
    without = [page for page in MUST_HAVE_EXAMPLES if not _has_examples(page)]
    assert not without, f"pages without >>> examples: {without}"


DOCTEST_PAGES = [p for p in PAGES if p not in RUN_ELSEWHERE and _has_examples(p)]


@pytest.mark.parametrize("page", DOCTEST_PAGES)
def test_docs_page_examples(page, clean_state):
    result = doctest.testfile(
        str(DOCS / page),
        module_relative=False,
        optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS,
    )
    assert result.attempted > 0
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples of {page} failed"


def test_the_readme_has_a_python_example_per_part():
    # backends and metrics, losses, ODE, forecasting
    assert sum(block_id.startswith("README.md:") for block_id, _ in PLAIN_BLOCKS) >= 4


@pytest.mark.parametrize(("block_id", "code"), PLAIN_BLOCKS, ids=[b[0] for b in PLAIN_BLOCKS])
def test_python_block_runs_as_written(block_id, code, clean_state):
    namespace = {"__name__": "__main__"}
    exec(compile(code, block_id, "exec"), namespace)
    # A block that ran defines at least one name besides the module metadata.
    assert set(namespace) - {"__name__", "__builtins__"}

"""The ``cli`` fixture: run ``tsgrad`` in-process and capture its output."""

from __future__ import annotations

import pytest

from tsgrad.cli import main

from ._helpers import Result


@pytest.fixture
def cli(capsys):
    """``cli(*argv) -> Result``: run ``tsgrad`` in-process and capture its output."""

    def run(*argv) -> Result:
        capsys.readouterr()
        code = main([str(a) for a in argv])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run

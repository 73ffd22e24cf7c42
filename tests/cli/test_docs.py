"""The examples of docs/cli.md and of the tsgrad.cli docstrings run."""

import doctest
from pathlib import Path

import tsgrad.cli._main

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def test_docstring_examples():
    result = doctest.testmod(tsgrad.cli._main, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_docs_examples():
    result = doctest.testfile(str(DOC), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_docs_name_every_option_of_every_command():
    from tsgrad.cli._parser import build_parser

    text = DOC.read_text()
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    missing = [
        f"{name} {option}"
        for name, sub in commands.items()
        for action in sub._actions
        for option in action.option_strings
        if option.startswith("--") and option not in ("--help",) and option not in text
    ]
    assert not missing

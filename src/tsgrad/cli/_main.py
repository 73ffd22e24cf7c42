"""``main``: parse, dispatch, and turn every failure into a message and an exit code."""

from __future__ import annotations

import os
import sys

from ._errors import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_USAGE, CLIError, Interrupted
from ._parser import PROG, build_parser

# Errors of the library on bad user input (files, values): reported in one line, exit 2.
_USER_ERRORS = (CLIError, ValueError, TypeError, FileNotFoundError, OSError)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _say(text: str) -> None:
    print(f"{PROG}: {text}", file=sys.stderr, flush=True)


def _dispatch(args) -> int:
    if args.command == "reproduce":
        from ._reproduce import run

        return run(args)
    if args.command == "train":
        from ._train import run_train

        return run_train(args)
    from ._train import run_evaluate

    return run_evaluate(args)


def main(argv: list[str] | None = None) -> int:
    """Run the ``tsgrad`` command line; returns the exit code.

    Parameters
    ----------
    argv : list of str, optional
        The arguments after the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success; 1 when training failed (e.g. the loss became NaN); 2 for bad
        arguments, files or folders (one ``tsgrad: error: ...`` line on stderr, never a
        traceback); 130 when interrupted by Ctrl-C (after writing a checkpoint; the message
        says how to resume).  ``--help`` and ``--version`` return 0.

    Examples
    --------
    >>> main(["--version"])  # doctest: +ELLIPSIS
    tsgrad 0...
    0
    >>> main(["reproduce", "dilate", "--epochs", "0"])  # prints to stderr
    2
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error already printed
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    args.argv = argv
    # TSGRAD_TRACEBACK=1 shows the full traceback of an error (for bug reports).
    debug = os.environ.get("TSGRAD_TRACEBACK", "") not in ("", "0")
    try:
        return _dispatch(args)
    except Interrupted as exc:
        _say(f"interrupted: {exc}. Continue with: {_resume_command(args)}")
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        _say(f"interrupted. Continue with: {_resume_command(args)}")
        return EXIT_INTERRUPTED
    except FloatingPointError as exc:
        if debug:
            raise
        _say(f"training failed: {_one_line(exc)}")
        return EXIT_FAILURE
    except _USER_ERRORS as exc:
        if debug:
            raise
        _say(f"error: {_one_line(exc)}")
        return EXIT_USAGE


def _resume_command(args) -> str:
    import shlex

    if args.command == "evaluate":
        return shlex.join([PROG, *args.argv])
    words = [PROG, *(w for w in args.argv if w != "--overwrite")]
    if "--resume" not in words:
        words.append("--resume")
    return shlex.join(words)

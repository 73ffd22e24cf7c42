"""The two ways a command ends early: a user error (exit 2) and an interruption (exit 130)."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, the shell's convention


class CLIError(Exception):
    """A bad argument, file or folder: printed as one ``tsgrad: error: ...`` line, exit 2."""


class Interrupted(Exception):
    """Ctrl-C after a checkpoint was written; the message says how to continue (exit 130)."""

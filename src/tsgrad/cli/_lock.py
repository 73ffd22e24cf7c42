"""One command at a time per folder: an advisory lock on ``FOLDER/.tsgrad.lock``.

The lock is ``flock`` on an open file: the system releases it when the process ends, also
when it is killed, so a crashed run never leaves a stale lock behind.  The file itself
stays (removing it would let a third process lock a new file while the second still holds
the old one).  Where ``fcntl`` does not exist (Windows) no lock is taken.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from ._errors import CLIError

LOCK_FILE = ".tsgrad.lock"


@contextlib.contextmanager
def folder_lock(folder: Path, *, busy: str, advice: str) -> Iterator[None]:
    """Hold the lock of ``folder`` (created if needed) inside the block.

    Parameters
    ----------
    folder : Path
    busy, advice : str
        The error when another process holds the lock: ``busy``, that process's id, then
        ``advice``.

    Raises
    ------
    CLIError
        Another process holds the lock (one line, exit code 2).
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    if folder.exists() and not folder.is_dir():
        raise CLIError(f"--out: {folder} exists and is not a folder")
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / LOCK_FILE, "a+", encoding="utf-8") as f:
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            holder = f.read().strip() or "another process"
            raise CLIError(f"{busy} ({holder}); {advice}") from None
        f.seek(0)
        f.truncate()
        f.write(f"process {os.getpid()}\n")
        f.flush()
        yield

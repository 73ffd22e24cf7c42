"""Atomic checkpoints: a temporary file in the target's folder, then ``os.replace``.

``os.replace`` is atomic on POSIX and Windows when both paths are on the same file system,
which is why the temporary file lives next to the target: a run killed at any moment
leaves either the previous checkpoint or the new one, never a truncated file.  The file
gets the mode an ordinary ``open`` would give it (``0o666`` less the umask, so 0644 under
the usual umask 022), not the 0600 of the temporary file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import torch

FORMAT_VERSION = 1


def save_checkpoint(state: dict, path: str | os.PathLike) -> Path:
    """Write ``state`` (a dict of tensors and plain Python values) to ``path`` atomically.

    Parameters
    ----------
    state : dict
        What :func:`torch.save` accepts; :func:`fit` writes the model and optimizer state
        dicts, the epoch, the history and every RNG state.
    path : str or PathLike
        The checkpoint file; its folder is created if needed.

    Returns
    -------
    Path

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "ckpt.pt")
    >>> _ = save_checkpoint({"epoch": 3}, p)
    >>> load_checkpoint(p)["epoch"]
    3
    """
    return atomic_write(path, lambda f: torch.save(state, f))


def _umask() -> int:
    """The process's umask, read without changing it where the system allows."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # elsewhere: set and restore (process-wide, for an instant)
    os.umask(mask)
    return mask


def atomic_write(path: str | os.PathLike, write: Callable[[BinaryIO], None]) -> Path:
    """Write a file atomically: ``write(f)`` fills a temporary file, then it replaces ``path``.

    The folder is created if needed; the file gets mode ``0o666 & ~umask``.  Any failure
    (including ``KeyboardInterrupt``) leaves the previous file untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


def load_checkpoint(path: str | os.PathLike, *, map_location="cpu") -> dict:
    """Read a checkpoint written by :func:`save_checkpoint` (``weights_only`` loading).

    Parameters
    ----------
    path : str or PathLike
    map_location : str or torch.device (default: "cpu")

    Returns
    -------
    dict

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    ValueError
        The file is not a readable checkpoint.

    Examples
    --------
    Restore a model from the checkpoint that :func:`fit` wrote:

    >>> import os, tempfile, torch
    >>> from torch.utils.data import TensorDataset
    >>> from tsgrad.training import History, fit, load_checkpoint
    >>> x = torch.randn(40, 6, 1)
    >>> data = TensorDataset(x, 2 * x[:, -3:])
    >>> def make_model():
    ...     return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(6, 3),
    ...                                torch.nn.Unflatten(1, (3, 1)))
    >>> model = make_model()
    >>> path = os.path.join(tempfile.mkdtemp(), "run.pt")
    >>> _ = fit(model, data, epochs=2, batch_size=10, checkpoint_path=path, progress=False)
    >>> ckpt = load_checkpoint(path)
    >>> ckpt["epoch"], History.from_dict(ckpt["history"]).epochs_run
    (2, 2)
    >>> restored = make_model()
    >>> _ = restored.load_state_dict(ckpt["model"])
    >>> torch.equal(restored(x), model(x))
    True
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No checkpoint at {str(path)!r}.")
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # torch raises several types for corrupt files
        raise ValueError(f"{str(path)!r} is not a readable tsgrad checkpoint: {exc}") from exc

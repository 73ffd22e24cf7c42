"""Data files shipped inside the package (``tsgrad/data/datasets``, package data)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["ECG5000_FILE", "ecg5000_path"]

ECG5000_FILE = "ECG5000_TRAIN.txt"


def ecg5000_path() -> Path:
    """The path of the ECG5000 training split shipped with tsgrad.

    The file is the UCR archive's ``ECG5000_TRAIN.txt`` (500 heartbeats of 140 points, a
    class label first on each line; sha256 ``64a73c47...a09ec87``, see
    ``tsgrad/data/datasets/README.md``).  It is package data: the same call finds it in
    a clone of the repository and in an installed package.

    Returns
    -------
    Path
        An existing file, readable by :func:`load_ucr`.

    Raises
    ------
    FileNotFoundError
        The package was installed without its data files (or from a zip archive).

    Examples
    --------
    >>> from tsgrad.data import ecg5000_path, load_ucr
    >>> ecg5000_path().name
    'ECG5000_TRAIN.txt'
    >>> load_ucr(ecg5000_path()).values.shape
    (500, 140)
    """
    path = resources.files("tsgrad.data") / "datasets" / ECG5000_FILE
    if not isinstance(path, Path) or not path.is_file():
        raise FileNotFoundError(
            f"tsgrad's copy of {ECG5000_FILE} is missing from {path}: the package was "
            "installed without its data files. Reinstall tsgrad from a clone "
            "(pip install .) or pass the file's path yourself."
        )
    return path

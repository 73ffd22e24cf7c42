"""Readers of UCR/UEA text files and CSV files into NumPy arrays.

Both read the whole file, check every line, and only then build the arrays: a malformed
file raises ``ValueError`` naming the file and the 1-based line number, and nothing is
returned half-loaded.
"""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path
from typing import NamedTuple

import numpy as np

__all__ = ["CSVData", "UCRData", "load_csv", "load_ucr"]

_UCR_SEPARATORS = re.compile(r"\s*,\s*|\s+")


class UCRData(NamedTuple):
    """A UCR/UEA univariate file.

    Attributes
    ----------
    labels : ndarray, shape (N,)
        Class labels; int64 when every label is a whole number, float64 otherwise.
    values : ndarray of float64, shape (N, T)
        One series per row; NaN where the file says NaN (UCR pads variable-length series
        with trailing NaN).

    Examples
    --------
    :func:`load_ucr` returns it; a named tuple, it unpacks:

    >>> import numpy as np
    >>> from tsgrad.data import ecg5000_path, load_ucr
    >>> labels, values = load_ucr(ecg5000_path())
    >>> values.shape, labels.dtype
    ((500, 140), dtype('int64'))
    >>> np.unique(labels, return_counts=True)
    (array([1, 2, 3, 4, 5]), array([292, 177,  10,  19,   2]))
    """

    labels: np.ndarray
    values: np.ndarray


class CSVData(NamedTuple):
    """The series of a CSV file.

    Attributes
    ----------
    values : ndarray of float64, shape (n_series, T)
        One series per row, whichever the file's layout.
    names : list of str or None
        The header's names of the series (``layout="columns"``) or of the time points
        (``layout="rows"``); None without a header.

    Examples
    --------
    :func:`load_csv` returns it; a named tuple, it unpacks:

    >>> import tempfile, pathlib
    >>> from tsgrad.data import load_csv
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "sensors.csv"
    >>> _ = path.write_text("temp,wind\\n20.5,3.0\\n21.0,4.5\\n21.5,6.0\\n")
    >>> values, names = load_csv(path, header=True)
    >>> names
    ['temp', 'wind']
    >>> values.T  # (T, d): the channels of one recording, one row per time step
    array([[20.5,  3. ],
           [21. ,  4.5],
           [21.5,  6. ]])
    """

    values: np.ndarray
    names: list[str] | None


def _check_path(path, where: str) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            f"The 'path' parameter of {where} must be a str or os.PathLike. "
            f"Got {type(path).__name__} instead."
        )
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{where}: no such file: '{path}'.")
    return path


def _parse_float(token: str, path: Path, line_no: int, column: int) -> float:
    try:
        return float(token)
    except ValueError:
        raise ValueError(
            f"{path}, line {line_no}: column {column} holds {token!r}, which is not a number."
        ) from None


def load_ucr(path: str | os.PathLike) -> UCRData:
    """Read a UCR/UEA text file: one series per line, the class label first.

    Values are separated by whitespace or by commas (the archive uses both). Blank lines
    are skipped; ``NaN`` tokens are read as NaN.

    Variable-length data sets: the archive pads shorter series with trailing ``NaN`` so
    that every line has the same number of values; such files load, with the NaN kept
    (the forecasting helpers then refuse non-finite series, naming the row). Lines with
    *different numbers of values* are an error rather than being padded silently.

    Parameters
    ----------
    path : str or os.PathLike
        The ``*_TRAIN.txt`` / ``*_TEST.txt`` / ``.tsv`` / ``.csv`` file.

    Returns
    -------
    UCRData
        ``labels`` shape (N,) and ``values`` shape (N, T), float64.

    Raises
    ------
    ValueError
        With the file name and line number: a token that is not a number, a line with
        another number of values than the first line, a line with a label but no values,
        or a file without data lines.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "toy_TRAIN.txt"
    >>> _ = path.write_text("1 0.5 1.5 2.5\\n2,3.0,2.0,1.0\\n")
    >>> data = load_ucr(path)
    >>> data.labels.tolist(), data.values.shape
    ([1, 2], (2, 3))
    """
    path = _check_path(path, "load_ucr")
    rows: list[list[float]] = []
    first_line = 0
    with path.open("r", encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            text = line.strip()
            if not text:
                continue
            tokens = _UCR_SEPARATORS.split(text)
            row = [_parse_float(tok, path, line_no, col) for col, tok in enumerate(tokens, 1)]
            if len(row) < 2:
                raise ValueError(
                    f"{path}, line {line_no}: expected a label followed by at least one value. "
                    f"Got {len(row)} token instead."
                )
            if rows and len(row) != len(rows[0]):
                raise ValueError(
                    f"{path}, line {line_no}: expected {len(rows[0]) - 1} values as on line "
                    f"{first_line}. Got {len(row) - 1} instead (ragged rows; pad variable-length "
                    "series with NaN)."
                )
            if not rows:
                first_line = line_no
            rows.append(row)
    if not rows:
        raise ValueError(f"{path}, line 1: the file holds no data lines (it is empty).")
    table = np.asarray(rows, dtype=np.float64)
    labels = table[:, 0]
    if np.all(np.isfinite(labels)) and np.all(labels == np.round(labels)):
        labels = labels.astype(np.int64)
    return UCRData(labels=labels, values=np.ascontiguousarray(table[:, 1:]))


def load_csv(
    path: str | os.PathLike,
    *,
    layout: str = "columns",
    header: bool = False,
    delimiter: str = ",",
) -> CSVData:
    """Read numeric series from a CSV file.

    Parameters
    ----------
    path : str or os.PathLike
    layout : {"columns", "rows"} (default: "columns")
        ``"columns"``: one series per column (a long multichannel recording, one row per
        time step); ``"rows"``: one series per row (a collection of series).
    header : bool (default: False)
        Whether the first non-blank line holds names. It is never guessed.
    delimiter : str (default: ",")
        One character.

    Returns
    -------
    CSVData
        ``values`` of shape ``(n_series, T)`` in both layouts (transpose it to get the
        ``(T, d)`` channels of a multichannel recording) and the header's ``names``.

    Raises
    ------
    ValueError
        With the file name and line number: a cell that is not a number (empty cells
        included; write ``nan`` for a missing value), a row with another number of cells,
        or a file without data rows.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "toy.csv"
    >>> _ = path.write_text("a,b\\n1,10\\n2,20\\n3,30\\n")
    >>> data = load_csv(path, header=True)
    >>> data.names, data.values.tolist()
    (['a', 'b'], [[1.0, 2.0, 3.0], [10.0, 20.0, 30.0]])
    """
    where = "load_csv"
    if layout not in ("columns", "rows"):
        raise ValueError(
            f"The 'layout' parameter of {where} must be 'columns' or 'rows'. "
            f"Got {layout!r} instead."
        )
    if not isinstance(header, bool):
        raise TypeError(
            f"The 'header' parameter of {where} must be a bool. Got {header!r} instead."
        )
    if not isinstance(delimiter, str) or len(delimiter) != 1:
        raise ValueError(
            f"The 'delimiter' parameter of {where} must be a single character. "
            f"Got {delimiter!r} instead."
        )
    path = _check_path(path, where)
    names: list[str] | None = None
    rows: list[list[float]] = []
    width = None
    with path.open("r", encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        for cells in reader:
            line_no = reader.line_num
            if not cells or (len(cells) == 1 and not cells[0].strip()):  # blank line
                continue
            if width is None:
                width = len(cells)
                first_line = line_no
                if header:
                    names = [c.strip() for c in cells]
                    continue
            elif len(cells) != width:
                raise ValueError(
                    f"{path}, line {line_no}: expected {width} cells as on line {first_line}. "
                    f"Got {len(cells)} instead."
                )
            rows.append(
                [_parse_float(c.strip(), path, line_no, col) for col, c in enumerate(cells, 1)]
            )
    if not rows:
        raise ValueError(f"{path}, line 1: the file holds no data rows.")
    table = np.asarray(rows, dtype=np.float64)
    values = table.T if layout == "columns" else table
    return CSVData(values=np.ascontiguousarray(values), names=names)

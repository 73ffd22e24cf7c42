"""The data of each command: the DILATE experiment's data sets and a user's own files.

Two ways to turn a file into forecasting pairs, chosen by the file's layout:

* **pairs**: a collection of equal-length series (UCR files, CSV with one series per row):
  each series gives ``(first L points, last H points)``; the series are split at random
  (seeded) into train / validation / test (:func:`tsgrad.data.fixed_length_pairs`).
* **windows**: one long recording (CSV with one channel per column): sliding windows,
  split chronologically (:func:`tsgrad.data.make_windows`).

The settings of both are stored in a model file so that ``tsgrad evaluate`` prepares
new data exactly as at training, with the stored scaler.
"""

from __future__ import annotations

import csv
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ._errors import CLIError

ECG_FILE = "ECG5000_TRAIN.txt"

ECG_LENGTH, ECG_INPUT, ECG_HORIZON = 140, 84, 56

# The paper's synthetic setting (reference code: N = 500, 20 + 20 points, sigma 0.01).
SYN_INPUT, SYN_OUTPUT, SYN_SIGMA, SYN_SEED = 20, 20, 0.01, 0
SYN_VAL_SEED = 1  # the validation series: the same generator, another seed


@dataclass
class ExperimentData:
    """The data of one experiment: the splits, what they are, and a spec for resuming."""

    splits: object  # ForecastSplits
    description: str
    spec: dict


def synthetic_data(n_series: int, n_val: int) -> ExperimentData:
    """The DILATE synthetic steps: train / test as the paper, validation from seed 1."""
    from tsgrad.data import synthetic_step_datasets

    splits = synthetic_step_datasets(n_series, SYN_INPUT, SYN_OUTPUT, SYN_SIGMA, seed=SYN_SEED)
    val = None
    if n_val:
        val = synthetic_step_datasets(
            n_val, SYN_INPUT, SYN_OUTPUT, SYN_SIGMA, seed=SYN_VAL_SEED
        ).train
    description = (
        f"synthetic steps (DILATE paper): {SYN_INPUT} input + {SYN_OUTPUT} output points, "
        f"uniform noise {SYN_SIGMA}, generator seed {SYN_SEED}: {n_series} train and "
        f"{n_series} test series"
        + (
            f"; {n_val} validation series from generator seed {SYN_VAL_SEED} "
            "select each run's best epoch"
            if n_val
            else "; no validation series: each run keeps its last epoch"
        )
    )
    spec = {
        "name": "synthetic",
        "n_series": n_series,
        "n_input": SYN_INPUT,
        "n_output": SYN_OUTPUT,
        "sigma": SYN_SIGMA,
        "seed": SYN_SEED,
        "n_val": n_val,
        "val_seed": SYN_VAL_SEED,
    }
    return ExperimentData(splits._replace(val=val), description, spec)


def find_ecg_file(data_dir: str | None) -> Path:
    """``ECG5000_TRAIN.txt`` in ``data_dir`` (a folder or the file), or tsgrad's own copy."""
    from tsgrad.data import ecg5000_path

    if data_dir is None:
        try:
            return ecg5000_path()
        except FileNotFoundError as exc:
            raise CLIError(f"--dataset ecg5000: {exc}") from None
    path = Path(data_dir)
    if path.is_dir():
        path = path / ECG_FILE
    if not path.is_file():
        raise CLIError(f"--data-dir: no file {path} (expected the folder holding {ECG_FILE})")
    return path


def ecg5000_data(data_dir: str | None) -> ExperimentData:
    """ECG5000: the first 84 of 140 points -> the last 56, 300 / 100 / 100 series."""
    from tsgrad.data import fixed_length_pairs, load_ucr

    path = find_ecg_file(data_dir)
    values = load_ucr(path).values
    if values.shape[1] != ECG_LENGTH:
        raise CLIError(
            f"{path}: expected ECG5000 series of {ECG_LENGTH} points. "
            f"Got {values.shape[1]} points per line instead."
        )
    splits = fixed_length_pairs(
        values,
        input_len=ECG_INPUT,
        horizon=ECG_HORIZON,
        val_fraction=0.2,
        test_fraction=0.2,
        seed=0,
    )
    n_train, n_val, n_test = len(splits.train), len(splits.val), len(splits.test)
    description = (
        f"ECG5000 ({path}): the first {ECG_INPUT} of {ECG_LENGTH} points -> the last "
        f"{ECG_HORIZON}. The file holds only the {len(values)} series of the UCR training "
        f"split; they were split deterministically (NumPy permutation, seed 0) into "
        f"{n_train} train / {n_val} validation / {n_test} test series"
    )
    spec = {
        "name": "ecg5000",
        "file": path.name,
        "n_series": len(values),
        "input_len": ECG_INPUT,
        "horizon": ECG_HORIZON,
        "split": [n_train, n_val, n_test],
        "split_seed": 0,
    }
    return ExperimentData(splits, description, spec)


# --- a user's own files ----------------------------------------------------------------


@dataclass
class FileSettings:
    """How a data file is read and cut into forecasting pairs (stored in model.pt)."""

    format: str  # "ucr" or "csv"
    input_len: int
    horizon: int
    csv_layout: str = "columns"
    csv_header: bool = False
    delimiter: str = ","
    val_fraction: float = 0.2
    test_fraction: float = 0.2
    split_seed: int = 0
    stride: int = 1
    scale: bool = False

    @property
    def kind(self) -> str:
        """``"windows"`` for a long recording (CSV columns), ``"pairs"`` otherwise."""
        return "windows" if self.format == "csv" and self.csv_layout == "columns" else "pairs"

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> FileSettings:
        return cls(**{k: d[k] for k in cls.__dataclass_fields__})


def _ucr_on_csv_hint(path, settings: FileSettings) -> str:
    """Said when ``--format ucr`` reads a ``.csv`` file, whatever failed."""
    if settings.format == "ucr" and Path(path).suffix.lower() == ".csv":
        return (
            f" ({Path(path).name} looks like a CSV file, read here as UCR: one series per "
            "line, its label first; pass --format csv to read it as CSV)"
        )
    return ""


def _first_line_holds_names(path, delimiter: str) -> bool:
    """Whether the first non-blank line of a CSV file has a cell that is not a number."""
    with open(path, encoding="utf-8", newline="") as f:
        for row in csv.reader(f, delimiter=delimiter):
            cells = [c.strip() for c in row]
            if any(cells):
                for cell in cells:
                    try:
                        float(cell)
                    except ValueError:
                        return True
                return False
    return False


def read_values(path: str, settings: FileSettings) -> np.ndarray:
    """``(N, T)`` series for pairs, ``(T, d)`` channels for windows, all finite."""
    from tsgrad.data import load_csv, load_ucr

    file = Path(path)
    if file.is_dir():
        inside = sorted(p.name for p in file.iterdir() if p.is_file() and p.suffix)
        more = ", ..." if len(inside) > 3 else ""
        example = f" (it holds {', '.join(inside[:3])}{more})" if inside else ""
        raise CLIError(f"--data: {path} is a folder; pass the data file itself{example}")
    if not file.is_file():
        raise CLIError(f"--data: no such file: {path}")
    try:
        if settings.format == "ucr":
            values = load_ucr(path).values
        else:
            data = load_csv(
                path,
                layout=settings.csv_layout,
                header=settings.csv_header,
                delimiter=settings.delimiter,
            )
            values = data.values.T if settings.kind == "windows" else data.values
    except ValueError as exc:
        hint = _ucr_on_csv_hint(path, settings)
        if (
            settings.format == "csv"
            and not settings.csv_header
            and _first_line_holds_names(path, settings.delimiter)
        ):
            hint = " The first line holds names: pass --csv-header to skip it."
        raise CLIError(f"--data: {exc}{hint}") from None
    bad = np.argwhere(~np.isfinite(values))
    if bad.size:
        where = f"time step {bad[0][0]}" if settings.kind == "windows" else f"series {bad[0][0]}"
        raise CLIError(
            f"--data: {path} holds NaN or inf values (missing points; the first in {where})"
        )
    return values


def _transform(dataset, scaler):
    from tsgrad.data import ForecastDataset

    return ForecastDataset(scaler.transform(dataset.inputs), scaler.transform(dataset.targets))


def _check_pairs(values: np.ndarray, s: FileSettings, path) -> None:
    """The checks of ``fixed_length_pairs``, in the command line's words."""
    from tsgrad.data._windows import pair_counts

    n_series, length = values.shape[:2]
    if s.input_len + s.horizon > length:
        raise CLIError(
            f"--input-len {s.input_len} + --horizon {s.horizon} points do not fit in the "
            f"{length}-point series of {path}{_ucr_on_csv_hint(path, s)}"
        )
    n_val, n_test = pair_counts(n_series, s.val_fraction, s.test_fraction)
    if n_test < 1 or (s.val_fraction > 0 and n_val < 1) or n_val + n_test >= n_series:
        raise CLIError(
            f"--val-fraction {s.val_fraction:g} and --test-fraction {s.test_fraction:g} of the "
            f"{n_series} series of {path} give {n_series - n_val - n_test} train / {n_val} "
            f"validation / {n_test} test series; each part needs at least one"
        )


def _check_windows(values: np.ndarray, s: FileSettings, path) -> None:
    """The checks of ``make_windows``, in the command line's words."""
    from tsgrad.data._windows import window_parts

    if s.val_fraction + s.test_fraction >= 1:
        raise CLIError(
            f"--val-fraction {s.val_fraction:g} + --test-fraction {s.test_fraction:g} must be "
            "below 1 (the rest is the train part)"
        )
    n_steps = values.shape[0]
    t1, t2, parts = window_parts(
        n_steps, s.input_len, s.horizon, s.stride, s.val_fraction, s.test_fraction
    )
    spans = {"train": (0, t1), "val": (t1, t2), "test": (t2, n_steps)}
    wanted = ["train", "test"] + (["val"] if s.val_fraction > 0 else [])
    for name in wanted:
        if parts[name].size == 0:
            lo, hi = spans[name]
            raise CLIError(
                f"--data: the {name} part of {path} (time steps {lo}..{hi - 1} of {n_steps}) "
                f"holds no window of --input-len {s.input_len} + --horizon {s.horizon} steps; "
                "use shorter windows, a larger fraction or a longer recording"
            )


def file_splits(values: np.ndarray, settings: FileSettings, scaler=None, *, path=""):
    """Train / validation / test splits of ``values``, scaled.

    Without ``scaler`` and with ``settings.scale``, a scaler is fitted on the train part;
    with ``scaler`` (evaluation), that one is used, never refitted.  ``path`` names the
    file in error messages.

    Returns
    -------
    ForecastSplits
        ``scaler`` is the one used (or None).
    """
    from tsgrad.data import StandardScaler, fixed_length_pairs, make_windows

    s = settings
    if s.kind == "windows":
        _check_windows(values, s, path)
        if scaler is not None:
            values = scaler.transform(values)
        splits = make_windows(
            values,
            input_len=s.input_len,
            horizon=s.horizon,
            stride=s.stride,
            val_fraction=s.val_fraction,
            test_fraction=s.test_fraction,
            scale=s.scale and scaler is None,
        )
        return splits if scaler is None else splits._replace(scaler=scaler)
    _check_pairs(values, s, path)
    splits = fixed_length_pairs(
        values,
        input_len=s.input_len,
        horizon=s.horizon,
        val_fraction=s.val_fraction,
        test_fraction=s.test_fraction,
        seed=s.split_seed,
    )
    if scaler is None and s.scale:
        d = splits.train.n_channels
        train = np.concatenate(
            [
                splits.train.inputs.reshape(-1, d).numpy(),
                splits.train.targets.reshape(-1, d).numpy(),
            ]
        )
        scaler = StandardScaler.fit(train)
    if scaler is None:
        return splits
    return splits._replace(
        train=_transform(splits.train, scaler),
        val=None if splits.val is None else _transform(splits.val, scaler),
        test=_transform(splits.test, scaler),
        scaler=scaler,
    )


def all_pairs(values: np.ndarray, settings: FileSettings, scaler=None, *, path=""):
    """Every forecasting pair of ``values`` (no split): for scoring another file."""
    from tsgrad.data import ForecastDataset

    s = settings
    array = np.asarray(values, dtype=np.float64)
    need = (
        f"the model reads {s.input_len} points and forecasts {s.horizon}, "
        f"{s.input_len + s.horizon} in all"
    )
    if s.kind == "windows":
        if scaler is not None:
            array = scaler.transform(array)
        n_steps = array.shape[0]
        if n_steps < s.input_len + s.horizon:
            raise CLIError(f"--data: {path} has {n_steps} time steps; {need}")
        starts = np.arange(0, n_steps - s.input_len - s.horizon + 1, s.stride)
        inputs = array[starts[:, None] + np.arange(s.input_len)]
        targets = array[starts[:, None] + s.input_len + np.arange(s.horizon)]
    else:
        if array.ndim == 2:
            array = array[:, :, None]
        length = array.shape[1]
        if s.input_len + s.horizon > length:
            raise CLIError(
                f"--data: the series of {path} have {length} points; {need}"
                + _ucr_on_csv_hint(path, s)
            )
        inputs, targets = array[:, : s.input_len], array[:, length - s.horizon :]
        if scaler is not None:
            inputs, targets = scaler.transform(inputs), scaler.transform(targets)
    return ForecastDataset(inputs, targets)

"""Forecasting data: the DILATE synthetic steps, UCR/CSV readers, windowing helpers.

Every helper returns :class:`ForecastSplits` ``(train, val, test, scaler)`` of
:class:`ForecastDataset` objects: in-memory torch datasets of float32
``(input (L, d), target (H, d))`` pairs (plus an int64 breakpoint for the synthetic data),
ready for a ``DataLoader`` and for ``tsgrad.training``.

Functions / classes
-------------------
generate_synthetic_steps  Raw arrays of the DILATE synthetic step data, bit-identical to
                          the reference generator for a given seed.
synthetic_step_datasets   The same as train / validation / test datasets.
load_ucr                  UCR/UEA text files (label + values per line) -> UCRData.
load_csv                  CSV files, one series per column or per row -> CSVData.
make_windows              Long series -> sliding windows, chronological splits, scaling.
fixed_length_pairs        Equal-length series (e.g. ECG5000) -> (first L, last H) pairs,
                          seeded random split.
ecg5000_path              The path of the ECG5000 training split shipped with tsgrad.
ForecastDataset, ForecastSplits, StandardScaler, SyntheticSteps, UCRData, CSVData
"""

from ._bundled import ecg5000_path
from ._dataset import ForecastDataset, ForecastSplits
from ._loaders import CSVData, UCRData, load_csv, load_ucr
from ._synthetic import SyntheticSteps, generate_synthetic_steps, synthetic_step_datasets
from ._windows import StandardScaler, fixed_length_pairs, make_windows

__all__ = [
    "CSVData",
    "ForecastDataset",
    "ForecastSplits",
    "StandardScaler",
    "SyntheticSteps",
    "UCRData",
    "ecg5000_path",
    "fixed_length_pairs",
    "generate_synthetic_steps",
    "load_csv",
    "load_ucr",
    "make_windows",
    "synthetic_step_datasets",
]

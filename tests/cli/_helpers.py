"""Helpers of the command-line tests: tiny settings, small data files, a simulated Ctrl-C."""

from __future__ import annotations

import signal
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tsgrad.data import ecg5000_path

# The copy shipped with tsgrad (package data): always there, nothing skips for it.
ECG = ecg5000_path()

# A reproduction in about a second: 30 + 30 series, 10 validation, 2 epochs, 2 seeds.
TINY = [
    "--n-series", "30", "--n-val", "10", "--epochs", "2", "--seeds", "2",
    "--hidden-size", "8", "--batch-size", "10", "--quiet",
]  # fmt: skip


@dataclass
class Result:
    code: int
    out: str
    err: str


def write_ucr(path: Path, n_series: int = 60, length: int = 30, *, seed: int = 0) -> Path:
    """A small UCR file of noisy steps: label, then ``length`` values per line."""
    rng = np.random.default_rng(seed)
    t = np.arange(length)
    lines = []
    for i in range(n_series):
        values = (t >= rng.integers(5, length - 5)) + 0.05 * rng.normal(size=length)
        lines.append(" ".join([str(i % 2 + 1)] + [f"{v:.6f}" for v in values]))
    path.write_text("\n".join(lines) + "\n")
    return path


def file_mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def default_file_mode() -> int:
    """The mode ``open`` gives a new file under the current umask."""
    import os

    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def interrupt_on_training_call(monkeypatch, *, run_index: int, call: int) -> None:
    """Send SIGINT (as Ctrl-C does) during the ``call``-th training forward pass of the
    ``run_index``-th model that ``tsgrad.models.build_model`` builds."""
    import tsgrad.models

    real = tsgrad.models.build_model
    built = {"models": 0}

    def build(*args, **kwargs):
        model = real(*args, **kwargs)
        built["models"] += 1
        if built["models"] == run_index:
            calls = {"n": 0}

            def hook(module, inputs, output):
                if module.training:
                    calls["n"] += 1
                    if calls["n"] == call:
                        signal.raise_signal(signal.SIGINT)

            model.register_forward_hook(hook)
        return model

    monkeypatch.setattr(tsgrad.models, "build_model", build)

"""The ECG5000 file shipped as package data: the UCR file itself, found from a clone and
from an installed (non-editable) package."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tsgrad.data import ecg5000_path

ROOT = Path(__file__).resolve().parents[2]
# The UCR archive's ECG5000_TRAIN.txt (checksum of the copy the project was given).
ECG5000_SHA256 = "64a73c47d5c785c9e87f2e07c71a985f451bd28e1120bfbdb91400401a09ec87"


def test_the_shipped_file_is_the_ucr_ecg5000_training_split():
    # its contents (500 z-normalised series of 140 points): tests/data/test_loaders.py
    path = ecg5000_path()
    assert path == ROOT / "src" / "tsgrad" / "data" / "datasets" / "ECG5000_TRAIN.txt"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == ECG5000_SHA256


@pytest.mark.slow
def test_an_installed_wheel_finds_its_own_copy(tmp_path):
    # Build a wheel from the project's files, install it into a folder of its own (no
    # editable link back to src/) and ask that copy of tsgrad where the file is (~6 s).
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__"))
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    built = subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", tmp_path / "dist", source],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("tsgrad-*.whl")
    site = tmp_path / "site"
    installed = subprocess.run(
        [*pip, "install", "--no-deps", "--no-index", "--target", site, wheel],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr[-2000:]
    code = (
        "import tsgrad.data, tsgrad.cli._datasets as d\n"
        "print(tsgrad.data.__file__)\n"
        "print(tsgrad.data.ecg5000_path())\n"
        "print(d.find_ecg_file(None))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(site)},
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    module, path, cli_default = (Path(line) for line in run.stdout.split())
    assert module.is_relative_to(site)
    assert path == cli_default == site / "tsgrad" / "data" / "datasets" / "ECG5000_TRAIN.txt"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == ECG5000_SHA256

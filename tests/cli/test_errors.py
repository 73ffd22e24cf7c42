"""Bad arguments and files: one ``tsgrad: error: ...`` line on stderr, exit code 2."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tsgrad import __version__

from ._helpers import write_ucr


def _bad_ucr(tmp_path):
    path = tmp_path / "bad_TRAIN.txt"
    path.write_text("1 0.1 0.2 0.3\n2 0.4 oops 0.6\n")
    return path


def _ragged_ucr(tmp_path):
    path = tmp_path / "ragged_TRAIN.txt"
    path.write_text("1 0.1 0.2 0.3\n2 0.4 0.5\n")
    return path


def _good_ucr(tmp_path):
    return write_ucr(tmp_path / "good_TRAIN.txt", n_series=20, length=30)


def _train(data, *extra):
    return ["train", "--data", data, "--format", "ucr", "--input-len", "20", "--horizon", "10",
            "--quiet", *extra]  # fmt: skip


# (id, argv builder taking tmp_path, words expected in the message)
CASES = [
    ("no-command", lambda p: [], ["required", "COMMAND"]),
    ("unknown-command", lambda p: ["fly"], ["invalid choice", "fly"]),
    ("unknown-experiment", lambda p: ["reproduce", "informer"], ["invalid choice"]),
    ("unknown-dataset", lambda p: ["reproduce", "dilate", "--dataset", "m4"], ["--dataset"]),
    ("unknown-loss", lambda p: ["reproduce", "dilate", "--losses", "mse,l1"], ["--losses", "l1"]),
    ("unknown-model", lambda p: ["reproduce", "dilate", "--models", "lstm"], ["--models"]),
    ("negative-epochs", lambda p: ["reproduce", "dilate", "--epochs", "-3"], ["--epochs", ">= 1"]),
    ("zero-seeds", lambda p: ["reproduce", "dilate", "--seeds", "0"], ["--seeds"]),
    ("alpha-above-one", lambda p: ["reproduce", "dilate", "--alpha", "1.5"], ["--alpha"]),
    ("gamma-not-a-number", lambda p: ["reproduce", "dilate", "--gamma", "x"], ["--gamma"]),
    ("unknown-option", lambda p: ["reproduce", "dilate", "--epoch-count", "3"], ["unrecognized"]),
    ("ecg5000-missing-dir", lambda p: ["reproduce", "dilate", "--dataset", "ecg5000",
                                       "--data-dir", p / "nowhere"], ["--data-dir", "nowhere"]),
    ("n-series-with-ecg5000", lambda p: ["reproduce", "dilate", "--dataset", "ecg5000",
                                         "--n-series", "10"], ["--n-series", "synthetic"]),
    ("resume-and-overwrite", lambda p: ["reproduce", "dilate", "--resume", "--overwrite",
                                        "--out", p / "o"], ["exclude"]),
    ("missing-data-file", lambda p: _train(p / "missing.txt"), ["no such file", "missing.txt"]),
    ("malformed-ucr-file", lambda p: _train(_bad_ucr(p)), ["line 2", "oops"]),
    ("ragged-ucr-file", lambda p: _train(_ragged_ucr(p)), ["line 2"]),
    ("windows-longer-than-series", lambda p: _train(_good_ucr(p), "--horizon", "20"),
     ["input_len", "horizon"]),
    ("train-unknown-loss", lambda p: _train(_good_ucr(p), "--loss", "huber"), ["--loss"]),
    ("csv-option-on-ucr", lambda p: _train(_good_ucr(p), "--csv-layout", "rows"), ["--csv-layout"]),
    ("train-missing-format", lambda p: ["train", "--data", "x", "--input-len", "2",
                                        "--horizon", "2"], ["--format"]),
    ("evaluate-missing-checkpoint", lambda p: ["evaluate", "--checkpoint", p / "none.pt",
                                               "--data", _good_ucr(p)], ["none.pt"]),
    ("evaluate-not-a-checkpoint", lambda p: ["evaluate", "--checkpoint", _good_ucr(p),
                                             "--data", _good_ucr(p)], ["checkpoint"]),
]  # fmt: skip


@pytest.mark.parametrize(("argv", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_and_exit_code_2(tmp_path, cli, argv, words):
    result = cli(*argv(tmp_path))
    assert result.code == 2
    assert result.err.startswith("tsgrad: error: ") and result.err.count("\n") == 1
    assert "Traceback" not in result.err
    for word in words:
        assert word in result.err


def test_version_and_help_exit_0(cli):
    version = cli("--version")
    assert version.code == 0 and version.out.strip() == f"tsgrad {__version__}"
    for command in ["reproduce", "train", "evaluate"]:
        helped = cli(command, "--help")
        assert helped.code == 0 and "--" in helped.out and "exit codes" in helped.out


def test_python_dash_m_tsgrad_help_runs_in_a_subprocess():
    proc = subprocess.run(
        [sys.executable, "-m", "tsgrad", "--help"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0
    for command in ["reproduce", "train", "evaluate"]:
        assert command in proc.stdout

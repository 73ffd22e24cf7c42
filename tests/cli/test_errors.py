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


def _csv_with_header(tmp_path):
    path = tmp_path / "named.csv"
    path.write_text("a,b\n" + "".join(f"{k},{k % 7}\n" for k in range(200)))
    return path


def _numeric_csv(tmp_path):
    path = tmp_path / "recording.csv"
    path.write_text("".join(f"{k},{k % 7}\n" for k in range(200)))
    return path


def _train_csv(data, *extra):
    return ["train", "--data", data, "--format", "csv", "--input-len", "20", "--horizon", "10",
            "--quiet", "--out", data.parent / "run", *extra]  # fmt: skip


def _train(data, *extra):
    folder = data if data.is_dir() else data.parent
    return ["train", "--data", data, "--format", "ucr", "--input-len", "20", "--horizon", "10",
            "--quiet", "--out", folder / "run", *extra]  # fmt: skip


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
     ["--input-len 20", "--horizon 20", "30-point"]),
    ("data-is-a-folder", lambda p: _train(p), ["--data", "is a folder"]),
    ("csv-header-without-option", lambda p: _train_csv(_csv_with_header(p)),
     ["line 1", "'a'", "--csv-header"]),
    ("ucr-format-on-a-csv", lambda p: _train(_numeric_csv(p)), ["CSV", "--format csv"]),
    ("ucr-format-on-a-csv-with-header", lambda p: _train(_csv_with_header(p)),
     ["'a'", "--format csv"]),
    ("csv-fractions-sum-to-one", lambda p: _train_csv(_numeric_csv(p), "--val-fraction", "0.5",
                                                      "--test-fraction", "0.5"),
     ["--val-fraction", "--test-fraction", "below 1"]),
    ("csv-test-part-without-window", lambda p: _train_csv(_numeric_csv(p), "--test-fraction",
                                                          "0.04"),
     ["test part", "no window", "--input-len 20", "--horizon 10"]),
    ("too-few-series-to-split", lambda p: _train(write_ucr(p / "few.txt", n_series=2, length=40)),
     ["--val-fraction", "2 series", "at least one"]),
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
    # the command line's words, not the library's (function names, parameter template)
    for internal in ("make_windows", "fixed_length_pairs", "load_ucr", "load_csv", "parameter of"):
        assert internal not in result.err


def test_device_cuda_without_cuda_is_one_line(tmp_path, cli, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    result = cli(*_train(_good_ucr(tmp_path), "--device", "cuda"))
    assert result.code == 2 and result.err.count("\n") == 1
    assert "--device cuda: CUDA is not available" in result.err and "--device cpu" in result.err
    assert not (tmp_path / "run").exists()  # refused before touching --out


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
